// The harness itself can fail: a write just outside an output or into the gap
// of a stepped output trips the sentinels, a value off by more than the dtype's
// tolerance fails the comparison, and the layouts are what they claim to be.
#include <gtest/gtest-spi.h>

#include <cmath>

#include "backend/backend_harness.h"

namespace seek::backend_test {
namespace {

TEST(BackendHarness, SentinelsCatchAWritePastTheEnd) {
  GuardedOutput g = guarded_empty({3, 4}, kFloat32, kCPU);
  g.out.fill_(1.0);
  expect_sentinels_intact(g, "inside only");  // writing the whole output is fine
  // The element right after the last one of out.
  const int64_t last = g.out.storage_offset() + g.out.numel() - 1;
  g.buffer.narrow(0, last + 1, 1).fill_(2.0);
  EXPECT_NONFATAL_FAILURE(expect_sentinels_intact(g, "past the end"), "wrote outside its output");
}

TEST(BackendHarness, SentinelsCatchAWriteBeforeTheStartAndIntoAGap) {
  GuardedOutput before = guarded_empty({5}, kFloat16, kCPU);
  before.buffer.narrow(0, before.out.storage_offset() - 1, 1).fill_(0.0);
  EXPECT_NONFATAL_FAILURE(expect_sentinels_intact(before, "before the start"), "wrote outside its output");

  GuardedOutput stepped = guarded_empty({2, 3}, kInt64, kCPU, /*contiguous=*/false);
  EXPECT_FALSE(stepped.out.is_contiguous());
  EXPECT_EQ(stepped.out.stride(1), 2);
  stepped.out.fill_(5);
  expect_sentinels_intact(stepped, "stepped, inside only");
  stepped.buffer.narrow(0, stepped.out.storage_offset() + 1, 1).fill_(5);  // the gap after element [0, 0]
  EXPECT_NONFATAL_FAILURE(expect_sentinels_intact(stepped, "gap"), "wrote outside its output");
}

TEST(BackendHarness, ComparisonsUseTheDtypeTolerance) {
  const Tensor want = tensor<double>({1.0, -2.0, 0.5}, {3});
  expect_close(tensor<double>({1.0 + 5e-6, -2.0, 0.5}, {3}).to(kFloat32), want, tolerance(kFloat32), "within");
  EXPECT_NONFATAL_FAILURE(
      expect_close(tensor<double>({1.0, -2.0 * (1 + 1e-4), 0.5}, {3}).to(kFloat32), want, tolerance(kFloat32), "off"),
      "element 1");
  EXPECT_NONFATAL_FAILURE(expect_close(want + tensor<double>({1e-9, 0.0, 0.0}, {3}), want, tolerance(kFloat64), "f64"),
                          "element 0");
  // NaN only matches NaN; an infinity only itself.
  const Tensor nan = tensor<double>({std::nan("")}, {1});
  expect_close(nan, nan, tolerance(kFloat64), "nan");
  EXPECT_NONFATAL_FAILURE(expect_close(nan, tensor<double>({1.0}, {1}), tolerance(kFloat16), "nan vs 1"), "element 0");
  EXPECT_NONFATAL_FAILURE(expect_equal(tensor<int64_t>({3, 4}, {2}), tensor<int64_t>({3, 5}, {2}), "ints"),
                          "element 1");
}

TEST(BackendHarness, LayoutsHoldTheValues) {
  const Tensor v = random_f64({4, 5}, -3, 3, 1);
  for (Layout layout : kLayouts) {
    const Tensor t = place(v, kFloat64, kCPU, layout);
    EXPECT_EQ(t.sizes(), v.sizes()) << layout_name(layout);
    EXPECT_EQ(t.is_contiguous(), layout == Layout::Contiguous) << layout_name(layout);
    expect_equal(t, v, layout_name(layout));
  }
  EXPECT_EQ(place(v, kFloat32, kCPU, Layout::Stepped).storage_offset(), 1);
  EXPECT_EQ(place(v, kFloat32, kCPU, Layout::Transposed).stride(0), 1);
  // Values stay away from zero, and the stepped gaps hold a large junk value.
  for (double x : to_vector<double>(v)) EXPECT_GE(std::fabs(x), 0.3 - 1e-12);
  const Tensor stepped = place(v, kFloat32, kCPU, Layout::Stepped);
  EXPECT_EQ(stepped.storage()->nbytes() / sizeof(float), static_cast<size_t>(4 * 11));
  EXPECT_EQ(static_cast<const float*>(stepped.storage()->data())[0], -1000.0f);
}

TEST(BackendHarness, ParametersCoverEveryRegisteredDevice) {
  const std::vector<DeviceDType> params = device_dtype_params({kFloat32, kInt64});
  EXPECT_EQ(params.size(), 2 * registered_backends().size());
  EXPECT_EQ(params.front().device, kCPU);
  EXPECT_EQ(param_name(::testing::TestParamInfo<DeviceDType>(params[1], 1)), "cpu_int64");
}

}  // namespace
}  // namespace seek::backend_test

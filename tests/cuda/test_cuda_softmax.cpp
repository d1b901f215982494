// The GPU-specific paths of kernels/softmax.cu that the cross-backend harness
// (tests/cpp/backend/test_softmax.cpp, rows of at most 67) does not reach: rows around the
// one-warp / one-block boundary and longer, non-finite rows (all -inf, some -inf, NaN,
// +inf, huge values) exactly as the CPU backend gives them on every path, bitwise
// repeatability, 0-d and empty inputs, and bad arguments.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "seek/cuda.h"
#include "seek/seek.h"

using namespace seek;

namespace {

class CudaSoftmax : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!cuda::is_available()) GTEST_SKIP() << "no CUDA GPU visible: " << cuda::build_info();
    cuda::set_device(0);
  }
};

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

Tensor uniform(const Shape& shape, double lo, double hi, uint64_t seed) {
  std::vector<double> v(static_cast<size_t>(shape_numel(shape)));
  uint64_t s = seed * 0x9E3779B97F4A7C15ull + 7;
  for (double& x : v) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    x = lo + (hi - lo) * static_cast<double>(s >> 11) / 9007199254740992.0;
  }
  return tensor<double>(v, shape);
}

std::vector<double> host_values(const Tensor& t) { return to_vector<double>(t.to(kCPU).to(kF64).contiguous()); }

void expect_close(const std::vector<double>& got, const std::vector<double>& want, double tol,
                  const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(want[i]))
      ASSERT_TRUE(std::isnan(got[i])) << what << " element " << i << ": got " << got[i] << ", want NaN";
    else if (std::isinf(want[i]))
      ASSERT_EQ(got[i], want[i]) << what << " element " << i;
    else
      ASSERT_NEAR(got[i], want[i], tol * (1 + std::abs(want[i]))) << what << " element " << i;
  }
}

// softmax along dim of `in` (on the GPU) and its backward for upstream gradient `gy`,
// against the CPU backend in f64 on the same values.
void check_softmax(const Tensor& in, int64_t dim, bool log, double tol, const std::string& what) {
  const DType ref_dt = kF64;
  Tensor y = empty(in.sizes(), TensorOptions(in.dtype()).device(kCUDA));
  backend(kCUDA).softmax(in, dim, log, y);
  Tensor want = empty(in.sizes(), TensorOptions(ref_dt));
  backend(kCPU).softmax(in.to(kCPU).to(ref_dt), dim, log, want);
  expect_close(host_values(y), host_values(want), tol, what);

  const Tensor gy = uniform(in.sizes(), -1, 1, 99).to(kCUDA, in.dtype());
  Tensor gx = empty(in.sizes(), TensorOptions(in.dtype()).device(kCUDA));
  backend(kCUDA).softmax_backward(gy, y, dim, log, gx);
  Tensor want_gx = empty(in.sizes(), TensorOptions(ref_dt));
  backend(kCPU).softmax_backward(gy.to(kCPU).to(ref_dt), y.to(kCPU).to(ref_dt), dim, log, want_gx);
  expect_close(host_values(gx), host_values(want_gx), tol, what + " backward");
}

bool same_bits(const Tensor& a, const Tensor& b) {
  const Tensor x = a.to(kCPU).contiguous(), y = b.to(kCPU).contiguous();
  return x.nbytes() == y.nbytes() && std::memcmp(x.data_ptr(), y.data_ptr(), x.nbytes()) == 0;
}

}  // namespace

TEST_F(CudaSoftmax, RowsAroundTheWarpAndBlockPaths) {
  uint64_t seed = 1;
  for (int64_t n : {1, 2, 31, 32, 33, 1023, 1024, 1025, 3001}) {
    const Tensor v = uniform({3, n}, -6, 6, ++seed);
    for (bool log : {false, true}) {
      const std::string what = str(log ? "log_softmax" : "softmax", " n=", n);
      check_softmax(v.to(kCUDA), 1, log, 1e-12, what + " f64");
      check_softmax(v.to(kCUDA, kF32), 1, log, 2e-6, what + " f32");
      check_softmax(v.to(kCUDA, kBF16), 1, log, 2e-2, what + " bf16");
      // A dense view 4 bytes into its buffer: rows not 16-byte aligned take scalar loads.
      const Tensor shifted = empty({3 * n + 1}, TensorOptions(kF32).device(kCUDA)).narrow(0, 1, 3 * n).view({3, n});
      backend(kCUDA).copy(v.to(kF32), shifted);
      check_softmax(shifted, 1, log, 2e-6, what + " unaligned f32");
      // Along dim 0 of the transposed values: one thread per column.
      check_softmax(v.transpose(0, 1).contiguous().to(kCUDA, kF32), 0, log, 2e-6, what + " columns f32");
    }
  }
}

TEST_F(CudaSoftmax, NonFiniteRowsAsOnTheCpu) {
  for (int64_t n : {5, 40, 1500}) {
    // Row 0 all -inf, row 1 -inf among finite values, row 2 a NaN, row 3 a +inf, row 4 huge values.
    std::vector<double> v(static_cast<size_t>(5 * n));
    for (int64_t r = 0; r < 5; ++r)
      for (int64_t i = 0; i < n; ++i) v[r * n + i] = std::sin(static_cast<double>(i * 7 + r)) * 3;
    for (int64_t i = 0; i < n; ++i) v[i] = -kInf;
    for (int64_t i = 0; i < n; i += 2) v[n + i] = -kInf;
    v[2 * n + n / 2] = kNaN;
    v[3 * n + n - 1] = kInf;
    for (int64_t i = 0; i < n; ++i) v[4 * n + i] = 1000 + static_cast<double>(i % 3);
    const Tensor rows = tensor<double>(v, {5, n});
    for (bool log : {false, true}) {
      const std::string what = str(log ? "log_softmax" : "softmax", " with non-finite rows, n=", n);
      check_softmax(rows.to(kCUDA, kF32), 1, log, 2e-6, what);
      check_softmax(rows.to(kCUDA, kF64), 1, log, 1e-12, what + " f64");
      check_softmax(rows.transpose(0, 1).contiguous().to(kCUDA, kF32), 0, log, 2e-6, what + " columns");
    }
    // Spelled out for the forward: NaN rows, zeros (log: -inf) at -inf among finite values.
    Tensor y = empty({5, n}, TensorOptions(kF32).device(kCUDA));
    backend(kCUDA).softmax(rows.to(kCUDA, kF32), 1, false, y);
    const std::vector<double> got = host_values(y);
    for (int64_t i = 0; i < n; ++i) {
      EXPECT_TRUE(std::isnan(got[i])) << "all -inf row, n=" << n;
      EXPECT_TRUE(std::isnan(got[2 * n + i]) && std::isnan(got[3 * n + i])) << "NaN / +inf rows, n=" << n;
      if (i % 2 == 0) EXPECT_EQ(got[n + i], 0.0) << "-inf element, n=" << n;
      EXPECT_TRUE(std::isfinite(got[4 * n + i])) << "huge values, n=" << n;
    }
  }
}

TEST_F(CudaSoftmax, StridedOperandsAndRepeatability) {
  // Non-contiguous input and output views, and a long row twice: identical bits.
  const Tensor v = uniform({2000, 3}, -5, 5, 3).to(kCUDA, kF32).transpose(0, 1);  // [3, 2000], strided rows
  Tensor buf = empty({3, 4000}, TensorOptions(kF32).device(kCUDA));
  const Tensor out = buf.slice(1, 0, 4000, 2);
  backend(kCUDA).softmax(v, 1, false, out);
  Tensor want = empty({3, 2000}, TensorOptions(kF64));
  backend(kCPU).softmax(v.to(kCPU).to(kF64), 1, false, want);
  expect_close(host_values(out), host_values(want), 2e-6, "strided softmax");
  Tensor again = empty({3, 2000}, TensorOptions(kF32).device(kCUDA));
  backend(kCUDA).softmax(v, 1, false, again);
  EXPECT_TRUE(same_bits(out, again));
  // The public ops on CUDA tensors.
  const Tensor x = uniform({4, 9}, -3, 3, 4);
  expect_close(host_values(log_softmax(x.to(kCUDA), -1)), host_values(log_softmax(x, -1)), 1e-12, "log_softmax op");
  expect_close(host_values(softmax(x.to(kCUDA), 0)), host_values(softmax(x, 0)), 1e-12, "softmax op");
}

TEST_F(CudaSoftmax, ScalarsEmptyInputsAndBadArguments) {
  const Tensor s = scalar_tensor(3.5, TensorOptions(kF32)).to(kCUDA);
  Tensor y = empty({}, TensorOptions(kF32).device(kCUDA));
  backend(kCUDA).softmax(s, 0, false, y);
  EXPECT_EQ(host_values(y), std::vector<double>{1.0});
  backend(kCUDA).softmax(s, 0, true, y);
  EXPECT_EQ(host_values(y), std::vector<double>{0.0});
  const Tensor e = empty({0, 4}, TensorOptions(kF32).device(kCUDA));
  Tensor ye = empty({0, 4}, TensorOptions(kF32).device(kCUDA));
  EXPECT_NO_THROW(backend(kCUDA).softmax(e, 1, false, ye));
  EXPECT_NO_THROW(backend(kCUDA).softmax_backward(e, e, 1, true, ye));

  const Tensor x = uniform({3, 4}, -1, 1, 5).to(kCUDA, kF32);
  EXPECT_THROW(backend(kCUDA).softmax(x, 2, false, empty({3, 4}, TensorOptions(kF32).device(kCUDA))), IndexError);
  EXPECT_THROW(backend(kCUDA).softmax(x, 1, false, empty({4, 3}, TensorOptions(kF32).device(kCUDA))), Error);
  EXPECT_THROW(backend(kCUDA).softmax(x, 1, false, empty({3, 4}, TensorOptions(kF64).device(kCUDA))), Error);
  EXPECT_THROW(backend(kCUDA).softmax(x, 1, false, empty({3, 4}, TensorOptions(kF32))), DeviceError);
  const Tensor ints = empty({3, 4}, TensorOptions(kI32).device(kCUDA));
  EXPECT_THROW(backend(kCUDA).softmax(ints, 1, false, empty({3, 4}, TensorOptions(kI32).device(kCUDA))), DTypeError);
  EXPECT_FALSE(backend(kCUDA).supports(BackendFamily::Softmax, kI32));
  EXPECT_TRUE(backend(kCUDA).supports(BackendFamily::Softmax, kBF16));
}

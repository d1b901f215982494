// Casts of contiguous tensors take a flat conversion loop (chunked over threads when large);
// every element must equal the scalar conversion, as on the strided path.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "seek/core/convert.h"
#include "seek/seek.h"

using namespace seek;

namespace {

// 70,000 floats (more than the parallel threshold) with the cases rounding cares about: ties
// between two bf16 / f16 values, values just off a tie, subnormals, overflow, inf, NaN, signed zero.
std::vector<float> tricky_values() {
  std::vector<float> v;
  const float specials[] = {0.0f,
                            -0.0f,
                            1.0f,
                            -1.0f,
                            65504.0f,
                            65520.0f,
                            1e30f,
                            -1e30f,
                            1e-40f,
                            -1e-42f,
                            std::numeric_limits<float>::infinity(),
                            -std::numeric_limits<float>::infinity(),
                            std::numeric_limits<float>::quiet_NaN()};
  for (float s : specials) v.push_back(s);
  for (uint32_t i = 0; v.size() < 70000; ++i) {
    uint32_t bits = 0x3f800000u + i * 0x2001u;  // walks mantissa patterns incl. exact bf16 ties (low 16 bits 0x8000)
    if (i % 7 == 0) bits = (bits & 0xffff0000u) | 0x8000u;
    if (i % 11 == 0) bits |= 0x80000000u;
    float f;
    std::memcpy(&f, &bits, sizeof f);
    v.push_back(f);
  }
  return v;
}

template <typename Out>
void expect_matches_scalar(const std::vector<float>& in, const Tensor& out) {
  ASSERT_TRUE(out.is_contiguous());
  const Out* d = static_cast<const Out*>(out.data_ptr());
  for (size_t i = 0; i < in.size(); ++i) {
    const Out want = convert<Out>(in[i]);
    ASSERT_EQ(std::memcmp(&d[i], &want, sizeof(Out)), 0) << "element " << i << " value " << in[i];
  }
}

TEST(CastDense, EveryElementEqualsTheScalarConversion) {
  const std::vector<float> v = tricky_values();
  Tensor x = tensor<float>(v, Shape{static_cast<int64_t>(v.size())});
  expect_matches_scalar<BFloat16>(v, x.to(kBFloat16));
  expect_matches_scalar<Half>(v, x.to(kFloat16));
  expect_matches_scalar<double>(v, x.to(kFloat64));
  // Back to float from the 16-bit types: exact widening.
  Tensor b = x.to(kBFloat16);
  const BFloat16* bp = static_cast<const BFloat16*>(b.data_ptr());
  Tensor back = b.to(kFloat32);
  const float* f = static_cast<const float*>(back.data_ptr());
  for (size_t i = 0; i < v.size(); ++i) {
    const float want = static_cast<float>(bp[i]);
    ASSERT_TRUE((std::isnan(want) && std::isnan(f[i])) || std::memcmp(&want, &f[i], sizeof want) == 0) << i;
  }
}

TEST(CastDense, ContiguousAndStridedPathsAgree) {
  const std::vector<float> v = tricky_values();
  const int64_t n = static_cast<int64_t>(v.size());
  Tensor x = tensor<float>(v, Shape{n / 2, 2});
  Tensor strided = x.t().to(kBFloat16).t();  // the transposed view is cast through the strided loop
  Tensor dense = x.to(kBFloat16);
  ASSERT_FALSE(x.t().is_contiguous());
  EXPECT_EQ(std::memcmp(strided.contiguous().data_ptr(), dense.data_ptr(), dense.nbytes()), 0);
}

}  // namespace

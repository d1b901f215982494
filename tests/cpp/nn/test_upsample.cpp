#include <gtest/gtest.h>

#include <cmath>

#include "seek/nn/upsample.h"
#include "seek/seek.h"
#include "support/test_util.h"

using namespace seek;
namespace F = seek::nn::functional;

namespace {
void expect_vec_near(const std::vector<double>& got, const std::vector<double>& want, double tol = 1e-12) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "element " << i;
}
Tensor x22() { return tensor<double>({1, 2, 3, 4}, {1, 1, 2, 2}); }
}  // namespace

// Expected values are torch.nn.functional.interpolate's outputs for the same calls.
TEST(NNUpsample, NearestMatchesTorch) {
  Tensor y = F::interpolate(x22(), std::nullopt, std::vector<double>{2.0});
  EXPECT_EQ(y.sizes(), (Shape{1, 1, 4, 4}));
  expect_vec_near(to_vector<double>(y), {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4});
  // 2 -> 3: floor(o * 2/3) = 0, 0, 1
  Tensor y3 = F::interpolate(tensor<double>({1, 2}, {1, 1, 2}), std::vector<int64_t>{3});
  expect_vec_near(to_vector<double>(y3), {1, 1, 2});
  // per-dim sizes, downsampling 4 -> 2 picks 0 and 2
  Tensor x44 = arange(16.0, TensorOptions(kFloat64)).reshape({1, 1, 4, 4});
  Tensor yd = F::interpolate(x44, std::vector<int64_t>{2, 4});
  expect_vec_near(to_vector<double>(yd), {0, 1, 2, 3, 8, 9, 10, 11});
  // 5D with one scale for every dim
  Tensor y5 = F::interpolate(ones({1, 2, 1, 2, 1}), std::nullopt, std::vector<double>{2.0});
  EXPECT_EQ(y5.sizes(), (Shape{1, 2, 2, 4, 2}));
}

TEST(NNUpsample, BilinearMatchesTorch) {
  Tensor y = F::interpolate(x22(), std::nullopt, std::vector<double>{2.0}, "bilinear", false);
  expect_vec_near(to_vector<double>(y),
                  {1.0, 1.25, 1.75, 2.0, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3.0, 3.25, 3.75, 4.0});
  Tensor ya = F::interpolate(x22(), std::vector<int64_t>{3}, std::nullopt, "bilinear", true);
  expect_vec_near(to_vector<double>(ya), {1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4});
  // align_corners=true, 2 -> 4: source coords o/3
  Tensor y4 = F::interpolate(x22(), std::vector<int64_t>{2, 4}, std::nullopt, "bilinear", true);
  expect_vec_near(to_vector<double>(y4), {1, 4. / 3, 5. / 3, 2, 3, 10. / 3, 11. / 3, 4}, 1e-6);
  // float32 keeps its dtype
  Tensor yf = F::interpolate(x22().to(kFloat32), std::nullopt, std::vector<double>{2.0}, "bilinear");
  EXPECT_EQ(yf.dtype(), kFloat32);
  expect_vec_near(to_vector<double>(yf.to(kFloat64)), to_vector<double>(y), 1e-6);
}

TEST(NNUpsample, BackwardSumsIntoSources) {
  Tensor x = x22().requires_grad_(true);
  F::interpolate(x, std::nullopt, std::vector<double>{2.0}).sum().backward();
  expect_vec_near(to_vector<double>(x.grad()), {4, 4, 4, 4});
  Tensor xb = x22().requires_grad_(true);
  F::interpolate(xb, std::nullopt, std::vector<double>{2.0}, "bilinear").sum().backward();
  expect_vec_near(to_vector<double>(xb.grad()), {4, 4, 4, 4});  // weights per output sum to 1
}

TEST(NNUpsample, ModuleAndBadInput) {
  nn::Upsample up(std::nullopt, std::vector<double>{2.0});
  EXPECT_EQ(up.repr(), "Upsample(scale_factor=2.0, mode='nearest')");
  EXPECT_EQ(up(x22()).sizes(), (Shape{1, 1, 4, 4}));
  nn::Upsample ub(std::vector<int64_t>{3, 5}, std::nullopt, "bilinear", true);
  EXPECT_EQ(ub.repr(), "Upsample(size=(3, 5), mode='bilinear')");
  EXPECT_EQ(ub(x22()).sizes(), (Shape{1, 1, 3, 5}));
  EXPECT_SEEK_ERROR(nn::Upsample(std::nullopt), ValueError, "exactly one of size or scale_factor");
  EXPECT_SEEK_ERROR(nn::Upsample(std::vector<int64_t>{2}, std::nullopt, "bicubic"), ValueError, "'bicubic'");
  EXPECT_SEEK_ERROR(F::interpolate(x22()), ValueError, "either size or scale_factor should be defined");
  EXPECT_SEEK_ERROR(F::interpolate(x22(), std::vector<int64_t>{2}, std::vector<double>{2.0}), ValueError,
                    "only one of size or scale_factor");
  EXPECT_SEEK_ERROR(F::interpolate(x22(), std::vector<int64_t>{4}, std::nullopt, "nearest", true), ValueError,
                    "align_corners option can only be set");
  EXPECT_SEEK_ERROR(F::interpolate(ones({1, 1, 3}), std::vector<int64_t>{4}, std::nullopt, "bilinear"), ShapeError,
                    "got 3D input, but bilinear mode needs 4D input");
  EXPECT_SEEK_ERROR(F::interpolate(ones({4, 4}), std::vector<int64_t>{4}), ShapeError, "3D, 4D or 5D");
  EXPECT_SEEK_ERROR(F::interpolate(x22(), std::vector<int64_t>{2, 2, 2}), ValueError, "must have 1 or 2 values");
  EXPECT_SEEK_ERROR(F::interpolate(x22(), std::vector<int64_t>{0}), ValueError, "greater than 0");
  EXPECT_SEEK_ERROR(F::interpolate(x22(), std::nullopt, std::vector<double>{-1.0}), ValueError, "must be positive");
  EXPECT_SEEK_ERROR(F::interpolate(x22().to(kInt64), std::vector<int64_t>{4}), DTypeError, "must be floating");
}

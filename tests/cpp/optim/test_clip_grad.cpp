// clip_grad_norm_ / clip_grad_value_ against hand-computed norms.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "seek/seek.h"
#include "support/test_util.h"

using namespace seek;
using namespace seek::optim;

namespace {
Tensor with_grad(std::vector<double> g) {
  const auto n = static_cast<int64_t>(g.size());
  Tensor p = zeros({n}, kFloat64).requires_grad_();
  p.set_grad(tensor<double>(g, {n}));
  return p;
}
std::vector<double> grad_of(const Tensor& p) {
  Tensor g = p.grad();
  const double* d = g.data_ptr<double>();
  return std::vector<double>(d, d + g.numel());
}
}  // namespace

TEST(ClipGradNorm, TwoNormScalesAllGradients) {
  Tensor a = with_grad({3.0, 4.0}), b = with_grad({12.0});
  Tensor none = zeros({2}, kFloat64).requires_grad_();  // no grad: ignored
  Tensor total = clip_grad_norm_({a, none, b}, 6.5);
  EXPECT_EQ(total.dim(), 0);
  EXPECT_NEAR(total.item<double>(), 13.0, 1e-12);
  const double c = 6.5 / (13.0 + 1e-6);
  auto ga = grad_of(a), gb = grad_of(b);
  EXPECT_NEAR(ga[0], 3.0 * c, 1e-12);
  EXPECT_NEAR(ga[1], 4.0 * c, 1e-12);
  EXPECT_NEAR(gb[0], 12.0 * c, 1e-12);
  EXPECT_FALSE(none.grad().defined());
}

TEST(ClipGradNorm, BelowMaxNormLeavesGradients) {
  Tensor a = with_grad({3.0, 4.0}), b = with_grad({12.0});
  EXPECT_NEAR(clip_grad_norm_({a, b}, 20.0).item<double>(), 13.0, 1e-12);
  EXPECT_EQ(grad_of(a), std::vector<double>({3.0, 4.0}));
  EXPECT_EQ(grad_of(b), std::vector<double>({12.0}));
}

TEST(ClipGradNorm, InfAndOneNorms) {
  Tensor a = with_grad({3.0, -14.0}), b = with_grad({12.0});
  Tensor total = clip_grad_norm_({a, b}, 7.0, std::numeric_limits<double>::infinity());
  EXPECT_DOUBLE_EQ(total.item<double>(), 14.0);
  const double c = 7.0 / (14.0 + 1e-6);
  EXPECT_NEAR(grad_of(a)[1], -14.0 * c, 1e-12);
  EXPECT_NEAR(grad_of(b)[0], 12.0 * c, 1e-12);

  Tensor x = with_grad({3.0, -4.0}), y = with_grad({12.0});
  EXPECT_NEAR(clip_grad_norm_({x, y}, 100.0, 1.0).item<double>(), 19.0, 1e-12);
  Tensor u = with_grad({1.0, -2.0}), v = with_grad({2.0});
  EXPECT_NEAR(clip_grad_norm_({u, v}, 100.0, 3.0).item<double>(), std::cbrt(17.0), 1e-12);
}

TEST(ClipGradNorm, Float32Gradients) {
  Tensor p = zeros({2}).requires_grad_();
  p.set_grad(tensor<float>({6.0f, 8.0f}, {2}));
  Tensor total = clip_grad_norm_({p}, 1.0);
  EXPECT_EQ(total.dtype(), kFloat32);
  EXPECT_NEAR(total.item<double>(), 10.0, 1e-5);
  const float* g = p.grad().data_ptr<float>();
  EXPECT_NEAR(g[0], 0.6f, 1e-6);
  EXPECT_NEAR(g[1], 0.8f, 1e-6);
}

TEST(ClipGradNorm, NoGradientsGivesZero) {
  Tensor p = zeros({2}).requires_grad_();
  EXPECT_EQ(clip_grad_norm_({p}, 1.0).item<double>(), 0.0);
}

TEST(ClipGradNorm, BadInput) {
  Tensor a = with_grad({1.0});
  EXPECT_SEEK_ERROR(clip_grad_norm_({a}, 1.0, 0.0), ValueError, "norm_type must be > 0");
  EXPECT_SEEK_ERROR(clip_grad_norm_({a}, 1.0, -std::numeric_limits<double>::infinity()), ValueError, "norm_type");
  EXPECT_SEEK_ERROR(clip_grad_norm_({a}, -1.0), ValueError, "max_norm must be >= 0");
  Tensor n = with_grad({std::nan(""), 1.0});
  EXPECT_SEEK_ERROR(clip_grad_norm_({n}, 1.0, 2.0, /*error_if_nonfinite=*/true), ValueError, "non-finite");
  EXPECT_TRUE(std::isnan(clip_grad_norm_({n}, 1.0).item<double>()));  // allowed when not asked
}

TEST(ClipGradValue, ClampsEveryElement) {
  Tensor a = with_grad({3.0, -4.0, 0.5}), b = with_grad({-0.25});
  Tensor none = zeros({1}, kFloat64).requires_grad_();
  clip_grad_value_({a, b, none}, 1.0);
  EXPECT_EQ(grad_of(a), std::vector<double>({1.0, -1.0, 0.5}));
  EXPECT_EQ(grad_of(b), std::vector<double>({-0.25}));
  EXPECT_SEEK_ERROR(clip_grad_value_({a}, -1.0), ValueError, "clip_value must be >= 0");
}

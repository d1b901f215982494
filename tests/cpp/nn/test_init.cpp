#include <gtest/gtest.h>

#include <cmath>

#include "seek/seek.h"
#include "support/test_util.h"

using namespace seek;
namespace init = seek::nn::init;

namespace {
double max_abs(const Tensor& t) { return t.abs().max().item<double>(); }
double stddev(const Tensor& t) { return t.to(kFloat64).std().item<double>(); }
}  // namespace

TEST(NNInit, CalculateGainMatchesTorch) {
  EXPECT_DOUBLE_EQ(init::calculate_gain("linear"), 1.0);
  EXPECT_DOUBLE_EQ(init::calculate_gain("conv2d"), 1.0);
  EXPECT_DOUBLE_EQ(init::calculate_gain("sigmoid"), 1.0);
  EXPECT_DOUBLE_EQ(init::calculate_gain("tanh"), 5.0 / 3.0);
  EXPECT_DOUBLE_EQ(init::calculate_gain("relu"), std::sqrt(2.0));
  EXPECT_DOUBLE_EQ(init::calculate_gain("leaky_relu"), std::sqrt(2.0 / (1.0 + 0.01 * 0.01)));
  EXPECT_DOUBLE_EQ(init::calculate_gain("leaky_relu", std::sqrt(5.0)), std::sqrt(1.0 / 3.0));
  EXPECT_DOUBLE_EQ(init::calculate_gain("selu"), 0.75);
  EXPECT_SEEK_ERROR(init::calculate_gain("swish"), ValueError, "unsupported nonlinearity 'swish'");
}

TEST(NNInit, FansFollowTorch) {
  EXPECT_EQ(init::calculate_fan_in_and_fan_out(zeros({3, 4})), (std::pair<int64_t, int64_t>{4, 3}));
  // conv weight [out, in, kh, kw]: fans include the receptive field
  EXPECT_EQ(init::calculate_fan_in_and_fan_out(zeros({8, 3, 5, 5})), (std::pair<int64_t, int64_t>{75, 200}));
  EXPECT_EQ(init::calculate_fan_in_and_fan_out(zeros({6, 2, 7})), (std::pair<int64_t, int64_t>{14, 42}));
  Tensor v = zeros({5});
  EXPECT_SEEK_ERROR(init::calculate_fan_in_and_fan_out(v), ValueError, "fewer than 2 dimensions");
  EXPECT_SEEK_ERROR(init::xavier_uniform_(v), ValueError, "fewer than 2 dimensions");
}

TEST(NNInit, UniformBasedBoundsAreExact) {
  manual_seed(1);
  Tensor w = zeros({200, 300});
  init::xavier_uniform_(w);
  double b = std::sqrt(6.0 / 500.0);
  EXPECT_LE(max_abs(w), b);
  EXPECT_GT(max_abs(w), 0.99 * b);  // 60000 draws reach the edge

  Tensor c = zeros({64, 3, 3, 3});  // fan_in 27, fan_out 576
  init::kaiming_uniform_(c, 0.0, "fan_in", "relu");
  b = std::sqrt(3.0) * std::sqrt(2.0) / std::sqrt(27.0);
  EXPECT_LE(max_abs(c), b);
  EXPECT_GT(max_abs(c), 0.98 * b);
  init::kaiming_uniform_(c, 0.0, "fan_out", "relu");
  b = std::sqrt(3.0) * std::sqrt(2.0) / std::sqrt(576.0);
  EXPECT_LE(max_abs(c), b);
  EXPECT_GT(max_abs(c), 0.98 * b);

  Tensor u = zeros({10000});
  init::uniform_(u, 2.0, 3.0);
  EXPECT_GE(u.min().item<double>(), 2.0);
  EXPECT_LT(u.max().item<double>(), 3.0);
  EXPECT_NEAR(u.mean().item<double>(), 2.5, 0.02);
  EXPECT_SEEK_ERROR(init::kaiming_uniform_(c, 0.0, "fan_avg"), ValueError, "'fan_in' or 'fan_out'");
}

TEST(NNInit, NormalBasedStd) {
  manual_seed(2);
  Tensor w = zeros({400, 500});
  init::xavier_normal_(w, 2.0);
  EXPECT_NEAR(stddev(w), 2.0 * std::sqrt(2.0 / 900.0), 0.03 * 2.0 * std::sqrt(2.0 / 900.0));
  init::kaiming_normal_(w, 0.0, "fan_in", "relu");
  EXPECT_NEAR(stddev(w), std::sqrt(2.0 / 500.0), 0.03 * std::sqrt(2.0 / 500.0));
  init::kaiming_normal_(w, 0.0, "fan_out", "tanh");
  EXPECT_NEAR(stddev(w), (5.0 / 3.0) / std::sqrt(400.0), 0.03 * (5.0 / 3.0) / std::sqrt(400.0));
  init::normal_(w, 1.5, 0.5);
  EXPECT_NEAR(w.mean().item<double>(), 1.5, 0.01);
  EXPECT_NEAR(stddev(w), 0.5, 0.015);
}

TEST(NNInit, TruncNormalStaysInside) {
  manual_seed(3);
  Tensor w = zeros({100000});
  init::trunc_normal_(w);  // N(0,1) cut at [-2, 2]: std 0.8796
  EXPECT_GE(w.min().item<double>(), -2.0);
  EXPECT_LE(w.max().item<double>(), 2.0);
  EXPECT_GT(w.max().item<double>(), 1.9);
  EXPECT_NEAR(w.mean().item<double>(), 0.0, 0.02);
  EXPECT_NEAR(stddev(w), 0.8796, 0.02);
  init::trunc_normal_(w, 1.0, 0.5, 0.8, 1.0);  // a narrow window still fills it
  EXPECT_GE(w.min().item<double>(), 0.8);
  EXPECT_LE(w.max().item<double>(), 1.0);
  EXPECT_SEEK_ERROR(init::trunc_normal_(w, 0.0, 1.0, 1.0, -1.0), ValueError, "need a < b");
}

TEST(NNInit, ConstantsAndParametersStayLeaves) {
  Tensor p = zeros({3, 2}).requires_grad_(true);
  init::constant_(p, 0.25);
  EXPECT_EQ(to_vector<float>(p), std::vector<float>(6, 0.25f));
  init::ones_(p);
  EXPECT_EQ(p.sum().item<double>(), 6.0);
  init::zeros_(p);
  EXPECT_EQ(p.abs().sum().item<double>(), 0.0);
  init::kaiming_uniform_(p);
  EXPECT_TRUE(p.is_leaf());
  EXPECT_TRUE(p.requires_grad());
  EXPECT_EQ(p.grad_fn(), nullptr);
}

TEST(NNInit, ReproducibleWithManualSeed) {
  Tensor a = zeros({5, 7}), b = zeros({5, 7});
  manual_seed(42);
  init::kaiming_normal_(a);
  manual_seed(42);
  init::kaiming_normal_(b);
  EXPECT_EQ(to_vector<float>(a), to_vector<float>(b));
  init::kaiming_normal_(b);
  EXPECT_NE(to_vector<float>(a), to_vector<float>(b));
}

#include <gtest/gtest.h>

#include <cmath>

#include "seek/seek.h"
#include "support/test_util.h"

using namespace seek;
namespace F = seek::nn::functional;

namespace {
void expect_vec_near(const std::vector<double>& got, const std::vector<double>& want, double tol = 1e-12) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "element " << i;
}
}  // namespace

TEST(NNLayers, ActivationsMatchFormulas) {
  std::vector<double> xs{-7, -2.5, -0.5, 0, 0.5, 3, 8};
  Tensor x = tensor<double>(xs, {7});
  auto apply = [&](nn::Module& m) { return to_vector<double>(m(x)); };
  std::vector<double> relu, relu6, leaky, sig, tanh_, silu, hsig, hswish;
  for (double v : xs) {
    relu.push_back(v > 0 ? v : 0);
    relu6.push_back(std::min(std::max(v, 0.0), 6.0));
    leaky.push_back(v > 0 ? v : 0.2 * v);
    sig.push_back(1 / (1 + std::exp(-v)));
    tanh_.push_back(std::tanh(v));
    silu.push_back(v / (1 + std::exp(-v)));
    hsig.push_back(std::min(std::max(v / 6 + 0.5, 0.0), 1.0));
    hswish.push_back(v * std::min(std::max(v + 3, 0.0), 6.0) / 6);
  }
  nn::ReLU r;
  nn::ReLU6 r6;
  nn::LeakyReLU lr(0.2);
  nn::Sigmoid s;
  nn::Tanh t;
  nn::SiLU si;
  nn::Hardsigmoid hs;
  nn::Hardswish hw;
  nn::Identity id;
  expect_vec_near(apply(r), relu);
  expect_vec_near(apply(r6), relu6);
  expect_vec_near(apply(lr), leaky);
  expect_vec_near(apply(s), sig);
  expect_vec_near(apply(t), tanh_);
  expect_vec_near(apply(si), silu);
  expect_vec_near(apply(hs), hsig);
  expect_vec_near(apply(hw), hswish);
  expect_vec_near(apply(id), xs);
  nn::GELU g, gt("tanh");
  EXPECT_NEAR(to_vector<double>(g(x))[4], 0.5 * 0.5 * (1 + std::erf(0.5 / std::sqrt(2.0))), 1e-12);
  double k = std::sqrt(2.0 / M_PI) * (0.5 + 0.044715 * 0.125);
  EXPECT_NEAR(to_vector<double>(gt(x))[4], 0.5 * 0.5 * (1 + std::tanh(k)), 1e-12);
  EXPECT_SEEK_ERROR(nn::GELU("fast"), ValueError, "'none' or 'tanh'");
  EXPECT_EQ(lr.repr(), "LeakyReLU(negative_slope=0.2)");
  // leaky_relu passes gradient slope on the negative side
  Tensor xg = tensor<double>({-1.0, 2.0}, {2}).requires_grad_(true);
  F::leaky_relu(xg, 0.1).sum().backward();
  expect_vec_near(to_vector<double>(xg.grad()), {0.1, 1.0});
}

TEST(NNLayers, SoftmaxAndFlatten) {
  nn::Softmax sm(1);
  Tensor x = tensor<double>({1, 2, 3, 0, 0, 0}, {2, 3});
  double z = std::exp(1) + std::exp(2) + std::exp(3);
  expect_vec_near(to_vector<double>(sm(x)),
                  {std::exp(1) / z, std::exp(2) / z, std::exp(3) / z, 1. / 3, 1. / 3, 1. / 3});
  nn::Flatten fl;
  EXPECT_EQ(fl(zeros({2, 3, 4, 5})).sizes(), (Shape{2, 60}));
  nn::Flatten fl2(0, 1);
  EXPECT_EQ(fl2(zeros({2, 3, 4})).sizes(), (Shape{6, 4}));
  EXPECT_EQ(fl.repr(), "Flatten(start_dim=1, end_dim=-1)");
}

TEST(NNLayers, DropoutIdentityCases) {
  Tensor x = rand({50, 40});
  EXPECT_TRUE(F::dropout(x, 0.0, true).is_same(x));
  EXPECT_TRUE(F::dropout(x, 0.7, false).is_same(x));
  nn::Dropout d(0.5);
  d.eval();
  EXPECT_TRUE(d(x).is_same(x));
  EXPECT_EQ(F::dropout(x, 1.0, true).abs().sum().item<double>(), 0.0);
}

TEST(NNLayers, DropoutZeroesAndScales) {
  manual_seed(11);
  const double p = 0.3;
  Tensor x = ones({200, 500});
  nn::Dropout d(p);
  Tensor y = d(x);
  std::vector<float> v = to_vector<float>(y);
  int64_t zeros_n = 0;
  for (float e : v) {
    if (e == 0.0f)
      ++zeros_n;
    else
      EXPECT_FLOAT_EQ(e, static_cast<float>(1.0 / (1.0 - p)));
  }
  double frac = static_cast<double>(zeros_n) / static_cast<double>(v.size());
  EXPECT_NEAR(frac, p, 0.01);  // 100000 draws: std of the fraction ~0.0015
  // gradient is the same mask and scale
  Tensor xg = ones({4, 5}).requires_grad_(true);
  manual_seed(3);
  Tensor yg = F::dropout(xg, 0.5, true);
  yg.sum().backward();
  EXPECT_EQ(to_vector<float>(xg.grad()), to_vector<float>(yg));
}

TEST(NNLayers, DropoutReproducibleAndChecked) {
  Tensor x = ones({64});
  manual_seed(9);
  Tensor a = F::dropout(x, 0.5);
  manual_seed(9);
  Tensor b = F::dropout(x, 0.5);
  EXPECT_EQ(to_vector<float>(a), to_vector<float>(b));
  EXPECT_NE(to_vector<float>(F::dropout(x, 0.5)), to_vector<float>(a));
  EXPECT_SEEK_ERROR(F::dropout(x, -0.1), ValueError, "dropout: probability has to be between 0 and 1, but got -0.1");
  EXPECT_SEEK_ERROR(F::dropout(x, 1.5, false), ValueError, "between 0 and 1");
  EXPECT_SEEK_ERROR(nn::Dropout(2.0), ValueError, "Dropout: probability has to be between 0 and 1");
}

TEST(NNLayers, EmbeddingInitPaddingAndGrad) {
  manual_seed(4);
  nn::Embedding big(1000, 64, -1);
  EXPECT_EQ(big.padding_idx(), 999);
  EXPECT_EQ(big.weight().sizes(), (Shape{1000, 64}));
  EXPECT_EQ(big.weight().select(0, 999).abs().sum().item<double>(), 0.0);
  EXPECT_NEAR(big.weight().std().item<double>(), 1.0, 0.02);  // N(0, 1)

  nn::Embedding e(4, 2, 0);
  e.to(kFloat64);
  {
    NoGradGuard ng;
    e.weight().copy_(tensor<double>({0, 0, 1, 2, 3, 4, 5, 6}, {4, 2}));
  }
  Tensor idx = tensor<int64_t>({3, 0, 1, 3}, {2, 2});
  Tensor y = e(idx);
  EXPECT_EQ(y.sizes(), (Shape{2, 2, 2}));
  EXPECT_EQ(to_vector<double>(y), (std::vector<double>{5, 6, 0, 0, 1, 2, 5, 6}));
  y.sum().backward();
  // row 3 used twice, padding row 0 gets no gradient
  EXPECT_EQ(to_vector<double>(e.weight().grad()), (std::vector<double>{0, 0, 1, 1, 0, 0, 2, 2}));
  EXPECT_SEEK_ERROR(e(tensor<int64_t>({4}, {1})), IndexError, "index 4 is out of bounds");
  EXPECT_SEEK_ERROR(nn::Embedding(4, 2, 4), IndexError, "padding_idx 4 must be within num_embeddings (4)");
  EXPECT_EQ(e.repr(), "Embedding(4, 2, padding_idx=0)");
}

TEST(NNLayers, LayerNormMatchesHandComputation) {
  nn::LayerNorm ln({3});
  auto named = ln.named_parameters();
  ASSERT_EQ(named.size(), 2u);
  EXPECT_EQ(named[0].first, "weight");
  EXPECT_EQ(to_vector<float>(named[0].second), (std::vector<float>{1, 1, 1}));
  EXPECT_EQ(named[1].first, "bias");
  EXPECT_EQ(to_vector<float>(named[1].second), (std::vector<float>{0, 0, 0}));
  ln.to(kFloat64);
  {
    NoGradGuard ng;
    ln.param("weight").copy_(tensor<double>({1, 2, 3}, {3}));
    ln.param("bias").copy_(tensor<double>({0, 1, 0}, {3}));
  }
  Tensor x = tensor<double>({1, 2, 6, -1, -1, -1}, {2, 3});
  // row 0: mean 3, biased var (4 + 1 + 9) / 3
  double r = 1.0 / std::sqrt(14.0 / 3.0 + 1e-5);
  expect_vec_near(to_vector<double>(ln(x)), {-2 * r, 2 * (-1 * r) + 1, 3 * 3 * r, 0, 1, 0});
  // normalising over the last two dims of [2, 2, 3]
  Tensor x3 = tensor<double>({1, 2, 3, 4, 5, 6, 0, 0, 0, 0, 0, 12}, {2, 2, 3});
  Tensor y3 = F::layer_norm(x3, {2, 3});
  EXPECT_NEAR(y3.select(0, 0).mean().item<double>(), 0.0, 1e-12);
  EXPECT_NEAR(y3.select(0, 1).square().mean().item<double>(), 20.0 / (20.0 + 1e-5), 1e-9);
  nn::LayerNorm plain({4}, 1e-5, /*elementwise_affine=*/false);
  EXPECT_TRUE(plain.named_parameters().empty());
  EXPECT_SEEK_ERROR(ln(zeros({2, 4}, kFloat64)), ShapeError, "does not end with normalized_shape [3]");
  EXPECT_EQ(nn::LayerNorm({8}).repr(), "LayerNorm((8,), eps=1e-05, elementwise_affine=True)");
}

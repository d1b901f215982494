#include <gtest/gtest.h>

#include <cmath>

#include "seek/seek.h"
#include "support/test_util.h"

using namespace seek;
namespace F = seek::nn::functional;

namespace {
// Float64 references computed element by element.
std::vector<double> log_softmax_row(const std::vector<double>& x) {
  double m = *std::max_element(x.begin(), x.end()), s = 0;
  for (double v : x) s += std::exp(v - m);
  std::vector<double> r;
  for (double v : x) r.push_back(v - m - std::log(s));
  return r;
}
const std::vector<double> kLogits{0.2,  -1.0, 2.0, 0.5, 1.5, 0.0, -0.3, 0.7,
                                  -2.0, 0.4,  0.1, 1.2, 0.9, 0.9, -0.5, 0.0};  // [4, 4]
std::vector<double> row(int i) { return {kLogits.begin() + 4 * i, kLogits.begin() + 4 * i + 4}; }
double d(const Tensor& t) { return t.item<double>(); }
}  // namespace

TEST(NNLoss, CrossEntropyIndicesWeightsIgnore) {
  Tensor x = tensor<double>(kLogits, {4, 4});
  Tensor t = tensor<int64_t>({2, 0, 3, -100}, {4});
  std::vector<double> w{1.0, 2.0, 0.5, 3.0};
  std::vector<double> nll(4);
  for (int i = 0; i < 3; ++i) nll[i] = -log_softmax_row(row(i))[static_cast<size_t>(to_vector<int64_t>(t)[i])];
  EXPECT_NEAR(d(F::cross_entropy(x, t)), (nll[0] + nll[1] + nll[2]) / 3, 1e-12);
  EXPECT_NEAR(d(F::cross_entropy(x, t, {}, -100, "sum")), nll[0] + nll[1] + nll[2], 1e-12);
  auto none = to_vector<double>(F::cross_entropy(x, t, {}, -100, "none"));
  EXPECT_NEAR(none[1], nll[1], 1e-12);
  EXPECT_EQ(none[3], 0.0);
  // weighted mean divides by the sum of the weights of the kept targets
  Tensor wt = tensor<double>(w, {4});
  double num = 0.5 * nll[0] + 1.0 * nll[1] + 3.0 * nll[2];
  EXPECT_NEAR(d(F::cross_entropy(x, t, wt)), num / 4.5, 1e-12);
  EXPECT_NEAR(d(F::cross_entropy(x, t, wt, -100, "sum")), num, 1e-12);
  // ignore_index other than -100
  Tensor t2 = tensor<int64_t>({2, 0, 3, 1}, {4});
  EXPECT_NEAR(d(F::cross_entropy(x, t2, {}, 0)), (nll[0] + nll[2] - log_softmax_row(row(3))[1]) / 3, 1e-12);
  // nll_loss on log-probabilities gives the same
  EXPECT_NEAR(d(F::nll_loss(x.log_softmax(1), t, wt)), num / 4.5, 1e-12);
}

TEST(NNLoss, CrossEntropyLabelSmoothingWithWeightAndIgnore) {
  Tensor x = tensor<double>(kLogits, {4, 4});
  Tensor t = tensor<int64_t>({2, 0, 3, -100}, {4});
  std::vector<double> w{1.0, 2.0, 0.5, 3.0};
  const double eps = 0.2, C = 4;
  double nll_num = 0, smooth_num = 0, den = 0, smooth_plain = 0, nll_plain = 0;
  std::vector<double> none_ref(4, 0.0);
  for (int i = 0; i < 3; ++i) {
    auto lp = log_softmax_row(row(i));
    size_t c = static_cast<size_t>(to_vector<int64_t>(t)[i]);
    double s_w = 0, s = 0;
    for (size_t k = 0; k < 4; ++k) s_w -= w[k] * lp[k], s -= lp[k];
    nll_num += -w[c] * lp[c];
    smooth_num += s_w;
    den += w[c];
    nll_plain += -lp[c];
    smooth_plain += s;
    none_ref[i] = (1 - eps) * (-w[c] * lp[c]) + eps / C * s_w;
  }
  Tensor wt = tensor<double>(w, {4});
  EXPECT_NEAR(d(F::cross_entropy(x, t, wt, -100, "mean", eps)), (1 - eps) * nll_num / den + eps / C * smooth_num / den,
              1e-12);
  EXPECT_NEAR(d(F::cross_entropy(x, t, wt, -100, "sum", eps)), (1 - eps) * nll_num + eps / C * smooth_num, 1e-12);
  auto none = to_vector<double>(F::cross_entropy(x, t, wt, -100, "none", eps));
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(none[i], none_ref[i], 1e-12) << i;
  EXPECT_NEAR(d(F::cross_entropy(x, t, {}, -100, "mean", eps)), ((1 - eps) * nll_plain + eps / C * smooth_plain) / 3,
              1e-12);
  nn::CrossEntropyLoss mod(wt, -100, "mean", eps);
  EXPECT_NEAR(d(mod(x, t)), (1 - eps) * nll_num / den + eps / C * smooth_num / den, 1e-12);
  EXPECT_EQ(mod.state_dict().size(), 1u);  // weight is a buffer, like torch
}

TEST(NNLoss, CrossEntropyProbabilityTargetsAndSpatial) {
  Tensor x = tensor<double>(kLogits, {4, 4});
  std::vector<double> p{0.1, 0.2, 0.3, 0.4, 1, 0, 0, 0, 0.25, 0.25, 0.25, 0.25, 0, 0.5, 0.5, 0};
  std::vector<double> w{1.0, 2.0, 0.5, 3.0};
  const double eps = 0.1;
  double tot = 0, tot_w = 0;
  for (int i = 0; i < 4; ++i) {
    auto lp = log_softmax_row(row(i));
    for (int k = 0; k < 4; ++k) {
      double pk = p[4 * i + k] * (1 - eps) + eps / 4;
      tot -= pk * lp[k];
      tot_w -= w[k] * pk * lp[k];
    }
  }
  Tensor pt = tensor<double>(p, {4, 4});
  EXPECT_NEAR(d(F::cross_entropy(x, pt, {}, -100, "mean", eps)), tot / 4, 1e-12);
  EXPECT_NEAR(d(F::cross_entropy(x, pt, tensor<double>(w, {4}), -100, "sum", eps)), tot_w, 1e-12);
  // [N, C, L]: class dim 1, equal to the flattened [N*L, C] problem
  Tensor x3 = x.reshape({2, 2, 4}).transpose(1, 2);  // [2, 4, 2]
  Tensor t3 = tensor<int64_t>({1, 3, 0, 2}, {2, 2});
  Tensor flat_t = tensor<int64_t>({1, 3, 0, 2}, {4});
  EXPECT_NEAR(d(F::cross_entropy(x3, t3)), d(F::cross_entropy(x, flat_t)), 1e-12);
  EXPECT_EQ(F::cross_entropy(x3, t3, {}, -100, "none").sizes(), (Shape{2, 2}));
  // unbatched [C] with a 0-d target
  EXPECT_NEAR(d(F::cross_entropy(tensor<double>(row(0), {4}), full({}, 2, kInt64))), -log_softmax_row(row(0))[2],
              1e-12);
}

TEST(NNLoss, CrossEntropyBadInput) {
  Tensor x = zeros({3, 4}, kFloat64);
  EXPECT_SEEK_ERROR(F::cross_entropy(x, tensor<int64_t>({0, 4, 1}, {3})), IndexError,
                    "cross_entropy: target 4 is out of bounds for 4 classes");
  EXPECT_SEEK_ERROR(F::cross_entropy(x, tensor<int64_t>({0, -3, 1}, {3})), IndexError, "target -3 is out of bounds");
  EXPECT_SEEK_ERROR(F::cross_entropy(x, tensor<int32_t>({0, 1, 1}, {3})), DTypeError,
                    "class-index target must be int64, got int32");
  EXPECT_SEEK_ERROR(F::cross_entropy(x, tensor<int64_t>({0, 1}, {2})), ShapeError,
                    "target shape [2] does not match input [3, 4] (expected [3])");
  EXPECT_SEEK_ERROR(F::cross_entropy(x, zeros({3, 5}, kFloat64)), ShapeError, "must equal input shape [3, 4]");
  EXPECT_SEEK_ERROR(F::cross_entropy(x, tensor<int64_t>({0, 1, 1}, {3}), zeros({3}, kFloat64)), ShapeError,
                    "weight must be [4]");
  EXPECT_SEEK_ERROR(F::cross_entropy(x, tensor<int64_t>({0, 1, 1}, {3}), {}, -100, "avg"), ValueError,
                    "reduction must be 'mean', 'sum' or 'none'");
  EXPECT_SEEK_ERROR(F::cross_entropy(x, tensor<int64_t>({0, 1, 1}, {3}), {}, -100, "mean", 1.5), ValueError,
                    "label_smoothing must be between 0.0 and 1.0");
  EXPECT_SEEK_ERROR(nn::MSELoss("avg"), ValueError, "MSELoss: reduction must be");
}

TEST(NNLoss, RegressionLosses) {
  Tensor a = tensor<double>({0.0, 1.0, -2.0, 0.25}, {4});
  Tensor b = tensor<double>({0.5, 3.0, -2.0, 0.0}, {4});
  EXPECT_NEAR(d(F::mse_loss(a, b)), (0.25 + 4 + 0 + 0.0625) / 4, 1e-12);
  EXPECT_NEAR(d(F::mse_loss(a, b, "sum")), 4.3125, 1e-12);
  EXPECT_NEAR(d(F::l1_loss(a, b)), (0.5 + 2 + 0 + 0.25) / 4, 1e-12);
  // beta 1: 0.5 d^2 below 1, d - 0.5 above
  EXPECT_EQ(to_vector<double>(F::smooth_l1_loss(a, b, "none")), (std::vector<double>{0.125, 1.5, 0, 0.03125}));
  EXPECT_EQ(to_vector<double>(F::smooth_l1_loss(a, b, "none", 0.4)),
            (std::vector<double>{0.3, 1.8, 0, 0.0625 * 0.5 / 0.4}));
  EXPECT_NEAR(d(F::smooth_l1_loss(a, b, "mean", 0.0)), d(F::l1_loss(a, b)), 1e-15);
  nn::L1Loss l1("sum");
  EXPECT_NEAR(d(l1(a, b)), 2.75, 1e-12);
  EXPECT_SEEK_ERROR(F::mse_loss(a, zeros({4, 1}, kFloat64)), ShapeError, "mse_loss: target shape [4, 1] must equal");
  EXPECT_SEEK_ERROR(F::smooth_l1_loss(a, b, "mean", -1.0), ValueError, "beta must be >= 0");
}

TEST(NNLoss, BinaryCrossEntropy) {
  Tensor p = tensor<double>({0.9, 0.2, 0.0, 1.0}, {4});
  Tensor t = tensor<double>({1.0, 0.0, 1.0, 1.0}, {4});
  auto v = to_vector<double>(F::binary_cross_entropy(p, t, {}, "none"));
  EXPECT_NEAR(v[0], -std::log(0.9), 1e-12);
  EXPECT_NEAR(v[1], -std::log(0.8), 1e-12);
  EXPECT_EQ(v[2], 100.0);  // log(0) clamped at -100
  EXPECT_EQ(v[3], 0.0);
  Tensor w = tensor<double>({2.0, 1.0, 0.0, 1.0}, {4});
  EXPECT_NEAR(d(F::binary_cross_entropy(p, t, w, "sum")), -2 * std::log(0.9) - std::log(0.8), 1e-12);
  EXPECT_SEEK_ERROR(F::binary_cross_entropy(tensor<double>({1.5}, {1}), tensor<double>({1.0}, {1})), ValueError,
                    "all elements of input should be between 0 and 1");
}

TEST(NNLoss, BinaryCrossEntropyWithLogitsIsStable) {
  Tensor x = tensor<double>({-3.0, 0.5, 2.0, 800.0, -800.0}, {5});
  Tensor t = tensor<double>({0.0, 1.0, 0.3, 0.0, 1.0}, {5});
  auto ref = [](double x, double t, double pw) {
    double sp_neg = std::log1p(std::exp(-std::fabs(x))) + std::max(-x, 0.0);  // -log sigmoid(x)
    return pw * t * sp_neg + (1 - t) * (x + sp_neg);
  };
  auto v = to_vector<double>(F::binary_cross_entropy_with_logits(x, t, {}, "none"));
  std::vector<double> xs{-3, 0.5, 2, 800, -800}, ts{0, 1, 0.3, 0, 1};
  for (size_t i = 0; i < 5; ++i) EXPECT_NEAR(v[i], ref(xs[i], ts[i], 1.0), 1e-12) << i;
  EXPECT_NEAR(v[3], 800.0, 1e-9);  // no overflow for large logits
  EXPECT_NEAR(v[0], -std::log(1 - 1 / (1 + std::exp(3.0))), 1e-12);
  Tensor pw = full({5}, 3.0, kFloat64);
  auto vp = to_vector<double>(F::binary_cross_entropy_with_logits(x, t, {}, "none", pw));
  for (size_t i = 0; i < 5; ++i) EXPECT_NEAR(vp[i], ref(xs[i], ts[i], 3.0), 1e-9) << i;
  nn::BCEWithLogitsLoss mod({}, "mean", pw);
  double mean = 0;
  for (size_t i = 0; i < 5; ++i) mean += ref(xs[i], ts[i], 3.0) / 5;
  EXPECT_NEAR(d(mod(x, t)), mean, 1e-9);
}

TEST(NNLoss, KlDivReductions) {
  Tensor logq = tensor<double>(
      {std::log(0.5), std::log(0.25), std::log(0.25), std::log(0.1), std::log(0.6), std::log(0.3)}, {2, 3});
  Tensor p = tensor<double>({0.2, 0.8, 0.0, 0.5, 0.25, 0.25}, {2, 3});
  std::vector<double> lq{0.5, 0.25, 0.25, 0.1, 0.6, 0.3}, pv{0.2, 0.8, 0.0, 0.5, 0.25, 0.25};
  double sum = 0;
  for (size_t i = 0; i < 6; ++i) sum += pv[i] > 0 ? pv[i] * (std::log(pv[i]) - std::log(lq[i])) : 0.0;
  EXPECT_NEAR(d(F::kl_div(logq, p, "sum")), sum, 1e-12);
  EXPECT_NEAR(d(F::kl_div(logq, p, "batchmean")), sum / 2, 1e-12);
  EXPECT_NEAR(d(F::kl_div(logq, p, "mean")), sum / 6, 1e-12);
  EXPECT_EQ(to_vector<double>(F::kl_div(logq, p, "none"))[2], 0.0);  // 0 log 0 = 0
  Tensor logp = tensor<double>(
      {std::log(0.2), std::log(0.8), std::log(1e-300), std::log(0.5), std::log(0.25), std::log(0.25)}, {2, 3});
  EXPECT_NEAR(d(F::kl_div(logq, logp, "sum", /*log_target=*/true)), sum, 1e-12);
  nn::KLDivLoss mod("batchmean");
  EXPECT_NEAR(d(mod(logq, p)), sum / 2, 1e-12);
  EXPECT_SEEK_ERROR(F::mse_loss(logq, p, "batchmean"), ValueError, "mse_loss: reduction must be");
}

TEST(NNLoss, LossModulesBackward) {
  Tensor x = tensor<double>(kLogits, {4, 4}).requires_grad_(true);
  Tensor t = tensor<int64_t>({2, 0, 3, 1}, {4});
  nn::CrossEntropyLoss ce;
  ce(x, t).backward();
  // d/dx of mean CE = (softmax - onehot) / N
  auto g = to_vector<double>(x.grad());
  auto lp = log_softmax_row(row(1));
  EXPECT_NEAR(g[4], (std::exp(lp[0]) - 1.0) / 4, 1e-12);
  EXPECT_NEAR(g[5], std::exp(lp[1]) / 4, 1e-12);
  EXPECT_THROW(ce.forward(x), Error);  // losses need (input, target)
}

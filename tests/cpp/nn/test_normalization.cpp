#include <gtest/gtest.h>

#include <cmath>

#include "seek/seek.h"
#include "support/test_util.h"

using namespace seek;
namespace F = seek::nn::functional;

namespace {

void expect_vec_near(const std::vector<double>& got, const std::vector<double>& want, double tol = 1e-10) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "element " << i;
}

// Per-channel float64 statistics of a contiguous [N, C, L] buffer.
struct ChannelStats {
  std::vector<double> mean, var_biased, var_unbiased;
};
ChannelStats channel_stats(const std::vector<double>& x, int64_t n, int64_t c, int64_t l) {
  ChannelStats s;
  for (int64_t ch = 0; ch < c; ++ch) {
    double sum = 0, sq = 0;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < l; ++j) sum += x[(i * c + ch) * l + j];
    double m = sum / double(n * l);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < l; ++j) sq += (x[(i * c + ch) * l + j] - m) * (x[(i * c + ch) * l + j] - m);
    s.mean.push_back(m);
    s.var_biased.push_back(sq / double(n * l));
    s.var_unbiased.push_back(sq / double(n * l - 1));
  }
  return s;
}

// (x - mean) / sqrt(var + eps) * w + b per channel.
std::vector<double> normalise(const std::vector<double>& x, int64_t n, int64_t c, int64_t l,
                              const std::vector<double>& mean, const std::vector<double>& var,
                              const std::vector<double>& w, const std::vector<double>& b, double eps = 1e-5) {
  std::vector<double> y(x.size());
  for (int64_t i = 0; i < n; ++i)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t j = 0; j < l; ++j) {
        int64_t k = (i * c + ch) * l + j;
        double v = (x[k] - mean[ch]) / std::sqrt(var[ch] + eps);
        y[k] = v * (w.empty() ? 1.0 : w[ch]) + (b.empty() ? 0.0 : b[ch]);
      }
  return y;
}

std::vector<double> vals(size_t n, uint64_t seed, double lo = -2, double hi = 3) {
  return seek::testing::uniform_values(n, lo, hi, seed);
}

}  // namespace

TEST(NNNormalization, BatchNormTrainingUsesBatchStatsAndUpdatesRunning) {
  const int64_t n = 4, c = 3, l = 5;
  auto xs = vals(n * c * l, 1);
  std::vector<double> w{0.5, 2.0, -1.0}, b{0.1, -0.3, 0.7};
  Tensor x = tensor<double>(xs, {n, c, l});
  Tensor rm = zeros({c}, kFloat64), rv = ones({c}, kFloat64);
  Tensor y = F::batch_norm(x, rm, rv, tensor<double>(w, {c}), tensor<double>(b, {c}), true, 0.1, 1e-5);
  auto s = channel_stats(xs, n, c, l);
  expect_vec_near(to_vector<double>(y), normalise(xs, n, c, l, s.mean, s.var_biased, w, b));
  std::vector<double> want_m, want_v;
  for (int64_t ch = 0; ch < c; ++ch) {
    want_m.push_back(0.1 * s.mean[ch]);
    want_v.push_back(0.9 + 0.1 * s.var_unbiased[ch]);
  }
  expect_vec_near(to_vector<double>(rm), want_m);
  expect_vec_near(to_vector<double>(rv), want_v);
  // second step with other data: the update compounds
  auto xs2 = vals(n * c * l, 2);
  F::batch_norm(tensor<double>(xs2, {n, c, l}), rm, rv, Tensor(), Tensor(), true, 0.1, 1e-5);
  auto s2 = channel_stats(xs2, n, c, l);
  for (int64_t ch = 0; ch < c; ++ch) {
    want_m[ch] = 0.9 * want_m[ch] + 0.1 * s2.mean[ch];
    want_v[ch] = 0.9 * want_v[ch] + 0.1 * s2.var_unbiased[ch];
  }
  expect_vec_near(to_vector<double>(rm), want_m);
  expect_vec_near(to_vector<double>(rv), want_v);
}

TEST(NNNormalization, BatchNormEvalUsesRunningStats) {
  const int64_t n = 2, c = 3;
  auto xs = vals(n * c, 3);
  std::vector<double> m{0.5, -1.0, 2.0}, v{1.5, 0.25, 4.0}, w{1.0, 3.0, 0.5}, b{0.0, 1.0, -2.0};
  Tensor rm = tensor<double>(m, {c}), rv = tensor<double>(v, {c});
  Tensor y = F::batch_norm(tensor<double>(xs, {n, c}), rm, rv, tensor<double>(w, {c}), tensor<double>(b, {c}), false,
                           0.1, 1e-3);
  expect_vec_near(to_vector<double>(y), normalise(xs, n, c, 1, m, v, w, b, 1e-3));
  expect_vec_near(to_vector<double>(rm), m);  // untouched in eval
  expect_vec_near(to_vector<double>(rv), v);
  // undefined running stats: batch statistics even when training is false, as torch
  auto s = channel_stats(xs, n, c, 1);
  expect_vec_near(to_vector<double>(F::batch_norm(tensor<double>(xs, {n, c}), Tensor(), Tensor())),
                  normalise(xs, n, c, 1, s.mean, s.var_biased, {}, {}));
}

TEST(NNNormalization, BatchNormModule2dAndCounters) {
  nn::BatchNorm2d bn(2);
  EXPECT_EQ(bn.repr(), "BatchNorm2d(2, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)");
  std::vector<std::string> keys;
  for (auto& [k, t] : bn.state_dict()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"weight", "bias", "running_mean", "running_var", "num_batches_tracked"}));
  EXPECT_EQ(bn.buffer("num_batches_tracked").dtype(), kInt64);
  EXPECT_EQ(bn.buffer("num_batches_tracked").dim(), 0);
  EXPECT_EQ(bn.parameters().size(), 2u);
  const int64_t n = 3, c = 2, hw = 6;
  auto xs = vals(n * c * hw, 4);
  bn.to(kFloat64);
  Tensor x = tensor<double>(xs, {n, c, 2, 3});
  Tensor y = bn(x);
  auto s = channel_stats(xs, n, c, hw);
  expect_vec_near(to_vector<double>(y), normalise(xs, n, c, hw, s.mean, s.var_biased, {}, {}));
  EXPECT_EQ(bn.buffer("num_batches_tracked").item<int64_t>(), 1);
  bn(x);
  EXPECT_EQ(bn.buffer("num_batches_tracked").item<int64_t>(), 2);
  std::vector<double> m, v;
  for (int64_t ch = 0; ch < c; ++ch) {
    m.push_back((1 - 0.81) * s.mean[ch]);
    v.push_back(0.81 + 0.19 * s.var_unbiased[ch]);
  }
  expect_vec_near(to_vector<double>(bn.buffer("running_mean")), m);
  expect_vec_near(to_vector<double>(bn.buffer("running_var")), v);
  bn.eval();
  Tensor ye = bn(x);
  expect_vec_near(to_vector<double>(ye), normalise(xs, n, c, hw, m, v, {}, {}));
  EXPECT_EQ(bn.buffer("num_batches_tracked").item<int64_t>(), 2);  // eval does not count
  // gradients reach weight and bias
  bn.train();
  bn(x).mul(x).sum().backward();
  EXPECT_TRUE(bn.param("weight").grad().defined());
  EXPECT_TRUE(bn.param("bias").grad().defined());
  // load_state_dict round trip into a fresh module
  nn::BatchNorm2d other(2);
  other.to(kFloat64);
  other.load_state_dict(bn.state_dict());
  expect_vec_near(to_vector<double>(other.buffer("running_var")), to_vector<double>(bn.buffer("running_var")));
  EXPECT_EQ(other.buffer("num_batches_tracked").item<int64_t>(), 3);
  bn.reset_running_stats();
  expect_vec_near(to_vector<double>(bn.buffer("running_var")), {1, 1});
  EXPECT_EQ(bn.buffer("num_batches_tracked").item<int64_t>(), 0);
}

TEST(NNNormalization, BatchNormMomentumNoneIsCumulativeAverage) {
  nn::BatchNorm1d bn(3, 1e-5, std::nullopt);
  EXPECT_EQ(bn.repr(), "BatchNorm1d(3, eps=1e-05, momentum=None, affine=True, track_running_stats=True)");
  bn.to(kFloat64);
  const int64_t n = 5, c = 3;
  std::vector<double> m(c, 0.0), v(c, 0.0);
  for (int step = 0; step < 3; ++step) {
    auto xs = vals(n * c, 10 + step);
    bn(tensor<double>(xs, {n, c}));
    auto s = channel_stats(xs, n, c, 1);
    for (int64_t ch = 0; ch < c; ++ch) {
      m[ch] += s.mean[ch] / 3.0;
      v[ch] += s.var_unbiased[ch] / 3.0;
    }
  }
  // factor 1/1, 1/2, 1/3: the plain average of the three batches' stats
  expect_vec_near(to_vector<double>(bn.buffer("running_mean")), m);
  expect_vec_near(to_vector<double>(bn.buffer("running_var")), v);
  EXPECT_EQ(bn.buffer("num_batches_tracked").item<int64_t>(), 3);
  Tensor rm = zeros({c}, kFloat64), rv = ones({c}, kFloat64);
  EXPECT_SEEK_ERROR(F::batch_norm(tensor<double>(vals(n * c, 1), {n, c}), rm, rv, {}, {}, true, std::nullopt),
                    ValueError, "num_batches_tracked");
}

TEST(NNNormalization, BatchNormNoAffineNoTracking) {
  nn::BatchNorm1d bn(2, 1e-5, 0.1, /*affine=*/false, /*track_running_stats=*/false);
  EXPECT_TRUE(bn.parameters().empty());
  EXPECT_TRUE(bn.state_dict().empty());
  const int64_t n = 3, c = 2, l = 4;
  auto xs = vals(n * c * l, 21);
  Tensor x = tensor<double>(xs, {n, c, l});
  auto s = channel_stats(xs, n, c, l);
  auto want = normalise(xs, n, c, l, s.mean, s.var_biased, {}, {});
  expect_vec_near(to_vector<double>(bn(x)), want);
  bn.eval();  // still batch statistics, as torch
  expect_vec_near(to_vector<double>(bn(x)), want);
  // affine=false but tracking: state dict has only buffers
  nn::BatchNorm1d b2(2, 1e-5, 0.1, false, true);
  EXPECT_EQ(b2.state_dict().size(), 3u);
}

TEST(NNNormalization, BatchNormFloat32MatchesReference) {
  const int64_t n = 8, c = 4, hw = 9;
  auto xs = vals(n * c * hw, 31, 100, 104);  // large mean: (x - mean) keeps accuracy
  nn::BatchNorm2d bn(c);
  Tensor y = bn(tensor<double>(xs, {n, c, 3, 3}).to(kFloat32));
  EXPECT_EQ(y.dtype(), kFloat32);
  auto s = channel_stats(xs, n, c, hw);
  expect_vec_near(to_vector<double>(y.to(kFloat64)), normalise(xs, n, c, hw, s.mean, s.var_biased, {}, {}), 2e-4);
}

TEST(NNNormalization, BatchNormBadInput) {
  nn::BatchNorm2d bn2(3);
  nn::BatchNorm1d bn1(3);
  EXPECT_SEEK_ERROR(bn2(zeros({2, 3, 4})), ShapeError, "expected 4D input (got 3D input)");
  EXPECT_SEEK_ERROR(bn1(zeros({2, 3, 4, 5})), ShapeError, "expected 2D or 3D input (got 4D input)");
  EXPECT_SEEK_ERROR(bn1(zeros({3})), ShapeError, "expected 2D or 3D input (got 1D input)");
  EXPECT_SEEK_ERROR(bn2(zeros({2, 4, 2, 2})), ShapeError, "expected input with 3 channels");
  EXPECT_SEEK_ERROR(bn1(zeros({1, 3})), ValueError, "more than 1 value per channel");
  EXPECT_SEEK_ERROR(bn1(zeros({2, 3}, kInt64)), DTypeError, "must be floating");
  EXPECT_SEEK_ERROR(nn::BatchNorm1d(0), ValueError, "num_features must be positive");
  EXPECT_SEEK_ERROR(F::batch_norm(zeros({4, 3}), zeros({2}), ones({2})), ShapeError,
                    "running_mean must have shape [3]");
  EXPECT_SEEK_ERROR(F::batch_norm(zeros({4, 3}), zeros({3}), Tensor()), ValueError, "both be defined");
  EXPECT_SEEK_ERROR(F::batch_norm(zeros({4}), Tensor(), Tensor()), ShapeError, "[N, C]");
  EXPECT_SEEK_ERROR(F::batch_norm(zeros({4, 3}), Tensor(), Tensor(), ones({4})), ShapeError,
                    "weight must have shape [3]");
}

TEST(NNNormalization, GroupNormMatchesReference) {
  const int64_t n = 2, c = 6, g = 3, l = 4;
  auto xs = vals(n * c * l, 41);
  std::vector<double> w = vals(c, 42), b = vals(c, 43);
  // each (sample, group) is a [c/g * l] block of the contiguous buffer
  const int64_t gs = c / g * l;
  std::vector<double> want(xs.size());
  for (int64_t blk = 0; blk < n * g; ++blk) {
    double m = 0, v = 0;
    for (int64_t k = 0; k < gs; ++k) m += xs[blk * gs + k] / gs;
    for (int64_t k = 0; k < gs; ++k) v += (xs[blk * gs + k] - m) * (xs[blk * gs + k] - m) / gs;
    for (int64_t k = 0; k < gs; ++k) {
      int64_t idx = blk * gs + k, ch = (idx / l) % c;
      want[idx] = (xs[idx] - m) / std::sqrt(v + 1e-5) * w[ch] + b[ch];
    }
  }
  Tensor x = tensor<double>(xs, {n, c, 2, 2});
  Tensor y = F::group_norm(x, g, tensor<double>(w, {c}), tensor<double>(b, {c}));
  EXPECT_EQ(y.sizes(), (Shape{n, c, 2, 2}));
  expect_vec_near(to_vector<double>(y), want);
  nn::GroupNorm gn(g, c);
  EXPECT_EQ(gn.repr(), "GroupNorm(3, 6, eps=1e-05, affine=True)");
  gn.to(kFloat64);
  gn.load_state_dict({{"weight", tensor<double>(w, {c})}, {"bias", tensor<double>(b, {c})}});
  expect_vec_near(to_vector<double>(gn(x)), want);
  std::vector<std::string> keys;
  for (auto& [k, t] : gn.state_dict()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"weight", "bias"}));
  nn::GroupNorm plain(g, c, 1e-5, false);
  EXPECT_TRUE(plain.state_dict().empty());
  // without affine: each group has mean 0 and biased variance ~1
  Tensor yp = plain(x).reshape({n * g, gs});
  auto [var, mean] = var_mean(yp, {1}, 0);
  for (double mv : to_vector<double>(mean)) EXPECT_NEAR(mv, 0.0, 1e-12);
  for (double vv : to_vector<double>(var)) EXPECT_NEAR(vv, 1.0, 1e-4);
}

TEST(NNNormalization, GroupNormBadInput) {
  EXPECT_SEEK_ERROR(nn::GroupNorm(4, 6), ValueError, "num_channels must be divisible by num_groups");
  EXPECT_SEEK_ERROR(F::group_norm(zeros({2, 6, 4}), 4), ValueError,
                    "divisible by num_groups, but got input of shape [2, 6, 4]");
  EXPECT_SEEK_ERROR(F::group_norm(zeros({6}), 3), ShapeError, "at least 2 dimensions");
  EXPECT_SEEK_ERROR(F::group_norm(zeros({2, 6}), 3, ones({5})), ShapeError, "weight must have shape [6]");
  EXPECT_SEEK_ERROR(F::group_norm(zeros({2, 6}, kInt32), 3), DTypeError, "must be floating");
}

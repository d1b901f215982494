// max_pool2d / avg_pool2d / adaptive_avg_pool2d against float64 loops written here.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "seek/seek.h"
#include "support/test_util.h"

using namespace seek;
using seek::testing::uniform_tensor;

namespace {

struct PoolCfg {
  int64_t N, C, H, W;
  Int2 k, s, pad, dil;
  bool ceil;
};

// torch's output size rule.
int64_t out_len(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d, bool ceil_mode) {
  const int64_t num = in + 2 * p - d * (k - 1) - 1;
  int64_t o = (ceil_mode ? (num + s - 1) / s : num / s) + 1;
  if (ceil_mode && (o - 1) * s >= in + p) --o;
  return o;
}

void expect_close(const Tensor& got, const std::vector<double>& want, double tol, const std::string& what) {
  std::vector<double> g = to_vector<double>(got.to(kFloat64));
  ASSERT_EQ(g.size(), want.size()) << what;
  for (size_t i = 0; i < g.size(); ++i) ASSERT_NEAR(g[i], want[i], tol) << what << " [" << i << "]";
}

const std::vector<PoolCfg> kCfgs = {
    {1, 1, 4, 4, 2, 2, 0, 1, false}, {3, 2, 7, 6, 3, 2, 1, 1, false},
    {3, 2, 7, 6, 3, 2, 1, 1, true},  {2, 3, 9, 8, {3, 2}, {2, 3}, {1, 1}, 1, true},
    {2, 2, 8, 8, 2, 1, 0, 2, false}, {1, 2, 5, 5, 3, 3, 1, {2, 1}, true},
};

}  // namespace

TEST(MaxPool2d, MatchesNaiveLoopsWithIndices) {
  for (size_t t = 0; t < kCfgs.size(); ++t) {
    const PoolCfg& c = kCfgs[t];
    Tensor x = uniform_tensor({c.N, c.C, c.H, c.W}, -1, 1, kFloat64, 5 + t);
    auto xv = to_vector<double>(x);
    const int64_t OH = out_len(c.H, c.k.h, c.s.h, c.pad.h, c.dil.h, c.ceil);
    const int64_t OW = out_len(c.W, c.k.w, c.s.w, c.pad.w, c.dil.w, c.ceil);
    std::vector<double> want, want_idx;
    for (int64_t pl = 0; pl < c.N * c.C; ++pl)
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow) {
          double m = -std::numeric_limits<double>::infinity();
          int64_t mi = -1;
          for (int64_t i = 0; i < c.k.h; ++i)
            for (int64_t j = 0; j < c.k.w; ++j) {
              const int64_t ih = oh * c.s.h - c.pad.h + i * c.dil.h, iw = ow * c.s.w - c.pad.w + j * c.dil.w;
              if (ih < 0 || ih >= c.H || iw < 0 || iw >= c.W) continue;
              if (xv[pl * c.H * c.W + ih * c.W + iw] > m) m = xv[pl * c.H * c.W + ih * c.W + iw], mi = ih * c.W + iw;
            }
          want.push_back(m);
          want_idx.push_back(static_cast<double>(mi));
        }
    auto [v, idx] = max_pool2d_with_indices(x, c.k, c.s, c.pad, c.dil, c.ceil);
    EXPECT_EQ(v.sizes(), (Shape{c.N, c.C, OH, OW})) << t;
    EXPECT_EQ(idx.dtype(), kInt64);
    expect_close(v, want, 0, "max config " + std::to_string(t));
    expect_close(idx, want_idx, 0, "indices config " + std::to_string(t));
    expect_close(max_pool2d(x.to(kFloat32), c.k, c.s, c.pad, c.dil, c.ceil), want, 1e-7, "f32");
    expect_close(max_pool2d(x.to(kBFloat16), c.k, c.s, c.pad, c.dil, c.ceil), want, 1e-2, "bf16");
  }
}

TEST(MaxPool2d, CeilModeShapeAndStrideDefault) {
  // torch: 5 -> floor((5-2)/2)+1 = 2, ceil -> 3; stride defaults to the kernel.
  EXPECT_EQ(max_pool2d(zeros({1, 1, 5, 5}), 2).sizes(), (Shape{1, 1, 2, 2}));
  EXPECT_EQ(max_pool2d(zeros({1, 1, 5, 5}), 2, {}, 0, 1, true).sizes(), (Shape{1, 1, 3, 3}));
  // A last window starting in the padding is dropped: in 4, k 2, s 2, pad 1 -> 3, not 4.
  EXPECT_EQ(max_pool2d(zeros({1, 1, 4, 4}), 2, 2, 1, 1, true).sizes(), (Shape{1, 1, 3, 3}));
  EXPECT_EQ(max_pool2d(zeros({2, 5, 5}), 2).sizes(), (Shape{2, 2, 2}));  // unbatched
}

TEST(MaxPool2d, PropagatesNaNAndRoutesGradientToArgmax) {
  // Only the last window contains the NaN.
  Tensor x = tensor<double>({1, 5, 3, 2, 0, 0, 4, 1, std::nan("")}, {1, 1, 3, 3});
  auto v = to_vector<double>(max_pool2d(x, 2, 1));
  EXPECT_EQ(v[0], 5.0);
  EXPECT_EQ(v[1], 5.0);
  EXPECT_EQ(v[2], 4.0);
  EXPECT_TRUE(std::isnan(v[3]));
  Tensor a = tensor<double>({1, 5, 3, 2, 9, 0, 4, 1, 2}, {1, 1, 3, 3}).requires_grad_();
  max_pool2d(a, 2, 1).sum().backward();
  // windows' maxima: 9, 9, 9, 9 (the centre) -> gradient 4 at the centre only
  expect_close(a.grad(), {0, 0, 0, 0, 4, 0, 0, 0, 0}, 0, "grad");
}

TEST(MaxPool2d, TiesPickTheFirstMaximumAndInfiniteWindowsKeepAValidIndex) {
  const double inf = std::numeric_limits<double>::infinity();
  // Window 0 (k 2, s 2): a tie of 3s -> the first (row-major) one; window 1: all -inf -> its first tap;
  // the ceil-mode window clipped to the last row, a NaN after a number -> the NaN; the last: a tie of 0s.
  Tensor x = tensor<double>({3, 1, -inf, -inf, 3, 2, -inf, -inf, 7, std::nan(""), 0, 0}, {1, 1, 3, 4}).requires_grad_();
  Tensor y = max_pool2d(x, 2, 2, 0, 1, true);
  auto v = to_vector<double>(y);
  ASSERT_EQ(v.size(), 4u);
  EXPECT_EQ(v[0], 3.0);
  EXPECT_EQ(v[1], -inf);
  EXPECT_TRUE(std::isnan(v[2]));
  EXPECT_EQ(v[3], 0.0);
  y.backward(ones_like(y));
  // Gradients land on index 0 (first 3), index 2 (first -inf tap), index 9 (the NaN), index 10 (first 0).
  expect_close(x.grad(), {1, 0, 1, 0, 0, 0, 0, 0, 0, 1, 1, 0}, 0, "grad");
}

TEST(MaxPool2d, SeveralNaNsGiveTheIndexOfTheLastLikeTorch) {
  // torch 1.13: max_pool2d(x, 2, return_indices=True) -> [5, 2]; with kernel (1, 3) -> [2, 4].
  const double nan = std::nan("");
  Tensor x = tensor<double>({nan, 1, nan, 2, 3, nan, 0, 0}, {1, 1, 2, 4});
  auto [v, i] = max_pool2d_with_indices(x, 2);
  EXPECT_TRUE(std::isnan(to_vector<double>(v)[0]) && std::isnan(to_vector<double>(v)[1]));
  EXPECT_EQ(to_vector<int64_t>(i), (std::vector<int64_t>{5, 2}));
  Tensor y = tensor<double>({nan, 1, nan, 3, nan, 0}, {1, 1, 2, 3});
  auto [v2, i2] = max_pool2d_with_indices(y, {1, 3});
  EXPECT_EQ(to_vector<int64_t>(i2), (std::vector<int64_t>{2, 4}));
}

TEST(AvgPool2d, MatchesNaiveLoops) {
  for (size_t t = 0; t < kCfgs.size(); ++t) {
    PoolCfg c = kCfgs[t];
    c.dil = 1;
    for (bool include : {true, false}) {
      Tensor x = uniform_tensor({c.N, c.C, c.H, c.W}, -1, 1, kFloat64, 15 + t);
      auto xv = to_vector<double>(x);
      const int64_t OH = out_len(c.H, c.k.h, c.s.h, c.pad.h, 1, c.ceil),
                    OW = out_len(c.W, c.k.w, c.s.w, c.pad.w, 1, c.ceil);
      std::vector<double> want;
      for (int64_t pl = 0; pl < c.N * c.C; ++pl)
        for (int64_t oh = 0; oh < OH; ++oh)
          for (int64_t ow = 0; ow < OW; ++ow) {
            double s = 0;
            int64_t inside = 0, padded = 0;
            for (int64_t i = 0; i < c.k.h; ++i)
              for (int64_t j = 0; j < c.k.w; ++j) {
                const int64_t ih = oh * c.s.h - c.pad.h + i, iw = ow * c.s.w - c.pad.w + j;
                // Window positions in the (implicit) padding count; beyond it (ceil mode) they do not.
                if (ih < c.H + c.pad.h && iw < c.W + c.pad.w) ++padded;
                if (ih < 0 || ih >= c.H || iw < 0 || iw >= c.W) continue;
                s += xv[pl * c.H * c.W + ih * c.W + iw];
                ++inside;
              }
            want.push_back(s / static_cast<double>(include ? padded : inside));
          }
      Tensor y = avg_pool2d(x, c.k, c.s, c.pad, c.ceil, include);
      EXPECT_EQ(y.sizes(), (Shape{c.N, c.C, OH, OW}));
      expect_close(y, want, 1e-12, "avg config " + std::to_string(t) + (include ? " include" : " exclude"));
      expect_close(avg_pool2d(x.to(kFloat16), c.k, c.s, c.pad, c.ceil, include), want, 2e-3, "f16");
    }
  }
}

TEST(AdaptiveAvgPool2d, UnevenWindows) {
  for (auto [H, W, OH, OW] :
       std::vector<std::array<int64_t, 4>>{{5, 7, 3, 4}, {4, 4, 2, 2}, {3, 5, 1, 1}, {3, 3, 5, 4}, {6, 9, 4, 5}}) {
    Tensor x = uniform_tensor({2, 3, H, W}, -1, 1, kFloat64, 99);
    auto xv = to_vector<double>(x);
    std::vector<double> want;
    for (int64_t pl = 0; pl < 6; ++pl)
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow) {
          const int64_t h0 = static_cast<int64_t>(std::floor(double(oh * H) / OH));
          const int64_t h1 = static_cast<int64_t>(std::ceil(double((oh + 1) * H) / OH));
          const int64_t w0 = static_cast<int64_t>(std::floor(double(ow * W) / OW));
          const int64_t w1 = static_cast<int64_t>(std::ceil(double((ow + 1) * W) / OW));
          double s = 0;
          for (int64_t i = h0; i < h1; ++i)
            for (int64_t j = w0; j < w1; ++j) s += xv[pl * H * W + i * W + j];
          want.push_back(s / double((h1 - h0) * (w1 - w0)));
        }
    Tensor y = adaptive_avg_pool2d(x, {OH, OW});
    EXPECT_EQ(y.sizes(), (Shape{2, 3, OH, OW}));
    expect_close(y, want, 1e-12, "adaptive " + std::to_string(H) + "x" + std::to_string(W));
  }
  // Non-contiguous and unbatched input.
  Tensor base = uniform_tensor({3, 7, 5}, -1, 1, kFloat64, 4);
  expect_close(adaptive_avg_pool2d(base.transpose(1, 2), {2, 3}),
               to_vector<double>(adaptive_avg_pool2d(base.transpose(1, 2).contiguous(), {2, 3})), 1e-15, "strided");
}

TEST(Pool2d, BadInput) {
  EXPECT_SEEK_ERROR(max_pool2d(zeros({1, 1, 4, 4}), 3, 1, 2), ValueError,
                    "pad should be non-negative and at most half of effective kernel size");
  EXPECT_SEEK_ERROR(max_pool2d(zeros({1, 1, 2, 2}), 3), ShapeError, "is too small");
  EXPECT_SEEK_ERROR(max_pool2d(zeros({1, 1, 4, 4}), 0), ValueError, "kernel_size must be positive");
  EXPECT_SEEK_ERROR(max_pool2d(zeros({1, 1, 4, 4}), 2, 0), ValueError, "stride must be positive");
  EXPECT_SEEK_ERROR(max_pool2d(zeros({4, 4}), 2), ShapeError, "expected 3-D or 4-D input");
  EXPECT_SEEK_ERROR(max_pool2d(zeros({1, 1, 4, 4}, TensorOptions(kInt64)), 2), DTypeError, "max_pool2d");
  EXPECT_SEEK_ERROR(avg_pool2d(zeros({1, 1, 2, 2}), 3), ShapeError, "avg_pool2d");
  EXPECT_SEEK_ERROR(avg_pool2d(zeros({1, 1, 4, 4}), 2, 2, 2), ValueError, "at most half");
  EXPECT_SEEK_ERROR(adaptive_avg_pool2d(zeros({1, 1, 4, 4}), {-1, 2}), ValueError, "output_size must be non-negative");
  EXPECT_SEEK_ERROR(adaptive_avg_pool2d(zeros({1, 0, 4, 4}), 2), ShapeError, "non-zero channel and spatial sizes");
}

TEST(Pool2d, BackendRejectsOutOfRangeIndices) {
  Tensor g = ones({1, 1, 1, 1}), gi = zeros({1, 1, 2, 2});
  Tensor idx = tensor<int64_t>({4}, {1, 1, 1, 1});
  EXPECT_SEEK_ERROR(backend(Device()).max_pool2d_backward(g, idx, gi), IndexError, "out of range");
}

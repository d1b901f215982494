// conv2d / conv_transpose2d against naive float64 loops written here.
#include <gtest/gtest.h>

#include <cmath>

#include "seek/seek.h"
#include "support/test_util.h"

using namespace seek;
using seek::testing::uniform_tensor;

namespace {

struct Cfg {
  int64_t N, C, H, W, O, kh, kw;
  Int2 stride, padding, dilation;
  int64_t groups;
  bool bias;
};

// The 7-loop definition of conv2d in float64 (x, w, b row-major).
std::vector<double> ref_conv(const std::vector<double>& x, const std::vector<double>& w, const std::vector<double>& b,
                             const Cfg& c, int64_t OH, int64_t OW) {
  const int64_t Cg = c.C / c.groups, Og = c.O / c.groups;
  std::vector<double> y(static_cast<size_t>(c.N * c.O * OH * OW), 0.0);
  for (int64_t n = 0; n < c.N; ++n)
    for (int64_t o = 0; o < c.O; ++o)
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow) {
          double s = b.empty() ? 0.0 : b[o];
          const int64_t g = o / Og;
          for (int64_t ci = 0; ci < Cg; ++ci)
            for (int64_t i = 0; i < c.kh; ++i)
              for (int64_t j = 0; j < c.kw; ++j) {
                const int64_t ih = oh * c.stride.h - c.padding.h + i * c.dilation.h;
                const int64_t iw = ow * c.stride.w - c.padding.w + j * c.dilation.w;
                if (ih < 0 || ih >= c.H || iw < 0 || iw >= c.W) continue;
                s += x[((n * c.C + g * Cg + ci) * c.H + ih) * c.W + iw] * w[((o * Cg + ci) * c.kh + i) * c.kw + j];
              }
          y[((n * c.O + o) * OH + oh) * OW + ow] = s;
        }
  return y;
}

void expect_close(const Tensor& got, const std::vector<double>& want, double tol, const std::string& what) {
  std::vector<double> g = to_vector<double>(got.to(kFloat64));
  ASSERT_EQ(g.size(), want.size()) << what;
  for (size_t i = 0; i < g.size(); ++i)
    ASSERT_NEAR(g[i], want[i], tol * (1 + std::fabs(want[i]))) << what << " [" << i << "]";
}

const std::vector<Cfg> kConfigs = {
    {1, 3, 5, 5, 4, 3, 3, 1, 0, 1, 1, true},
    {3, 3, 7, 6, 5, 3, 3, 1, 1, 1, 1, true},
    {3, 2, 8, 9, 3, 3, 2, {2, 1}, {1, 0}, 1, 1, true},
    {1, 2, 9, 9, 2, 3, 3, 1, 2, 2, 1, false},
    {3, 4, 6, 6, 6, 2, 3, 2, {0, 1}, {1, 2}, 2, true},
    {3, 4, 6, 5, 4, 3, 3, 1, 1, 1, 4, true},   // depthwise
    {2, 3, 5, 5, 6, 3, 3, 2, 1, 1, 3, false},  // depthwise with multiplier 2
    {1, 6, 4, 4, 3, 1, 1, 1, 0, 1, 3, true},   // 1x1 grouped
    {3, 8, 12, 11, 16, 5, 1, {1, 2}, {2, 0}, 1, 2, true},
    {7, 2, 20, 20, 3, 3, 3, 1, 1, 1, 1, true},  // several images per GEMM, with a remainder
};

}  // namespace

TEST(Conv2d, MatchesNaiveLoopsFloat64AndFloat32) {
  for (size_t k = 0; k < kConfigs.size(); ++k) {
    const Cfg& c = kConfigs[k];
    Tensor x = uniform_tensor({c.N, c.C, c.H, c.W}, -1, 1, kFloat64, 11 + k);
    Tensor w = uniform_tensor({c.O, c.C / c.groups, c.kh, c.kw}, -1, 1, kFloat64, 23 + k);
    Tensor b = c.bias ? uniform_tensor({c.O}, -1, 1, kFloat64, 31 + k) : Tensor();
    const int64_t OH = (c.H + 2 * c.padding.h - c.dilation.h * (c.kh - 1) - 1) / c.stride.h + 1;
    const int64_t OW = (c.W + 2 * c.padding.w - c.dilation.w * (c.kw - 1) - 1) / c.stride.w + 1;
    auto want = ref_conv(to_vector<double>(x), to_vector<double>(w),
                         c.bias ? to_vector<double>(b) : std::vector<double>{}, c, OH, OW);
    Tensor y = conv2d(x, w, b, c.stride, c.padding, c.dilation, c.groups);
    EXPECT_EQ(y.sizes(), (Shape{c.N, c.O, OH, OW})) << k;
    expect_close(y, want, 1e-12, "f64 config " + std::to_string(k));
    Tensor y32 = conv2d(x.to(kFloat32), w.to(kFloat32), c.bias ? b.to(kFloat32) : Tensor(), c.stride, c.padding,
                        c.dilation, c.groups);
    EXPECT_EQ(y32.dtype(), kFloat32);
    expect_close(y32, want, 1e-5, "f32 config " + std::to_string(k));
  }
}

// conv2d is linear in x and in w, so the gradients must satisfy the adjoint identities
// <g, conv(x, w)> = <x, grad_x> = <w, grad_w>. Batch 7 of 20x20 images puts several images
// in one GEMM with a remainder; stride 1 takes the grad-input-as-conv path, stride 2 col2im.
TEST(Conv2d, GradientsSatisfyAdjointIdentityOnBatchedImages) {
  for (int64_t stride : {1, 2}) {
    Tensor x = uniform_tensor({7, 4, 20, 20}, -1, 1, kFloat64, 51).requires_grad_(true);
    Tensor w = uniform_tensor({6, 2, 3, 3}, -1, 1, kFloat64, 52).requires_grad_(true);
    Tensor y = conv2d(x, w, Tensor(), stride, 1, 1, 2);
    Tensor g = uniform_tensor(y.sizes(), -1, 1, kFloat64, 53);
    y.backward(g);
    const double yg = (y.detach() * g).sum().item<double>();
    const double xg = (x.detach() * x.grad()).sum().item<double>();
    const double wg = (w.detach() * w.grad()).sum().item<double>();
    EXPECT_NEAR(xg, yg, 1e-9 * std::abs(yg) + 1e-9) << "stride " << stride;
    EXPECT_NEAR(wg, yg, 1e-9 * std::abs(yg) + 1e-9) << "stride " << stride;
  }
}

TEST(Conv2d, ReducedPrecisionComputesInFloat) {
  const Cfg c{2, 3, 6, 6, 4, 3, 3, 1, 1, 1, 1, true};
  Tensor x = uniform_tensor({2, 3, 6, 6}, -1, 1, kFloat64, 3), w = uniform_tensor({4, 3, 3, 3}, -1, 1, kFloat64, 4);
  Tensor b = uniform_tensor({4}, -1, 1, kFloat64, 5);
  for (DType dt : {kFloat16, kBFloat16}) {
    Tensor xr = x.to(dt), wr = w.to(dt), br = b.to(dt);
    auto want = ref_conv(to_vector<double>(xr.to(kFloat64)), to_vector<double>(wr.to(kFloat64)),
                         to_vector<double>(br.to(kFloat64)), c, 6, 6);
    Tensor y = conv2d(xr, wr, br, 1, 1);
    EXPECT_EQ(y.dtype(), dt);
    expect_close(y, want, dt == kFloat16 ? 4e-3 : 3e-2, "reduced");
  }
}

TEST(Conv2d, NonContiguousInputAndUnbatched) {
  const Cfg c{2, 3, 5, 6, 4, 3, 2, 1, 1, 1, 1, true};
  // x is a transposed view [N, C, H, W] of a [N, C, W, H] tensor.
  Tensor base = uniform_tensor({2, 3, 6, 5}, -1, 1, kFloat64, 41);
  Tensor x = base.transpose(2, 3);
  ASSERT_FALSE(x.is_contiguous());
  Tensor w = uniform_tensor({4, 3, 3, 2}, -1, 1, kFloat64, 42);
  Tensor b = uniform_tensor({4}, -1, 1, kFloat64, 43);
  auto want = ref_conv(to_vector<double>(x.contiguous()), to_vector<double>(w), to_vector<double>(b), c, 5, 7);
  expect_close(conv2d(x, w, b, 1, 1), want, 1e-12, "non-contiguous");
  // Unbatched [C, H, W] gives the batch-1 result without the batch dim.
  Tensor y1 = conv2d(x.select(0, 1), w, b, 1, 1);
  EXPECT_EQ(y1.sizes(), (Shape{4, 5, 7}));
  expect_close(y1, std::vector<double>(want.begin() + 4 * 5 * 7, want.end()), 1e-12, "unbatched");
}

TEST(ConvTranspose2d, MatchesScatterDefinition) {
  struct T {
    int64_t N, Cin, H, W, Cout, kh, kw;
    Int2 stride, padding, outpad;
    int64_t groups;
    Int2 dilation;
  };
  const std::vector<T> cfgs = {{1, 2, 3, 3, 3, 3, 3, 1, 0, 0, 1, 1},
                               {3, 4, 4, 3, 2, 3, 2, 2, 1, 1, 2, 1},
                               {2, 3, 3, 4, 6, 2, 3, {2, 3}, {0, 1}, {1, 2}, 3, {2, 1}}};
  for (size_t k = 0; k < cfgs.size(); ++k) {
    const T& c = cfgs[k];
    const int64_t Cig = c.Cin / c.groups, Cog = c.Cout / c.groups;
    Tensor x = uniform_tensor({c.N, c.Cin, c.H, c.W}, -1, 1, kFloat64, 51 + k);
    Tensor w = uniform_tensor({c.Cin, Cog, c.kh, c.kw}, -1, 1, kFloat64, 61 + k);
    Tensor b = uniform_tensor({c.Cout}, -1, 1, kFloat64, 71 + k);
    const int64_t OH = (c.H - 1) * c.stride.h - 2 * c.padding.h + c.dilation.h * (c.kh - 1) + c.outpad.h + 1;
    const int64_t OW = (c.W - 1) * c.stride.w - 2 * c.padding.w + c.dilation.w * (c.kw - 1) + c.outpad.w + 1;
    auto xv = to_vector<double>(x), wv = to_vector<double>(w), bv = to_vector<double>(b);
    std::vector<double> want(static_cast<size_t>(c.N * c.Cout * OH * OW));
    for (int64_t n = 0; n < c.N; ++n)
      for (int64_t co = 0; co < c.Cout; ++co)
        for (int64_t l = 0; l < OH * OW; ++l) want[(n * c.Cout + co) * OH * OW + l] = bv[co];
    // Scatter: every input element adds input * weight into the output window it maps to.
    for (int64_t n = 0; n < c.N; ++n)
      for (int64_t ci = 0; ci < c.Cin; ++ci)
        for (int64_t h = 0; h < c.H; ++h)
          for (int64_t w_ = 0; w_ < c.W; ++w_)
            for (int64_t oc = 0; oc < Cog; ++oc)
              for (int64_t i = 0; i < c.kh; ++i)
                for (int64_t j = 0; j < c.kw; ++j) {
                  const int64_t oh = h * c.stride.h - c.padding.h + i * c.dilation.h;
                  const int64_t ow = w_ * c.stride.w - c.padding.w + j * c.dilation.w;
                  if (oh < 0 || oh >= OH || ow < 0 || ow >= OW) continue;
                  const int64_t co = (ci / Cig) * Cog + oc;
                  want[((n * c.Cout + co) * OH + oh) * OW + ow] +=
                      xv[((n * c.Cin + ci) * c.H + h) * c.W + w_] * wv[((ci * Cog + oc) * c.kh + i) * c.kw + j];
                }
    Tensor y = conv_transpose2d(x, w, b, c.stride, c.padding, c.outpad, c.groups, c.dilation);
    EXPECT_EQ(y.sizes(), (Shape{c.N, c.Cout, OH, OW})) << k;
    expect_close(y, want, 1e-12, "conv_transpose2d config " + std::to_string(k));
    expect_close(conv_transpose2d(x.to(kFloat32), w.to(kFloat32), b.to(kFloat32), c.stride, c.padding, c.outpad,
                                  c.groups, c.dilation),
                 want, 1e-5, "f32");
  }
}

TEST(Conv2d, BackwardMatchesTransposedConv) {
  // conv2d's input gradient is conv_transpose2d of grad_out with the same weight.
  Tensor x = uniform_tensor({2, 4, 7, 7}, -1, 1, kFloat64, 81).requires_grad_();
  Tensor w = uniform_tensor({6, 2, 3, 3}, -1, 1, kFloat64, 82);
  Tensor y = conv2d(x, w, Tensor(), 2, 1, 1, 2);
  Tensor g = uniform_tensor(y.sizes(), -1, 1, kFloat64, 83);
  y.backward(g);
  expect_close(x.grad(), to_vector<double>(conv_transpose2d(g, w, Tensor(), 2, 1, 0, 2)), 1e-12, "grad");
}

TEST(Conv2d, BatchGradientsEqualSumOfPerImageGradients) {
  // A batch large enough for the threaded path: per-image gradients are computed one image at a time.
  Tensor x = uniform_tensor({8, 4, 10, 10}, -1, 1, kFloat64, 91);
  Tensor w = uniform_tensor({8, 2, 3, 3}, -1, 1, kFloat64, 92).requires_grad_();
  Tensor b = uniform_tensor({8}, -1, 1, kFloat64, 93).requires_grad_();
  Tensor g = uniform_tensor({8, 8, 10, 10}, -1, 1, kFloat64, 94);
  Tensor xb = x.clone().requires_grad_();
  conv2d(xb, w, b, 1, 1, 1, 2).backward(g);
  Tensor gw_batch = w.grad().clone(), gb_batch = b.grad().clone();
  std::vector<double> gw_sum(static_cast<size_t>(w.numel()), 0.0), gb_sum(8, 0.0);
  for (int64_t n = 0; n < 8; ++n) {
    w.set_grad(Tensor());
    b.set_grad(Tensor());
    Tensor xn = x.narrow(0, n, 1).clone().requires_grad_();
    conv2d(xn, w, b, 1, 1, 1, 2).backward(g.narrow(0, n, 1));
    auto gw = to_vector<double>(w.grad()), gb = to_vector<double>(b.grad());
    for (size_t i = 0; i < gw.size(); ++i) gw_sum[i] += gw[i];
    for (size_t i = 0; i < gb.size(); ++i) gb_sum[i] += gb[i];
    expect_close(xb.grad().narrow(0, n, 1), to_vector<double>(xn.grad()), 1e-12, "grad_input image");
  }
  expect_close(gw_batch, gw_sum, 1e-10, "grad_weight");
  expect_close(gb_batch, gb_sum, 1e-10, "grad_bias");
}

TEST(Conv2d, EmptyBatch) {
  Tensor x = zeros({0, 3, 5, 5}, TensorOptions(kFloat64)).requires_grad_();
  Tensor w = uniform_tensor({4, 3, 3, 3}, -1, 1, kFloat64, 1).requires_grad_();
  Tensor b = zeros({4}, TensorOptions(kFloat64)).requires_grad_();
  Tensor y = conv2d(x, w, b);
  EXPECT_EQ(y.sizes(), (Shape{0, 4, 3, 3}));
  y.sum().backward();
  EXPECT_EQ(to_vector<double>(w.grad()), std::vector<double>(108, 0.0));
  EXPECT_EQ(to_vector<double>(b.grad()), std::vector<double>(4, 0.0));
  EXPECT_EQ(conv_transpose2d(zeros({0, 4, 3, 3}), zeros({4, 2, 3, 3})).sizes(), (Shape{0, 2, 5, 5}));
}

TEST(Conv2d, BadInput) {
  Tensor x = zeros({1, 4, 5, 5}), w = zeros({8, 3, 3, 3});
  EXPECT_SEEK_ERROR(conv2d(x, w), ShapeError,
                    "Given groups=1, weight of size [8, 3, 3, 3], expected input[1, 4, 5, 5] to have 3 channels, "
                    "but got 4 channels instead");
  EXPECT_SEEK_ERROR(conv2d(zeros({1, 4, 5, 5}), zeros({3, 2, 3, 3}), Tensor(), 1, 0, 1, 2), ShapeError,
                    "expected weight to be divisible by 2 at dimension 0");
  EXPECT_SEEK_ERROR(conv2d(zeros({1, 3, 2, 2}), zeros({8, 3, 3, 3})), ShapeError,
                    "Kernel size can't be greater than actual input size");
  EXPECT_SEEK_ERROR(conv2d(zeros({1, 3, 5, 5}), zeros({8, 3, 3, 3}), zeros({7})), ShapeError,
                    "expected bias of size [8]");
  EXPECT_SEEK_ERROR(conv2d(zeros({3, 5}), zeros({8, 3, 3, 3})), ShapeError, "expected 3-D (unbatched) or 4-D");
  EXPECT_SEEK_ERROR(conv2d(zeros({1, 3, 5, 5}), zeros({8, 3, 3})), ShapeError, "expected a 4-D weight");
  EXPECT_SEEK_ERROR(conv2d(zeros({1, 3, 5, 5}), zeros({8, 3, 3, 3}), Tensor(), 0), ValueError,
                    "stride must be positive");
  EXPECT_SEEK_ERROR(conv2d(zeros({1, 3, 5, 5}), zeros({8, 3, 3, 3}), Tensor(), 1, -1), ValueError,
                    "padding must be non-negative");
  EXPECT_SEEK_ERROR(conv2d(zeros({1, 3, 5, 5}), zeros({8, 3, 3, 3}), Tensor(), 1, 0, 0), ValueError,
                    "dilation must be positive");
  EXPECT_SEEK_ERROR(conv2d(zeros({1, 3, 5, 5}), zeros({8, 3, 3, 3}), Tensor(), 1, 0, 1, 0), ValueError,
                    "groups must be positive");
  EXPECT_SEEK_ERROR(conv2d(zeros({1, 3, 5, 5}), zeros({8, 3, 3, 3}, TensorOptions(kFloat64))), DTypeError,
                    "expected input, weight and bias to have one dtype");
  EXPECT_SEEK_ERROR(conv2d(zeros({1, 3, 5, 5}, TensorOptions(kInt64)), zeros({8, 3, 3, 3}, TensorOptions(kInt64))),
                    DTypeError, "conv2d");
  EXPECT_SEEK_ERROR(conv_transpose2d(zeros({1, 4, 5, 5}), zeros({3, 2, 3, 3})), ShapeError,
                    "Given transposed=1, weight of size [3, 2, 3, 3], expected input[1, 4, 5, 5] to have 3 channels");
  EXPECT_SEEK_ERROR(conv_transpose2d(zeros({1, 3, 5, 5}), zeros({3, 2, 3, 3}), Tensor(), 1, 0, 1), ValueError,
                    "output padding must be non-negative and smaller than either stride or dilation");
  EXPECT_SEEK_ERROR(conv_transpose2d(zeros({1, 3, 1, 1}), zeros({3, 2, 1, 1}), Tensor(), 1, 1), ShapeError,
                    "is too small");
}

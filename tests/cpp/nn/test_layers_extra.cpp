// Issue 12's C++ layer API: conv3d / conv1d against direct float64 loops, Conv2d's
// padding strings and padding modes, the inplace flags of the activation modules and
// Dropout, and adaptive max pooling's indices. (Values against PyTorch are in
// tests/python/test_nn_functional_extra.py.)
#include <gtest/gtest.h>

#include "seek/seek.h"
#include "support/test_util.h"

using namespace seek;
using seek::testing::uniform_tensor;
namespace F = seek::nn::functional;

namespace {

// Direct 3-D convolution in float64 (no padding; the caller pads).
std::vector<double> conv3d_ref(const Tensor& x, const Tensor& w, std::array<int64_t, 3> s, std::array<int64_t, 3> d,
                               int64_t groups, Shape* out_shape) {
  const auto xv = to_vector<double>(x.contiguous()), wv = to_vector<double>(w.contiguous());
  const int64_t n = x.size(0), c = x.size(1), D = x.size(2), H = x.size(3), W = x.size(4);
  const int64_t o = w.size(0), cg = w.size(1), kd = w.size(2), kh = w.size(3), kw = w.size(4);
  const int64_t od = (D - d[0] * (kd - 1) - 1) / s[0] + 1, oh = (H - d[1] * (kh - 1) - 1) / s[1] + 1,
                ow = (W - d[2] * (kw - 1) - 1) / s[2] + 1;
  *out_shape = {n, o, od, oh, ow};
  std::vector<double> out(n * o * od * oh * ow, 0.0);
  const int64_t og = o / groups;
  for (int64_t b = 0; b < n; ++b)
    for (int64_t oc = 0; oc < o; ++oc)
      for (int64_t i = 0; i < od; ++i)
        for (int64_t j = 0; j < oh; ++j)
          for (int64_t k = 0; k < ow; ++k) {
            double acc = 0;
            for (int64_t ci = 0; ci < cg; ++ci)
              for (int64_t a = 0; a < kd; ++a)
                for (int64_t e = 0; e < kh; ++e)
                  for (int64_t f = 0; f < kw; ++f) {
                    const int64_t ch = (oc / og) * cg + ci;
                    const int64_t z = i * s[0] + a * d[0], y = j * s[1] + e * d[1], xx = k * s[2] + f * d[2];
                    acc += xv[(((b * c + ch) * D + z) * H + y) * W + xx] *
                           wv[(((oc * cg + ci) * kd + a) * kh + e) * kw + f];
                  }
            out[(((b * o + oc) * od + i) * oh + j) * ow + k] = acc;
          }
  (void)c;
  return out;
}

void expect_near(const std::vector<double>& got, const std::vector<double>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-10) << "at " << i;
}

}  // namespace

TEST(Conv3d, MatchesDirectLoopsWithGroupsStrideDilationPadding) {
  Tensor x = uniform_tensor({2, 4, 5, 6, 5}, -1, 1, kFloat64, 1);
  Tensor w = uniform_tensor({6, 2, 2, 3, 2}, -1, 1, kFloat64, 2);
  Tensor y = conv3d(x, w, {}, {2, 1, 2}, {1, 1, 0}, {1, 2, 1}, 2);
  Shape shape;
  auto want = conv3d_ref(pad(x, {0, 0, 1, 1, 1, 1}), w, {2, 1, 2}, {1, 2, 1}, 2, &shape);
  EXPECT_EQ(y.sizes(), shape);
  expect_near(to_vector<double>(y), want);
  // unbatched input gives the unbatched output
  EXPECT_EQ(conv3d(x[0], w, {}, {2, 1, 2}, {1, 1, 0}, {1, 2, 1}, 2).sizes(), (Shape{6, 3, 4, 2}));
}

TEST(Conv1d, IsConv2dOfHeightOne) {
  Tensor x = uniform_tensor({2, 3, 9}, -1, 1, kFloat64, 3);
  Tensor w = uniform_tensor({4, 3, 3}, -1, 1, kFloat64, 4);
  Tensor b = uniform_tensor({4}, -1, 1, kFloat64, 5);
  Tensor y = conv1d(x, w, b, {2}, {1}, {2});
  Tensor want = conv2d(x.unsqueeze(2), w.unsqueeze(2), b, Int2(1, 2), Int2(0, 1), Int2(1, 2)).squeeze(2);
  expect_near(to_vector<double>(y), to_vector<double>(want));
  EXPECT_SEEK_ERROR(conv1d(x, w.unsqueeze(0)), ShapeError, "3-D weight");
  EXPECT_SEEK_ERROR(conv1d(x, w, {}, {1, 2}), ValueError, "stride");
}

TEST(NNConv2d, PaddingSameValidAndModes) {
  Tensor x = uniform_tensor({1, 2, 6, 5}, -1, 1, kFloat64, 6);
  nn::Conv2d same(2, 3, {4, 3}, 1, 0, 1, 1, true, TensorOptions(kFloat64), "zeros", "same");
  EXPECT_EQ(same.forward(x).sizes(), (Shape{1, 3, 6, 5}));
  // total padding 3 rows (1 above, 2 below) and 2 columns
  Tensor want = conv2d(pad(x, {1, 1, 1, 2}), same.weight(), same.bias());
  expect_near(to_vector<double>(same.forward(x)), to_vector<double>(want));
  EXPECT_EQ(same.repr(), "Conv2d(2, 3, kernel_size=(4, 3), stride=(1, 1), padding=same)");

  nn::Conv2d circ(2, 3, 3, 1, {2, 1}, 1, 1, true, TensorOptions(kFloat64), "circular");
  want = conv2d(pad(x, {1, 1, 2, 2}, "circular"), circ.weight(), circ.bias());
  expect_near(to_vector<double>(circ.forward(x)), to_vector<double>(want));
  EXPECT_EQ(circ.repr(), "Conv2d(2, 3, kernel_size=(3, 3), stride=(1, 1), padding=(2, 1), padding_mode=circular)");

  nn::Conv2d valid(2, 3, 3, 1, 0, 1, 1, true, TensorOptions(kFloat64), "zeros", "valid");
  EXPECT_EQ(valid.forward(x).sizes(), (Shape{1, 3, 4, 3}));
  EXPECT_SEEK_ERROR(nn::Conv2d(2, 3, 3, 2, 0, 1, 1, true, {}, "zeros", "same"), ValueError, "strided");
  EXPECT_SEEK_ERROR(nn::Conv2d(2, 3, 3, 1, 0, 1, 1, true, {}, "mirror"), ValueError, "padding_mode");
  EXPECT_SEEK_ERROR(convolution(x, same.weight(), {}, {2}, std::string("same"), {1}, 1), ValueError, "strided");
}

TEST(NNActivations, InplaceFlagsOverwriteTheInput) {
  Tensor x = tensor<double>({-1.0, 2.0, -3.0, 7.0}, {4});
  nn::ReLU relu(true);
  Tensor y = relu.forward(x);
  EXPECT_EQ(to_vector<double>(x), (std::vector<double>{0.0, 2.0, 0.0, 7.0}));
  EXPECT_EQ(y.data_ptr(), x.data_ptr());
  EXPECT_EQ(relu.repr(), "ReLU(inplace=True)");
  EXPECT_EQ(nn::ReLU().repr(), "ReLU()");
  Tensor z = tensor<double>({-1.0, 8.0}, {2});
  nn::ReLU6(true).forward(z);
  EXPECT_EQ(to_vector<double>(z), (std::vector<double>{0.0, 6.0}));
  Tensor l = tensor<double>({-1.0, 1.0}, {2});
  nn::LeakyReLU lr(0.5, true);
  lr.forward(l);
  EXPECT_EQ(to_vector<double>(l), (std::vector<double>{-0.5, 1.0}));
  EXPECT_EQ(lr.repr(), "LeakyReLU(negative_slope=0.5, inplace=True)");
  // out of place by default
  Tensor k = tensor<double>({-1.0}, {1});
  nn::ReLU().forward(k);
  EXPECT_EQ(to_vector<double>(k), (std::vector<double>{-1.0}));
}

TEST(NNActivations, InplaceUnderAutogradKeepsTheGradient) {
  Tensor leaf = tensor<double>({-1.0, 2.0}, {2}).requires_grad_(true);
  Tensor h = leaf * 3.0;
  Tensor& out = F::apply_inplace(h, [](const Tensor& t) { return elu(t, 0.5); });
  out.sum().backward();
  auto g = to_vector<double>(leaf.grad());
  EXPECT_NEAR(g[0], 3.0 * 0.5 * std::exp(-3.0), 1e-12);
  EXPECT_NEAR(g[1], 3.0, 1e-12);
  Tensor p = tensor<double>({1.0}, {1}).requires_grad_(true);
  EXPECT_THROW(nn::ReLU(true).forward(p), Error);
}

TEST(NNDropout, InplaceInTrainingOnly) {
  manual_seed(4);
  nn::Dropout d(0.5, true);
  Tensor x = ones({64, 32}, kFloat64);
  d.forward(x);
  for (double v : to_vector<double>(x)) EXPECT_TRUE(v == 0.0 || v == 2.0);
  EXPECT_EQ(d.repr(), "Dropout(p=0.5, inplace=True)");
  d.eval();
  Tensor e = ones({3}, kFloat64);
  d.forward(e);
  EXPECT_EQ(to_vector<double>(e), (std::vector<double>{1.0, 1.0, 1.0}));
}

TEST(AdaptiveMaxPool2d, IndicesPointAtTheMaxima) {
  Tensor x = uniform_tensor({2, 3, 7, 5}, -1, 1, kFloat64, 9);
  for (std::vector<int64_t> os : {std::vector<int64_t>{3, 2}, std::vector<int64_t>{7, 5}, std::vector<int64_t>{1}}) {
    auto [v, i] = adaptive_max_pool2d(x, os);
    EXPECT_EQ(i.dtype(), kInt64);
    Tensor picked = x.flatten(2).gather(2, i.flatten(2)).view(v.sizes());
    EXPECT_EQ(to_vector<double>(picked), to_vector<double>(v));
  }
  auto [v, i] = adaptive_max_pool2d(x, {3, 2});
  EXPECT_EQ(v.sizes(), (Shape{2, 3, 3, 2}));
  // window (1, 1) spans rows [2, 5) and columns [2, 5)
  EXPECT_DOUBLE_EQ(to_vector<double>(v.select(2, 1).select(2, 1))[0],
                   to_vector<double>(x.slice(2, 2, 5).slice(3, 2, 5).amax({2, 3}))[0]);
}

TEST(Pool3d, SeparableFormsMatchBruteForce) {
  Tensor x = uniform_tensor({1, 2, 4, 5, 4}, -1, 1, kFloat64, 10);
  Tensor m = max_pool3d(x, {2, 3, 2}, {1, 2, 2}, {0});
  Tensor a = avg_pool3d(x, {2, 3, 2}, {1, 2, 2}, {0});
  EXPECT_EQ(m.sizes(), (Shape{1, 2, 3, 2, 2}));
  for (int64_t c = 0; c < 2; ++c)
    for (int64_t i = 0; i < 3; ++i)
      for (int64_t j = 0; j < 2; ++j)
        for (int64_t k = 0; k < 2; ++k) {
          Tensor win =
              x.select(0, 0).select(0, c).slice(0, i, i + 2).slice(1, 2 * j, 2 * j + 3).slice(2, 2 * k, 2 * k + 2);
          EXPECT_DOUBLE_EQ(m.select(0, 0).select(0, c).select(0, i).select(0, j).select(0, k).item<double>(),
                           win.max().item<double>());
          EXPECT_NEAR(a.select(0, 0).select(0, c).select(0, i).select(0, j).select(0, k).item<double>(),
                      win.mean().item<double>(), 1e-12);
        }
}

// The direct float32 conv path (src/backend/cpu/cpu_conv_direct*.cpp: stride 1, dilation 1,
// groups 1, padding <= kernel - 1; the channel-vector variant; the strided input gradient)
// against float64 conv2d, which stays on im2col + GEMM: forward, grad_input, grad_weight and
// grad_bias on many shapes, paddings and layouts, determinism, and the convs just outside the
// direct path.
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "seek/seek.h"
#include "support/test_util.h"

using namespace seek;
using seek::testing::uniform_tensor;

namespace {

struct Case {
  int64_t N, C, H, W, O, kh, kw, ph, pw;
  bool bias;
  int64_t sh = 1, sw = 1, dh = 1, dw = 1;  // stride, dilation
  std::string str() const {
    return "N" + std::to_string(N) + " C" + std::to_string(C) + " " + std::to_string(H) + "x" + std::to_string(W) +
           " O" + std::to_string(O) + " k" + std::to_string(kh) + "x" + std::to_string(kw) + " p" + std::to_string(ph) +
           "," + std::to_string(pw) + " s" + std::to_string(sh) + "," + std::to_string(sw) + " d" + std::to_string(dh) +
           "," + std::to_string(dw) + (bias ? " bias" : "");
  }
};

// |got - want| <= rtol * max|want| elementwise (float32 against the float64 result).
void expect_close_scaled(const Tensor& got, const Tensor& want, double rtol, const std::string& what) {
  ASSERT_EQ(got.sizes(), want.sizes()) << what;
  EXPECT_EQ(got.dtype(), kFloat32) << what;
  std::vector<double> g = to_vector<double>(got.to(kFloat64)), w = to_vector<double>(want);
  double scale = 1e-30;
  for (double v : w) scale = std::max(scale, std::fabs(v));
  for (size_t i = 0; i < g.size(); ++i)
    ASSERT_LE(std::fabs(g[i] - w[i]), rtol * scale) << what << " [" << i << "] got " << g[i] << " want " << w[i];
}

struct Grads {
  Tensor y, gx, gw, gb;
};

// conv2d of (x, w, b) in `dt` and its gradients for the upstream gradient g.
Grads run(const Tensor& x64, const Tensor& w64, const Tensor& b64, const Tensor& g64, DType dt, Int2 stride,
          Int2 padding, Int2 dilation = 1, int64_t groups = 1) {
  // detach() first: to() of a tensor already in dt returns it, and it must stay a fresh leaf.
  Tensor x = x64.detach().to(dt).requires_grad_(), w = w64.detach().to(dt).requires_grad_();
  Tensor b = b64.defined() ? b64.detach().to(dt).requires_grad_() : Tensor();
  Tensor y = conv2d(x, w, b, stride, padding, dilation, groups);
  y.backward(g64.to(dt));
  return {y.detach(), x.grad(), w.grad(), b.defined() ? b.grad() : Tensor()};
}

void check_case(const Case& c, uint64_t seed, double rtol = 1e-5) {
  Tensor x = uniform_tensor({c.N, c.C, c.H, c.W}, -1, 1, kFloat64, seed);
  Tensor w = uniform_tensor({c.O, c.C, c.kh, c.kw}, -1, 1, kFloat64, seed + 1);
  Tensor b = c.bias ? uniform_tensor({c.O}, -1, 1, kFloat64, seed + 2) : Tensor();
  const int64_t OH = (c.H + 2 * c.ph - c.dh * (c.kh - 1) - 1) / c.sh + 1;
  const int64_t OW = (c.W + 2 * c.pw - c.dw * (c.kw - 1) - 1) / c.sw + 1;
  Tensor g = uniform_tensor({c.N, c.O, OH, OW}, -1, 1, kFloat64, seed + 3);
  const Int2 pad{c.ph, c.pw}, stride{c.sh, c.sw}, dil{c.dh, c.dw};
  Grads want = run(x, w, b, g, kFloat64, stride, pad, dil), got = run(x, w, b, g, kFloat32, stride, pad, dil);
  expect_close_scaled(got.y, want.y, rtol, "forward " + c.str());
  expect_close_scaled(got.gx, want.gx, rtol, "grad_input " + c.str());
  expect_close_scaled(got.gw, want.gw, rtol, "grad_weight " + c.str());
  if (c.bias) expect_close_scaled(got.gb, want.gb, rtol, "grad_bias " + c.str());
}

// Bytes of a float32 tensor, for bit-exact comparisons.
std::vector<float> bits(const Tensor& t) { return to_vector<float>(t.contiguous()); }

}  // namespace

// Every kernel shape with every legal padding; image sizes, channel counts and batch sizes
// rotate through their lists so that each value meets several kernels and paddings.
TEST(ConvDirect, MatchesFloat64OnKernelsPaddingsAndSizes) {
  const int64_t sizes[] = {1, 2, 5, 7, 13, 14, 16, 17, 28, 33};
  const int64_t chans[] = {1, 3, 16, 17, 64};
  const std::pair<int64_t, int64_t> kernels[] = {{1, 1}, {3, 3}, {5, 5}, {1, 3}, {3, 1}};
  int64_t t = 0, run_cases = 0;
  for (auto [kh, kw] : kernels)
    for (int64_t ph = 0; ph < kh; ++ph)
      for (int64_t pw = 0; pw < kw; ++pw)
        for (int rep = 0; rep < 2; ++rep, ++t) {
          Case c{1 + 2 * (t % 2),
                 chans[t % 5],
                 sizes[t % 10],
                 sizes[(3 * t + 1) % 10],
                 chans[(2 * t + 1) % 5],
                 kh,
                 kw,
                 ph,
                 pw,
                 t % 3 != 0};
          // Keep each case small: large images with few channels, small ones with many.
          while (c.N * c.C * c.O * c.H * c.W * kh * kw > 3000000) {
            if (c.C >= c.O)
              c.C = std::max<int64_t>(1, c.C / 4);
            else
              c.O = std::max<int64_t>(1, c.O / 4);
          }
          if (c.H + 2 * ph - kh + 1 < 1 || c.W + 2 * pw - kw + 1 < 1) continue;  // no output: not a conv
          check_case(c, 100 + static_cast<uint64_t>(t));
          ++run_cases;
        }
  EXPECT_GT(run_cases, 60);
}

// Every size of the list as height and as width at least once, with 3x3 padding 1 and 5x5 padding 2.
TEST(ConvDirect, MatchesFloat64OnEveryImageSize) {
  const int64_t sizes[] = {1, 2, 5, 7, 13, 14, 16, 17, 28, 33};
  for (int k = 0; k < 10; ++k) {
    check_case({k % 2 ? 3 : 1, 3, sizes[k], sizes[9 - k], 17, 3, 3, 1, 1, k % 2 == 0}, 300 + k);
    check_case({1, 16, sizes[9 - k], sizes[k], 3, 5, 5, 2, 2, k % 2 == 1}, 320 + k);
  }
}

// The ResNet-20 layer shapes (3x3, padding 1, C in = C out) and channel counts that leave
// remainders in every register block (1, 5, 7, 13 output channels; 17 input channels).
TEST(ConvDirect, MatchesFloat64OnResNetShapesAndBlockRemainders) {
  check_case({3, 16, 28, 28, 16, 3, 3, 1, 1, true}, 400);
  check_case({3, 32, 14, 14, 32, 3, 3, 1, 1, false}, 401);
  check_case({3, 64, 7, 7, 64, 3, 3, 1, 1, true}, 402);
  for (int64_t o : {1, 5, 7, 13}) check_case({3, 17, 9, 11, o, 3, 3, 1, 1, true}, 410 + static_cast<uint64_t>(o));
  // A batch with several weight-gradient chunks and a partial last chunk.
  check_case({37, 8, 6, 6, 8, 3, 3, 1, 1, true}, 420);
}

// The channel-vector variant (O a multiple of 32, OH * OW <= 256): tap counts that are not
// a multiple of its tap block, strips with a shorter last strip (37 images), the 256-pixel
// boundary on both sides, a 1x1 image.
TEST(ConvDirect, MatchesFloat64OnChannelVectorVariant) {
  check_case({3, 3, 7, 7, 64, 3, 3, 1, 1, true}, 450);
  check_case({5, 17, 5, 9, 32, 5, 5, 2, 2, false}, 451);
  check_case({37, 4, 6, 6, 32, 3, 3, 1, 1, true}, 452);
  check_case({2, 8, 16, 16, 64, 1, 3, 0, 1, true}, 453);   // 256 output pixels: channel vectors
  check_case({2, 8, 16, 17, 64, 3, 1, 1, 0, false}, 454);  // 272 output pixels: q layout
  check_case({3, 64, 1, 1, 64, 1, 1, 0, 0, true}, 455);
  check_case({2, 32, 13, 14, 96, 3, 3, 1, 1, true}, 456);  // 96 = 64 + 32 channels
}

// Strided, dilated and widely padded convs with 32/64 output channels also take the
// channel-vector variant (forward and weight gradient; grad_input stays on col2im).
TEST(ConvDirect, MatchesFloat64OnStridedAndDilatedChannelVectorConvs) {
  check_case({3, 16, 28, 28, 32, 3, 3, 1, 1, false, 2, 2}, 470);      // ResNet stage 2 entry
  check_case({3, 32, 14, 14, 64, 3, 3, 1, 1, true, 2, 2}, 471);       // ResNet stage 3 entry
  check_case({3, 16, 28, 28, 32, 1, 1, 0, 0, false, 2, 2}, 472);      // 1x1 stride-2 shortcut
  check_case({2, 5, 33, 17, 64, 3, 3, 1, 1, true, 2, 2}, 473);        // 17x9 = 153 outputs, odd sizes
  check_case({2, 3, 40, 40, 32, 3, 3, 1, 1, true, 2, 2}, 474);        // 400 outputs
  check_case({2, 4, 13, 11, 32, 3, 2, 2, 1, true, 1, 1, 2, 3}, 475);  // dilation (2, 3)
  check_case({2, 4, 9, 10, 32, 3, 3, 3, 4, false}, 476);              // padding beyond the kernel
  check_case({17, 6, 12, 9, 32, 5, 3, 2, 1, true, 3, 2, 1, 2}, 477);  // stride (3, 2), dilation (1, 2), 17 images
}

// The input gradient of convs that are not stride 1 with C a multiple of 32 (two vectors on every
// ISA), which src/backend/cpu/cpu_conv_direct_grad_input.cpp computes per sub-pixel phase:
// strides 2 and 3, dilation, padding beyond the kernel, a 1x1 stride-2 conv (phases that no tap
// reaches get 0), an image smaller than the stride, batches over several strips, odd O.
TEST(ConvDirect, MatchesFloat64OnStridedInputGradientPhases) {
  check_case({3, 32, 16, 16, 32, 3, 3, 1, 1, false, 2, 2}, 1001);       // YOLO's downsampling conv
  check_case({2, 32, 17, 13, 5, 3, 3, 1, 1, true, 2, 2}, 1002);         // odd sizes, O = 5
  check_case({2, 64, 9, 11, 7, 1, 1, 0, 0, false, 2, 2}, 1003);         // 1x1 stride 2
  check_case({2, 32, 14, 15, 3, 5, 4, 2, 3, true, 3, 2}, 1004);         // stride (3, 2), padding (2, 3)
  check_case({2, 32, 13, 12, 6, 3, 3, 2, 1, false, 2, 1, 2, 3}, 1005);  // stride (2, 1), dilation (2, 3)
  check_case({2, 32, 8, 8, 4, 3, 3, 4, 3, false}, 1006);                // stride 1, padding beyond the kernel
  check_case({3, 32, 1, 3, 8, 3, 3, 1, 1, false, 2, 2}, 1007);          // H = 1, below the stride
  check_case({40, 32, 6, 6, 48, 3, 3, 1, 1, true, 2, 2}, 1008);         // several strips
  check_case({2, 32, 6, 7, 64, 6, 6, 2, 2, false, 2, 2}, 1009);         // YOLO's 6x6 stride-2 stem
  // Bit-identical with 1 and 2 threads (each element is summed by one task in a fixed order).
  Tensor x = uniform_tensor({9, 64, 12, 12}, -1, 1, kFloat64, 1010);
  Tensor w = uniform_tensor({32, 64, 3, 3}, -1, 1, kFloat64, 1011);
  Tensor g = uniform_tensor({9, 32, 6, 6}, -1, 1, kFloat64, 1012);
  Grads a = run(x, w, Tensor(), g, kFloat32, 2, 1);
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  Grads one = run(x, w, Tensor(), g, kFloat32, 2, 1);
  omp_set_num_threads(std::max(2, threads));
  Grads two = run(x, w, Tensor(), g, kFloat32, 2, 1);
  omp_set_num_threads(threads);
  EXPECT_EQ(bits(a.gx), bits(one.gx));
  EXPECT_EQ(bits(a.gx), bits(two.gx));
}

TEST(ConvDirect, NonContiguousInputAndWeight) {
  // x and w are transposed views of [N, C, W, H] and [O, C, kw, kh] tensors.
  Tensor xb = uniform_tensor({3, 5, 9, 7}, -1, 1, kFloat64, 501);
  Tensor wb = uniform_tensor({6, 5, 3, 3}, -1, 1, kFloat64, 502);
  Tensor x = xb.transpose(2, 3), w = wb.transpose(2, 3);
  ASSERT_FALSE(x.is_contiguous());
  ASSERT_FALSE(w.is_contiguous());
  Tensor b = uniform_tensor({6}, -1, 1, kFloat64, 503), g = uniform_tensor({3, 6, 7, 9}, -1, 1, kFloat64, 504);
  Grads want = run(x.contiguous(), w.contiguous(), b, g, kFloat64, 1, 1);
  Tensor x32 = xb.to(kFloat32).transpose(2, 3).requires_grad_(), w32 = wb.to(kFloat32).transpose(2, 3).requires_grad_();
  ASSERT_FALSE(x32.is_contiguous());
  Tensor y = conv2d(x32, w32, b.to(kFloat32), 1, 1);
  y.backward(g.to(kFloat32));
  expect_close_scaled(y.detach(), want.y, 1e-5, "forward");
  expect_close_scaled(x32.grad(), want.gx, 1e-5, "grad_input");
  expect_close_scaled(w32.grad(), want.gw, 1e-5, "grad_weight");
}

// Same inputs give bit-identical outputs and gradients, run after run and with 1 or more threads
// (the weight gradient sums images in chunks fixed by the shape, then the chunks in order).
// Both variants: 24 channels at 14x14 (q layout), 64 channels at 7x7 (channel vectors).
TEST(ConvDirect, DeterministicAcrossRunsAndThreadCounts) {
  for (auto [c_out, hw] : {std::pair<int64_t, int64_t>{24, 14}, {64, 7}}) {
    Tensor x = uniform_tensor({19, 16, hw, hw}, -1, 1, kFloat64, 601);
    Tensor w = uniform_tensor({c_out, 16, 3, 3}, -1, 1, kFloat64, 602);
    Tensor b = uniform_tensor({c_out}, -1, 1, kFloat64, 603);
    Tensor g = uniform_tensor({19, c_out, hw, hw}, -1, 1, kFloat64, 604);
    Grads a = run(x, w, b, g, kFloat32, 1, 1), c = run(x, w, b, g, kFloat32, 1, 1);
    const int threads = omp_get_max_threads();
    omp_set_num_threads(1);
    Grads s = run(x, w, b, g, kFloat32, 1, 1);
    omp_set_num_threads(threads);
    for (const Grads* r : {&c, &s}) {
      EXPECT_EQ(bits(a.y), bits(r->y)) << c_out;
      EXPECT_EQ(bits(a.gx), bits(r->gx)) << c_out;
      EXPECT_EQ(bits(a.gw), bits(r->gw)) << c_out;
      EXPECT_EQ(bits(a.gb), bits(r->gb)) << c_out;
    }
  }
}

// Convs just outside the direct path (stride 2, dilation 2, groups 2, padding >= kernel, all
// with 6 output channels, so not the channel-vector variant either) take im2col and still
// match float64; next to them, stride-1 convs inside the path.
TEST(ConvDirect, DispatchBoundariesStayCorrect) {
  struct B {
    Int2 stride, padding, dilation;
    int64_t groups;
  };
  const B cases[] = {{2, 1, 1, 1}, {{1, 2}, 1, 1, 1}, {1, 1, 2, 1}, {1, 1, {2, 1}, 1}, {1, 1, 1, 2},
                     {1, 3, 1, 1}, {1, {1, 3}, 1, 1}, {1, 2, 1, 1}, {1, 0, 1, 1}};
  for (size_t k = 0; k < std::size(cases); ++k) {
    const B& c = cases[k];
    Tensor x = uniform_tensor({3, 4, 10, 9}, -1, 1, kFloat64, 700 + k);
    Tensor w = uniform_tensor({6, 4 / c.groups, 3, 3}, -1, 1, kFloat64, 710 + k);
    Tensor b = uniform_tensor({6}, -1, 1, kFloat64, 720 + k);
    Tensor y64 = conv2d(x, w, b, c.stride, c.padding, c.dilation, c.groups);
    Tensor g = uniform_tensor(y64.sizes(), -1, 1, kFloat64, 730 + k);
    Grads want = run(x, w, b, g, kFloat64, c.stride, c.padding, c.dilation, c.groups);
    Grads got = run(x, w, b, g, kFloat32, c.stride, c.padding, c.dilation, c.groups);
    const std::string what = "boundary case " + std::to_string(k);
    expect_close_scaled(got.y, want.y, 1e-5, what);
    expect_close_scaled(got.gx, want.gx, 1e-5, what);
    expect_close_scaled(got.gw, want.gw, 1e-5, what);
    expect_close_scaled(got.gb, want.gb, 1e-5, what);
  }
}

// Gradients of only some arguments (the others not requiring grad) and a 1-image batch.
TEST(ConvDirect, PartialGradients) {
  Tensor x64 = uniform_tensor({1, 7, 8, 8}, -1, 1, kFloat64, 801);
  Tensor w64 = uniform_tensor({9, 7, 3, 3}, -1, 1, kFloat64, 802);
  Tensor g64 = uniform_tensor({1, 9, 8, 8}, -1, 1, kFloat64, 803);
  Grads want = run(x64, w64, Tensor(), g64, kFloat64, 1, 1);
  Tensor x = x64.to(kFloat32).requires_grad_(), w = w64.to(kFloat32);
  conv2d(x, w, Tensor(), 1, 1).backward(g64.to(kFloat32));
  expect_close_scaled(x.grad(), want.gx, 1e-5, "grad_input only");
  Tensor x2 = x64.to(kFloat32), w2 = w64.to(kFloat32).requires_grad_();
  conv2d(x2, w2, Tensor(), 1, 1).backward(g64.to(kFloat32));
  expect_close_scaled(w2.grad(), want.gw, 1e-5, "grad_weight only");
}

// Empty batches and channel counts: the direct path returns empty or bias-only results.
TEST(ConvDirect, EmptyBatchAndChannels) {
  for (Shape xs : {Shape{0, 3, 5, 5}, Shape{2, 0, 5, 5}}) {
    Tensor x = zeros(xs).requires_grad_(), w = uniform_tensor({4, xs[1], 3, 3}, -1, 1, kFloat32, 901).requires_grad_();
    Tensor b = uniform_tensor({4}, -1, 1, kFloat32, 902).requires_grad_();
    Tensor y = conv2d(x, w, b, 1, 1);
    ASSERT_EQ(y.sizes(), (Shape{xs[0], 4, 5, 5}));
    std::vector<float> yv = to_vector<float>(y.detach()), bv = to_vector<float>(b.detach());
    for (size_t i = 0; i < yv.size(); ++i) EXPECT_EQ(yv[i], bv[(i / 25) % 4]);
    y.backward(ones(y.sizes()));
    EXPECT_EQ(x.grad().sizes(), xs);
    for (float v : to_vector<float>(w.grad())) EXPECT_EQ(v, 0.f);
    for (float v : to_vector<float>(b.grad())) EXPECT_EQ(v, static_cast<float>(xs[0] * 25));
  }
}

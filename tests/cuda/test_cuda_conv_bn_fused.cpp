// kernels/conv_bn_fused.cu (implicit-GEMM conv with batch-norm statistics in its epilogue, the fused
// normalise/affine/residual/ReLU pass, and the fused backward) against its CPU twin
// (src/backend/cpu/cpu_conv_bn.cpp) through seek::conv_bn: outputs, the six gradients and the running
// statistics, in f32 (tensor-core-free path) and in bf16 / f16 (mma.sync path; the reference is the CPU
// twin in f32 on the same rounded inputs), 1x1 and 3x3, stride, padding, dilation, odd sizes that leave
// partial 64x64 tiles and K tails, more than one tile of rows and channels, groups (the backend-conv
// path), channels_last and NCHW inputs, with and without residual and ReLU. Small shapes: the simulator
// runs one fiber per thread. Tolerances are relative to the largest reference value: f32 2e-5, f16 5e-3,
// bf16 4e-2 (one bf16 rounding of the conv output, which the ReLU mask and the statistics then see).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "seek/cuda.h"
#include "seek/nn/fused_conv_bn.h"
#include "seek/seek.h"
#include "support/test_util.h"

using namespace seek;
using seek::testing::uniform_tensor;

namespace {

class CudaConvBnFused : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!cuda::is_available()) GTEST_SKIP() << "no CUDA GPU visible: " << cuda::build_info();
    cuda::set_device(0);
  }
};

// max |a - b| / max(1, max |b|)
double rel_err(const Tensor& a, const Tensor& b) {
  Tensor x = a.detach().to(kCPU).to(kFloat64), y = b.detach().to(kCPU).to(kFloat64);
  return (x - y).abs().max().item<double>() / std::max(1.0, y.abs().max().item<double>());
}

struct Case {
  int64_t n, c, h, w, o, k, stride, pad, dil, groups;
  bool conv_bias, residual, relu;
};

struct Run {
  Tensor out, gx, gw, gcb, gbw, gbb, gres, rm, rv;
  std::string node;
};

Run run(const Case& k, DType dt, Device dev, bool channels_last) {
  const int64_t kext = k.dil * (k.k - 1) + 1;
  const int64_t oh = (k.h + 2 * k.pad - kext) / k.stride + 1, ow = (k.w + 2 * k.pad - kext) / k.stride + 1;
  // Values drawn in f32 and rounded to dt first, so that every dtype sees the same numbers.
  auto leaf = [&](const Shape& s, double lo, double hi, uint64_t seed) {
    Tensor t = uniform_tensor(s, lo, hi, kFloat32, seed).to(kBFloat16).to(dt).to(dev);
    if (channels_last && t.dim() == 4) t = t.contiguous(MemoryFormat::ChannelsLast);
    return t.detach().requires_grad_(true);
  };
  Tensor x = leaf({k.n, k.c, k.h, k.w}, -1, 1.5, 1), w = leaf({k.o, k.c / k.groups, k.k, k.k}, -0.5, 0.5, 2);
  Tensor cb = k.conv_bias ? leaf({k.o}, -0.5, 0.5, 3) : Tensor();
  Tensor bw = leaf({k.o}, 0.5, 1.5, 4), bb = leaf({k.o}, -0.5, 0.5, 5);
  Tensor res = k.residual ? leaf({k.n, k.o, oh, ow}, -1, 1, 6) : Tensor();
  Tensor rm = zeros({k.o}, TensorOptions(dt).device(dev)), rv = ones({k.o}, TensorOptions(dt).device(dev));
  ConvBnOptions o;
  o.stride = k.stride, o.padding = k.pad, o.dilation = k.dil, o.groups = k.groups, o.relu = k.relu;
  Tensor y = nn::functional::conv_bn_relu(x, w, cb, rm, rv, bw, bb, res, o);
  Tensor gy = uniform_tensor({k.n, k.o, oh, ow}, -1, 1, kFloat32, 9).to(kBFloat16).to(dt).to(dev);
  (y * gy).sum().backward();
  return {y,
          x.grad(),
          w.grad(),
          k.conv_bias ? cb.grad() : Tensor(),
          bw.grad(),
          bb.grad(),
          k.residual ? res.grad() : Tensor(),
          rm,
          rv,
          y.grad_fn()->name()};
}

void expect_like_cpu(const Case& k, DType dt, double tol, bool channels_last) {
  const std::string what = str("n", k.n, " c", k.c, " ", k.h, "x", k.w, " o", k.o, " k", k.k, " s", k.stride, " p",
                               k.pad, " d", k.dil, " g", k.groups, k.residual ? " res" : "", k.relu ? " relu" : "", " ",
                               dtype_name(dt), channels_last ? " channels_last" : "");
  Run g = run(k, dt, Device(DeviceType::CUDA, 0), channels_last);
  Run c = run(k, kFloat32, kCPU, false);
  EXPECT_EQ(g.node, "ConvBnReluBackward") << what << ": the CUDA fused kernels did not run";
  EXPECT_EQ(c.node, "ConvBnReluBackward") << what;
  if (channels_last) EXPECT_TRUE(g.out.is_contiguous(MemoryFormat::ChannelsLast)) << what;
  EXPECT_LE(rel_err(g.out, c.out), tol) << what << " out";
  EXPECT_LE(rel_err(g.gx, c.gx), tol) << what << " grad input";
  EXPECT_LE(rel_err(g.gw, c.gw), tol) << what << " grad weight";
  if (k.conv_bias) EXPECT_LE(rel_err(g.gcb, c.gcb), tol) << what << " grad conv bias";
  EXPECT_LE(rel_err(g.gbw, c.gbw), tol) << what << " grad bn weight";
  EXPECT_LE(rel_err(g.gbb, c.gbb), tol) << what << " grad bn bias";
  if (k.residual) {
    // grad_residual = dy * (out > 0): where rounding moved an output across 0 the masks differ by design;
    // compare where both sides agree on the mask (and count that they almost always do).
    Tensor same = (g.out.detach().to(kCPU).to(kFloat32) > 0) == (c.out.detach() > 0);
    EXPECT_GE(same.to(kFloat64).mean().item<double>(), 0.98) << what;
    EXPECT_LE(rel_err(g.gres.to(kCPU).to(kFloat32) * same, c.gres * same), tol) << what << " grad residual";
  }
  EXPECT_LE(rel_err(g.rm, c.rm), tol) << what << " running_mean";
  EXPECT_LE(rel_err(g.rv, c.rv), tol) << what << " running_var";
}

const Case kSmall[] = {
    {2, 3, 5, 4, 5, 3, 1, 1, 1, 1, false, false, true},  // 3x3, K = 27 (a K tail), partial tiles
    {2, 4, 7, 5, 6, 3, 2, 1, 1, 1, true, true, true},    // stride 2, conv bias, residual
    {3, 5, 3, 3, 7, 1, 1, 0, 1, 1, false, true, false},  // 1x1, residual, no ReLU
    {1, 3, 7, 7, 4, 3, 1, 2, 2, 1, false, false, true},  // dilation 2
    {2, 4, 5, 5, 6, 3, 1, 1, 1, 2, false, true, true},   // groups: the backend conv + column statistics
};

TEST_F(CudaConvBnFused, Float32MatchesCpuTwin) {
  for (const Case& k : kSmall) expect_like_cpu(k, kFloat32, 2e-5, false);
  expect_like_cpu(kSmall[1], kFloat32, 2e-5, true);
}

TEST_F(CudaConvBnFused, TensorCoresBf16AndF16MatchCpuTwin) {
  for (const Case& k : kSmall) expect_like_cpu(k, kBFloat16, 4e-2, true);
  expect_like_cpu(kSmall[0], kFloat16, 5e-3, true);
  expect_like_cpu(kSmall[2], kFloat16, 5e-3, false);
}

TEST_F(CudaConvBnFused, SeveralTilesOfRowsAndChannels) {
  // M = 2 * 9 * 9 = 162 rows (three 64-row tiles), O = 70 channels (two 64-column tiles), K = 8 * 9 = 72.
  expect_like_cpu({2, 8, 9, 9, 70, 3, 1, 1, 1, 1, false, true, true}, kBFloat16, 4e-2, true);
  expect_like_cpu({2, 8, 9, 9, 70, 1, 1, 0, 1, 1, true, false, true}, kFloat32, 2e-5, false);
}

}  // namespace

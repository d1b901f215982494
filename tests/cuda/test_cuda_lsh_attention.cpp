// kernels/lsh_attention.cu against its CPU twin (src/backend/cpu/cpu_lsh_attention.cpp): the same
// seeded hashes (drawn by the device's Philox stream, which the CPU shares), forward and the
// gradients of q, k and v, in f64 and f32 (the one-thread-per-query kernels) and f16/bf16 (the tiled
// tensor-core kernels), separate and shared QK, causal and padding masks, several rounds and chunks
// (a ragged last chunk), and a row with every key padded. Small shapes
// (L <= 40): the simulator runs one fiber per thread.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "seek/cuda.h"
#include "seek/seek.h"
#include "support/test_util.h"

using namespace seek;
using seek::testing::uniform_tensor;

namespace {

class CudaLshAttention : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!cuda::is_available()) GTEST_SKIP() << "no CUDA GPU visible: " << cuda::build_info();
    cuda::set_device(0);
  }
};

// max |a - b| / max(1, max |a|): absolute for values of order one, relative for larger ones.
double max_abs_diff(const Tensor& a, const Tensor& b) {
  const Tensor a64 = a.detach().to(kCPU).to(kFloat64);
  const double scale = std::max(1.0, a64.abs().max().item<double>());
  return (a64 - b.detach().to(kCPU).to(kFloat64)).abs().max().item<double>() / scale;
}

struct Result {
  Tensor out, gq, gk, gv;
};

Result run(const Tensor& q0, const Tensor& k0, const Tensor& v0, const Tensor& g0, const Tensor& pad0,
           const LSHAttentionOptions& o, Device dev) {
  Tensor q = q0.to(dev).detach().requires_grad_(true), v = v0.to(dev).detach().requires_grad_(true);
  Tensor k = o.shared_qk ? Tensor() : k0.to(dev).detach().requires_grad_(true);
  Tensor out = lsh_attention(q, k, v, o, pad0.defined() ? pad0.to(dev) : Tensor());
  (out * g0.to(dev)).sum().backward();
  return {out, q.grad(), o.shared_qk ? Tensor() : k.grad(), v.grad()};
}

void expect_same(DType dt, const LSHAttentionOptions& o, bool with_pad, int64_t L, double tol, int64_t D = 8,
                 int64_t Dv = 5) {
  Tensor q = uniform_tensor({2, 2, L, D}, -1, 1, dt, 1), k = uniform_tensor({2, 2, L, D}, -1, 1, dt, 2);
  Tensor v = uniform_tensor({2, 2, L, Dv}, -1, 1, dt, 3), g = uniform_tensor({2, 2, L, Dv}, -1, 1, dt, 4);
  Tensor pad;
  if (with_pad) {
    pad = zeros({2, L}, TensorOptions(kBool));
    pad.narrow(1, 2, 3).fill_(true);
    pad.select(0, 1).narrow(0, L - 4, 4).fill_(true);
  }
  Result c = run(q, k, v, g, pad, o, kCPU), d = run(q, k, v, g, pad, o, Device(DeviceType::CUDA, 0));
  EXPECT_EQ(d.out.device().type, DeviceType::CUDA);
  EXPECT_EQ(d.out.dtype(), dt);
  EXPECT_EQ(d.gq.dtype(), dt);
  EXPECT_LT(max_abs_diff(c.out, d.out), tol) << "out";
  EXPECT_LT(max_abs_diff(c.gq, d.gq), tol) << "grad q";
  if (!o.shared_qk) EXPECT_LT(max_abs_diff(c.gk, d.gk), tol) << "grad k";
  EXPECT_LT(max_abs_diff(c.gv, d.gv), tol) << "grad v";
}

}  // namespace

TEST_F(CudaLshAttention, MatchesTheCpuSeparateQk) {
  LSHAttentionOptions o = LSHAttentionOptions().buckets(4).hashes(2).chunk(6).with_seed(11);
  expect_same(kFloat64, o, false, 27, 1e-12);
  expect_same(kFloat64, o.is_causal(true), true, 27, 1e-12);
  expect_same(kFloat32, o, true, 27, 2e-5);
}

TEST_F(CudaLshAttention, MatchesTheCpuSharedQk) {
  LSHAttentionOptions o = LSHAttentionOptions().buckets(8).hashes(3).chunk(5).shared(true).with_seed(12);
  expect_same(kFloat64, o, true, 40, 1e-12);
  expect_same(kFloat64, o.is_causal(true), false, 40, 1e-12);
  expect_same(kFloat64, LSHAttentionOptions().buckets(1).chunk(64).shared(true), false, 16, 1e-12);  // one chunk
}

// f16/bf16 with head dims of 16/32 and chunks of 16 or more take the tiled tensor-core kernels; the CPU
// twin computes the same 16-bit operands in f32. Tolerances: P, dS and the outputs round to 16 bits.
TEST_F(CudaLshAttention, TiledKernelsMatchTheCpuIn16Bit) {
  for (DType dt : {kBFloat16, kFloat16}) {
    const double tol = dt == kBFloat16 ? 4e-2 : 8e-3;
    SCOPED_TRACE(dtype_name(dt));
    LSHAttentionOptions o = LSHAttentionOptions().buckets(4).hashes(2).chunk(16).with_seed(21);
    expect_same(dt, o, true, 70, tol, 32, 16);
    expect_same(dt, o.is_causal(true), false, 70, tol, 32, 16);
    LSHAttentionOptions s = LSHAttentionOptions().buckets(2).hashes(3).chunk(32).shared(true).with_seed(22);
    expect_same(dt, s, true, 80, tol, 16, 32);
  }
}

TEST_F(CudaLshAttention, EveryKeyPaddedGivesZeros) {
  Tensor q = uniform_tensor({1, 2, 9, 4}, -1, 1).to(Device(DeviceType::CUDA, 0));
  Tensor pad = ones({1, 9}, TensorOptions(kBool).device(Device(DeviceType::CUDA, 0)));
  Tensor out = lsh_attention(q, q, q, LSHAttentionOptions().buckets(2).chunk(3).with_seed(1), pad);
  EXPECT_EQ(out.abs().max().item<double>(), 0.0);
}

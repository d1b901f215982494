#pragma once
// Shared by the mixed-precision GEMM tests (test_mp_gemm.cpp: the mma.sync kernel;
// test_hopper_gemm.cpp: the Hopper kernel): a case, its buffers on the host and the simulated
// device, and check(), which runs a kernel and the CPU twin and compares every element.
//
// Tolerances: both sides form each product exactly in f32 (8- or 11-bit significands) and
// differ only in the order of the f32 sums (the kernel: 16 products per mma, then tile by
// tile; the twin: k in order), so |kernel - twin| <= 2 * K * 2^-24 * sum_k |a b| (each
// recursive sum is within K u of the exact one) times alpha and the activation's slope
// (<= 1.13 for GELU), plus a few f32 roundings of the epilogue's terms and one unit of the
// output format's last place when two nearby f32 values round apart. Integer-valued data
// makes every sum exact, and then the two must agree bit for bit.
#include <gtest/gtest.h>
#include <cuda_runtime_api.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "backend/cuda/cuda_backend.h"
#include "kernels/linalg_mp_gemm.cuh"
#include "seek/core/half.h"
#include "seek/seek.h"

using namespace seek;

namespace mp_gemm_testing {

inline float to_float(DType dt, const unsigned char* p) {
  uint16_t bits;
  switch (dt) {
    case DType::Float32: {
      float f;
      std::memcpy(&f, p, 4);
      return f;
    }
    case DType::Float16: std::memcpy(&bits, p, 2); return static_cast<float>(Half::from_bits(bits));
    default: std::memcpy(&bits, p, 2); return static_cast<float>(BFloat16::from_bits(bits));
  }
}
inline void from_float(DType dt, unsigned char* p, float v) {
  if (dt == DType::Float32) {
    std::memcpy(p, &v, 4);
  } else {
    const uint16_t bits = dt == DType::Float16 ? Half(v).bits : BFloat16(v).bits;
    std::memcpy(p, &bits, 2);
  }
}

// A buffer on the host and its copy on the simulated device (offset elements past a
// 256-byte aligned allocation, to make misaligned operands).
struct Buffer {
  DType dt = DType::Float32;
  size_t offset = 0;
  std::vector<unsigned char> host;
  void* dev_alloc = nullptr;
  Buffer() = default;
  Buffer(DType d, size_t n, size_t off, std::mt19937& rng, bool integers) : dt(d), offset(off) {
    const size_t es = dtype_size(d);
    host.resize((n + off) * es);
    std::uniform_int_distribution<int> ints(-3, 3);
    std::uniform_real_distribution<float> reals(-1.0f, 1.0f);
    for (size_t i = 0; i < n + off; ++i)
      from_float(d, host.data() + i * es, integers ? static_cast<float>(ints(rng)) : reals(rng));
    EXPECT_EQ(cudaMalloc(&dev_alloc, host.size() + 16), cudaSuccess);  // + 16: never empty
    EXPECT_EQ(cudaMemcpy(dev_alloc, host.data(), host.size(), cudaMemcpyHostToDevice), cudaSuccess);
  }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  ~Buffer() {
    if (dev_alloc) cudaFree(dev_alloc);
  }
  void* h() { return host.data() + offset * dtype_size(dt); }
  void* d() { return static_cast<unsigned char*>(dev_alloc) + offset * dtype_size(dt); }
  std::vector<unsigned char> download() const {
    std::vector<unsigned char> v(host.size());
    EXPECT_EQ(cudaMemcpy(v.data(), dev_alloc, v.size(), cudaMemcpyDeviceToHost), cudaSuccess);
    return v;
  }
  float at(size_t i) const { return to_float(dt, host.data() + (offset + i) * dtype_size(dt)); }
};

struct Case {
  int64_t M = 16, N = 16, K = 16;
  DType in = DType::BFloat16, out = DType::Float32;
  bool a_col = false, b_col = false;
  int64_t batch = 1, batch_inner = 1;
  bool a_broadcast = false;  // a's outer batch stride 0
  float alpha = 1.0f, beta = 0.0f;
  bool c_is_out = false, bias = false, residual = false;
  MpActivation act = MpActivation::None;
  int64_t pad = 0;        // extra elements per row (leading dimensions) of every operand
  int64_t ld_align = 1;   // leading dimensions rounded up to a multiple of this (after pad)
  size_t misalign = 0;    // elements by which a and b start past an aligned address
  bool integers = false;  // integer-valued data: the sums are exact, the results must match exactly
  uint32_t seed = 1;
};

inline std::string describe(const Case& c) {
  return str("M=", c.M, " N=", c.N, " K=", c.K, " in=", c.in, " out=", c.out, " a_col=", c.a_col, " b_col=", c.b_col,
             " batch=", c.batch, "x", c.batch_inner, " alpha=", c.alpha, " beta=", c.beta, " bias=", c.bias,
             " residual=", c.residual, " act=", static_cast<int>(c.act), " pad=", c.pad, " misalign=", c.misalign);
}

using GemmRunner = void (*)(const MpGemmArgs&, cudaStream_t);

// Runs the case through `run` (cuda::mp_gemm by default) and cpu::mp_gemm and compares every
// element of the output buffer (padding included: neither side may touch it).
inline void check(const Case& c, GemmRunner run = cuda::mp_gemm) {
  SCOPED_TRACE(describe(c));
  std::mt19937 rng(c.seed);
  const int64_t Z = c.batch * c.batch_inner;
  auto ld = [&](int64_t n) { return (n + c.pad + c.ld_align - 1) / c.ld_align * c.ld_align; };
  const int64_t lda = ld(c.a_col ? c.M : c.K), ldb = ld(c.b_col ? c.K : c.N), ldo = ld(c.N);
  const int64_t a_mat = (c.a_col ? c.K : c.M) * lda, b_mat = (c.b_col ? c.N : c.K) * ldb, o_mat = c.M * ldo;
  Buffer a(c.in, static_cast<size_t>((c.a_broadcast ? c.batch_inner : Z) * a_mat), c.misalign, rng, c.integers);
  Buffer b(c.in, static_cast<size_t>(Z * b_mat), c.misalign, rng, c.integers);
  Buffer out(c.out, static_cast<size_t>(Z * o_mat), 0, rng, c.integers);
  Buffer cb(c.out, static_cast<size_t>(Z * o_mat), 0, rng, c.integers);
  Buffer bias(c.out, static_cast<size_t>(c.N), 0, rng, c.integers);
  Buffer res(c.out, static_cast<size_t>(Z * o_mat), 0, rng, c.integers);

  MpGemmArgs g;
  g.M = c.M, g.N = c.N, g.K = c.K, g.batch = c.batch, g.batch_inner = c.batch_inner;
  g.in_dtype = c.in, g.out_dtype = c.out, g.alpha = c.alpha, g.beta = c.beta, g.act = c.act;
  auto args_for = [&](bool device) {
    MpGemmArgs x = g;
    auto p = [&](Buffer& buf) { return device ? buf.d() : buf.h(); };
    x.a = {p(a), lda, c.a_broadcast ? 0 : c.batch_inner * a_mat, a_mat, c.a_col};
    x.b = {p(b), ldb, c.batch_inner * b_mat, b_mat, c.b_col};
    x.out = {p(out), ldo, c.batch_inner * o_mat, o_mat, false};
    if (c.beta != 0.0f) x.c = c.c_is_out ? x.out : MpOperand{p(cb), ldo, c.batch_inner * o_mat, o_mat, false};
    if (c.bias) x.bias = p(bias);
    if (c.residual) x.residual = {p(res), ldo, c.batch_inner * o_mat, o_mat, false};
    return x;
  };
  const std::vector<unsigned char> before = out.host;
  run(args_for(true), cuda::current_stream());
  ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  const std::vector<unsigned char> got = out.download();
  // The reference sums |a b| before the host buffers change (c may be out).
  std::vector<double> abs_sum(static_cast<size_t>(Z * o_mat), 0.0);
  for (int64_t z = 0; z < Z; ++z) {
    const int64_t z0 = z / c.batch_inner, z1 = z % c.batch_inner;
    const int64_t ao = (c.a_broadcast ? 0 : z0 * c.batch_inner * a_mat) + z1 * a_mat, bo = z * b_mat;
    for (int64_t m = 0; m < c.M; ++m)
      for (int64_t n = 0; n < c.N; ++n) {
        double s = 0;
        for (int64_t k = 0; k < c.K; ++k)
          s += std::fabs(static_cast<double>(a.at(static_cast<size_t>(ao + (c.a_col ? m + k * lda : m * lda + k)))) *
                         b.at(static_cast<size_t>(bo + (c.b_col ? k + n * ldb : k * ldb + n))));
        abs_sum[static_cast<size_t>(z * o_mat + m * ldo + n)] = s;
      }
  }
  cpu::mp_gemm(args_for(false));
  const std::vector<unsigned char>& want = out.host;

  const size_t es = dtype_size(c.out);
  const double u = std::ldexp(1.0, -24);
  const double out_rel =
      c.out == DType::Float32 ? 0.0 : (c.out == DType::Float16 ? std::ldexp(1.0, -10) : std::ldexp(1.0, -7));
  const bool exact = c.integers && (c.act == MpActivation::None || c.act == MpActivation::Relu);
  int64_t bad = 0;
  for (int64_t z = 0; z < Z; ++z)
    for (int64_t m = 0; m < c.M; ++m)
      for (int64_t r = 0; r < ldo; ++r) {
        const size_t i = static_cast<size_t>(z * o_mat + m * ldo + r);
        const float gv = to_float(c.out, got.data() + i * es), wv = to_float(c.out, want.data() + i * es);
        if (r >= c.N) {  // padding: untouched
          ASSERT_EQ(std::memcmp(got.data() + i * es, before.data() + i * es, es), 0) << "padding written at " << i;
          continue;
        }
        double tol = 0;
        if (!exact) {
          const double cv = c.beta != 0.0f
                                ? std::fabs(c.beta * (c.c_is_out ? to_float(c.out, before.data() + i * es) : cb.at(i)))
                                : 0.0;
          const double terms = abs_sum[i] * std::fabs(c.alpha) + cv +
                               (c.bias ? std::fabs(bias.at(static_cast<size_t>(r))) : 0) +
                               (c.residual ? std::fabs(res.at(i)) : 0);
          tol = 1.13 * 2.0 * static_cast<double>(c.K) * u * abs_sum[i] * std::fabs(c.alpha) + 8 * u * terms +
                out_rel * std::max(std::fabs(gv), std::fabs(wv)) + 1e-30;
        }
        const bool ok = exact ? std::memcmp(got.data() + i * es, want.data() + i * es, es) == 0
                              : (std::fabs(static_cast<double>(gv) - wv) <= tol || (std::isnan(gv) && std::isnan(wv)));
        if (!ok && bad++ < 5)
          ADD_FAILURE() << "z=" << z << " m=" << m << " n=" << r << ": kernel " << gv << ", twin " << wv
                        << (exact ? " (exact expected)" : str(" (tolerance ", tol, ")"));
      }
  EXPECT_EQ(bad, 0);
}

}  // namespace mp_gemm_testing

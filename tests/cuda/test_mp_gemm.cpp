// The tensor-core mixed-precision GEMM (kernels/linalg_mp_gemm.cu) against its CPU twin
// (seek::cpu::mp_gemm) on the simulated device: every input/output dtype, both layouts of
// a and b, tails around the 128x128x32 tile, batches (strided, broadcast, two levels), each
// epilogue, misaligned operands (the element-wise load path), K = 0, the errors, and
// matmul / nn::Linear under autocast, which reach it through gemm_forward.
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

namespace {

float to_float(DType dt, const unsigned char* p) {
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
void from_float(DType dt, unsigned char* p, float v) {
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
  size_t misalign = 0;    // elements by which a and b start past an aligned address
  bool integers = false;  // integer-valued data: the sums are exact, the results must match exactly
  uint32_t seed = 1;
};

std::string describe(const Case& c) {
  return str("M=", c.M, " N=", c.N, " K=", c.K, " in=", c.in, " out=", c.out, " a_col=", c.a_col, " b_col=", c.b_col,
             " batch=", c.batch, "x", c.batch_inner, " alpha=", c.alpha, " beta=", c.beta, " bias=", c.bias,
             " residual=", c.residual, " act=", static_cast<int>(c.act), " pad=", c.pad, " misalign=", c.misalign);
}

// Runs the case through cuda::mp_gemm and cpu::mp_gemm and compares every element of the
// output buffer (padding included: neither side may touch it).
void check(const Case& c) {
  SCOPED_TRACE(describe(c));
  std::mt19937 rng(c.seed);
  const int64_t Z = c.batch * c.batch_inner;
  const int64_t lda = (c.a_col ? c.M : c.K) + c.pad, ldb = (c.b_col ? c.K : c.N) + c.pad, ldo = c.N + c.pad;
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
  cuda::mp_gemm(args_for(true), cuda::current_stream());
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

const DType kIns[] = {DType::BFloat16, DType::Float16};
const DType kOuts[] = {DType::Float32, DType::BFloat16, DType::Float16};

TEST(CudaMpGemm, EveryDtypeAndLayoutExact) {
  for (DType in : kIns)
    for (DType out : kOuts)
      for (int layout = 0; layout < 4; ++layout) {
        Case c;
        c.M = 33, c.N = 17 + 8 * layout, c.K = 65, c.in = in, c.out = out;
        c.a_col = layout & 1, c.b_col = layout & 2, c.integers = true, c.seed = 10 + layout;
        check(c);
      }
}

TEST(CudaMpGemm, EveryDtypeAndLayoutRandom) {
  for (DType in : kIns)
    for (DType out : kOuts)
      for (int layout = 0; layout < 4; ++layout) {
        Case c;
        c.M = 40, c.N = 24, c.K = 96, c.in = in, c.out = out;
        c.a_col = layout & 1, c.b_col = layout & 2, c.seed = 20 + layout;
        check(c);
      }
}

TEST(CudaMpGemm, Tails) {
  const int64_t sizes[] = {1, 17, 33, 65, 130};
  int i = 0;
  for (int64_t M : sizes)
    for (int64_t N : sizes)
      for (int64_t K : sizes) {
        Case c;
        c.M = M, c.N = N, c.K = K, c.a_col = i & 1, c.b_col = (i >> 1) & 1, c.in = kIns[i % 2];
        c.integers = i % 3 == 0, c.seed = static_cast<uint32_t>(100 + i++);
        check(c);
      }
}

TEST(CudaMpGemm, FullTilesAndPaddedRows) {
  for (bool a_col : {false, true})
    for (bool b_col : {false, true}) {
      Case c;
      c.M = c.N = c.K = 128, c.a_col = a_col, c.b_col = b_col, c.integers = true;
      check(c);
      c.M = 128, c.N = 256, c.K = 96, c.pad = 8, c.integers = false, c.out = DType::BFloat16;  // 16-byte padded rows
      check(c);
    }
}

TEST(CudaMpGemm, Batched) {
  Case c;
  c.M = 33, c.N = 40, c.K = 48, c.batch = 3, c.integers = true;
  check(c);
  c.a_col = true, c.b_col = true, c.pad = 3, c.integers = false, c.out = DType::Float16;  // odd rows: element path
  check(c);
  c = Case{};
  c.M = 20, c.N = 9, c.K = 70, c.batch = 2, c.batch_inner = 3, c.a_broadcast = true, c.b_col = true;
  check(c);
}

TEST(CudaMpGemm, Epilogues) {
  const MpActivation acts[] = {MpActivation::None, MpActivation::Relu, MpActivation::GeluTanh, MpActivation::GeluErf};
  int i = 0;
  for (MpActivation act : acts)
    for (DType out : kOuts) {
      Case c;
      c.M = 35, c.N = 21, c.K = 40, c.out = out, c.act = act, c.bias = true, c.seed = static_cast<uint32_t>(200 + i);
      c.a_col = i & 1, c.in = kIns[(i >> 1) & 1];
      check(c);  // bias + activation
      c.residual = true, c.alpha = 0.5f, c.beta = -1.25f;
      check(c);  // everything
      c.bias = false, c.c_is_out = true, c.integers = true;
      check(c);  // in-place beta, exact for None/ReLU
      ++i;
    }
  Case c;
  c.alpha = 2.0f, c.beta = 0.0f, c.residual = true, c.integers = true;  // residual alone
  check(c);
}

TEST(CudaMpGemm, MisalignedOperandsTakeTheElementPath) {
  for (size_t mis : {size_t{1}, size_t{2}, size_t{4}})
    for (int layout = 0; layout < 4; ++layout) {
      Case c;
      c.M = 37, c.N = 29, c.K = 45, c.misalign = mis, c.a_col = layout & 1, c.b_col = layout & 2, c.integers = true;
      check(c);
    }
  Case c;  // aligned bases, odd leading dimensions
  c.M = 24, c.N = 24, c.K = 24, c.pad = 1, c.in = DType::Float16, c.out = DType::Float16;
  check(c);
}

TEST(CudaMpGemm, EmptyK) {
  Case c;
  c.M = 19, c.N = 23, c.K = 0, c.beta = 0.5f, c.bias = true, c.act = MpActivation::Relu, c.integers = true;
  check(c);
}

TEST(CudaMpGemm, BadArgumentsAreNamed) {
  void* dev = nullptr;
  ASSERT_EQ(cudaMalloc(&dev, 4096), cudaSuccess);
  std::vector<uint16_t> host(2048);
  auto base = [&] {
    MpGemmArgs g;
    g.M = g.N = g.K = 16;
    g.a = {dev, 16, 0, 0, false};
    g.b = {dev, 16, 0, 0, false};
    g.out = {dev, 16, 0, 0, false};
    return g;
  };
  auto expect_error = [&](const MpGemmArgs& g, const std::string& needle) {
    try {
      cuda::mp_gemm(g, cuda::current_stream());
      ADD_FAILURE() << "no error; expected one naming " << needle;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  MpGemmArgs g = base();
  g.in_dtype = DType::Float32;
  expect_error(g, "in_dtype");
  g = base(), g.out_dtype = DType::Int32;
  expect_error(g, "out_dtype");
  g = base(), g.a.data = nullptr;
  expect_error(g, "a is null");
  g = base(), g.b.ld = 15;
  expect_error(g, "b.ld 15");
  g = base(), g.a.col_major = true, g.a.ld = 8;
  expect_error(g, "a.ld 8");
  g = base(), g.out.col_major = true;
  expect_error(g, "out must be row-major");
  g = base(), g.beta = 1.0f;
  expect_error(g, "c is null");
  g = base(), g.b.data = static_cast<char*>(dev) + 1;
  expect_error(g, "b (");
  g = base(), g.K = -1;
  expect_error(g, "K=-1");
  g = base(), g.a.data = host.data();
  expect_error(g, "a (");
  g = base(), g.bias = host.data();
  expect_error(g, "bias");
  g = base(), g.batch = 0;
  expect_error(g, "batch");
  ASSERT_EQ(cudaFree(dev), cudaSuccess);
  g = base(), g.in_dtype = DType::Float32;  // the twin checks the same way
  try {
    cpu::mp_gemm(g);
    ADD_FAILURE() << "cpu::mp_gemm took in_dtype float32";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cpu::mp_gemm: in_dtype"), std::string::npos) << e.what();
  }
}

// matmul and Linear of 16-bit CUDA tensors go through gemm_forward's mp_gemm hook on the
// simulated device: integer-valued operands give the exact products.
TEST(CudaMpGemm, MatmulAndLinearUnderAutocast) {
  // Sums up to 50 in magnitude: exact in bf16 and f16.
  const Tensor a = randint(-1, 2, {2, 37, 50}, kFloat32);
  const Tensor b = randint(-1, 2, {50, 21}, kFloat32);
  const Tensor want = matmul(a.to(kFloat64), b.to(kFloat64));
  for (DType dt : {kBFloat16, kFloat16}) {
    const Tensor got = matmul(a.to(kCUDA, dt), b.to(kCUDA, dt));
    EXPECT_TRUE(equal(got.to(kCPU).to(kFloat64), want)) << dt;
    const Tensor got_t = matmul(a.to(kCUDA, dt), b.t().contiguous().t().to(kCUDA, dt));  // column-major b
    EXPECT_TRUE(equal(got_t.to(kCPU).to(kFloat64), want)) << dt;
  }
  nn::Linear lin(50, 21);  // |x W^T + bias| <= 202: exact in bf16
  {
    NoGradGuard ng;
    lin.param("weight").copy_(randint(-2, 3, {21, 50}, kFloat32));
    lin.param("bias").copy_(randint(-2, 3, {21}, kFloat32));
  }
  const Tensor x = randint(-2, 3, {37, 50}, kFloat32);
  const Tensor want_lin = lin.forward(x);
  lin.to(kCUDA);
  amp::AutocastGuard guard(DeviceType::CUDA, kBFloat16);
  const Tensor y = lin.forward(x.to(kCUDA));
  EXPECT_EQ(y.dtype(), kBFloat16);
  EXPECT_TRUE(equal(y.to(kCPU).to(kFloat32), want_lin));
}

}  // namespace

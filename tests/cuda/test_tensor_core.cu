// The tensor-core wrappers (kernels/tensor_core.cuh) against the PTX ISA's
// fragment layouts, written out here a second time in the ISA's own piecewise
// form: the host builds every lane's input registers from whole matrices with
// these formulas, a kernel runs the wrapper, and the host checks every output
// register of every lane against a host reference through the same formulas.
// On integer-valued data every product and sum is exact, so the simulator and a
// GPU must agree bit for bit; scripts/gpu_check.sh runs this suite
// (--gtest_filter=TensorCore*) first on a real GPU. Last, a small double-buffered
// GEMM (cp.async + ldmatrix + mma) checks the wrappers together, and in the
// simulator the same GEMM without its cp.async wait reads poisoned shared memory
// (test_tensor_core_sim.cu). Shared kernels and checks: tensor_core_testing.cuh.
#include "tests/cuda/tensor_core_testing.cuh"

namespace {

// 32 shared-memory row slots of 16 halves (32 bytes): lane l fills slot l from `slots`,
// then passes the address of slot slot_of_lane[l] to ldmatrix; registers out as [lane][matrix].
template <int Count, bool Trans>
__global__ void ldmatrix_kernel(const uint16_t* slots, const int* slot_of_lane, uint32_t* out) {
  __shared__ __align__(16) uint16_t smem[32 * 16];
  const int lane = static_cast<int>(threadIdx.x);
  for (int j = 0; j < 16; ++j) smem[lane * 16 + j] = slots[lane * 16 + j];
  __syncthreads();
  uint32_t regs[Count];
  cuda::ldmatrix<Count, Trans>(regs, &smem[slot_of_lane[lane] * 16]);
  for (int m = 0; m < Count; ++m) out[lane * Count + m] = regs[m];
}

// The recipe the header gives for mma operands: the A fragment of a row-major 16x16 tile is
// ldmatrix.x4 of its quarters, the B fragment of a row-major [k][n] 16x8 tile is
// ldmatrix.x2.trans of its halves along k. Registers out as [lane][register].
__global__ void fragment_load_kernel(const uint16_t* a, const uint16_t* b, uint32_t* a_regs, uint32_t* b_regs) {
  __shared__ __align__(16) uint16_t as[16][16 + 8];  // padded rows of 48 bytes
  __shared__ __align__(16) uint16_t bs[16][8];
  const int lane = static_cast<int>(threadIdx.x);
  if (lane < 16) {
    for (int c = 0; c < 16; ++c) as[lane][c] = a[lane * 16 + c];
    for (int c = 0; c < 8; ++c) bs[lane][c] = b[lane * 8 + c];
  }
  __syncthreads();
  const int j = lane >> 3, r = lane & 7;  // lane 8j + r addresses row r of matrix j
  uint32_t ra[4], rb[2];
  cuda::ldmatrix<4>(ra, &as[r + 8 * (j & 1)][8 * (j >> 1)]);
  cuda::ldmatrix<2, true>(rb, &bs[r + 8 * (j & 1)][0]);
  for (int i = 0; i < 4; ++i) a_regs[lane * 4 + i] = ra[i];
  for (int i = 0; i < 2; ++i) b_regs[lane * 2 + i] = rb[i];
}

// Random small integers (every product and sum exact), then one-hot A (each A element
// alone, so a misplaced A register shows as a misplaced row), one-hot B, and C alone.
std::vector<MmaProblem> mma_problems(uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> small(-8, 8), acc(-256, 256);
  std::vector<MmaProblem> out;
  for (int p = 0; p < 16; ++p) {
    MmaProblem q;
    for (auto& row : q.a)
      for (float& v : row) v = static_cast<float>(small(rng));
    for (auto& row : q.b)
      for (float& v : row) v = static_cast<float>(small(rng));
    for (auto& row : q.c)
      for (float& v : row) v = static_cast<float>(acc(rng));
    out.push_back(q);
  }
  for (int m = 0; m < 16; ++m)
    for (int k = 0; k < 16; ++k) {
      MmaProblem q;
      q.a[m][k] = static_cast<float>(1 + (m + k) % 3);
      for (int kk = 0; kk < 16; ++kk)
        for (int n = 0; n < 8; ++n) q.b[kk][n] = static_cast<float>(kk * 8 + n + 1);  // distinct, exact in bf16
      out.push_back(q);
    }
  for (int k = 0; k < 16; ++k)
    for (int n = 0; n < 8; ++n) {
      MmaProblem q;
      q.b[k][n] = 1.0f;
      for (int m = 0; m < 16; ++m)
        for (int kk = 0; kk < 16; ++kk) q.a[m][kk] = static_cast<float>(m * 16 + kk + 1);  // 1..256: exact in bf16
      out.push_back(q);
    }
  MmaProblem q;
  for (int m = 0; m < 16; ++m)
    for (int n = 0; n < 8; ++n) q.c[m][n] = static_cast<float>(m * 8 + n) - 60.5f;
  out.push_back(q);
  return out;
}

TEST_F(TensorCore, MmaBf16MatchesTheFragmentLayoutsBitForBit) {
  expect_mma_exact<__nv_bfloat16>(mma_problems(1), "bf16");
}

TEST_F(TensorCore, MmaF16MatchesTheFragmentLayoutsBitForBit) { expect_mma_exact<__half>(mma_problems(2), "f16"); }

TEST_F(TensorCore, MmaAccumulatesInPlace) {
  // d aliasing c, as kernels accumulate: three rounds of D += A*B from the given C.
  MmaProblem q;
  for (int m = 0; m < 16; ++m)
    for (int k = 0; k < 16; ++k) q.a[m][k] = static_cast<float>((m * 3 + k) % 5 - 2);
  for (int k = 0; k < 16; ++k)
    for (int n = 0; n < 8; ++n) q.b[k][n] = static_cast<float>((k + n * 7) % 9 - 4);
  for (int m = 0; m < 16; ++m)
    for (int n = 0; n < 8; ++n) q.c[m][n] = static_cast<float>(m - n);
  expect_mma_exact<__nv_bfloat16>({q}, "bf16, 3 rounds", 3);
  expect_mma_exact<__half>({q}, "f16, 3 rounds", 3);
}

// ---- packing helpers ----

TEST_F(TensorCore, PackHelpersPutTheFirstValueInTheLowHalf) {
  const uint32_t bf = cuda::pack_bf16x2(1.0f, -2.0f);
  EXPECT_EQ(bf & 0xffffu, 0x3f80u);
  EXPECT_EQ(bf >> 16, 0xc000u);
  const uint32_t h = cuda::pack_f16x2(1.0f, -2.0f);
  EXPECT_EQ(h & 0xffffu, 0x3c00u);
  EXPECT_EQ(h >> 16, 0xc000u);
  EXPECT_EQ(cuda::unpack_bf16x2(bf).x, 1.0f);
  EXPECT_EQ(cuda::unpack_bf16x2(bf).y, -2.0f);
  EXPECT_EQ(cuda::unpack_f16x2(h).x, 1.0f);
  EXPECT_EQ(cuda::unpack_f16x2(h).y, -2.0f);
  // Round to nearest even: 1 + 2^-8 is halfway between two bf16 values and rounds down to 1.
  EXPECT_EQ(cuda::unpack_bf16x2(cuda::pack_bf16x2(1.0f + 1.0f / 256, 3.0f)).x, 1.0f);
  EXPECT_EQ(cuda::unpack_bf16x2(cuda::pack_bf16x2(1.0f + 3.0f / 256, 3.0f)).x, 1.0f + 4.0f / 256);
  EXPECT_EQ(cuda::pack_x2<__nv_bfloat16>(0.5f, 4.0f), cuda::pack_bf16x2(0.5f, 4.0f));
  EXPECT_EQ(cuda::pack_x2<__half>(0.5f, 4.0f), cuda::pack_f16x2(0.5f, 4.0f));
  EXPECT_EQ(cuda::unpack_x2<__half>(cuda::pack_f16x2(0.5f, 4.0f)).y, 4.0f);
}

// ---- ldmatrix ----

uint16_t ldm_value(int m, int r, int c) { return static_cast<uint16_t>(0x1000 + m * 0x100 + r * 0x10 + c); }

template <int Count, bool Trans>
void expect_ldmatrix() {
  // Lane l's row (matrix l / 8, row l % 8) sits in slot (13 l + 5) mod 32, so that every
  // row address matters; columns 8..15 of a slot are padding that must not be read.
  std::vector<int> slot_of_lane(32);
  std::vector<uint16_t> slots(32 * 16);
  for (int l = 0; l < 32; ++l) {
    const int s = (13 * l + 5) % 32;
    slot_of_lane[static_cast<size_t>(l)] = s;
    for (int c = 0; c < 16; ++c)
      slots[static_cast<size_t>(s * 16 + c)] = c < 8 ? ldm_value(l / 8, l % 8, c) : static_cast<uint16_t>(0xdead);
  }
  DeviceBuffer<uint16_t> dslots(slots);
  DeviceBuffer<int> dslot(slot_of_lane);
  DeviceBuffer<uint32_t> dout(32 * Count);
  launch(ldmatrix_kernel<Count, Trans>, {dim3(1), dim3(32)}, dslots.ptr, dslot.ptr, dout.ptr);
  const std::vector<uint32_t> out = dout.download();
  for (int lane = 0; lane < 32; ++lane)
    for (int m = 0; m < Count; ++m) {
      const int g = lane / 4, t = lane % 4;
      const uint16_t lo = Trans ? ldm_value(m, 2 * t, g) : ldm_value(m, g, 2 * t);
      const uint16_t hi = Trans ? ldm_value(m, 2 * t + 1, g) : ldm_value(m, g, 2 * t + 1);
      const uint32_t got = out[static_cast<size_t>(lane * Count + m)];
      EXPECT_EQ(got, static_cast<uint32_t>(lo) | static_cast<uint32_t>(hi) << 16)
          << "x" << Count << (Trans ? ".trans" : "") << " lane " << lane << " matrix " << m << ": got 0x" << std::hex
          << got;
    }
}

TEST_F(TensorCore, LdmatrixX1) { expect_ldmatrix<1, false>(); }
TEST_F(TensorCore, LdmatrixX2) { expect_ldmatrix<2, false>(); }
TEST_F(TensorCore, LdmatrixX4) { expect_ldmatrix<4, false>(); }
TEST_F(TensorCore, LdmatrixX1Trans) { expect_ldmatrix<1, true>(); }
TEST_F(TensorCore, LdmatrixX2Trans) { expect_ldmatrix<2, true>(); }
TEST_F(TensorCore, LdmatrixX4Trans) { expect_ldmatrix<4, true>(); }

TEST_F(TensorCore, LdmatrixBuildsMmaFragments) {
  std::vector<uint16_t> a(16 * 16), b(16 * 8);
  for (int m = 0; m < 16; ++m)
    for (int k = 0; k < 16; ++k) a[static_cast<size_t>(m * 16 + k)] = static_cast<uint16_t>(0x1000 + m * 16 + k);
  for (int k = 0; k < 16; ++k)
    for (int n = 0; n < 8; ++n) b[static_cast<size_t>(k * 8 + n)] = static_cast<uint16_t>(0x2000 + k * 8 + n);
  DeviceBuffer<uint16_t> da(a), db(b);
  DeviceBuffer<uint32_t> dra(32 * 4), drb(32 * 2);
  launch(fragment_load_kernel, {dim3(1), dim3(32)}, da.ptr, db.ptr, dra.ptr, drb.ptr);
  const std::vector<uint32_t> ra = dra.download(), rb = drb.download();
  const auto pair = [](uint16_t lo, uint16_t hi) {
    return static_cast<uint32_t>(lo) | static_cast<uint32_t>(hi) << 16;
  };
  for (int lane = 0; lane < 32; ++lane) {
    for (int r = 0; r < 4; ++r)
      EXPECT_EQ(ra[static_cast<size_t>(lane * 4 + r)],
                pair(a[static_cast<size_t>(a_row(lane, 2 * r) * 16 + a_col(lane, 2 * r))],
                     a[static_cast<size_t>(a_row(lane, 2 * r + 1) * 16 + a_col(lane, 2 * r + 1))]))
          << "A: lane " << lane << " a[" << r << "]";
    for (int r = 0; r < 2; ++r)
      EXPECT_EQ(rb[static_cast<size_t>(lane * 2 + r)],
                pair(b[static_cast<size_t>(b_k(lane, 2 * r) * 8 + b_n(lane))],
                     b[static_cast<size_t>(b_k(lane, 2 * r + 1) * 8 + b_n(lane))]))
          << "B: lane " << lane << " b[" << r << "]";
  }
}

// ---- cp.async ----
TEST_F(TensorCore, CpAsyncGroupsLandByTheirWaits) { expect_landed(run_cp_async(false)); }

// ---- the tiled GEMM ----
template <typename T>
void expect_gemm_exact_on_integers(int M, int N, int K) {
  const Gemm g = gemm_inputs<T>(M, N, K, true, 11);
  const std::vector<float> got = run_gemm<T>(g, true), want = gemm_reference<T>(g, false);
  for (size_t i = 0; i < got.size(); ++i)
    ASSERT_EQ(float_bits(got[i]), float_bits(want[i]))
        << "C[" << i / static_cast<size_t>(N) << "][" << i % static_cast<size_t>(N) << "] is " << got[i]
        << ", expected " << want[i];
}

TEST_F(TensorCore, TiledGemmBf16IsExactOnIntegers) { expect_gemm_exact_on_integers<__nv_bfloat16>(128, 192, 96); }

TEST_F(TensorCore, TiledGemmF16IsExactOnIntegers) { expect_gemm_exact_on_integers<__half>(64, 128, 160); }

TEST_F(TensorCore, TiledGemmBf16OnRandomDataIsWithinBf16Tolerance) {
  const int M = 128, N = 192, K = 96;
  const Gemm g = gemm_inputs<__nv_bfloat16>(M, N, K, false, 12);
  const std::vector<float> got = run_gemm<__nv_bfloat16>(g, true);
  const std::vector<float> f32 = gemm_reference<__nv_bfloat16>(g, false);
  const std::vector<float> rounded = gemm_reference<__nv_bfloat16>(g, true);
  float scale = 0;
  for (float v : f32) scale = std::max(scale, std::fabs(v));
  ASSERT_GT(scale, 1.0f);
  for (size_t i = 0; i < got.size(); ++i) {
    // Against f32 inputs: bf16's input rounding, 1e-2 of the largest result.
    ASSERT_NEAR(got[i], f32[i], 1e-2f * scale) << "element " << i;
    // Against the same bf16 inputs: only f32 summation error remains.
    ASSERT_NEAR(got[i], rounded[i], 1e-5f * scale) << "element " << i;
  }
}

}  // namespace

#pragma once
// Hopper (sm_90a) primitives for seek's kernels, in both builds of a kernel file: mbarriers
// (init, arrive, arrive.expect_tx, try_wait.parity), TMA tile loads (cp.async.bulk.tensor with
// a CUtensorMap built on the host, 128-byte swizzle, out-of-bounds zero fill), wgmma
// (m64n128k16 and m64n256k16, bf16/f16 in, f32 accumulate, both operands from shared memory through matrix
// descriptors), wgmma fence/commit/wait and setmaxnreg. Kernels reach these instructions only
// through this header (docs/cuda.md), as they reach mma.sync through kernels/tensor_core.cuh.
//
// Trick: under nvcc each wrapper is one inline-PTX instruction (sm_90a; the file that uses
// them is compiled for compute_90a, and every other target gets a trap). In the simulator
// build (SEEK_CUDA_SIM) each is host C++ with the same semantics, so the kernel runs in CI:
//  - a shared address is the offset into the block's dynamic shared memory (sim::dynamic_shared);
//    descriptors and swizzles work on these addresses, as the GPU's do on its shared window;
//  - an mbarrier keeps its state in its own 8 bytes of shared memory: phase bit, expected and
//    pending arrivals (15 + 16 bits) and the transaction count (32 bits); waiting spins with
//    sim::yield, and arrivals call sim::progress, so a wait nothing can end is a deadlock error;
//  - a TMA load is done by the issuing thread at once: the box is read from device memory (zero
//    past the tensor's bounds), written with the 128-byte swizzle, and its bytes completed on the
//    mbarrier; the tensor map's 128 bytes hold the simulator's own description (SimTensorMap);
//  - wgmma is a warp collective per warp of the warpgroup (warp w owns rows 16w..16w+15 of the
//    m64 tile, which depend only on A's rows 16w.. and all of B): the last lane reads A and B
//    through the descriptors (the same address function the tests check against a plain
//    reference), adds the products to the accumulators in double, rounds once, and writes each
//    lane its fragment in wgmma's register layout. It runs when issued (fence, commit and wait
//    only order it), so releasing a stage before wgmma.wait_group is not caught by the simulator.
//
// Layouts (PTX ISA, "Asynchronous Warpgroup Level Matrix Shared Memory Layout" and "Register
// Fragments"); 16-bit elements, 128-byte swizzle only:
//   swizzle: the 16-byte chunk of shared address x is XORed with the address's 128-byte row in its
//            1024-byte atom: phys(x) = x ^ (((x >> 7) & 7) << 4) (TMA writes it, wgmma reads it).
//   K-major operand (A row-major, B column-major), element (mn, k):
//            start + (mn / 8) * SBO + (mn % 8) * 128 + (k / 64) * LBO + (k % 64) * 2, then swizzled
//   MN-major operand (A column-major, B row-major), element (mn, k):
//            start + (mn / 64) * LBO + (k / 8) * SBO + (k % 8) * 128 + (mn % 64) * 2, then swizzled
//   descriptor: bits 0-13 start >> 4, 16-29 LBO >> 4, 32-45 SBO >> 4, 62-63 swizzle (1 = 128B)
//   accumulator D (m64nN, f32): thread 32w + 4g + t holds d[4j + i] = D[16w + g + 8 (i >> 1)]
//            [8j + 2t + (i & 1)], j = 0..N/8-1.
#include <cuda.h>  // CUtensorMap (types only: the nvcc build reaches the driver through cudart)
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <cstring>
#include <type_traits>

#include "backend/cuda/cuda_check.h"
#include "seek/core/error.h"

#if defined(SEEK_CUDA_SIM)
#include <source_location>

#include "backend/cuda/sim_memory.h"
#include "kernels/sim/sim.h"
#define SEEK_HOPPER_CALL_SITE , std::source_location where = std::source_location::current()
#else
#define SEEK_HOPPER_CALL_SITE
#endif

// The PTX below assembles only for sm_90a (arch-specific features); other targets trap.
#if defined(__CUDA_ARCH__) && defined(__CUDA_ARCH_FEAT_SM90_ALL)
#define SEEK_HOPPER_PTX 1
#endif

namespace seek::cuda::hopper {

// ---- address math (host and device; the simulator uses it, tests check it) ----

constexpr uint32_t kSwizzleAtomBytes = 1024;  // 8 rows of 128 bytes

// The physical shared address of logical address `addr` under the 128-byte swizzle.
__host__ __device__ constexpr uint32_t swizzle_128b(uint32_t addr) { return addr ^ (((addr >> 7) & 7u) << 4); }

// A wgmma shared-memory matrix descriptor with the 128-byte swizzle (addresses in bytes,
// multiples of 16).
__host__ __device__ constexpr uint64_t make_smem_desc(uint32_t start, uint32_t lbo, uint32_t sbo) {
  return static_cast<uint64_t>((start >> 4) & 0x3fffu) | static_cast<uint64_t>((lbo >> 4) & 0x3fffu) << 16 |
         static_cast<uint64_t>((sbo >> 4) & 0x3fffu) << 32 | uint64_t{1} << 62;
}
__host__ __device__ constexpr uint32_t desc_start(uint64_t d) { return static_cast<uint32_t>(d & 0x3fffu) << 4; }
__host__ __device__ constexpr uint32_t desc_lbo(uint64_t d) { return static_cast<uint32_t>(d >> 16 & 0x3fffu) << 4; }
__host__ __device__ constexpr uint32_t desc_sbo(uint64_t d) { return static_cast<uint32_t>(d >> 32 & 0x3fffu) << 4; }
__host__ __device__ constexpr int desc_swizzle(uint64_t d) { return static_cast<int>(d >> 62); }

// The physical shared address of element (mn, k) of a 16-bit operand described by `desc`
// (mn_major: the operand's contiguous dimension is M or N; otherwise K).
__host__ __device__ constexpr uint32_t desc_element_addr(uint64_t desc, bool mn_major, int mn, int k) {
  const uint32_t start = desc_start(desc), lbo = desc_lbo(desc), sbo = desc_sbo(desc);
  const uint32_t logical = mn_major
                               ? start + static_cast<uint32_t>(mn / 64) * lbo + static_cast<uint32_t>(k / 8) * sbo +
                                     static_cast<uint32_t>(k % 8) * 128 + static_cast<uint32_t>(mn % 64) * 2
                               : start + static_cast<uint32_t>(mn / 8) * sbo + static_cast<uint32_t>(mn % 8) * 128 +
                                     static_cast<uint32_t>(k / 64) * lbo + static_cast<uint32_t>(k % 64) * 2;
  return swizzle_128b(logical);
}

// ---- shared addresses ----

// The shared-window address of a pointer into shared memory (in the simulator: into the
// block's dynamic shared memory, where every operand of these primitives must live).
__device__ inline uint32_t smem_addr(const void* p) {
#if defined(SEEK_CUDA_SIM)
  const auto* base = static_cast<const unsigned char*>(sim::dynamic_shared());
  const auto* q = static_cast<const unsigned char*>(p);
  if (q < base || q - base >= (ptrdiff_t{1} << 20))
    sim::misuse(str("hopper primitive: ", p, " is not in the block's dynamic shared memory"));
  return static_cast<uint32_t>(q - base);
#else
  return static_cast<uint32_t>(__cvta_generic_to_shared(p));
#endif
}

#if defined(SEEK_CUDA_SIM)
namespace sim_detail {
inline unsigned char* smem_ptr(uint32_t addr) { return static_cast<unsigned char*>(sim::dynamic_shared()) + addr; }

// An mbarrier's 8 bytes: word 0 = phase << 31 | expected << 16 | pending, word 1 = tx count.
struct Mbarrier {
  uint32_t state;
  int32_t tx;
};
static_assert(sizeof(Mbarrier) == 8, "an mbarrier is 8 bytes");
inline Mbarrier* mbar(uint64_t* bar, const char* what) {
  if (reinterpret_cast<uintptr_t>(bar) % 8 != 0) sim::misuse(str(what, ": mbarrier ", bar, " is not 8-byte aligned"));
  smem_addr(bar);
  return reinterpret_cast<Mbarrier*>(bar);
}
inline uint32_t expected(const Mbarrier& m) { return m.state >> 16 & 0x7fffu; }
// Completes the phase when no arrival and no transaction byte is pending.
inline void maybe_complete(Mbarrier& m) {
  if ((m.state & 0xffffu) == 0 && m.tx == 0) m.state = ((m.state ^ 0x80000000u) & 0xffff0000u) | expected(m);
  sim::progress();
}
inline void arrive(uint64_t* bar, const char* what) {
  Mbarrier& m = *mbar(bar, what);
  if (expected(m) == 0) sim::misuse(str(what, ": mbarrier ", bar, " was never initialised"));
  if ((m.state & 0xffffu) == 0) sim::misuse(str(what, ": mbarrier ", bar, " has no pending arrival left"));
  --m.state;
  maybe_complete(m);
}

// What the simulator keeps in a CUtensorMap's 128 bytes.
struct SimTensorMap {
  uint64_t magic;
  const unsigned char* base;
  uint64_t dims[4];
  uint64_t strides[3];  // bytes, dims 1..3
  uint32_t box[2];      // elements along dims 0 and 1 (dims 2, 3: 1)
  uint32_t elem_bytes;
};
constexpr uint64_t kTensorMapMagic = 0x5345454b544d4150ull;  // "SEEKTMAP"
static_assert(sizeof(SimTensorMap) <= sizeof(CUtensorMap), "the simulator's tensor map fits a CUtensorMap");
}  // namespace sim_detail
#endif

// ---- TMA tensor maps (host) ----

// A 16-bit 4-D tensor: dims[0] contiguous, strides (bytes) of dims 1..3, boxes of box_inner
// (at most 64: 128 bytes, the swizzle span) x box_outer elements, 128-byte swizzle, zero fill
// past the bounds. The base must be 16-byte aligned and the strides multiples of 16 (checked).
inline void make_tensor_map(CUtensorMap* map, const void* base, const uint64_t (&dims)[4], const uint64_t (&strides)[3],
                            uint32_t box_inner, uint32_t box_outer) {
  SEEK_CHECK(reinterpret_cast<uintptr_t>(base) % 16 == 0, "hopper::make_tensor_map: base ", base,
             " is not 16-byte aligned");
  for (uint64_t s : strides)
    SEEK_CHECK(s % 16 == 0 && s > 0 && s < (uint64_t{1} << 40), "hopper::make_tensor_map: stride ", s,
               " bytes is not a positive multiple of 16 below 2^40");
  SEEK_CHECK(box_inner * 2 <= 128 && box_inner > 0 && box_outer > 0 && box_outer <= 256,
             "hopper::make_tensor_map: box ", box_inner, " x ", box_outer, " exceeds 64 x 256 (the 128-byte swizzle)");
  std::memset(map, 0, sizeof(*map));
#if defined(SEEK_CUDA_SIM)
  sim_detail::SimTensorMap m{sim_detail::kTensorMapMagic,
                             static_cast<const unsigned char*>(base),
                             {dims[0], dims[1], dims[2], dims[3]},
                             {strides[0], strides[1], strides[2]},
                             {box_inner, box_outer},
                             2};
  std::memcpy(map, &m, sizeof(m));
#else
  using Encode = CUresult (*)(CUtensorMap*, CUtensorMapDataType, cuuint32_t, void*, const cuuint64_t*,
                              const cuuint64_t*, const cuuint32_t*, const cuuint32_t*, CUtensorMapInterleave,
                              CUtensorMapSwizzle, CUtensorMapL2promotion, CUtensorMapFloatOOBfill);
  static const Encode encode = [] {
    void* fn = nullptr;
    cudaDriverEntryPointQueryResult q{};
    SEEK_CUDA_CHECK(cudaGetDriverEntryPointByVersion("cuTensorMapEncodeTiled", &fn, 12000, cudaEnableDefault, &q));
    SEEK_CHECK(q == cudaDriverEntryPointSuccess && fn,
               "hopper::make_tensor_map: the driver has no cuTensorMapEncodeTiled");
    return reinterpret_cast<Encode>(fn);
  }();
  const cuuint64_t gdim[4] = {dims[0], dims[1], dims[2], dims[3]};
  const cuuint64_t gstride[3] = {strides[0], strides[1], strides[2]};
  const cuuint32_t box[4] = {box_inner, box_outer, 1, 1};
  const cuuint32_t estride[4] = {1, 1, 1, 1};
  const CUresult r = encode(map, CU_TENSOR_MAP_DATA_TYPE_UINT16, 4, const_cast<void*>(base), gdim, gstride, box,
                            estride, CU_TENSOR_MAP_INTERLEAVE_NONE, CU_TENSOR_MAP_SWIZZLE_128B,
                            CU_TENSOR_MAP_L2_PROMOTION_L2_256B, CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);
  SEEK_CHECK(r == CUDA_SUCCESS, "hopper::make_tensor_map: cuTensorMapEncodeTiled failed with error ",
             static_cast<int>(r));
#endif
}

// ---- mbarrier ----

// Initialises the mbarrier for `count` arrivals per phase (one thread; then mbarrier_init_fence
// and a block barrier before anyone uses it).
__device__ inline void mbarrier_init(uint64_t* bar, uint32_t count SEEK_HOPPER_CALL_SITE) {
#if defined(SEEK_CUDA_SIM)
  if (count == 0 || count > 0x7fffu) sim::misuse(str("mbarrier.init: count ", count, " is not in [1, 32767]"));
  *sim_detail::mbar(bar, "mbarrier.init") = {count << 16 | count, 0};
  (void)where;
#elif defined(SEEK_HOPPER_PTX)
  asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" ::"r"(smem_addr(bar)), "r"(count) : "memory");
#elif defined(__CUDA_ARCH__)
  __trap();
#endif
}

// Makes initialised mbarriers visible to the async proxy (TMA) and the other threads' arrivals.
__device__ inline void mbarrier_init_fence() {
#if defined(SEEK_HOPPER_PTX)
  asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory");
#endif
}

__device__ inline void mbarrier_arrive(uint64_t* bar SEEK_HOPPER_CALL_SITE) {
#if defined(SEEK_CUDA_SIM)
  sim_detail::arrive(bar, "mbarrier.arrive");
  (void)where;
#elif defined(SEEK_HOPPER_PTX)
  asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];\n" ::"r"(smem_addr(bar)) : "memory");
#elif defined(__CUDA_ARCH__)
  __trap();
#endif
}

// Arrives and raises the phase's expected transaction bytes (the bulk copies that complete it).
__device__ inline void mbarrier_arrive_expect_tx(uint64_t* bar, uint32_t bytes SEEK_HOPPER_CALL_SITE) {
#if defined(SEEK_CUDA_SIM)
  sim_detail::mbar(bar, "mbarrier.arrive.expect_tx")->tx += static_cast<int32_t>(bytes);
  sim_detail::arrive(bar, "mbarrier.arrive.expect_tx");
  (void)where;
#elif defined(SEEK_HOPPER_PTX)
  asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;\n" ::"r"(smem_addr(bar)), "r"(bytes) : "memory");
#elif defined(__CUDA_ARCH__)
  __trap();
#endif
}

// True once the phase of parity `parity` has completed (the current phase's parity differs).
__device__ inline bool mbarrier_try_wait_parity(uint64_t* bar, uint32_t parity) {
#if defined(SEEK_CUDA_SIM)
  return (sim_detail::mbar(bar, "mbarrier.try_wait.parity")->state >> 31) != (parity & 1u);
#elif defined(SEEK_HOPPER_PTX)
  uint32_t done;
  asm volatile("{\n .reg .pred p;\n mbarrier.try_wait.parity.shared::cta.b64 p, [%1], %2;\n selp.b32 %0, 1, 0, p;\n}\n"
               : "=r"(done)
               : "r"(smem_addr(bar)), "r"(parity)
               : "memory");
  return done != 0;
#else
  return true;
#endif
}

// Waits until the phase of parity `parity` has completed (in the simulator: yields meanwhile).
__device__ inline void mbarrier_wait_parity(uint64_t* bar, uint32_t parity SEEK_HOPPER_CALL_SITE) {
  while (!mbarrier_try_wait_parity(bar, parity)) {
#if defined(SEEK_CUDA_SIM)
    sim::yield("mbarrier.try_wait.parity", where);
#endif
  }
}

// ---- TMA ----

// Loads the box at element coordinates (c0, c1, c2, c3) of `map` into shared memory at dst
// (128-byte aligned), swizzled, and completes its bytes on `bar` (cp.async.bulk.tensor.4d).
// Issued by one thread; `map` must be a __grid_constant__ kernel parameter (or in global memory).
__device__ inline void tma_load_4d(void* dst, const CUtensorMap* map, uint64_t* bar, int c0, int c1, int c2,
                                   int c3 SEEK_HOPPER_CALL_SITE) {
#if defined(SEEK_CUDA_SIM)
  (void)where;
  sim_detail::SimTensorMap m;
  std::memcpy(&m, map, sizeof(m));
  if (m.magic != sim_detail::kTensorMapMagic)
    sim::misuse("cp.async.bulk.tensor: the tensor map was not made by hopper::make_tensor_map");
  const uint32_t base = smem_addr(dst);
  if (base % 128 != 0) sim::misuse(str("cp.async.bulk.tensor: destination ", dst, " is not 128-byte aligned"));
  if (c2 < 0 || c3 < 0 || static_cast<uint64_t>(c2) >= m.dims[2] || static_cast<uint64_t>(c3) >= m.dims[3])
    sim::misuse(str("cp.async.bulk.tensor: batch coordinates (", c2, ", ", c3, ") outside the tensor"));
  const unsigned char* plane =
      m.base + static_cast<uint64_t>(c2) * m.strides[1] + static_cast<uint64_t>(c3) * m.strides[2];
  for (uint32_t r = 0; r < m.box[1]; ++r) {
    for (uint32_t e = 0; e < m.box[0]; ++e) {
      const int64_t x = int64_t{c0} + e, y = int64_t{c1} + r;
      uint16_t v = 0;
      if (x >= 0 && y >= 0 && static_cast<uint64_t>(x) < m.dims[0] && static_cast<uint64_t>(y) < m.dims[1])
        std::memcpy(&v, plane + static_cast<uint64_t>(y) * m.strides[0] + static_cast<uint64_t>(x) * 2, 2);
      std::memcpy(sim_detail::smem_ptr(swizzle_128b(base + (r * m.box[0] + e) * 2)), &v, 2);
    }
  }
  sim_detail::Mbarrier& mb = *sim_detail::mbar(bar, "cp.async.bulk.tensor");
  mb.tx -= static_cast<int32_t>(m.box[0] * m.box[1] * m.elem_bytes);
  sim_detail::maybe_complete(mb);
#elif defined(SEEK_HOPPER_PTX)
  asm volatile(
      "cp.async.bulk.tensor.4d.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1, {%2, %3, %4, %5}], "
      "[%6];\n" ::"r"(smem_addr(dst)),
      "l"(reinterpret_cast<uint64_t>(map)), "r"(c0), "r"(c1), "r"(c2), "r"(c3), "r"(smem_addr(bar))
      : "memory");
#elif defined(__CUDA_ARCH__)
  __trap();
#endif
}

// ---- wgmma ----

// wgmma.fence: orders register accesses to the accumulators before the next wgmma.
__device__ inline void wgmma_fence() {
#if defined(SEEK_HOPPER_PTX)
  asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory");
#endif
}
__device__ inline void wgmma_commit() {
#if defined(SEEK_HOPPER_PTX)
  asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory");
#endif
}
// Waits until at most N committed wgmma groups of the warp are pending.
template <int N>
__device__ inline void wgmma_wait() {
#if defined(SEEK_HOPPER_PTX)
  asm volatile("wgmma.wait_group.sync.aligned %0;\n" ::"n"(N) : "memory");
#endif
}
// Keeps the compiler from moving accumulator accesses across wgmma's asynchronous window.
template <int R>
__device__ inline void fence_accumulators(float (&d)[R]) {
#if defined(SEEK_HOPPER_PTX)
#pragma unroll
  for (int i = 0; i < R; ++i) asm volatile("" : "+f"(d[i])::"memory");
#endif
}

// setmaxnreg: a warpgroup releases (dec) or claims (inc) registers; no-op in the simulator.
template <int R>
__device__ inline void setmaxnreg_dec() {
#if defined(SEEK_HOPPER_PTX)
  asm volatile("setmaxnreg.dec.sync.aligned.u32 %0;\n" ::"n"(R));
#endif
}
template <int R>
__device__ inline void setmaxnreg_inc() {
#if defined(SEEK_HOPPER_PTX)
  asm volatile("setmaxnreg.inc.sync.aligned.u32 %0;\n" ::"n"(R));
#endif
}

#if defined(SEEK_CUDA_SIM)
namespace sim_detail {
struct WgmmaLane {
  uint64_t da, db;
  int warp_in_group;
  const float* acc;
};
template <typename T>
inline double b16(const unsigned char* p) {
  uint16_t bits;
  std::memcpy(&bits, p, 2);
  if constexpr (std::is_same_v<T, __nv_bfloat16>) {
    const uint32_t f = static_cast<uint32_t>(bits) << 16;
    float v;
    std::memcpy(&v, &f, 4);
    return v;
  } else {
    __half_raw raw;
    raw.x = bits;
    return __half2float(__half(raw));
  }
}
template <typename T, int N, bool TransA, bool TransB>
void wgmma_combine(const sim::WarpCall& call) {
  const auto& l0 = *static_cast<const WgmmaLane*>(call.in[0]);
  for (int lane = 1; lane < 32; ++lane) {
    const auto& l = *static_cast<const WgmmaLane*>(call.in[lane]);
    if (l.da != l0.da || l.db != l0.db)
      sim::misuse(str("wgmma.mma_async: lane ", lane, " passes descriptors (0x", std::hex, l.da, ", 0x", l.db,
                      ") but lane 0 (0x", l0.da, ", 0x", l0.db, "): they must be uniform"));
  }
  if (desc_swizzle(l0.da) != 1 || desc_swizzle(l0.db) != 1)
    sim::misuse("wgmma.mma_async: the simulator implements 128-byte swizzled descriptors only");
  double A[16][16], B[16][N];
  for (int r = 0; r < 16; ++r)
    for (int k = 0; k < 16; ++k)
      A[r][k] = b16<T>(smem_ptr(desc_element_addr(l0.da, TransA, 16 * l0.warp_in_group + r, k)));
  for (int k = 0; k < 16; ++k)
    for (int n = 0; n < N; ++n) B[k][n] = b16<T>(smem_ptr(desc_element_addr(l0.db, TransB, n, k)));
  for (int lane = 0; lane < 32; ++lane) {
    const auto& in = *static_cast<const WgmmaLane*>(call.in[lane]);
    float* d = static_cast<float*>(call.out[lane]);
    const int g = lane >> 2, t = lane & 3;
    for (int j = 0; j < N / 8; ++j) {
      for (int i = 0; i < 4; ++i) {
        const int row = g + 8 * (i >> 1), col = 8 * j + 2 * t + (i & 1);
        double s = in.acc[4 * j + i];
        for (int k = 0; k < 16; ++k) s += A[row][k] * B[k][col];
        d[4 * j + i] = static_cast<float>(s);
      }
    }
  }
}
}  // namespace sim_detail
#endif

// D (64 x N, f32, in the accumulator layout above) += A (64 x 16) * B (16 x N), A and B from
// shared memory through descriptors (TransA: A is M-major; TransB: B is N-major). The whole
// warpgroup (4 consecutive warps from a multiple of 4) issues it with the same descriptors;
// the result may be read only after wgmma_commit + wgmma_wait. T = __nv_bfloat16 or __half.
template <typename T, int N, bool TransA, bool TransB>
__device__ inline void wgmma_m64k16(float (&d)[N / 2], uint64_t desc_a, uint64_t desc_b SEEK_HOPPER_CALL_SITE) {
  static_assert(std::is_same_v<T, __nv_bfloat16> || std::is_same_v<T, __half>, "wgmma: bf16 or f16 inputs");
  static_assert(N == 128 || N == 256, "wgmma_m64k16: N = 128 or 256");
#if defined(SEEK_CUDA_SIM)
  const sim_detail::WgmmaLane in{desc_a, desc_b, static_cast<int>((threadIdx.x + blockDim.x * threadIdx.y) / 32 % 4),
                                 d};
  float out[N / 2];
  sim::warp_collective(
      std::is_same_v<T, __nv_bfloat16> ? "wgmma.mma_async.m64n128k16.f32.bf16" : "wgmma.mma_async.m64n128k16.f32.f16",
      0xffffffffu, &in, out, sim_detail::wgmma_combine<T, N, TransA, TransB>, nullptr, where);
  for (int i = 0; i < N / 2; ++i) d[i] = out[i];
#elif defined(SEEK_HOPPER_PTX)
#define SEEK_WG_D8(i)                                                                                         \
  "+f"(d[i]), "+f"(d[i + 1]), "+f"(d[i + 2]), "+f"(d[i + 3]), "+f"(d[i + 4]), "+f"(d[i + 5]), "+f"(d[i + 6]), \
      "+f"(d[i + 7])
#define SEEK_WG_ASM128(TYPE)                                                                                          \
  asm volatile(                                                                                                       \
      "{\n.reg .pred p;\nsetp.ne.b32 p, %66, 0;\n"                                                                    \
      "wgmma.mma_async.sync.aligned.m64n128k16.f32." TYPE "." TYPE                                                    \
      " {"                                                                                                            \
      "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, "                    \
      "%20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, "                    \
      "%38, %39, %40, %41, %42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, "                    \
      "%56, %57, %58, %59, %60, %61, %62, %63"                                                                        \
      "}, %64, %65, p, 1, 1, %67, %68;\n}\n"                                                                          \
      : SEEK_WG_D8(0), SEEK_WG_D8(8), SEEK_WG_D8(16), SEEK_WG_D8(24), SEEK_WG_D8(32), SEEK_WG_D8(40), SEEK_WG_D8(48), \
        SEEK_WG_D8(56)                                                                                                \
      : "l"(desc_a), "l"(desc_b), "n"(1), "n"(TransA ? 1 : 0), "n"(TransB ? 1 : 0))
#define SEEK_WG_ASM256(TYPE)                                                                                          \
  asm volatile(                                                                                                       \
      "{\n.reg .pred p;\nsetp.ne.b32 p, %130, 0;\n"                                                                   \
      "wgmma.mma_async.sync.aligned.m64n256k16.f32." TYPE "." TYPE                                                    \
      " {"                                                                                                            \
      "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, "                    \
      "%20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, "                    \
      "%38, %39, %40, %41, %42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, "                    \
      "%56, %57, %58, %59, %60, %61, %62, %63, %64, %65, %66, %67, %68, %69, %70, %71, %72, %73, "                    \
      "%74, %75, %76, %77, %78, %79, %80, %81, %82, %83, %84, %85, %86, %87, %88, %89, %90, %91, "                    \
      "%92, %93, %94, %95, %96, %97, %98, %99, %100, %101, %102, %103, %104, %105, %106, %107, "                      \
      "%108, %109, %110, %111, %112, %113, %114, %115, %116, %117, %118, %119, %120, %121, %122, "                    \
      "%123, %124, %125, %126, %127"                                                                                  \
      "}, %128, %129, p, 1, 1, %131, %132;\n}\n"                                                                      \
      : SEEK_WG_D8(0), SEEK_WG_D8(8), SEEK_WG_D8(16), SEEK_WG_D8(24), SEEK_WG_D8(32), SEEK_WG_D8(40), SEEK_WG_D8(48), \
        SEEK_WG_D8(56), SEEK_WG_D8(64), SEEK_WG_D8(72), SEEK_WG_D8(80), SEEK_WG_D8(88), SEEK_WG_D8(96),               \
        SEEK_WG_D8(104), SEEK_WG_D8(112), SEEK_WG_D8(120)                                                             \
      : "l"(desc_a), "l"(desc_b), "n"(1), "n"(TransA ? 1 : 0), "n"(TransB ? 1 : 0))
  constexpr bool bf16 = std::is_same_v<T, __nv_bfloat16>;
  if constexpr (N == 128 && bf16) {
    SEEK_WG_ASM128("bf16");
  } else if constexpr (N == 128) {
    SEEK_WG_ASM128("f16");
  } else if constexpr (bf16) {
    SEEK_WG_ASM256("bf16");
  } else {
    SEEK_WG_ASM256("f16");
  }
#undef SEEK_WG_ASM128
#undef SEEK_WG_ASM256
#undef SEEK_WG_D8
#elif defined(__CUDA_ARCH__)
  __trap();
#endif
}

}  // namespace seek::cuda::hopper

#undef SEEK_HOPPER_CALL_SITE

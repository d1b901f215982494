// Mixed-precision GEMM for Hopper (sm_90a): TMA loads into a 4-stage shared-memory ring, mbarriers
// between one producer warpgroup and two consumer warpgroups, wgmma from shared memory, and the
// epilogue of src/backend/mp_gemm.h (alpha/beta, bias, ReLU/GELU, residual) from the accumulator
// registers. The sibling mma.sync kernel (kernels/linalg_mp_gemm.cu) and the CPU twin compute
// the same thing; the primitives (kernels/hopper_primitives.cuh) have a simulator
// implementation, so this kernel runs in CI too. Design, with a diagram, in docs/kernels.md.
//
// Block: 384 threads = warpgroup 0 (producer: one thread issues the TMA loads, the others leave
// at once; setmaxnreg gives its registers to the consumers) + warpgroups 1, 2 (consumers: each
// owns 64 rows of the 128 x 256 tile, one wgmma m64n256k16 per k-step of 16, 128 f32
// accumulators per thread). k advances 64 at a time (128 bytes of 16-bit elements: one
// 128-byte-swizzled row per tile row).
// Ring: stage s holds A (16 KiB) and B (32 KiB), 4 stages = 192 KiB; full[s] completes when the stage's bytes have
// landed (the producer's arrive.expect_tx + the copies' complete_tx), empty[s] when the 8
// consumer warps have finished reading it (one arrive per warp after wgmma.wait_group). The
// producer waits on empty with the inverted parity, so the first pass through the ring does
// not wait.
// Layouts: each operand is loaded in its global layout (TMA does not transpose). K-major
// operands (A row-major, B column-major) are one box of 64 (k) x 128 or 256 rows; M/N-major ones
// (A column-major, B row-major) 2 or 4 boxes of 64 (m or n) x 64 (k) rows, and wgmma's transpose
// flags read them. Tails: TMA fills what lies past M, N, K with zeros (its bounds are the
// matrix's), so only the epilogue is predicated.
#include <atomic>
#include <cstdint>

#include "backend/cuda/cuda_backend.h"
#include "backend/cuda/cuda_check.h"
#include "common.cuh"
#include "kernels/hopper_primitives.cuh"
#include "kernels/linalg_hopper_gemm.cuh"
#include "seek/core/convert.h"
#include "seek/core/half.h"

namespace seek::cuda {

namespace {

constexpr int kBM = 128, kBN = 256, kBK = 64, kStages = 4;
constexpr int kThreads = 384;                    // producer warpgroup + 2 consumer warpgroups
constexpr uint32_t kATileBytes = kBM * kBK * 2;  // 16 KiB
constexpr uint32_t kBTileBytes = kBN * kBK * 2;  // 32 KiB
constexpr uint32_t kStageBytes = kATileBytes + kBTileBytes;
constexpr uint32_t kBoxBytes = 64 * 64 * 2;  // one 64 x 64 box (MN-major operands take several)
constexpr size_t kSmemBytes = size_t{kStages} * kStageBytes + 2 * kStages * 8 + hopper::kSwizzleAtomBytes;  // 193 KiB
static_assert(kATileBytes == 2 * kBoxBytes && kBTileBytes == 4 * kBoxBytes, "tiles are whole 64 x 64 boxes");

struct HopperOut {  // out, c, residual: row-major, the output type
  void* p;
  int64_t ld, s0, s1;
};
struct HopperParams {  // 64-byte aligned (CUtensorMap)
  CUtensorMap map_a, map_b;
  int64_t M, N, K, batch_inner, tiles_n, tiles, work;
  int a_step0, a_step1, b_step0, b_step1;  // whether a batch level moves the operand's box
  HopperOut out, c, res;
  const void* bias;
  float alpha, beta;
  MpActivation act;
  int out_dtype;  // 0 f32, 1 f16, 2 bf16
};

template <typename Out>
__device__ inline void epilogue_store(const HopperParams& g, const float (&acc)[kBN / 2], int64_t z0, int64_t z1,
                                      int64_t row0, int64_t n0) {
  Out* po = static_cast<Out*>(g.out.p) + z0 * g.out.s0 + z1 * g.out.s1;
  const Out* pc = g.beta != 0.0f ? static_cast<const Out*>(g.c.p) + z0 * g.c.s0 + z1 * g.c.s1 : nullptr;
  const Out* pr = g.res.p ? static_cast<const Out*>(g.res.p) + z0 * g.res.s0 + z1 * g.res.s1 : nullptr;
  const Out* bias = static_cast<const Out*>(g.bias);
  const int lane = static_cast<int>(threadIdx.x) & 31;
  SEEK_UNROLL
  for (int j = 0; j < kBN / 8; ++j) {
    SEEK_UNROLL
    for (int i = 0; i < 4; ++i) {  // wgmma's D layout: row g (+8), cols 8j + 2t (+1)
      const int64_t row = row0 + (lane >> 2) + 8 * (i >> 1), col = n0 + 8 * j + 2 * (lane & 3) + (i & 1);
      if (row >= g.M || col >= g.N) continue;
      const float cv = pc ? convert<float>(pc[row * g.c.ld + col]) : 0.0f;
      const float bv = bias ? convert<float>(bias[col]) : 0.0f;
      const float rv = pr ? convert<float>(pr[row * g.res.ld + col]) : 0.0f;
      po[row * g.out.ld + col] = convert<Out>(mp_epilogue(acc[4 * j + i], g.alpha, g.beta, cv, bv, g.act, rv));
    }
  }
}

template <typename In, bool TransA, bool TransB>
__global__ void __launch_bounds__(kThreads, 1) hopper_gemm_kernel(const __grid_constant__ HopperParams g) {
  using Tag = std::conditional_t<std::is_same_v<In, BFloat16>, __nv_bfloat16, __half>;
  // The ring must start on a 1024-byte boundary of the shared window: the 128-byte swizzle
  // is a function of the address bits (TMA writes and wgmma reads with the same function).
  unsigned char* raw = dynamic_shared_memory<unsigned char>();
  const uint32_t pad =
      (hopper::kSwizzleAtomBytes - hopper::smem_addr(raw) % hopper::kSwizzleAtomBytes) % hopper::kSwizzleAtomBytes;
  unsigned char* ring = raw + pad;
  uint64_t* full = reinterpret_cast<uint64_t*>(ring + size_t{kStages} * kStageBytes);
  uint64_t* empty = full + kStages;
  const int tid = static_cast<int>(threadIdx.x), wg = tid / 128;
  if (tid == 0) {
    for (int s = 0; s < kStages; ++s) {
      hopper::mbarrier_init(&full[s], 1);   // the producer's arrive.expect_tx (+ the bytes)
      hopper::mbarrier_init(&empty[s], 8);  // one arrival per consumer warp
    }
    hopper::mbarrier_init_fence();
  }
  __syncthreads();
  const int64_t nk = (g.K + kBK - 1) / kBK;

  if (wg == 0) {  // ---- producer ----
    hopper::setmaxnreg_dec<40>();
    if (tid != 0) return;
    int stage = 0;
    uint32_t phase = 0;
    for (int64_t item = blockIdx.x; item < g.work; item += gridDim.x) {
      const int64_t z = item / g.tiles, t = item % g.tiles;
      const int z0 = static_cast<int>(z / g.batch_inner), z1 = static_cast<int>(z % g.batch_inner);
      const int m0 = static_cast<int>((t / g.tiles_n) * kBM), n0 = static_cast<int>((t % g.tiles_n) * kBN);
      const int a0 = g.a_step0 ? z0 : 0, a1 = g.a_step1 ? z1 : 0, b0 = g.b_step0 ? z0 : 0, b1 = g.b_step1 ? z1 : 0;
      for (int64_t kt = 0; kt < nk; ++kt) {
        hopper::mbarrier_wait_parity(&empty[stage], phase ^ 1u);  // the consumers released it
        hopper::mbarrier_arrive_expect_tx(&full[stage], kStageBytes);
        unsigned char* As = ring + size_t{static_cast<unsigned>(stage)} * kStageBytes;
        unsigned char* Bs = As + kATileBytes;
        const int k0 = static_cast<int>(kt * kBK);
        if (TransA) {  // [k][m] boxes
          hopper::tma_load_4d(As, &g.map_a, &full[stage], m0, k0, a1, a0);
          hopper::tma_load_4d(As + kBoxBytes, &g.map_a, &full[stage], m0 + 64, k0, a1, a0);
        } else {  // [m][k]
          hopper::tma_load_4d(As, &g.map_a, &full[stage], k0, m0, a1, a0);
        }
        if (TransB) {  // [k][n] boxes
          for (int h = 0; h < kBN / 64; ++h)
            hopper::tma_load_4d(Bs + h * kBoxBytes, &g.map_b, &full[stage], n0 + 64 * h, k0, b1, b0);
        } else {  // [n][k]
          hopper::tma_load_4d(Bs, &g.map_b, &full[stage], k0, n0, b1, b0);
        }
        if (++stage == kStages) stage = 0, phase ^= 1u;
      }
    }
    return;
  }

  // ---- consumers: warpgroup c = wg - 1 owns rows 64c..64c+63 of the tile ----
  hopper::setmaxnreg_inc<232>();
  const int c = wg - 1, warp_in_group = (tid / 32) % 4, lane = tid & 31;
  const uint32_t ring_addr = hopper::smem_addr(ring);
  int stage = 0;
  uint32_t phase = 0;
  for (int64_t item = blockIdx.x; item < g.work; item += gridDim.x) {
    const int64_t z = item / g.tiles, t = item % g.tiles;
    const int64_t z0 = z / g.batch_inner, z1 = z % g.batch_inner;
    const int64_t m0 = (t / g.tiles_n) * kBM, n0 = (t % g.tiles_n) * kBN;
    float acc[kBN / 2];
    SEEK_UNROLL
    for (int i = 0; i < kBN / 2; ++i) acc[i] = 0.0f;
    int prev = -1;
    for (int64_t kt = 0; kt < nk; ++kt) {
      hopper::mbarrier_wait_parity(&full[stage], phase);
      const uint32_t a_addr =
          ring_addr + static_cast<uint32_t>(stage) * kStageBytes + static_cast<uint32_t>(c) * kBoxBytes;
      const uint32_t b_addr = ring_addr + static_cast<uint32_t>(stage) * kStageBytes + kATileBytes;
      hopper::wgmma_fence();
      SEEK_UNROLL
      for (int ks = 0; ks < kBK / 16; ++ks) {
        // K-major: +32 bytes per k-step inside the swizzled 128-byte rows, 8-row groups 1024 apart.
        // MN-major: +2 groups of 8 k-rows (2048 bytes) per k-step; the 64-wide boxes of B are
        // kBoxBytes apart (LBO).
        const uint64_t da = TransA ? hopper::make_smem_desc(a_addr + ks * 2048u, kBoxBytes, 1024)
                                   : hopper::make_smem_desc(a_addr + ks * 32u, 16, 1024);
        const uint64_t db = TransB ? hopper::make_smem_desc(b_addr + ks * 2048u, kBoxBytes, 1024)
                                   : hopper::make_smem_desc(b_addr + ks * 32u, 16, 1024);
        hopper::wgmma_m64k16<Tag, kBN, TransA, TransB>(acc, da, db);
      }
      hopper::wgmma_commit();
      hopper::wgmma_wait<1>();  // the previous k-tile's wgmmas are done: release its stage
      hopper::fence_accumulators(acc);
      if (prev >= 0 && lane == 0) hopper::mbarrier_arrive(&empty[prev]);
      prev = stage;
      if (++stage == kStages) stage = 0, phase ^= 1u;
    }
    hopper::wgmma_wait<0>();
    hopper::fence_accumulators(acc);
    if (prev >= 0 && lane == 0) hopper::mbarrier_arrive(&empty[prev]);

    const int64_t row0 = m0 + 64 * c + 16 * warp_in_group;
    switch (g.out_dtype) {
      case 0: epilogue_store<float>(g, acc, z0, z1, row0, n0); break;
      case 1: epilogue_store<Half>(g, acc, z0, z1, row0, n0); break;
      default: epilogue_store<BFloat16>(g, acc, z0, z1, row0, n0); break;
    }
  }
}

// ---- host side ----

void check_device_pointer(const void* p, const char* name) {
  if (p == nullptr) return;
  cudaPointerAttributes attr{};
  SEEK_CUDA_CHECK(cudaPointerGetAttributes(&attr, p));
  SEEK_CHECK_T(DeviceError, attr.type == cudaMemoryTypeDevice || attr.type == cudaMemoryTypeManaged,
               "cuda::hopper_gemm: ", name, " (", p, ") is not device memory");
}

// A batch level steps the operand when it has more than one matrix and a non-zero stride.
bool steps(int64_t count, int64_t stride) { return count > 1 && stride != 0; }

// The tensor map of a or b: dims (contiguous, outer, inner batch, outer batch); a level that
// does not step has extent 1 (any valid stride).
void operand_map(CUtensorMap* map, const MpOperand& o, int64_t inner, int64_t outer, int64_t B0, int64_t B1,
                 uint32_t box_inner, uint32_t box_outer) {
  const uint64_t row = static_cast<uint64_t>(outer > 1 ? o.ld : inner) * 2;
  const uint64_t row_bytes = row % 16 == 0 ? row : (row + 15) / 16 * 16;  // outer == 1: never stepped
  const uint64_t plane = row_bytes * static_cast<uint64_t>(outer);
  const bool s1 = steps(B1, o.batch_stride_inner), s0 = steps(B0, o.batch_stride);
  const uint64_t dims[4] = {static_cast<uint64_t>(inner), static_cast<uint64_t>(outer),
                            s1 ? static_cast<uint64_t>(B1) : 1, s0 ? static_cast<uint64_t>(B0) : 1};
  const uint64_t strides[3] = {row_bytes, s1 ? static_cast<uint64_t>(o.batch_stride_inner) * 2 : plane,
                               s0 ? static_cast<uint64_t>(o.batch_stride) * 2 : plane};
  hopper::make_tensor_map(map, o.data, dims, strides, box_inner, box_outer);
}

HopperOut make_out(const MpOperand& o, int64_t B0, int64_t B1) {
  return {const_cast<void*>(o.data), o.ld, B0 == 1 ? 0 : o.batch_stride, B1 == 1 ? 0 : o.batch_stride_inner};
}

template <typename In, bool TA, bool TB>
void launch_hopper(const HopperParams& p, cudaStream_t stream) {
  constexpr int64_t kMaxBlocks = int64_t{1} << 20;  // blocks loop over the remaining items
  const auto blocks = static_cast<unsigned>(p.work < kMaxBlocks ? p.work : kMaxBlocks);
  auto* kernel = hopper_gemm_kernel<In, TA, TB>;
  SEEK_CUDA_CHECK(cudaFuncSetAttribute(reinterpret_cast<const void*>(kernel),
                                       cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(kSmemBytes)));
  launch(kernel, {blocks, kThreads, kSmemBytes, stream}, p);
}

template <typename In>
void launch_layouts(bool ta, bool tb, const HopperParams& p, cudaStream_t stream) {
  if (ta) return tb ? launch_hopper<In, true, true>(p, stream) : launch_hopper<In, true, false>(p, stream);
  return tb ? launch_hopper<In, false, true>(p, stream) : launch_hopper<In, false, false>(p, stream);
}

}  // namespace

std::string hopper_gemm_unsupported(const MpGemmArgs& g) {
  auto operand = [&](const MpOperand& o, const char* name, int64_t outer) -> std::string {
    if (reinterpret_cast<uintptr_t>(o.data) % 16 != 0) return str(name, " is not 16-byte aligned");
    if (outer > 1 && o.ld % 8 != 0) return str(name, ".ld ", o.ld, " is not a multiple of 8 elements");
    if (steps(g.batch, o.batch_stride) && o.batch_stride % 8 != 0)
      return str(name, ".batch_stride is not a multiple of 8 elements");
    if (steps(g.batch_inner, o.batch_stride_inner) && o.batch_stride_inner % 8 != 0)
      return str(name, ".batch_stride_inner is not a multiple of 8 elements");
    // A tensor map's strides nest: each batch level at least spans the one inside it.
    const int64_t plane = (outer > 1 ? o.ld : 1) * outer;
    const bool s1 = steps(g.batch_inner, o.batch_stride_inner), s0 = steps(g.batch, o.batch_stride);
    if (s1 && o.batch_stride_inner < plane) return str(name, "'s inner batch matrices overlap");
    if (s0 && o.batch_stride < (s1 ? o.batch_stride_inner * g.batch_inner : plane))
      return str(name, "'s outer batch matrices overlap");
    return "";
  };
  constexpr int64_t kLim = int64_t{1} << 31;
  if (g.M >= kLim || g.N >= kLim || g.K >= kLim || g.batch >= kLim || g.batch_inner >= kLim)
    return "a size is 2^31 or more (TMA coordinates are 32-bit)";
  std::string why = operand(g.a, "a", g.a.col_major ? g.K : g.M);
  if (why.empty()) why = operand(g.b, "b", g.b.col_major ? g.N : g.K);
  return why;
}

bool hopper_gemm_device_ok() {
#if defined(SEEK_CUDA_SIM)
  return true;
#else
  constexpr int kMaxDevices = 64;
  static std::atomic<int> known[kMaxDevices];  // 0 unknown, 1 yes, 2 no
  int device = 0;
  SEEK_CUDA_CHECK(cudaGetDevice(&device));
  if (device >= kMaxDevices) return false;
  int v = known[device].load();
  if (v == 0) {
    int major = 0, minor = 0;
    SEEK_CUDA_CHECK(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device));
    SEEK_CUDA_CHECK(cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, device));
    v = major == 9 && minor == 0 ? 1 : 2;
    known[device].store(v);
  }
  return v == 1;
#endif
}

void hopper_gemm(const MpGemmArgs& args, cudaStream_t stream) {
  check_mp_gemm_args(args, "cuda::hopper_gemm");
  const std::string why = hopper_gemm_unsupported(args);
  SEEK_CHECK(why.empty(), "cuda::hopper_gemm: ", why, "; use cuda::mp_gemm for these operands");
  if (args.M == 0 || args.N == 0) return;
  SEEK_CHECK_T(DeviceError, hopper_gemm_device_ok(),
               "cuda::hopper_gemm: needs an sm_90 GPU (H100/H200); the current device is not one");
  check_device_pointer(args.a.data, "a");
  check_device_pointer(args.b.data, "b");
  check_device_pointer(args.out.data, "out");
  if (args.beta != 0.0f) check_device_pointer(args.c.data, "c");
  check_device_pointer(args.bias, "bias");
  check_device_pointer(args.residual.data, "residual");
  const int64_t B0 = args.batch, B1 = args.batch_inner;
  HopperParams p{};
  p.M = args.M, p.N = args.N, p.K = args.K, p.batch_inner = B1;
  p.tiles_n = (args.N + kBN - 1) / kBN;
  p.tiles = p.tiles_n * ((args.M + kBM - 1) / kBM);
  p.work = B0 * B1 * p.tiles;
  const bool ta = args.a.col_major, tb = !args.b.col_major;  // M-major A, N-major B
  // a: [M, K] row-major -> (K, M) boxes 64 x 128; column-major -> (M, K) boxes 64 x 64.
  // With K = 0 nothing is loaded (and a tensor map cannot have an empty dimension).
  if (args.K == 0) {
  } else if (ta)
    operand_map(&p.map_a, args.a, args.M, args.K, B0, B1, 64, 64);
  else
    operand_map(&p.map_a, args.a, args.K, args.M, B0, B1, 64, kBM);
  // b: [K, N] column-major -> (K, N) boxes 64 x 256; row-major -> (N, K) boxes 64 x 64.
  if (args.K == 0) {
  } else if (tb)
    operand_map(&p.map_b, args.b, args.N, args.K, B0, B1, 64, 64);
  else
    operand_map(&p.map_b, args.b, args.K, args.N, B0, B1, 64, kBN);
  p.a_step0 = steps(B0, args.a.batch_stride), p.a_step1 = steps(B1, args.a.batch_stride_inner);
  p.b_step0 = steps(B0, args.b.batch_stride), p.b_step1 = steps(B1, args.b.batch_stride_inner);
  p.out = make_out(args.out, B0, B1);
  p.c = args.beta != 0.0f ? make_out(args.c, B0, B1) : HopperOut{};
  p.res = args.residual.data ? make_out(args.residual, B0, B1) : HopperOut{};
  p.bias = args.bias;
  p.alpha = args.alpha, p.beta = args.beta, p.act = args.act;
  p.out_dtype = args.out_dtype == DType::Float32 ? 0 : args.out_dtype == DType::Float16 ? 1 : 2;
  if (args.in_dtype == DType::Float16)
    launch_layouts<Half>(ta, tb, p, stream);
  else
    launch_layouts<BFloat16>(ta, tb, p, stream);
}

}  // namespace seek::cuda

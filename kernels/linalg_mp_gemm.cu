// Mixed-precision GEMM on tensor cores (sm_80+): f16/bf16 in, f32 accumulate, f32/f16/bf16
// out, with a fused epilogue (alpha/beta, per-column bias, ReLU/GELU, residual add); the
// semantics are src/backend/mp_gemm.h's and the CPU twin is the reference. Design (with a
// diagram) in docs/kernels.md.
//
// Tiles: a block of 256 threads (8 warps) computes a 128x128 output tile, k in steps of 32;
// warp w owns the 32x64 sub-tile at rows 32*(w/2), cols 64*(w%2): 2 x 8 mma.m16n8k16
// fragments, 64 f32 accumulators per thread. Blocks loop over (batch, tile) items.
// Pipeline: 3 shared-memory stages filled by cp.async (16 bytes per copy, zero-filled past
// the matrix edges with the src-size operand); while stage k is multiplied, stages k+1 and
// k+2 are in flight: one cp.async.wait_group 1 + __syncthreads per k-tile.
// Layouts: shared memory keeps each operand in its global layout (cp.async cannot
// transpose), as R rows of C 16-byte chunks: a tile whose contiguous dim is k is 128 rows x
// 4 chunks, one whose contiguous dim is m or n is 32 rows (k) x 16 chunks. ldmatrix turns
// either into mma fragments: plain for k-contiguous A and B, .trans for m-contiguous A
// (column-major) and n-contiguous B (row-major).
// Swizzle: ldmatrix reads 8 rows x 16 bytes at the same logical chunk. Unswizzled, rows
// 256 bytes apart all hit the same 4 banks (8-way conflict) and rows 64 bytes apart hit
// them every other row pair (4-way). Chunk c of row r is therefore stored at chunk
//   c ^ (r & 7)          for 16-chunk rows, and
//   c ^ ((r >> 1) & 3)   for 4-chunk rows (row r's 64 bytes share a 128-byte line with r^1),
// so the 8 rows of every ldmatrix phase (and the cp.async stores) fall in 8 distinct
// 16-byte bank groups: conflict-free. The XOR stays inside a row, so the tile is dense.
// Alignment: an operand whose base, leading dimension and batch strides are multiples of
// 8 elements takes cp.async; any other goes through a predicated element-wise load into
// the same swizzled stages (same pipeline, plain loads), so every alignment is handled.
// Edges: fragments, k-steps and warps wholly past M, N or K are skipped (warp-uniform
// branches), so a tail costs little, and the epilogue is predicated per element.
#include <cstdlib>
#include <cstring>
#include <type_traits>

#include "backend/cuda/cuda_backend.h"
#include "backend/cuda/cuda_check.h"
#include "common.cuh"
#include "kernels/linalg_mp_gemm.cuh"
#include "kernels/tensor_core.cuh"
#include "seek/core/convert.h"
#include "seek/core/half.h"

namespace seek::cuda {

namespace {

constexpr int kBM = 128, kBN = 128, kBK = 32;  // block tile
constexpr int kStages = 3;
constexpr int kThreads = 256;            // 8 warps: 4 along m x 2 along n
constexpr int kWarpM = 32, kWarpN = 64;  // warp tile
constexpr int kMI = kWarpM / 16, kNI = kWarpN / 8;
constexpr int kChunks = kBM * kBK / 8;  // 16-byte chunks per operand tile (512)
constexpr int kStageElems = kBM * kBK + kBK * kBN;
constexpr size_t kSmemBytes = size_t{kStages} * kStageElems * sizeof(uint16_t);  // 48 KiB
static_assert(kBM == kBN && kChunks % kThreads == 0, "both operand tiles have the same chunk count");
static_assert(kBM == 4 * kWarpM && kBN == 2 * kWarpN, "8 warps cover the block tile");

struct MpMat {  // a or b: 16-bit elements
  const uint16_t* p;
  int64_t ld, s0, s1;
  int k_contig;  // the contiguous dim is k (row-major a, column-major b)
  int vec;       // 16-byte cp.async path
};
struct MpOut {  // out, c, residual: row-major, the output type
  const void* p;
  int64_t ld, s0, s1;
};
struct MpParams {
  int64_t M, N, K, batch_inner, tiles_n, tiles, work;
  MpMat a, b;
  MpOut out, c, res;
  const void* bias;
  float alpha, beta;
  MpActivation act;
};

// Physical chunk of logical chunk `chunk` in row `row` of a tile with C chunks per row.
template <int C>
__device__ inline int swizzle(int row, int chunk) {
  static_assert(C == 4 || C == 16, "tiles have 4 or 16 chunks per row");
  if constexpr (C == 16) {
    return chunk ^ (row & 7);
  } else {
    return chunk ^ ((row >> 1) & 3);
  }
}
template <int C>
__device__ inline int tile_offset(int row, int chunk) {  // in elements
  return (row * C + swizzle<C>(row, chunk)) * 8;
}

// Loads one operand tile: R = 512 / C rows along `outer` (from outer0, valid below
// outer_lim), C chunks of 8 elements along the contiguous `inner` dim (from inner0, valid
// below inner_lim); what lies past the limits is zero.
template <int C>
__device__ inline void load_tile(uint16_t* tile, const uint16_t* base, int64_t ld, int64_t outer0, int64_t outer_lim,
                                 int64_t inner0, int64_t inner_lim, bool vec) {
  const int tid = static_cast<int>(threadIdx.x);
  SEEK_UNROLL
  for (int i = 0; i < kChunks / kThreads; ++i) {
    const int e = tid + i * kThreads, row = e / C, ch = e % C;
    uint16_t* dst = tile + tile_offset<C>(row, ch);
    const int64_t o = outer0 + row, in = inner0 + ch * 8;
    int64_t valid = o < outer_lim ? inner_lim - in : 0;
    valid = valid < 0 ? 0 : (valid > 8 ? 8 : valid);
    if (vec) {
      // With 0 bytes the source is not read; it must still be an aligned address.
      cp_async_zfill<16>(dst, valid > 0 ? base + o * ld + in : base, static_cast<int>(valid) * 2);
    } else {
      SEEK_UNROLL
      for (int j = 0; j < 8; ++j) dst[j] = j < valid ? base[o * ld + in + j] : uint16_t{0};
    }
  }
}

// The warp's mma work on one stage: ksteps (1 or 2) k-steps of 16; m_rows / n_cols: how many
// of the warp tile's rows / cols lie inside the matrix (fragments past them are skipped).
template <typename Tag>
__device__ inline void mma_stage(const uint16_t* As, const uint16_t* Bs, bool a_kc, bool b_kc, int ksteps, int wm,
                                 int wn, int64_t m_rows, int64_t n_cols, float (&acc)[kMI][kNI][4]) {
  const int lane = static_cast<int>(threadIdx.x) & 31, q = lane >> 3, r = lane & 7;
  SEEK_UNROLL
  for (int ks = 0; ks < kBK / 16; ++ks) {
    if (ks >= ksteps) break;
    uint32_t af[kMI][4] = {}, bf[kNI][2] = {};
    SEEK_UNROLL
    for (int mi = 0; mi < kMI; ++mi) {
      if (mi * 16 >= m_rows) break;
      if (a_kc) {  // [m][k] tile: quarters TL, BL, TR, BR from lanes 0-7, 8-15, 16-23, 24-31
        const int row = wm * kWarpM + mi * 16 + (lane & 15), ch = ks * 2 + (lane >> 4);
        ldmatrix<4, false>(af[mi], As + tile_offset<4>(row, ch));
      } else {  // [k][m] tile: the same quarters, transposed on the way
        const int krow = ks * 16 + (q >> 1) * 8 + r, m = wm * kWarpM + mi * 16 + (q & 1) * 8;
        ldmatrix<4, true>(af[mi], As + tile_offset<16>(krow, m >> 3));
      }
    }
    SEEK_UNROLL
    for (int p = 0; p < kNI / 2; ++p) {  // two n8 fragments per ldmatrix.x4
      if (p * 16 >= n_cols) break;
      uint32_t t[4];
      if (b_kc) {  // [n][k] tile
        const int nrow = wn * kWarpN + p * 16 + (q >> 1) * 8 + r, ch = ks * 2 + (q & 1);
        ldmatrix<4, false>(t, Bs + tile_offset<4>(nrow, ch));
      } else {  // [k][n] tile
        const int krow = ks * 16 + (q & 1) * 8 + r, n = wn * kWarpN + p * 16 + (q >> 1) * 8;
        ldmatrix<4, true>(t, Bs + tile_offset<16>(krow, n >> 3));
      }
      bf[2 * p][0] = t[0], bf[2 * p][1] = t[1], bf[2 * p + 1][0] = t[2], bf[2 * p + 1][1] = t[3];
    }
    SEEK_UNROLL
    for (int mi = 0; mi < kMI; ++mi) {
      if (mi * 16 >= m_rows) break;
      SEEK_UNROLL
      for (int ni = 0; ni < kNI; ++ni) {
        if (ni * 8 >= n_cols) break;
        mma_m16n8k16<Tag>(acc[mi][ni], af[mi], bf[ni], acc[mi][ni]);
      }
    }
  }
}

template <typename In, typename Out>
__global__ void __launch_bounds__(kThreads) mp_gemm_kernel(MpParams g) {
  using Tag = std::conditional_t<std::is_same_v<In, BFloat16>, __nv_bfloat16, __half>;
  uint16_t* smem = dynamic_shared_memory<uint16_t>();
  const int tid = static_cast<int>(threadIdx.x), warp = tid >> 5, lane = tid & 31;
  const int wm = warp >> 1, wn = warp & 1;
  const int64_t nk = (g.K + kBK - 1) / kBK;
  for (int64_t item = blockIdx.x; item < g.work; item += gridDim.x) {  // uniform across the block
    const int64_t z = item / g.tiles, t = item % g.tiles;
    const int64_t z0 = z / g.batch_inner, z1 = z % g.batch_inner;
    const int64_t m0 = (t / g.tiles_n) * kBM, n0 = (t % g.tiles_n) * kBN;
    const uint16_t* pa = g.a.p + z0 * g.a.s0 + z1 * g.a.s1;
    const uint16_t* pb = g.b.p + z0 * g.b.s0 + z1 * g.b.s1;
    auto load = [&](int64_t kt) {
      uint16_t* As = smem + (kt % kStages) * kStageElems;
      uint16_t* Bs = As + kBM * kBK;
      const int64_t k0 = kt * kBK;
      if (g.a.k_contig)
        load_tile<4>(As, pa, g.a.ld, m0, g.M, k0, g.K, g.a.vec);
      else
        load_tile<16>(As, pa, g.a.ld, k0, g.K, m0, g.M, g.a.vec);
      if (g.b.k_contig)
        load_tile<4>(Bs, pb, g.b.ld, n0, g.N, k0, g.K, g.b.vec);
      else
        load_tile<16>(Bs, pb, g.b.ld, k0, g.K, n0, g.N, g.b.vec);
    };

    float acc[kMI][kNI][4] = {};
    const int64_t m_rows = g.M - (m0 + wm * kWarpM), n_cols = g.N - (n0 + wn * kWarpN);
    SEEK_UNROLL
    for (int s = 0; s < kStages - 1; ++s) {
      if (s < nk) load(s);
      cp_async_commit();  // possibly empty: every iteration commits one group
    }
    for (int64_t kt = 0; kt < nk; ++kt) {
      cp_async_wait<kStages - 2>();                       // stage kt has landed (this thread's copies) ...
      __syncthreads();                                    // ... for every thread; and stage kt-1 is no longer read
      if (kt + kStages - 1 < nk) load(kt + kStages - 1);  // into the stage read at kt-1
      cp_async_commit();
      const uint16_t* As = smem + (kt % kStages) * kStageElems;
      const int64_t krem = g.K - kt * kBK;
      const int ksteps = krem >= kBK ? kBK / 16 : static_cast<int>((krem + 15) / 16);
      mma_stage<Tag>(As, As + kBM * kBK, g.a.k_contig != 0, g.b.k_contig != 0, ksteps, wm, wn, m_rows, n_cols, acc);
    }
    cp_async_wait<0>();
    __syncthreads();  // the next item's prologue overwrites the stages

    // Epilogue straight from the accumulators (C fragment layout: row g (+8), cols 2t, 2t+1).
    const int64_t oo = z0 * g.out.s0 + z1 * g.out.s1;
    Out* po = static_cast<Out*>(const_cast<void*>(g.out.p)) + oo;
    const Out* pc = g.beta != 0.0f ? static_cast<const Out*>(g.c.p) + z0 * g.c.s0 + z1 * g.c.s1 : nullptr;
    const Out* pr = g.res.p ? static_cast<const Out*>(g.res.p) + z0 * g.res.s0 + z1 * g.res.s1 : nullptr;
    const Out* bias = static_cast<const Out*>(g.bias);
    SEEK_UNROLL
    for (int mi = 0; mi < kMI; ++mi) {
      SEEK_UNROLL
      for (int ni = 0; ni < kNI; ++ni) {
        SEEK_UNROLL
        for (int i = 0; i < 4; ++i) {
          const int64_t row = m0 + wm * kWarpM + mi * 16 + (lane >> 2) + 8 * (i >> 1);
          const int64_t col = n0 + wn * kWarpN + ni * 8 + 2 * (lane & 3) + (i & 1);
          if (row >= g.M || col >= g.N) continue;
          const float cv = pc ? convert<float>(pc[row * g.c.ld + col]) : 0.0f;
          const float bv = bias ? convert<float>(bias[col]) : 0.0f;
          const float rv = pr ? convert<float>(pr[row * g.res.ld + col]) : 0.0f;
          po[row * g.out.ld + col] = convert<Out>(mp_epilogue(acc[mi][ni][i], g.alpha, g.beta, cv, bv, g.act, rv));
        }
      }
    }
  }
}

// ---- host side ----

void check_device_pointer(const void* p, const char* name) {
  if (p == nullptr) return;
  cudaPointerAttributes attr{};
  SEEK_CUDA_CHECK(cudaPointerGetAttributes(&attr, p));
  SEEK_CHECK_T(DeviceError, attr.type == cudaMemoryTypeDevice || attr.type == cudaMemoryTypeManaged,
               "cuda::mp_gemm: ", name, " (", p, ") is not device memory");
}

// A batch level of count 1 never steps: its stride does not matter (nor constrain the path).
MpMat make_mat(const MpOperand& o, bool k_contig, int64_t outer, int64_t batch, int64_t batch_inner) {
  const int64_t s0 = batch == 1 ? 0 : o.batch_stride, s1 = batch_inner == 1 ? 0 : o.batch_stride_inner;
  const bool vec =
      reinterpret_cast<uintptr_t>(o.data) % 16 == 0 && (outer == 1 || o.ld % 8 == 0) && s0 % 8 == 0 && s1 % 8 == 0;
  return {static_cast<const uint16_t*>(o.data), o.ld, s0, s1, k_contig ? 1 : 0, vec ? 1 : 0};
}
MpOut make_out(const MpOperand& o, int64_t batch, int64_t batch_inner) {
  return {o.data, o.ld, batch == 1 ? 0 : o.batch_stride, batch_inner == 1 ? 0 : o.batch_stride_inner};
}

template <typename In, typename Out>
void launch_mp_gemm(const MpParams& p, cudaStream_t stream) {
  constexpr int64_t kMaxBlocks = int64_t{1} << 20;  // blocks loop over the remaining items
  const auto blocks = static_cast<unsigned>(p.work < kMaxBlocks ? p.work : kMaxBlocks);
  launch(mp_gemm_kernel<In, Out>, {blocks, kThreads, kSmemBytes, stream}, p);
}

template <typename In>
void launch_for_out(DType out, const MpParams& p, cudaStream_t stream) {
  switch (out) {
    case DType::Float32: return launch_mp_gemm<In, float>(p, stream);
    case DType::Float16: return launch_mp_gemm<In, Half>(p, stream);
    default: return launch_mp_gemm<In, BFloat16>(p, stream);
  }
}

}  // namespace

void mp_gemm(const MpGemmArgs& args, cudaStream_t stream) {
  check_mp_gemm_args(args, "cuda::mp_gemm");
  if (args.M == 0 || args.N == 0) return;
  check_device_pointer(args.a.data, "a");
  check_device_pointer(args.b.data, "b");
  check_device_pointer(args.out.data, "out");
  if (args.beta != 0.0f) check_device_pointer(args.c.data, "c");
  check_device_pointer(args.bias, "bias");
  check_device_pointer(args.residual.data, "residual");
  MpParams p{};
  p.M = args.M, p.N = args.N, p.K = args.K, p.batch_inner = args.batch_inner;
  p.tiles_n = (args.N + kBN - 1) / kBN;
  p.tiles = p.tiles_n * ((args.M + kBM - 1) / kBM);
  p.work = args.batch * args.batch_inner * p.tiles;
  const int64_t B0 = args.batch, B1 = args.batch_inner;
  p.a = make_mat(args.a, !args.a.col_major, args.a.col_major ? args.K : args.M, B0, B1);
  p.b = make_mat(args.b, args.b.col_major, args.b.col_major ? args.N : args.K, B0, B1);
  p.out = make_out(args.out, B0, B1);
  p.c = args.beta != 0.0f ? make_out(args.c, B0, B1) : MpOut{};
  p.res = args.residual.data ? make_out(args.residual, B0, B1) : MpOut{};
  p.bias = args.bias;
  p.alpha = args.alpha, p.beta = args.beta, p.act = args.act;
  if (args.in_dtype == DType::Float16)
    launch_for_out<Half>(args.out_dtype, p, stream);
  else
    launch_for_out<BFloat16>(args.out_dtype, p, stream);
}

bool mp_gemm_args_from_stack(DType dtype, const GemmShape& s, const MatrixStack& a, const MatrixStack& b,
                             const MatrixStack& out, double alpha, double beta, MpGemmArgs* args) {
  if (dtype != DType::Float16 && dtype != DType::BFloat16) return false;
  // Row-major (columns contiguous) or column-major (rows contiguous); strides of size-1
  // dims do not matter.
  auto operand = [](const MatrixStack& m, int64_t rows, int64_t cols, MpOperand* o) {
    if ((cols == 1 || m.sc == 1) && (rows == 1 || m.sr >= cols)) {
      *o = {m.p, rows == 1 ? cols : m.sr, m.sb0, m.sb1, false};
      return true;
    }
    if ((rows == 1 || m.sr == 1) && (cols == 1 || m.sc >= rows)) {
      *o = {m.p, cols == 1 ? rows : m.sc, m.sb0, m.sb1, true};
      return true;
    }
    return false;
  };
  MpGemmArgs& g = *args;
  g = MpGemmArgs{};
  if (!operand(a, s.M, s.K, &g.a) || !operand(b, s.K, s.N, &g.b) || out.sc != 1) return false;
  g.M = s.M, g.N = s.N, g.K = s.K, g.batch = s.B0, g.batch_inner = s.B1;
  g.in_dtype = g.out_dtype = dtype;
  g.out = {out.p, s.M == 1 ? s.N : out.sr, out.sb0, out.sb1, false};
  g.alpha = static_cast<float>(alpha), g.beta = static_cast<float>(beta);
  if (beta != 0.0) g.c = g.out;
  return true;
}

}  // namespace seek::cuda

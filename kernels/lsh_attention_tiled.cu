// Tiled LSH attention on tensor cores (f16/bf16 operands, f32 accumulation), the fast path of
// kernels/lsh_attention.cu; the CPU twin is src/backend/cpu/cpu_lsh_attention.cpp.
//
// Trick: in sorted order a chunk's queries attend exactly the keys of two chunks (their own
// and the previous one), so one thread block per (row, round, chunk) gathers the chunk's
// queries and its 2 * chunk_size window keys/values through the sort orders into shared
// memory and runs flash attention on that dense little problem: S = Q.K^T and O += P.V with
// mma.sync, an online softmax over key tiles of 64, the masks (causal, padding, shared-QK
// self score) applied to the score fragments by the original positions. Each round writes
// its normalised output and log-sum-exp per query (f32, [N, R, L, *]); a combine kernel
// merges the rounds by their log-sum-exp weights (one softmax over every round's keys).
// Backward: one block per (row, round, KEY chunk), which is seen by the queries of its own
// chunk and of the next one; the block keeps dK, dV of its key tile in registers (S^T, dP^T
// computed key-major) and adds them once per round; dQ tiles go through a dS^T tile in
// shared memory and f32 atomicAdd (two key chunks per round touch a query). So dQ, dK, dV
// accumulate in f32 scratch with atomics whose order varies (rounding only), then are
// rounded once to the operand dtype.
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "backend/cuda/cuda_backend.h"
#include "backend/cuda/cuda_check.h"
#include "common.cuh"
#include "kernels/lsh_attention_tiled.cuh"
#include "kernels/tensor_core.cuh"
#include "seek/core/half.h"

namespace seek::cuda {

namespace {

constexpr int kTile = 64;  // queries per query tile, keys per key tile
constexpr int kWarps = 4;  // 16 query (forward) or key (backward) rows per warp
constexpr int kThreads = 32 * kWarps;
constexpr int kMaxD = 64;        // head dims up to 64 (shared memory stays under 48 KiB)
constexpr int kRow = kMaxD + 8;  // shared row stride (elements): 144 bytes, 8 rows hit 8 bank groups
constexpr float kSelf = static_cast<float>(LshAttentionParams::kSelfScore);

struct TiledArgs {
  const uint16_t *q, *k, *v;
  const int64_t *q_order, *k_order;
  const bool* pad;
  int64_t N, R, L, D, Dv, cs, nc;
  bool causal, self_mask;
  float scale;
};

// The window of chunk c in sorted positions: [b0, e0) the chunk, [b1, e1) the previous one.
struct Win {
  int64_t b0, e0, b1, e1;
};

__device__ SEEK_INLINE Win chunk_window(int64_t c, const TiledArgs& a) {
  Win w;
  w.b0 = c * a.cs, w.e0 = w.b0 + a.cs < a.L ? w.b0 + a.cs : a.L;
  w.b1 = w.e1 = 0;
  if (a.nc > 1) {
    const int64_t p = (c + a.nc - 1) % a.nc;
    w.b1 = p * a.cs, w.e1 = w.b1 + a.cs < a.L ? w.b1 + a.cs : a.L;
  }
  return w;
}

__device__ SEEK_INLINE int64_t slot_pos(const Win& w, int64_t u) {
  return u < w.e0 - w.b0 ? w.b0 + u : w.b1 + (u - (w.e0 - w.b0));
}

// Gathers `rows` rows of `width` elements (a multiple of 8) into a shared tile of kTile rows:
// row r is src row idx[r] (zeros where idx[r] < 0). 16-byte loads.
__device__ SEEK_INLINE void gather_rows(uint16_t* tile, const uint16_t* src, const int* idx, int64_t width) {
  const int chunks = static_cast<int>(width / 8);
  for (int e = static_cast<int>(threadIdx.x); e < kTile * chunks; e += kThreads) {
    const int row = e / chunks, ch = e % chunks;
    uint4 val = make_uint4(0, 0, 0, 0);
    if (idx[row] >= 0) val = *reinterpret_cast<const uint4*>(src + idx[row] * width + ch * 8);
    *reinterpret_cast<uint4*>(tile + row * kRow + ch * 8) = val;
  }
}

// The f32 kernels' gather: `rows` rows of `width` floats into shared memory with row stride `stride`, row r
// being src row idx[r] (zeros where idx[r] < 0); thread t of `threads` takes elements t, t + threads, ... so
// consecutive threads read consecutive elements.
__device__ SEEK_INLINE void gather_rows_f32(float* dst, int stride, const float* src, const int* idx, int rows,
                                            int64_t width, int tid, int threads) {
  for (int e = tid; e < rows * width; e += threads) {
    const int row = static_cast<int>(e / width), x = static_cast<int>(e % width);
    dst[row * stride + x] = idx[row] >= 0 ? src[idx[row] * width + x] : 0.f;
  }
}

template <typename Tag>
__device__ SEEK_INLINE float to_f(uint16_t bits) {
  return unpack_x2<Tag>(bits).x;
}

// The A fragment (16x16, row-major) at rows r0.., cols c0.. of a shared tile.
__device__ SEEK_INLINE void load_a(uint32_t (&a)[4], const uint16_t* tile, int r0, int c0) {
  const int lane = static_cast<int>(threadIdx.x) & 31;
  ldmatrix<4, false>(a, tile + (r0 + (lane & 15)) * kRow + c0 + (lane >> 4) * 8);
}

// The B fragment (k 16 x n 8) whose n runs along the tile's rows r0.. and k along cols c0..
// (B = rows^T: the tile holds B column-major).
__device__ SEEK_INLINE void load_b_rows(uint32_t (&b)[2], const uint16_t* tile, int r0, int c0) {
  const int lane = static_cast<int>(threadIdx.x) & 31;
  ldmatrix<2, false>(b, tile + (r0 + (lane & 7)) * kRow + c0 + ((lane >> 3) & 1) * 8);
}

// The B fragment (k 16 x n 8) whose k runs along the tile's rows r0.. and n along cols c0..
__device__ SEEK_INLINE void load_b_cols(uint32_t (&b)[2], const uint16_t* tile, int r0, int c0) {
  const int lane = static_cast<int>(threadIdx.x) & 31;
  ldmatrix<2, true>(b, tile + (r0 + (lane & 15)) * kRow + c0);
}

// The A fragment of 16 keys (two adjacent n8 accumulator blocks) from accumulator registers
// (the C layout of blocks 2kk and 2kk+1 is the A layout of the 16x16 tile).
template <typename Tag>
__device__ SEEK_INLINE void acc_to_a(uint32_t (&a)[4], const float (&lo)[4], const float (&hi)[4]) {
  a[0] = pack_x2<Tag>(lo[0], lo[1]), a[1] = pack_x2<Tag>(lo[2], lo[3]);
  a[2] = pack_x2<Tag>(hi[0], hi[1]), a[3] = pack_x2<Tag>(hi[2], hi[3]);
}

__device__ SEEK_INLINE float quad_max(float x) {
  x = fmaxf(x, __shfl_xor_sync(0xffffffffu, x, 1));
  return fmaxf(x, __shfl_xor_sync(0xffffffffu, x, 2));
}

__device__ SEEK_INLINE float quad_sum(float x) {
  x += __shfl_xor_sync(0xffffffffu, x, 1);
  return x + __shfl_xor_sync(0xffffffffu, x, 2);
}

// Whether key j takes part for query i (both original positions, -1 = empty slot).
__device__ SEEK_INLINE bool key_visible(const TiledArgs& a, const bool* padn, int64_t i, int64_t j) {
  return i >= 0 && j >= 0 && !(a.causal && j > i) && !(padn && padn[j]);
}

// ---- forward: block (n, r, c) -> o_r[n, r, i, :], lse_r[n, r, i] for the queries i of chunk c ----
template <typename Tag>
__global__ void __launch_bounds__(kThreads) lsh_tiled_forward_kernel(TiledArgs a, float* o_r, float* lse_r) {
  uint16_t* Ks = dynamic_shared_memory<uint16_t>();
  uint16_t* Vs = Ks + kTile * kRow;
  int* kidx = reinterpret_cast<int*>(Vs + kTile * kRow);
  int* qidx = kidx + kTile;
  const int tid = static_cast<int>(threadIdx.x), warp = tid >> 5, lane = tid & 31, g = lane >> 2, t = lane & 3;
  const int64_t c = blockIdx.x % a.nc, nr = blockIdx.x / a.nc, n = nr / a.R;
  const int64_t *qo = a.q_order + nr * a.L, *ko = a.k_order + nr * a.L;
  const uint16_t *qn = a.q + n * a.L * a.D, *kn = a.k + n * a.L * a.D, *vn = a.v + n * a.L * a.Dv;
  const bool* padn = a.pad ? a.pad + n * a.L : nullptr;
  const Win w = chunk_window(c, a);
  const int64_t wlen = (w.e0 - w.b0) + (w.e1 - w.b1);
  const int kd = static_cast<int>(a.D / 16), nv = static_cast<int>(a.Dv / 8);
  for (int64_t q0 = w.b0; q0 < w.e0; q0 += kTile) {
    __syncthreads();  // the previous tile's readers are done with Ks and qidx
    for (int e = tid; e < kTile; e += kThreads) qidx[e] = q0 + e < w.e0 ? static_cast<int>(qo[q0 + e]) : -1;
    __syncthreads();
    gather_rows(Ks, qn, qidx, a.D);  // the query tile passes through Ks into registers
    __syncthreads();
    uint32_t qf[kMaxD / 16][4];
    SEEK_UNROLL
    for (int kk = 0; kk < kMaxD / 16; ++kk)
      if (kk < kd) load_a(qf[kk], Ks, warp * 16, kk * 16);
    const int64_t qi[2] = {qidx[warp * 16 + g], qidx[warp * 16 + g + 8]};
    float m[2] = {-INFINITY, -INFINITY}, l[2] = {0.f, 0.f};
    float o[kMaxD / 8][4] = {};
    for (int64_t k0 = 0; k0 < wlen; k0 += kTile) {
      __syncthreads();  // Ks/Vs free (query fragments loaded, previous key tile consumed)
      for (int e = tid; e < kTile; e += kThreads)
        kidx[e] = k0 + e < wlen ? static_cast<int>(ko[slot_pos(w, k0 + e)]) : -1;
      __syncthreads();
      gather_rows(Ks, kn, kidx, a.D);
      gather_rows(Vs, vn, kidx, a.Dv);
      __syncthreads();
      float s[kTile / 8][4] = {};
      SEEK_UNROLL
      for (int nb = 0; nb < kTile / 8; ++nb) {
        SEEK_UNROLL
        for (int kk = 0; kk < kMaxD / 16; ++kk) {
          if (kk >= kd) break;
          uint32_t b[2];
          load_b_rows(b, Ks, nb * 8, kk * 16);
          mma_m16n8k16<Tag>(s[nb], qf[kk], b, s[nb]);
        }
      }
      // Masks and scale on the fragments: element e is row g + 8 (e >> 1), key nb*8 + 2t + (e & 1).
      float mx[2] = {-INFINITY, -INFINITY};
      SEEK_UNROLL
      for (int nb = 0; nb < kTile / 8; ++nb) SEEK_UNROLL
      for (int e = 0; e < 4; ++e) {
        const int row = e >> 1;
        const int64_t i = qi[row], j = kidx[nb * 8 + 2 * t + (e & 1)];
        float v = -INFINITY;
        if (key_visible(a, padn, i, j)) v = a.self_mask && i == j ? kSelf : s[nb][e] * a.scale;
        s[nb][e] = v;
        mx[row] = fmaxf(mx[row], v);
      }
      float alpha[2];
      SEEK_UNROLL
      for (int row = 0; row < 2; ++row) {
        const float mn = fmaxf(m[row], quad_max(mx[row]));
        alpha[row] = mn == -INFINITY ? 1.f : __expf(m[row] - mn);  // exp(-inf) = 0 for a first visible key
        m[row] = mn;
        l[row] *= alpha[row];
      }
      SEEK_UNROLL
      for (int nb = 0; nb < kTile / 8; ++nb) SEEK_UNROLL
      for (int e = 0; e < 4; ++e) {
        const int row = e >> 1;
        const float p = s[nb][e] == -INFINITY ? 0.f : __expf(s[nb][e] - m[row]);
        s[nb][e] = p;
        l[row] += p;
      }
      SEEK_UNROLL
      for (int vb = 0; vb < kMaxD / 8; ++vb) SEEK_UNROLL
      for (int e = 0; e < 4; ++e) o[vb][e] *= alpha[e >> 1];
      SEEK_UNROLL
      for (int kk = 0; kk < kTile / 16; ++kk) {
        uint32_t pa[4];
        acc_to_a<Tag>(pa, s[2 * kk], s[2 * kk + 1]);
        SEEK_UNROLL
        for (int vb = 0; vb < kMaxD / 8; ++vb) {
          if (vb >= nv) break;
          uint32_t b[2];
          load_b_cols(b, Vs, kk * 16, vb * 8);
          mma_m16n8k16<Tag>(o[vb], pa, b, o[vb]);
        }
      }
    }
    SEEK_UNROLL
    for (int row = 0; row < 2; ++row) {
      const float lr = quad_sum(l[row]);
      if (qi[row] < 0) continue;
      const int64_t at = nr * a.L + qi[row];
      const float inv = lr > 0.f ? 1.f / lr : 0.f;
      SEEK_UNROLL
      for (int vb = 0; vb < kMaxD / 8; ++vb) {
        if (vb >= nv) break;
        o_r[at * a.Dv + vb * 8 + 2 * t] = o[vb][2 * row] * inv;
        o_r[at * a.Dv + vb * 8 + 2 * t + 1] = o[vb][2 * row + 1] * inv;
      }
      if (t == 0) lse_r[at] = lr > 0.f ? m[row] + __logf(lr) : -INFINITY;
    }
  }
}

// out[n, i] = sum_r exp(lse_r - lse) o_r, lse = log sum_r exp(lse_r): one thread per (n, i, x).
template <typename Tag>
__global__ void lsh_combine_rounds_kernel(const float* o_r, const float* lse_r, int64_t N, int64_t R, int64_t L,
                                          int64_t Dv, void* out, float* lse) {
  SEEK_GRID_STRIDE_LOOP(e, N * L * Dv) {
    const int64_t x = e % Dv, ni = e / Dv, n = ni / L, i = ni % L;
    float mx = -INFINITY;
    for (int64_t r = 0; r < R; ++r) mx = fmaxf(mx, lse_r[(n * R + r) * L + i]);
    float sum = 0.f, acc = 0.f;
    if (mx != -INFINITY)
      for (int64_t r = 0; r < R; ++r) {
        const float wr = __expf(lse_r[(n * R + r) * L + i] - mx);  // 0 for a round with no visible key
        sum += wr;
        acc += wr * o_r[((n * R + r) * L + i) * Dv + x];
      }
    const float val = sum > 0.f ? acc / sum : 0.f;
    if constexpr (std::is_same_v<Tag, float>)
      static_cast<float*>(out)[e] = val;
    else
      static_cast<uint16_t*>(out)[e] = static_cast<uint16_t>(pack_x2<Tag>(val, 0.f) & 0xffffu);
    if (x == 0) lse[ni] = sum > 0.f ? mx + __logf(sum) : -INFINITY;
  }
}

// ---- f32 forward on SIMT cores: block (n, r, c), one thread per query of a 64-query tile ----
// The same blocks and window as the tensor-core kernel; each thread keeps its query row and its
// running output row in shared memory (rows padded by one float: no bank conflicts) and walks
// key tiles of 16 that every thread reads at the same address (broadcasts), with a per-key
// online softmax.
constexpr int kSimtKeys = 16;
constexpr int kSimtRow = kMaxD + 1;
constexpr size_t kSimtSmem = (2 * kTile * kSimtRow + 2 * kSimtKeys * kMaxD) * sizeof(float) + (kTile + kSimtKeys) * 4;
static_assert(kSimtSmem <= 48 * 1024, "the f32 tiles must fit the default 48 KiB of shared memory");

__global__ void __launch_bounds__(kTile) lsh_simt_forward_kernel(TiledArgs a, float* o_r, float* lse_r) {
  float* Qs = dynamic_shared_memory<float>();
  float* Os = Qs + kTile * kSimtRow;
  float* Ks = Os + kTile * kSimtRow;
  float* Vs = Ks + kSimtKeys * kMaxD;
  int* qidx = reinterpret_cast<int*>(Vs + kSimtKeys * kMaxD);
  int* kidx = qidx + kTile;
  const int tid = static_cast<int>(threadIdx.x);
  const int64_t c = blockIdx.x % a.nc, nr = blockIdx.x / a.nc, n = nr / a.R;
  const int64_t *qo = a.q_order + nr * a.L, *ko = a.k_order + nr * a.L;
  const float* qn = reinterpret_cast<const float*>(a.q) + n * a.L * a.D;
  const float* kn = reinterpret_cast<const float*>(a.k) + n * a.L * a.D;
  const float* vn = reinterpret_cast<const float*>(a.v) + n * a.L * a.Dv;
  const bool* padn = a.pad ? a.pad + n * a.L : nullptr;
  const Win w = chunk_window(c, a);
  const int64_t wlen = (w.e0 - w.b0) + (w.e1 - w.b1);
  float* q_me = Qs + tid * kSimtRow;
  float* o_me = Os + tid * kSimtRow;
  for (int64_t q0 = w.b0; q0 < w.e0; q0 += kTile) {
    __syncthreads();
    qidx[tid] = q0 + tid < w.e0 ? static_cast<int>(qo[q0 + tid]) : -1;
    __syncthreads();
    gather_rows_f32(Qs, kSimtRow, qn, qidx, kTile, a.D, tid, kTile);
    for (int x = 0; x < a.Dv; ++x) o_me[x] = 0.f;
    const int64_t i = qidx[tid];
    float m = -INFINITY, l = 0.f;
    for (int64_t k0 = 0; k0 < wlen; k0 += kSimtKeys) {
      __syncthreads();  // Qs complete; the previous key tile consumed
      if (tid < kSimtKeys) kidx[tid] = k0 + tid < wlen ? static_cast<int>(ko[slot_pos(w, k0 + tid)]) : -1;
      __syncthreads();
      gather_rows_f32(Ks, kMaxD, kn, kidx, kSimtKeys, a.D, tid, kTile);
      gather_rows_f32(Vs, kMaxD, vn, kidx, kSimtKeys, a.Dv, tid, kTile);
      __syncthreads();
      for (int u = 0; u < kSimtKeys; ++u) {
        const int64_t j = kidx[u];
        if (!key_visible(a, padn, i, j)) continue;
        float s;
        if (a.self_mask && i == j) {
          s = kSelf;
        } else {
          s = 0.f;
          for (int x = 0; x < a.D; ++x) s += q_me[x] * Ks[u * kMaxD + x];
          s *= a.scale;
        }
        if (s > m) {  // a new maximum: rescale what was summed so far
          const float alpha = __expf(m - s);
          l *= alpha;
          for (int x = 0; x < a.Dv; ++x) o_me[x] *= alpha;
          m = s;
        }
        const float p = __expf(s - m);
        l += p;
        for (int x = 0; x < a.Dv; ++x) o_me[x] += p * Vs[u * kMaxD + x];
      }
    }
    if (i >= 0) {
      const int64_t at = nr * a.L + i;
      const float inv = l > 0.f ? 1.f / l : 0.f;
      for (int x = 0; x < a.Dv; ++x) o_r[at * a.Dv + x] = o_me[x] * inv;
      lse_r[at] = l > 0.f ? m + __logf(l) : -INFINITY;
    }
  }
}

// ---- f32 backward on SIMT cores: block (n, r, KEY chunk c), one thread per key of a 32-key tile ----
// Each thread keeps its key's k, v, dk, dv rows in shared memory (padded: no bank conflicts) and
// walks query tiles of 16 (rows read by every thread at one address) of chunks c and c + 1; the
// tile's dS goes through shared memory so that dQ gets one atomicAdd per (query, element) and tile.
constexpr int kSimtBwdKeys = 32, kSimtBwdQueries = 16, kSimtDsRow = kSimtBwdQueries + 1;
constexpr size_t kSimtBwdSmem =
    (4 * kSimtBwdKeys * kSimtRow + 2 * kSimtBwdQueries * kMaxD + kSimtBwdKeys * kSimtDsRow + 3 * kSimtBwdQueries) *
        sizeof(float) +
    (kSimtBwdKeys + kSimtBwdQueries) * 4;
static_assert(kSimtBwdSmem <= 48 * 1024, "the f32 backward tiles must fit the default 48 KiB of shared memory");

__global__ void __launch_bounds__(kSimtBwdKeys)
    lsh_simt_backward_kernel(TiledArgs a, const float* go, const float* lse, const float* delta, float* dq, float* dk,
                             float* dv) {
  float* Ks = dynamic_shared_memory<float>();
  float* Vs = Ks + kSimtBwdKeys * kSimtRow;
  float* dKs = Vs + kSimtBwdKeys * kSimtRow;
  float* dVs = dKs + kSimtBwdKeys * kSimtRow;
  float* Qs = dVs + kSimtBwdKeys * kSimtRow;
  float* Gs = Qs + kSimtBwdQueries * kMaxD;
  float* DS = Gs + kSimtBwdQueries * kMaxD;  // DS[key][query]
  float* lse_s = DS + kSimtBwdKeys * kSimtDsRow;
  float* delta_s = lse_s + kSimtBwdQueries;
  int* kidx = reinterpret_cast<int*>(delta_s + kSimtBwdQueries);
  int* qidx = kidx + kSimtBwdKeys;
  const int tid = static_cast<int>(threadIdx.x);
  const int64_t c = blockIdx.x % a.nc, nr = blockIdx.x / a.nc, n = nr / a.R;
  const int64_t *qo = a.q_order + nr * a.L, *ko = a.k_order + nr * a.L;
  const float* qn = reinterpret_cast<const float*>(a.q) + n * a.L * a.D;
  const float* kn = reinterpret_cast<const float*>(a.k) + n * a.L * a.D;
  const float* vn = reinterpret_cast<const float*>(a.v) + n * a.L * a.Dv;
  const float* gn = go + n * a.L * a.Dv;
  const bool* padn = a.pad ? a.pad + n * a.L : nullptr;
  const Win kw = chunk_window(c, a);
  const int n_qchunks = a.nc > 1 ? 2 : 1;
  float *k_me = Ks + tid * kSimtRow, *v_me = Vs + tid * kSimtRow;
  float *dk_me = dKs + tid * kSimtRow, *dv_me = dVs + tid * kSimtRow;
  for (int64_t k0 = kw.b0; k0 < kw.e0; k0 += kSimtBwdKeys) {
    __syncthreads();
    kidx[tid] = k0 + tid < kw.e0 ? static_cast<int>(ko[k0 + tid]) : -1;
    __syncthreads();
    for (int e = tid; e < kSimtBwdKeys * a.D; e += kSimtBwdKeys) {
      const int row = static_cast<int>(e / a.D), x = static_cast<int>(e % a.D);
      Ks[row * kSimtRow + x] = kidx[row] >= 0 ? kn[kidx[row] * a.D + x] : 0.f;
      dKs[row * kSimtRow + x] = 0.f;
    }
    for (int e = tid; e < kSimtBwdKeys * a.Dv; e += kSimtBwdKeys) {
      const int row = static_cast<int>(e / a.Dv), x = static_cast<int>(e % a.Dv);
      Vs[row * kSimtRow + x] = kidx[row] >= 0 ? vn[kidx[row] * a.Dv + x] : 0.f;
      dVs[row * kSimtRow + x] = 0.f;
    }
    const int64_t j = kidx[tid];
    for (int qc = 0; qc < n_qchunks; ++qc) {
      const Win qw = chunk_window(qc == 0 ? c : (c + 1) % a.nc, a);
      for (int64_t q0 = qw.b0; q0 < qw.e0; q0 += kSimtBwdQueries) {
        __syncthreads();  // Qs, Gs, DS, qidx free; this tile's k, v rows complete
        if (tid < kSimtBwdQueries) {
          const int i = q0 + tid < qw.e0 ? static_cast<int>(qo[q0 + tid]) : -1;
          qidx[tid] = i;
          lse_s[tid] = i >= 0 ? lse[n * a.L + i] : -INFINITY;
          delta_s[tid] = i >= 0 ? delta[n * a.L + i] : 0.f;
        }
        __syncthreads();
        gather_rows_f32(Qs, kMaxD, qn, qidx, kSimtBwdQueries, a.D, tid, kSimtBwdKeys);
        gather_rows_f32(Gs, kMaxD, gn, qidx, kSimtBwdQueries, a.Dv, tid, kSimtBwdKeys);
        __syncthreads();
        for (int qq = 0; qq < kSimtBwdQueries; ++qq) {
          const int64_t i = qidx[qq];
          float ds = 0.f;
          if (key_visible(a, padn, i, j) && lse_s[qq] != -INFINITY) {
            const float *qr = Qs + qq * kMaxD, *gr = Gs + qq * kMaxD;
            const bool self = a.self_mask && i == j;
            float s = 0.f, dp = 0.f;
            if (!self)
              for (int x = 0; x < a.D; ++x) s += qr[x] * k_me[x];
            const float p = __expf((self ? kSelf : s * a.scale) - lse_s[qq]);
            for (int x = 0; x < a.Dv; ++x) {
              dp += gr[x] * v_me[x];
              dv_me[x] += p * gr[x];
            }
            if (!self) {  // a constant score has no gradient
              ds = p * (dp - delta_s[qq]) * a.scale;
              for (int x = 0; x < a.D; ++x) dk_me[x] += ds * qr[x];
            }
          }
          DS[tid * kSimtDsRow + qq] = ds;
        }
        __syncthreads();
        // dQ of the tile's 16 queries over these 32 keys: thread t takes query t % 16, every second element.
        const int qq = tid % kSimtBwdQueries;
        const int64_t i = qidx[qq];
        if (i >= 0)
          for (int x = tid / kSimtBwdQueries; x < a.D; x += kSimtBwdKeys / kSimtBwdQueries) {
            float sum = 0.f;
            for (int u = 0; u < kSimtBwdKeys; ++u) sum += DS[u * kSimtDsRow + qq] * Ks[u * kSimtRow + x];
            atomicAdd(dq + (n * a.L + i) * a.D + x, sum);
          }
      }
    }
    if (j >= 0) {  // one add per element and round (a key is in one chunk per round)
      for (int x = 0; x < a.D; ++x) atomicAdd(dk + (n * a.L + j) * a.D + x, dk_me[x]);
      for (int x = 0; x < a.Dv; ++x) atomicAdd(dv + (n * a.L + j) * a.Dv + x, dv_me[x]);
    }
  }
}

__global__ void lsh_delta_f32_kernel(const float* go, const float* out, int64_t rows, int64_t Dv, float* delta) {
  SEEK_GRID_STRIDE_LOOP(e, rows) {
    float s = 0.f;
    for (int64_t x = 0; x < Dv; ++x) s += go[e * Dv + x] * out[e * Dv + x];
    delta[e] = s;
  }
}

// delta[n, i] = sum_x dO * O (f32), one thread per query.
template <typename Tag>
__global__ void lsh_delta_kernel(const uint16_t* go, const uint16_t* out, int64_t rows, int64_t Dv, float* delta) {
  SEEK_GRID_STRIDE_LOOP(e, rows) {
    float s = 0.f;
    for (int64_t x = 0; x < Dv; ++x) s += to_f<Tag>(go[e * Dv + x]) * to_f<Tag>(out[e * Dv + x]);
    delta[e] = s;
  }
}

// Adds a warp's 16 x (8 nb) accumulator rows to f32 global rows dst[row_pos[r] * width + ...].
__device__ SEEK_INLINE void atomic_add_rows(float* dst, const int64_t (&pos)[2], const float (&acc)[kMaxD / 8][4],
                                            int nb_count, int64_t width) {
  const int t = static_cast<int>(threadIdx.x) & 3;
  SEEK_UNROLL  // constant register indices: a runtime bound here would put acc in local memory
      for (int nb = 0; nb < kMaxD / 8; ++nb) {
    if (nb >= nb_count) break;
    SEEK_UNROLL
    for (int e = 0; e < 4; ++e) {
      const int64_t p = pos[e >> 1];
      if (p >= 0) atomicAdd(dst + p * width + nb * 8 + 2 * t + (e & 1), acc[nb][e]);
    }
  }
}

// ---- backward: block (n, r, c) for the KEYS of chunk c; queries of chunks c and c + 1 ----
template <typename Tag>
__global__ void __launch_bounds__(kThreads)
    lsh_tiled_backward_kernel(TiledArgs a, const uint16_t* go, const float* lse, const float* delta, float* dq,
                              float* dk, float* dv) {
  uint16_t* Ks = dynamic_shared_memory<uint16_t>();
  uint16_t* Vs = Ks + kTile * kRow;
  uint16_t* Qs = Vs + kTile * kRow;
  uint16_t* Gs = Qs + kTile * kRow;   // dO rows of the query tile
  uint16_t* DSt = Gs + kTile * kRow;  // dS^T [key][query]
  int* kidx = reinterpret_cast<int*>(DSt + kTile * kRow);
  int* qidx = kidx + kTile;
  float* lse_s = reinterpret_cast<float*>(qidx + kTile);
  float* delta_s = lse_s + kTile;
  const int tid = static_cast<int>(threadIdx.x), warp = tid >> 5, lane = tid & 31, g = lane >> 2, t = lane & 3;
  const int64_t c = blockIdx.x % a.nc, nr = blockIdx.x / a.nc, n = nr / a.R;
  const int64_t *qo = a.q_order + nr * a.L, *ko = a.k_order + nr * a.L;
  const uint16_t *qn = a.q + n * a.L * a.D, *kn = a.k + n * a.L * a.D, *vn = a.v + n * a.L * a.Dv;
  const uint16_t* gn = go + n * a.L * a.Dv;
  const bool* padn = a.pad ? a.pad + n * a.L : nullptr;
  const int kd = static_cast<int>(a.D / 16), kv = static_cast<int>(a.Dv / 16);
  const Win kw = chunk_window(c, a);  // kw.b0..kw.e0: this block's keys
  const int n_qchunks = a.nc > 1 ? 2 : 1;
  for (int64_t k0 = kw.b0; k0 < kw.e0; k0 += kTile) {
    __syncthreads();
    for (int e = tid; e < kTile; e += kThreads) kidx[e] = k0 + e < kw.e0 ? static_cast<int>(ko[k0 + e]) : -1;
    __syncthreads();
    gather_rows(Ks, kn, kidx, a.D);
    gather_rows(Vs, vn, kidx, a.Dv);
    __syncthreads();
    uint32_t kf[kMaxD / 16][4], vf[kMaxD / 16][4];
    SEEK_UNROLL
    for (int kk = 0; kk < kMaxD / 16; ++kk) {
      if (kk < kd) load_a(kf[kk], Ks, warp * 16, kk * 16);
      if (kk < kv) load_a(vf[kk], Vs, warp * 16, kk * 16);
    }
    const int64_t kj[2] = {kidx[warp * 16 + g], kidx[warp * 16 + g + 8]};
    float dkacc[kMaxD / 8][4] = {}, dvacc[kMaxD / 8][4] = {};
    for (int qc = 0; qc < n_qchunks; ++qc) {
      const Win qw = chunk_window(qc == 0 ? c : (c + 1) % a.nc, a);
      for (int64_t q0 = qw.b0; q0 < qw.e0; q0 += kTile) {
        __syncthreads();  // Qs, Gs, DSt, qidx free
        for (int e = tid; e < kTile; e += kThreads) {
          const int i = q0 + e < qw.e0 ? static_cast<int>(qo[q0 + e]) : -1;
          qidx[e] = i;
          lse_s[e] = i >= 0 ? lse[n * a.L + i] : -INFINITY;
          delta_s[e] = i >= 0 ? delta[n * a.L + i] : 0.f;
        }
        __syncthreads();
        gather_rows(Qs, qn, qidx, a.D);
        gather_rows(Gs, gn, qidx, a.Dv);
        __syncthreads();
        // S^T = K Q^T and dP^T = V dO^T for the warp's 16 keys x 64 queries.
        float st[kTile / 8][4] = {}, dpt[kTile / 8][4] = {};
        SEEK_UNROLL
        for (int nb = 0; nb < kTile / 8; ++nb) {
          SEEK_UNROLL
          for (int kk = 0; kk < kMaxD / 16; ++kk) {
            uint32_t b[2];
            if (kk < kd) {
              load_b_rows(b, Qs, nb * 8, kk * 16);
              mma_m16n8k16<Tag>(st[nb], kf[kk], b, st[nb]);
            }
            if (kk < kv) {
              load_b_rows(b, Gs, nb * 8, kk * 16);
              mma_m16n8k16<Tag>(dpt[nb], vf[kk], b, dpt[nb]);
            }
          }
        }
        // P^T = exp(s - lse), dS^T = P^T (dP^T - delta) scale; element e: key g + 8 (e >> 1), query nb*8+2t+(e&1).
        SEEK_UNROLL
        for (int nb = 0; nb < kTile / 8; ++nb) SEEK_UNROLL
        for (int e = 0; e < 4; ++e) {
          const int col = nb * 8 + 2 * t + (e & 1);
          const int64_t i = qidx[col], j = kj[e >> 1];
          float p = 0.f, ds = 0.f;
          if (key_visible(a, padn, i, j) && lse_s[col] != -INFINITY) {
            const bool self = a.self_mask && i == j;
            p = __expf((self ? kSelf : st[nb][e] * a.scale) - lse_s[col]);
            ds = self ? 0.f : p * (dpt[nb][e] - delta_s[col]) * a.scale;  // a constant score has no gradient
          }
          st[nb][e] = p, dpt[nb][e] = ds;
        }
        // dV += P^T dO, dK += dS^T Q (16 queries per k-step); dS^T to shared memory for dQ.
        SEEK_UNROLL
        for (int kk = 0; kk < kTile / 16; ++kk) {
          uint32_t pa[4], sa[4];
          acc_to_a<Tag>(pa, st[2 * kk], st[2 * kk + 1]);
          acc_to_a<Tag>(sa, dpt[2 * kk], dpt[2 * kk + 1]);
          SEEK_UNROLL
          for (int xb = 0; xb < kMaxD / 8; ++xb) {
            uint32_t b[2];
            if (xb < 2 * kv) {
              load_b_cols(b, Gs, kk * 16, xb * 8);
              mma_m16n8k16<Tag>(dvacc[xb], pa, b, dvacc[xb]);
            }
            if (xb < 2 * kd) {
              load_b_cols(b, Qs, kk * 16, xb * 8);
              mma_m16n8k16<Tag>(dkacc[xb], sa, b, dkacc[xb]);
            }
          }
        }
        SEEK_UNROLL
        for (int nb = 0; nb < kTile / 8; ++nb) {
          uint16_t* row0 = DSt + (warp * 16 + g) * kRow + nb * 8 + 2 * t;
          *reinterpret_cast<uint32_t*>(row0) = pack_x2<Tag>(dpt[nb][0], dpt[nb][1]);
          *reinterpret_cast<uint32_t*>(row0 + 8 * kRow) = pack_x2<Tag>(dpt[nb][2], dpt[nb][3]);
        }
        __syncthreads();
        // dQ (warp: 16 queries x D) = dS K over the tile's 64 keys; A = dS from DSt (stored transposed).
        float dqacc[kMaxD / 8][4] = {};
        SEEK_UNROLL
        for (int kk = 0; kk < kTile / 16; ++kk) {
          uint32_t da[4];
          const int m = lane >> 3;
          ldmatrix<4, true>(da, DSt + (kk * 16 + (lane & 7) + 8 * (m >> 1)) * kRow + warp * 16 + 8 * (m & 1));
          SEEK_UNROLL
          for (int xb = 0; xb < kMaxD / 8; ++xb) {
            if (xb >= 2 * kd) break;
            uint32_t b[2];
            load_b_cols(b, Ks, kk * 16, xb * 8);
            mma_m16n8k16<Tag>(dqacc[xb], da, b, dqacc[xb]);
          }
        }
        const int64_t qpos[2] = {qidx[warp * 16 + g], qidx[warp * 16 + g + 8]};
        atomic_add_rows(dq + n * a.L * a.D, qpos, dqacc, 2 * kd, a.D);
      }
    }
    // A key sits in one key chunk per round: these adds meet only the other rounds' (R-way).
    atomic_add_rows(dk + n * a.L * a.D, kj, dkacc, 2 * kd, a.D);
    atomic_add_rows(dv + n * a.L * a.Dv, kj, dvacc, 2 * kv, a.Dv);
  }
}

constexpr size_t kForwardSmem = 2 * kTile * kRow * sizeof(uint16_t) + 2 * kTile * sizeof(int);
constexpr size_t kBackwardSmem = 5 * kTile * kRow * sizeof(uint16_t) + 2 * kTile * sizeof(int) + 2 * kTile * 4;
static_assert(kBackwardSmem <= 48 * 1024, "the backward tiles must fit the default 48 KiB of shared memory");

bool aligned16(const Tensor& t) { return reinterpret_cast<uintptr_t>(t.data_ptr()) % 16 == 0; }

TiledArgs args_of(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& q_order, const Tensor& k_order,
                  const Tensor& pad, const LshAttentionParams& p) {
  TiledArgs a;
  a.q = static_cast<const uint16_t*>(q.data_ptr()), a.k = static_cast<const uint16_t*>(k.data_ptr());
  a.v = static_cast<const uint16_t*>(v.data_ptr());
  a.q_order = q_order.data_ptr<int64_t>(), a.k_order = k_order.data_ptr<int64_t>();
  a.pad = pad.defined() ? pad.data_ptr<bool>() : nullptr;
  a.N = q.size(0), a.L = q.size(1), a.D = q.size(2), a.Dv = v.size(2), a.R = q_order.size(1);
  a.cs = p.chunk_size, a.nc = (a.L + a.cs - 1) / a.cs;
  a.causal = p.causal, a.self_mask = p.self_mask, a.scale = static_cast<float>(p.scale);
  return a;
}

Tensor f32_empty(Shape s, Device d) { return empty(s, TensorOptions(kFloat32).device(d)); }

// A float copy of lse (or lse itself when it is f32 already).
Tensor lse_f32(const Tensor& lse) {
  if (lse.dtype() == kFloat32) return lse;
  Tensor f = f32_empty(lse.sizes(), lse.device());
  cuda_backend()->copy(lse, f);
  return f;
}

}  // namespace

bool lsh_simt_forward_supported(const Tensor& q, const Tensor& v, const LshAttentionParams& p) {
  return q.dtype() == kFloat32 && q.size(2) <= kMaxD && v.size(2) <= kMaxD && p.chunk_size >= 16 &&
         q.size(1) < (int64_t{1} << 31);
}

void lsh_simt_forward(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& q_order, const Tensor& k_order,
                      const Tensor& key_pad, const LshAttentionParams& p, const Tensor& out, const Tensor& lse) {
  const TiledArgs a = args_of(q, k, v, q_order, k_order, key_pad, p);
  const Device dev = q.device();
  Tensor o_r = f32_empty({a.N, a.R, a.L, a.Dv}, dev), l_r = f32_empty({a.N, a.R, a.L}, dev);
  const unsigned blocks = static_cast<unsigned>(a.N * a.R * a.nc);
  launch(lsh_simt_forward_kernel, {blocks, kTile, kSimtSmem, current_stream()}, a, o_r.data_ptr<float>(),
         l_r.data_ptr<float>());
  launch(lsh_combine_rounds_kernel<float>, {grid_size(a.N * a.L * a.Dv), kBlockThreads, 0, current_stream()},
         o_r.data_ptr<float>(), l_r.data_ptr<float>(), a.N, a.R, a.L, a.Dv, out.data_ptr(), lse.data_ptr<float>());
}

void lsh_simt_backward(const Tensor& grad_out, const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& q_order,
                       const Tensor& k_order, const Tensor& key_pad, const Tensor& out, const Tensor& lse,
                       const LshAttentionParams& p, const Tensor& grad_q, const Tensor& grad_k, const Tensor& grad_v) {
  const TiledArgs a = args_of(q, k, v, q_order, k_order, key_pad, p);
  const Tensor delta = f32_empty({a.N, a.L}, q.device());
  Backend& b = *cuda_backend();
  b.fill(grad_q, 0), b.fill(grad_k, 0), b.fill(grad_v, 0);  // f32: accumulated in place
  launch(lsh_delta_f32_kernel, {grid_size(a.N * a.L), kBlockThreads, 0, current_stream()}, grad_out.data_ptr<float>(),
         out.data_ptr<float>(), a.N * a.L, a.Dv, delta.data_ptr<float>());
  launch(lsh_simt_backward_kernel,
         {static_cast<unsigned>(a.N * a.R * a.nc), kSimtBwdKeys, kSimtBwdSmem, current_stream()}, a,
         grad_out.data_ptr<float>(), lse.data_ptr<float>(), delta.data_ptr<float>(), grad_q.data_ptr<float>(),
         grad_k.data_ptr<float>(), grad_v.data_ptr<float>());
}

bool lsh_tiled_supported(const Tensor& q, const Tensor& k, const Tensor& v, const LshAttentionParams& p) {
  const DType dt = q.dtype();
  const int64_t D = q.size(2), Dv = v.size(2), L = q.size(1);
  return (dt == kFloat16 || dt == kBFloat16) && D % 16 == 0 && Dv % 16 == 0 && D <= kMaxD && Dv <= kMaxD &&
         p.chunk_size >= 16 && L < (int64_t{1} << 31) && q.size(0) * L < (int64_t{1} << 40) && aligned16(q) &&
         aligned16(k) && aligned16(v);
}

void lsh_tiled_forward(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& q_order, const Tensor& k_order,
                       const Tensor& key_pad, const LshAttentionParams& p, const Tensor& out, const Tensor& lse) {
  const TiledArgs a = args_of(q, k, v, q_order, k_order, key_pad, p);
  const Device dev = q.device();
  Tensor o_r = f32_empty({a.N, a.R, a.L, a.Dv}, dev), l_r = f32_empty({a.N, a.R, a.L}, dev);
  Tensor lse32 = lse.dtype() == kFloat32 ? lse : f32_empty(lse.sizes(), dev);
  const unsigned blocks = static_cast<unsigned>(a.N * a.R * a.nc);
  const unsigned grid = grid_size(a.N * a.L * a.Dv);
  if (q.dtype() == kBFloat16) {
    launch(lsh_tiled_forward_kernel<__nv_bfloat16>, {blocks, kThreads, kForwardSmem, current_stream()}, a,
           o_r.data_ptr<float>(), l_r.data_ptr<float>());
    launch(lsh_combine_rounds_kernel<__nv_bfloat16>, {grid, kBlockThreads, 0, current_stream()}, o_r.data_ptr<float>(),
           l_r.data_ptr<float>(), a.N, a.R, a.L, a.Dv, static_cast<uint16_t*>(out.data_ptr()), lse32.data_ptr<float>());
  } else {
    launch(lsh_tiled_forward_kernel<__half>, {blocks, kThreads, kForwardSmem, current_stream()}, a,
           o_r.data_ptr<float>(), l_r.data_ptr<float>());
    launch(lsh_combine_rounds_kernel<__half>, {grid, kBlockThreads, 0, current_stream()}, o_r.data_ptr<float>(),
           l_r.data_ptr<float>(), a.N, a.R, a.L, a.Dv, static_cast<uint16_t*>(out.data_ptr()), lse32.data_ptr<float>());
  }
  if (!lse32.is_same(lse)) cuda_backend()->copy(lse32, lse);
}

void lsh_tiled_backward(const Tensor& grad_out, const Tensor& q, const Tensor& k, const Tensor& v,
                        const Tensor& q_order, const Tensor& k_order, const Tensor& key_pad, const Tensor& out,
                        const Tensor& lse, const LshAttentionParams& p, const Tensor& grad_q, const Tensor& grad_k,
                        const Tensor& grad_v) {
  const TiledArgs a = args_of(q, k, v, q_order, k_order, key_pad, p);
  const Device dev = q.device();
  const Tensor l32 = lse_f32(lse), delta = f32_empty({a.N, a.L}, dev);
  Tensor dq = f32_empty(grad_q.sizes(), dev), dk = f32_empty(grad_k.sizes(), dev), dv = f32_empty(grad_v.sizes(), dev);
  Backend& b = *cuda_backend();
  b.fill(dq, 0), b.fill(dk, 0), b.fill(dv, 0);
  const unsigned blocks = static_cast<unsigned>(a.N * a.R * a.nc);
  const auto* go = static_cast<const uint16_t*>(grad_out.data_ptr());
  const auto* o = static_cast<const uint16_t*>(out.data_ptr());
  if (q.dtype() == kBFloat16) {
    launch(lsh_delta_kernel<__nv_bfloat16>, {grid_size(a.N * a.L), kBlockThreads, 0, current_stream()}, go, o,
           a.N * a.L, a.Dv, delta.data_ptr<float>());
    launch(lsh_tiled_backward_kernel<__nv_bfloat16>, {blocks, kThreads, kBackwardSmem, current_stream()}, a, go,
           l32.data_ptr<float>(), delta.data_ptr<float>(), dq.data_ptr<float>(), dk.data_ptr<float>(),
           dv.data_ptr<float>());
  } else {
    launch(lsh_delta_kernel<__half>, {grid_size(a.N * a.L), kBlockThreads, 0, current_stream()}, go, o, a.N * a.L, a.Dv,
           delta.data_ptr<float>());
    launch(lsh_tiled_backward_kernel<__half>, {blocks, kThreads, kBackwardSmem, current_stream()}, a, go,
           l32.data_ptr<float>(), delta.data_ptr<float>(), dq.data_ptr<float>(), dk.data_ptr<float>(),
           dv.data_ptr<float>());
  }
  b.copy(dq, grad_q), b.copy(dk, grad_k), b.copy(dv, grad_v);
}

}  // namespace seek::cuda

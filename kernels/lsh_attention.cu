// LSH attention (Reformer) on the GPU: the chunk attention over hash-sorted orders and its
// backward, then CudaBackend::lsh_attention_forward / _backward. The CPU twin is
// src/backend/cpu/cpu_lsh_attention.cpp; the hashing and sorting run as ordinary seek ops.
//
// Trick: one thread owns one query position i of one (batch, head) row. An inverse-order
// kernel first records where i sits in every round's sorted order, so the thread walks its
// rounds one after another and folds each round's window (its chunk and the previous chunk,
// 2 * chunk_size keys at most, scores recomputed: max pass, then exp-and-accumulate pass)
// into a running log-sum-exp state whose value sum lives in the thread's own output row.
// Nothing of size L x L exists. The backward recomputes p = exp(s - lse) per window key:
// dq_i accumulates in the owner thread, dk_j and dv_j (keys shared by many queries) by
// atomicAdd, so their summation order varies from run to run (rounding only).
// f32 and f64 here; f16/bf16 go to the tiled tensor-core kernels (kernels/lsh_attention_tiled.cu)
// when their shape allows, else through f32 copies into these kernels. Operands contiguous.
#include <cmath>
#include <cstdint>
#include <limits>

#include "backend/cuda/cuda_backend.h"
#include "backend/cuda/cuda_check.h"
#include "common.cuh"
#include "kernels/lsh_attention_tiled.cuh"
#include "seek/core/dtype.h"

namespace seek::cuda {

namespace {

struct LshDims {
  int64_t N, L, D, Dv, R, cs;
  bool causal, self_mask;
  double scale;
};

// The window of a query at sorted position t: [b0, e0) is its chunk, [b1, e1) the previous
// chunk (cyclic), empty when there is a single chunk.
struct LshWindow {
  int64_t b0, e0, b1, e1;
};

__device__ SEEK_INLINE LshWindow window_at(int64_t t, int64_t L, int64_t cs) {
  const int64_t nc = (L + cs - 1) / cs, c = t / cs;
  LshWindow w;
  w.b0 = c * cs, w.e0 = (c + 1) * cs < L ? (c + 1) * cs : L;
  if (nc > 1) {
    const int64_t p = (c + nc - 1) % nc;
    w.b1 = p * cs, w.e1 = (p + 1) * cs < L ? (p + 1) * cs : L;
  } else {
    w.b1 = w.e1 = 0;
  }
  return w;
}

// The key at window slot u (0 .. window size), its sorted position in the chunk or the previous one.
__device__ SEEK_INLINE int64_t window_slot(const LshWindow& w, int64_t u) {
  return u < w.e0 - w.b0 ? w.b0 + u : w.b1 + (u - (w.e0 - w.b0));
}

// Score of query i with key j (C precision), or false when the key is masked out.
template <typename T, typename C>
__device__ SEEK_INLINE bool score_of(const T* qn, const T* kn, const bool* padn, const LshDims& d, int64_t i, int64_t j,
                                     C* s, bool* self) {
  if ((d.causal && j > i) || (padn && padn[j])) return false;
  *self = d.self_mask && j == i;
  if (*self) {
    *s = static_cast<C>(-1e5);  // LshAttentionParams::kSelfScore
    return true;
  }
  C dot = 0;
  for (int64_t x = 0; x < d.D; ++x) dot += static_cast<C>(qn[i * d.D + x]) * static_cast<C>(kn[j * d.D + x]);
  *s = static_cast<C>(d.scale) * dot;
  return true;
}

// inv[n, r, order[n, r, t]] = t
__global__ void invert_order_kernel(const int64_t* order, int64_t* inv, int64_t rows, int64_t L) {
  SEEK_GRID_STRIDE_LOOP(e, rows * L) {
    const int64_t row = e / L;
    inv[row * L + order[e]] = e - row * L;
  }
}

template <typename T, typename C>
__global__ void lsh_forward_kernel(const T* q, const T* k, const T* v, const int64_t* q_inv, const int64_t* k_order,
                                   const bool* pad, LshDims d, T* out, T* lse) {
  SEEK_GRID_STRIDE_LOOP(e, d.N * d.L) {
    const int64_t n = e / d.L, i = e - n * d.L;
    const T *qn = q + n * d.L * d.D, *kn = k + n * d.L * d.D, *vn = v + n * d.L * d.Dv;
    const bool* padn = pad ? pad + n * d.L : nullptr;
    T* oi = out + e * d.Dv;
    for (int64_t x = 0; x < d.Dv; ++x) oi[x] = T(0);
    C m = -INFINITY, l = 0;
    for (int64_t r = 0; r < d.R; ++r) {
      const int64_t* ko = k_order + (n * d.R + r) * d.L;
      const LshWindow w = window_at(q_inv[(n * d.R + r) * d.L + i], d.L, d.cs);
      const int64_t size = (w.e0 - w.b0) + (w.e1 - w.b1);
      C mr = -INFINITY, s;
      bool self;
      for (int64_t u = 0; u < size; ++u)
        if (score_of<T, C>(qn, kn, padn, d, i, ko[window_slot(w, u)], &s, &self)) mr = s > mr ? s : mr;
      if (mr == -INFINITY) continue;
      // Merge: the running sums scale by exp(m - mn), this round's by exp(mr - mn).
      const C mn = m > mr ? m : mr, a = exp(m - mn), b = exp(mr - mn);
      for (int64_t x = 0; x < d.Dv; ++x) oi[x] = static_cast<T>(static_cast<C>(oi[x]) * a);
      l *= a;
      for (int64_t u = 0; u < size; ++u) {
        const int64_t j = ko[window_slot(w, u)];
        if (!score_of<T, C>(qn, kn, padn, d, i, j, &s, &self)) continue;
        const C p = exp(s - mr) * b;
        l += p;
        for (int64_t x = 0; x < d.Dv; ++x)
          oi[x] = static_cast<T>(static_cast<C>(oi[x]) + p * static_cast<C>(vn[j * d.Dv + x]));
      }
      m = mn;
    }
    const C inv = l > 0 ? C(1) / l : C(0);
    for (int64_t x = 0; x < d.Dv; ++x) oi[x] = static_cast<T>(static_cast<C>(oi[x]) * inv);
    lse[e] = l > 0 ? static_cast<T>(m + log(l)) : static_cast<T>(-INFINITY);
  }
}

template <typename T, typename C>
__global__ void lsh_backward_kernel(const T* go, const T* q, const T* k, const T* v, const int64_t* q_inv,
                                    const int64_t* k_order, const bool* pad, const T* out, const T* lse, LshDims d,
                                    T* gq, T* gk, T* gv) {
  SEEK_GRID_STRIDE_LOOP(e, d.N * d.L) {
    const int64_t n = e / d.L, i = e - n * d.L;
    const T *qn = q + n * d.L * d.D, *kn = k + n * d.L * d.D, *vn = v + n * d.L * d.Dv;
    const bool* padn = pad ? pad + n * d.L : nullptr;
    const T *gi = go + e * d.Dv, *oi = out + e * d.Dv;
    T* gqi = gq + e * d.D;
    for (int64_t x = 0; x < d.D; ++x) gqi[x] = T(0);
    const C lse_i = static_cast<C>(lse[e]);
    if (lse_i == -INFINITY) continue;
    C delta = 0;  // rowsum(dO * O)
    for (int64_t x = 0; x < d.Dv; ++x) delta += static_cast<C>(gi[x]) * static_cast<C>(oi[x]);
    for (int64_t r = 0; r < d.R; ++r) {
      const int64_t* ko = k_order + (n * d.R + r) * d.L;
      const LshWindow w = window_at(q_inv[(n * d.R + r) * d.L + i], d.L, d.cs);
      const int64_t size = (w.e0 - w.b0) + (w.e1 - w.b1);
      for (int64_t u = 0; u < size; ++u) {
        const int64_t j = ko[window_slot(w, u)];
        C s;
        bool self;
        if (!score_of<T, C>(qn, kn, padn, d, i, j, &s, &self)) continue;
        const C p = exp(s - lse_i);
        C dp = 0;
        T* gvj = gv + (n * d.L + j) * d.Dv;
        for (int64_t x = 0; x < d.Dv; ++x) {
          atomicAdd(gvj + x, static_cast<T>(p * static_cast<C>(gi[x])));
          dp += static_cast<C>(gi[x]) * static_cast<C>(vn[j * d.Dv + x]);
        }
        if (self) continue;  // a constant score: no gradient to q or k
        const C ds = p * (dp - delta) * static_cast<C>(d.scale);
        T* gkj = gk + (n * d.L + j) * d.D;
        for (int64_t x = 0; x < d.D; ++x) {
          gqi[x] = static_cast<T>(static_cast<C>(gqi[x]) + ds * static_cast<C>(kn[j * d.D + x]));
          atomicAdd(gkj + x, static_cast<T>(ds * static_cast<C>(qn[i * d.D + x])));
        }
      }
    }
  }
}

LshDims dims_of(const Tensor& q, const Tensor& v, const Tensor& q_order, const LshAttentionParams& p) {
  return {q.size(0), q.size(1), q.size(2), v.size(2), q_order.size(1), p.chunk_size, p.causal, p.self_mask, p.scale};
}

// Where every position sits in every round's order: [N, R, L] int64 on the device.
Tensor inverse_order(const Tensor& order) {
  Tensor inv = empty(order.sizes(), TensorOptions(kInt64).device(order.device()));
  const int64_t rows = order.size(0) * order.size(1), L = order.size(2);
  launch(invert_order_kernel, {grid_size(rows * L), kBlockThreads, 0, current_stream()}, order.data_ptr<int64_t>(),
         inv.data_ptr<int64_t>(), rows, L);
  return inv;
}

void check_lsh_operands(const char* fn, std::initializer_list<Tensor> ts) {
  for (const Tensor& t : ts)
    if (t.defined()) SEEK_CHECK(t.is_contiguous(), fn, ": operands must be contiguous");
}

const bool* pad_ptr(const Tensor& pad) { return pad.defined() ? pad.data_ptr<bool>() : nullptr; }

bool is_16bit(DType dt) { return dt == kFloat16 || dt == kBFloat16; }

// An f32 copy of a 16-bit operand (the fallback for shapes the tiled kernels do not take).
Tensor f32_copy(const Tensor& t) {
  Tensor f = empty(t.sizes(), TensorOptions(kFloat32).device(t.device()));
  cuda_backend()->copy(t, f);
  return f;
}

Tensor f32_like(const Tensor& t) { return empty(t.sizes(), TensorOptions(kFloat32).device(t.device())); }

}  // namespace

// ---- CudaBackend::lsh_attention_forward / _backward ----

const FamilyRegistrar attention_family(BackendFamily::Attention,
                                       [](DType dt) { return dt == kFloat32 || dt == kFloat64 || is_16bit(dt); });

void CudaBackend::lsh_attention_forward(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& q_order,
                                        const Tensor& k_order, const Tensor& key_pad, const LshAttentionParams& p,
                                        const Tensor& out, const Tensor& lse) {
  check_lsh_operands("lsh_attention", {q, k, v, q_order, k_order, key_pad, out, lse});
  const LshDims d = dims_of(q, v, q_order, p);
  if (d.N * d.L == 0) return;
  if (is_16bit(q.dtype())) {
    if (lsh_tiled_supported(q, k, v, p)) return lsh_tiled_forward(q, k, v, q_order, k_order, key_pad, p, out, lse);
    const Tensor o32 = f32_like(out), l32 = f32_like(lse);
    lsh_attention_forward(f32_copy(q), f32_copy(k), f32_copy(v), q_order, k_order, key_pad, p, o32, l32);
    return copy(o32, out), copy(l32, lse);
  }
  if (lsh_simt_forward_supported(q, v, p)) return lsh_simt_forward(q, k, v, q_order, k_order, key_pad, p, out, lse);
  const Tensor q_inv = inverse_order(q_order);
  const unsigned grid = grid_size(d.N * d.L);
  if (q.dtype() == kFloat64)
    launch(lsh_forward_kernel<double, double>, {grid, kBlockThreads, 0, current_stream()}, q.data_ptr<double>(),
           k.data_ptr<double>(), v.data_ptr<double>(), q_inv.data_ptr<int64_t>(), k_order.data_ptr<int64_t>(),
           pad_ptr(key_pad), d, out.data_ptr<double>(), lse.data_ptr<double>());
  else if (q.dtype() == kFloat32)
    launch(lsh_forward_kernel<float, float>, {grid, kBlockThreads, 0, current_stream()}, q.data_ptr<float>(),
           k.data_ptr<float>(), v.data_ptr<float>(), q_inv.data_ptr<int64_t>(), k_order.data_ptr<int64_t>(),
           pad_ptr(key_pad), d, out.data_ptr<float>(), lse.data_ptr<float>());
  else
    unsupported("lsh_attention");
}

void CudaBackend::lsh_attention_backward(const Tensor& grad_out, const Tensor& q, const Tensor& k, const Tensor& v,
                                         const Tensor& q_order, const Tensor& k_order, const Tensor& key_pad,
                                         const Tensor& out, const Tensor& lse, const LshAttentionParams& p,
                                         const Tensor& grad_q, const Tensor& grad_k, const Tensor& grad_v) {
  check_lsh_operands("lsh_attention_backward",
                     {grad_out, q, k, v, q_order, k_order, key_pad, out, lse, grad_q, grad_k, grad_v});
  const LshDims d = dims_of(q, v, q_order, p);
  if (d.N * d.L == 0) return;
  if (is_16bit(q.dtype())) {
    if (lsh_tiled_supported(q, k, v, p))
      return lsh_tiled_backward(grad_out, q, k, v, q_order, k_order, key_pad, out, lse, p, grad_q, grad_k, grad_v);
    const Tensor gq = f32_like(grad_q), gk = f32_like(grad_k), gv = f32_like(grad_v);
    lsh_attention_backward(f32_copy(grad_out), f32_copy(q), f32_copy(k), f32_copy(v), q_order, k_order, key_pad,
                           f32_copy(out), f32_copy(lse), p, gq, gk, gv);
    return copy(gq, grad_q), copy(gk, grad_k), copy(gv, grad_v);
  }
  if (lsh_simt_forward_supported(q, v, p) && lse.dtype() == kFloat32)
    return lsh_simt_backward(grad_out, q, k, v, q_order, k_order, key_pad, out, lse, p, grad_q, grad_k, grad_v);
  fill(grad_k, 0), fill(grad_v, 0);  // atomically accumulated
  const Tensor q_inv = inverse_order(q_order);
  const unsigned grid = grid_size(d.N * d.L);
  if (q.dtype() == kFloat64)
    launch(lsh_backward_kernel<double, double>, {grid, kBlockThreads, 0, current_stream()}, grad_out.data_ptr<double>(),
           q.data_ptr<double>(), k.data_ptr<double>(), v.data_ptr<double>(), q_inv.data_ptr<int64_t>(),
           k_order.data_ptr<int64_t>(), pad_ptr(key_pad), out.data_ptr<double>(), lse.data_ptr<double>(), d,
           grad_q.data_ptr<double>(), grad_k.data_ptr<double>(), grad_v.data_ptr<double>());
  else if (q.dtype() == kFloat32)
    launch(lsh_backward_kernel<float, float>, {grid, kBlockThreads, 0, current_stream()}, grad_out.data_ptr<float>(),
           q.data_ptr<float>(), k.data_ptr<float>(), v.data_ptr<float>(), q_inv.data_ptr<int64_t>(),
           k_order.data_ptr<int64_t>(), pad_ptr(key_pad), out.data_ptr<float>(), lse.data_ptr<float>(), d,
           grad_q.data_ptr<float>(), grad_k.data_ptr<float>(), grad_v.data_ptr<float>());
  else
    unsupported("lsh_attention_backward");
}

}  // namespace seek::cuda

// CPU softmax / log_softmax and their backward, along any dim.
//
// The tensor is seen as [outer, n, inner] with `dim` of size n (non-contiguous
// operands are copied to contiguous ones first; f16/bf16 run through float).
//  - inner == 1 (the last dim): one row of n contiguous elements at a time. The
//    row is read from memory once (its max); exp(x - max) and the sum run on
//    the cached row in 1 KiB chunks, each chunk also prefetching the matching
//    part of a row ahead, so memory keeps streaming during the exp work; the
//    scaled row is written in one go, with streaming (non-temporal) stores for
//    outputs too large to stay cached. Eigen provides the vectorised exp.
//  - inner > 1: a tile of W adjacent columns walks the n rows (contiguous
//    segments of W elements) with three passes (max, exp and sum, scale),
//    per-column state in small arrays.
// Rows (or tiles) are split across threads.
#include "backend/family_checks.h"
#include "backend/cpu/cpu_eigen.h"
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#if defined(__AVX__)
#include <immintrin.h>
#endif

#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/cpu_loops.h"
#include "backend/cpu/cpu_vec.h"

namespace seek::cpu {

namespace {
using backend_detail::Shape3;
using backend_detail::split_at;

template <typename F>
void parallel_tasks(int64_t tasks, int64_t work, F fn) {
  const int threads = omp_get_max_threads();
  if (tasks <= 1 || work < kParallelGrain || threads <= 1 || omp_in_parallel()) {
    fn(int64_t(0), tasks);
    return;
  }
  const int64_t chunks = std::min<int64_t>({int64_t(threads), tasks, std::max<int64_t>(1, work / kParallelGrain)});
#pragma omp parallel for num_threads(static_cast <int>(chunks)) schedule(static)
  for (int64_t c = 0; c < chunks; ++c) fn(tasks * c / chunks, tasks * (c + 1) / chunks);
}

template <typename T>
using Arr = Eigen::Array<T, Eigen::Dynamic, 1>;
template <typename T>
using CMap = Eigen::Map<const Arr<T>>;
template <typename T>
using MMap = Eigen::Map<Arr<T>>;

constexpr int64_t kTile = 64;  // columns per tile when dim is not the last one

// Outputs at least this large bypass the caches on their final write (streaming
// stores): they would not stay cached anyway, and it saves reading the
// destination lines in first.
constexpr int64_t kStreamBytes = int64_t(16) << 20;

// dst[i] = src[i] * a + b for i < n, with non-temporal stores when `stream` (float: the
// cpu_vec.h vectors at any width; double: AVX-512 or AVX intrinsics).
template <typename T>
void store_row(T* dst, const T* src, int64_t n, T a, T b, bool stream) {
  int64_t i = 0;
  if constexpr (std::is_same_v<T, float>) {
    if (stream) {
      for (; i < n && reinterpret_cast<uintptr_t>(dst + i) % vec::kVecBytes != 0; ++i) dst[i] = src[i] * a + b;
      const vec::vf va = vec::vset1(a), vb = vec::vset1(b);
      for (; i + vec::kLanes <= n; i += vec::kLanes) vec::vstream(dst + i, vec::vfma(vec::vload(src + i), va, vb));
    }
  } else {
#if defined(__AVX512F__)
    if (stream) {
      constexpr int64_t V = 64 / sizeof(T);
      for (; i < n && reinterpret_cast<uintptr_t>(dst + i) % 64 != 0; ++i) dst[i] = src[i] * a + b;
      const __m512d va = _mm512_set1_pd(a), vb = _mm512_set1_pd(b);
      for (; i + V <= n; i += V) _mm512_stream_pd(dst + i, _mm512_fmadd_pd(_mm512_loadu_pd(src + i), va, vb));
    }
#elif defined(__AVX__)
    if (stream) {
      constexpr int64_t V = 32 / sizeof(T);
      for (; i < n && reinterpret_cast<uintptr_t>(dst + i) % 32 != 0; ++i) dst[i] = src[i] * a + b;
      const __m256d va = _mm256_set1_pd(a), vb = _mm256_set1_pd(b);
      for (; i + V <= n; i += V)
        _mm256_stream_pd(dst + i, _mm256_add_pd(_mm256_mul_pd(_mm256_loadu_pd(src + i), va), vb));
    }
#endif
  }
  for (; i < n; ++i) dst[i] = src[i] * a + b;
}

inline void stream_fence() {
#if defined(__AVX__)
  _mm_sfence();  // after the float (cpu_vec.h) or double streaming stores
#endif
}

// Runs fn(begin, length) over [0, n) in chunks of 1 KiB, first prefetching the
// same chunk of `next` (the next row) so that it streams in from memory while
// the current row is computed on.
template <typename T, typename F>
void chunked_with_prefetch(int64_t n, const T* next, F fn) {
  constexpr int64_t C = 1024 / sizeof(T), L = 64 / sizeof(T);
  for (int64_t c = 0; c < n; c += C) {
    const int64_t len = std::min(C, n - c);
    if (next)
      for (int64_t k = 0; k < len; k += L) __builtin_prefetch(next + c + k);
    fn(c, len);
  }
}

// Per row: the max; exp(x - max) into a row buffer and its sum (with the next
// row prefetched meanwhile); the scaled result stored in one go, bypassing the
// caches for large outputs. A NaN anywhere in a row makes the whole row NaN
// (through the sum), as in PyTorch; so do rows whose max is +-inf (x - max is
// NaN there).
template <typename T>
void softmax_rows(const T* x, T* y, Shape3 s, bool log) {
  const int64_t n = s.n;
  const bool stream = s.outer * n * static_cast<int64_t>(sizeof(T)) >= kStreamBytes;
  parallel_tasks(s.outer, s.outer * n, [&](int64_t b, int64_t e) {
    Arr<T> buf(n);  // Eigen allocates it aligned for full-width vector stores
    MMap<T> br(buf.data(), n);
    // Short rows prefetch further ahead, so that about 2 KiB are in flight.
    const int64_t ahead = std::max<int64_t>(1, 2048 / (n * static_cast<int64_t>(sizeof(T))));
    for (int64_t r = b; r < e; ++r) {
      CMap<T> xr(x + r * n, n);
      const T* next = r + ahead < e ? x + (r + ahead) * n : nullptr;
      const T m = xr.maxCoeff();
      T sum = 0;
      chunked_with_prefetch(n, next, [&](int64_t c, int64_t len) {
        if (log) {
          sum += (xr.segment(c, len) - m).exp().sum();
        } else {
          auto seg = br.segment(c, len);
          seg = exp_flushed(xr.segment(c, len) - m);
          sum += seg.sum();
        }
      });
      if (log)
        store_row(y + r * n, x + r * n, n, T(1), -(m + std::log(sum)), stream);
      else
        store_row(y + r * n, buf.data(), n, T(1) / sum, T(0), stream);
    }
    if (stream) stream_fence();
  });
}

template <typename T>
void softmax_cols(const T* x, T* y, Shape3 s, bool log) {
  const int64_t nblk = (s.inner + kTile - 1) / kTile;
  parallel_tasks(s.outer * nblk, s.outer * s.n * s.inner, [&](int64_t b, int64_t e) {
    alignas(64) T mbuf[kTile], sbuf[kTile];
    for (int64_t t = b; t < e; ++t) {
      const int64_t o = t / nblk, j0 = (t % nblk) * kTile, w = std::min(kTile, s.inner - j0);
      const T* xb = x + o * s.n * s.inner + j0;
      T* yb = y + o * s.n * s.inner + j0;
      MMap<T> m(mbuf, w), sum(sbuf, w);
      m.setConstant(-std::numeric_limits<T>::infinity());
      for (int64_t i = 0; i < s.n; ++i) m = m.max(CMap<T>(xb + i * s.inner, w));
      sum.setZero();
      for (int64_t i = 0; i < s.n; ++i) {
        MMap<T> yr(yb + i * s.inner, w);
        yr = exp_flushed(CMap<T>(xb + i * s.inner, w) - m);
        sum += yr;
      }
      if (log) {
        sum = m + sum.log();  // log-sum-exp per column
        for (int64_t i = 0; i < s.n; ++i) MMap<T>(yb + i * s.inner, w) = CMap<T>(xb + i * s.inner, w) - sum;
      } else {
        sum = sum.inverse();
        for (int64_t i = 0; i < s.n; ++i) MMap<T>(yb + i * s.inner, w) *= sum;
      }
    }
  });
}

// softmax:     gi = y * (g - sum(g * y))
// log_softmax: gi = g - exp(y) * sum(g)
template <typename T>
void backward_rows(const T* g, const T* y, T* gi, Shape3 s, bool log) {
  const int64_t n = s.n;
  const bool stream = s.outer * n * static_cast<int64_t>(sizeof(T)) >= kStreamBytes;
  parallel_tasks(s.outer, s.outer * n, [&](int64_t b, int64_t e) {
    Arr<T> buf(n);  // Eigen allocates it aligned for full-width vector stores
    MMap<T> br(buf.data(), n);
    for (int64_t r = b; r < e; ++r) {
      CMap<T> gr(g + r * n, n), yr(y + r * n, n);
      const bool has_next = r + 1 < e;
      const T acc = log ? gr.sum() : (gr * yr).sum();
      chunked_with_prefetch(n, has_next ? g + (r + 1) * n : nullptr, [&](int64_t c, int64_t len) {
        if (has_next)
          for (int64_t k = 0; k < len; k += 64 / int64_t(sizeof(T))) __builtin_prefetch(y + (r + 1) * n + c + k);
        if (log)
          br.segment(c, len) = gr.segment(c, len) - exp_flushed(yr.segment(c, len)) * acc;
        else
          br.segment(c, len) = yr.segment(c, len) * (gr.segment(c, len) - acc);
      });
      store_row(gi + r * n, buf.data(), n, T(1), T(0), stream);
    }
    if (stream) stream_fence();
  });
}

template <typename T>
void backward_cols(const T* g, const T* y, T* gi, Shape3 s, bool log) {
  const int64_t nblk = (s.inner + kTile - 1) / kTile;
  parallel_tasks(s.outer * nblk, s.outer * s.n * s.inner, [&](int64_t b, int64_t e) {
    alignas(64) T abuf[kTile];
    for (int64_t t = b; t < e; ++t) {
      const int64_t o = t / nblk, j0 = (t % nblk) * kTile, w = std::min(kTile, s.inner - j0);
      const int64_t base = o * s.n * s.inner + j0;
      MMap<T> acc(abuf, w);
      acc.setZero();
      for (int64_t i = 0; i < s.n; ++i) {
        CMap<T> gr(g + base + i * s.inner, w);
        if (log)
          acc += gr;
        else
          acc += gr * CMap<T>(y + base + i * s.inner, w);
      }
      for (int64_t i = 0; i < s.n; ++i) {
        CMap<T> gr(g + base + i * s.inner, w), yr(y + base + i * s.inner, w);
        MMap<T> out(gi + base + i * s.inner, w);
        if (log)
          out = gr - exp_flushed(yr) * acc;
        else
          out = yr * (gr - acc);
      }
    }
  });
}

// A contiguous tensor of compute dtype `dt` holding t's values (t itself when it already is one).
Tensor contiguous_as(Backend& be, const Tensor& t, DType dt) {
  if (t.dtype() == dt && t.is_contiguous()) return t;
  Tensor c = empty(t.sizes(), TensorOptions(dt));
  be.copy(t, c);
  return c;
}

// Runs fn(compute_dtype, inputs..., out) on contiguous operands of the compute
// dtype (float for f16/bf16) and copies the result into `out` when needed.
template <typename F>
void with_contiguous(Backend& be, const char* name, std::initializer_list<Tensor> ins, const Tensor& out, F fn) {
  for (const Tensor& t : ins)
    SEEK_CHECK(t.device().is_cpu() && t.sizes() == out.sizes() && t.dtype() == out.dtype(), name,
               ": expected CPU operands of one shape and dtype");
  SEEK_CHECK_DTYPE(is_floating(out.dtype()), name, ": expected a floating dtype, got ", out.dtype());
  const DType ct = (out.dtype() == kFloat64) ? kFloat64 : kFloat32;
  std::vector<Tensor> cs;
  for (const Tensor& t : ins) cs.push_back(contiguous_as(be, t, ct));
  const bool direct = out.dtype() == ct && out.is_contiguous();
  Tensor o = direct ? out : empty(out.sizes(), TensorOptions(ct));
  fn(ct, cs, o);
  if (!direct) be.copy(o, out);
}

}  // namespace

void CpuBackend::softmax(const Tensor& in, int64_t dim, bool log, const Tensor& out) {
  const char* name = log ? "log_softmax" : "softmax";
  Shape3 s = split_at(in, dim, name);
  if (in.numel() == 0) return;
  with_contiguous(*this, name, {in}, out, [&](DType ct, const std::vector<Tensor>& c, const Tensor& o) {
    auto run = [&](auto* x, auto* y) {
      if (s.inner == 1)
        softmax_rows(x, y, s, log);
      else
        softmax_cols(x, y, s, log);
    };
    if (ct == kFloat64)
      run(c[0].data_ptr<double>(), o.data_ptr<double>());
    else
      run(c[0].data_ptr<float>(), o.data_ptr<float>());
  });
}

void CpuBackend::softmax_backward(const Tensor& grad, const Tensor& out, int64_t dim, bool log, const Tensor& grad_in) {
  const char* name = log ? "log_softmax_backward" : "softmax_backward";
  Shape3 s = split_at(out, dim, name);
  if (out.numel() == 0) return;
  with_contiguous(*this, name, {grad, out}, grad_in, [&](DType ct, const std::vector<Tensor>& c, const Tensor& o) {
    auto run = [&](auto* g, auto* y, auto* gi) {
      if (s.inner == 1)
        backward_rows(g, y, gi, s, log);
      else
        backward_cols(g, y, gi, s, log);
    };
    if (ct == kFloat64)
      run(c[0].data_ptr<double>(), c[1].data_ptr<double>(), o.data_ptr<double>());
    else
      run(c[0].data_ptr<float>(), c[1].data_ptr<float>(), o.data_ptr<float>());
  });
}

}  // namespace seek::cpu

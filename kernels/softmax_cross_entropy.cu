// Fused softmax cross-entropy forward and backward on the GPU (seek/backend/cross_entropy_op.h):
// the kernels, their launchers, then CudaBackend::cross_entropy_forward / _backward.
// Trick: the forward folds each row into the online log-sum-exp state of reduce_op.h in one
// read, then (smoothing only) one more read for sum_c w_c (lse - x_c); it writes three numbers
// per row (loss, lse, w_t) and never the N x C log-probabilities. The backward recomputes
// p_c = exp(x_c - lse) from the saved lse and writes the gradient in one read of the logits.
// The row math is the SEEK_HOST_DEVICE CrossEntropyRow functor the CPU loop runs. Row shapes
// as kernels/softmax.cu: classes contiguous (inner == 1) and C <= 1024: one row per warp (8
// rows per block, shuffles only); longer rows: one row per block of 512 threads; inner > 1:
// one thread per row, adjacent threads on adjacent rows (coalesced). f16/bf16 logits are read
// as stored and computed in float (the loss and lse are float, as autocast wants).
#include <cstdint>
#include <limits>
#include <type_traits>

#include "backend/cross_entropy_checks.h"
#include "backend/cuda/cuda_backend.h"
#include "block_reduce.cuh"
#include "softmax_rows.cuh"
#include "seek/backend/cross_entropy_op.h"
#include "seek/backend/reduce_op.h"
#include "seek/core/convert.h"
#include "seek/core/dtype.h"

namespace seek::cuda {

namespace {
using backend_detail::Shape3;
using reducers::LogSumExp;
using reducers::LseState;

using softmax_rows::kBlockRowThreads;
using softmax_rows::kWarpRowMax;
using softmax_rows::LseCombine;
using softmax_rows::SumCombine;
constexpr unsigned kMaxRowBlocks = softmax_rows::kMaxBlocks;

// ---- kernels ----

// inner == 1: row r = base + threadIdx.y, blockDim.x lanes per row; the loop is uniform across
// the block so that every thread reaches row_reduce's barriers.
// A target outside [0, C) that is not ignore_index. The host rejects such targets before
// launching (src/nn/loss.cpp), except inside a CUDA graph capture, where it cannot read them:
// then the row's loss, weight and gradient are NaN instead of a read out of bounds.
template <typename C>
__device__ SEEK_INLINE C out_of_range_target() {
  return std::numeric_limits<C>::quiet_NaN();
}

template <typename T, typename C>
__global__ void ce_forward_rows_kernel(const T* x, const int64_t* target, const C* weight, int64_t rows, int64_t n,
                                       functors::CrossEntropyRow<C> f, int64_t ignore_index, C* loss, C* lse_out,
                                       C* wt_out) {
  LseState<C>* smem = dynamic_shared_memory<LseState<C>>();
  const LogSumExp<C> lse_r;
  for (int64_t base = static_cast<int64_t>(blockIdx.x) * blockDim.y; base < rows;
       base += static_cast<int64_t>(gridDim.x) * blockDim.y) {
    const int64_t r = base + threadIdx.y;
    const T* xr = x + r * n;
    LseState<C> st = lse_r.identity();
    if (r < rows)
      for (int64_t c = threadIdx.x; c < n; c += blockDim.x) st = lse_r.step(st, convert<C>(xr[c]));
    st = row_reduce(st, LseCombine<C>{}, lse_r.identity(), smem, true);
    const C lse = lse_r.finalize(st);
    const int64_t t = r < rows ? target[r] : ignore_index;
    const bool ignored = t == ignore_index;
    const bool bad = !ignored && (t < 0 || t >= n);  // see out_of_range_target
    C smooth = C(0);
    if (f.smoothing) {  // uniform: every thread takes part in the reduction
      if (!ignored && !bad)
        for (int64_t c = threadIdx.x; c < n; c += blockDim.x)
          smooth += (weight ? weight[c] : C(1)) * (lse - convert<C>(xr[c]));
      smooth = row_reduce(smooth, SumCombine<C>{}, C(0), reinterpret_cast<C*>(smem), false);
    }
    if (r >= rows || threadIdx.x != 0) continue;
    lse_out[r] = lse;
    if (bad) {
      loss[r] = wt_out[r] = out_of_range_target<C>();
      continue;
    }
    const C w_t = ignored ? C(0) : weight ? weight[t] : C(1);
    loss[r] = ignored ? C(0) : f.loss(lse, convert<C>(xr[t]), w_t, smooth);
    wt_out[r] = w_t;
  }
}

// inner > 1: one thread per row (o, i), classes at stride inner.
template <typename T, typename C>
__global__ void ce_forward_columns_kernel(const T* x, const int64_t* target, const C* weight, int64_t outer, int64_t n,
                                          int64_t inner, functors::CrossEntropyRow<C> f, int64_t ignore_index, C* loss,
                                          C* lse_out, C* wt_out) {
  const LogSumExp<C> lse_r;
  SEEK_GRID_STRIDE_LOOP(r, outer * inner) {
    const T* xr = x + (r / inner) * n * inner + r % inner;
    LseState<C> st = lse_r.identity();
    for (int64_t c = 0; c < n; ++c) st = lse_r.step(st, convert<C>(xr[c * inner]));
    const C lse = lse_r.finalize(st);
    lse_out[r] = lse;
    const int64_t t = target[r];
    if (t == ignore_index) {
      loss[r] = C(0);
      wt_out[r] = C(0);
      continue;
    }
    if (t < 0 || t >= n) {
      loss[r] = wt_out[r] = out_of_range_target<C>();
      continue;
    }
    const C w_t = weight ? weight[t] : C(1);
    C smooth = C(0);
    if (f.smoothing)
      for (int64_t c = 0; c < n; ++c) smooth += (weight ? weight[c] : C(1)) * (lse - convert<C>(xr[c * inner]));
    loss[r] = f.loss(lse, convert<C>(xr[t * inner]), w_t, smooth);
    wt_out[r] = w_t;
  }
}

// sum_c weight[c] (n without weights, or when there is no smoothing: the term is unused then).
template <typename C>
__device__ SEEK_INLINE C weight_sum(const C* weight, int64_t n, bool smoothing, C* smem) {
  if (weight == nullptr || !smoothing) return static_cast<C>(n);  // uniform across the launch
  C s = C(0);
  for (int64_t c = threadIdx.x; c < n; c += blockDim.x) s += weight[c];
  return row_reduce(s, SumCombine<C>{}, C(0), smem, true);
}

template <typename T, typename C>
__global__ void ce_backward_rows_kernel(const C* g, const T* x, const int64_t* target, const C* weight, const C* lse,
                                        int64_t rows, int64_t n, functors::CrossEntropyRow<C> f, int64_t ignore_index,
                                        T* gx) {
  C* smem = dynamic_shared_memory<C>();
  const C sum_w = weight_sum(weight, n, f.smoothing, smem);  // every row of the block computes the same sum
  for (int64_t base = static_cast<int64_t>(blockIdx.x) * blockDim.y; base < rows;
       base += static_cast<int64_t>(gridDim.x) * blockDim.y) {
    const int64_t r = base + threadIdx.y;
    if (r >= rows) continue;  // no barriers below
    const int64_t t = target[r];
    T* gr = gx + r * n;
    if (t == ignore_index || t < 0 || t >= n) {
      const C v = t == ignore_index ? C(0) : out_of_range_target<C>();
      for (int64_t c = threadIdx.x; c < n; c += blockDim.x) gr[c] = convert<T>(v);
      continue;
    }
    const T* xr = x + r * n;
    const C w_t = weight ? weight[t] : C(1), l = lse[r], gl = g[r];
    for (int64_t c = threadIdx.x; c < n; c += blockDim.x)
      gr[c] = convert<T>(f.grad(convert<C>(xr[c]), l, c == t, w_t, weight ? weight[c] : C(1), sum_w, gl));
  }
}

template <typename T, typename C>
__global__ void ce_backward_columns_kernel(const C* g, const T* x, const int64_t* target, const C* weight, const C* lse,
                                           int64_t outer, int64_t n, int64_t inner, const C* weight_total,
                                           functors::CrossEntropyRow<C> f, int64_t ignore_index, T* gx) {
  const C sum_w = weight_total != nullptr ? *weight_total : static_cast<C>(n);
  SEEK_GRID_STRIDE_LOOP(r, outer * inner) {
    const int64_t off = (r / inner) * n * inner + r % inner;
    const int64_t t = target[r];
    if (t == ignore_index || t < 0 || t >= n) {
      const C v = t == ignore_index ? C(0) : out_of_range_target<C>();
      for (int64_t c = 0; c < n; ++c) gx[off + c * inner] = convert<T>(v);
      continue;
    }
    const C w_t = weight ? weight[t] : C(1), l = lse[r], gl = g[r];
    for (int64_t c = 0; c < n; ++c) {
      const int64_t k = off + c * inner;
      gx[k] = convert<T>(f.grad(convert<C>(x[k]), l, c == t, w_t, weight ? weight[c] : C(1), sum_w, gl));
    }
  }
}

// sum_c weight[c] into *out (one block), for the column backward.
template <typename C>
__global__ void ce_weight_sum_kernel(const C* weight, int64_t n, C* out) {
  C* smem = dynamic_shared_memory<C>();
  const C s = weight_sum(weight, n, true, smem);
  if (threadIdx.x == 0) *out = s;
}

// ---- launchers ----

dim3 row_block(int64_t n) {
  if (n <= kWarpRowMax) return dim3(kWarpSize, kBlockThreads / kWarpSize);
  return dim3(kBlockRowThreads, 1);
}
unsigned row_grid(int64_t rows, const dim3& block) {
  const int64_t blocks = (rows + block.y - 1) / block.y;
  return static_cast<unsigned>(blocks < kMaxRowBlocks ? blocks : kMaxRowBlocks);
}

template <typename C>
const C* weight_ptr(const Tensor& w) {
  return w.defined() ? static_cast<const C*>(w.data_ptr()) : nullptr;
}

}  // namespace

// ---- CudaBackend::cross_entropy_forward / cross_entropy_backward (family: Softmax, softmax.cu) ----

void CudaBackend::cross_entropy_forward(const Tensor& logits, const Tensor& target, const Tensor& weight,
                                        int64_t class_dim, const CrossEntropyParams& p, const Tensor& loss,
                                        const Tensor& lse, const Tensor& weight_t) {
  const char* name = "cross_entropy_forward";
  const Shape3 s =
      backend_detail::check_cross_entropy(name, logits, target, weight, class_dim, {&loss, &lse, &weight_t}, p);
  SEEK_CHECK_T(DeviceError, logits.is_cuda(), name, ": the CUDA backend got logits on ", logits.device().str());
  if (loss.numel() == 0) return;
  DeviceGuard guard(logits.device().index, name);
  const cudaStream_t stream = current_stream();
  SEEK_DISPATCH_FLOATING(logits.dtype(), name, [&] {
    using T = scalar_t;
    using C = std::conditional_t<std::is_same_v<T, double>, double, float>;
    const auto f = functors::CrossEntropyRow<C>::make(p, s.n);
    const T* x = static_cast<const T*>(logits.data_ptr());
    const int64_t* t = static_cast<const int64_t*>(target.data_ptr());
    C* l = static_cast<C*>(loss.data_ptr());
    C* m = static_cast<C*>(lse.data_ptr());
    C* w = static_cast<C*>(weight_t.data_ptr());
    if (s.inner == 1) {
      const dim3 block = row_block(s.n);
      const size_t smem = block.y * (block.x / kWarpSize) * sizeof(LseState<C>);
      launch(ce_forward_rows_kernel<T, C>, {row_grid(s.outer, block), block, smem, stream}, x, t, weight_ptr<C>(weight),
             s.outer, s.n, f, p.ignore_index, l, m, w);
    } else {
      launch(ce_forward_columns_kernel<T, C>, {grid_size(s.outer * s.inner), kBlockThreads, 0, stream}, x, t,
             weight_ptr<C>(weight), s.outer, s.n, s.inner, f, p.ignore_index, l, m, w);
    }
  });
}

void CudaBackend::cross_entropy_backward(const Tensor& grad_loss, const Tensor& logits, const Tensor& target,
                                         const Tensor& weight, const Tensor& lse, int64_t class_dim,
                                         const CrossEntropyParams& p, const Tensor& grad_logits) {
  const char* name = "cross_entropy_backward";
  const Shape3 s = backend_detail::check_cross_entropy(name, logits, target, weight, class_dim, {&grad_loss, &lse}, p);
  SEEK_CHECK_T(DeviceError, logits.is_cuda(), name, ": the CUDA backend got logits on ", logits.device().str());
  SEEK_CHECK(grad_logits.sizes() == logits.sizes() && grad_logits.dtype() == logits.dtype() &&
                 grad_logits.is_contiguous() && grad_logits.device() == logits.device(),
             name, ": grad_logits must be a contiguous tensor of the logits' shape and dtype on its device");
  if (grad_logits.numel() == 0) return;
  DeviceGuard guard(logits.device().index, name);
  const cudaStream_t stream = current_stream();
  SEEK_DISPATCH_FLOATING(logits.dtype(), name, [&] {
    using T = scalar_t;
    using C = std::conditional_t<std::is_same_v<T, double>, double, float>;
    const auto f = functors::CrossEntropyRow<C>::make(p, s.n);
    const C* g = static_cast<const C*>(grad_loss.data_ptr());
    const T* x = static_cast<const T*>(logits.data_ptr());
    const int64_t* t = static_cast<const int64_t*>(target.data_ptr());
    const C* m = static_cast<const C*>(lse.data_ptr());
    T* gx = static_cast<T*>(grad_logits.data_ptr());
    if (s.inner == 1) {
      const dim3 block = row_block(s.n);
      const size_t smem = block.y * (block.x / kWarpSize) * sizeof(C);
      launch(ce_backward_rows_kernel<T, C>, {row_grid(s.outer, block), block, smem, stream}, g, x, t,
             weight_ptr<C>(weight), m, s.outer, s.n, f, p.ignore_index, gx);
      return;
    }
    // Columns: the weight sum (smoothing with weights only) comes from a one-block kernel, read on the device.
    Tensor sum_t;
    if (weight.defined() && f.smoothing) {
      sum_t = empty({}, TensorOptions(dtype_of<C>::value).device(logits.device()));
      const dim3 block(kBlockThreads);
      launch(ce_weight_sum_kernel<C>, {1, block, (kBlockThreads / kWarpSize) * sizeof(C), stream},
             weight_ptr<C>(weight), s.n, static_cast<C*>(sum_t.data_ptr()));
    }
    launch(ce_backward_columns_kernel<T, C>, {grid_size(s.outer * s.inner), kBlockThreads, 0, stream}, g, x, t,
           weight_ptr<C>(weight), m, s.outer, s.n, s.inner,
           static_cast<const C*>(sum_t.defined() ? sum_t.data_ptr() : nullptr), f, p.ignore_index, gx);
  });
}

}  // namespace seek::cuda

// CPU fused softmax cross-entropy (seek/backend/cross_entropy_op.h): rows are split across
// threads; each row folds its logits into the online log-sum-exp state of reduce_op.h (one
// pass), then one pass for the target logit and the smoothing sum (forward) or the gradient
// (backward). The logits are [outer, C, inner]: row r = (o, i) reads classes at stride inner.
// f16/bf16 logits are read and converted per element (computed in float); nothing of size
// N x C is allocated.
#include <omp.h>

#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/cpu_loops.h"
#include "backend/cross_entropy_checks.h"
#include "seek/backend/reduce_op.h"
#include "seek/core/convert.h"

namespace seek::cpu {

namespace {

using backend_detail::Shape3;

template <typename T, typename C>
void forward_rows(const T* x, const int64_t* target, const C* weight, Shape3 s, const CrossEntropyParams& p, C* loss,
                  C* lse_out, C* wt_out) {
  const auto row = functors::CrossEntropyRow<C>::make(p, s.n);
  const reducers::LogSumExp<C> lse_r;
  const int64_t rows = s.outer * s.inner;
#pragma omp parallel for schedule(static) if (rows * s.n >= kParallelGrain && !omp_in_parallel())
  for (int64_t r = 0; r < rows; ++r) {
    const T* xr = x + (r / s.inner) * s.n * s.inner + r % s.inner;
    auto st = lse_r.identity();
    for (int64_t c = 0; c < s.n; ++c) st = lse_r.step(st, convert<C>(xr[c * s.inner]));
    const C lse = lse_r.finalize(st);
    lse_out[r] = lse;
    const int64_t t = target[r];
    if (t == p.ignore_index) {
      loss[r] = C(0);
      wt_out[r] = C(0);
      continue;
    }
    const C w_t = weight ? weight[t] : C(1);
    C smooth = C(0);
    if (row.smoothing)
      for (int64_t c = 0; c < s.n; ++c) smooth += (weight ? weight[c] : C(1)) * (lse - convert<C>(xr[c * s.inner]));
    loss[r] = row.loss(lse, convert<C>(xr[t * s.inner]), w_t, smooth);
    wt_out[r] = w_t;
  }
}

template <typename T, typename C>
void backward_rows(const C* g, const T* x, const int64_t* target, const C* weight, const C* lse, Shape3 s,
                   const CrossEntropyParams& p, T* gx) {
  const auto row = functors::CrossEntropyRow<C>::make(p, s.n);
  C sum_w = static_cast<C>(s.n);
  if (weight && row.smoothing) {
    sum_w = C(0);
    for (int64_t c = 0; c < s.n; ++c) sum_w += weight[c];
  }
  const int64_t rows = s.outer * s.inner;
#pragma omp parallel for schedule(static) if (rows * s.n >= kParallelGrain && !omp_in_parallel())
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t off = (r / s.inner) * s.n * s.inner + r % s.inner;
    const int64_t t = target[r];
    if (t == p.ignore_index) {
      for (int64_t c = 0; c < s.n; ++c) gx[off + c * s.inner] = convert<T>(C(0));
      continue;
    }
    const C w_t = weight ? weight[t] : C(1);
    for (int64_t c = 0; c < s.n; ++c) {
      const int64_t k = off + c * s.inner;
      gx[k] = convert<T>(row.grad(convert<C>(x[k]), lse[r], c == t, w_t, weight ? weight[c] : C(1), sum_w, g[r]));
    }
  }
}

template <typename C>
const C* weight_ptr(const Tensor& w) {
  return w.defined() ? static_cast<const C*>(w.data_ptr()) : nullptr;
}

}  // namespace

void CpuBackend::cross_entropy_forward(const Tensor& logits, const Tensor& target, const Tensor& weight,
                                       int64_t class_dim, const CrossEntropyParams& p, const Tensor& loss,
                                       const Tensor& lse, const Tensor& weight_t) {
  const char* name = "cross_entropy_forward";
  const Shape3 s =
      backend_detail::check_cross_entropy(name, logits, target, weight, class_dim, {&loss, &lse, &weight_t}, p);
  if (loss.numel() == 0) return;
  SEEK_DISPATCH_FLOATING(logits.dtype(), name, [&] {
    using T = scalar_t;
    using C = std::conditional_t<std::is_same_v<T, double>, double, float>;
    forward_rows<T, C>(static_cast<const T*>(logits.data_ptr()), static_cast<const int64_t*>(target.data_ptr()),
                       weight_ptr<C>(weight), s, p, static_cast<C*>(loss.data_ptr()), static_cast<C*>(lse.data_ptr()),
                       static_cast<C*>(weight_t.data_ptr()));
  });
}

void CpuBackend::cross_entropy_backward(const Tensor& grad_loss, const Tensor& logits, const Tensor& target,
                                        const Tensor& weight, const Tensor& lse, int64_t class_dim,
                                        const CrossEntropyParams& p, const Tensor& grad_logits) {
  const char* name = "cross_entropy_backward";
  const Shape3 s = backend_detail::check_cross_entropy(name, logits, target, weight, class_dim, {&grad_loss, &lse}, p);
  SEEK_CHECK(grad_logits.sizes() == logits.sizes() && grad_logits.dtype() == logits.dtype() &&
                 grad_logits.is_contiguous() && grad_logits.device() == logits.device(),
             name, ": grad_logits must be a contiguous tensor of the logits' shape and dtype");
  if (grad_logits.numel() == 0) return;
  SEEK_DISPATCH_FLOATING(logits.dtype(), name, [&] {
    using T = scalar_t;
    using C = std::conditional_t<std::is_same_v<T, double>, double, float>;
    backward_rows<T, C>(static_cast<const C*>(grad_loss.data_ptr()), static_cast<const T*>(logits.data_ptr()),
                        static_cast<const int64_t*>(target.data_ptr()), weight_ptr<C>(weight),
                        static_cast<const C*>(lse.data_ptr()), s, p, static_cast<T*>(grad_logits.data_ptr()));
  });
}

}  // namespace seek::cpu

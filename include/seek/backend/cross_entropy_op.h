#pragma once
// Fused softmax cross-entropy over class-index targets (Backend::cross_entropy_forward /
// cross_entropy_backward, in the Softmax family). The logits are seen as [outer, C, inner]
// (classes along class_dim); a "row" is one (outer, inner) position, i.e. one target. Per row,
// in the compute type C_t (float for f16/bf16/f32 logits, double for f64):
//   lse  = log sum_c exp(x_c)                        (saved for the backward; not N x C log-probs)
//   w_t  = weight[t] (1 without weights), 0 where t == ignore_index
//   loss = (1 - eps) * w_t * (lse - x_t) + eps / C * sum_c w_c * (lse - x_c)   (0 where ignored)
//   d loss / d x_c = (1 - eps) * w_t * (p_c - [c == t]) + eps / C * (sum_w * p_c - w_c),
//                    p_c = exp(x_c - lse), sum_w = sum_c w_c (C without weights)
// which is torch's cross_entropy with label_smoothing = eps for reduction 'none'; 'sum' and
// 'mean' (divided by the sum of w_t, NaN when every target is ignored) are done by the caller.
// The functors below are SEEK_HOST_DEVICE: the CPU loop and the CUDA kernels share them.
#include <cmath>
#include <cstdint>

#include "seek/core/macros.h"

namespace seek {

struct CrossEntropyParams {
  int64_t ignore_index = -100;
  double label_smoothing = 0.0;
};

namespace functors {

template <typename C>
struct CrossEntropyRow {
  C one_minus_eps, eps_over_classes;
  bool smoothing;

  static CrossEntropyRow make(const CrossEntropyParams& p, int64_t classes) {
    return {static_cast<C>(1.0 - p.label_smoothing), static_cast<C>(p.label_smoothing / static_cast<double>(classes)),
            p.label_smoothing != 0.0};
  }

  // The row's loss from its lse, target logit x_t, target weight w_t and smooth_sum = sum_c w_c (lse - x_c).
  SEEK_HOST_DEVICE C loss(C lse, C x_t, C w_t, C smooth_sum) const {
    const C nll = w_t * (lse - x_t);
    return smoothing ? one_minus_eps * nll + eps_over_classes * smooth_sum : nll;
  }

  // d loss / d x_c times the row's upstream gradient g (w_t = 0 for an ignored row gives 0 when
  // there is no smoothing; callers skip ignored rows).
  SEEK_HOST_DEVICE C grad(C x, C lse, bool is_target, C w_t, C w_c, C sum_w, C g) const {
    const C p = std::exp(x - lse);
    C d = w_t * (is_target ? p - C(1) : p);
    if (smoothing) d = one_minus_eps * d + eps_over_classes * (sum_w * p - w_c);
    return d * g;
  }
};

}  // namespace functors
}  // namespace seek

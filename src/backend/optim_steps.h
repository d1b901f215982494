#pragma once
// The optim family's step functors (seek/backend/optim_op.h) built from the hyperparameters, once
// for the CPU loop (cpu_optim.cpp) and the CUDA kernels (kernels/optim.cu): every constant is
// computed in double and rounded once to the parameter's dtype, as the per-op path rounds scalars.
#include <cmath>
#include <cstdint>

#include "seek/backend/optim_op.h"

namespace seek::backend_detail {

template <typename T>
functors::SgdStep<T> sgd_step(const OptimHyper& h) {
  return {static_cast<T>(h.weight_decay),
          static_cast<T>(h.momentum),
          static_cast<T>(1.0 - h.dampening),
          static_cast<T>(-h.lr),
          h.weight_decay != 0.0,
          h.momentum != 0.0,
          h.nesterov,
          h.maximize};
}

// Adam's bias corrections of step `step` (>= 1): sqrt(1 - beta2^t) and -lr / (1 - beta1^t).
inline double adam_bias_correction2_sqrt(const OptimHyper& h, int64_t step) {
  return std::sqrt(1.0 - std::pow(h.beta2, static_cast<double>(step)));
}
inline double adam_neg_step_size(const OptimHyper& h, int64_t step) {
  return -(h.lr / (1.0 - std::pow(h.beta1, static_cast<double>(step))));
}

template <typename T>
functors::AdamStep<T> adam_step(const OptimHyper& h, int64_t step) {
  return {static_cast<T>(h.weight_decay),
          static_cast<T>(1.0 - h.lr * h.weight_decay),
          static_cast<T>(h.beta1),
          static_cast<T>(1.0 - h.beta1),
          static_cast<T>(h.beta2),
          static_cast<T>(1.0 - h.beta2),
          static_cast<T>(adam_bias_correction2_sqrt(h, step)),
          static_cast<T>(h.eps),
          static_cast<T>(adam_neg_step_size(h, step)),
          h.weight_decay != 0.0,
          h.decoupled,
          h.amsgrad,
          h.maximize};
}

template <typename T>
functors::RmspropStep<T> rmsprop_step(const OptimHyper& h) {
  return {static_cast<T>(h.weight_decay),
          static_cast<T>(h.alpha),
          static_cast<T>(1.0 - h.alpha),
          static_cast<T>(h.eps),
          static_cast<T>(h.momentum),
          static_cast<T>(-h.lr),
          h.weight_decay != 0.0,
          h.centered,
          h.momentum > 0.0,
          h.maximize};
}

}  // namespace seek::backend_detail

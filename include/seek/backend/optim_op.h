#pragma once
// The optim kernel family: one backend call updates a whole list of tensors (PyTorch's
// foreach/fused optimizers). The table below has one row per op; the per-element update
// rules are the functors further down, written once for the CPU loop and the CUDA kernels.
//
//   SGD        params, grads, states[0] = momentum buffers (when momentum != 0), fresh
//   Adam       params, grads, states = exp_avg, exp_avg_sq, max_exp_avg_sq (amsgrad), steps;
//              decoupled = AdamW's weight decay
//   RMSprop    params, grads, states = square_avg, grad_avg (centered), momentum buffer (momentum > 0)
//   GradNorm   grads; out (0-dim, grads[0]'s dtype) = the norm of all grads joined into one vector
//   ScaleGrads grads *= scale (0-dim tensor, read on the device), computed in acc_t of the grad's
//              dtype; found_inf (0-dim f32, may be undefined) is set to 1 when a scaled value is
//              inf or NaN and left alone otherwise (GradScaler's unscale-and-check)
//
// Every tensor of a call lives on the backend's device and is dense (contiguous in some dim order,
// e.g. a channels_last weight: the kernels see flat storage); a gradient and a state tensor have
// their parameter's shape, dtype and strides. The update rules follow torch.optim (1.13) operation by operation
// in the parameter's dtype, so a fused step equals the per-op step (src/optim) up to rounding of
// contracted multiply-adds. Results do not depend on the thread count.
#include <cmath>
#include <cstdint>
#include <vector>

#include "seek/core/macros.h"
#include "seek/core/tensor.h"

namespace seek {

// X(enum name, printed name)
#define SEEK_OPTIM_OPS(X)  \
  X(SGD, "sgd")            \
  X(Adam, "adam")          \
  X(RMSprop, "rmsprop")    \
  X(GradNorm, "grad_norm") \
  X(ScaleGrads, "scale_grads")

enum class OptimOp : int8_t {
#define SEEK_OPTIM_ENUM(name, str) name,
  SEEK_OPTIM_OPS(SEEK_OPTIM_ENUM)
#undef SEEK_OPTIM_ENUM
};

inline const char* optim_op_name(OptimOp op) {
  switch (op) {
#define SEEK_OPTIM_NAME(name, str) \
  case OptimOp::name: return str;
    SEEK_OPTIM_OPS(SEEK_OPTIM_NAME)
#undef SEEK_OPTIM_NAME
  }
  return "?";
}

// Hyperparameters of one step; each op reads the fields its rule names.
struct OptimHyper {
  double lr = 0.0;
  double momentum = 0.0;
  double dampening = 0.0;
  double weight_decay = 0.0;
  double beta1 = 0.9, beta2 = 0.999;
  double eps = 1e-8;
  double alpha = 0.99;
  bool nesterov = false;
  bool maximize = false;
  bool amsgrad = false;
  bool decoupled = false;  // AdamW: p *= 1 - lr * weight_decay instead of adding weight_decay * p to the grad
  bool centered = false;
};

struct OptimArgs {
  std::vector<Tensor> params;               // updated in place by SGD, Adam, RMSprop
  std::vector<Tensor> grads;                // read, or scaled in place by ScaleGrads
  std::vector<std::vector<Tensor>> states;  // states[k][i]: buffer k of tensor i (list k may be empty if unused)
  std::vector<int64_t> steps;               // Adam: step count of each tensor after this update (>= 1)
  std::vector<uint8_t> fresh;               // SGD: 1 where the momentum buffer is new (it becomes the grad)
  OptimHyper hyper;
  double norm_type = 2.0;  // GradNorm: p > 0 or +inf
  Tensor out;              // GradNorm result
  Tensor scale;            // ScaleGrads factor
  Tensor found_inf;        // ScaleGrads flag
};

namespace functors {

// One element of each rule, in T (the parameter's dtype). Constants arrive already cast to T
// so that the arithmetic matches the per-op path, which rounds each scalar to the tensor dtype.
template <typename T>
struct SgdStep {
  T wd, momentum, one_minus_dampening, neg_lr;
  bool has_wd, has_momentum, nesterov, maximize;
  // buf is read only when has_momentum; fresh: buf = d.
  SEEK_HOST_DEVICE void operator()(T& p, T g, T& buf, bool fresh) const {
    T d = maximize ? -g : g;
    if (has_wd) d = d + p * wd;
    if (has_momentum) {
      buf = fresh ? d : buf * momentum + d * one_minus_dampening;
      d = nesterov ? d + buf * momentum : buf;
    }
    p = p + d * neg_lr;
  }
};

template <typename T>
struct AdamStep {
  T wd, decay, beta1, one_minus_beta1, beta2, one_minus_beta2, bc2_sqrt, eps, neg_step_size;
  bool has_wd, decoupled, amsgrad, maximize;
  SEEK_HOST_DEVICE void operator()(T& p, T g, T& m, T& v, T& vmax) const {
    T d = maximize ? -g : g;
    if (has_wd) {
      if (decoupled)
        p = p * decay;
      else
        d = d + p * wd;
    }
    m = m * beta1 + d * one_minus_beta1;
    v = v * beta2 + one_minus_beta2 * d * d;
    T denom;
    if (amsgrad) {
      vmax = vmax > v || vmax != vmax ? vmax : v;  // torch.maximum: NaN wins
      denom = std::sqrt(vmax) / bc2_sqrt + eps;
    } else {
      denom = std::sqrt(v) / bc2_sqrt + eps;
    }
    p = p + neg_step_size * m / denom;
  }
};

template <typename T>
struct RmspropStep {
  T wd, alpha, one_minus_alpha, eps, momentum, neg_lr;
  bool has_wd, centered, has_momentum, maximize;
  SEEK_HOST_DEVICE void operator()(T& p, T g, T& v, T& ga, T& buf) const {
    T d = maximize ? -g : g;
    if (has_wd) d = d + p * wd;
    v = v * alpha + one_minus_alpha * d * d;
    T avg;
    if (centered) {
      ga = ga * alpha + d * one_minus_alpha;
      avg = std::sqrt(v + T(-1) * ga * ga) + eps;
    } else {
      avg = std::sqrt(v) + eps;
    }
    if (has_momentum) {
      buf = buf * momentum + T(1) * d / avg;
      p = p + buf * neg_lr;
    } else {
      p = p + neg_lr * d / avg;
    }
  }
};

}  // namespace functors
}  // namespace seek

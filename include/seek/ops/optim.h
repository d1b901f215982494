#pragma once
// Fused optimizer ops over lists of tensors (the optim kernel family, seek/backend/optim_op.h),
// like PyTorch's torch._fused_sgd_ / _fused_adam_ / _foreach_norm and
// _amp_foreach_non_finite_check_and_unscale_. The optim layer calls them and keeps its per-op
// step as the fallback: the step functions return false, changing nothing, when the fused kernel
// cannot take the lists (tensors on more than one device, a device without the family, parameters
// that are not all float32 or all float64, a parameter or state tensor that is not contiguous, a
// gradient whose dtype differs from its parameter's). Gradients may be non-contiguous.
// They record no history: with grad mode on, a parameter that requires grad is an Error.
// Every tensor they write has its version counter bumped.
#include <cstdint>
#include <vector>

#include "seek/backend/optim_op.h"
#include "seek/core/tensor.h"

namespace seek {

// torch.optim.SGD's rule on every (param, grad); momentum_buffers is empty when momentum == 0,
// else one per parameter (fresh[i] = 1: buffer i is new and becomes the gradient).
bool fused_sgd_(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                const std::vector<Tensor>& momentum_buffers, const std::vector<uint8_t>& fresh,
                const OptimHyper& hyper);

// Adam / AdamW (hyper.decoupled); steps[i] is parameter i's step count after this update.
// max_exp_avg_sqs is empty unless hyper.amsgrad.
bool fused_adam_(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                 const std::vector<Tensor>& exp_avgs, const std::vector<Tensor>& exp_avg_sqs,
                 const std::vector<Tensor>& max_exp_avg_sqs, const std::vector<int64_t>& steps,
                 const OptimHyper& hyper);

// RMSprop; grad_avgs is empty unless hyper.centered, momentum_buffers unless hyper.momentum > 0.
bool fused_rmsprop_(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                    const std::vector<Tensor>& square_avgs, const std::vector<Tensor>& grad_avgs,
                    const std::vector<Tensor>& momentum_buffers, const OptimHyper& hyper);

// The norm of order norm_type (> 0 or +inf) of all tensors joined into one vector, in one pass,
// as a 0-dim tensor of tensors[0]'s dtype on their device (accumulated in float64). Undefined
// when the fused kernel cannot take the list (see above; any floating dtypes, contiguous or not).
Tensor fused_total_norm(const std::vector<Tensor>& tensors, double norm_type);

// tensors[i] *= scale (a 0-dim floating tensor on their device), computed in float32 for
// 16-bit tensors; when found_inf (0-dim float32) is defined, it is set to 1 if any result is
// inf or NaN and left as it is otherwise. False (nothing changed) when the fused kernel cannot
// take the list (non-contiguous tensors included).
bool fused_mul_check_finite_(const std::vector<Tensor>& tensors, const Tensor& scale, const Tensor& found_inf);

}  // namespace seek

#pragma once
// Gradient clipping, like torch.nn.utils.clip_grad_norm_ / clip_grad_value_.
#include <limits>
#include <vector>

#include "seek/core/tensor.h"

namespace seek::optim {

// Scales the gradients of `params` in place so that their total norm (the norm of all
// gradients joined into one vector) is at most max_norm: grad *= min(1, max_norm / (total + 1e-6)).
// norm_type is any p > 0 or infinity (the largest |element|). Returns the total norm before
// clipping as a 0-dim tensor on the gradients' device (0 when no parameter has a gradient).
// error_if_nonfinite: throw ValueError when the total norm is nan or inf.
Tensor clip_grad_norm_(const std::vector<Tensor>& params, double max_norm, double norm_type = 2.0,
                       bool error_if_nonfinite = false);

// Clamps every gradient element into [-clip_value, clip_value].
void clip_grad_value_(const std::vector<Tensor>& params, double clip_value);

}  // namespace seek::optim

#pragma once
// Norm family: batch norm and group norm as differentiable ops, like torch.batch_norm and
// torch.group_norm (nn::functional and the BatchNorm/GroupNorm modules call these). Batch norm
// with batch statistics is one autograd node; on a backend with the fused norm kernels
// (the CPU) its forward and backward are those kernels.
#include <optional>

#include "seek/core/tensor.h"

namespace seek {

// input [N, C] or [N, C, *]. In training mode (or when the running stats are
// undefined) normalises with the biased batch variance over every dim but 1 and,
// when running_mean/running_var are defined, updates them in place (no grad):
//   running = (1 - momentum) * running + momentum * batch_stat  (unbiased var).
// momentum == nullopt means a cumulative average with factor 1 / num_batches_tracked.
// num_batches_tracked (int64 scalar, optional) is incremented by one per training
// call that updates running stats; it is required when momentum is nullopt.
// In eval mode running_mean and running_var are used and must be defined.
Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                  const Tensor& weight = Tensor(), const Tensor& bias = Tensor(), bool training = false,
                  std::optional<double> momentum = 0.1, double eps = 1e-5,
                  const Tensor& num_batches_tracked = Tensor());
// input [N, C, *]; normalises each of num_groups channel groups per sample
// (biased variance), then applies the optional per-channel weight and bias [C].
Tensor group_norm(const Tensor& input, int64_t num_groups, const Tensor& weight = Tensor(),
                  const Tensor& bias = Tensor(), double eps = 1e-5);

}  // namespace seek

#pragma once
// Fused conv2d -> batch norm -> (+ residual) -> (ReLU) for training, issue 15: one autograd node whose
// forward is the convolution plus one fused statistics/normalise/affine/residual/ReLU pass and whose
// backward is one pass for the batch-norm sums, one for the conv-output gradient, then conv2d's own
// backward (src/ops/conv_bn.cpp; kernels: src/backend/cpu/cpu_conv_bn.cpp, kernels/conv_bn_fused.cu).
// Equal, within rounding, to
//   y = batch_norm(conv2d(input, weight, conv_bias, ...), running_mean, running_var, bn_weight, bn_bias,
//                  training, momentum, eps, num_batches_tracked);
//   if (residual.defined()) y = y + residual;   if (relu) y = relu(y);
// including the running-statistics update (momentum, unbiased variance, num_batches_tracked). Where a
// device has no fused kernels for the dtype, under autocast, in eval mode (running statistics), and
// for double backward, it runs exactly that composition of ops.
#include <optional>

#include "seek/backend/conv_params.h"
#include "seek/core/tensor.h"

namespace seek {

struct ConvBnOptions {
  Int2 stride = 1, padding = 0, dilation = 1;
  int64_t groups = 1;
  bool training = true;
  std::optional<double> momentum = 0.1;  // nullopt: cumulative average (needs num_batches_tracked)
  double eps = 1e-5;
  bool relu = true;
};

// input [N, C, H, W]; weight [O, C/groups, kH, kW]; conv_bias, running stats, bn_weight, bn_bias [O] or
// undefined; residual [N, O, OH, OW] or undefined -> [N, O, OH, OW] (channels_last when the input or the
// weight is, as conv2d).
Tensor conv_bn(const Tensor& input, const Tensor& weight, const Tensor& conv_bias, const Tensor& running_mean,
               const Tensor& running_var, const Tensor& bn_weight, const Tensor& bn_bias,
               const Tensor& residual = Tensor(), const ConvBnOptions& options = {},
               const Tensor& num_batches_tracked = Tensor());

}  // namespace seek

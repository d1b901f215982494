#pragma once
// 2-D convolution, like torch.nn.functional.conv2d / conv_transpose2d.
// input [N, C, H, W] or unbatched [C, H, W]; one floating dtype for input,
// weight and bias. Differentiable in input, weight and bias (first order: the
// backward runs the backend's conv kernels directly).
#include "seek/backend/conv_params.h"
#include "seek/core/tensor.h"

namespace seek {

// weight [O, C/groups, kH, kW], bias [O] or undefined -> [N, O, OH, OW] with
// OH = (H + 2*padding - dilation*(kH-1) - 1) / stride + 1.
Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias = {}, Int2 stride = 1, Int2 padding = 0,
              Int2 dilation = 1, int64_t groups = 1);

// The adjoint of conv2d in its input (the "deconvolution"): weight
// [C_in, C_out/groups, kH, kW], bias [C_out] or undefined -> [N, C_out, OH, OW]
// with OH = (H-1)*stride - 2*padding + dilation*(kH-1) + output_padding + 1.
Tensor conv_transpose2d(const Tensor& input, const Tensor& weight, const Tensor& bias = {}, Int2 stride = 1,
                        Int2 padding = 0, Int2 output_padding = 0, int64_t groups = 1, Int2 dilation = 1);

}  // namespace seek

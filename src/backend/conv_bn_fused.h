#pragma once
// The fused conv2d -> batch norm (batch statistics) -> residual add -> ReLU kernels of issue 15, as a
// small per-device table rather than Backend virtuals (so that adding them rebuilt nothing else):
// src/backend/cpu/cpu_conv_bn.cpp registers the CPU twin, kernels/conv_bn_fused.cu the CUDA kernels.
// src/ops/conv_bn.cpp looks the table up by device type and falls back to the unfused ops where a
// device has none or does not support the dtype. Host code; it compiles in a .cu file too.
#include "seek/backend/conv_params.h"
#include "seek/core/device.h"
#include "seek/core/tensor.h"

namespace seek::backend_detail {

// Forward with batch statistics. input [N, C, H, W] (any strides), weight [O, C/groups, kH, kW],
// conv_bias [O] or undefined, bn_weight / bn_bias [O] or undefined (no affine), residual undefined or
// [N, O, OH, OW] dense in the table's `layout`. Writes z = conv(input) and out = relu?(bn(z) + residual),
// both allocated by the caller dense in `layout` (NCHW on the CPU, NHWC on CUDA) in the input's dtype, and the per-channel mean, invstd = 1 / sqrt(var + eps) and
// the biased var ([O], f64 for f64 input, f32 otherwise).
struct ConvBnForwardArgs {
  Tensor input, weight, conv_bias;
  Conv2dParams p;
  Tensor bn_weight, bn_bias, residual;
  bool relu = true;
  double eps = 1e-5;
  Tensor z, out, mean, invstd, var;
};

// Backward. grad_out dense in the table's `layout`; z, out, mean, invstd as the forward wrote them. With
// m = (out > 0) under relu (1 otherwise), g = grad_out * m, xhat = (z - mean) * invstd and n values
// per channel, writes each defined output:
//   grad_bn_bias = sum(g), grad_bn_weight = sum(g * xhat), grad_residual = g,
//   grad_z = bn_weight * invstd * (g - sum(g) / n - xhat * sum(g * xhat) / n),
//   and grad_input / grad_weight / grad_conv_bias = conv2d's backward of grad_z.
struct ConvBnBackwardArgs {
  Tensor grad_out, input, weight;
  Conv2dParams p;
  Tensor z, out, bn_weight, mean, invstd;
  bool relu = true;
  Tensor grad_input, grad_weight, grad_conv_bias, grad_bn_weight, grad_bn_bias, grad_residual;
};

struct ConvBnKernels {
  // The layout of z, out, residual, grad_out, grad_residual: Contiguous (NCHW) or ChannelsLast (NHWC).
  MemoryFormat layout = MemoryFormat::Contiguous;
  bool (*supports)(DType input_dtype) = nullptr;
  void (*forward)(const ConvBnForwardArgs& args) = nullptr;
  void (*backward)(const ConvBnBackwardArgs& args) = nullptr;
};

// Registration at static-initialisation time (one table per device type; a later one replaces).
void register_conv_bn_kernels(DeviceType type, ConvBnKernels kernels);
// The device type's table, or nullptr.
const ConvBnKernels* find_conv_bn_kernels(DeviceType type);

struct ConvBnRegistrar {
  ConvBnRegistrar(DeviceType type, ConvBnKernels kernels) { register_conv_bn_kernels(type, kernels); }
};

}  // namespace seek::backend_detail

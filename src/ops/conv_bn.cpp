// Fused conv2d -> batch norm -> residual -> ReLU (seek/ops/conv_bn.h). The op checks its arguments,
// runs the device's fused kernels (backend/conv_bn_fused.h) when there are some for the dtype, updates
// the running statistics as batch_norm does, and records ONE autograd node for the whole block, whose
// backward is the device's fused backward (BN-backward and ReLU-backward in two passes, then conv2d's
// backward kernels). Everything else (no kernels for the device or dtype, autocast, eval mode with
// running statistics) is the plain composition of conv2d, batch_norm, add and relu, which is also the
// reference the tests hold the fused path to.
#include "seek/ops/conv_bn.h"

#include "backend/conv_bn_fused.h"
#include "ops/op_utils.h"
#include "seek/autograd/function.h"
#include "seek/autograd/grad_mode.h"
#include "seek/core/autocast.h"
#include "seek/core/error.h"
#include "seek/core/shape_util.h"
#include "seek/ops/binary.h"
#include "seek/ops/conv.h"
#include "seek/ops/creation.h"
#include "seek/ops/norm.h"
#include "seek/ops/unary.h"

namespace seek {

using namespace ops_detail;
using autograd::SavedTensor;
using autograd::variable_list;
using backend_detail::ConvBnBackwardArgs;
using backend_detail::ConvBnForwardArgs;
using backend_detail::ConvBnKernels;

namespace {

Tensor composed(const Tensor& input, const Tensor& weight, const Tensor& conv_bias, const Tensor& running_mean,
                const Tensor& running_var, const Tensor& bn_weight, const Tensor& bn_bias, const Tensor& residual,
                const ConvBnOptions& o, const Tensor& num_batches_tracked) {
  Tensor y = conv2d(input, weight, conv_bias, o.stride, o.padding, o.dilation, o.groups);
  SEEK_CHECK_SHAPE(!residual.defined() || residual.sizes() == y.sizes(), "conv_bn: residual of shape ",
                   shape_str(residual.sizes()), " does not match the conv output ", shape_str(y.sizes()));
  y = batch_norm(y, running_mean, running_var, bn_weight, bn_bias, o.training, o.momentum, o.eps, num_batches_tracked);
  if (residual.defined()) y = y + residual;
  return o.relu ? relu(y) : y;
}

// The fused kernels apply when every tensor shares the input's dtype and device, the device has them
// for the dtype, batch statistics are used, and autocast is off.
const ConvBnKernels* fused_kernels(const Tensor& input, std::initializer_list<Tensor> others, bool use_batch) {
  if (!use_batch || amp::any_autocast_enabled() || input.dim() != 4 || !input.is_floating_point()) return nullptr;
  for (const Tensor& t : others)
    if (t.defined() && (t.dtype() != input.dtype() || !(t.device() == input.device()))) return nullptr;
  const ConvBnKernels* k = backend_detail::find_conv_bn_kernels(input.device().type);
  return k && k->supports(input.dtype()) ? k : nullptr;
}

void check_vector(const char* name, const Tensor& t, int64_t c) {
  if (!t.defined()) return;
  SEEK_CHECK_SHAPE(t.dim() == 1 && t.size(0) == c, "conv_bn: ", name, " must have shape [", c, "], got ",
                   shape_str(t.sizes()));
}

// running = (1 - factor) * running + factor * batch (unbiased var), as batch_norm (src/ops/norm.cpp).
void update_running_stats(const Tensor& running_mean, const Tensor& running_var, const Tensor& num_batches_tracked,
                          std::optional<double> momentum, const Tensor& mean, const Tensor& var, double n) {
  NoGradGuard no_grad;
  Tensor rm = running_mean, rv = running_var, nbt = num_batches_tracked;  // handles to the same storage
  if (nbt.defined()) nbt.add_(1);
  double factor = 0.0;
  if (momentum) {
    factor = *momentum;
  } else {
    SEEK_CHECK_VALUE(nbt.defined(), "conv_bn: momentum=None (cumulative average) needs num_batches_tracked");
    factor = 1.0 / static_cast<double>(nbt.item<int64_t>());
  }
  rm.mul_(1.0 - factor).add_(mean.to(rm.dtype()), factor);
  rv.mul_(1.0 - factor).add_(var.to(rv.dtype()) * (n / (n - 1.0)), factor);
}

}  // namespace

Tensor conv_bn(const Tensor& input, const Tensor& weight, const Tensor& conv_bias, const Tensor& running_mean,
               const Tensor& running_var, const Tensor& bn_weight, const Tensor& bn_bias, const Tensor& residual,
               const ConvBnOptions& o, const Tensor& num_batches_tracked) {
  const char* op = "conv_bn";
  check_defined(input, op);
  check_defined(weight, op, "weight");
  SEEK_CHECK_SHAPE(input.dim() == 4, op, ": expected a 4-D input [N, C, H, W], got ", shape_str(input.sizes()));
  SEEK_CHECK_SHAPE(weight.dim() == 4, op, ": expected a 4-D weight, got ", shape_str(weight.sizes()));
  SEEK_CHECK_VALUE(running_mean.defined() == running_var.defined(),
                   "conv_bn: running_mean and running_var must both be defined or both undefined");
  const int64_t O = weight.size(0);
  check_vector("conv_bias", conv_bias, O);
  check_vector("running_mean", running_mean, O);
  check_vector("running_var", running_var, O);
  check_vector("bn_weight", bn_weight, O);
  check_vector("bn_bias", bn_bias, O);
  const bool use_batch = o.training || !running_mean.defined();
  const ConvBnKernels* k = fused_kernels(input, {weight, conv_bias, bn_weight, bn_bias, residual}, use_batch);
  if (!k)
    return composed(input, weight, conv_bias, running_mean, running_var, bn_weight, bn_bias, residual, o,
                    num_batches_tracked);

  // The fused path. Shapes and parameters as conv2d checks them (a conv2d of an empty batch would raise
  // the same errors, but costs a kernel launch): recompute the output size here.
  check_same_device(op, {input, weight, conv_bias, bn_weight, bn_bias, residual});
  SEEK_CHECK_VALUE(o.groups > 0 && O % o.groups == 0 && input.size(1) == weight.size(1) * o.groups, op, ": weight ",
                   shape_str(weight.sizes()), " with groups=", o.groups, " does not fit input ",
                   shape_str(input.sizes()));
  SEEK_CHECK_VALUE(
      o.stride.h > 0 && o.stride.w > 0 && o.dilation.h > 0 && o.dilation.w > 0 && o.padding.h >= 0 && o.padding.w >= 0,
      op, ": stride and dilation must be positive and padding non-negative");
  const int64_t kh = o.dilation.h * (weight.size(2) - 1) + 1, kw = o.dilation.w * (weight.size(3) - 1) + 1;
  const int64_t ph = input.size(2) + 2 * o.padding.h, pw = input.size(3) + 2 * o.padding.w;
  SEEK_CHECK_SHAPE(ph >= kh && pw >= kw, op, ": padded input (", ph, " x ", pw, ") is smaller than the kernel (", kh,
                   " x ", kw, ")");
  const Shape out_shape{input.size(0), O, (ph - kh) / o.stride.h + 1, (pw - kw) / o.stride.w + 1};
  SEEK_CHECK_SHAPE(!residual.defined() || residual.sizes() == out_shape, op, ": residual of shape ",
                   shape_str(residual.sizes()), " does not match the conv output ", shape_str(out_shape));
  const int64_t per_channel = out_shape[0] * out_shape[2] * out_shape[3];
  SEEK_CHECK_VALUE(per_channel > 1, op, ": expected more than 1 value per channel when training, got conv output ",
                   shape_str(out_shape));

  ConvBnForwardArgs a;
  a.input = input, a.weight = weight, a.conv_bias = conv_bias;
  a.p.stride = o.stride.arr(), a.p.padding = o.padding.arr(), a.p.dilation = o.dilation.arr(), a.p.groups = o.groups;
  a.bn_weight = bn_weight, a.bn_bias = bn_bias, a.relu = o.relu, a.eps = o.eps;
  const MemoryFormat kl = k->layout;  // the kernels' own layout of the activations
  const TensorOptions act_options = TensorOptions(input.dtype()).device(input.device());
  if (residual.defined()) a.residual = residual.contiguous(kl);
  a.z = empty(out_shape, act_options, kl);
  a.out = empty(out_shape, act_options, kl);
  const DType acc = input.dtype() == kFloat64 ? kFloat64 : kFloat32;
  a.mean = alloc({O}, acc, input.device());
  a.invstd = alloc({O}, acc, input.device());
  a.var = alloc({O}, acc, input.device());
  {
    NoGradGuard no_grad;
    k->forward(a);
  }
  if (running_mean.defined() && o.training)
    update_running_stats(running_mean, running_var, num_batches_tracked, o.momentum, a.mean, a.var,
                         static_cast<double>(per_channel));
  const MemoryFormat fmt =
      layout_of(input) == MemoryFormat::ChannelsLast ? MemoryFormat::ChannelsLast : layout_of(weight);
  Tensor out = a.out.contiguous(fmt);
  if (!autograd::needs_grad({input, weight, conv_bias, bn_weight, bn_bias, residual})) return out;
  autograd::record(
      "ConvBnReluBackward", {input, weight, conv_bias, bn_weight, bn_bias, residual}, {out},
      [k, kl, p = a.p, relu = o.relu, fmt, w_fmt = layout_of(weight),
       r_fmt = residual.defined() ? layout_of(residual) : MemoryFormat::Contiguous, sx = SavedTensor(input),
       sw = SavedTensor(weight), sbw = bn_weight.defined() ? SavedTensor(bn_weight) : SavedTensor(), z = a.z,
       so = SavedTensor(out), mean = a.mean, invstd = a.invstd,
       has_conv_bias = conv_bias.defined()](const variable_list& g, const std::vector<bool>& need) {
        SEEK_CHECK_T(AutogradError, !GradMode::is_enabled(),
                     "conv_bn: the fused conv + batch norm backward is not differentiable (double backward); use "
                     "the unfused conv2d and batch_norm for higher-order gradients");
        ConvBnBackwardArgs b;
        b.grad_out = g[0].contiguous(kl);
        b.input = sx.get(), b.weight = sw.get(), b.p = p, b.z = z, b.relu = relu;
        b.out = relu ? so.get().contiguous(kl) : Tensor();
        b.bn_weight = sbw.defined() ? sbw.get() : Tensor();
        b.mean = mean, b.invstd = invstd;
        const DType dt = z.dtype();
        const Device dev = z.device();
        const int64_t C = z.size(1);
        if (need[0]) b.grad_input = alloc(b.input.sizes(), dt, dev);
        if (need[1]) b.grad_weight = alloc(b.weight.sizes(), dt, dev);
        if (need[2] && has_conv_bias) b.grad_conv_bias = alloc({C}, dt, dev);
        if (need[3]) b.grad_bn_weight = alloc({C}, dt, dev);
        if (need[4]) b.grad_bn_bias = alloc({C}, dt, dev);
        if (need[5]) b.grad_residual = empty(z.sizes(), TensorOptions(dt).device(dev), kl);
        k->backward(b);
        Tensor gres = b.grad_residual.defined() ? b.grad_residual.contiguous(r_fmt) : Tensor();
        return variable_list{in_format(b.grad_input, fmt),
                             in_format(b.grad_weight, w_fmt),
                             b.grad_conv_bias,
                             b.grad_bn_weight,
                             b.grad_bn_bias,
                             gres};
      });
  return out;
}

}  // namespace seek

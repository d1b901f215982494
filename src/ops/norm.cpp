// Norm family (ops): batch norm and group norm. On the CPU, batch norm (and group norm, as batch norm
// of a [1, N * groups, *] view plus the per-channel affine) runs the backend's fused
// norm kernels: the training forward is one pass for the batch statistics plus one
// for the output, its backward one pass for the two per-channel sums plus one for
// grad_input (src/backend/cpu/cpu_norm.cpp). Elsewhere it is built from seek ops:
// weight and the inverse std fold into one per-channel `scale` [1, C, 1...], so
// the output costs one subtraction and one fused multiply-add pass (addcmul)
// after the var_mean reduction; eval mode folds running stats the same way.
// With batch statistics the whole normalisation is one autograd node
// (BatchNormBackward) either way. When the fused node's backward runs with grad
// mode on (its result must itself be differentiable), it uses a formula written
// in ops that recomputes the statistics from the input, so higher-order gradients work.
#include "seek/ops/norm.h"

#include <tuple>

#include "ops/op_utils.h"

#include "seek/autograd/function.h"
#include "seek/autograd/grad_mode.h"
#include "seek/backend/backend.h"
#include "seek/core/autocast.h"
#include "seek/core/error.h"
#include "seek/core/shape_util.h"
#include "seek/ops/creation.h"
#include "seek/ops/reduce.h"
#include "seek/ops/ternary.h"

namespace seek {

using ops_detail::layout_of;

namespace {

// [C] -> [1, C, 1, ...] with `ndim` dims, so it broadcasts against [N, C, *].
Tensor channel_view(const Tensor& t, int64_t ndim) {
  Shape s(static_cast<size_t>(ndim), 1);
  s[1] = t.size(0);
  return t.reshape(s);
}

void check_channel_vector(const char* op, const char* name, const Tensor& t, int64_t c) {
  if (!t.defined()) return;
  SEEK_CHECK_SHAPE(t.dim() == 1 && t.size(0) == c, op, ": ", name, " must have shape [", c, "], got ",
                   shape_str(t.sizes()));
}

// y = (x - mean) * invstd * weight + bias with mean/var [1, C, 1...] the batch statistics over `dims`
// (n values per channel), recorded as a single node. With centred c = x - mean, s = invstd * weight,
// sg = sum(g) and sgc = sum(g * c) per channel:
//   grad_bias = sg,  grad_weight = sgc * invstd,
//   grad_x = s * g - s * sg / n - c * (s * invstd^2 * sgc / n)      (two addcmul passes).
Tensor batch_stats_norm(const Tensor& input, const Tensor& mean, const Tensor& var, const Tensor& weight,
                        const Tensor& bias, double eps, const std::vector<int64_t>& dims, double n) {
  const int64_t nd = input.dim(), c = input.size(1);
  Tensor invstd, scale, centered, out;
  {
    NoGradGuard no_grad;
    invstd = (var + eps).rsqrt();
    scale = weight.defined() ? invstd * channel_view(weight, nd) : invstd;
    centered = input - mean;
    out = bias.defined() ? addcmul(channel_view(bias, nd), centered, scale) : centered * scale;
  }
  if (!autograd::needs_grad({input, weight, bias})) return out;
  autograd::record("BatchNormBackward", {input, weight, bias}, {out},
                   [dims, n, c, invstd, scale, sc = autograd::SavedTensor(centered)](const autograd::variable_list& g,
                                                                                     const std::vector<bool>& need) {
                     const Tensor& go = g[0];
                     const Tensor& cen = sc.get();
                     Tensor sum_g = go.sum(dims, /*keepdim=*/true);
                     Tensor sum_gc = (go * cen).sum(dims, /*keepdim=*/true);
                     Tensor gx, gw, gb;
                     if (need[0]) {
                       Tensor shift = sum_g * scale * (-1.0 / n);
                       Tensor coef = sum_gc * scale * invstd * invstd * (-1.0 / n);
                       gx = addcmul(shift, go, scale);
                       gx.addcmul_(cen, coef);
                     }
                     if (need[1]) gw = (sum_gc * invstd).reshape({c});
                     if (need[2]) gb = sum_g.reshape({c});
                     return autograd::variable_list{gx, gw, gb};
                   });
  return out;
}

// Whether batch norm can run the backend's fused kernels: CPU tensors (the other backends
// lack the norm family) with weight and bias, where given, of the input's dtype and device.
bool use_fused_kernels(const Tensor& input, const Tensor& weight, const Tensor& bias) {
  if (!input.device().is_cpu()) return false;
  for (const Tensor* p : {&weight, &bias})
    if (p->defined() && (p->dtype() != input.dtype() || !(p->device() == input.device()))) return false;
  return true;
}

// The batch-norm input gradients in differentiable ops, the statistics recomputed from x
// (for a backward that runs with grad mode on). xhat = (x - mean) * invstd:
//   grad_x = w * invstd * (g - mean(g) - xhat * mean(g * xhat)), grad_w = sum(g * xhat), grad_b = sum(g).
autograd::variable_list batch_norm_backward_ops(const Tensor& g, const Tensor& x, const Tensor& weight, double eps,
                                                const std::vector<int64_t>& dims, const std::vector<bool>& need) {
  auto [var, mean] = var_mean(x, dims, /*correction=*/0, /*keepdim=*/true);
  Tensor invstd = (var + eps).rsqrt();
  Tensor xhat = (x - mean) * invstd;
  Tensor gx, gw, gb;
  if (need[0]) {
    Tensor scale = weight.defined() ? invstd * channel_view(weight, x.dim()) : invstd;
    gx = (g - g.mean(dims, /*keepdim=*/true) - xhat * (g * xhat).mean(dims, /*keepdim=*/true)) * scale;
  }
  if (need[1]) gw = (g * xhat).sum(dims);
  if (need[2]) gb = g.sum(dims);
  return {gx, gw, gb};
}

// Batch norm with batch statistics through the backend's fused kernels. Writes the biased
// batch variance and the mean ([C], f32 or f64) to batch_var / batch_mean for the running stats.
Tensor fused_batch_stats_norm(const Tensor& input, const Tensor& weight, const Tensor& bias, double eps,
                              const std::vector<int64_t>& dims, Tensor& batch_mean, Tensor& batch_var) {
  const int64_t c = input.size(1);
  const TensorOptions stat_options =
      TensorOptions(input.dtype() == kFloat64 ? kFloat64 : kFloat32).device(input.device());
  const MemoryFormat fmt = layout_of(input);  // channels_last in, channels_last out (written so by the backend)
  Tensor out = ops_detail::alloc_in(input.sizes(), input.dtype(), input.device(), fmt);
  Tensor save_invstd = empty({c}, stat_options);
  batch_mean = empty({c}, stat_options);
  batch_var = empty({c}, stat_options);
  backend(input.device()).batch_norm_forward_train(input, weight, bias, eps, out, batch_mean, save_invstd, batch_var);
  if (!autograd::needs_grad({input, weight, bias})) return out;
  autograd::record("BatchNormBackward", {input, weight, bias}, {out},
                   // SavedTensor detaches (and checks versions); a backward with grad mode on needs the
                   // tensors themselves, so that its result stays connected to input and weight.
                   [eps, dims, c, fmt, save_mean = batch_mean, save_invstd, sx = autograd::SavedTensor(input),
                    sw = weight.defined() ? autograd::SavedTensor(weight) : autograd::SavedTensor(), input_ref = input,
                    weight_ref = weight](const autograd::variable_list& g, const std::vector<bool>& need) {
                     const Tensor& x = sx.get();
                     const Tensor w = sw.defined() ? sw.get() : Tensor();
                     if (GradMode::is_enabled())
                       return batch_norm_backward_ops(g[0], input_ref, weight_ref, eps, dims, need);
                     const TensorOptions options = TensorOptions(x.dtype()).device(x.device());
                     Tensor gx = need[0] ? empty(x.sizes(), options, fmt) : Tensor();
                     Tensor gw = need[1] ? empty({c}, options) : Tensor();
                     Tensor gb = need[2] ? empty({c}, options) : Tensor();
                     backend(x.device()).batch_norm_backward(g[0], x, w, save_mean, save_invstd, gx, gw, gb);
                     return autograd::variable_list{gx, gw, gb};
                   });
  return out;
}

// running = (1 - factor) * running + factor * batch, with the unbiased batch variance;
// factor = momentum, or 1 / num_batches_tracked for momentum=None (cumulative average).
void update_running_stats(const Tensor& running_mean, const Tensor& running_var, const Tensor& num_batches_tracked,
                          std::optional<double> momentum, const Tensor& mean, const Tensor& var, double n) {
  NoGradGuard no_grad;
  const int64_t c = running_mean.size(0);
  Tensor rm = running_mean, rv = running_var, nbt = num_batches_tracked;  // handles to the same storage
  double factor = 0.0;
  if (nbt.defined()) nbt.add_(1);
  if (momentum) {
    factor = *momentum;
  } else {
    SEEK_CHECK_VALUE(nbt.defined(), "batch_norm: momentum=None (cumulative average) needs num_batches_tracked");
    factor = 1.0 / static_cast<double>(nbt.item<int64_t>());
  }
  Tensor batch_mean = mean.detach().reshape({c}).to(running_mean.dtype());
  Tensor batch_var = var.detach().reshape({c}).to(running_var.dtype()) * (n / (n - 1.0));
  rm.mul_(1.0 - factor).add_(batch_mean, factor);
  rv.mul_(1.0 - factor).add_(batch_var, factor);
}

}  // namespace

Tensor batch_norm(const Tensor& input_arg, const Tensor& running_mean, const Tensor& running_var,
                  const Tensor& weight_arg, const Tensor& bias_arg, bool training, std::optional<double> momentum,
                  double eps, const Tensor& num_batches_tracked) {
  // Autocast: fp32 op. The running statistics are never cast: they are updated in place.
  const Tensor input = amp::autocast_fp32(input_arg);
  const Tensor weight = amp::autocast_fp32(weight_arg);
  const Tensor bias = amp::autocast_fp32(bias_arg);
  SEEK_CHECK_VALUE(input.defined(), "batch_norm: input must be defined");
  SEEK_CHECK_SHAPE(input.dim() >= 2, "batch_norm: expected input of shape [N, C] or [N, C, *], got ",
                   shape_str(input.sizes()));
  SEEK_CHECK_DTYPE(input.is_floating_point(), "batch_norm: input must be floating, got ", dtype_name(input.dtype()));
  const int64_t c = input.size(1), nd = input.dim();
  SEEK_CHECK_VALUE(running_mean.defined() == running_var.defined(),
                   "batch_norm: running_mean and running_var must both be defined or both undefined");
  check_channel_vector("batch_norm", "running_mean", running_mean, c);
  check_channel_vector("batch_norm", "running_var", running_var, c);
  check_channel_vector("batch_norm", "weight", weight, c);
  check_channel_vector("batch_norm", "bias", bias, c);
  const bool has_running = running_mean.defined();
  const bool use_batch = training || !has_running;
  if (use_batch) {
    const int64_t per_channel = c == 0 ? 0 : input.numel() / c;
    SEEK_CHECK_VALUE(per_channel > 1, "batch_norm: expected more than 1 value per channel when training, got input ",
                     "size ", shape_str(input.sizes()));
    std::vector<int64_t> dims{0};
    for (int64_t d = 2; d < nd; ++d) dims.push_back(d);
    const double n = static_cast<double>(per_channel);
    Tensor var, mean, out;
    if (use_fused_kernels(input, weight, bias)) {
      out = fused_batch_stats_norm(input, weight, bias, eps, dims, mean, var);
    } else {
      NoGradGuard no_grad;  // batch_stats_norm records the gradient through the statistics
      std::tie(var, mean) = var_mean(input, dims, /*correction=*/0, /*keepdim=*/true);
    }
    if (has_running && training)
      update_running_stats(running_mean, running_var, num_batches_tracked, momentum, mean, var, n);
    return out.defined() ? out : batch_stats_norm(input, mean, var, weight, bias, eps, dims, n);
  }
  if (use_fused_kernels(input, weight, bias) && !autograd::needs_grad({input, weight, bias})) {
    Tensor out = ops_detail::alloc_in(input.sizes(), input.dtype(), input.device(), layout_of(input));
    backend(input.device()).batch_norm_forward_eval(input, running_mean, running_var, weight, bias, eps, out);
    return out;
  }
  // Running statistics: y = (x - shift_mean) * scale + bias, differentiable through the ops.
  Tensor scale = channel_view((running_var.to(input.dtype()) + eps).rsqrt(), nd);
  Tensor shift_mean = channel_view(running_mean.to(input.dtype()), nd);
  if (weight.defined()) scale = scale * channel_view(weight, nd);
  Tensor centered = input - shift_mean;
  return bias.defined() ? addcmul(channel_view(bias, nd), centered, scale) : centered * scale;
}

Tensor group_norm(const Tensor& input_arg, int64_t num_groups, const Tensor& weight_arg, const Tensor& bias_arg,
                  double eps) {
  const Tensor input = amp::autocast_fp32(input_arg);  // autocast: fp32 op
  const Tensor weight = amp::autocast_fp32(weight_arg);
  const Tensor bias = amp::autocast_fp32(bias_arg);
  SEEK_CHECK_VALUE(input.defined(), "group_norm: input must be defined");
  SEEK_CHECK_SHAPE(input.dim() >= 2, "group_norm: expected at least 2 dimensions for input [N, C, *], got ",
                   shape_str(input.sizes()));
  SEEK_CHECK_DTYPE(input.is_floating_point(), "group_norm: input must be floating, got ", dtype_name(input.dtype()));
  const int64_t n = input.size(0), c = input.size(1);
  SEEK_CHECK_VALUE(num_groups > 0 && c % num_groups == 0,
                   "group_norm: expected number of channels in input to be divisible by num_groups, but got input "
                   "of shape ",
                   shape_str(input.sizes()), " and num_groups=", num_groups);
  check_channel_vector("group_norm", "weight", weight, c);
  check_channel_vector("group_norm", "bias", bias, c);
  int64_t group_size = c / num_groups;
  for (int64_t d = 2; d < input.dim(); ++d) group_size *= input.size(d);
  Tensor y;
  if (use_fused_kernels(input, Tensor(), Tensor()) && n > 0 && group_size > 1) {
    // The normalisation is batch norm with batch statistics of the [1, N * G, group_size] view
    // (one "channel" per sample and group): the fused kernels and their one backward node.
    y = batch_norm(input.reshape({1, n * num_groups, group_size}), Tensor(), Tensor(), Tensor(), Tensor(),
                   /*training=*/true, std::nullopt, eps)
            .reshape(input.sizes());
  } else {
    Tensor x = input.reshape({n, num_groups, group_size});
    auto [var, mean] = var_mean(x, {2}, /*correction=*/0, /*keepdim=*/true);
    y = ((x - mean) * (var + eps).rsqrt()).reshape(input.sizes());
  }
  const int64_t nd = input.dim();
  if (weight.defined() && bias.defined()) return addcmul(channel_view(bias, nd), y, channel_view(weight, nd));
  if (weight.defined()) return y * channel_view(weight, nd);
  if (bias.defined()) return y + channel_view(bias, nd);
  return y;
}

}  // namespace seek

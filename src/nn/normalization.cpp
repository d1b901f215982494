// Batch norm and group norm from seek ops. Batch norm folds weight and the
// inverse std into one per-channel `scale` [1, C, 1...], so the output costs one
// subtraction and one fused multiply-add pass (addcmul) over the input after
// the var_mean reduction; eval mode folds running stats the same way.
// With batch statistics the whole normalisation is one autograd node
// (BatchNormBackward) whose backward is five passes over the input's size
// (see batch_stats_norm), instead of the chain of var_mean, sub and addcmul nodes.
#include "seek/nn/normalization.h"

#include "seek/autograd/function.h"
#include "seek/autograd/grad_mode.h"
#include "seek/core/autocast.h"
#include "seek/core/error.h"
#include "seek/core/shape_util.h"
#include "seek/ops/creation.h"
#include "seek/ops/reduce.h"
#include "seek/ops/ternary.h"

#include <tuple>

namespace seek::nn::functional {

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
  autograd::record(
      "BatchNormBackward", {input, weight, bias}, {out},
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
  SEEK_CHECK_DTYPE(input.is_floating_point(), "batch_norm: input must be floating, got ",
                   dtype_name(input.dtype()));
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
    Tensor var, mean;
    {
      NoGradGuard no_grad;  // batch_stats_norm records the gradient through the statistics
      std::tie(var, mean) = var_mean(input, dims, /*correction=*/0, /*keepdim=*/true);
    }
    if (has_running && training) {
      NoGradGuard no_grad;
      Tensor rm = running_mean, rv = running_var, nbt = num_batches_tracked;  // handles to the same storage
      double factor = 0.0;
      if (nbt.defined()) nbt.add_(1);
      if (momentum) {
        factor = *momentum;
      } else {
        SEEK_CHECK_VALUE(nbt.defined(), "batch_norm: momentum=None (cumulative average) needs num_batches_tracked");
        factor = 1.0 / static_cast<double>(nbt.item<int64_t>());
      }
      const double n = static_cast<double>(per_channel);
      Tensor batch_mean = mean.detach().reshape({c}).to(running_mean.dtype());
      Tensor batch_var = var.detach().reshape({c}).to(running_var.dtype()) * (n / (n - 1.0));
      rm.mul_(1.0 - factor).add_(batch_mean, factor);
      rv.mul_(1.0 - factor).add_(batch_var, factor);
    }
    return batch_stats_norm(input, mean, var, weight, bias, eps, dims, static_cast<double>(per_channel));
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
  SEEK_CHECK_DTYPE(input.is_floating_point(), "group_norm: input must be floating, got ",
                   dtype_name(input.dtype()));
  const int64_t n = input.size(0), c = input.size(1);
  SEEK_CHECK_VALUE(num_groups > 0 && c % num_groups == 0,
                   "group_norm: expected number of channels in input to be divisible by num_groups, but got input "
                   "of shape ", shape_str(input.sizes()), " and num_groups=", num_groups);
  check_channel_vector("group_norm", "weight", weight, c);
  check_channel_vector("group_norm", "bias", bias, c);
  int64_t group_size = c / num_groups;
  for (int64_t d = 2; d < input.dim(); ++d) group_size *= input.size(d);
  Tensor x = input.reshape({n, num_groups, group_size});
  auto [var, mean] = var_mean(x, {2}, /*correction=*/0, /*keepdim=*/true);
  Tensor y = ((x - mean) * (var + eps).rsqrt()).reshape(input.sizes());
  const int64_t nd = input.dim();
  if (weight.defined() && bias.defined()) return addcmul(channel_view(bias, nd), y, channel_view(weight, nd));
  if (weight.defined()) return y * channel_view(weight, nd);
  if (bias.defined()) return y + channel_view(bias, nd);
  return y;
}

}  // namespace seek::nn::functional

namespace seek::nn {

namespace F = seek::nn::functional;

BatchNormBase::BatchNormBase(std::string type_name, int64_t num_features, double eps, std::optional<double> momentum,
                             bool affine, bool track_running_stats, TensorOptions options)
    : Module(std::move(type_name)), num_features_(num_features), eps_(eps), momentum_(momentum), affine_(affine),
      track_(track_running_stats) {
  SEEK_CHECK_VALUE(num_features > 0, this->type_name(), ": num_features must be positive, got ", num_features);
  if (affine_) {
    register_parameter("weight", ones({num_features}, options.requires_grad(false)));
    register_parameter("bias", zeros({num_features}, options.requires_grad(false)));
  }
  if (track_) {
    register_buffer("running_mean", zeros({num_features}, options.requires_grad(false)));
    register_buffer("running_var", ones({num_features}, options.requires_grad(false)));
    register_buffer("num_batches_tracked",
                    zeros({}, options.requires_grad(false).dtype(kInt64)));
  }
}

void BatchNormBase::reset_running_stats() {
  if (!track_) return;
  NoGradGuard no_grad;
  buffer("running_mean").zero_();
  buffer("running_var").fill_(1);
  buffer("num_batches_tracked").zero_();
}

void BatchNormBase::reset_parameters() {
  reset_running_stats();
  if (!affine_) return;
  NoGradGuard no_grad;
  param("weight").fill_(1);
  param("bias").zero_();
}

Tensor BatchNormBase::forward(const Tensor& input) {
  check_input_dim(input);
  SEEK_CHECK_SHAPE(input.size(1) == num_features_, type_name(), ": expected input with ", num_features_,
                   " channels (dim 1), got input of shape ", shape_str(input.sizes()));
  // As torch: without running stats the batch statistics are used in eval mode too.
  Tensor rm = track_ ? buffer("running_mean") : Tensor();
  Tensor rv = track_ ? buffer("running_var") : Tensor();
  Tensor nbt = track_ ? buffer("num_batches_tracked") : Tensor();
  return F::batch_norm(input, rm, rv, affine_ ? param("weight") : Tensor(), affine_ ? param("bias") : Tensor(),
                       is_training(), momentum_, eps_, nbt);
}

std::string BatchNormBase::extra_repr() const {
  std::string m = momentum_ ? str(*momentum_) : std::string("None");
  return str(num_features_, ", eps=", eps_, ", momentum=", m, ", affine=", affine_ ? "True" : "False",
             ", track_running_stats=", track_ ? "True" : "False");
}

void BatchNorm1d::check_input_dim(const Tensor& input) const {
  SEEK_CHECK_SHAPE(input.dim() == 2 || input.dim() == 3, "BatchNorm1d: expected 2D or 3D input (got ", input.dim(),
                   "D input)");
}

void BatchNorm2d::check_input_dim(const Tensor& input) const {
  SEEK_CHECK_SHAPE(input.dim() == 4, "BatchNorm2d: expected 4D input (got ", input.dim(), "D input)");
}

GroupNorm::GroupNorm(int64_t num_groups, int64_t num_channels, double eps, bool affine, TensorOptions options)
    : Module("GroupNorm"), groups_(num_groups), channels_(num_channels), eps_(eps), affine_(affine) {
  SEEK_CHECK_VALUE(num_groups > 0 && num_channels > 0 && num_channels % num_groups == 0,
                   "GroupNorm: num_channels must be divisible by num_groups, got num_channels=", num_channels,
                   " and num_groups=", num_groups);
  if (affine_) {
    register_parameter("weight", ones({num_channels}, options.requires_grad(false)));
    register_parameter("bias", zeros({num_channels}, options.requires_grad(false)));
  }
}

Tensor GroupNorm::forward(const Tensor& input) {
  return F::group_norm(input, groups_, affine_ ? param("weight") : Tensor(), affine_ ? param("bias") : Tensor(),
                       eps_);
}

std::string GroupNorm::extra_repr() const {
  return str(groups_, ", ", channels_, ", eps=", eps_, ", affine=", affine_ ? "True" : "False");
}

}  // namespace seek::nn

// Batch norm and group norm modules, and their functional forms, which are the norm ops
// (seek::batch_norm and seek::group_norm in src/ops/norm.cpp: fused kernels, autograd nodes).
#include "seek/nn/normalization.h"

#include "seek/autograd/grad_mode.h"
#include "seek/core/error.h"
#include "seek/core/shape_util.h"
#include "seek/ops/creation.h"
#include "seek/ops/norm.h"

namespace seek::nn::functional {

Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                  const Tensor& bias, bool training, std::optional<double> momentum, double eps,
                  const Tensor& num_batches_tracked) {
  return seek::batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps, num_batches_tracked);
}

Tensor group_norm(const Tensor& input, int64_t num_groups, const Tensor& weight, const Tensor& bias, double eps) {
  return seek::group_norm(input, num_groups, weight, bias, eps);
}

}  // namespace seek::nn::functional

namespace seek::nn {

namespace F = seek::nn::functional;

BatchNormBase::BatchNormBase(std::string type_name, int64_t num_features, double eps, std::optional<double> momentum,
                             bool affine, bool track_running_stats, TensorOptions options)
    : Module(std::move(type_name)),
      num_features_(num_features),
      eps_(eps),
      momentum_(momentum),
      affine_(affine),
      track_(track_running_stats) {
  SEEK_CHECK_VALUE(num_features > 0, this->type_name(), ": num_features must be positive, got ", num_features);
  if (affine_) {
    register_parameter("weight", ones({num_features}, options.requires_grad(false)));
    register_parameter("bias", zeros({num_features}, options.requires_grad(false)));
  }
  if (track_) {
    register_buffer("running_mean", zeros({num_features}, options.requires_grad(false)));
    register_buffer("running_var", ones({num_features}, options.requires_grad(false)));
    register_buffer("num_batches_tracked", zeros({}, options.requires_grad(false).dtype(kInt64)));
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
  return F::group_norm(input, groups_, affine_ ? param("weight") : Tensor(), affine_ ? param("bias") : Tensor(), eps_);
}

std::string GroupNorm::extra_repr() const {
  return str(groups_, ", ", channels_, ", eps=", eps_, ", affine=", affine_ ? "True" : "False");
}

}  // namespace seek::nn

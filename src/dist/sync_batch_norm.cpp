// SyncBatchNorm (see sync_batch_norm.h) and the differentiable all-reduce it normalises with.
#include "seek/dist/sync_batch_norm.h"

#include "seek/autograd/function.h"
#include "seek/autograd/grad_mode.h"
#include "seek/core/error.h"
#include "seek/core/shape_util.h"
#include "seek/nn/normalization.h"
#include "seek/ops/creation.h"
#include "seek/ops/norm.h"
#include "seek/ops/shape.h"

namespace seek::dist {

Tensor all_reduce_with_grad(const Tensor& t, ProcessGroup& group) {
  Tensor out;
  {
    NoGradGuard no_grad;
    out = t.detach().clone();
    group.all_reduce(out, ReduceOp::Sum);
  }
  if (autograd::needs_grad({t})) {
    autograd::record("AllReduceBackward", {t}, {out},
                     [g = &group](const autograd::variable_list& grads, const std::vector<bool>& need) {
                       if (!need[0]) return autograd::variable_list{Tensor()};
                       Tensor s = grads[0].contiguous().clone();
                       g->all_reduce(s, ReduceOp::Sum);
                       return autograd::variable_list{s};
                     });
  }
  return out;
}

}  // namespace seek::dist

namespace seek::nn {

SyncBatchNorm::SyncBatchNorm(int64_t num_features, double eps, std::optional<double> momentum, bool affine,
                             bool track_running_stats, dist::ProcessGroup* process_group, TensorOptions options)
    : Module("SyncBatchNorm"),
      num_features_(num_features),
      eps_(eps),
      momentum_(momentum),
      affine_(affine),
      track_(track_running_stats),
      group_(process_group) {
  SEEK_CHECK_VALUE(num_features > 0, "SyncBatchNorm: num_features must be positive, got ", num_features);
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

Tensor SyncBatchNorm::forward(const Tensor& input) {
  SEEK_CHECK_SHAPE(input.dim() >= 2, "SyncBatchNorm: expected at least 2D input (got ", input.dim(), "D input)");
  SEEK_CHECK_SHAPE(input.size(1) == num_features_, "SyncBatchNorm: expected input with ", num_features_,
                   " channels (dim 1), got input of shape ", shape_str(input.sizes()));
  const Tensor weight = affine_ ? param("weight") : Tensor();
  const Tensor bias = affine_ ? param("bias") : Tensor();
  Tensor rm = track_ ? buffer("running_mean") : Tensor();
  Tensor rv = track_ ? buffer("running_var") : Tensor();
  Tensor nbt = track_ ? buffer("num_batches_tracked") : Tensor();
  const bool use_batch_stats = is_training() || !track_;
  dist::ProcessGroup* group = group_ ? group_ : (dist::is_initialized() ? &dist::default_group() : nullptr);
  if (!use_batch_stats || group == nullptr || group->size() == 1)
    return seek::batch_norm(input, rm, rv, weight, bias, is_training(), momentum_, eps_, nbt);

  // Per-channel sums over every dim but 1, then one all-reduce of [sum, sumsq, count].
  std::vector<int64_t> dims{0};
  for (int64_t d = 2; d < input.dim(); ++d) dims.push_back(d);
  const int64_t local_count = input.numel() / num_features_;
  Tensor xs = input.sum(dims);
  Tensor xss = (input * input).sum(dims);
  Tensor count = full({1}, static_cast<double>(local_count), TensorOptions(input.dtype()).device(input.device()));
  Tensor stats = dist::all_reduce_with_grad(cat({xs, xss, count}, 0), *group);
  Tensor n_t = stats.narrow(0, 2 * num_features_, 1).detach();
  const double n = n_t.to(kFloat64).cpu().item<double>();
  SEEK_CHECK_VALUE(n > 1 || !is_training(), "SyncBatchNorm: expected more than 1 value per channel when training, got ",
                   "input of shape ", shape_str(input.sizes()), " on this rank and ", n, " values in all");
  Tensor mean = stats.narrow(0, 0, num_features_) / n;
  Tensor var = stats.narrow(0, num_features_, num_features_) / n - mean * mean;  // biased, as normalisation uses
  Shape bshape(static_cast<size_t>(input.dim()), 1);
  bshape[1] = num_features_;
  Tensor out = (input - mean.view(bshape)) * (var + eps_).rsqrt().view(bshape);
  if (affine_) out = out * weight.view(bshape) + bias.view(bshape);
  if (track_ && is_training()) {
    NoGradGuard no_grad;
    nbt.add_(1);
    double m = momentum_ ? *momentum_ : 1.0 / static_cast<double>(nbt.item<int64_t>());
    Tensor unbiased = var.detach() * (n / (n - 1));
    rm.mul_(1 - m).add_(mean.detach().to(rm.dtype()) * m);
    rv.mul_(1 - m).add_(unbiased.to(rv.dtype()) * m);
  }
  return out;
}

std::string SyncBatchNorm::extra_repr() const {
  std::string m = momentum_ ? str(*momentum_) : std::string("None");
  return str(num_features_, ", eps=", eps_, ", momentum=", m, ", affine=", affine_ ? "True" : "False",
             ", track_running_stats=", track_ ? "True" : "False");
}

namespace {
std::shared_ptr<Module> converted(const std::shared_ptr<Module>& m, dist::ProcessGroup* group) {
  auto* bn = dynamic_cast<BatchNormBase*>(m.get());
  if (bn == nullptr) return nullptr;
  auto sync = std::make_shared<SyncBatchNorm>(bn->num_features(), bn->eps(), bn->momentum(), bn->affine(),
                                              bn->track_running_stats(), group);
  // The same tensors, not copies: an optimizer built on the original module still updates them.
  if (bn->affine()) {
    sync->param("weight") = bn->param("weight");
    sync->param("bias") = bn->param("bias");
  }
  if (bn->track_running_stats()) {
    for (const char* b : {"running_mean", "running_var", "num_batches_tracked"}) sync->buffer(b) = bn->buffer(b);
  }
  sync->train(bn->is_training());
  return sync;
}
}  // namespace

std::shared_ptr<Module> SyncBatchNorm::convert_sync_batchnorm(std::shared_ptr<Module> module,
                                                              dist::ProcessGroup* process_group) {
  SEEK_CHECK_VALUE(module != nullptr, "convert_sync_batchnorm: module is null");
  if (auto s = converted(module, process_group)) return s;
  for (auto& [name, child] : module->named_children()) {
    std::shared_ptr<Module> replaced = convert_sync_batchnorm(child, process_group);
    if (replaced != child) module->replace_module(name, replaced);
  }
  return module;
}

}  // namespace seek::nn

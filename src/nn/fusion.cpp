// Conv + batch norm folding (seek/nn/fusion.h): the per-channel scale and shift of an eval-mode
// batch norm multiply into the conv weight's output-channel rows and its bias.
#include "seek/nn/fusion.h"

#include <cmath>

#include "seek/autograd/grad_mode.h"
#include "seek/core/error.h"
#include "seek/nn/container.h"
#include "seek/nn/layers_basic.h"
#include "seek/ops/creation.h"

namespace seek::nn {

std::shared_ptr<Conv2d> Conv2d::make_biased_twin() {
  const Tensor& w = param("weight");
  return std::make_shared<Conv2d>(in_, out_, kernel_, stride_, padding_, dilation_, groups_, true,
                                  TensorOptions(w.dtype()).device(w.device()), padding_mode_, padding_str_);
}

namespace {
// The module's own (non-recursive) tensor of that name, or an undefined tensor.
Tensor own(const std::vector<std::pair<std::string, Tensor>>& named, const std::string& name) {
  for (const auto& [n, t] : named)
    if (n == name) return t;
  return Tensor();
}
}  // namespace

std::shared_ptr<Conv2d> fuse_conv_bn_eval(Conv2d& conv, BatchNormBase& bn) {
  SEEK_CHECK_VALUE(!conv.is_training() && !bn.is_training(),
                   "fuse_conv_bn_eval: Fusion only for eval! (call eval() on the conv and the batch norm first)");
  const Tensor rm = own(bn.named_buffers(false), "running_mean"), rv = own(bn.named_buffers(false), "running_var");
  SEEK_CHECK_VALUE(rm.defined() && rv.defined(),
                   "fuse_conv_bn_eval: the batch norm must track running statistics (track_running_stats=True)");
  const Tensor& w = conv.weight();
  SEEK_CHECK_VALUE(bn.num_features() == w.size(0), "fuse_conv_bn_eval: the batch norm has ", bn.num_features(),
                   " features but the conv has ", w.size(0), " output channels");
  NoGradGuard no_grad;
  const Tensor gamma = own(bn.named_parameters(false), "weight"), beta = own(bn.named_parameters(false), "bias");
  const Tensor scale =
      (gamma.defined() ? gamma.to(kFloat64) : ones({w.size(0)}, TensorOptions(kFloat64).device(w.device()))) *
      (rv.to(kFloat64) + bn.eps()).rsqrt();
  Tensor shift = conv.has_bias() ? conv.bias().to(kFloat64) - rm.to(kFloat64) : rm.to(kFloat64).neg();
  shift = shift * scale;
  if (beta.defined()) shift = shift + beta.to(kFloat64);
  auto fused = conv.make_biased_twin();
  fused->weight().copy_((w.to(kFloat64) * scale.view({-1, 1, 1, 1})).to(w.dtype()));
  fused->bias().copy_(shift.to(w.dtype()));
  fused->eval();
  return fused;
}

namespace {
int64_t fuse_in(Module& m) {
  int64_t fused = 0;
  const auto children = m.named_children();
  if (dynamic_cast<Sequential*>(&m) != nullptr) {
    for (size_t i = 0; i + 1 < children.size(); ++i) {
      auto conv = std::dynamic_pointer_cast<Conv2d>(children[i].second);
      auto bn = std::dynamic_pointer_cast<BatchNorm2d>(children[i + 1].second);
      if (!conv || !bn) continue;
      m.replace_module(children[i].first, fuse_conv_bn_eval(*conv, *bn));
      auto identity = std::make_shared<Identity>();
      identity->eval();
      m.replace_module(children[i + 1].first, identity);
      ++fused;
      ++i;
    }
  }
  for (const auto& [name, child] : m.named_children()) fused += fuse_in(*child);
  return fused;
}
}  // namespace

int64_t fuse_conv_bn(Module& model) {
  SEEK_CHECK_VALUE(!model.is_training(), "fuse_conv_bn: the model must be in eval mode (call eval() first)");
  return fuse_in(model);
}

}  // namespace seek::nn

// Fused Conv2d -> BatchNorm2d (-> ReLU) modules and the training pass (seek/nn/fused_conv_bn.h). The trick
// that keeps checkpoints compatible: Module::register_parameter returns the slot it filled, so the fused
// modules re-point their slots at the original tensors (the same objects, hence the same optimizer
// targets and the same values); only where each tensor is registered decides its state_dict key.
#include "seek/nn/fused_conv_bn.h"

#include "seek/core/error.h"
#include "seek/core/shape_util.h"
#include "seek/nn/container.h"
#include "seek/nn/layers_basic.h"
#include "seek/ops/binary.h"
#include "seek/ops/unary.h"

namespace seek::nn {

namespace functional {
Tensor conv_bn_relu(const Tensor& input, const Tensor& weight, const Tensor& conv_bias, const Tensor& running_mean,
                    const Tensor& running_var, const Tensor& bn_weight, const Tensor& bn_bias, const Tensor& residual,
                    const ConvBnOptions& options, const Tensor& num_batches_tracked) {
  return seek::conv_bn(input, weight, conv_bias, running_mean, running_var, bn_weight, bn_bias, residual, options,
                       num_batches_tracked);
}
}  // namespace functional

namespace {
// The module's own tensor of that name (parameter or buffer), or an undefined tensor.
Tensor own(Module& m, const std::string& name) {
  for (const auto& [n, t] : m.named_parameters(false))
    if (n == name) return t;
  for (const auto& [n, t] : m.named_buffers(false))
    if (n == name) return t;
  return Tensor();
}
}  // namespace

bool can_fuse_conv_bn(const Conv2d& conv, const BatchNormBase& bn) {
  return conv.padding_mode() == "zeros" && (conv.padding_str().empty() || conv.padding_str() == "valid") &&
         const_cast<Conv2d&>(conv).weight().size(0) == bn.num_features();
}

Tensor conv_bn_forward(Conv2d& conv, BatchNormBase& bn, const Tensor& input, const Tensor& residual, bool relu) {
  if (!can_fuse_conv_bn(conv, bn) || !input.defined() || input.dim() != 4) {
    Tensor y = bn(conv(input));
    if (residual.defined()) y = y + residual;
    return relu ? seek::relu(y) : y;
  }
  ConvBnOptions o;
  o.stride = conv.stride(), o.padding = conv.padding(), o.dilation = conv.dilation(), o.groups = conv.groups();
  o.training = bn.is_training(), o.momentum = bn.momentum(), o.eps = bn.eps(), o.relu = relu;
  return seek::conv_bn(input, conv.weight(), conv.has_bias() ? conv.bias() : Tensor(), own(bn, "running_mean"),
                       own(bn, "running_var"), own(bn, "weight"), own(bn, "bias"), residual, o,
                       own(bn, "num_batches_tracked"));
}

FusedBatchNormState::FusedBatchNormState(BatchNormBase& bn) : Module("FusedBatchNormState") {
  for (const auto& [name, t] : bn.named_parameters(false)) register_parameter(name, t) = t;  // the same object
  for (const auto& [name, t] : bn.named_buffers(false)) register_buffer(name, t);
  repr_ = bn.type_name() + "(" + bn.extra_repr() + "), fused into the preceding FusedConvBNReLU";
  train(bn.is_training());
}

FusedConvBNReLU::FusedConvBNReLU(int64_t in_channels, int64_t out_channels, Int2 kernel_size, Int2 stride, Int2 padding,
                                 Int2 dilation, int64_t groups, bool bias, bool relu, double eps,
                                 std::optional<double> momentum, bool affine, bool track_running_stats,
                                 TensorOptions options)
    : Module("FusedConvBNReLU"),
      in_(in_channels),
      out_(out_channels),
      kernel_(kernel_size),
      stride_(stride),
      padding_(padding),
      dilation_(dilation),
      groups_(groups),
      has_bias_(bias),
      relu_(relu),
      affine_(affine),
      track_(track_running_stats),
      eps_(eps),
      momentum_(momentum) {
  register_module("0", std::make_shared<Conv2d>(in_channels, out_channels, kernel_size, stride, padding, dilation,
                                                groups, bias, options));
  register_module("1",
                  std::make_shared<BatchNorm2d>(out_channels, eps, momentum, affine, track_running_stats, options));
}

FusedConvBNReLU::FusedConvBNReLU(Conv2d& conv, BatchNormBase& bn, std::shared_ptr<FusedBatchNormState> state, bool relu)
    : Module("FusedConvBNReLU"),
      in_(conv.weight().size(1) * conv.groups()),
      out_(conv.weight().size(0)),
      kernel_(Int2{conv.weight().size(2), conv.weight().size(3)}),
      stride_(conv.stride()),
      padding_(conv.padding()),
      dilation_(conv.dilation()),
      groups_(conv.groups()),
      has_bias_(conv.has_bias()),
      relu_(relu),
      affine_(bn.affine()),
      track_(bn.track_running_stats()),
      eps_(bn.eps()),
      momentum_(bn.momentum()),
      state_(std::move(state)) {
  SEEK_CHECK_VALUE(can_fuse_conv_bn(conv, bn), "FusedConvBNReLU: cannot fuse ", conv.type_name(), "(",
                   conv.extra_repr(), ") with ", bn.type_name(), "(", bn.extra_repr(),
                   "): needs padding_mode='zeros', no 'same' padding and matching channels");
  SEEK_CHECK_VALUE(state_ != nullptr, "FusedConvBNReLU: the batch-norm state must not be null");
  register_parameter("weight", conv.weight()) = conv.weight();  // the same object (see the file comment)
  if (has_bias_) register_parameter("bias", conv.bias()) = conv.bias();
  train(bn.is_training());
}

Module& FusedConvBNReLU::conv_tensors() { return state_ ? *this : *child("0"); }
Module& FusedConvBNReLU::bn_tensors() { return state_ ? static_cast<Module&>(*state_) : *child("1"); }

ConvBnOptions FusedConvBNReLU::options() const {
  ConvBnOptions o;
  o.stride = stride_, o.padding = padding_, o.dilation = dilation_, o.groups = groups_;
  o.training = is_training(), o.momentum = momentum_, o.eps = eps_, o.relu = relu_;
  return o;
}

Tensor FusedConvBNReLU::forward(const Tensor& input) { return forward(input, Tensor()); }

Tensor FusedConvBNReLU::forward(const Tensor& input, const Tensor& residual) {
  SEEK_CHECK_SHAPE(input.defined() && input.dim() == 4 && input.size(1) == in_, "FusedConvBNReLU: expected input [N, ",
                   in_, ", H, W], got ", input.defined() ? shape_str(input.sizes()) : std::string("undefined"));
  Module& c = conv_tensors();
  Module& b = bn_tensors();
  return seek::conv_bn(input, c.param("weight"), has_bias_ ? c.param("bias") : Tensor(), own(b, "running_mean"),
                       own(b, "running_var"), own(b, "weight"), own(b, "bias"), residual, options(),
                       own(b, "num_batches_tracked"));
}

std::string FusedConvBNReLU::extra_repr() const {
  return str(in_, ", ", out_, ", kernel_size=(", kernel_.h, ", ", kernel_.w, "), stride=(", stride_.h, ", ", stride_.w,
             "), padding=(", padding_.h, ", ", padding_.w, ")", groups_ != 1 ? str(", groups=", groups_) : "",
             has_bias_ ? "" : ", bias=False", ", eps=", eps_, ", relu=", relu_ ? "True" : "False");
}

namespace {
int64_t fuse_train_in(Module& m) {
  int64_t fused = 0;
  if (auto* f = dynamic_cast<ConvBnFusable*>(&m)) fused += f->set_conv_bn_fused(true);
  if (dynamic_cast<Sequential*>(&m) != nullptr) {
    const auto children = m.named_children();
    for (size_t i = 0; i + 1 < children.size(); ++i) {
      auto conv = std::dynamic_pointer_cast<Conv2d>(children[i].second);
      auto bn = std::dynamic_pointer_cast<BatchNorm2d>(children[i + 1].second);
      if (!conv || !bn || !can_fuse_conv_bn(*conv, *bn)) continue;
      const bool relu = i + 2 < children.size() && std::dynamic_pointer_cast<ReLU>(children[i + 2].second);
      auto state = std::make_shared<FusedBatchNormState>(*bn);
      m.replace_module(children[i].first, std::make_shared<FusedConvBNReLU>(*conv, *bn, state, relu));
      m.replace_module(children[i + 1].first, state);
      if (relu) {
        auto identity = std::make_shared<Identity>();
        identity->train(children[i + 2].second->is_training());
        m.replace_module(children[i + 2].first, identity);
      }
      ++fused;
      i += relu ? 2 : 1;
    }
  }
  for (const auto& [name, child] : m.named_children())
    if (!std::dynamic_pointer_cast<FusedConvBNReLU>(child)) fused += fuse_train_in(*child);
  return fused;
}
}  // namespace

int64_t fuse_conv_bn_relu_train(Module& model) { return fuse_train_in(model); }

}  // namespace seek::nn

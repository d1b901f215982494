#pragma once
// Fused Conv2d -> BatchNorm2d (-> + residual) (-> ReLU) for TRAINING (issue 15), over the fused op of
// seek/ops/conv_bn.h: one autograd node, batch statistics and running-statistics updates exactly as
// BatchNorm2d, the running statistics in eval mode. (fusion.h's fuse_conv_bn is the inference fold.)
//
// State dicts move both ways between fused and unfused models: the fused modules hold the very tensors
// (same objects, same names) that the Conv2d and BatchNorm2d held.
//  - FusedConvBNReLU(in, out, kernel, ...) standalone: children "0" (Conv2d) and "1" (BatchNorm2d), the
//    keys of Sequential(Conv2d, BatchNorm2d, ReLU) (and of torch's ConvBnReLU2d).
//  - fuse_conv_bn_relu_train(model) in a Sequential: the Conv2d's slot becomes a FusedConvBNReLU owning
//    the conv's "weight" (and "bias"), the BatchNorm2d's slot a FusedBatchNormState owning the batch
//    norm's "weight", "bias", "running_mean", "running_var", "num_batches_tracked" (its forward passes
//    the input through), a following ReLU an Identity. Keys and parameter objects stay the same.
//  - modules that call conv/bn/relu in code (models::BasicBlock, Bottleneck) implement ConvBnFusable:
//    the pass switches them to a fused forward over their own children.
#include <cstdint>
#include <memory>
#include <optional>

#include "seek/nn/conv.h"
#include "seek/nn/module.h"
#include "seek/nn/normalization.h"
#include "seek/ops/conv_bn.h"

namespace seek::nn {

namespace functional {
// relu?(batch_norm(conv2d(input, weight, conv_bias)) + residual), one fused node (seek::conv_bn).
Tensor conv_bn_relu(const Tensor& input, const Tensor& weight, const Tensor& conv_bias, const Tensor& running_mean,
                    const Tensor& running_var, const Tensor& bn_weight, const Tensor& bn_bias,
                    const Tensor& residual = Tensor(), const ConvBnOptions& options = {},
                    const Tensor& num_batches_tracked = Tensor());
}  // namespace functional

// Whether conv -> bn can run fused: zero padding mode, no "same" padding string, bn over conv's out channels.
bool can_fuse_conv_bn(const Conv2d& conv, const BatchNormBase& bn);
// relu?(bn(conv(input)) + residual) through the fused op with the modules' tensors, configuration and
// bn's training flag (as bn's forward would use them); the modules' own forwards when not fusable.
Tensor conv_bn_forward(Conv2d& conv, BatchNormBase& bn, const Tensor& input, const Tensor& residual = Tensor(),
                       bool relu = true);

// The batch norm's state in a fused Sequential (see above): forward is the identity.
class FusedBatchNormState : public Module {
 public:
  explicit FusedBatchNormState(BatchNormBase& bn);  // takes bn's tensors themselves
  Tensor forward(const Tensor& input) override { return input; }
  std::string extra_repr() const override { return repr_; }

 private:
  std::string repr_;
};

class FusedConvBNReLU : public Module {
 public:
  // Standalone, with children "0" = Conv2d(in, out, kernel, stride, padding, dilation, groups, bias) and
  // "1" = BatchNorm2d(out, eps, momentum, affine, track_running_stats).
  FusedConvBNReLU(int64_t in_channels, int64_t out_channels, Int2 kernel_size, Int2 stride = 1, Int2 padding = 0,
                  Int2 dilation = 1, int64_t groups = 1, bool bias = false, bool relu = true, double eps = 1e-5,
                  std::optional<double> momentum = 0.1, bool affine = true, bool track_running_stats = true,
                  TensorOptions options = {});
  // The pass's form: owns conv's parameters (the same tensors) and reads the batch norm's from `state`
  // (which the caller registers where the batch norm was). ValueError when !can_fuse_conv_bn(conv, bn).
  FusedConvBNReLU(Conv2d& conv, BatchNormBase& bn, std::shared_ptr<FusedBatchNormState> state, bool relu);

  Tensor forward(const Tensor& input) override;
  // With a residual added before the ReLU ([N, out, OH, OW]).
  Tensor forward(const Tensor& input, const Tensor& residual);
  std::string extra_repr() const override;
  bool relu() const { return relu_; }

 private:
  Module& conv_tensors();
  Module& bn_tensors();
  ConvBnOptions options() const;

  int64_t in_, out_;
  Int2 kernel_, stride_, padding_, dilation_;
  int64_t groups_;
  bool has_bias_, relu_, affine_, track_;
  double eps_;
  std::optional<double> momentum_;
  std::shared_ptr<FusedBatchNormState> state_;  // the pass's form; null standalone
};

// Implemented by modules that call conv/bn/relu in code (models::BasicBlock, Bottleneck): switch their
// forward to the fused op over their own children (keys unchanged); returns how many conv+bn pairs run
// fused from then on.
class ConvBnFusable {
 public:
  virtual ~ConvBnFusable() = default;
  virtual int64_t set_conv_bn_fused(bool fused) = 0;
};

// The training pass: every Conv2d -> BatchNorm2d (-> ReLU) in the model's Sequentials (any depth, the
// model itself included) becomes a FusedConvBNReLU + FusedBatchNormState (+ Identity), and every
// ConvBnFusable module is switched to its fused forward. Parameters (the same objects) and state_dict
// keys are unchanged. Works in train or eval mode. Returns how many conv + bn pairs now run fused.
int64_t fuse_conv_bn_relu_train(Module& model);

}  // namespace seek::nn

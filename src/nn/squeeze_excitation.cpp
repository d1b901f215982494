#include "seek/nn/squeeze_excitation.h"

#include "seek/core/error.h"
#include "seek/core/shape_util.h"
#include "seek/nn/layers_basic.h"
#include "seek/nn/pooling.h"

namespace seek::nn {

SqueezeExcitation::SqueezeExcitation(int64_t input_channels, int64_t squeeze_channels, ActivationFactory activation,
                                     ActivationFactory scale_activation)
    : Module("SqueezeExcitation"), input_channels_(input_channels), squeeze_channels_(squeeze_channels) {
  SEEK_CHECK_VALUE(input_channels > 0 && squeeze_channels > 0,
                   "SqueezeExcitation: input_channels and squeeze_channels must be positive, got ", input_channels,
                   " and ", squeeze_channels);
  // Registration order as torchvision: avgpool, fc1, fc2, activation, scale_activation.
  avgpool_ = register_module("avgpool", std::make_shared<AdaptiveAvgPool2d>(1));
  fc1_ = register_module("fc1", std::make_shared<Conv2d>(input_channels, squeeze_channels, 1));
  fc2_ = register_module("fc2", std::make_shared<Conv2d>(squeeze_channels, input_channels, 1));
  auto act = activation ? activation() : std::make_shared<ReLU>();
  auto scale_act = scale_activation ? scale_activation() : std::make_shared<Sigmoid>();
  SEEK_CHECK_VALUE(act && scale_act, "SqueezeExcitation: the ", act ? "scale_activation" : "activation",
                   " factory returned null");
  activation_ = register_module("activation", act);
  scale_activation_ = register_module("scale_activation", scale_act);
}

Tensor SqueezeExcitation::forward(const Tensor& input) {
  SEEK_CHECK_SHAPE(input.dim() == 4 && input.size(1) == input_channels_, "SqueezeExcitation: expected input [N, ",
                   input_channels_, ", H, W], got ", shape_str(input.sizes()));
  Tensor scale = avgpool_(input);  // [N, C, 1, 1]
  scale = scale_activation_(fc2_(activation_(fc1_(scale))));
  return scale * input;
}

}  // namespace seek::nn

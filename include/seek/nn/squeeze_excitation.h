#pragma once
// nn::SqueezeExcitation, like torchvision.ops.SqueezeExcitation (Hu et al. 2018):
//   scale = scale_activation(fc2(activation(fc1(adaptive_avg_pool2d(x, 1)))))
//   out   = scale * x
// fc1 and fc2 are 1x1 convolutions with bias, so the parameters are
// "fc1.weight" [squeeze, C, 1, 1], "fc1.bias", "fc2.weight" [C, squeeze, 1, 1], "fc2.bias".
#include <functional>
#include <memory>

#include "seek/nn/conv.h"
#include "seek/nn/module.h"

namespace seek::nn {

// Builds a fresh activation module (torchvision passes the class, e.g. nn.ReLU).
using ActivationFactory = std::function<std::shared_ptr<Module>()>;

class SqueezeExcitation : public Module {
 public:
  // A null factory means the default: activation ReLU, scale_activation Sigmoid.
  // Channel counts must be positive (ValueError otherwise).
  SqueezeExcitation(int64_t input_channels, int64_t squeeze_channels, ActivationFactory activation = nullptr,
                    ActivationFactory scale_activation = nullptr);
  // input [N, C, H, W] with C == input_channels (ShapeError otherwise); output has the input's shape.
  Tensor forward(const Tensor& input) override;
  int64_t input_channels() const { return input_channels_; }
  int64_t squeeze_channels() const { return squeeze_channels_; }

 private:
  int64_t input_channels_, squeeze_channels_;
  // Called through the registry, so a replaced child (se.activation = ...) takes effect.
  Child<Module> avgpool_, fc1_, fc2_, activation_, scale_activation_;
};

}  // namespace seek::nn

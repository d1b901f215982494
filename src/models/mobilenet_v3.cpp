#include "seek/models/mobilenet_v3.h"

#include <algorithm>
#include <cmath>

#include "seek/autograd/grad_mode.h"
#include "seek/core/error.h"
#include "seek/core/shape_util.h"
#include "seek/nn/conv.h"
#include "seek/nn/init.h"
#include "seek/nn/layers_basic.h"
#include "seek/nn/linear.h"
#include "seek/nn/normalization.h"
#include "seek/nn/pooling.h"
#include "seek/nn/squeeze_excitation.h"

namespace seek::models {
namespace {

enum class Act { None, ReLU, Hardswish };

// torchvision.ops.Conv2dNormActivation: conv (no bias, "same" padding) -> "1" batch norm -> "2" activation.
std::shared_ptr<nn::Sequential> conv_norm_act(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t groups,
                                              int64_t dilation, Act act, double eps, double momentum) {
  const int64_t padding = (kernel - 1) / 2 * dilation;
  auto seq = std::make_shared<nn::Sequential>();
  seq->push_back(std::make_shared<nn::Conv2d>(in, out, kernel, stride, padding, dilation, groups, /*bias=*/false));
  seq->push_back(std::make_shared<nn::BatchNorm2d>(out, eps, momentum));
  if (act == Act::ReLU) seq->push_back(std::make_shared<nn::ReLU>());
  if (act == Act::Hardswish) seq->push_back(std::make_shared<nn::Hardswish>());
  return seq;
}

}  // namespace

int64_t make_divisible(double v, int64_t divisor, std::optional<int64_t> min_value) {
  SEEK_CHECK_VALUE(divisor > 0, "make_divisible: divisor must be positive, got ", divisor);
  const int64_t lower = min_value.value_or(divisor);
  // int(v + divisor / 2) // divisor * divisor, as Python (v is positive here, so truncation is floor).
  int64_t rounded = static_cast<int64_t>(v + divisor / 2.0) / divisor * divisor;
  int64_t new_v = std::max(lower, rounded);
  if (static_cast<double>(new_v) < 0.9 * v) new_v += divisor;  // never round down by more than 10%
  return new_v;
}

InvertedResidual::InvertedResidual(const InvertedResidualConfig& cnf, double bn_eps, double bn_momentum)
    : Module("InvertedResidual") {
  SEEK_CHECK_VALUE(cnf.stride == 1 || cnf.stride == 2, "InvertedResidual: illegal stride value ", cnf.stride,
                   " (expected 1 or 2)");
  SEEK_CHECK_VALUE(
      cnf.input_channels > 0 && cnf.expanded_channels > 0 && cnf.out_channels > 0 && cnf.kernel > 0 && cnf.dilation > 0,
      "InvertedResidual: channels, kernel and dilation must be positive, got input ", cnf.input_channels, ", expanded ",
      cnf.expanded_channels, ", out ", cnf.out_channels, ", kernel ", cnf.kernel, ", dilation ", cnf.dilation);
  use_res_connect_ = cnf.stride == 1 && cnf.input_channels == cnf.out_channels;
  const Act act = cnf.use_hardswish ? Act::Hardswish : Act::ReLU;
  auto block = std::make_shared<nn::Sequential>();
  if (cnf.expanded_channels != cnf.input_channels) {
    block->push_back(conv_norm_act(cnf.input_channels, cnf.expanded_channels, 1, 1, 1, 1, act, bn_eps, bn_momentum));
  }
  const int64_t stride = cnf.dilation > 1 ? 1 : cnf.stride;  // dilated blocks keep the resolution
  block->push_back(conv_norm_act(cnf.expanded_channels, cnf.expanded_channels, cnf.kernel, stride,
                                 cnf.expanded_channels, cnf.dilation, act, bn_eps, bn_momentum));
  if (cnf.use_se) {
    const int64_t squeeze = make_divisible(static_cast<double>(cnf.expanded_channels / 4), 8);
    block->push_back(std::make_shared<nn::SqueezeExcitation>(cnf.expanded_channels, squeeze, nullptr,
                                                             [] { return std::make_shared<nn::Hardsigmoid>(); }));
  }
  block->push_back(conv_norm_act(cnf.expanded_channels, cnf.out_channels, 1, 1, 1, 1, Act::None, bn_eps, bn_momentum));
  block_ = register_module("block", block);
}

Tensor InvertedResidual::forward(const Tensor& input) {
  Tensor result = block_(input);
  return use_res_connect_ ? result + input : result;
}

MobileNetV3::MobileNetV3(const std::vector<InvertedResidualConfig>& setting, int64_t last_channel,
                         const MobileNetV3Options& options)
    : Module("MobileNetV3"), options_(options) {
  SEEK_CHECK_VALUE(!setting.empty(), "MobileNetV3: the inverted_residual_setting should not be empty");
  SEEK_CHECK_VALUE(options.num_classes > 0, "MobileNetV3: num_classes must be positive, got ", options.num_classes);
  SEEK_CHECK_VALUE(options.in_channels > 0, "MobileNetV3: in_channels must be positive, got ", options.in_channels);
  SEEK_CHECK_VALUE(last_channel > 0, "MobileNetV3: last_channel must be positive, got ", last_channel);
  constexpr double eps = 0.001, momentum = 0.01;

  auto features = std::make_shared<nn::Sequential>();
  features->push_back(conv_norm_act(options.in_channels, setting.front().input_channels, 3, options.small_input ? 1 : 2,
                                    1, 1, Act::Hardswish, eps, momentum));
  for (const auto& cnf : setting) features->push_back(std::make_shared<InvertedResidual>(cnf, eps, momentum));
  const int64_t lastconv_in = setting.back().out_channels;
  const int64_t lastconv_out = 6 * lastconv_in;
  features->push_back(conv_norm_act(lastconv_in, lastconv_out, 1, 1, 1, 1, Act::Hardswish, eps, momentum));
  features_ = register_module("features", features);
  avgpool_ = register_module("avgpool", std::make_shared<nn::AdaptiveAvgPool2d>(1));
  classifier_ = register_module(
      "classifier", std::make_shared<nn::Sequential>(std::initializer_list<nn::ModulePtr>{
                        std::make_shared<nn::Linear>(lastconv_out, last_channel), std::make_shared<nn::Hardswish>(),
                        std::make_shared<nn::Dropout>(options.dropout),
                        std::make_shared<nn::Linear>(last_channel, options.num_classes)}));

  // torchvision's init. (named_modules() on `this` needs shared_from_this: walk the children.)
  NoGradGuard no_grad;
  for (auto& top : children()) {
    for (auto& [name, module] : top->named_modules()) {
      if (auto* conv = dynamic_cast<nn::Conv2d*>(module.get())) {
        nn::init::kaiming_normal_(conv->weight(), 0.0, "fan_out");
        if (conv->has_bias()) nn::init::zeros_(conv->bias());
      } else if (auto* bn = dynamic_cast<nn::BatchNorm2d*>(module.get())) {
        nn::init::ones_(bn->param("weight"));
        nn::init::zeros_(bn->param("bias"));
      } else if (auto* linear = dynamic_cast<nn::Linear*>(module.get())) {
        nn::init::normal_(linear->param("weight"), 0.0, 0.01);
        nn::init::zeros_(linear->param("bias"));
      }
    }
  }
}

Tensor MobileNetV3::forward(const Tensor& input) {
  SEEK_CHECK_SHAPE(input.dim() == 4 && input.size(1) == options_.in_channels, "MobileNetV3: expected input [N, ",
                   options_.in_channels, ", H, W], got ", shape_str(input.sizes()));
  Tensor x = features_(input);
  x = avgpool_(x).flatten(1);
  return classifier_(x);
}

std::vector<InvertedResidualConfig> mobilenet_v3_setting(MobileNetV3Arch arch) {
  // input, kernel, expanded, out, SE, hardswish, stride (the "C1".."C4" rows downsample).
  if (arch == MobileNetV3Arch::Large) {
    return {
        {16, 3, 16, 16, false, false, 1},  {16, 3, 64, 24, false, false, 2},  {24, 3, 72, 24, false, false, 1},
        {24, 5, 72, 40, true, false, 2},   {40, 5, 120, 40, true, false, 1},  {40, 5, 120, 40, true, false, 1},
        {40, 3, 240, 80, false, true, 2},  {80, 3, 200, 80, false, true, 1},  {80, 3, 184, 80, false, true, 1},
        {80, 3, 184, 80, false, true, 1},  {80, 3, 480, 112, true, true, 1},  {112, 3, 672, 112, true, true, 1},
        {112, 5, 672, 160, true, true, 2}, {160, 5, 960, 160, true, true, 1}, {160, 5, 960, 160, true, true, 1},
    };
  }
  return {
      {16, 3, 16, 16, true, false, 2}, {16, 3, 72, 24, false, false, 2}, {24, 3, 88, 24, false, false, 1},
      {24, 5, 96, 40, true, true, 2},  {40, 5, 240, 40, true, true, 1},  {40, 5, 240, 40, true, true, 1},
      {40, 5, 120, 48, true, true, 1}, {48, 5, 144, 48, true, true, 1},  {48, 5, 288, 96, true, true, 2},
      {96, 5, 576, 96, true, true, 1}, {96, 5, 576, 96, true, true, 1},
  };
}

int64_t mobilenet_v3_last_channel(MobileNetV3Arch arch) { return arch == MobileNetV3Arch::Large ? 1280 : 1024; }

std::shared_ptr<MobileNetV3> mobilenet_v3_small(const MobileNetV3Options& options) {
  return std::make_shared<MobileNetV3>(mobilenet_v3_setting(MobileNetV3Arch::Small),
                                       mobilenet_v3_last_channel(MobileNetV3Arch::Small), options);
}

std::shared_ptr<MobileNetV3> mobilenet_v3_large(const MobileNetV3Options& options) {
  return std::make_shared<MobileNetV3>(mobilenet_v3_setting(MobileNetV3Arch::Large),
                                       mobilenet_v3_last_channel(MobileNetV3Arch::Large), options);
}

}  // namespace seek::models

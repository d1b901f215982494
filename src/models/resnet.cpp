#include "seek/models/resnet.h"

#include <string>

#include "seek/autograd/grad_mode.h"
#include "seek/core/error.h"
#include "seek/core/shape_util.h"
#include "seek/nn/init.h"
#include "seek/ops/shape.h"

namespace seek::models {
namespace {

std::shared_ptr<nn::Conv2d> conv3x3(int64_t in, int64_t out, int64_t stride = 1) {
  return std::make_shared<nn::Conv2d>(in, out, 3, stride, 1, 1, 1, /*bias=*/false);
}

std::shared_ptr<nn::Conv2d> conv1x1(int64_t in, int64_t out, int64_t stride = 1) {
  return std::make_shared<nn::Conv2d>(in, out, 1, stride, 0, 1, 1, /*bias=*/false);
}

void check_positive(const char* what, int64_t v) {
  SEEK_CHECK_VALUE(v > 0, "ResNet: ", what, " must be positive, got ", v);
}

}  // namespace

BasicBlock::BasicBlock(int64_t inplanes, int64_t planes, int64_t stride, std::shared_ptr<nn::Module> downsample)
    : Module("BasicBlock") {
  conv1_ = register_module("conv1", conv3x3(inplanes, planes, stride));
  bn1_ = register_module("bn1", std::make_shared<nn::BatchNorm2d>(planes));
  relu_ = register_module("relu", std::make_shared<nn::ReLU>());
  conv2_ = register_module("conv2", conv3x3(planes, planes));
  bn2_ = register_module("bn2", std::make_shared<nn::BatchNorm2d>(planes));
  if (downsample) downsample_ = register_module("downsample", std::move(downsample));
}

namespace {
// relu?(bn(conv(x)) + residual) fused when conv / bn are still a Conv2d and a BatchNorm2d and relu (when
// applied) a ReLU; otherwise the children's own forwards, as the unfused block.
Tensor conv_bn_step(const nn::Child<nn::Module>& conv, const nn::Child<nn::Module>& bn,
                    const nn::Child<nn::Module>& relu, const Tensor& x, const Tensor& residual, bool apply_relu) {
  auto* c = dynamic_cast<nn::Conv2d*>(conv.module().get());
  auto* b = dynamic_cast<nn::BatchNorm2d*>(bn.module().get());
  const bool plain_relu = !apply_relu || dynamic_cast<nn::ReLU*>(relu.module().get()) != nullptr;
  if (c != nullptr && b != nullptr && plain_relu && nn::can_fuse_conv_bn(*c, *b))
    return nn::conv_bn_forward(*c, *b, x, residual, apply_relu);
  Tensor y = bn(conv(x));
  if (residual.defined()) y = y + residual;
  return apply_relu ? relu(y) : y;
}
}  // namespace

int64_t BasicBlock::set_conv_bn_fused(bool fused) {
  fused_ = fused;
  return fused ? 2 : 0;
}

int64_t Bottleneck::set_conv_bn_fused(bool fused) {
  fused_ = fused;
  return fused ? 3 : 0;
}

Tensor BasicBlock::forward(const Tensor& input) {
  if (fused_) {
    Tensor out = conv_bn_step(conv1_, bn1_, relu_, input, Tensor(), true);
    Tensor identity = downsample_ ? downsample_(input) : input;
    return conv_bn_step(conv2_, bn2_, relu_, out, identity, true);
  }
  Tensor out = relu_(bn1_(conv1_(input)));
  out = bn2_(conv2_(out));
  Tensor identity = downsample_ ? downsample_(input) : input;
  return relu_(out + identity);
}

Bottleneck::Bottleneck(int64_t inplanes, int64_t planes, int64_t stride, std::shared_ptr<nn::Module> downsample)
    : Module("Bottleneck") {
  conv1_ = register_module("conv1", conv1x1(inplanes, planes));
  bn1_ = register_module("bn1", std::make_shared<nn::BatchNorm2d>(planes));
  conv2_ = register_module("conv2", conv3x3(planes, planes, stride));
  bn2_ = register_module("bn2", std::make_shared<nn::BatchNorm2d>(planes));
  conv3_ = register_module("conv3", conv1x1(planes, planes * expansion));
  bn3_ = register_module("bn3", std::make_shared<nn::BatchNorm2d>(planes * expansion));
  relu_ = register_module("relu", std::make_shared<nn::ReLU>());
  if (downsample) downsample_ = register_module("downsample", std::move(downsample));
}

Tensor Bottleneck::forward(const Tensor& input) {
  if (fused_) {
    Tensor out = conv_bn_step(conv1_, bn1_, relu_, input, Tensor(), true);
    out = conv_bn_step(conv2_, bn2_, relu_, out, Tensor(), true);
    Tensor identity = downsample_ ? downsample_(input) : input;
    return conv_bn_step(conv3_, bn3_, relu_, out, identity, true);
  }
  Tensor out = relu_(bn1_(conv1_(input)));
  out = relu_(bn2_(conv2_(out)));
  out = bn3_(conv3_(out));
  Tensor identity = downsample_ ? downsample_(input) : input;
  return relu_(out + identity);
}

ZeroPadShortcut::ZeroPadShortcut(int64_t in_channels, int64_t out_channels, int64_t stride)
    : Module("ZeroPadShortcut"), in_(in_channels), out_(out_channels), stride_(stride) {
  SEEK_CHECK_VALUE(in_channels > 0 && out_channels >= in_channels && stride > 0,
                   "ZeroPadShortcut: expected 0 < in_channels <= out_channels and a positive stride, got in_channels ",
                   in_channels, ", out_channels ", out_channels, ", stride ", stride);
}

Tensor ZeroPadShortcut::forward(const Tensor& input) {
  SEEK_CHECK_SHAPE(input.dim() == 4 && input.size(1) == in_, "ZeroPadShortcut: expected input [N, ", in_,
                   ", H, W], got ", shape_str(input.sizes()));
  Tensor x = input.slice(2, std::nullopt, std::nullopt, stride_).slice(3, std::nullopt, std::nullopt, stride_);
  const int64_t before = (out_ - in_) / 2;
  return pad(x, {0, 0, 0, 0, before, out_ - in_ - before});
}

std::string ZeroPadShortcut::extra_repr() const { return str(in_, ", ", out_, ", stride=", stride_); }

ResNet::ResNet(const ResNetConfig& config) : Module("ResNet"), config_(config) {
  SEEK_CHECK_VALUE(!config.layers.empty() && config.layers.size() == config.widths.size(),
                   "ResNet: layers and widths must be non-empty and of equal length, got ", config.layers.size(),
                   " and ", config.widths.size());
  SEEK_CHECK_VALUE(
      config.shortcut == ShortcutType::Projection || (config.block == BlockType::Basic && !config.avg_down),
      "ResNet: ZeroPad shortcuts need BasicBlocks and avg_down off");
  check_positive("num_classes", config.num_classes);
  check_positive("in_channels", config.in_channels);
  for (size_t i = 0; i < config.layers.size(); ++i) {
    check_positive("blocks per stage", config.layers[i]);
    check_positive("stage width", config.widths[i]);
  }
  inplanes_ = config.widths[0];
  if (config.deep_stem) {
    check_positive("stem_width", config.stem_width);
    const int64_t sw = config.stem_width;
    conv1_ = register_module(
        "conv1", std::make_shared<nn::Sequential>(std::initializer_list<nn::ModulePtr>{
                     conv3x3(config.in_channels, sw, config.small_input ? 1 : 2), std::make_shared<nn::BatchNorm2d>(sw),
                     std::make_shared<nn::ReLU>(), conv3x3(sw, sw), std::make_shared<nn::BatchNorm2d>(sw),
                     std::make_shared<nn::ReLU>(), conv3x3(sw, inplanes_)}));
  } else if (config.small_input) {
    conv1_ = register_module("conv1", conv3x3(config.in_channels, inplanes_));
  } else {
    conv1_ = register_module("conv1", std::make_shared<nn::Conv2d>(config.in_channels, inplanes_, 7, 2, 3, 1, 1,
                                                                   /*bias=*/false));
  }
  bn1_ = register_module("bn1", std::make_shared<nn::BatchNorm2d>(inplanes_));
  relu_ = register_module("relu", std::make_shared<nn::ReLU>());
  if (!config.small_input) maxpool_ = register_module("maxpool", std::make_shared<nn::MaxPool2d>(3, 2, 1));
  for (size_t i = 0; i < config.layers.size(); ++i) {
    auto stage = make_layer(config.widths[i], config.layers[i], i == 0 ? 1 : 2);
    stages_.push_back(register_module("layer" + std::to_string(i + 1), stage));
  }
  avgpool_ = register_module("avgpool", std::make_shared<nn::AdaptiveAvgPool2d>(1));
  fc_ = register_module("fc", std::make_shared<nn::Linear>(inplanes_, config.num_classes));

  // torchvision's init: He-normal (fan_out) convs, unit batch-norm scales.
  NoGradGuard no_grad;
  // (named_modules() on `this` needs shared_from_this, not available in a constructor: walk the children.)
  for (auto& top : children()) {
    for (auto& [name, module] : top->named_modules()) {
      if (auto* conv = dynamic_cast<nn::Conv2d*>(module.get())) {
        nn::init::kaiming_normal_(conv->weight(), 0.0, "fan_out", "relu");
      } else if (auto* bn = dynamic_cast<nn::BatchNorm2d*>(module.get())) {
        nn::init::ones_(bn->param("weight"));
        nn::init::zeros_(bn->param("bias"));
      }
    }
  }
}

std::shared_ptr<nn::Sequential> ResNet::make_layer(int64_t planes, int64_t blocks, int64_t stride) {
  const int64_t expansion = config_.block == BlockType::Basic ? BasicBlock::expansion : Bottleneck::expansion;
  auto make_block = [&](int64_t inplanes, int64_t s, std::shared_ptr<nn::Module> down) -> nn::ModulePtr {
    if (config_.block == BlockType::Basic) return std::make_shared<BasicBlock>(inplanes, planes, s, std::move(down));
    return std::make_shared<Bottleneck>(inplanes, planes, s, std::move(down));
  };
  std::shared_ptr<nn::Module> downsample;
  const int64_t out = planes * expansion;
  if (stride == 1 && inplanes_ == out) {
    // identity shortcut
  } else if (config_.shortcut == ShortcutType::ZeroPad) {
    downsample = std::make_shared<ZeroPadShortcut>(inplanes_, out, stride);
  } else if (config_.avg_down) {
    // ResNet-D: average the 2x2 windows first so that the 1x1 conv sees every input pixel.
    nn::ModulePtr pool = stride == 1 ? nn::ModulePtr(std::make_shared<nn::Identity>())
                                     : std::make_shared<nn::AvgPool2d>(2, stride, 0, /*ceil_mode=*/true,
                                                                       /*count_include_pad=*/false);
    downsample = std::make_shared<nn::Sequential>(
        std::initializer_list<nn::ModulePtr>{pool, conv1x1(inplanes_, out), std::make_shared<nn::BatchNorm2d>(out)});
  } else {
    downsample = std::make_shared<nn::Sequential>(
        std::initializer_list<nn::ModulePtr>{conv1x1(inplanes_, out, stride), std::make_shared<nn::BatchNorm2d>(out)});
  }
  auto layer = std::make_shared<nn::Sequential>();
  layer->push_back(make_block(inplanes_, stride, downsample));
  inplanes_ = planes * expansion;
  for (int64_t i = 1; i < blocks; ++i) layer->push_back(make_block(inplanes_, 1, nullptr));
  return layer;
}

int64_t ResNet::set_conv_bn_fused(bool fused) {
  fused_ = fused;
  return fused && dynamic_cast<nn::Conv2d*>(conv1_.module().get()) != nullptr ? 1 : 0;
}

Tensor ResNet::forward(const Tensor& input) {
  SEEK_CHECK_SHAPE(input.dim() == 4 && input.size(1) == config_.in_channels, "ResNet: expected input [N, ",
                   config_.in_channels, ", H, W], got ", shape_str(input.sizes()));
  Tensor x = fused_ ? conv_bn_step(conv1_, bn1_, relu_, input, Tensor(), true) : relu_(bn1_(conv1_(input)));
  if (maxpool_) x = maxpool_(x);
  for (auto& stage : stages_) x = stage(x);
  x = avgpool_(x).flatten(1);
  return fc_(x);
}

namespace {
std::shared_ptr<ResNet> make(BlockType block, std::vector<int64_t> layers, std::vector<int64_t> widths,
                             int64_t num_classes, int64_t in_channels, bool small_input, bool resnet_d = false,
                             ShortcutType shortcut = ShortcutType::Projection) {
  ResNetConfig c;
  c.shortcut = shortcut;
  c.deep_stem = resnet_d;
  c.avg_down = resnet_d;
  c.block = block;
  c.layers = std::move(layers);
  c.widths = std::move(widths);
  c.num_classes = num_classes;
  c.in_channels = in_channels;
  c.small_input = small_input;
  return std::make_shared<ResNet>(c);
}
}  // namespace

std::shared_ptr<ResNet> resnet18(int64_t num_classes, int64_t in_channels, bool small_input) {
  return make(BlockType::Basic, {2, 2, 2, 2}, {64, 128, 256, 512}, num_classes, in_channels, small_input);
}

std::shared_ptr<ResNet> resnet34(int64_t num_classes, int64_t in_channels, bool small_input) {
  return make(BlockType::Basic, {3, 4, 6, 3}, {64, 128, 256, 512}, num_classes, in_channels, small_input);
}

std::shared_ptr<ResNet> resnet50(int64_t num_classes, int64_t in_channels, bool small_input) {
  return make(BlockType::Bottleneck, {3, 4, 6, 3}, {64, 128, 256, 512}, num_classes, in_channels, small_input);
}

std::shared_ptr<ResNet> resnet20(int64_t num_classes, int64_t in_channels, ShortcutType shortcut) {
  return make(BlockType::Basic, {3, 3, 3}, {16, 32, 64}, num_classes, in_channels, /*small_input=*/true, false,
              shortcut);
}

std::shared_ptr<ResNet> resnet56(int64_t num_classes, int64_t in_channels, ShortcutType shortcut) {
  return make(BlockType::Basic, {9, 9, 9}, {16, 32, 64}, num_classes, in_channels, /*small_input=*/true, false,
              shortcut);
}

std::shared_ptr<ResNet> resnet18d(int64_t num_classes, int64_t in_channels, bool small_input) {
  return make(BlockType::Basic, {2, 2, 2, 2}, {64, 128, 256, 512}, num_classes, in_channels, small_input, true);
}

std::shared_ptr<ResNet> resnet34d(int64_t num_classes, int64_t in_channels, bool small_input) {
  return make(BlockType::Basic, {3, 4, 6, 3}, {64, 128, 256, 512}, num_classes, in_channels, small_input, true);
}

std::shared_ptr<ResNet> resnet50d(int64_t num_classes, int64_t in_channels, bool small_input) {
  return make(BlockType::Bottleneck, {3, 4, 6, 3}, {64, 128, 256, 512}, num_classes, in_channels, small_input, true);
}

}  // namespace seek::models

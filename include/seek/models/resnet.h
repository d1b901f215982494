#pragma once
// ResNets with torchvision's module and parameter names ("conv1", "bn1",
// "layer1.0.conv1", "layer1.0.downsample.0", "fc", ...) so that state dicts
// line up key for key with torchvision.models.resnet*, and the ResNet-D variants
// (He et al., "Bag of Tricks", 2019) with timm's names for resnet18d/34d/50d:
// deep stem "conv1.0", "conv1.1", "conv1.3", "conv1.4", "conv1.6" and average-pool
// shortcuts "layerN.0.downsample.1" (1x1 conv) / "layerN.0.downsample.2" (batch norm).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "seek/nn/container.h"
#include "seek/nn/conv.h"
#include "seek/nn/fused_conv_bn.h"
#include "seek/nn/layers_basic.h"
#include "seek/nn/linear.h"
#include "seek/nn/normalization.h"
#include "seek/nn/pooling.h"

namespace seek::models {

// conv3x3 -> bn -> relu -> conv3x3 -> bn, plus the (possibly downsampled) input, then relu.
// issue 15: nn::fuse_conv_bn_relu_train switches a block to the fused conv + batch norm (+ residual)
// (+ ReLU) op over the same children (ConvBnFusable); its keys and parameters do not change.
class BasicBlock : public nn::Module, public nn::ConvBnFusable {
 public:
  static constexpr int64_t expansion = 1;
  // downsample may be null (identity shortcut).
  BasicBlock(int64_t inplanes, int64_t planes, int64_t stride = 1, std::shared_ptr<nn::Module> downsample = nullptr);
  Tensor forward(const Tensor& input) override;
  int64_t set_conv_bn_fused(bool fused) override;

 private:
  // Called through the registry, so replacing e.g. "conv1" takes effect (as torchvision's self.conv1).
  nn::Child<nn::Module> conv1_, bn1_, relu_, conv2_, bn2_, downsample_;  // downsample_ empty: identity
  bool fused_ = false;
};

// 1x1 -> 3x3 (stride here, as torchvision v1.5) -> 1x1 expanding by 4, plus the shortcut, then relu.
class Bottleneck : public nn::Module, public nn::ConvBnFusable {
 public:
  static constexpr int64_t expansion = 4;
  Bottleneck(int64_t inplanes, int64_t planes, int64_t stride = 1, std::shared_ptr<nn::Module> downsample = nullptr);
  Tensor forward(const Tensor& input) override;
  int64_t set_conv_bn_fused(bool fused) override;

 private:
  nn::Child<nn::Module> conv1_, bn1_, conv2_, bn2_, conv3_, bn3_, relu_, downsample_;  // downsample_ empty: identity
  bool fused_ = false;
};

enum class BlockType { Basic, Bottleneck };

// The shortcut of a block whose output shape differs from its input's.
enum class ShortcutType {
  Projection,  // 1x1 conv + bn ("downsample.0", "downsample.1"): torchvision's, He et al.'s option B
  ZeroPad,     // He et al.'s option A for CIFAR: no parameters (ZeroPadShortcut)
};

// Option-A shortcut: input[:, :, ::stride, ::stride] with out_channels - in_channels zero channels,
// half before and half after (the odd one after). out_channels must be >= in_channels.
class ZeroPadShortcut : public nn::Module {
 public:
  ZeroPadShortcut(int64_t in_channels, int64_t out_channels, int64_t stride);
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;

 private:
  int64_t in_, out_, stride_;
};

struct ResNetConfig {
  BlockType block = BlockType::Basic;
  std::vector<int64_t> layers{2, 2, 2, 2};         // blocks per stage
  std::vector<int64_t> widths{64, 128, 256, 512};  // planes per stage (stage i > 0 has stride 2)
  int64_t num_classes = 1000;
  int64_t in_channels = 3;
  // false: 7x7/2 conv + 3x3/2 maxpool stem (ImageNet); true: 3x3/1 conv, no maxpool (28x28, 32x32 inputs).
  // With deep_stem, small_input makes the stem's first conv stride 1 and drops the maxpool.
  bool small_input = false;
  // ResNet-D stem: "conv1" is a Sequential of three 3x3 convs with batch norm + relu between them,
  // in_channels -> stem_width (stride 2) -> stem_width -> widths[0], replacing the 7x7 conv.
  bool deep_stem = false;
  int64_t stem_width = 32;
  // ResNet-D shortcut: "downsample" is AvgPool2d(2, stride, ceil_mode, count_include_pad=false)
  // (Identity when the block has stride 1) -> 1x1 conv stride 1 -> batch norm, instead of a strided 1x1 conv.
  bool avg_down = false;
  // Projection or the parameter-free ZeroPad (BasicBlock only; not with avg_down).
  ShortcutType shortcut = ShortcutType::Projection;
};

// Input [N, in_channels, H, W] float; output logits [N, num_classes].
// Convs get kaiming_normal_(fan_out, relu), batch norms weight 1 / bias 0, like torchvision.
class ResNet : public nn::Module, public nn::ConvBnFusable {
 public:
  explicit ResNet(const ResNetConfig& config);
  Tensor forward(const Tensor& input) override;
  const ResNetConfig& config() const { return config_; }
  int64_t set_conv_bn_fused(bool fused) override;  // the stem's conv1 -> bn1 -> relu (issue 15)

 private:
  std::shared_ptr<nn::Sequential> make_layer(int64_t planes, int64_t blocks, int64_t stride);

  ResNetConfig config_;
  int64_t inplanes_;
  // Children as torchvision calls them in forward; replacing any (model.fc = ...) takes effect.
  nn::Child<nn::Module> conv1_;  // a Conv2d, or the deep stem's Sequential
  nn::Child<nn::Module> bn1_, relu_;
  nn::Child<nn::Module> maxpool_;  // empty with small_input
  std::vector<nn::Child<nn::Module>> stages_;
  nn::Child<nn::Module> avgpool_, fc_;
  bool fused_ = false;
};

std::shared_ptr<ResNet> resnet18(int64_t num_classes = 1000, int64_t in_channels = 3, bool small_input = false);
std::shared_ptr<ResNet> resnet34(int64_t num_classes = 1000, int64_t in_channels = 3, bool small_input = false);
std::shared_ptr<ResNet> resnet50(int64_t num_classes = 1000, int64_t in_channels = 3, bool small_input = false);
// CIFAR ResNet-20 (He et al. 2016): 3x3 stem with 16 channels, 3 stages of 3 BasicBlocks
// (16/32/64 channels), 1x1-conv + bn downsample shortcuts (option B) by default. 3x3 stem, no maxpool.
// 272,474 parameters for 10 classes; with ShortcutType::ZeroPad (the paper's option A) 269,722.
std::shared_ptr<ResNet> resnet20(int64_t num_classes = 10, int64_t in_channels = 3,
                                 ShortcutType shortcut = ShortcutType::Projection);
// CIFAR ResNet-56: as resnet20 with 9 BasicBlocks per stage. 855,770 parameters for 10 classes with
// projection shortcuts (as resnet20); with ShortcutType::ZeroPad (the paper's option A) 853,018.
std::shared_ptr<ResNet> resnet56(int64_t num_classes = 10, int64_t in_channels = 3,
                                 ShortcutType shortcut = ShortcutType::Projection);

// ResNet-D (timm's resnet18d / resnet34d / resnet50d): deep stem with stem_width 32 and
// average-pool shortcuts; 11,708,744 / 21,816,904 / 25,576,264 parameters with 1000 classes.
std::shared_ptr<ResNet> resnet18d(int64_t num_classes = 1000, int64_t in_channels = 3, bool small_input = false);
std::shared_ptr<ResNet> resnet34d(int64_t num_classes = 1000, int64_t in_channels = 3, bool small_input = false);
std::shared_ptr<ResNet> resnet50d(int64_t num_classes = 1000, int64_t in_channels = 3, bool small_input = false);

}  // namespace seek::models

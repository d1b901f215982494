#pragma once
// ResNets with torchvision's module and parameter names ("conv1", "bn1",
// "layer1.0.conv1", "layer1.0.downsample.0", "fc", ...) so that state dicts
// line up key for key with torchvision.models.resnet*.
#include <cstdint>
#include <memory>
#include <vector>

#include "seek/nn/container.h"
#include "seek/nn/conv.h"
#include "seek/nn/layers_basic.h"
#include "seek/nn/linear.h"
#include "seek/nn/normalization.h"
#include "seek/nn/pooling.h"

namespace seek::models {

// conv3x3 -> bn -> relu -> conv3x3 -> bn, plus the (possibly downsampled) input, then relu.
class BasicBlock : public nn::Module {
 public:
  static constexpr int64_t expansion = 1;
  // downsample may be null (identity shortcut).
  BasicBlock(int64_t inplanes, int64_t planes, int64_t stride = 1, std::shared_ptr<nn::Module> downsample = nullptr);
  Tensor forward(const Tensor& input) override;

 private:
  std::shared_ptr<nn::Conv2d> conv1_, conv2_;
  std::shared_ptr<nn::BatchNorm2d> bn1_, bn2_;
  std::shared_ptr<nn::Module> downsample_;
};

// 1x1 -> 3x3 (stride here, as torchvision v1.5) -> 1x1 expanding by 4, plus the shortcut, then relu.
class Bottleneck : public nn::Module {
 public:
  static constexpr int64_t expansion = 4;
  Bottleneck(int64_t inplanes, int64_t planes, int64_t stride = 1, std::shared_ptr<nn::Module> downsample = nullptr);
  Tensor forward(const Tensor& input) override;

 private:
  std::shared_ptr<nn::Conv2d> conv1_, conv2_, conv3_;
  std::shared_ptr<nn::BatchNorm2d> bn1_, bn2_, bn3_;
  std::shared_ptr<nn::Module> downsample_;
};

enum class BlockType { Basic, Bottleneck };

struct ResNetConfig {
  BlockType block = BlockType::Basic;
  std::vector<int64_t> layers{2, 2, 2, 2};       // blocks per stage
  std::vector<int64_t> widths{64, 128, 256, 512};  // planes per stage (stage i > 0 has stride 2)
  int64_t num_classes = 1000;
  int64_t in_channels = 3;
  // false: 7x7/2 conv + 3x3/2 maxpool stem (ImageNet); true: 3x3/1 conv, no maxpool (28x28, 32x32 inputs).
  bool small_input = false;
};

// Input [N, in_channels, H, W] float; output logits [N, num_classes].
// Convs get kaiming_normal_(fan_out, relu), batch norms weight 1 / bias 0, like torchvision.
class ResNet : public nn::Module {
 public:
  explicit ResNet(const ResNetConfig& config);
  Tensor forward(const Tensor& input) override;
  const ResNetConfig& config() const { return config_; }

 private:
  std::shared_ptr<nn::Sequential> make_layer(int64_t planes, int64_t blocks, int64_t stride);

  ResNetConfig config_;
  int64_t inplanes_;
  std::shared_ptr<nn::Conv2d> conv1_;
  std::shared_ptr<nn::BatchNorm2d> bn1_;
  std::shared_ptr<nn::Module> maxpool_;  // null with small_input
  std::vector<std::shared_ptr<nn::Sequential>> stages_;
  std::shared_ptr<nn::Linear> fc_;
};

std::shared_ptr<ResNet> resnet18(int64_t num_classes = 1000, int64_t in_channels = 3, bool small_input = false);
std::shared_ptr<ResNet> resnet34(int64_t num_classes = 1000, int64_t in_channels = 3, bool small_input = false);
std::shared_ptr<ResNet> resnet50(int64_t num_classes = 1000, int64_t in_channels = 3, bool small_input = false);
// CIFAR ResNet-20 (He et al. 2016): 3x3 stem with 16 channels, 3 stages of 3 BasicBlocks
// (16/32/64 channels), 1x1-conv + bn downsample shortcuts (option B). 3x3 stem, no maxpool.
std::shared_ptr<ResNet> resnet20(int64_t num_classes = 10, int64_t in_channels = 3);

}  // namespace seek::models

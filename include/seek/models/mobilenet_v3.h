#pragma once
// MobileNetV3-Small and -Large (Howard et al. 2019) with torchvision's module tree
// and state_dict names ("features.0.0.weight", "features.1.block.0.0.weight",
// "features.4.block.2.fc1.weight", "classifier.3.bias", ...), so that state dicts
// line up key for key with torchvision.models.mobilenet_v3_small / _large.
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "seek/nn/container.h"
#include "seek/nn/module.h"

namespace seek::models {

// torchvision's _make_divisible: v rounded to the nearest multiple of divisor, at least
// min_value (default: divisor), and never more than 10% below v.
int64_t make_divisible(double v, int64_t divisor, std::optional<int64_t> min_value = std::nullopt);

// One row of torchvision's inverted_residual_setting (channels already adjusted).
struct InvertedResidualConfig {
  int64_t input_channels;
  int64_t kernel;
  int64_t expanded_channels;
  int64_t out_channels;
  bool use_se;
  bool use_hardswish;  // activation "HS"; false is "RE" (ReLU)
  int64_t stride;      // 1 or 2
  int64_t dilation = 1;
};

// [1x1 expand conv-bn-act] -> kxk depthwise conv-bn-act -> [squeeze-excitation] -> 1x1 project conv-bn,
// held in "block" (a Sequential), plus the input when stride is 1 and channels are unchanged.
// The expand stage is left out when expanded_channels == input_channels.
class InvertedResidual : public nn::Module {
 public:
  InvertedResidual(const InvertedResidualConfig& cnf, double bn_eps = 0.001, double bn_momentum = 0.01);
  Tensor forward(const Tensor& input) override;
  bool use_res_connect() const { return use_res_connect_; }

 private:
  nn::Child<nn::Module> block_;  // called through the registry, so a replaced "block" takes effect
  bool use_res_connect_;
};

enum class MobileNetV3Arch { Small, Large };

struct MobileNetV3Options {
  int64_t num_classes = 1000;
  int64_t in_channels = 3;
  // false: stride-2 3x3 stem (ImageNet, 32x total downsampling); true: stride-1 stem for
  // 28x28 / 32x32 inputs (16x total). Parameter counts are the same either way.
  bool small_input = false;
  double dropout = 0.2;  // before the last Linear of the classifier
};

// features (stem conv-bn-hardswish, the inverted residual blocks, 1x1 conv-bn-hardswish to
// 6 * last block's channels) -> avgpool -> flatten -> classifier
// (Linear -> Hardswish -> Dropout -> Linear). Input [N, in_channels, H, W]; output [N, num_classes].
// Init as torchvision: convs kaiming_normal_(fan_out) with zero bias, batch norms 1 / 0,
// Linear weights N(0, 0.01) with zero bias. Batch norms use eps 0.001, momentum 0.01.
class MobileNetV3 : public nn::Module {
 public:
  MobileNetV3(const std::vector<InvertedResidualConfig>& setting, int64_t last_channel,
              const MobileNetV3Options& options = {});
  Tensor forward(const Tensor& input) override;
  const MobileNetV3Options& options() const { return options_; }

 private:
  MobileNetV3Options options_;
  // Called through the registry, so replacing a child (model.classifier = ...) takes effect.
  nn::Child<nn::Module> features_, avgpool_, classifier_;
};

// torchvision's _mobilenet_v3_conf at width 1.0: the block table and last_channel.
std::vector<InvertedResidualConfig> mobilenet_v3_setting(MobileNetV3Arch arch);
int64_t mobilenet_v3_last_channel(MobileNetV3Arch arch);

// 2,542,856 parameters with 1000 classes, like torchvision.models.mobilenet_v3_small().
std::shared_ptr<MobileNetV3> mobilenet_v3_small(const MobileNetV3Options& options = {});
// 5,483,032 parameters with 1000 classes, like torchvision.models.mobilenet_v3_large().
std::shared_ptr<MobileNetV3> mobilenet_v3_large(const MobileNetV3Options& options = {});

}  // namespace seek::models

// The YOLOv5 backbone (CSP: Conv + C3 stages, SPPF) and the FPN + PAN neck, children numbered by YOLOv5's yaml
// layer index so the state dict keys read like YOLOv5's ("backbone.4.m.0.cv1.conv.weight", "neck.17.cv3.bn.bias"),
// and the model that chains backbone -> neck -> head.
#include "seek/core/error.h"
#include "seek/core/shape_util.h"
#include "seek/models/yolo/yolo.h"
#include "seek/nn/upsample.h"
#include "seek/ops/shape.h"

namespace seek::models::yolo {

YoloBackbone::YoloBackbone(const YoloConfig& config) : Module("YoloBackbone") {
  const YoloConfig& c = config;
  const int64_t c1 = c.channels(64), c2 = c.channels(128), c3 = c.channels(256), c4 = c.channels(512),
                c5 = c.channels(1024);
  std::vector<std::shared_ptr<nn::Module>> layers{
      std::make_shared<Conv>(c.in_channels, c1, 6, 2, 2),  // 0: P1/2
      std::make_shared<Conv>(c1, c2, 3, 2),                // 1: P2/4
      std::make_shared<C3>(c2, c2, c.depth(3)),            // 2
      std::make_shared<Conv>(c2, c3, 3, 2),                // 3: P3/8
      std::make_shared<C3>(c3, c3, c.depth(6)),            // 4
      std::make_shared<Conv>(c3, c4, 3, 2),                // 5: P4/16
      std::make_shared<C3>(c4, c4, c.depth(9)),            // 6
      std::make_shared<Conv>(c4, c5, 3, 2),                // 7: P5/32
      std::make_shared<C3>(c5, c5, c.depth(3)),            // 8
      std::make_shared<SPPF>(c5, c5, 5),                   // 9
  };
  for (size_t i = 0; i < layers.size(); ++i) layers_.push_back(register_module(std::to_string(i), layers[i]));
  out_channels_ = {c3, c4, c5};
}

std::vector<Tensor> YoloBackbone::features(const Tensor& images) {
  std::vector<Tensor> out;
  Tensor x = images;
  for (size_t i = 0; i < layers_.size(); ++i) {
    x = layers_[i](x);
    if (i == 4 || i == 6 || i == 9) out.push_back(x);
  }
  return out;
}

YoloNeck::YoloNeck(const YoloConfig& config, const std::vector<int64_t>& in_channels) : Module("YoloNeck") {
  SEEK_CHECK_VALUE(in_channels.size() == 3, "YoloNeck: expected 3 input widths, got ", in_channels.size());
  const YoloConfig& c = config;
  const int64_t p3 = in_channels[0], p4 = in_channels[1], p5 = in_channels[2];
  const int64_t c256 = c.channels(256), c512 = c.channels(512), c1024 = c.channels(1024);
  const int64_t n = c.depth(3);
  auto up = [] { return std::make_shared<nn::Upsample>(std::nullopt, std::vector<double>{2.0}, "nearest"); };
  // Top-down (FPN): P5 -> P4 -> P3.
  l10_ = register_module("10", std::make_shared<Conv>(p5, c512, 1, 1));
  l11_ = register_module("11", up());
  l13_ = register_module("13", std::make_shared<C3>(c512 + p4, c512, n, false));
  l14_ = register_module("14", std::make_shared<Conv>(c512, c256, 1, 1));
  l15_ = register_module("15", up());
  l17_ = register_module("17", std::make_shared<C3>(c256 + p3, c256, n, false));  // P3 out
  // Bottom-up (PAN): P3 -> P4 -> P5.
  l18_ = register_module("18", std::make_shared<Conv>(c256, c256, 3, 2));
  l20_ = register_module("20", std::make_shared<C3>(c256 + c256, c512, n, false));  // P4 out
  l21_ = register_module("21", std::make_shared<Conv>(c512, c512, 3, 2));
  l23_ = register_module("23", std::make_shared<C3>(c512 + c512, c1024, n, false));  // P5 out
  out_channels_ = {c256, c512, c1024};
  auto attn = std::make_shared<nn::ModuleList>();
  for (int64_t ch : out_channels_) attn->push_back(make_attention(c.attention, ch));
  attn_ = register_module("attn", attn);
}

std::vector<Tensor> YoloNeck::features(const std::vector<Tensor>& f) {
  SEEK_CHECK_VALUE(f.size() == 3, "YoloNeck: expected 3 backbone features, got ", f.size());
  Tensor x10 = l10_(f[2]);
  Tensor x13 = l13_(cat({l11_(x10), f[1]}, 1));
  Tensor x14 = l14_(x13);
  Tensor p3 = l17_(cat({l15_(x14), f[0]}, 1));
  Tensor p4 = l20_(cat({l18_(p3), x14}, 1));
  Tensor p5 = l23_(cat({l21_(p4), x10}, 1));
  auto& attn = dynamic_cast<nn::ModuleList&>(*attn_.module());
  return {attn[0]->call(p3), attn[1]->call(p4), attn[2]->call(p5)};
}

YoloModel::YoloModel(YoloConfig config) : Module("YoloModel"), config_(std::move(config)) {
  config_.validate();
  auto backbone = std::make_shared<YoloBackbone>(config_);
  auto neck = std::make_shared<YoloNeck>(config_, backbone->out_channels());
  auto head = std::make_shared<YoloHead>(config_, neck->out_channels());
  backbone_ = register_module("backbone", backbone);
  neck_ = register_module("neck", neck);
  head_ = register_module("head", head);
}

YoloOutput YoloModel::forward(const Tensor& images, const YoloForwardOptions& options) {
  SEEK_CHECK_SHAPE(images.dim() == 4 && images.size(1) == config_.in_channels, "YoloModel: expected images [B, ",
                   config_.in_channels, ", H, W], got ", shape_str(images.sizes()));
  SEEK_CHECK_SHAPE(images.size(0) > 0 && images.size(2) > 0 && images.size(3) > 0 && images.size(2) % 32 == 0 &&
                       images.size(3) % 32 == 0,
                   "YoloModel: the image height and width must be positive multiples of 32 (the largest stride), "
                   "got images ",
                   shape_str(images.sizes()));
  SEEK_CHECK_DTYPE(images.is_floating_point(), "YoloModel: expected floating images, got ", images.dtype());
  // Typed through the registry (nn::Child<...>::operator-> checks the type), so a replaced child is used.
  nn::Child<YoloBackbone> backbone(backbone_);
  nn::Child<YoloNeck> neck(neck_);
  nn::Child<YoloHead> head(head_);
  return head->forward_features(neck->features(backbone->features(images)), options.keep_anchor_choices);
}

Tensor YoloModel::decode(const YoloOutput& out) const { return decode_predictions(out); }

const std::vector<AnchorChoice>& YoloModel::last_anchor_choices() const {
  return dynamic_cast<const YoloHead&>(*head_.module()).last_choices();
}

int64_t YoloModel::set_conv_bn_fused(bool fused) {
  int64_t n = 0;
  // (named_modules() on `this` needs shared_from_this, which a model on the stack has not: walk the children.)
  for (auto& top : children())
    for (auto& [name, module] : top->named_modules())
      if (auto* conv = dynamic_cast<Conv*>(module.get())) n += conv->set_conv_bn_fused(fused);
  return n;
}

}  // namespace seek::models::yolo

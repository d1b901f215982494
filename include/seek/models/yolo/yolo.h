#pragma once
// models::yolo: a YOLOv5-like one-stage detector (issue 18) with YOLOv5's module names, so the state dict
// reads familiar: "backbone.0.conv.weight", "backbone.2.cv1.bn.running_mean", "backbone.2.m.0.cv2.conv.weight",
// "backbone.9.cv2.conv.weight" (SPPF), "neck.13.cv3.conv.weight" (children numbered by YOLOv5's yaml layer
// index: 10..23), "neck.attn.0.fc1.weight", "head.m.0.box_pred.weight", "head.anchor_gen.0.conv.weight",
// "head.anchors".
//
//   backbone: Conv 6x6/2 -> Conv/2 -> C3 -> Conv/2 -> C3 (P3) -> Conv/2 -> C3 (P4) -> Conv/2 -> C3 -> SPPF (P5)
//   neck:     FPN top-down (1x1 Conv, Upsample, Concat, C3) then PAN bottom-up (3x3/2 Conv, Concat, C3),
//             an attention block (SE or light CBAM) on each of the three outputs
//   head:     per scale a decoupled head: 1x1 stem Conv, then a box branch (3x3 Conv -> 1x1 -> A x (4 + obj))
//             and a class branch (3x3 Conv -> 1x1 -> A x nc)
//   anchors:  fixed (the config's per-scale shapes) or dynamic: per scale an AnchorGenerator picks the top
//             num_anchors of anchor_candidates shapes per image from the pooled neck feature.
//
// Dynamic anchors and their gradients (AnchorGenerator): candidate c of a scale starts from base shape
// anchors[c % A] times a fixed "ring" factor (ring c / A: 1, then sqrt(2) larger, sqrt(2) smaller, 2x wider,
// 2x taller, ...) and moves to base * ring * exp(range * (2 * sigmoid(u) - 1)); its score is sigmoid(s). u and
// s come from GAP(feature) -> 1x1 conv, zero weights and zero shape biases, score bias -ring, so at init the
// ring-0 candidates (the base shapes themselves) win the top-k in every image. The chosen shapes are gathered
// (the gradient reaches u: the box loss through wh = (2 sigmoid(twh))^2 * anchor), sorted by area so slot a is
// the a-th smallest chosen anchor. The score gets its gradient by gating objectness: the head's objectness
// logit of slot a gets + log(score / score_at_init) = logsigmoid(s) + log 2 (0 at init), so a candidate whose
// slot finds objects in this image (objectness pushed up) gains score, and one that only sees background
// loses it. Fixed anchors have no gate.
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "seek/models/yolo/yolo_config.h"
#include "seek/nn/container.h"
#include "seek/nn/fused_conv_bn.h"
#include "seek/nn/module.h"

namespace seek::models::yolo {

struct YoloOutput {
  std::vector<Tensor> preds;    // per scale [B, A, H, W, 5 + nc] raw logits: (tx, ty, tw, th, obj, cls...)
  std::vector<Tensor> anchors;  // per scale [B, A, 2] anchor (w, h) in pixels (fixed: the same per image)
  std::vector<int64_t> strides;
};

// ---- building blocks (yolo_blocks.cpp) ----

// YOLOv5's Conv: Conv2d (no bias, "same" padding k / 2) -> "bn" BatchNorm2d (eps 1e-3, momentum 0.03) -> "act"
// SiLU. set_conv_bn_fused(true) runs conv + bn as one fused node (seek::conv_bn) followed by SiLU.
class Conv : public nn::Module, public nn::ConvBnFusable {
 public:
  Conv(int64_t in_channels, int64_t out_channels, int64_t kernel = 1, int64_t stride = 1, int64_t padding = -1);
  Tensor forward(const Tensor& input) override;
  int64_t set_conv_bn_fused(bool fused) override;

 private:
  nn::Child<nn::Module> conv_, bn_, act_;
  bool fused_ = false;
};

// cv1 (1x1, c2 * e) -> cv2 (3x3, c2), plus the input when shortcut and c1 == c2.
class Bottleneck : public nn::Module {
 public:
  Bottleneck(int64_t c1, int64_t c2, bool shortcut = true, double e = 0.5);
  Tensor forward(const Tensor& input) override;

 private:
  nn::Child<nn::Module> cv1_, cv2_;
  bool add_;
};

// CSP bottleneck with 3 convs: cv3(cat(m(cv1(x)), cv2(x))), m = n Bottlenecks of c2 / 2 channels.
class C3 : public nn::Module {
 public:
  C3(int64_t c1, int64_t c2, int64_t n = 1, bool shortcut = true, double e = 0.5);
  Tensor forward(const Tensor& input) override;

 private:
  nn::Child<nn::Module> cv1_, cv2_, cv3_, m_;
};

// Spatial pyramid pooling, fast: cv1 -> three chained k x k max pools (stride 1) -> cat of all four -> cv2.
class SPPF : public nn::Module {
 public:
  SPPF(int64_t c1, int64_t c2, int64_t k = 5);
  Tensor forward(const Tensor& input) override;

 private:
  nn::Child<nn::Module> cv1_, cv2_, m_;
};

// Light CBAM: channel attention as squeeze-excitation ("channel": fc1, fc2 over the average-pooled input), then
// spatial attention: sigmoid(7x7 conv ("spatial") of [mean over channels, max over channels]) times the input.
class CBAMLight : public nn::Module {
 public:
  CBAMLight(int64_t channels, int64_t squeeze_channels, int64_t kernel = 7);
  Tensor forward(const Tensor& input) override;

 private:
  nn::Child<nn::Module> channel_, spatial_;
};

// The neck's attention block for `kind` ("se": nn::SqueezeExcitation with SiLU inside, "cbam": CBAMLight, "none":
// Identity); squeeze channels max(8, channels / 16).
std::shared_ptr<nn::Module> make_attention(const std::string& kind, int64_t channels);

// ---- backbone and neck (yolo_backbone.cpp) ----

// Children "0".."9" as YOLOv5's backbone layers; features() returns P3 (stride 8), P4 (16), P5 (32).
class YoloBackbone : public nn::Module {
 public:
  explicit YoloBackbone(const YoloConfig& config);
  std::vector<Tensor> features(const Tensor& images);
  std::vector<int64_t> out_channels() const { return out_channels_; }  // of the layers 4, 6, 9

 private:
  std::vector<nn::Child<nn::Module>> layers_;
  std::vector<int64_t> out_channels_;
};

// FPN + PAN over the backbone's P3, P4, P5: children "10".."23" (YOLOv5's head layers; Upsample is "11" and
// "15", Concat has no module), and "attn" (ModuleList of three attention blocks on the outputs).
class YoloNeck : public nn::Module {
 public:
  YoloNeck(const YoloConfig& config, const std::vector<int64_t>& in_channels);
  std::vector<Tensor> features(const std::vector<Tensor>& backbone_features);
  std::vector<int64_t> out_channels() const { return out_channels_; }

 private:
  nn::Child<nn::Module> l10_, l11_, l13_, l14_, l15_, l17_, l18_, l20_, l21_, l23_, attn_;
  std::vector<int64_t> out_channels_;
};

// ---- head, anchor generator, decode (yolo_head.cpp) ----

// The per-image anchor choice of one scale.
struct AnchorChoice {
  Tensor candidates;  // [B, K, 2] candidate (w, h) in pixels
  Tensor scores;      // [B, K] sigmoid scores
  Tensor index;       // [B, A] int64: the chosen candidates, slot order (by area)
  Tensor anchors;     // [B, A, 2] the chosen shapes (gathered from candidates, differentiable)
  Tensor gate;        // [B, A] logsigmoid(score) + log 2: added to the objectness logits of the slots
};

// GAP -> 1x1 conv ("conv": K * 3 channels, (u_w, u_h, s) per candidate) -> sigmoid, top-k (see the file
// comment). Ring factors are a non-persistent buffer "ring" [K, 2] (log factors).
class AnchorGenerator : public nn::Module {
 public:
  AnchorGenerator(int64_t in_channels, int64_t num_anchors, int64_t num_candidates, double range);
  // feature [B, C, H, W]; base [A, 2] the scale's base shapes in pixels.
  AnchorChoice choose(const Tensor& feature, const Tensor& base);
  int64_t num_candidates() const { return num_candidates_; }

 private:
  nn::Child<nn::Module> pool_, conv_;
  int64_t num_anchors_, num_candidates_;
  double range_;
};

// One scale's decoupled head (YOLOX's, hidden = channels(256) at every scale): "stem" (1x1 Conv), "box_conv" (3x3 Conv) -> "box_pred" (1x1, A * 5, bias),
// "cls_conv" (3x3 Conv) -> "cls_pred" (1x1, A * nc, bias). forward -> [B, A, H, W, 5 + nc].
class DecoupledHead : public nn::Module {
 public:
  DecoupledHead(int64_t in_channels, int64_t hidden, int64_t num_anchors, int64_t num_classes);
  Tensor forward(const Tensor& input) override;
  // YOLOv5's _initialize_biases for this scale's stride at image_size.
  void initialize_biases(int64_t stride, int64_t image_size);

 private:
  nn::Child<nn::Module> stem_, box_conv_, box_pred_, cls_conv_, cls_pred_;
  int64_t num_anchors_, num_classes_;
};

// "m" (ModuleList of DecoupledHead per scale), "anchor_gen" (ModuleList of AnchorGenerator, dynamic only) and
// the persistent buffer "anchors" [nl, A, 2] (pixels: fixed anchors / base shapes, saved with the weights).
class YoloHead : public nn::Module {
 public:
  YoloHead(const YoloConfig& config, const std::vector<int64_t>& in_channels);
  // keep_choices: keep the anchor choices per scale (dynamic only) for last_choices().
  YoloOutput forward_features(const std::vector<Tensor>& features, bool keep_choices = false);
  const std::vector<AnchorChoice>& last_choices() const { return last_choices_; }

 private:
  YoloConfig config_;
  nn::Child<nn::Module> m_, anchor_gen_;
  std::vector<AnchorChoice> last_choices_;
};

// [B, N, 5 + nc], N = sum over scales of A * H * W in (scale, anchor, y, x) order, as YOLOv5's Detect in eval:
// xy = (sigmoid(txy) * 2 - 0.5 + grid) * stride; wh = (sigmoid(twh) * 2)^2 * anchor; sigmoid(obj), sigmoid(cls).
Tensor decode_predictions(const YoloOutput& out);

// ---- the model (yolo_backbone.cpp) ----

struct YoloForwardOptions {
  bool keep_anchor_choices = false;  // keep this forward's AnchorChoice per scale (last_anchor_choices())
};

class YoloModel : public nn::Module {  // YOLOv5-like child names: model.backbone..., neck, head
 public:
  explicit YoloModel(YoloConfig config);
  // images [B, in_channels, H, W], H and W multiples of 32 (ShapeError otherwise). (The options parameter also
  // keeps this from overriding Module's virtual Tensor forward(const Tensor&), which this return type cannot.)
  YoloOutput forward(const Tensor& images, const YoloForwardOptions& options = {});
  Tensor decode(const YoloOutput& out) const;  // decode_predictions
  const YoloConfig& config() const { return config_; }
  // The dynamic anchor choices of the last forward run with keep_anchor_choices (empty otherwise / fixed).
  const std::vector<AnchorChoice>& last_anchor_choices() const;
  // conv + batch norm of every Conv as one fused node (training and eval); returns the number of Convs.
  int64_t set_conv_bn_fused(bool fused);

 private:
  YoloConfig config_;
  nn::Child<nn::Module> backbone_, neck_, head_;
};

}  // namespace seek::models::yolo

// The decoupled detection head, the dynamic anchor generator (see yolo.h's file comment for the design and how
// the candidate scores get their gradient) and YOLOv5's decode. Everything is tensor ops, so it runs and
// differentiates on any device.
#include <cmath>

#include "seek/autograd/grad_mode.h"
#include "seek/core/error.h"
#include "seek/core/shape_util.h"
#include "seek/models/yolo/yolo.h"
#include "seek/nn/conv.h"
#include "seek/nn/init.h"
#include "seek/nn/pooling.h"
#include "seek/ops/activation.h"
#include "seek/ops/creation.h"
#include "seek/ops/shape.h"
#include "seek/ops/shape_extra.h"
#include "seek/ops/sort.h"

namespace seek::models::yolo {
namespace {

// Log factors (w, h) of candidate ring r: 0 is the base shape, then sqrt(2) larger, sqrt(2) smaller, 2x wider,
// 2x taller, repeating with doubled factors.
std::array<double, 2> ring_log_factor(int64_t ring) {
  if (ring == 0) return {0.0, 0.0};
  const double h = std::log(2.0) / 2.0 * static_cast<double>((ring - 1) / 4 + 1);
  switch ((ring - 1) % 4) {
    case 0: return {h, h};
    case 1: return {-h, -h};
    case 2: return {h, -h};
    default: return {-h, h};
  }
}

}  // namespace

AnchorGenerator::AnchorGenerator(int64_t in_channels, int64_t num_anchors, int64_t num_candidates, double range)
    : Module("AnchorGenerator"), num_anchors_(num_anchors), num_candidates_(num_candidates), range_(range) {
  SEEK_CHECK_VALUE(in_channels > 0 && num_anchors > 0 && num_candidates >= num_anchors && range > 0,
                   "AnchorGenerator: expected positive channels and anchors, num_candidates >= num_anchors and a ",
                   "positive range, got ", in_channels, ", ", num_anchors, ", ", num_candidates, ", ", range);
  pool_ = register_module("pool", std::make_shared<nn::AdaptiveAvgPool2d>(1));
  auto conv = std::make_shared<nn::Conv2d>(in_channels, num_candidates * 3, 1);
  std::vector<double> ring(static_cast<size_t>(num_candidates * 2)), bias(static_cast<size_t>(num_candidates * 3));
  std::vector<int64_t> base_index(static_cast<size_t>(num_candidates));
  for (int64_t c = 0; c < num_candidates; ++c) {
    const int64_t r = c / num_anchors;
    const auto f = ring_log_factor(r);
    ring[2 * c] = f[0];
    ring[2 * c + 1] = f[1];
    bias[3 * c + 2] = -static_cast<double>(r);  // score prior: ring 0 (the base shapes) wins at init
    base_index[c] = c % num_anchors;
  }
  {
    NoGradGuard no_grad;
    nn::init::zeros_(conv->weight());
    conv->bias().copy_(tensor<double>(bias, {num_candidates * 3}).to(conv->bias().dtype()));
  }
  conv_ = register_module("conv", conv);
  register_buffer("ring", tensor<double>(ring, {num_candidates, 2}).to(kFloat32), /*persistent=*/false);
  register_buffer("base_index", tensor<int64_t>(base_index, {num_candidates}), /*persistent=*/false);
}

AnchorChoice AnchorGenerator::choose(const Tensor& feature, const Tensor& base) {
  SEEK_CHECK_SHAPE(feature.dim() == 4, "AnchorGenerator: expected a feature [B, C, H, W], got ",
                   shape_str(feature.sizes()));
  SEEK_CHECK_SHAPE(base.dim() == 2 && base.size(0) == num_anchors_ && base.size(1) == 2,
                   "AnchorGenerator: expected base shapes [", num_anchors_, ", 2], got ", shape_str(base.sizes()));
  const int64_t B = feature.size(0), K = num_candidates_, A = num_anchors_;
  // The anchor arithmetic runs in the base shapes' dtype (the model's: f32 also under bf16 autocast).
  Tensor g = conv_(pool_(feature)).view({B, K, 3}).to(base.dtype());
  // Start shapes [K, 2]: the candidate's base shape times its ring factor.
  Tensor start = base.index_select(0, buffer("base_index")) * buffer("ring").to(base.dtype()).exp();
  Tensor shape_logits = g.narrow(2, 0, 2);
  Tensor score_logits = g.select(2, 2);
  AnchorChoice ch;
  ch.candidates = start.unsqueeze(0) * ((shape_logits.sigmoid() * 2.0 - 1.0) * range_).exp();
  ch.scores = score_logits.sigmoid();
  Tensor index;
  {
    NoGradGuard no_grad;
    index = std::get<1>(topk(score_logits.detach(), A, -1));
    // Slot order: by area, so slot a is this image's a-th smallest chosen anchor.
    Tensor area = ch.candidates.detach().prod(2).gather(1, index);
    index = index.gather(1, area.argsort(-1));
  }
  ch.index = index;
  ch.anchors = ch.candidates.gather(1, index.unsqueeze(2).expand({B, A, 2}));
  ch.gate = logsigmoid(score_logits).gather(1, index) + std::log(2.0);
  return ch;
}

DecoupledHead::DecoupledHead(int64_t in_channels, int64_t hidden, int64_t num_anchors, int64_t num_classes)
    : Module("DecoupledHead"), num_anchors_(num_anchors), num_classes_(num_classes) {
  stem_ = register_module("stem", std::make_shared<Conv>(in_channels, hidden, 1, 1));
  box_conv_ = register_module("box_conv", std::make_shared<Conv>(hidden, hidden, 3, 1));
  box_pred_ = register_module("box_pred", std::make_shared<nn::Conv2d>(hidden, num_anchors * 5, 1));
  cls_conv_ = register_module("cls_conv", std::make_shared<Conv>(hidden, hidden, 3, 1));
  cls_pred_ = register_module("cls_pred", std::make_shared<nn::Conv2d>(hidden, num_anchors * num_classes, 1));
}

void DecoupledHead::initialize_biases(int64_t stride, int64_t image_size) {
  // YOLOv5's _initialize_biases, on top of the default bias init: objectness for ~8 objects per image of
  // image_size, classes log(0.6 / (nc - 0.99)).
  NoGradGuard no_grad;
  const double cells = static_cast<double>(image_size) / static_cast<double>(stride);
  Tensor box = nn::Child<nn::Conv2d>(box_pred_)->bias().view({num_anchors_, 5});
  box.select(1, 4).add_(std::log(8.0 / (cells * cells)));
  nn::Child<nn::Conv2d>(cls_pred_)->bias().add_(std::log(0.6 / (static_cast<double>(num_classes_) - 0.99)));
}

Tensor DecoupledHead::forward(const Tensor& input) {
  const int64_t B = input.size(0), H = input.size(2), W = input.size(3);
  Tensor s = stem_(input);
  Tensor box = box_pred_(box_conv_(s)).view({B, num_anchors_, 5, H, W});
  Tensor cls = cls_pred_(cls_conv_(s)).view({B, num_anchors_, num_classes_, H, W});
  return cat({box, cls}, 2).permute({0, 1, 3, 4, 2}).contiguous();
}

YoloHead::YoloHead(const YoloConfig& config, const std::vector<int64_t>& in_channels)
    : Module("YoloHead"), config_(config) {
  const auto anchors = config.resolved_anchors();
  const auto nl = static_cast<int64_t>(config.strides.size());
  SEEK_CHECK_VALUE(static_cast<int64_t>(in_channels.size()) == nl, "YoloHead: expected ", nl, " input widths, got ",
                   in_channels.size());
  const int64_t A = config.num_anchors;
  auto m = std::make_shared<nn::ModuleList>();
  for (int64_t i = 0; i < nl; ++i) {
    // YOLOX's decoupled head width: the same hidden width (the reference 256 channels) at every scale.
    auto branch = std::make_shared<DecoupledHead>(in_channels[i], config.channels(256), A, config.num_classes);
    branch->initialize_biases(config.strides[i], config.image_size);
    m->push_back(branch);
  }
  m_ = register_module("m", m);
  if (config.dynamic_anchors) {
    auto gen = std::make_shared<nn::ModuleList>();
    for (int64_t i = 0; i < nl; ++i)
      gen->push_back(
          std::make_shared<AnchorGenerator>(in_channels[i], A, config.anchor_candidates, config.anchor_range));
    anchor_gen_ = register_module("anchor_gen", gen);
  }
  std::vector<double> flat;
  for (const auto& scale : anchors)
    for (const auto& wh : scale) flat.insert(flat.end(), {wh[0], wh[1]});
  register_buffer("anchors", tensor<double>(flat, {nl, A, 2}).to(kFloat32));
}

YoloOutput YoloHead::forward_features(const std::vector<Tensor>& features, bool keep_choices) {
  const auto nl = static_cast<int64_t>(config_.strides.size());
  SEEK_CHECK_VALUE(static_cast<int64_t>(features.size()) == nl, "YoloHead: expected ", nl, " features, got ",
                   features.size());
  auto& m = dynamic_cast<nn::ModuleList&>(*m_.module());
  const int64_t A = config_.num_anchors, no = 5 + config_.num_classes;
  YoloOutput out;
  out.strides = config_.strides;
  last_choices_.clear();
  for (int64_t i = 0; i < nl; ++i) {
    const Tensor& f = features[i];
    const int64_t B = f.size(0);
    Tensor pred = m[i]->call(f);
    Tensor base = buffer("anchors").select(0, i);
    if (anchor_gen_) {
      auto& gen = dynamic_cast<AnchorGenerator&>(*dynamic_cast<nn::ModuleList&>(*anchor_gen_.module())[i]);
      AnchorChoice ch = gen.choose(f, base);
      // The score's gate on the objectness logit (channel 4) of each slot, broadcast over the cells.
      Tensor obj_channel = zeros({no}, TensorOptions(pred.dtype()).device(pred.device()));
      obj_channel.narrow(0, 4, 1).fill_(1.0);
      pred = pred + ch.gate.view({B, A, 1, 1, 1}) * obj_channel;
      out.anchors.push_back(ch.anchors);
      if (keep_choices) last_choices_.push_back(std::move(ch));
    } else {
      out.anchors.push_back(base.unsqueeze(0).expand({B, A, 2}).contiguous());
    }
    out.preds.push_back(pred);
  }
  return out;
}

Tensor decode_predictions(const YoloOutput& out) {
  SEEK_CHECK_VALUE(
      !out.preds.empty() && out.preds.size() == out.anchors.size() && out.preds.size() == out.strides.size(),
      "decode: expected as many preds, anchors and strides (at least one), got ", out.preds.size(), ", ",
      out.anchors.size(), ", ", out.strides.size());
  std::vector<Tensor> scales;
  for (size_t i = 0; i < out.preds.size(); ++i) {
    // bf16 / f16 logits (autocast) decode in f32: pixel coordinates need the precision.
    const bool reduced = out.preds[i].dtype() == kBFloat16 || out.preds[i].dtype() == kFloat16;
    const Tensor p = reduced ? out.preds[i].to(kFloat32) : out.preds[i];
    SEEK_CHECK_SHAPE(p.dim() == 5 && p.size(4) > 5, "decode: expected preds[", i, "] [B, A, H, W, 5 + nc], got ",
                     shape_str(p.sizes()));
    const int64_t B = p.size(0), A = p.size(1), H = p.size(2), W = p.size(3), no = p.size(4);
    SEEK_CHECK_SHAPE(out.anchors[i].dim() == 3 && out.anchors[i].size(0) == B && out.anchors[i].size(1) == A &&
                         out.anchors[i].size(2) == 2,
                     "decode: expected anchors[", i, "] [", B, ", ", A, ", 2], got ",
                     shape_str(out.anchors[i].sizes()));
    const auto stride = static_cast<double>(out.strides[i]);
    const TensorOptions opts = TensorOptions(p.dtype()).device(p.device());
    // grid [H, W, 2] of (x, y) cell indices.
    auto yx = meshgrid({arange(H, opts), arange(W, opts)}, "ij");
    Tensor grid = stack({yx[1], yx[0]}, 2);
    Tensor s = p.sigmoid();
    Tensor xy = (s.narrow(4, 0, 2) * 2.0 - 0.5 + grid) * stride;
    Tensor wh = (s.narrow(4, 2, 2) * 2.0).square() * out.anchors[i].to(p.dtype()).view({B, A, 1, 1, 2});
    scales.push_back(cat({xy, wh, s.narrow(4, 4, no - 4)}, 4).view({B, A * H * W, no}));
  }
  return cat(scales, 1);
}

}  // namespace seek::models::yolo

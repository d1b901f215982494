// models::yolo::YoloModel: output shapes per scale for both sizes, YOLOv5-like names and widths, decode on
// hand-set logits, fixed and dynamic anchors (dynamic starts at the base shapes; top-k selection and slot
// order), gradchecks through the head and the anchor generator, state_dict round trip, bias init, the fused
// conv + batch norm path, and bad input / config errors.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "seek/models/yolo/yolo.h"
#include "seek/ops/gradcheck.h"
#include "seek/seek.h"
#include "support/test_util.h"

using namespace seek;
using namespace seek::models::yolo;

namespace {

std::map<std::string, Shape> key_shapes(const nn::Module& m) {
  std::map<std::string, Shape> out;
  for (auto& [name, t] : m.state_dict()) out[name] = t.sizes();
  return out;
}

// Anchors for 128x128 images, per scale sorted by area.
std::vector<std::vector<std::array<double, 2>>> test_anchors() {
  return {{{6, 8}, {10, 14}, {16, 12}}, {{20, 30}, {28, 22}, {34, 40}}, {{44, 52}, {60, 48}, {80, 90}}};
}

YoloConfig nano(bool dynamic = true) {
  YoloConfig c = YoloConfig::nano(10);
  c.anchors = test_anchors();
  c.dynamic_anchors = dynamic;
  return c;
}

double max_abs_diff(const Tensor& a, const Tensor& b) { return (a - b).abs().max().item<double>(); }

}  // namespace

TEST(YoloModel, NanoOutputShapesPerScale) {
  manual_seed(0);
  YoloModel model(nano());
  YoloOutput out = model.forward(rand({2, 3, 128, 96}));
  ASSERT_EQ(out.preds.size(), 3u);
  ASSERT_EQ(out.anchors.size(), 3u);
  EXPECT_EQ(out.strides, (std::vector<int64_t>{8, 16, 32}));
  const int64_t hw[3][2] = {{16, 12}, {8, 6}, {4, 3}};
  for (int s = 0; s < 3; ++s) {
    EXPECT_EQ(out.preds[s].sizes(), (Shape{2, 3, hw[s][0], hw[s][1], 15})) << s;
    EXPECT_EQ(out.anchors[s].sizes(), (Shape{2, 3, 2})) << s;
  }
  Tensor d = model.decode(out);
  EXPECT_EQ(d.sizes(), (Shape{2, 3 * (16 * 12 + 8 * 6 + 4 * 3), 15}));
}

TEST(YoloModel, SmallOutputShapesPerScale) {
  manual_seed(0);
  YoloConfig c = YoloConfig::small(3);
  c.num_anchors = 2;
  c.anchor_candidates = 5;
  c.anchors = {{{10, 13}, {16, 30}}, {{30, 61}, {62, 45}}, {{116, 90}, {156, 198}}};
  YoloModel model(c);
  model.eval();
  YoloOutput out = model.forward(rand({1, 3, 64, 64}));
  for (int s = 0; s < 3; ++s) {
    const int64_t g = 64 / (8 << s);
    EXPECT_EQ(out.preds[s].sizes(), (Shape{1, 2, g, g, 8})) << s;
    EXPECT_EQ(out.anchors[s].sizes(), (Shape{1, 2, 2})) << s;
  }
  EXPECT_EQ(model.decode(out).sizes(), (Shape{1, 2 * (64 + 16 + 4), 8}));
}

TEST(YoloModel, YoloV5LikeNamesAndWidths) {
  YoloModel n(nano());
  auto k = key_shapes(n);
  // YOLOv5n's layer widths at 0.25 (capped at 512 * 0.25 = 128), kernel 6 stem, one bottleneck per C3.
  EXPECT_EQ(k.at("backbone.0.conv.weight"), (Shape{16, 3, 6, 6}));
  EXPECT_EQ(k.at("backbone.0.bn.running_mean"), (Shape{16}));
  EXPECT_EQ(k.at("backbone.1.conv.weight"), (Shape{32, 16, 3, 3}));
  EXPECT_EQ(k.at("backbone.2.cv1.conv.weight"), (Shape{16, 32, 1, 1}));
  EXPECT_EQ(k.at("backbone.2.m.0.cv2.conv.weight"), (Shape{16, 16, 3, 3}));
  EXPECT_EQ(k.count("backbone.4.m.1.cv1.conv.weight"), 0u);
  EXPECT_EQ(k.at("backbone.7.conv.weight"), (Shape{128, 128, 3, 3}));
  EXPECT_EQ(k.at("backbone.9.cv1.conv.weight"), (Shape{64, 128, 1, 1}));   // SPPF
  EXPECT_EQ(k.at("backbone.9.cv2.conv.weight"), (Shape{128, 256, 1, 1}));  // cat of 4
  EXPECT_EQ(k.at("neck.10.conv.weight"), (Shape{128, 128, 1, 1}));
  EXPECT_EQ(k.at("neck.13.cv1.conv.weight"), (Shape{64, 256, 1, 1}));
  EXPECT_EQ(k.at("neck.17.cv3.conv.weight"), (Shape{64, 64, 1, 1}));
  EXPECT_EQ(k.at("neck.18.conv.weight"), (Shape{64, 64, 3, 3}));
  EXPECT_EQ(k.at("neck.23.cv3.bn.weight"), (Shape{128}));
  EXPECT_EQ(k.at("neck.attn.0.fc1.weight"), (Shape{8, 64, 1, 1}));
  EXPECT_EQ(k.at("head.m.0.stem.conv.weight"), (Shape{64, 64, 1, 1}));
  EXPECT_EQ(k.at("head.m.2.stem.conv.weight"), (Shape{64, 128, 1, 1}));  // YOLOX: hidden 256 * 0.25 everywhere
  EXPECT_EQ(k.at("head.m.2.box_conv.conv.weight"), (Shape{64, 64, 3, 3}));
  EXPECT_EQ(k.at("head.m.0.box_pred.weight"), (Shape{15, 64, 1, 1}));
  EXPECT_EQ(k.at("head.m.2.cls_pred.bias"), (Shape{30}));
  EXPECT_EQ(k.at("head.anchor_gen.1.conv.weight"), (Shape{18, 128, 1, 1}));
  EXPECT_EQ(k.at("head.anchors"), (Shape{3, 3, 2}));
  EXPECT_EQ(k.count("head.anchor_gen.0.ring"), 0u);                                          // non-persistent
  for (auto& [name, shape] : k) EXPECT_EQ(name.find("neck.11"), std::string::npos) << name;  // Upsample: no state
  const std::string repr = n.repr();
  for (const char* word : {"YoloBackbone", "SPPF", "C3", "Bottleneck", "YoloNeck", "Upsample", "DecoupledHead",
                           "AnchorGenerator", "SqueezeExcitation"})
    EXPECT_NE(repr.find(word), std::string::npos) << word;

  // YOLOv5s widths and depths (C3 at layer 6 of the yaml has 9 * 0.33 = 3 bottlenecks).
  YoloConfig sc = YoloConfig::small(80);
  sc.dynamic_anchors = false;
  auto ks = key_shapes(YoloModel(sc));
  EXPECT_EQ(ks.at("backbone.0.conv.weight"), (Shape{32, 3, 6, 6}));
  EXPECT_EQ(ks.at("backbone.9.cv2.conv.weight"), (Shape{512, 1024, 1, 1}));
  EXPECT_EQ(ks.count("backbone.6.m.2.cv1.conv.weight"), 1u);
  EXPECT_EQ(ks.count("backbone.6.m.3.cv1.conv.weight"), 0u);
  EXPECT_EQ(ks.count("head.anchor_gen.0.conv.weight"), 0u);
}

TEST(YoloModel, AttentionVariants) {
  YoloConfig c = nano();
  c.attention = "cbam";
  YoloModel cbam(c);
  auto k = key_shapes(cbam);
  EXPECT_EQ(k.at("neck.attn.1.channel.fc1.weight"), (Shape{8, 128, 1, 1}));
  EXPECT_EQ(k.at("neck.attn.1.spatial.weight"), (Shape{1, 2, 7, 7}));
  EXPECT_EQ(cbam.forward(rand({1, 3, 64, 64})).preds[0].sizes(), (Shape{1, 3, 8, 8, 15}));
  c.attention = "none";
  YoloModel none(c);
  none.eval();  // one image with a 1x1 P5: batch norm needs running statistics
  for (auto& [name, shape] : key_shapes(none)) EXPECT_EQ(name.find("attn"), std::string::npos) << name;
  EXPECT_EQ(none.forward(rand({1, 3, 32, 32})).preds[2].sizes(), (Shape{1, 3, 1, 1, 15}));
}

TEST(YoloModel, DecodeHandSetLogits) {
  // Two scales: stride 8 with a 2x3 grid and 2 anchors, stride 16 with 1x2 and 2 anchors; nc = 1.
  YoloOutput out;
  out.strides = {8, 16};
  out.preds = {zeros({1, 2, 2, 3, 6}), zeros({1, 2, 1, 2, 6})};
  out.anchors = {tensor<float>({4, 6, 10, 12}, {1, 2, 2}), tensor<float>({20, 30, 40, 50}, {1, 2, 2})};
  const double l3 = std::log(3.0);  // sigmoid = 0.75
  // scale 0, anchor 1, cell (y 1, x 2): tx = ln 3, ty = -ln 3, tw = ln 3, th = 0, obj = 0, cls = ln 3.
  float* p = out.preds[0].data_ptr<float>();
  const int64_t at = ((1 * 2 + 1) * 3 + 2) * 6;
  p[at + 0] = static_cast<float>(l3);
  p[at + 1] = static_cast<float>(-l3);
  p[at + 2] = static_cast<float>(l3);
  p[at + 5] = static_cast<float>(l3);
  // scale 1, anchor 0, cell (0, 1): th = -ln 3 (sigmoid 0.25).
  out.preds[1].data_ptr<float>()[1 * 6 + 3] = static_cast<float>(-l3);

  Tensor d = decode_predictions(out);
  ASSERT_EQ(d.sizes(), (Shape{1, 2 * 6 + 2 * 2, 6}));
  auto row = [&](int64_t i) { return to_vector<float>(d.select(1, i).squeeze(0)); };
  // (scale 0, anchor 1, y 1, x 2) is row 1 * 6 + 1 * 3 + 2 = 11.
  auto r = row(11);
  EXPECT_NEAR(r[0], (0.75 * 2 - 0.5 + 2) * 8, 1e-5);  // 24
  EXPECT_NEAR(r[1], (0.25 * 2 - 0.5 + 1) * 8, 1e-5);  // 8
  EXPECT_NEAR(r[2], 1.5 * 1.5 * 10, 1e-4);            // 22.5
  EXPECT_NEAR(r[3], 1.0 * 12, 1e-5);
  EXPECT_NEAR(r[4], 0.5, 1e-6);
  EXPECT_NEAR(r[5], 0.75, 1e-6);
  // An all-zero cell: the centre of its cell, the anchor itself. (scale 0, anchor 0, y 0, x 1) = row 1.
  r = row(1);
  EXPECT_NEAR(r[0], 1.5 * 8, 1e-5);
  EXPECT_NEAR(r[1], 0.5 * 8, 1e-5);
  EXPECT_NEAR(r[2], 4, 1e-5);
  EXPECT_NEAR(r[3], 6, 1e-5);
  // (scale 1, anchor 0, y 0, x 1) = row 12 + 1.
  r = row(13);
  EXPECT_NEAR(r[0], 1.5 * 16, 1e-5);
  EXPECT_NEAR(r[1], 0.5 * 16, 1e-5);
  EXPECT_NEAR(r[2], 20, 1e-5);
  EXPECT_NEAR(r[3], 0.5 * 0.5 * 30, 1e-5);
  // Per-image anchors: the second scale's anchor 1 of row 15 is (40, 50).
  r = row(15);
  EXPECT_NEAR(r[2], 40, 1e-5);
  EXPECT_NEAR(r[3], 50, 1e-5);

  YoloOutput bad = out;
  bad.anchors.pop_back();
  EXPECT_SEEK_ERROR(decode_predictions(bad), ValueError, "as many preds, anchors and strides");
  bad = out;
  bad.anchors[0] = zeros({1, 3, 2});
  EXPECT_SEEK_ERROR(decode_predictions(bad), ShapeError, "anchors[0] [1, 2, 2]");
}

TEST(YoloModel, FixedAnchorsAreTheConfigsForEveryImage) {
  manual_seed(1);
  YoloModel model(nano(false));
  YoloOutput out = model.forward(rand({3, 3, 64, 64}));
  const auto a = test_anchors();
  for (int s = 0; s < 3; ++s)
    for (int64_t b = 0; b < 3; ++b)
      for (int64_t i = 0; i < 3; ++i)
        for (int64_t j = 0; j < 2; ++j)
          EXPECT_EQ(out.anchors[s][b][i][j].item<double>(), a[s][i][j]) << s << b << i << j;
  EXPECT_TRUE(model.last_anchor_choices().empty());
}

TEST(YoloModel, DynamicStartsAtTheBaseAnchors) {
  manual_seed(2);
  YoloModel dynamic(nano(true));
  YoloModel fixed(nano(false));
  fixed.load_state_dict(dynamic.state_dict(), /*strict=*/false);  // everything but the anchor generators
  dynamic.eval();
  fixed.eval();
  Tensor x = rand({2, 3, 64, 64});
  YoloOutput d = dynamic.forward(x, {.keep_anchor_choices = true});
  YoloOutput f = fixed.forward(x);
  for (int s = 0; s < 3; ++s) {
    EXPECT_EQ(max_abs_diff(d.anchors[s], f.anchors[s]), 0.0) << s;  // exactly the base shapes
    EXPECT_LT(max_abs_diff(d.preds[s], f.preds[s]), 1e-6) << s;     // the gate starts at 0
    const AnchorChoice& ch = dynamic.last_anchor_choices()[s];
    EXPECT_EQ(ch.candidates.sizes(), (Shape{2, 6, 2}));
    EXPECT_EQ(to_vector<int64_t>(ch.index), (std::vector<int64_t>{0, 1, 2, 0, 1, 2}));
    // The other candidates are the ring-1 shapes: sqrt(2) x the base shapes.
    EXPECT_NEAR(ch.candidates[1][4][0].item<double>(), test_anchors()[s][1][0] * std::sqrt(2.0), 1e-4);
    EXPECT_NEAR(ch.candidates[1][4][1].item<double>(), test_anchors()[s][1][1] * std::sqrt(2.0), 1e-4);
  }
}

TEST(YoloModel, AnchorGeneratorTopKPerImage) {
  // 4 feature channels, 2 anchors, 5 candidates: bases (10, 10) and (20, 40); candidates 0..4 have bases
  // 0, 1, 0, 1, 0 and rings 0, 0, 1, 1, 2 (x sqrt(2), x sqrt(2), x 1/sqrt(2)).
  AnchorGenerator gen(4, 2, 5, 1.0);
  auto& conv = dynamic_cast<nn::Conv2d&>(*gen.child("conv"));
  {
    NoGradGuard no_grad;
    // Score logits: image-independent biases rank 4 > 1 > 0 > 2 > 3, and feature channel 0 adds 10 to
    // candidate 3's score: it wins in the image whose channel 0 is 1.
    std::vector<float> b(15, 0.0f);
    b[0 * 3 + 2] = 1.0f;
    b[1 * 3 + 2] = 2.0f;
    b[2 * 3 + 2] = 0.5f;
    b[3 * 3 + 2] = 0.0f;
    b[4 * 3 + 2] = 3.0f;
    b[4 * 3 + 0] = static_cast<float>(std::log(3.0));  // candidate 4's width: sigmoid 0.75 -> x e^0.5
    conv.bias().copy_(tensor<float>(b, {15}));
    Tensor w = zeros({15, 4, 1, 1});
    w.data_ptr<float>()[(3 * 3 + 2) * 4 + 0] = 10.0f;
    conv.weight().copy_(w);
  }
  Tensor feature = zeros({2, 4, 3, 3});
  feature.select(0, 1).select(0, 0).fill_(1.0);
  Tensor base = tensor<float>({10, 10, 20, 40}, {2, 2});
  AnchorChoice ch = gen.choose(feature, base);
  // Image 0: top 2 = {4, 1}; areas: 4 -> (10 / sqrt2 * e^.5) x (10 / sqrt2) ~ 82, 1 -> 800: slot order 4, 1.
  // Image 1: top 2 = {3, 4}; 3 -> 20 sqrt2 x 40 sqrt2 = 1600: slot order 4, 3.
  EXPECT_EQ(to_vector<int64_t>(ch.index), (std::vector<int64_t>{4, 1, 4, 3}));
  const double w4 = 10 / std::sqrt(2.0) * std::exp(0.5), h4 = 10 / std::sqrt(2.0);
  const std::vector<double> expected{w4, h4, 20, 40, w4, h4, 20 * std::sqrt(2.0), 40 * std::sqrt(2.0)};
  auto got = to_vector<float>(ch.anchors);
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], expected[i], 1e-4) << i;
  // The gate is logsigmoid(score logit) + log 2 of the chosen candidates.
  auto gate = to_vector<float>(ch.gate);
  auto ls = [](double z) { return -std::log1p(std::exp(-z)) + std::log(2.0); };
  EXPECT_NEAR(gate[0], ls(3.0), 1e-5);
  EXPECT_NEAR(gate[1], ls(2.0), 1e-5);
  EXPECT_NEAR(gate[2], ls(3.0), 1e-5);
  EXPECT_NEAR(gate[3], ls(10.0), 1e-5);
  EXPECT_NEAR(ch.scores[1][3].item<double>(), 1.0 / (1.0 + std::exp(-10.0)), 1e-6);

  EXPECT_SEEK_ERROR(gen.choose(feature, zeros({3, 2})), ShapeError, "base shapes [2, 2]");
  EXPECT_SEEK_ERROR(AnchorGenerator(4, 3, 2, 1.0), ValueError, "num_candidates >= num_anchors");
}

TEST(YoloModel, GradcheckThroughHeadAndAnchorGenerator) {
  // A tiny head in float64: 2 classes, 2 anchors of 3 candidates, 4-channel features; eval mode (batch norm
  // from running statistics). The function runs the head and decodes, so the check covers the decoupled
  // branches, the generator's shapes (through the anchors and decode's wh) and its scores (through the gate).
  manual_seed(3);
  YoloConfig c;
  c.num_classes = 2;
  c.num_anchors = 2;
  c.anchor_candidates = 3;
  c.image_size = 64;
  c.anchors = {{{6, 8}, {10, 14}}, {{20, 30}, {28, 22}}, {{44, 52}, {60, 48}}};
  auto head = std::make_shared<YoloHead>(c, std::vector<int64_t>{4, 4, 4});
  head->to(kFloat64);
  head->eval();
  std::vector<Tensor> params;
  Tensor gen_bias;  // anchor_gen.0.conv.bias
  for (auto& [name, t] : head->named_parameters()) {
    if (name == "anchor_gen.0.conv.bias") gen_bias = t;
    // Random generator weights so that the choice depends on the input; the gradcheck inputs are these
    // tensors themselves (gradcheck perturbs them in place).
    if (name.find("anchor_gen") != std::string::npos) {
      NoGradGuard no_grad;
      t.copy_(seek::testing::uniform_tensor(t.sizes(), -0.8, 0.8, kFloat64, 11 + params.size()));
      params.push_back(t);
    } else if (name == "m.0.box_pred.weight" || name == "m.1.cls_pred.weight" || name == "m.2.stem.conv.weight") {
      params.push_back(t);
    }
  }
  ASSERT_EQ(params.size(), 9u);  // 3 generators x (weight, bias) + 3 head tensors
  std::vector<Tensor> inputs;
  const int64_t hw[3] = {4, 2, 1};
  for (int s = 0; s < 3; ++s) {
    Tensor f = seek::testing::uniform_tensor({2, 4, hw[s], hw[s]}, -1.0, 1.0, kFloat64, 100 + s);
    f.set_requires_grad(true);
    inputs.push_back(f);
  }
  inputs.insert(inputs.end(), params.begin(), params.end());
  auto fn = [&](const std::vector<Tensor>& in) {
    YoloOutput out = head->forward_features({in[0], in[1], in[2]});
    std::vector<Tensor> parts{decode_predictions(out).flatten()};
    for (auto& a : out.anchors) parts.push_back(a.flatten());
    return cat(parts, 0);
  };
  auto r = autograd::gradcheck(fn, inputs, 1e-6, 1e-6, 1e-4);
  EXPECT_TRUE(r.ok) << r.message;

  // The scores really get a gradient (through the gate): d(sum of objectness logits) / d(score biases).
  YoloOutput out = head->forward_features({inputs[0], inputs[1], inputs[2]});
  Tensor obj = out.preds[0].narrow(4, 4, 1).sum();
  auto g = autograd::grad({obj}, {gen_bias});
  auto gv = to_vector<double>(g[0].view({3, 3}).select(1, 2));
  int nonzero = 0;
  for (double v : gv) nonzero += v != 0.0;
  EXPECT_GE(nonzero, 2);  // the two chosen candidates of each image
}

TEST(YoloModel, EveryParameterGetsAGradient) {
  manual_seed(4);
  YoloModel model(nano());
  YoloOutput out = model.forward(rand({2, 3, 64, 64}));
  Tensor loss = zeros({});
  for (auto& p : out.preds) loss = loss + p.square().mean();
  for (auto& a : out.anchors) loss = loss + a.mean();
  loss.backward();
  for (auto& [name, t] : model.named_parameters()) {
    ASSERT_TRUE(t.grad().defined()) << name;
    EXPECT_GT(t.grad().abs().sum().item<double>(), 0.0) << name;
  }
}

TEST(YoloModel, StateDictRoundTrip) {
  manual_seed(5);
  YoloConfig c = nano();
  YoloModel a(c);
  YoloModel b(c);
  Tensor x = rand({2, 3, 64, 64});
  a.train();
  a.forward(x);  // moves the running statistics away from their init
  {
    NoGradGuard no_grad;  // and the anchor generators away from zero
    for (auto& [name, t] : a.named_parameters())
      if (name.find("anchor_gen") != std::string::npos) t.copy_(rand(t.sizes()) * 0.2 - 0.1);
    a.child("head")->buffer("anchors").mul_(1.25);
  }
  b.load_state_dict(a.state_dict());
  a.eval();
  b.eval();
  YoloOutput oa = a.forward(x), ob = b.forward(x);
  for (int s = 0; s < 3; ++s) {
    EXPECT_EQ(max_abs_diff(oa.preds[s], ob.preds[s]), 0.0) << s;
    EXPECT_EQ(max_abs_diff(oa.anchors[s], ob.anchors[s]), 0.0) << s;
  }
  auto ka = key_shapes(a), kb = key_shapes(b);
  EXPECT_EQ(ka, kb);
}

TEST(YoloModel, BiasInitAsYoloV5) {
  manual_seed(6);
  YoloModel model(nano());
  auto sd = model.state_dict();
  std::map<std::string, Tensor> m(sd.begin(), sd.end());
  const int64_t strides[3] = {8, 16, 32}, widths[3] = {64, 64, 64};  // the head's hidden width
  for (int s = 0; s < 3; ++s) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(widths[s]));  // the default bias init's range
    const double cells = 128.0 / static_cast<double>(strides[s]);
    auto box = to_vector<float>(m.at("head.m." + std::to_string(s) + ".box_pred.bias"));
    for (int a = 0; a < 3; ++a) {
      EXPECT_NEAR(box[a * 5 + 4], std::log(8.0 / (cells * cells)), bound) << s;
      EXPECT_NEAR(box[a * 5 + 0], 0.0, bound) << s;
    }
    for (float v : to_vector<float>(m.at("head.m." + std::to_string(s) + ".cls_pred.bias")))
      EXPECT_NEAR(v, std::log(0.6 / (10 - 0.99)), bound) << s;
  }
}

TEST(YoloModel, FusedConvBnMatchesUnfused) {
  manual_seed(7);
  YoloModel a(nano()), b(nano());
  b.load_state_dict(a.state_dict());
  EXPECT_EQ(b.set_conv_bn_fused(true), 60);  // backbone 27, neck 24, head 9
  Tensor x = rand({2, 3, 64, 64});
  YoloOutput oa = a.forward(x), ob = b.forward(x);  // training mode: batch statistics
  for (int s = 0; s < 3; ++s) EXPECT_LT(max_abs_diff(oa.preds[s], ob.preds[s]), 1e-3) << s;
  // The running statistics moved the same way.
  auto running_var = [](YoloModel& m) { return m.child("backbone")->child("0")->child("bn")->buffer("running_var"); };
  EXPECT_GT(max_abs_diff(running_var(a), ones({16})), 1e-3);
  EXPECT_LT(max_abs_diff(running_var(a), running_var(b)), 1e-5);
}

TEST(YoloModel, BadInputErrors) {
  YoloModel model(nano());
  EXPECT_SEEK_ERROR_ALL(model.forward(rand({1, 3, 100, 128})), ShapeError, {"multiples of 32", "[1, 3, 100, 128]"});
  EXPECT_SEEK_ERROR_ALL(model.forward(rand({1, 1, 128, 128})), ShapeError, {"expected images [B, 3, H, W]", "[1, 1"});
  EXPECT_SEEK_ERROR(model.forward(rand({3, 128, 128})), ShapeError, "expected images [B, 3, H, W]");
  EXPECT_SEEK_ERROR(model.forward(zeros({1, 3, 64, 64}, kInt64)), DTypeError, "floating images");

  YoloConfig c = nano();
  c.anchors[1].pop_back();
  EXPECT_SEEK_ERROR(YoloModel{c}, ValueError, "anchors[1] has 2 shapes, expected num_anchors = 3");
  c = nano();
  c.attention = "transformer";
  EXPECT_SEEK_ERROR(YoloModel{c}, ValueError, "attention must be");
  c = nano();
  c.anchor_candidates = 2;
  EXPECT_SEEK_ERROR(YoloModel{c}, ValueError, "anchor_candidates (2) must be at least num_anchors (3)");
  c = nano();
  c.strides = {8, 16, 64};
  EXPECT_SEEK_ERROR(YoloModel{c}, ValueError, "strides must be {8, 16, 32}");
  c = nano();
  c.anchors.clear();
  c.num_anchors = 2;
  EXPECT_SEEK_ERROR(YoloModel{c}, ValueError, "give `anchors`");
  c = nano();
  c.anchors[0][2] = {5, 0};
  EXPECT_SEEK_ERROR(YoloModel{c}, ValueError, "anchors[0][2] must have a positive width and height");
}

TEST(YoloModel, DefaultAnchorsScaleWithImageSize) {
  YoloConfig c = YoloConfig::nano(2);
  auto a = c.resolved_anchors();
  EXPECT_NEAR(a[0][0][0], 2.0, 1e-12);   // YOLOv5's (10, 13) at 640 -> 128
  EXPECT_NEAR(a[2][2][1], 65.2, 1e-12);  // (373, 326)
  EXPECT_EQ(YoloConfig::small(2).resolved_anchors()[1][1], (std::array<double, 2>{62, 45}));
}

TEST(YoloModel, AutocastKeepsAnchorsAndDecodeInFloat32) {
  for (bool dynamic : {true, false}) {
    manual_seed(8);
    YoloConfig c = nano(dynamic);
    c.anchors[1][2] = {33.3, 41.7};  // not a bf16 value
    YoloModel model(c);
    model.eval();
    YoloOutput out;
    Tensor decoded;
    {
      amp::AutocastGuard guard(DeviceType::CPU, kBFloat16);
      out = model.forward(rand({1, 3, 64, 64}));
      decoded = model.decode(out);
    }
    // Fixed: the raw logits come out of the bf16 convs; dynamic: the f32 gate promotes them.
    EXPECT_EQ(out.preds[0].dtype(), dynamic ? kFloat32 : kBFloat16);
    EXPECT_EQ(decoded.dtype(), kFloat32);
    EXPECT_EQ(out.anchors[1].dtype(), kFloat32);
    EXPECT_EQ(out.anchors[1][0][2][0].item<float>(), 33.3f) << dynamic;  // exactly the base shape
    EXPECT_EQ(out.anchors[1][0][2][1].item<float>(), 41.7f) << dynamic;
  }
}

TEST(YoloModel, FitsOneBatchWithTheAnchorGeneratorTraining) {
  // Objectness BCE towards one "object" cell per image at stride 8 plus a pull of every chosen anchor towards
  // 1.5x its base shape: SGD steps lower both, so the head, the gate and the generator's shapes all train.
  manual_seed(9);
  YoloModel model(nano(true));
  Tensor x = rand({2, 3, 64, 64});
  Tensor target = zeros({2, 3, 8, 8});
  target.select(0, 0).select(1, 2).select(1, 5).fill_(1.0);
  target.select(0, 1).select(1, 6).select(1, 1).fill_(1.0);
  const Tensor want = tensor<float>({9, 12, 15, 21, 24, 18}, {1, 3, 2});  // 1.5 x the P3 base shapes
  optim::SGD opt(model.parameters(), optim::SGDOptions(0.05).momentum_(0.9));
  auto losses = [&] {
    YoloOutput out = model.forward(x);
    Tensor obj = nn::functional::binary_cross_entropy_with_logits(out.preds[0].select(4, 4), target);
    Tensor shape = (out.anchors[0] / want).log().square().mean();
    return std::make_pair(obj, shape);
  };
  auto [obj0, shape0] = losses();
  for (int i = 0; i < 30; ++i) {
    opt.zero_grad();
    auto [obj, shape] = losses();
    (obj + shape).backward();
    opt.step();
  }
  auto [obj1, shape1] = losses();
  EXPECT_LT(obj1.item<double>(), 0.5 * obj0.item<double>());
  EXPECT_LT(shape1.item<double>(), 0.5 * shape0.item<double>());
}

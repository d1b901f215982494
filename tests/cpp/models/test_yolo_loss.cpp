// YoloLoss (YOLOv5's ComputeLoss): the ratio assignment on hand-made targets (anchors by shape ratio,
// the own cell and the two nearest neighbours, the grid's edges, per-image anchors), SimOTA on
// hand-made predictions (dynamic k, the class cost, conflicts), the loss by hand on a one-match case,
// gradcheck of the loss (float64) including the anchors' gradient, a tiny conv head fitting one batch,
// and bad inputs.
#include <gtest/gtest.h>

#include <array>
#include <fstream>
#include <sstream>
#include <cmath>
#include <string>
#include <vector>

#include "seek/models/yolo/yolo_loss.h"
#include "seek/seek.h"

using namespace seek;
using seek::models::yolo::YoloLoss;
using seek::models::yolo::YoloLossOptions;
using seek::models::yolo::YoloOutput;

namespace {

using Anchors = std::vector<std::array<double, 2>>;

// One scale per stride; preds zero (or given), the same anchors for every image unless per_image given.
YoloOutput make_output(int64_t batch, int64_t nc, int64_t image, const std::vector<int64_t>& strides,
                       const std::vector<Anchors>& anchors, DType dt = kFloat32) {
  YoloOutput out;
  for (size_t i = 0; i < strides.size(); ++i) {
    const int64_t g = image / strides[i], na = static_cast<int64_t>(anchors[i].size());
    out.preds.push_back(zeros({batch, na, g, g, 5 + nc}, dt));
    std::vector<double> an;
    for (int64_t b = 0; b < batch; ++b)
      for (auto& wh : anchors[i]) an.insert(an.end(), {wh[0], wh[1]});
    out.anchors.push_back(tensor(an, {batch, na, 2}).to(dt));
    out.strides.push_back(strides[i]);
  }
  return out;
}

Tensor targets_of(const std::vector<std::array<double, 6>>& rows) {
  std::vector<double> v;
  for (auto& r : rows) v.insert(v.end(), r.begin(), r.end());
  return tensor(v, {static_cast<int64_t>(rows.size()), 6}).to(kFloat32);
}

// (b, a, gj, gi) of every match of scale i, in order.
std::vector<std::array<int64_t, 4>> cells(const YoloLoss::Assigned& as, size_t i) {
  auto b = to_vector<int64_t>(as.b[i]), a = to_vector<int64_t>(as.a[i]);
  auto gj = to_vector<int64_t>(as.gj[i]), gi = to_vector<int64_t>(as.gi[i]);
  std::vector<std::array<int64_t, 4>> r;
  for (size_t k = 0; k < b.size(); ++k) r.push_back({b[k], a[k], gj[k], gi[k]});
  return r;
}

YoloLossOptions opts(int64_t nc, std::vector<double> balance = {1.0}) {
  YoloLossOptions o;
  o.num_classes = nc;
  o.balance = std::move(balance);
  return o;
}

}  // namespace

TEST(YoloAssignRatio, AnchorsByShapeAndTheTwoNeighbourCells) {
  // 64x64 image, one scale at stride 8 (8x8 grid), anchors 1x1, 2x2 and 8x4 cells.
  YoloOutput out = make_output(1, 3, 64, {8}, {{{8, 8}, {16, 16}, {64, 32}}});
  // centre (2.4, 4.4) cells, 2x2 cells: anchors 0 (ratio 2) and 1 (ratio 1) match, anchor 2's ratio is
  // 8/2 = 4, not below anchor_t = 4. The centre is in the left/upper half of cell (4, 2): the left
  // (4, 1) and upper (3, 2) neighbours are added.
  Tensor t = targets_of({{0, 2, 2.4 / 8, 4.4 / 8, 0.25, 0.25}});
  YoloLoss loss(opts(3));
  auto as = loss.assign(out, t, 64);
  using C = std::array<int64_t, 4>;
  EXPECT_EQ(cells(as, 0),
            (std::vector<C>{{0, 0, 4, 2}, {0, 1, 4, 2}, {0, 0, 4, 1}, {0, 1, 4, 1}, {0, 0, 3, 2}, {0, 1, 3, 2}}));
  auto tbox = to_vector<float>(as.tbox[0]);
  const std::vector<float> want{0.4f, 0.4f, 2, 2, 0.4f, 0.4f, 2, 2, 1.4f, 0.4f, 2, 2,
                                1.4f, 0.4f, 2, 2, 0.4f, 1.4f, 2, 2, 0.4f, 1.4f, 2, 2};
  ASSERT_EQ(tbox.size(), want.size());
  for (size_t k = 0; k < want.size(); ++k) EXPECT_NEAR(tbox[k], want[k], 1e-5) << k;
  EXPECT_EQ(to_vector<float>(as.anch[0]), (std::vector<float>{1, 1, 2, 2, 1, 1, 2, 2, 1, 1, 2, 2}));
  EXPECT_EQ(to_vector<int64_t>(as.tcls[0]), (std::vector<int64_t>(6, 2)));

  // centre (6.7, 5.8): the right (5, 7) and lower (6, 6) neighbours; one anchor (2x2 cells)
  auto as2 = loss.assign(out, targets_of({{0, 1, 6.7 / 8, 5.8 / 8, 2.0 / 8, 2.0 / 8}}), 64);
  EXPECT_EQ(cells(as2, 0),
            (std::vector<C>{{0, 0, 5, 6}, {0, 1, 5, 6}, {0, 0, 5, 7}, {0, 1, 5, 7}, {0, 0, 6, 6}, {0, 1, 6, 6}}));
}

TEST(YoloAssignRatio, GridEdges) {
  YoloOutput out = make_output(1, 2, 64, {8}, {{{16, 16}}});
  YoloLoss loss(opts(2));
  using C = std::array<int64_t, 4>;
  // centre (0.4, 7.76): in the left half but no cell to the left (gx < 1), in the lower half but no
  // cell below (8 - gy < 1): only its own cell
  auto as = loss.assign(out, targets_of({{0, 0, 0.4 / 8, 7.76 / 8, 0.25, 0.25}}), 64);
  EXPECT_EQ(cells(as, 0), (std::vector<C>{{0, 0, 7, 0}}));
  // centre exactly on the right border (gx = 8): cell 8 is clamped to 7 (YOLOv5 clamps the indices),
  // and the left neighbour is cell 7 too; the x offset is 8 - 7 = 1
  auto edge = loss.assign(out, targets_of({{0, 0, 1.0, 3.5 / 8, 0.25, 0.25}}), 64);
  EXPECT_EQ(cells(edge, 0), (std::vector<C>{{0, 0, 3, 7}, {0, 0, 3, 7}}));
  EXPECT_NEAR(to_vector<float>(edge.tbox[0])[0], 1.0f, 1e-6);
}

TEST(YoloAssignRatio, PerImageAnchorsAndScales) {
  // two scales (strides 8, 16 on 64x64); image 1's anchors are 4x larger than image 0's
  YoloOutput out = make_output(2, 1, 64, {8, 16}, {{{8, 8}}, {{32, 32}}});
  out.anchors[0] = tensor(std::vector<float>{8, 8, 32, 32}, {2, 1, 2});
  out.anchors[1] = tensor(std::vector<float>{32, 32, 128, 128}, {2, 1, 2});
  YoloLossOptions o = opts(1, {1.0, 1.0});
  YoloLoss loss(o);
  // an 8 px box centred at (2.5, 2.5) cells of scale 0: at .5 of its cell, so no neighbour cells
  Tensor t =
      targets_of({{0, 0, 20.0 / 64, 20.0 / 64, 8.0 / 64, 8.0 / 64}, {1, 0, 20.0 / 64, 20.0 / 64, 8.0 / 64, 8.0 / 64}});
  auto as = loss.assign(out, t, 64);
  // scale 0: image 0 anchor 8 px (ratio 1) matches, image 1 anchor 32 px (ratio 4) does not;
  // scale 1: image 0 anchor 32 px (ratio 4) does not; image 1 anchor 128 px does not
  using C = std::array<int64_t, 4>;
  EXPECT_EQ(cells(as, 0), (std::vector<C>{{0, 0, 2, 2}}));
  EXPECT_EQ(as.b[1].size(0), 0);
  // the anchor of a match is the match's own image's anchor, in grid units
  for (float v : to_vector<float>(as.anch[0])) EXPECT_EQ(v, 1.0f);
}

TEST(YoloAssignSimOta, DynamicKAndClassCost) {
  // 32x32 image, stride 8 (4x4 grid), one 8 px anchor, zero logits: every prediction is an 8x8 box at
  // its cell centre. Target: 8x8 box centred at (1.5, 1.5) cells = cell (1, 1) exactly.
  YoloOutput out = make_output(1, 2, 32, {8}, {{{8, 8}}});
  // cells (1, 2) and (2, 1) shifted a quarter cell towards the target: IoU 0.6 each
  const double shift = std::log(0.125 / 0.875);  // sigmoid * 2 - 0.5 = -0.25
  Tensor p = out.preds[0];
  p.index_put_({0, 0, 1, 2, 0}, scalar_tensor(shift));
  p.index_put_({0, 0, 2, 1, 1}, scalar_tensor(shift));
  p.index_put_({0, 0, 2, 1, 5}, scalar_tensor(3.0));  // (2, 1) is surer of class 0: cheaper
  YoloLossOptions o = opts(2);
  o.assigner = "simota";
  YoloLoss loss(o);
  auto as = loss.assign(out, targets_of({{0, 0, 1.5 / 4, 1.5 / 4, 0.25, 0.25}}), 32);
  // IoUs 1, 0.6, 0.6, zeros -> dynamic k = floor(2.2) = 2: the perfect cell and the cheaper 0.6 one
  using C = std::array<int64_t, 4>;
  EXPECT_EQ(cells(as, 0), (std::vector<C>{{0, 0, 1, 1}, {0, 0, 2, 1}}));
  auto tbox = to_vector<float>(as.tbox[0]);
  EXPECT_NEAR(tbox[0], 0.5, 1e-6);
  EXPECT_NEAR(tbox[4], 0.5, 1e-6);   // x offset in cell (2, 1)
  EXPECT_NEAR(tbox[5], -0.5, 1e-6);  // y offset: the centre is half a cell above cell row 2
  EXPECT_NEAR(tbox[6], 1.0, 1e-6);
}

TEST(YoloAssignSimOta, ConflictGoesToTheCheaperTarget) {
  YoloOutput out = make_output(1, 1, 32, {8}, {{{8, 8}}});
  YoloLossOptions o = opts(1);
  o.assigner = "simota";
  YoloLoss loss(o);
  // both targets' best cell is (1, 1): IoU 1 for the first, 0.82 for the second, which then gets nothing
  auto as =
      loss.assign(out, targets_of({{0, 0, 1.5 / 4, 1.5 / 4, 0.25, 0.25}, {0, 0, 1.6 / 4, 1.5 / 4, 0.25, 0.25}}), 32);
  using C = std::array<int64_t, 4>;
  EXPECT_EQ(cells(as, 0), (std::vector<C>{{0, 0, 1, 1}}));
  EXPECT_NEAR(to_vector<float>(as.tbox[0])[0], 0.5, 1e-6);  // the first target's offset
}

TEST(YoloLoss, OneMatchByHand) {
  // one scale, stride 8 on 16x16 (2x2 grid), one anchor, 2 classes, zero logits; target at the centre of
  // cell (0, 0), the anchor's size: the decoded box equals the target -> IoU 1, no box loss.
  YoloOutput out = make_output(1, 2, 16, {8}, {{{8, 8}}});
  YoloLossOptions o = opts(2);
  o.scale_hyp = false;
  o.box = 1, o.obj = 1, o.cls = 1;
  YoloLoss loss(o);
  auto items = loss(out, targets_of({{0, 1, 4.0 / 16, 4.0 / 16, 0.5, 0.5}}));
  // the centre is at .5 of the cell: no neighbour (needs < .5), so one match
  EXPECT_NEAR(items.box, 0.0, 1e-6);
  // objectness: 4 cells at logit 0, target 1 at one (IoU 1), 0 elsewhere: BCE = log 2 for each
  EXPECT_NEAR(items.obj, std::log(2.0), 1e-6);
  EXPECT_NEAR(items.cls, std::log(2.0), 1e-6);  // two class logits at 0 against (0, 1)
  EXPECT_NEAR(items.loss.item<double>(), items.box + items.obj + items.cls, 1e-6);

  // objectness target = IoU (here 1) at the matched cell; label smoothing 0.2: class targets 0.1, 0.9
  auto bce = [](double x, double t) { return std::max(x, 0.0) - x * t + std::log1p(std::exp(-std::abs(x))); };
  out.preds[0].index_put_({0, 0, 0, 0, 4}, scalar_tensor(2.0));
  out.preds[0].index_put_({0, 0, 0, 0, 5}, scalar_tensor(1.0));
  out.preds[0].index_put_({0, 0, 0, 0, 6}, scalar_tensor(-1.0));
  o.label_smoothing = 0.2;
  auto smoothed = YoloLoss(o)(out, targets_of({{0, 1, 4.0 / 16, 4.0 / 16, 0.5, 0.5}}));
  EXPECT_NEAR(smoothed.obj, (bce(2.0, 1.0) + 3 * std::log(2.0)) / 4, 1e-5);
  EXPECT_NEAR(smoothed.cls, (bce(1.0, 0.1) + bce(-1.0, 0.9)) / 2, 1e-6);

  // the gains follow YOLOv5's train.py scaling with scale_hyp
  YoloLossOptions s = opts(10, {4.0, 1.0, 0.4});
  auto g = YoloLoss(s).gains(3, 128);
  EXPECT_NEAR(g[0], 0.05, 1e-12);
  EXPECT_NEAR(g[1], 1.0 * 0.04, 1e-12);
  EXPECT_NEAR(g[2], 0.5 * 10.0 / 80.0, 1e-12);
  EXPECT_NEAR(YoloLoss(s).gains(2, 640)[0], 0.05 * 1.5, 1e-12);
}

TEST(YoloLoss, NoTargetsLeavesOnlyObjectness) {
  YoloOutput out = make_output(2, 3, 32, {8, 16}, {{{8, 8}}, {{16, 16}}});
  out.preds[0].fill_(-1.0);
  for (auto& p : out.preds) p.requires_grad_();
  for (const std::string assigner : {"ratio", "simota"}) {
    YoloLossOptions o = opts(3, {4.0, 1.0});
    o.assigner = assigner;
    o.scale_hyp = false;
    auto items = YoloLoss(o)(out, zeros({0, 6}));
    EXPECT_EQ(items.box, 0.0);
    EXPECT_EQ(items.cls, 0.0);
    // all-zero objectness targets: BCE(-1, 0) = log(1 + e^-1) on scale 0 (weight 4), log 2 on scale 1
    EXPECT_NEAR(items.obj, 4 * std::log1p(std::exp(-1.0)) + std::log(2.0), 1e-6) << assigner;
    items.loss.backward();
    EXPECT_TRUE(out.preds[0].grad().defined());
    for (auto& p : out.preds) p.set_grad(Tensor());
  }
}

TEST(YoloLoss, BoxLossIsOneMinusCiouOfTheDecodedBox) {
  YoloOutput out = make_output(1, 1, 16, {8}, {{{8, 8}}});
  out.preds[0].index_put_({0, 0, 0, 0, 0}, scalar_tensor(0.7));
  out.preds[0].index_put_({0, 0, 0, 0, 3}, scalar_tensor(-0.4));
  YoloLossOptions o = opts(1);
  o.scale_hyp = false;
  o.box = 1;
  YoloLoss loss(o);
  auto items = loss(out, targets_of({{0, 0, 4.0 / 16, 4.0 / 16, 0.5, 0.5}}));
  auto sig = [](double x) { return 1 / (1 + std::exp(-x)); };
  Tensor pbox = tensor(std::vector<double>{sig(0.7) * 2 - 0.5, 0.5, 1.0, std::pow(sig(-0.4) * 2, 2)}, {4});
  Tensor tbox = tensor(std::vector<double>{0.5, 0.5, 1.0, 1.0}, {4});
  EXPECT_NEAR(items.box, 1 - vision::bbox_iou(pbox, tbox).item<double>(), 1e-5);
}

TEST(YoloLoss, GradcheckThroughPredictionsAndAnchors) {
  // float64, two scales, two images with different anchors, three classes, label smoothing; DIoU
  // (CIoU's alpha and the IoU objectness target are constants YOLOv5 does not differentiate, so the
  // finite differences would see them: iou_ratio 0 makes the objectness target 1).
  manual_seed(3);
  YoloOutput out = make_output(2, 3, 32, {8, 16}, {{{6, 9}, {12, 10}}, {{14, 20}, {30, 26}}}, kFloat64);
  out.anchors[0] = tensor(std::vector<double>{6, 9, 12, 10, 7, 7, 10, 14}, {2, 2, 2});
  for (auto& p : out.preds) p = randn(p.sizes(), kFloat64) * 0.5;
  Tensor t = targets_of({{0, 1, 0.30, 0.42, 0.31, 0.28}, {1, 2, 0.71, 0.55, 0.22, 0.40}, {1, 0, 0.12, 0.83, 0.6, 0.5}});
  for (auto type : {vision::IouType::DIoU, vision::IouType::GIoU}) {
    YoloLossOptions o = opts(3, {4.0, 1.0});
    o.iou_type = type;
    o.iou_ratio = 0.0;
    o.label_smoothing = 0.1;
    YoloLoss loss(o);
    ASSERT_GT(loss.assign(out, t, 32).b[0].size(0), 0);
    std::vector<Tensor> in{out.preds[0].clone().requires_grad_(), out.preds[1].clone().requires_grad_(),
                           out.anchors[0].clone().requires_grad_(), out.anchors[1].clone().requires_grad_()};
    auto res = autograd::gradcheck(
        [&](const std::vector<Tensor>& x) {
          YoloOutput o2{{x[0], x[1]}, {x[2], x[3]}, out.strides};
          return loss(o2, t).loss;
        },
        in);
    EXPECT_TRUE(res.ok) << vision::iou_type_name(type) << ": " << res.message;
  }
}

namespace {

// A tiny detector head: three stride-2 convs to stride 8, then a 1x1 conv to A * (5 + nc) per cell.
struct TinyHead {
  nn::Conv2d c1{3, 8, 3, 2, 1}, c2{8, 8, 3, 2, 1}, c3{8, 8, 3, 2, 1}, head{8, 2 * 7, 1};
  std::vector<Tensor> parameters() const {
    std::vector<Tensor> p;
    for (const nn::Module* m : {static_cast<const nn::Module*>(&c1), static_cast<const nn::Module*>(&c2),
                                static_cast<const nn::Module*>(&c3), static_cast<const nn::Module*>(&head)})
      for (auto& t : m->parameters()) p.push_back(t);
    return p;
  }
  YoloOutput forward(const Tensor& x, const Tensor& anchors) {
    Tensor h = nn::functional::silu(c1(x));
    h = nn::functional::silu(c2(h));
    h = nn::functional::silu(c3(h));
    Tensor p = head(h);  // [B, A * 7, 4, 4]
    const int64_t B = p.size(0);
    p = p.view({B, 2, 7, 4, 4}).permute({0, 1, 3, 4, 2});
    return YoloOutput{{p}, {anchors}, {8}};
  }
};

double fit(const std::string& assigner) {
  manual_seed(11);
  TinyHead net;
  Tensor images = rand({2, 3, 32, 32});
  Tensor anchors = tensor(std::vector<float>{8, 8, 16, 12, 8, 8, 16, 12}, {2, 2, 2});
  Tensor targets = targets_of({{0, 0, 0.3, 0.3, 0.25, 0.25}, {0, 1, 0.7, 0.6, 0.5, 0.4}, {1, 1, 0.5, 0.5, 0.3, 0.3}});
  YoloLossOptions o = opts(2);
  o.assigner = assigner;
  YoloLoss loss(o);
  optim::Adam opt(net.parameters(), optim::AdamOptions(0.01));
  double first = 0, last = 0;
  for (int step = 0; step < 80; ++step) {
    auto items = loss(net.forward(images, anchors), targets);
    if (step == 0) first = items.loss.item<double>();
    last = items.loss.item<double>();
    opt.zero_grad();
    items.loss.backward();
    opt.step();
  }
  return last / first;
}

}  // namespace

TEST(YoloLoss, TinyHeadFitsOneBatchRatio) { EXPECT_LT(fit("ratio"), 0.5); }

TEST(YoloLoss, TinyHeadFitsOneBatchSimOta) { EXPECT_LT(fit("simota"), 0.5); }

TEST(YoloLoss, BadInputs) {
  YoloOutput out = make_output(2, 3, 32, {8}, {{{8, 8}}});
  YoloLoss loss(opts(3));
  auto expect_error = [&](const Tensor& t, const std::string& words) {
    try {
      loss(out, t);
      ADD_FAILURE() << "no error for " << words;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
    }
  };
  expect_error(zeros({2, 5}), "[T, 6]");
  expect_error(targets_of({{0, 3, 0.5, 0.5, 0.1, 0.1}}), "class 3");
  expect_error(targets_of({{0, 1.5, 0.5, 0.5, 0.1, 0.1}}), "class 1.5");
  expect_error(targets_of({{2, 0, 0.5, 0.5, 0.1, 0.1}}), "batch index 2");
  expect_error(targets_of({{0, 0, 0.5, 0.5, 0.0, 0.1}}), "non-positive size");
  expect_error(targets_of({{0, 0, 16, 16, 8, 8}}), "not normalised");
  EXPECT_THROW(loss(out, zeros({3})), ShapeError);

  Tensor ok = targets_of({{0, 0, 0.5, 0.5, 0.1, 0.1}});
  YoloOutput wrong_nc = make_output(2, 4, 32, {8}, {{{8, 8}}});
  EXPECT_THROW(loss(wrong_nc, ok), ShapeError);
  YoloOutput wrong_anchors = out;
  wrong_anchors.anchors[0] = ones({2, 3, 2});
  EXPECT_THROW(loss(wrong_anchors, ok), ShapeError);
  EXPECT_THROW(loss.assign(out, ok, 64), ValueError);  // 4x4 at stride 8 does not cover 64
  YoloLossOptions two = opts(3, {4.0, 1.0});
  EXPECT_THROW(YoloLoss{two}(out, ok), ValueError);  // balance has 2 weights, 1 scale
  YoloLossOptions bad = opts(3);
  bad.assigner = "atss";
  EXPECT_THROW(YoloLoss{bad}, ValueError);
}

namespace {

std::vector<float> floats(const io::json::Value& v) {
  std::vector<float> r;
  for (const auto& x : v.as_array()) r.push_back(static_cast<float>(x.as_double()));
  return r;
}

}  // namespace

// Parity with a PyTorch transcription of YOLOv5's ComputeLoss (gen_yolo_loss_ref.py beside this file):
// loss, items, matches per scale and the gradients to predictions and (per-image) anchors.
TEST(YoloLoss, MatchesYolov5Reference) {
  std::ifstream f(std::string(SEEK_SOURCE_DIR) + "/tests/cpp/models/yolo_loss_ref.json");
  ASSERT_TRUE(f.good()) << "missing yolo_loss_ref.json";
  std::stringstream text;
  text << f.rdbuf();
  const io::json::Value root = io::json::parse(text.str());
  int checked = 0;
  for (const auto& c : root.find("cases")->as_array()) {
    const int64_t B = c.find("batch")->as_int64(), A = c.find("num_anchors")->as_int64();
    const int64_t nc = c.find("num_classes")->as_int64(), S = c.find("image_size")->as_int64();
    YoloOutput out;
    for (const auto& s : c.find("strides")->as_array()) out.strides.push_back(s.as_int64());
    const size_t nl = out.strides.size();
    for (size_t i = 0; i < nl; ++i) {
      const int64_t g = S / out.strides[i];
      out.preds.push_back(tensor(floats(c.find("preds")->as_array()[i]), {B, A, g, g, 5 + nc}).requires_grad_());
      out.anchors.push_back(tensor(floats(c.find("anchors")->as_array()[i]), {B, A, 2}).requires_grad_());
    }
    const auto tv = floats(*c.find("targets"));
    Tensor targets = tensor(tv, {static_cast<int64_t>(tv.size() / 6), 6});
    YoloLossOptions o = opts(nc, nl == 3 ? std::vector<double>{4.0, 1.0, 0.4} : std::vector<double>{4.0, 1.0});
    o.iou_type = vision::iou_type_from_string(c.find("iou_type")->as_string());
    o.label_smoothing = c.find("label_smoothing")->as_double();
    YoloLoss loss(o);
    const auto counts = c.find("counts")->as_array();
    auto as = loss.assign(out, targets, S);
    for (size_t i = 0; i < nl; ++i) EXPECT_EQ(as.b[i].size(0), counts[i].as_int64()) << "scale " << i;
    auto items = loss(out, targets);
    const double want = c.find("loss")->as_double();
    EXPECT_NEAR(items.loss.item<double>(), want, 2e-5 * std::abs(want));
    const auto parts = c.find("items")->as_array();
    EXPECT_NEAR(items.box, parts[0].as_double(), 1e-6);
    EXPECT_NEAR(items.obj, parts[1].as_double(), 1e-6);
    EXPECT_NEAR(items.cls, parts[2].as_double(), 1e-6);
    items.loss.backward();
    for (size_t i = 0; i < nl; ++i) {
      for (auto [got, key] :
           {std::pair{out.preds[i].grad(), "grad_preds"}, std::pair{out.anchors[i].grad(), "grad_anchors"}}) {
        ASSERT_TRUE(got.defined()) << key;
        const auto g = to_vector<float>(got), w = floats(c.find(key)->as_array()[i]);
        ASSERT_EQ(g.size(), w.size());
        for (size_t k = 0; k < g.size(); ++k)
          EXPECT_NEAR(g[k], w[k], 1e-6 + 1e-4 * std::abs(w[k])) << key << " " << i << " " << k;
      }
    }
    ++checked;
  }
  EXPECT_EQ(checked, 3);
}

// The loss is tensor ops plus host bookkeeping: on a CUDA device (the simulated one in the sim build)
// it gives the CPU's loss and gradients, with either assigner.
TEST(YoloLoss, SameOnCudaAsOnCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  manual_seed(5);
  YoloOutput out = make_output(2, 4, 64, {8, 16, 32}, {{{8, 8}}, {{16, 16}}, {{32, 32}}});
  for (size_t i = 0; i < 3; ++i) {
    out.preds[i] = randn({2, 3, 64 / out.strides[i], 64 / out.strides[i], 9});
    out.anchors[i] = rand({2, 3, 2}) * (8.0 * static_cast<double>(i + 1)) + 4.0;
  }
  Tensor t = targets_of({{0, 1, 0.3, 0.4, 0.2, 0.3}, {1, 3, 0.7, 0.6, 0.3, 0.25}, {1, 0, 0.5, 0.5, 0.1, 0.1}});
  for (const std::string assigner : {"ratio", "simota"}) {
    YoloLossOptions o = opts(4, {4.0, 1.0, 0.4});
    o.assigner = assigner;
    o.label_smoothing = 0.1;
    YoloLoss loss(o);
    YoloOutput c = out, g = out;
    for (auto& p : c.preds) p = p.clone().requires_grad_();
    for (auto& p : g.preds) p = p.to(kCUDA).requires_grad_();
    for (auto& a : g.anchors) a = a.to(kCUDA);
    auto lc = loss(c, t), lg = loss(g, t.to(kCUDA));
    EXPECT_TRUE(lg.loss.is_cuda());
    EXPECT_NEAR(lc.loss.item<double>(), lg.loss.item<double>(), 1e-5) << assigner;
    lc.loss.backward();
    lg.loss.backward();
    for (size_t i = 0; i < 3; ++i)
      EXPECT_LT((c.preds[i].grad() - g.preds[i].grad().cpu()).abs().max().item<double>(), 1e-6) << assigner << i;
  }
}

// torchvision.ops-style box functions (seek/vision/boxes.h): the IoU family against values worked
// out by hand, format conversions, clipping, small-box removal, undoing a letterbox, gradients and
// errors.
#include <cmath>
#include <numbers>

#include "seek/vision/boxes.h"
#include "support/test_util.h"

namespace seek::vision {
namespace {

Tensor boxes64(std::vector<double> v) {
  const int64_t n = static_cast<int64_t>(v.size() / 4);
  return tensor(v, Shape{n, 4}, TensorOptions(kFloat64));
}

void expect_near_all(const Tensor& t, const std::vector<double>& want, double tol) {
  const auto got = to_vector<double>(t);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "element " << i;
}

double v_term(double w1, double h1, double w2, double h2) {
  const double d = std::atan(w1 / h1) - std::atan(w2 / h2);
  return 4.0 / (std::numbers::pi * std::numbers::pi) * d * d;
}

// a0 = (0,0,2,2), a1 = (0,0,4,2); b0 = (1,1,3,3), b1 = (1,0,3,4). Worked out by hand:
//   a0-b0: inter 1, union 7, enclosing 3x3;  a0-b1: inter 2, union 10, enclosing 3x4;
//   a1-b0: inter 2, union 10, enclosing 4x3; a1-b1: inter 4, union 12, enclosing 4x4.
// Centre distances^2: 2, 2, 1, 1.
const Tensor& a_boxes() {
  static const Tensor t = boxes64({0, 0, 2, 2, 0, 0, 4, 2});
  return t;
}
const Tensor& b_boxes() {
  static const Tensor t = boxes64({1, 1, 3, 3, 1, 0, 3, 4});
  return t;
}

TEST(BoxIou, HandComputedPairs) { expect_near_all(box_iou(a_boxes(), b_boxes()), {1.0 / 7, 0.2, 0.2, 1.0 / 3}, 1e-15); }

TEST(BoxIou, GeneralizedHandComputed) {
  // IoU - (enclosing - union) / enclosing
  expect_near_all(generalized_box_iou(a_boxes(), b_boxes()),
                  {1.0 / 7 - 2.0 / 9, 0.2 - 2.0 / 12, 0.2 - 2.0 / 12, 1.0 / 3 - 4.0 / 16}, 1e-15);
}

TEST(BoxIou, DistanceHandComputed) {
  // IoU - centre distance^2 / enclosing diagonal^2 (eps 0 for exact values; default eps 1e-7)
  const std::vector<double> want{1.0 / 7 - 2.0 / 18, 0.2 - 2.0 / 25, 0.2 - 1.0 / 25, 1.0 / 3 - 1.0 / 32};
  expect_near_all(distance_box_iou(a_boxes(), b_boxes(), 0.0), want, 1e-15);
  expect_near_all(distance_box_iou(a_boxes(), b_boxes()), want, 1e-8);
}

TEST(BoxIou, CompleteHandComputed) {
  const double iou[4] = {1.0 / 7, 0.2, 0.2, 1.0 / 3};
  const double diou[4] = {1.0 / 7 - 2.0 / 18, 0.2 - 2.0 / 25, 0.2 - 1.0 / 25, 1.0 / 3 - 1.0 / 32};
  // (w, h): a0 2x2, a1 4x2, b0 2x2, b1 2x4
  const double v[4] = {v_term(2, 2, 2, 2), v_term(2, 2, 2, 4), v_term(4, 2, 2, 2), v_term(4, 2, 2, 4)};
  std::vector<double> want(4);
  for (int k = 0; k < 4; ++k) want[k] = diou[k] - v[k] / (1 - iou[k] + v[k]) * v[k];
  EXPECT_EQ(v[0], 0.0);  // equal aspect ratios: CIoU = DIoU
  expect_near_all(complete_box_iou(a_boxes(), b_boxes(), 0.0), want, 1e-15);
}

TEST(BoxIou, DisjointAndIdenticalBoxes) {
  const Tensor a = boxes64({0, 0, 1, 1}), b = boxes64({2, 0, 3, 1, 0, 0, 1, 1});
  expect_near_all(box_iou(a, b), {0.0, 1.0}, 0);
  expect_near_all(generalized_box_iou(a, b), {-1.0 / 3, 1.0}, 1e-15);  // enclosing 3x1, union 2
  expect_near_all(distance_box_iou(a, b, 0.0), {-4.0 / 10, 1.0}, 1e-15);
  // Two empty boxes: 0 / 0, as torchvision.
  const Tensor p = boxes64({1, 1, 1, 1});
  EXPECT_TRUE(std::isnan(box_iou(p, p).item<double>()));
}

TEST(BoxIou, ShapesAndFloat32) {
  const Tensor a = a_boxes().to(kFloat32), b = boxes64({1, 1, 3, 3, 1, 0, 3, 4, 0, 0, 1, 1}).to(kFloat32);
  const Tensor iou = box_iou(a, b);
  EXPECT_EQ(iou.sizes(), (Shape{2, 3}));
  EXPECT_EQ(iou.dtype(), kFloat32);
  EXPECT_NEAR(iou.index({1, 1}).item<double>(), 1.0 / 3, 1e-7);
  EXPECT_EQ(box_iou(zeros({0, 4}), b).sizes(), (Shape{0, 3}));
}

TEST(BoxIou, GradientsMatchFiniteDifferences) {
  // General position: no ties in the min/max corners, every pair overlapping.
  const Tensor a = boxes64({0.1, 0.2, 2.3, 2.1, 0.4, -0.3, 4.2, 1.9});
  const Tensor b = boxes64({1.1, 0.9, 3.2, 3.4, 0.9, 0.15, 2.8, 3.7});
  for (auto* fn : {+[](const Tensor&x, const Tensor&y) { return box_iou(x, y); },
                   +[](const Tensor&x, const Tensor&y) { return generalized_box_iou(x, y); },
                   +[](const Tensor&x, const Tensor&y) { return distance_box_iou(x, y); }}) {
    const auto r = autograd::gradcheck([fn](const std::vector<Tensor>& in) { return fn(in[0], in[1]); },
                                       {a.clone().requires_grad_(), b.clone().requires_grad_()});
    EXPECT_TRUE(r.ok) << r.message;
  }
}

TEST(BoxIou, CompleteIouTreatsAlphaAsConstant) {
  const Tensor a0 = boxes64({0.1, 0.2, 2.3, 2.1, 0.4, -0.3, 4.2, 1.9});
  const Tensor b = boxes64({1.1, 0.9, 3.2, 3.4, 0.9, 0.15, 2.8, 3.7});
  auto v_of = [&b](const Tensor& r) {
    const Tensor w1 = (r.select(1, 2) - r.select(1, 0)).unsqueeze(1),
                 h1 = (r.select(1, 3) - r.select(1, 1)).unsqueeze(1);
    const Tensor w2 = (b.select(1, 2) - b.select(1, 0)).unsqueeze(0),
                 h2 = (b.select(1, 3) - b.select(1, 1)).unsqueeze(0);
    return (seek::atan(w1 / h1) - seek::atan(w2 / h2)).square() * (4.0 / (std::numbers::pi * std::numbers::pi));
  };
  Tensor a = a0.clone().requires_grad_();
  complete_box_iou(a, b).sum().backward();
  // Reference: DIoU - alpha0 * v with alpha0 the forward value held constant.
  Tensor r = a0.clone().requires_grad_();
  const Tensor v0 = v_of(a0);
  const Tensor alpha0 = v0 / (1 - box_iou(a0, b) + v0 + 1e-7);
  (distance_box_iou(r, b) - alpha0 * v_of(r)).sum().backward();
  EXPECT_TRUE(allclose(a.grad(), r.grad(), 1e-10, 1e-12)) << a.grad() << r.grad();
  // The full derivative (alpha differentiated too) differs, so the check above can fail.
  Tensor f = a0.clone().requires_grad_();
  const Tensor vf = v_of(f);
  (distance_box_iou(f, b) - vf / (1 - box_iou(f, b) + vf + 1e-7) * vf).sum().backward();
  EXPECT_FALSE(allclose(a.grad(), f.grad(), 1e-6, 1e-9));
}

TEST(BoxConvert, HandValuesAndRoundTrips) {
  const Tensor xywh = tensor({1.f, 2.f, 3.f, 4.f}).reshape({1, 4});
  expect_near_all(box_convert(xywh, "xywh", "xyxy"), {1, 2, 4, 6}, 0);
  const Tensor cxcywh = tensor({2.f, 3.f, 2.f, 4.f}).reshape({1, 4});
  expect_near_all(box_convert(cxcywh, "cxcywh", "xyxy"), {1, 1, 3, 5}, 0);
  const Tensor xyxy = tensor({1.f, 1.f, 3.f, 5.f}).reshape({1, 4});
  expect_near_all(box_convert(xyxy, "xyxy", "cxcywh"), {2, 3, 2, 4}, 0);
  expect_near_all(box_convert(xyxy, "xyxy", "xywh"), {1, 1, 2, 4}, 0);
  expect_near_all(box_convert(cxcywh, "cxcywh", "xywh"), {1, 1, 2, 4}, 0);
  expect_near_all(box_convert(xywh, "xywh", "cxcywh"), {2.5, 4, 3, 4}, 0);
  // Leading dims are kept; the same format gives a copy.
  const Tensor many = testing::uniform_tensor({2, 3, 4}, 0, 10);
  for (const char* f : {"xywh", "cxcywh"})
    EXPECT_TRUE(allclose(box_convert(box_convert(many, "xyxy", f), f, "xyxy"), many, 1e-12, 1e-12)) << f;
  const Tensor same = box_convert(many, "xyxy", "xyxy");
  EXPECT_TRUE(equal(same, many));
  EXPECT_FALSE(same.is_same(many));
}

TEST(BoxArea, HandValuesAndIntegers) {
  expect_near_all(box_area(boxes64({0, 0, 2, 3, 1, 1, 1, 5})), {6, 0}, 0);
  const Tensor ints = tensor<int64_t>({0, 0, 2, 3}).reshape({1, 4});
  const Tensor area = box_area(ints);
  EXPECT_EQ(area.dtype(), kInt64);
  EXPECT_EQ(area.item<int64_t>(), 6);
}

TEST(ClipBoxes, ClampsToTheImageAndBlocksGradientOutside) {
  Tensor b = boxes64({-5, 3, 120, 200, 10, 20, 30, 40}).requires_grad_();
  const Tensor c = clip_boxes_to_image(b, /*height=*/100, /*width=*/110);
  expect_near_all(c, {0, 3, 110, 100, 10, 20, 30, 40}, 0);
  c.sum().backward();
  expect_near_all(b.grad(), {0, 1, 0, 0, 1, 1, 1, 1}, 0);
}

TEST(RemoveSmallBoxes, KeepsBoxesWithBothSidesAtLeastMinSize) {
  const Tensor keep = remove_small_boxes(boxes64({0, 0, 1, 5, 0, 0, 5, 5, 0, 0, 2, 2, 0, 0, 5, 1.5}), 2.0);
  EXPECT_EQ(keep.dtype(), kInt64);
  EXPECT_EQ(to_vector<int64_t>(keep), (std::vector<int64_t>{1, 2}));
}

TEST(ScaleBoxes, InvertsALetterbox) {
  // A 100 x 200 (h x w) image letterboxed to 128 x 128: ratio min(1.28, 0.64) = 0.64, the resized
  // image is 64 x 128, padded by 32 rows above and below.
  const Tensor orig = boxes64({10, 20, 150, 90, 0, 0, 200, 100});
  const double ratio = 0.64, pad_x = 0, pad_y = 32;
  const Tensor lb = boxes64({10 * ratio, 20 * ratio + pad_y, 150 * ratio, 90 * ratio + pad_y, 0, pad_y, 128, 96});
  EXPECT_TRUE(allclose(scale_boxes(lb, {128, 128}, ratio, pad_x, pad_y, {100, 200}), orig, 0, 1e-12));
  // ratio <= 0: the same letterbox is worked out from the two sizes.
  EXPECT_TRUE(allclose(scale_boxes(lb, {128, 128}, 0, 0, 0, {100, 200}), orig, 0, 1e-12));
  // A box reaching into the padding is clipped to the original image.
  expect_near_all(scale_boxes(boxes64({-6.4, 0, 64, 128}), {128, 128}, ratio, pad_x, pad_y, {100, 200}),
                  {0, 0, 100, 100}, 1e-12);
}

TEST(BoxErrors, NameTheArgumentAndShape) {
  const Tensor good = zeros({2, 4}), bad = zeros({2, 5});
  EXPECT_SEEK_ERROR_ALL(box_iou(bad, good), ShapeError, {"box_iou", "boxes1", "[2, 5]"});
  EXPECT_SEEK_ERROR_ALL(generalized_box_iou(good, zeros({2, 2, 4})), ShapeError,
                        {"generalized_box_iou", "boxes2", "[N, 4]"});
  EXPECT_SEEK_ERROR_ALL(complete_box_iou(good, Tensor()), ValueError, {"complete_box_iou", "undefined"});
  EXPECT_SEEK_ERROR_ALL(box_convert(good, "xyxy", "xyz"), ValueError, {"box_convert", "out_fmt", "xyz"});
  EXPECT_SEEK_ERROR_ALL(box_convert(good, "ltrb", "xyxy"), ValueError, {"in_fmt", "ltrb"});
  EXPECT_SEEK_ERROR_ALL(box_area(zeros({3})), ShapeError, {"box_area", "[..., 4]"});
  EXPECT_SEEK_ERROR_ALL(clip_boxes_to_image(good, -1, 5), ValueError, {"clip_boxes_to_image", "negative"});
  EXPECT_SEEK_ERROR_ALL(scale_boxes(good, {128, 128}, 0.5, 0, 0, {0, 10}), ValueError, {"scale_boxes", "orig_hw"});
  EXPECT_SEEK_ERROR_ALL(scale_boxes(good, {0, 128}, 0.5, 0, 0, {10, 10}), ValueError, {"letterboxed_hw"});
  EXPECT_SEEK_ERROR_ALL(remove_small_boxes(zeros({4}), 1.0), ShapeError, {"remove_small_boxes"});
}

}  // namespace
}  // namespace seek::vision

namespace seek::vision {
namespace {

TEST(BoxesCuda, SameValuesAsOnTheCpu) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device (simulated or real)";
  const Tensor a = a_boxes().to(kFloat32), b = b_boxes().to(kFloat32);
  for (auto* fn : {+[](const Tensor&x, const Tensor&y) { return box_iou(x, y); },
                   +[](const Tensor&x, const Tensor&y) { return generalized_box_iou(x, y); },
                   +[](const Tensor&x, const Tensor&y) { return distance_box_iou(x, y); },
                   +[](const Tensor&x, const Tensor&y) { return complete_box_iou(x, y); }}) {
    const Tensor got = fn(a.cuda(), b.cuda());
    EXPECT_TRUE(got.is_cuda());
    EXPECT_TRUE(allclose(got.cpu(), fn(a, b), 1e-6, 1e-7));
  }
  EXPECT_TRUE(allclose(scale_boxes(a.cuda(), {128, 128}, 0.5, 3, 4, {100, 100}).cpu(),
                       scale_boxes(a, {128, 128}, 0.5, 3, 4, {100, 100})));
}

}  // namespace
}  // namespace seek::vision

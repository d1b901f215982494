// bbox_iou (YOLOv5's elementwise IoU family): hand-computed values for IoU, GIoU, DIoU and CIoU in
// both box formats, broadcasting, gradients by finite differences (CIoU's against a hand-written
// double version with alpha held constant, since YOLOv5 computes alpha without gradient), and errors.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <numbers>
#include <vector>

#include "seek/seek.h"
#include "seek/vision/bbox_iou.h"

using namespace seek;
using seek::vision::bbox_iou;
using seek::vision::IouType;

namespace {

Tensor xyxy(std::vector<double> v, DType dt = kFloat64) {
  const auto n = static_cast<int64_t>(v.size() / 4);
  return tensor(v, {n, 4}).to(dt);
}

double one(const Tensor& t) { return t.reshape({-1})[0].item<double>(); }

constexpr double kPi = std::numbers::pi;

}  // namespace

TEST(BboxIou, OverlappingSquaresByHand) {
  Tensor a = xyxy({0, 0, 2, 2}), b = xyxy({1, 1, 3, 3});
  // intersection 1, union 7, enclosing box 3x3 (area 9, diagonal^2 18), centre distance^2 2
  EXPECT_NEAR(one(bbox_iou(a, b, false, IouType::IoU)), 1.0 / 7, 1e-6);
  EXPECT_NEAR(one(bbox_iou(a, b, false, IouType::GIoU)), 1.0 / 7 - 2.0 / 9, 1e-6);
  EXPECT_NEAR(one(bbox_iou(a, b, false, IouType::DIoU)), 1.0 / 7 - 2.0 / 18, 1e-6);
  // same aspect ratio: v = 0, so CIoU = DIoU
  EXPECT_NEAR(one(bbox_iou(a, b, false, IouType::CIoU)), 1.0 / 7 - 2.0 / 18, 1e-6);
}

TEST(BboxIou, AspectTermOfCiouByHand) {
  Tensor a = xyxy({0, 0, 4, 2}), b = xyxy({0, 0, 2, 2});
  // intersection 4, union 8 -> IoU 0.5; enclosing 4x2 -> c^2 20; centres (2,1), (1,1) -> rho^2 1
  const double iou = 0.5, diou = 0.5 - 1.0 / 20;
  const double v = 4 / (kPi * kPi) * std::pow(std::atan(1.0) - std::atan(2.0), 2);
  const double alpha = v / (v - iou + 1);
  EXPECT_NEAR(one(bbox_iou(a, b, false, IouType::IoU)), iou, 1e-6);
  EXPECT_NEAR(one(bbox_iou(a, b, false, IouType::DIoU)), diou, 1e-6);
  EXPECT_NEAR(one(bbox_iou(a, b, false, IouType::CIoU)), diou - v * alpha, 1e-6);
  EXPECT_NEAR(one(bbox_iou(a, b, false, IouType::GIoU)), iou, 1e-6);  // enclosing box = union
}

TEST(BboxIou, DisjointAndIdenticalBoxes) {
  Tensor a = xyxy({0, 0, 1, 1}), b = xyxy({2, 0, 3, 1});
  EXPECT_NEAR(one(bbox_iou(a, b, false, IouType::IoU)), 0.0, 1e-9);
  EXPECT_NEAR(one(bbox_iou(a, b, false, IouType::GIoU)), -1.0 / 3, 1e-6);   // enclosing 3, union 2
  EXPECT_NEAR(one(bbox_iou(a, b, false, IouType::DIoU)), -4.0 / 10, 1e-6);  // rho^2 4, c^2 9 + 1
  for (auto type : {IouType::IoU, IouType::GIoU, IouType::DIoU, IouType::CIoU})
    EXPECT_NEAR(one(bbox_iou(a, a, false, type)), 1.0, 1e-6) << vision::iou_type_name(type);
}

TEST(BboxIou, CentreSizeFormatMatchesCorners) {
  Tensor a = xyxy({0, 0, 4, 2, 1, 1, 5, 6}), b = xyxy({0.5, 0.2, 3, 3, 2, 2, 4, 7});
  auto to_xywh = [](const Tensor& t) {
    Tensor x1 = t.select(1, 0), y1 = t.select(1, 1), x2 = t.select(1, 2), y2 = t.select(1, 3);
    return stack({(x1 + x2) * 0.5, (y1 + y2) * 0.5, x2 - x1, y2 - y1}, 1);
  };
  for (auto type : {IouType::IoU, IouType::GIoU, IouType::DIoU, IouType::CIoU}) {
    auto corners = to_vector<double>(bbox_iou(a, b, false, type));
    auto centres = to_vector<double>(bbox_iou(to_xywh(a), to_xywh(b), true, type));
    ASSERT_EQ(corners.size(), 2u);
    for (size_t k = 0; k < 2; ++k) EXPECT_NEAR(corners[k], centres[k], 1e-9) << vision::iou_type_name(type);
  }
}

TEST(BboxIou, BroadcastsLeadingDimsAndKeepsFloat32) {
  Tensor one_box = xyxy({0, 0, 2, 2}, kFloat32);                       // [1, 4]
  Tensor many = xyxy({0, 0, 2, 2, 1, 1, 3, 3, 4, 4, 5, 5}, kFloat32);  // [3, 4]
  Tensor r = bbox_iou(one_box, many, false, IouType::IoU);
  EXPECT_EQ(r.sizes(), (Shape{3}));
  EXPECT_EQ(r.dtype(), kFloat32);
  auto v = to_vector<float>(r);
  EXPECT_NEAR(v[0], 1.0, 1e-5);
  EXPECT_NEAR(v[1], 1.0 / 7, 1e-5);
  EXPECT_NEAR(v[2], 0.0, 1e-6);
  Tensor grid = tensor(std::vector<double>(2 * 3 * 4, 1.0), {2, 3, 4});
  EXPECT_EQ(bbox_iou(grid, xyxy({1, 1, 2, 2}).reshape({1, 1, 4})).sizes(), (Shape{2, 3}));
}

TEST(BboxIou, GradcheckIouGiouDiou) {
  // overlapping pairs away from the kinks of min/max/clamp
  Tensor b1 = tensor(std::vector<double>{5.0, 5.0, 4.0, 3.0, 2.0, 3.0, 2.5, 4.5}, {2, 4}).requires_grad_();
  Tensor b2 = tensor(std::vector<double>{6.0, 4.2, 3.0, 5.0, 2.7, 2.1, 3.5, 3.0}, {2, 4}).requires_grad_();
  for (bool xywh : {true, false}) {
    for (auto type : {IouType::IoU, IouType::GIoU, IouType::DIoU}) {
      Tensor c1 = b1, c2 = b2;
      if (!xywh) {  // the same numbers as corners need x2 > x1: shift the second corner
        c1 = tensor(std::vector<double>{1.0, 1.0, 5.0, 4.0, 2.0, 3.0, 4.5, 7.5}, {2, 4}).requires_grad_();
        c2 = tensor(std::vector<double>{2.0, 0.5, 6.0, 5.0, 2.7, 2.1, 5.2, 6.1}, {2, 4}).requires_grad_();
      }
      auto res = autograd::gradcheck([&](const std::vector<Tensor>& in) { return bbox_iou(in[0], in[1], xywh, type); },
                                     {c1, c2});
      EXPECT_TRUE(res.ok) << vision::iou_type_name(type) << " xywh=" << xywh << ": " << res.message;
    }
  }
}

// CIoU with alpha frozen at its value at (p, q), in plain double (both boxes xywh).
double ciou_frozen_alpha(const std::array<double, 8>& x, double alpha) {
  const double x1 = x[0], y1 = x[1], w1 = x[2], h1 = x[3], x2 = x[4], y2 = x[5], w2 = x[6], h2 = x[7];
  const double eps = 1e-7;
  const double ax1 = x1 - w1 / 2, ax2 = x1 + w1 / 2, ay1 = y1 - h1 / 2, ay2 = y1 + h1 / 2;
  const double bx1 = x2 - w2 / 2, bx2 = x2 + w2 / 2, by1 = y2 - h2 / 2, by2 = y2 + h2 / 2;
  const double inter =
      std::max(0.0, std::min(ax2, bx2) - std::max(ax1, bx1)) * std::max(0.0, std::min(ay2, by2) - std::max(ay1, by1));
  const double uni = w1 * h1 + w2 * h2 - inter + eps;
  const double iou = inter / uni;
  const double cw = std::max(ax2, bx2) - std::min(ax1, bx1), ch = std::max(ay2, by2) - std::min(ay1, by1);
  const double c2 = cw * cw + ch * ch + eps;
  const double rho2 = ((x2 - x1) * (x2 - x1) + (y2 - y1) * (y2 - y1));
  const double v = 4 / (kPi * kPi) * std::pow(std::atan(w2 / h2) - std::atan(w1 / h1), 2);
  if (alpha < 0) alpha = v / (v - iou + 1 + eps);
  return iou - (rho2 / c2 + v * alpha);
}

TEST(BboxIou, CiouGradientHoldsAlphaConstant) {
  const std::array<double, 8> x{5.0, 5.0, 4.0, 3.0, 6.0, 4.2, 3.0, 5.0};
  Tensor b1 = tensor(std::vector<double>(x.begin(), x.begin() + 4), {4}).requires_grad_();
  Tensor b2 = tensor(std::vector<double>(x.begin() + 4, x.end()), {4}).requires_grad_();
  Tensor r = bbox_iou(b1, b2, true, IouType::CIoU);
  EXPECT_NEAR(r.item<double>(), ciou_frozen_alpha(x, -1), 1e-9);
  r.backward();
  std::vector<double> analytic = to_vector<double>(b1.grad());
  for (double g : to_vector<double>(b2.grad())) analytic.push_back(g);
  // alpha at x from the definition, using the IoU of the pair
  Tensor iou_t = bbox_iou(b1.detach(), b2.detach(), true, IouType::IoU);
  const double iou = iou_t.item<double>();
  const double v = 4 / (kPi * kPi) * std::pow(std::atan(x[6] / x[7]) - std::atan(x[2] / x[3]), 2);
  const double alpha = v / (v - iou + 1 + 1e-7);
  double max_gap_full = 0;
  for (size_t k = 0; k < 8; ++k) {
    std::array<double, 8> lo = x, hi = x;
    lo[k] -= 1e-6, hi[k] += 1e-6;
    const double frozen = (ciou_frozen_alpha(hi, alpha) - ciou_frozen_alpha(lo, alpha)) / 2e-6;
    const double full = (ciou_frozen_alpha(hi, -1) - ciou_frozen_alpha(lo, -1)) / 2e-6;
    EXPECT_NEAR(analytic[k], frozen, 1e-6) << "coordinate " << k;
    max_gap_full = std::max(max_gap_full, std::abs(analytic[k] - full));
  }
  // and the frozen-alpha gradient is not the full derivative (alpha really is a constant here)
  EXPECT_GT(max_gap_full, 1e-4);
}

TEST(BboxIou, BadInputs) {
  Tensor good = xyxy({0, 0, 1, 1});
  EXPECT_THROW(bbox_iou(tensor(std::vector<double>{0, 0, 1}, {1, 3}), good), ShapeError);
  EXPECT_THROW(bbox_iou(good, tensor(std::vector<int64_t>{0, 0, 1, 1}, {1, 4})), DTypeError);
  EXPECT_THROW(bbox_iou(xyxy({0, 0, 1, 1, 0, 0, 2, 2}), xyxy({0, 0, 1, 1, 0, 0, 2, 2, 1, 1, 2, 2})), Error);  // 2 vs 3
  try {
    vision::iou_type_from_string("dice");
    FAIL() << "no error";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("dice"), std::string::npos);
  }
  EXPECT_EQ(vision::iou_type_from_string("ciou"), IouType::CIoU);
  EXPECT_EQ(vision::iou_type_from_string("GIoU"), IouType::GIoU);
}

// Against YOLOv5's bbox_iou transcribed to PyTorch (gen_bbox_iou_ref.py beside this file), float64.
TEST(BboxIou, MatchesYolov5Reference) {
  const std::vector<std::array<double, 16>> ref{
#include "bbox_iou_ref.inc"
  };
  ASSERT_EQ(ref.size(), 24u);
  const IouType types[] = {IouType::IoU, IouType::GIoU, IouType::DIoU, IouType::CIoU};
  for (size_t r = 0; r < ref.size(); ++r) {
    const auto& row = ref[r];
    Tensor b1 = tensor(std::vector<double>(row.begin(), row.begin() + 4), {4});
    Tensor b2 = tensor(std::vector<double>(row.begin() + 4, row.begin() + 8), {4});
    auto corners = [](const Tensor& b) {
      return cat({b.narrow(0, 0, 2) - b.narrow(0, 2, 2) * 0.5, b.narrow(0, 0, 2) + b.narrow(0, 2, 2) * 0.5});
    };
    for (int k = 0; k < 4; ++k) {
      EXPECT_NEAR(bbox_iou(b1, b2, true, types[k]).item<double>(), row[8 + k], 1e-12)
          << "pair " << r << " " << vision::iou_type_name(types[k]) << " xywh";
      EXPECT_NEAR(bbox_iou(corners(b1), corners(b2), false, types[k]).item<double>(), row[12 + k], 1e-12)
          << "pair " << r << " " << vision::iou_type_name(types[k]) << " xyxy";
    }
  }
}

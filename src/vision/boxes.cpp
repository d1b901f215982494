// torchvision.ops' box functions as compositions of seek tensor ops (so: any device, autograd for
// free). The pairwise functions broadcast a [N, 1, 2] corner against a [1, M, 2] one, as
// torchvision's _box_inter_union does, instead of looping over pairs.
#include "seek/vision/boxes.h"

#include <cmath>
#include <numbers>

#include "seek/ops/binary.h"
#include "seek/ops/index_extra.h"
#include "seek/ops/shape.h"
#include "seek/ops/ternary.h"
#include "seek/ops/unary.h"

namespace seek::vision {
namespace {

void check_boxes(const Tensor& boxes, const char* op, const char* arg = "boxes") {
  SEEK_CHECK_VALUE(boxes.defined(), op, ": ", arg, " is an undefined tensor");
  SEEK_CHECK_SHAPE(boxes.dim() >= 1 && boxes.size(-1) == 4, op, ": ", arg, " must have shape [..., 4], got ",
                   shape_str(boxes.sizes()));
  SEEK_CHECK_DTYPE(boxes.dtype() != kBool, op, ": ", arg, " must be a number tensor, got bool");
}

void check_pairwise(const Tensor& boxes, const char* op, const char* arg) {
  check_boxes(boxes, op, arg);
  SEEK_CHECK_SHAPE(boxes.dim() == 2, op, ": ", arg, " must have shape [N, 4], got ", shape_str(boxes.sizes()));
}

// torchvision's _upcast: half types compute in float32, small integers in int32.
Tensor upcast(const Tensor& t) {
  if (t.is_floating_point()) return (t.dtype() == kFloat32 || t.dtype() == kFloat64) ? t : t.to(kFloat32);
  return (t.dtype() == kInt32 || t.dtype() == kInt64) ? t : t.to(kInt32);
}

Tensor col(const Tensor& boxes, int64_t i) { return boxes.select(-1, i); }

// Intersection and union of every pair: both [N, M].
std::pair<Tensor, Tensor> inter_union(const Tensor& a, const Tensor& b) {
  const Tensor area1 = box_area(a), area2 = box_area(b);
  const Tensor lt = maximum(a.slice(1, 0, 2).unsqueeze(1), b.slice(1, 0, 2).unsqueeze(0));  // [N, M, 2]
  const Tensor rb = minimum(a.slice(1, 2, 4).unsqueeze(1), b.slice(1, 2, 4).unsqueeze(0));
  const Tensor wh = upcast(rb - lt).clamp_min(0);
  const Tensor inter = wh.select(-1, 0) * wh.select(-1, 1);
  const Tensor uni = area1.unsqueeze(1) + area2.unsqueeze(0) - inter;
  return {inter, uni};
}

// The enclosing box's width and height for every pair: [N, M, 2].
Tensor enclosing_wh(const Tensor& a, const Tensor& b) {
  const Tensor lti = minimum(a.slice(1, 0, 2).unsqueeze(1), b.slice(1, 0, 2).unsqueeze(0));
  const Tensor rbi = maximum(a.slice(1, 2, 4).unsqueeze(1), b.slice(1, 2, 4).unsqueeze(0));
  return upcast(rbi - lti).clamp_min(0);
}

// (DIoU, IoU), torchvision's _box_diou_iou.
std::pair<Tensor, Tensor> diou_iou(const Tensor& a, const Tensor& b, double eps) {
  const Tensor iou = box_iou(a, b);
  const Tensor whi = enclosing_wh(a, b);
  const Tensor diag2 = whi.select(-1, 0).square() + whi.select(-1, 1).square() + eps;
  const Tensor xp = (col(a, 0) + col(a, 2)) / 2, yp = (col(a, 1) + col(a, 3)) / 2;
  const Tensor xg = (col(b, 0) + col(b, 2)) / 2, yg = (col(b, 1) + col(b, 3)) / 2;
  const Tensor centre2 =
      upcast(xp.unsqueeze(1) - xg.unsqueeze(0)).square() + upcast(yp.unsqueeze(1) - yg.unsqueeze(0)).square();
  return {iou - centre2 / diag2, iou};
}

}  // namespace

Tensor box_convert(const Tensor& boxes, const std::string& in_fmt, const std::string& out_fmt) {
  check_boxes(boxes, "box_convert");
  auto known = [](const std::string& f) { return f == "xyxy" || f == "xywh" || f == "cxcywh"; };
  SEEK_CHECK_VALUE(known(in_fmt), "box_convert: unknown in_fmt '", in_fmt, "' (expected xyxy, xywh or cxcywh)");
  SEEK_CHECK_VALUE(known(out_fmt), "box_convert: unknown out_fmt '", out_fmt, "' (expected xyxy, xywh or cxcywh)");
  if (in_fmt == out_fmt) return boxes.clone();
  Tensor xyxy = boxes;
  if (in_fmt == "xywh") {
    xyxy = stack({col(boxes, 0), col(boxes, 1), col(boxes, 0) + col(boxes, 2), col(boxes, 1) + col(boxes, 3)}, -1);
  } else if (in_fmt == "cxcywh") {
    const Tensor cx = col(boxes, 0), cy = col(boxes, 1), hw = col(boxes, 2) * 0.5, hh = col(boxes, 3) * 0.5;
    xyxy = stack({cx - hw, cy - hh, cx + hw, cy + hh}, -1);
  }
  if (out_fmt == "xyxy") return in_fmt == "xyxy" ? boxes.clone() : xyxy;
  const Tensor x1 = col(xyxy, 0), y1 = col(xyxy, 1), x2 = col(xyxy, 2), y2 = col(xyxy, 3);
  if (out_fmt == "xywh") return stack({x1, y1, x2 - x1, y2 - y1}, -1);
  return stack({(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1}, -1);  // cxcywh
}

Tensor box_area(const Tensor& boxes) {
  check_boxes(boxes, "box_area");
  const Tensor b = upcast(boxes);
  return (col(b, 2) - col(b, 0)) * (col(b, 3) - col(b, 1));
}

Tensor box_iou(const Tensor& boxes1, const Tensor& boxes2) {
  check_pairwise(boxes1, "box_iou", "boxes1");
  check_pairwise(boxes2, "box_iou", "boxes2");
  auto [inter, uni] = inter_union(boxes1, boxes2);
  return inter / uni;
}

Tensor generalized_box_iou(const Tensor& boxes1, const Tensor& boxes2) {
  check_pairwise(boxes1, "generalized_box_iou", "boxes1");
  check_pairwise(boxes2, "generalized_box_iou", "boxes2");
  auto [inter, uni] = inter_union(boxes1, boxes2);
  const Tensor iou = inter / uni;
  const Tensor whi = enclosing_wh(boxes1, boxes2);
  const Tensor areai = whi.select(-1, 0) * whi.select(-1, 1);
  return iou - (areai - uni) / areai;
}

Tensor distance_box_iou(const Tensor& boxes1, const Tensor& boxes2, double eps) {
  check_pairwise(boxes1, "distance_box_iou", "boxes1");
  check_pairwise(boxes2, "distance_box_iou", "boxes2");
  return diou_iou(upcast(boxes1), upcast(boxes2), eps).first;
}

Tensor complete_box_iou(const Tensor& boxes1, const Tensor& boxes2, double eps) {
  check_pairwise(boxes1, "complete_box_iou", "boxes1");
  check_pairwise(boxes2, "complete_box_iou", "boxes2");
  const Tensor a = upcast(boxes1), b = upcast(boxes2);
  auto [diou, iou] = diou_iou(a, b, eps);
  const Tensor w1 = (col(a, 2) - col(a, 0)).unsqueeze(1), h1 = (col(a, 3) - col(a, 1)).unsqueeze(1);
  const Tensor w2 = (col(b, 2) - col(b, 0)).unsqueeze(0), h2 = (col(b, 3) - col(b, 1)).unsqueeze(0);
  const Tensor v = (seek::atan(w1 / h1) - seek::atan(w2 / h2)).square() * (4.0 / (std::numbers::pi * std::numbers::pi));
  const Tensor alpha = (v / (1 - iou + v + eps)).detach();  // torchvision: under no_grad
  return diou - alpha * v;
}

Tensor clip_boxes_to_image(const Tensor& boxes, int64_t height, int64_t width) {
  check_boxes(boxes, "clip_boxes_to_image");
  SEEK_CHECK_VALUE(height >= 0 && width >= 0, "clip_boxes_to_image: the image size must not be negative, got ", height,
                   " x ", width);
  const Tensor x1 = col(boxes, 0).clamp(0, width), x2 = col(boxes, 2).clamp(0, width);
  const Tensor y1 = col(boxes, 1).clamp(0, height), y2 = col(boxes, 3).clamp(0, height);
  return stack({x1, y1, x2, y2}, -1);
}

Tensor remove_small_boxes(const Tensor& boxes, double min_size) {
  check_pairwise(boxes, "remove_small_boxes", "boxes");
  const Tensor ws = col(boxes, 2) - col(boxes, 0), hs = col(boxes, 3) - col(boxes, 1);
  const Tensor keep = logical_and(ws >= min_size, hs >= min_size);
  return nonzero(keep).reshape({-1});
}

Tensor scale_boxes(const Tensor& boxes, std::array<int64_t, 2> letterboxed_hw, double ratio, double pad_x, double pad_y,
                   std::array<int64_t, 2> orig_hw) {
  check_boxes(boxes, "scale_boxes");
  SEEK_CHECK_VALUE(letterboxed_hw[0] > 0 && letterboxed_hw[1] > 0, "scale_boxes: letterboxed_hw must be positive, got ",
                   letterboxed_hw[0], " x ", letterboxed_hw[1]);
  SEEK_CHECK_VALUE(orig_hw[0] > 0 && orig_hw[1] > 0, "scale_boxes: orig_hw must be positive, got ", orig_hw[0], " x ",
                   orig_hw[1]);
  SEEK_CHECK_VALUE(std::isfinite(ratio) && std::isfinite(pad_x) && std::isfinite(pad_y),
                   "scale_boxes: ratio and padding must be finite, got ratio ", ratio, ", pad ", pad_x, ", ", pad_y);
  if (ratio <= 0) {  // YOLOv5 without ratio_pad: the letterbox that fits orig into letterboxed, centred
    ratio = std::min(double(letterboxed_hw[0]) / double(orig_hw[0]), double(letterboxed_hw[1]) / double(orig_hw[1]));
    pad_x = (double(letterboxed_hw[1]) - double(orig_hw[1]) * ratio) / 2;
    pad_y = (double(letterboxed_hw[0]) - double(orig_hw[0]) * ratio) / 2;
  }
  const Tensor b = boxes.is_floating_point() ? boxes : boxes.to(kFloat32);
  const Tensor x1 = (col(b, 0) - pad_x) / ratio, y1 = (col(b, 1) - pad_y) / ratio;
  const Tensor x2 = (col(b, 2) - pad_x) / ratio, y2 = (col(b, 3) - pad_y) / ratio;
  return clip_boxes_to_image(stack({x1, y1, x2, y2}, -1), orig_hw[0], orig_hw[1]);
}

}  // namespace seek::vision

// bbox_iou: YOLOv5's elementwise IoU/GIoU/DIoU/CIoU written with tensor ops (each coordinate is a
// select() view of the last dim, so the leading dims broadcast like any binary op and the whole
// computation is differentiable; CIoU's alpha is computed under NoGradGuard).
#include "seek/vision/bbox_iou.h"

#include <algorithm>
#include <cctype>
#include <numbers>
#include <string>

#include "seek/autograd/grad_mode.h"
#include "seek/ops/binary.h"
#include "seek/ops/unary.h"

namespace seek::vision {

namespace {

void check_box_arg(const Tensor& box, const char* name) {
  SEEK_CHECK_T(ValueError, box.defined(), "bbox_iou: ", name, " is undefined");
  SEEK_CHECK_T(ShapeError, box.dim() >= 1 && box.size(-1) == 4, "bbox_iou: ", name, " must have shape [..., 4], got ",
               shape_str(box.sizes()));
  SEEK_CHECK_T(DTypeError, box.is_floating_point(), "bbox_iou: ", name, " must be floating, got ",
               dtype_name(box.dtype()));
}

}  // namespace

Tensor bbox_iou(const Tensor& box1, const Tensor& box2, bool xywh, IouType type, double eps) {
  check_box_arg(box1, "box1");
  check_box_arg(box2, "box2");
  SEEK_CHECK_T(DeviceError, box1.device() == box2.device(), "bbox_iou: box1 is on ", box1.device().str(),
               " but box2 on ", box2.device().str());
  Tensor b1x1, b1y1, b1x2, b1y2, b2x1, b2y1, b2x2, b2y2, w1, h1, w2, h2;
  if (xywh) {
    Tensor x1 = box1.select(-1, 0), y1 = box1.select(-1, 1);
    Tensor x2 = box2.select(-1, 0), y2 = box2.select(-1, 1);
    w1 = box1.select(-1, 2), h1 = box1.select(-1, 3);
    w2 = box2.select(-1, 2), h2 = box2.select(-1, 3);
    Tensor hw1 = w1 * 0.5, hh1 = h1 * 0.5, hw2 = w2 * 0.5, hh2 = h2 * 0.5;
    b1x1 = x1 - hw1, b1x2 = x1 + hw1, b1y1 = y1 - hh1, b1y2 = y1 + hh1;
    b2x1 = x2 - hw2, b2x2 = x2 + hw2, b2y1 = y2 - hh2, b2y2 = y2 + hh2;
  } else {
    b1x1 = box1.select(-1, 0), b1y1 = box1.select(-1, 1), b1x2 = box1.select(-1, 2), b1y2 = box1.select(-1, 3);
    b2x1 = box2.select(-1, 0), b2y1 = box2.select(-1, 1), b2x2 = box2.select(-1, 2), b2y2 = box2.select(-1, 3);
    w1 = b1x2 - b1x1, h1 = (b1y2 - b1y1).clamp_min(eps);
    w2 = b2x2 - b2x1, h2 = (b2y2 - b2y1).clamp_min(eps);
  }
  Tensor inter =
      (b1x2.minimum(b2x2) - b1x1.maximum(b2x1)).clamp_min(0) * (b1y2.minimum(b2y2) - b1y1.maximum(b2y1)).clamp_min(0);
  Tensor uni = w1 * h1 + w2 * h2 - inter + eps;
  Tensor iou = inter / uni;
  if (type == IouType::IoU) return iou;
  Tensor cw = b1x2.maximum(b2x2) - b1x1.minimum(b2x1);  // smallest enclosing box
  Tensor ch = b1y2.maximum(b2y2) - b1y1.minimum(b2y1);
  if (type == IouType::GIoU) {
    Tensor c_area = cw * ch + eps;
    return iou - (c_area - uni) / c_area;
  }
  Tensor c2 = cw.pow(2) + ch.pow(2) + eps;  // enclosing diagonal squared
  Tensor rho2 = ((b2x1 + b2x2 - b1x1 - b1x2).pow(2) + (b2y1 + b2y2 - b1y1 - b1y2).pow(2)) * 0.25;
  if (type == IouType::DIoU) return iou - rho2 / c2;
  constexpr double kPi = std::numbers::pi;
  Tensor v = (seek::atan(w2 / h2) - seek::atan(w1 / h1)).pow(2) * (4.0 / (kPi * kPi));
  Tensor alpha;
  {
    NoGradGuard no_grad;  // YOLOv5: alpha is a constant weight, not differentiated
    alpha = v.detach() / (v.detach() - iou.detach() + (1.0 + eps));
  }
  return iou - (rho2 / c2 + v * alpha);
}

IouType iou_type_from_string(const std::string& name) {
  std::string n = name;
  std::transform(n.begin(), n.end(), n.begin(), [](unsigned char c) { return std::tolower(c); });
  if (n == "iou") return IouType::IoU;
  if (n == "giou") return IouType::GIoU;
  if (n == "diou") return IouType::DIoU;
  if (n == "ciou") return IouType::CIoU;
  SEEK_CHECK_T(ValueError, false, "iou type '", name, "' is not one of IoU, GIoU, DIoU, CIoU");
  return IouType::CIoU;
}

const char* iou_type_name(IouType type) {
  switch (type) {
    case IouType::IoU: return "IoU";
    case IouType::GIoU: return "GIoU";
    case IouType::DIoU: return "DIoU";
    case IouType::CIoU: return "CIoU";
  }
  return "?";
}

}  // namespace seek::vision

#pragma once
// Box utilities with torchvision.ops' names and semantics (box_convert, box_area, box_iou, the
// generalized / distance / complete IoU matrices, clip_boxes_to_image, remove_small_boxes) plus
// YOLOv5's scale_boxes. Every function is a composition of seek tensor ops, so it runs on any
// device and is differentiable exactly where torchvision's is (complete_box_iou's alpha term is
// detached, as torchvision computes it under no_grad).
//
// Boxes are [..., 4] tensors (pairwise functions: [N, 4] and [M, 4] -> [N, M]); "xyxy" means
// (x1, y1, x2, y2), "xywh" (x1, y1, w, h), "cxcywh" (centre x, centre y, w, h). Integer boxes are
// accepted where torchvision accepts them (areas stay integer, ratios become float32); float16 and
// bfloat16 boxes are computed in float32 for the IoU family, as torchvision's _upcast does.
#include <array>
#include <cstdint>
#include <string>

#include "seek/core/tensor.h"

namespace seek::vision {

// boxes [..., 4] from in_fmt to out_fmt ("xyxy", "xywh", "cxcywh"); the same format gives a clone.
Tensor box_convert(const Tensor& boxes, const std::string& in_fmt, const std::string& out_fmt);

// (x2 - x1) * (y2 - y1) of xyxy boxes [..., 4] -> [...].
Tensor box_area(const Tensor& boxes);

// Pairwise IoU of xyxy boxes a [N, 4] and b [M, 4] -> [N, M] (0 / 0 = NaN for two empty boxes, as
// torchvision).
Tensor box_iou(const Tensor& boxes1, const Tensor& boxes2);
// IoU - (enclosing area - union) / enclosing area.
Tensor generalized_box_iou(const Tensor& boxes1, const Tensor& boxes2);
// IoU - squared centre distance / (squared diagonal of the enclosing box + eps).
Tensor distance_box_iou(const Tensor& boxes1, const Tensor& boxes2, double eps = 1e-7);
// DIoU - alpha * v, v = 4 / pi^2 (atan(w1 / h1) - atan(w2 / h2))^2, alpha = v / (1 - IoU + v + eps)
// taken as a constant (no gradient), as torchvision.
Tensor complete_box_iou(const Tensor& boxes1, const Tensor& boxes2, double eps = 1e-7);

// xyxy boxes [..., 4] with x clamped to [0, width] and y to [0, height].
Tensor clip_boxes_to_image(const Tensor& boxes, int64_t height, int64_t width);

// int64 indices of the xyxy boxes [N, 4] whose width and height are both >= min_size.
Tensor remove_small_boxes(const Tensor& boxes, double min_size);

// Undoes a letterbox (YOLOv5's scale_boxes): xyxy boxes [..., 4] in the letterboxed image of size
// letterboxed_hw = (height, width), made by x_new = x_orig * ratio + pad_x (y likewise), map back to
// the original image of size orig_hw = (height, width) and are clipped to it. With ratio <= 0 the
// ratio and the centred padding are computed from the two sizes, as YOLOv5 does without ratio_pad.
Tensor scale_boxes(const Tensor& boxes, std::array<int64_t, 2> letterboxed_hw, double ratio, double pad_x, double pad_y,
                   std::array<int64_t, 2> orig_hw);

}  // namespace seek::vision

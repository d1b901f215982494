#pragma once
// Elementwise IoU family of box pairs, as YOLOv5's utils/metrics.py bbox_iou: IoU, GIoU, DIoU and
// CIoU of box1[..., 4] against box2[..., 4] (leading dims broadcast), built from differentiable
// tensor ops so it runs on any device and gives gradients to both boxes. For CIoU the trade-off
// weight alpha = v / (v - IoU + 1 + eps) is computed without gradient, as YOLOv5 does (so the
// gradient is that of IoU - rho^2/c^2 - alpha * v with alpha held constant).
#include "seek/core/tensor.h"

namespace seek::vision {

enum class IouType { IoU, GIoU, DIoU, CIoU };

// box1, box2: floating [..., 4] with broadcastable leading dims; xywh = true: (cx, cy, w, h), else
// (x1, y1, x2, y2). Returns the broadcast leading shape (the last dim of size 4 is consumed, unlike
// YOLOv5's [..., 1]). eps as YOLOv5 (added to the union, the enclosing area and the diagonal; in the
// xyxy form the heights are clamped at eps).
Tensor bbox_iou(const Tensor& box1, const Tensor& box2, bool xywh = true, IouType type = IouType::CIoU,
                double eps = 1e-7);

// "IoU", "GIoU", "DIoU", "CIoU" (case-insensitive) -> IouType; ValueError names the accepted words.
IouType iou_type_from_string(const std::string& name);
const char* iou_type_name(IouType type);

}  // namespace seek::vision

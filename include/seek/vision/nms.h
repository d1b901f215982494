#pragma once
// Non-maximum suppression: torchvision.ops.nms / batched_nms and YOLOv5's non_max_suppression.
// The suppression runs on the host (CUDA inputs are copied to the CPU and the result goes back to
// their device) over one score-sorted, flat copy of the boxes; see src/vision/nms_core.h.
#include <cstdint>
#include <vector>

#include "seek/core/tensor.h"

namespace seek::vision {

// Greedy NMS of xyxy boxes [N, 4] with scores [N]: visits the boxes by decreasing score (equal
// scores in index order; NaN scores last) and drops every later box whose IoU with a kept one is
// > iou_threshold. Returns the int64 indices of the kept boxes in that order (torchvision.ops.nms).
Tensor nms(const Tensor& boxes, const Tensor& scores, double iou_threshold);
// The same, stopping once max_keep boxes are kept (the first max_keep of nms(); max_keep < 0: no limit).
Tensor nms(const Tensor& boxes, const Tensor& scores, double iou_threshold, int64_t max_keep);

// Class-aware NMS: boxes only suppress boxes with the same idxs value (int64 or int32 [N]); kept
// indices by decreasing score (torchvision.ops.batched_nms). One sorted pass over all classes.
Tensor batched_nms(const Tensor& boxes, const Tensor& scores, const Tensor& idxs, double iou_threshold);

struct NmsOptions {
  double conf_threshold = 0.25;  // candidates need objectness > it and obj * cls > it
  double iou_threshold = 0.45;
  bool agnostic = false;     // true: boxes of different classes suppress each other
  bool multi_label = false;  // true: one candidate per (box, class) with obj * cls > conf_threshold
  int64_t max_det = 300;     // detections kept per image
  int64_t max_nms = 30000;   // candidates (by confidence) that enter NMS per image
};

// YOLOv5's post-processing. prediction: [B, N, 5 + nc] float (cx, cy, w, h in pixels, objectness
// probability, class probabilities). Returns per image a float32 tensor [n, 6] (x1, y1, x2, y2,
// confidence = obj * cls, class) on the prediction's device, by decreasing confidence.
// Class-aware suppression compares boxes of one class directly (no coordinate offset), so it is
// exact where YOLOv5's offset trick rounds.
std::vector<Tensor> non_max_suppression(const Tensor& prediction, const NmsOptions& options = {});

}  // namespace seek::vision

#pragma once
// YOLO model outputs. On the loss branch (issue 18, area F) this header holds only YoloOutput, the
// contract between the model and the loss; the model's branch adds YoloModel and YoloConfig here.
#include <cstdint>
#include <vector>

#include "seek/core/tensor.h"

namespace seek::models::yolo {

struct YoloOutput {
  std::vector<Tensor> preds;    // per scale [B, A, H, W, 5 + nc] raw logits: (tx, ty, tw, th, obj, cls...)
  std::vector<Tensor> anchors;  // per scale [B, A, 2] anchor (w, h) in pixels (fixed: the same per image)
  std::vector<int64_t> strides;
};

}  // namespace seek::models::yolo

#pragma once
// Target assignment for YoloLoss. The decisions (which anchor, which cell) are made in plain C++ over
// the targets on the host (a few hundred targets x anchors x scales per step: microseconds); only the
// SimOTA costs, which need the predictions, are computed with tensor ops on the predictions' device.
// Both assigners return YoloLoss::Assigned, built by one packing step that gathers each match's
// anchor from YoloOutput.anchors (so dynamic anchors receive gradient).
#include <cstdint>
#include <vector>

#include "seek/models/yolo/yolo_loss.h"

namespace seek::models::yolo {

// One validated target row (batch index, class, centre and size normalised by S).
struct TargetRow {
  int64_t image = 0, cls = 0;
  float cx = 0, cy = 0, w = 0, h = 0;
};

// The predictions' geometry, checked against the contract (ShapeError / ValueError naming the scale).
struct YoloGeometry {
  int64_t batch = 0, num_anchors = 0, num_outputs = 0;  // num_outputs = 5 + nc
  std::vector<int64_t> height, width, stride;
  std::vector<std::vector<float>> anchors_grid;  // per scale [B * A * 2], anchors / stride (detached)
};
YoloGeometry check_yolo_output(const YoloOutput& out, int64_t num_classes, int64_t image_size);

// targets [T, 6]: ShapeError for a wrong layout, ValueError naming the row for a batch index or class
// out of range, non-positive or non-finite sizes, or centres outside [0, 1] (not normalised).
std::vector<TargetRow> check_yolo_targets(const Tensor& targets, int64_t batch, int64_t num_classes);

// YOLOv5's build_targets with per-image anchors: for every scale, anchors with shape ratio below
// anchor_t, then the target's own cell plus the neighbour cells whose side the centre is nearer to
// (g = 0.5), in YOLOv5's order (offset, anchor, target).
YoloLoss::Assigned assign_ratio(const YoloOutput& out, const YoloGeometry& geo, const std::vector<TargetRow>& targets,
                                double anchor_t);

// Simplified SimOTA over all scales at once: candidates are (scale, anchor, cell) with the anchor's
// shape ratio below anchor_t and the cell centre within `radius` cells of the target centre; cost =
// class BCE (logits vs one-hot) + iou_weight * (1 - IoU(decoded prediction, target)); each target takes
// its dynamic_k = max(1, floor(sum of its top `topk` IoUs)) cheapest candidates, and a candidate
// chosen by several targets goes to the cheapest one.
YoloLoss::Assigned assign_simota(const YoloOutput& out, const YoloGeometry& geo, const std::vector<TargetRow>& targets,
                                 double anchor_t, double radius, int64_t topk, double iou_weight);

}  // namespace seek::models::yolo

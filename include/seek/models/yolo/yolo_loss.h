#pragma once
// YOLOv5's ComputeLoss for seek's YOLO: box loss 1 - CIoU (or GIoU/DIoU/IoU) over the matched
// predictions, objectness BCE-with-logits over every cell with target = detached IoU clamped at 0,
// class BCE-with-logits with label smoothing (only when nc > 1), per-scale objectness balance, and
// the hyperparameter scaling of YOLOv5's train.py (box *= 3/nl, cls *= nc/80 * 3/nl,
// obj *= (S/640)^2 * 3/nl; S = the image size read from the predictions). Targets are matched to
// predictions by YOLOv5's shape-ratio assigner (three cells per target: its own and the two nearest
// neighbours) or by a simplified SimOTA (yolo_assign.h). Anchors come per image from YoloOutput, so
// the dynamic-anchor generator's shapes get the box loss's gradient.
#include <cstdint>
#include <string>
#include <vector>

#include "seek/core/tensor.h"
#include "seek/models/yolo/yolo.h"
#include "seek/vision/bbox_iou.h"

namespace seek::models::yolo {

struct YoloLossOptions {
  int64_t num_classes = 10;
  double box = 0.05, obj = 1.0, cls = 0.5;     // YOLOv5 hyp (scaled by the loss, see scale_hyp)
  double anchor_t = 4.0;                       // max(w/aw, aw/w, h/ah, ah/h) < anchor_t to match
  std::vector<double> balance{4.0, 1.0, 0.4};  // per-scale objectness weights (one per scale)
  vision::IouType iou_type = vision::IouType::CIoU;
  double label_smoothing = 0.0;    // class targets 1 - eps/2 and eps/2 (YOLOv5's smooth_BCE)
  std::string assigner = "ratio";  // "ratio" (YOLOv5: shape ratio < anchor_t + 2 neighbouring cells)
                                   // or "simota" (simplified SimOTA: dynamic k from top IoUs, cost =
                                   // cls + 3 * (1 - IoU) inside a centre region)
  // ---- additions to the contract ----
  bool scale_hyp = true;                // apply train.py's nl / nc / image-size scaling to box, obj, cls
  double reference_image_size = 640.0;  // the S of obj *= (S / reference)^2 (YOLOv5: 640)
  double iou_ratio = 1.0;               // YOLOv5's model.gr: objectness target (1 - gr) + gr * IoU
  double simota_radius = 1.0;           // centre region: cells whose centre is within this many cells of the
                                        // target centre on each axis (1.0 = where the decoder can reach)
  int64_t simota_topk = 10;             // dynamic k = max(1, floor(sum of the top simota_topk IoUs))
  double simota_iou_weight = 3.0;       // cost = cls BCE + simota_iou_weight * (1 - IoU)
};

struct YoloLossItems {
  Tensor loss;                             // scalar, differentiable: (lbox + lobj + lcls) * batch_size
  double box = 0.0, obj = 0.0, cls = 0.0;  // the scaled parts (before * batch_size), as YOLOv5 logs them
};

class YoloLoss {
 public:
  explicit YoloLoss(YoloLossOptions options);
  // targets [T, 6] as DetectionBatch.targets: (batch idx, cls, cx, cy, w, h), cx..h normalised by S.
  YoloLossItems operator()(const YoloOutput& out, const Tensor& targets) const;
  // The assignment alone, for tests and inspection: per scale the matched (b, a, gj, gi) (int64 [n]),
  // target box in grid units (x offset in cell, y, w, h) [n, 4], class (int64 [n]), and the anchor
  // (w, h) in grid units [n, 2] (differentiable: gathered from out.anchors / stride). image_size is
  // S; every scale's grid times its stride must equal it.
  struct Assigned {
    std::vector<Tensor> b, a, gj, gi, tbox, tcls, anch;
  };
  Assigned assign(const YoloOutput& out, const Tensor& targets, int64_t image_size) const;
  const YoloLossOptions& options() const { return options_; }
  // The gains after scale_hyp for nl scales at image size S: {box, obj, cls}.
  std::vector<double> gains(int64_t num_scales, int64_t image_size) const;

 private:
  YoloLossOptions options_;
};

}  // namespace seek::models::yolo

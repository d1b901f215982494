"""Detection helpers of seek.vision: YOLOv5's non_max_suppression and bbox_iou, and COCO evaluation
(pycocotools' COCOeval for bbox, in C++: seek/vision/coco_eval.h).

Ground truth and detections are pycocotools' dicts, so a results file read with json.load (or
read_coco_detections) is accepted as is:

    ev = CocoEvaluator.from_json("val.json")          # or CocoEvaluator.from_detection_set(set)
    for b, det in enumerate(non_max_suppression(pred, conf_thres=0.001, iou_thres=0.6)):
        ev.add_xyxy(det, image_id=ids[b])             # [n, 6] x1, y1, x2, y2, conf, class
    m = ev.evaluate(); print(m.summary()); m.map50, m.map50_95, m.per_class_ap50
"""
import numpy as np

from .. import _C

_v = _C.vision

bbox_iou = _v.bbox_iou
CocoEvaluator = _v.CocoEvaluator
CocoMetrics = _v.CocoMetrics
read_coco_detections = _v.read_coco_detections
write_coco_detections = _v.write_coco_detections
coco_detections_from_xyxy = _v.coco_detections_from_xyxy
coco_ground_truth_from_xyxy = _v.coco_ground_truth_from_xyxy
draw_bounding_boxes = _v.draw_bounding_boxes
DetectionConfusionMatrix = _v.DetectionConfusionMatrix

__all__ = ["non_max_suppression", "bbox_iou", "CocoEvaluator", "CocoMetrics", "read_coco_detections",
           "write_coco_detections", "coco_detections_from_xyxy", "coco_ground_truth_from_xyxy", "draw_bounding_boxes",
           "DetectionConfusionMatrix"]


def _keep_classes(prediction, classes, multi_label):
    # YOLOv5 filters by class before NMS: single-label drops a box whose best class is not listed,
    # multi-label drops the (box, class) pairs of unlisted classes. Both are done here by zeroing the
    # scores that make a candidate (objectness, or the class probabilities) so the C++ pass skips them.
    x = prediction.detach().cpu().float().numpy().copy()
    if x.ndim != 3 or x.shape[2] < 6:
        raise ValueError(f"non_max_suppression: prediction must be [B, N, 5 + nc], got shape {tuple(x.shape)}")
    nc = x.shape[2] - 5
    allowed = np.zeros(nc, dtype=bool)
    for c in classes:
        if not 0 <= int(c) < nc:
            raise ValueError(f"non_max_suppression: class {int(c)} in classes is out of range for {nc} classes")
        allowed[int(c)] = True
    if multi_label:
        x[:, :, 5:][:, :, ~allowed] = 0.0
    else:
        best = x[:, :, 5:].argmax(axis=2)
        x[:, :, 4] *= allowed[best]
    return _C.from_numpy(x).to(prediction.dtype).to(prediction.device)


def non_max_suppression(prediction, conf_thres=0.25, iou_thres=0.45, classes=None, agnostic=False,
                        multi_label=False, max_det=300, max_nms=30000):
    """YOLOv5's post-processing. prediction [B, N, 5 + nc]: cx, cy, w, h (pixels), objectness and class
    probabilities (YoloModel.decode's output). Returns one float32 [n, 6] tensor per image: x1, y1, x2, y2,
    confidence (obj * cls), class; at most max_det, by decreasing confidence. classes: keep only these class
    indices (as YOLOv5, before NMS)."""
    if classes is not None:
        prediction = _keep_classes(prediction, list(classes), multi_label)
    return _v.non_max_suppression(prediction, conf_thres=conf_thres, iou_thres=iou_thres, agnostic=agnostic,
                                  multi_label=multi_label, max_det=max_det, max_nms=max_nms)

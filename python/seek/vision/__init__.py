"""seek.vision: torchvision's transforms, datasets and utils for seek, so that a script ports by
changing `torchvision` to `seek.vision` in its imports; plus detection: seek.vision.ops (torchvision.ops'
box ops and NMS), YOLOv5's non_max_suppression and bbox_iou, and the COCO evaluator."""
from . import datasets, ops, transforms, utils  # noqa: F401
from .detection import (  # noqa: F401
    CocoEvaluator, CocoMetrics, bbox_iou, coco_detections_from_xyxy, coco_ground_truth_from_xyxy,
    draw_bounding_boxes, non_max_suppression, read_coco_detections, write_coco_detections)
from .detection import DetectionConfusionMatrix  # noqa: F401

__all__ = ["datasets", "transforms", "utils", "ops", "non_max_suppression", "bbox_iou", "CocoEvaluator",
           "CocoMetrics", "read_coco_detections", "write_coco_detections", "coco_detections_from_xyxy",
           "coco_ground_truth_from_xyxy", "draw_bounding_boxes", "DetectionConfusionMatrix"]

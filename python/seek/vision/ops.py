"""seek.vision.ops: torchvision.ops' box operations and NMS for seek tensors (seek/vision/boxes.h, nms.h).

Boxes are float [N, 4] tensors, "xyxy" unless named otherwise; the IoU matrices are differentiable.
"""
from .. import _C

_v = _C.vision

box_convert = _v.box_convert
box_area = _v.box_area
box_iou = _v.box_iou
generalized_box_iou = _v.generalized_box_iou
distance_box_iou = _v.distance_box_iou
complete_box_iou = _v.complete_box_iou
clip_boxes_to_image = _v.clip_boxes_to_image
remove_small_boxes = _v.remove_small_boxes
scale_boxes = _v.scale_boxes
nms = _v.nms
batched_nms = _v.batched_nms

__all__ = ["box_convert", "box_area", "box_iou", "generalized_box_iou", "distance_box_iou", "complete_box_iou",
           "clip_boxes_to_image", "remove_small_boxes", "scale_boxes", "nms", "batched_nms"]

#pragma once
// Detection utilities, like torchvision.ops / torchvision.utils: box conversions and IoUs, NMS and YOLO's
// post-processing, the elementwise IoU family of the box losses, COCO evaluation (pycocotools' numbers) and
// drawing boxes, text, grids and curves into images.
#include "seek/vision/bbox_iou.h"
#include "seek/vision/boxes.h"
#include "seek/vision/coco_eval.h"
#include "seek/vision/draw.h"
#include "seek/vision/nms.h"

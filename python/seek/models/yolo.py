"""seek.models.yolo: the YOLO detector (seek/models/yolo): YoloConfig (nano() / small() presets, fields as
keywords), YoloModel (a seek.nn.Module; forward -> YoloOutput with per-scale raw predictions [B, A, H, W,
5 + nc], the anchors used [B, A, 2] and the strides; decode -> [B, N, 5 + nc] for non_max_suppression) and
YoloLoss (YOLOv5's ComputeLoss; `loss, (box, obj, cls) = criterion(model(images), targets)`).

    model = YoloModel(YoloConfig.nano(num_classes=10, image_size=128))
    criterion = YoloLoss(num_classes=10)
    for images, targets, counts in seek.data.DetectionLoader(dataset, batch_size=16, shuffle=True):
        loss, parts = criterion(model(images), targets)
"""
from .. import _C

_y = _C.models.yolo

YoloConfig = _y.YoloConfig
YoloModel = _y.YoloModel
YoloOutput = _y.YoloOutput
YoloLoss = _y.YoloLoss
YoloLossItems = _y.YoloLossItems
decode_predictions = _y.decode_predictions

# YoloModel(config) remembers its config, for copy.deepcopy (an EMA copy) and pickle, as the classes of
# seek._C.models do (seek.nn._module_ext).
from ..nn._module_ext import _record_init  # noqa: E402

_record_init(YoloModel)

__all__ = ["YoloConfig", "YoloModel", "YoloOutput", "YoloLoss", "YoloLossItems", "decode_predictions"]

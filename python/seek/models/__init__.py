"""seek.models: model constructors, like torchvision.models (same module and state_dict names)."""
from .. import _C

_m = _C.models

ResNet = _m.ResNet
BasicBlock = _m.BasicBlock
Bottleneck = _m.Bottleneck
MobileNetV3 = _m.MobileNetV3
# BERT with Hugging Face's names (seek/models/bert.h): a transformers model.safetensors loads with load_state_dict.
BertConfig = _m.BertConfig
BertModel = _m.BertModel
BertForMaskedLM = _m.BertForMaskedLM
BertForSequenceClassification = _m.BertForSequenceClassification
BertModelOutput = _m.BertModelOutput
MaskedLMOutput = _m.MaskedLMOutput
SequenceClassifierOutput = _m.SequenceClassifierOutput
# The YOLO detector (seek/models/yolo): seek.models.yolo.YoloModel, YoloConfig, YoloLoss.
from . import yolo  # noqa: E402
from .yolo import YoloConfig, YoloLoss, YoloModel  # noqa: E402
# The factories' models remember how they were made, for copy.deepcopy and pickle (seek.nn._module_ext).
from ..nn._module_ext import record_factory as _recorded  # noqa: E402

resnet18 = _recorded(_m.resnet18)
resnet34 = _recorded(_m.resnet34)
resnet50 = _recorded(_m.resnet50)
resnet18d = _recorded(_m.resnet18d)
resnet34d = _recorded(_m.resnet34d)
resnet50d = _recorded(_m.resnet50d)
resnet20 = _recorded(_m.resnet20)
resnet56 = _recorded(_m.resnet56)
mobilenet_v3_small = _recorded(_m.mobilenet_v3_small)
mobilenet_v3_large = _recorded(_m.mobilenet_v3_large)

__all__ = ["ResNet", "BasicBlock", "Bottleneck", "MobileNetV3", "resnet18", "resnet34", "resnet50", "resnet18d",
           "resnet34d", "resnet50d", "resnet20", "resnet56", "mobilenet_v3_small", "mobilenet_v3_large",
           "BertConfig", "BertModel", "BertForMaskedLM", "BertForSequenceClassification", "BertModelOutput",
           "MaskedLMOutput", "SequenceClassifierOutput", "yolo", "YoloConfig", "YoloModel", "YoloLoss"]

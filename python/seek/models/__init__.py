"""seek.models: model constructors, like torchvision.models (same module and state_dict names)."""
from .. import _C

_m = _C.models

ResNet = _m.ResNet
BasicBlock = _m.BasicBlock
Bottleneck = _m.Bottleneck
MobileNetV3 = _m.MobileNetV3
resnet18 = _m.resnet18
resnet34 = _m.resnet34
resnet50 = _m.resnet50
resnet18d = _m.resnet18d
resnet34d = _m.resnet34d
resnet50d = _m.resnet50d
resnet20 = _m.resnet20
resnet56 = _m.resnet56
mobilenet_v3_small = _m.mobilenet_v3_small
mobilenet_v3_large = _m.mobilenet_v3_large

__all__ = ["ResNet", "BasicBlock", "Bottleneck", "MobileNetV3", "resnet18", "resnet34", "resnet50", "resnet18d",
           "resnet34d", "resnet50d", "resnet20", "resnet56", "mobilenet_v3_small", "mobilenet_v3_large"]

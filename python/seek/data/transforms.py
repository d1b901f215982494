"""seek.data.transforms: image transforms on [C, H, W] tensors (torchvision.transforms style).

The classes run in C++; Compose and MapDataset also accept Python callables. Random
transforms draw from the generator the dataset hands them (see seek.data.MapDataset).
"""
from .. import _C

_t = _C.data.transforms

Transform = _t.Transform
Normalize = _t.Normalize
RandomCrop = _t.RandomCrop
RandomHorizontalFlip = _t.RandomHorizontalFlip
RandomRotation = _t.RandomRotation
RandomResizedCrop = _t.RandomResizedCrop
ColorJitter = _t.ColorJitter
Compose = _t.Compose
Lambda = _t.Lambda
hflip = _t.hflip

__all__ = ["Transform", "Normalize", "RandomCrop", "RandomHorizontalFlip", "RandomRotation", "RandomResizedCrop",
           "ColorJitter", "Compose", "Lambda", "hflip"]

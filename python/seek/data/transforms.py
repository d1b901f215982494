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
# Batch transforms: t(data, target) -> (data, soft target), e.g. in a DataLoader through
# seek.data.collate_with_transform(t, seed).
BatchTransform = _t.BatchTransform
MixUp = _t.MixUp
CutMix = _t.CutMix
RandomMixUpCutMix = _t.RandomMixUpCutMix

__all__ = ["Transform", "Normalize", "RandomCrop", "RandomHorizontalFlip", "RandomRotation", "RandomResizedCrop",
           "ColorJitter", "Compose", "Lambda", "hflip", "BatchTransform", "MixUp", "CutMix", "RandomMixUpCutMix"]

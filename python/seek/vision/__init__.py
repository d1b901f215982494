"""seek.vision: torchvision's transforms, datasets and utils for seek, so that a script ports by
changing `torchvision` to `seek.vision` in its imports."""
from . import datasets, transforms, utils  # noqa: F401

__all__ = ["datasets", "transforms", "utils"]

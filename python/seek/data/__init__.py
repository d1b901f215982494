"""seek.data: datasets, DataLoader and transforms, like torch.utils.data (+ torchvision).

A Python dataset subclasses seek.data.Dataset and defines __len__ and __getitem__
returning a (data, target) pair (tensors or numbers). The DataLoader is C++: it
yields (data, target) batches, builds them with the GIL released (in worker threads
when num_workers > 0; a Python __getitem__ or transform then takes the GIL for its
own call), and draws each epoch's shuffle order from Generator(seed) (set_epoch).

File datasets: MNIST / FashionMNIST (IDX), CIFAR10 (binary batches), ImageFolder (one
folder per class; read_image decodes PNG / JPEG / BMP). Batch mixing (transforms.MixUp,
CutMix, RandomMixUpCutMix) runs at collate time: DataLoader(collate_fn=
collate_with_transform(mix, seed)) gives every batch its own seeded draws. analyze()
reports class balance, image sizes, pixel statistics and a content hash.
"""
from .. import _C
from .._base_init import initialises_cpp_base
from . import transforms  # noqa: F401

_d = _C.data

TensorDataset = _d.TensorDataset
Subset = _d.Subset
MapDataset = _d.MapDataset
DataLoader = _d.DataLoader
MNIST = _d.MNIST
random_split = _d.random_split
read_idx_images = _d.read_idx_images
read_idx_labels = _d.read_idx_labels
CIFAR10 = _d.CIFAR10
ImageFolder = _d.ImageFolder
read_image = _d.read_image
read_cifar10_batch = _d.read_cifar10_batch
default_collate = _d.default_collate
collate_with_transform = _d.collate_with_transform
IndexedCollate = _d.IndexedCollate
analyze = _d.analyze
content_hash = _d.content_hash
DatasetAnalysis = _d.DatasetAnalysis

__all__ = ["Dataset", "TensorDataset", "Subset", "MapDataset", "DataLoader", "MNIST", "FashionMNIST", "random_split",
           "transforms", "CIFAR10", "ImageFolder", "read_image", "read_cifar10_batch", "default_collate",
           "collate_with_transform", "IndexedCollate", "analyze", "content_hash", "DatasetAnalysis"]


@initialises_cpp_base(_d.Dataset)
class Dataset(_d.Dataset):
    """Base of map-style datasets: define __len__ and __getitem__(index) -> (data, target).

    As in torch, a subclass need not call super().__init__(); it is called for it.
    """


class FashionMNIST(MNIST):
    """Fashion-MNIST: the MNIST file layout (IDX files under root), 10 clothing classes."""

    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
               "Ankle boot"]

"""seek.data: datasets, DataLoader and transforms, like torch.utils.data (+ torchvision).

A Python dataset subclasses seek.data.Dataset and defines __len__ and __getitem__
returning a (data, target) pair (tensors or numbers). The DataLoader is C++: it
yields (data, target) batches, builds them with the GIL released (in worker threads
when num_workers > 0; a Python __getitem__ or transform then takes the GIL for its
own call), and draws each epoch's shuffle order from Generator(seed) (set_epoch).
"""
from .. import _C
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

__all__ = ["Dataset", "TensorDataset", "Subset", "MapDataset", "DataLoader", "MNIST", "FashionMNIST", "random_split",
           "transforms"]


class Dataset(_d.Dataset):
    """Base of map-style datasets: define __len__ and __getitem__(index) -> (data, target).

    As in torch, a subclass need not call super().__init__(); it is called for it.
    """

    def __init__(self):
        if not self.__dict__.get("_seek_dataset_init", False):
            self.__dict__["_seek_dataset_init"] = True
            _d.Dataset.__init__(self)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        own_init = cls.__dict__.get("__init__")
        if own_init is None:
            return

        def __init__(self, *args, **kw):
            Dataset.__init__(self)
            own_init(self, *args, **kw)

        __init__.__doc__ = own_init.__doc__
        cls.__init__ = __init__


class FashionMNIST(MNIST):
    """Fashion-MNIST: the MNIST file layout (IDX files under root), 10 clothing classes."""

    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
               "Ankle boot"]

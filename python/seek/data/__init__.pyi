# Type stubs for seek.data (the C++ classes of seek._C.data; the torch.utils.data API is seek.utils.data's).
import os
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple, Union

from .._C import Tensor
from . import transforms as transforms

_Example = Tuple[Tensor, Tensor]

from ..utils.data import (BatchSampler as BatchSampler, ChainDataset as ChainDataset,
                          ConcatDataset as ConcatDataset, DataLoader as DataLoader, Dataset as Dataset,
                          IterableDataset as IterableDataset, RandomSampler as RandomSampler, Sampler as Sampler,
                          SequentialSampler as SequentialSampler, Subset as Subset,
                          SubsetRandomSampler as SubsetRandomSampler, TensorDataset as TensorDataset,
                          WeightedRandomSampler as WeightedRandomSampler, default_collate as default_collate,
                          default_convert as default_convert, get_worker_info as get_worker_info,
                          random_split as random_split)
from ..utils.data import DistributedSampler as DistributedSampler

class MapDataset(Dataset):
    def __init__(self, dataset: Dataset, transform: Callable[[Tensor], Tensor], *, seed: Optional[int] = None,
                 generator_seed: Optional[int] = None) -> None: ...
    def __getitem__(self, index: int) -> _Example: ...

class MNIST(Dataset):
    data: Tensor
    targets: Tensor
    def __init__(self, root: str, train: bool = True) -> None: ...
    def __getitem__(self, index: int) -> _Example: ...

class FashionMNIST(MNIST):
    classes: List[str]

def read_idx_images(path: str) -> Tensor: ...
def read_idx_labels(path: str) -> Tensor: ...

class CIFAR10(Dataset):
    data: Tensor       # uint8 [N, 3, 32, 32]
    targets: Tensor    # int64 [N]
    classes: List[str]
    class_to_idx: Dict[str, int]
    root: str
    def __init__(self, root: Union[str, os.PathLike], train: bool = True,
                 transform: Optional[Callable[[Tensor], Tensor]] = None,
                 target_transform: Optional[Callable[[Tensor], Tensor]] = None) -> None: ...
    def __getitem__(self, index: int) -> _Example: ...

class ImageFolder(Dataset):
    classes: List[str]
    class_to_idx: Dict[str, int]
    samples: List[Tuple[str, int]]
    imgs: List[Tuple[str, int]]
    targets: List[int]
    def __init__(self, root: Union[str, os.PathLike], transform: Optional[Callable[[Tensor], Tensor]] = None,
                 target_transform: Optional[Callable[[Tensor], Tensor]] = None, *, allow_empty: bool = False,
                 channels: int = 3, size: Optional[Union[int, Tuple[int, int]]] = None,
                 extensions: Optional[Sequence[str]] = None) -> None: ...
    def __getitem__(self, index: int) -> _Example: ...

def read_image(path: Union[str, os.PathLike], channels: int = 3) -> Tensor: ...
def read_cifar10_batch(path: Union[str, os.PathLike]) -> Tuple[Tensor, Tensor]: ...

class IndexedCollate:
    def __call__(self, examples: Sequence[_Example], epoch: int = 0, batch: int = 0) -> _Example: ...

def collate_with_transform(transform: Union[transforms.BatchTransform, Callable[[Tensor, Tensor], _Example]],
                           seed: int = 0,
                           collate_fn: Optional[Callable[[List[_Example]], _Example]] = None) -> IndexedCollate: ...

class RangeStats:
    min: float
    max: float
    mean: float
    count: int

class ClassDistribution:
    counts: List[int]
    fractions: List[float]
    imbalance_ratio: float
    entropy: float
    balance: float

class ChannelStats:
    mean: float
    std: float
    image_mean: RangeStats
    image_std: RangeStats
    min: float
    max: float

class DatasetAnalysis:
    num_examples: int
    has_classes: bool
    classes: ClassDistribution
    class_names: List[str]
    channels: RangeStats
    height: RangeStats
    width: RangeStats
    non_image_examples: int
    pixels: List[ChannelStats]
    hash: int
    def hash_hex(self) -> str: ...
    def report(self) -> str: ...

def analyze(dataset: Dataset, num_classes: int = 0, class_names: Sequence[str] = ...,
            pixel_stats: bool = True) -> DatasetAnalysis: ...
def content_hash(dataset: Dataset) -> int: ...

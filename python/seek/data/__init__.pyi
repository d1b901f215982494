# Type stubs for seek.data (the classes are C++, seek._C.data).
import os
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple, Union

from .._C import Tensor
from . import transforms as transforms

_Example = Tuple[Tensor, Tensor]

class Dataset:
    def __init__(self) -> None: ...
    def __len__(self) -> int: ...
    def __getitem__(self, index: int) -> Any: ...

class TensorDataset(Dataset):
    def __init__(self, data: Tensor, targets: Tensor) -> None: ...
    def __getitem__(self, index: int) -> _Example: ...

class Subset(Dataset):
    indices: List[int]
    dataset: Dataset
    def __init__(self, dataset: Dataset, indices: Sequence[int]) -> None: ...
    def __getitem__(self, index: int) -> _Example: ...

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

def random_split(dataset: Dataset, lengths: Sequence[Union[int, float]], seed: int = 0) -> List[Subset]: ...
def read_idx_images(path: str) -> Tensor: ...
def read_idx_labels(path: str) -> Tensor: ...

class DataLoader:
    batch_size: int
    num_workers: int
    epoch: int
    def __init__(self, dataset: Dataset, batch_size: int = 1, shuffle: bool = False, num_workers: int = 0,
                 collate_fn: Optional[Union[Callable[[List[_Example]], _Example], IndexedCollate]] = None,
                 drop_last: bool = False,
                 seed: int = 0, prefetch_factor: int = 2) -> None: ...
    def __iter__(self) -> Iterator[_Example]: ...
    def __len__(self) -> int: ...
    def set_epoch(self, epoch: int) -> None: ...
    def state_dict(self) -> Dict[str, int]: ...
    def load_state_dict(self, state_dict: Dict[str, int]) -> None: ...

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
def default_collate(batch: Sequence[_Example]) -> _Example: ...

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

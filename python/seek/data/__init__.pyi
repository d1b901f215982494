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

# ---- detection (issue 18: seek/data/detection_*.h) ----
class DetectionRecord:
    image_path: str
    image_id: int
    width: int
    height: int
    boxes: Tensor
    labels: Tensor
    def __init__(self, image_path: str, image_id: int, width: int, height: int, boxes: Tensor,
                 labels: Tensor) -> None: ...

class DetectionSet:
    records: List[DetectionRecord]
    class_names: List[str]
    def __init__(self, records: Sequence[DetectionRecord] = ..., class_names: Sequence[str] = ...) -> None: ...
    def __len__(self) -> int: ...
    def __getitem__(self, index: int) -> DetectionRecord: ...

class DetectionAugment:
    img_size: int
    mosaic: float
    degrees: float
    translate: float
    scale: float
    shear: float
    fliplr: float
    flipud: float
    hsv_h: float
    hsv_s: float
    hsv_v: float
    pad_value: int
    min_box_size: float
    perspective: float
    area_thr: float
    def __init__(self, **fields: Any) -> None: ...

class DetectionSample:
    image: Tensor
    boxes: Tensor
    labels: Tensor
    image_id: int
    orig_height: int
    orig_width: int
    ratio: float
    pad_x: float
    pad_y: float

class DetectionDataset:
    set: DetectionSet
    augment: DetectionAugment
    augmenting: bool
    cached: bool
    def __init__(self, set: DetectionSet, augment: Optional[DetectionAugment] = None, augmenting: bool = False,
                 cache: bool = False, **augment_fields: Any) -> None: ...
    def __len__(self) -> int: ...
    def __getitem__(self, index: int) -> DetectionSample: ...
    def get(self, index: int, generator: Any = None) -> DetectionSample: ...
    def cache_images(self) -> None: ...

class DetectionBatch:
    images: Tensor
    targets: Tensor
    counts: List[int]
    samples: List[DetectionSample]
    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[Any]: ...

class DetectionLoader:
    epoch: int
    def __init__(self, dataset: DetectionDataset, batch_size: int = 16, shuffle: bool = False, seed: int = 0,
                 num_workers: int = 1, drop_last: bool = False) -> None: ...
    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[DetectionBatch]: ...
    def set_epoch(self, epoch: int) -> None: ...
    def make_batch(self, index: int) -> DetectionBatch: ...

def collate_detection(samples: Sequence[DetectionSample]) -> DetectionBatch: ...
def read_yolo_folder(images_dir: str, labels_dir: str, class_names: Sequence[str]) -> DetectionSet: ...
def read_coco_json(json_path: str, image_root: str) -> DetectionSet: ...
def write_yolo_labels(set: DetectionSet, labels_dir: str) -> None: ...
def write_coco_json(set: DetectionSet, json_path: str) -> None: ...
def read_class_names(path: str) -> List[str]: ...
def write_class_names(names: Sequence[str], path: str) -> None: ...
def write_image(path: str, image: Tensor) -> None: ...

class FashionDetectionOptions:
    def __init__(self, **fields: Any) -> None: ...

class FashionDetectionResult:
    train: DetectionSet
    val: DetectionSet
    test: DetectionSet
    seconds: float

def make_fashion_detection(mnist_dir: str, out_dir: str, **options: Any) -> FashionDetectionResult: ...
def fashion_mnist_class_names() -> List[str]: ...

class Histogram:
    edges: List[float]
    counts: List[int]

class DetectionStats:
    images: int
    boxes: int
    empty_images: int
    boxes_per_image: List[int]
    per_class: List[int]
    class_names: List[str]
    width: Histogram
    height: Histogram
    area: Histogram
    coco_small: int
    coco_medium: int
    coco_large: int
    mean_width: float
    mean_height: float
    wh: Tensor
    def summary(self) -> str: ...

def detection_stats(set: DetectionSet, bins: int = 10) -> DetectionStats: ...
def kmeans_anchors(wh: Tensor, k: int, seed: int = 0, iterations: int = 300) -> Tensor: ...
def best_possible_recall(wh: Tensor, anchors: Tensor, ratio_threshold: float = 4.0) -> float: ...
def mean_best_iou(wh: Tensor, anchors: Tensor) -> float: ...
def anchor_summary(wh: Tensor, scales: int = 3, per_scale: int = 3, seed: int = 0,
                   ratio_threshold: float = 4.0) -> str: ...

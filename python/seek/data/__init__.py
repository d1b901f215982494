"""seek.data: datasets, DataLoader and transforms, like torch.utils.data (+ torchvision).

Dataset, TensorDataset, Subset, random_split, the samplers, default_collate and the
DataLoader are seek.utils.data's (torch.utils.data's API and semantics; see there). A
DataLoader over a C++ dataset (TensorDataset of two tensors, MNIST, MapDataset, ...) with
the default sampler and collate batches in C++ with the GIL released (in worker threads
when num_workers > 0). MapDataset and the Trainer need samples that are (data, target) pairs.

File datasets: MNIST / FashionMNIST (IDX), CIFAR10 (binary batches), ImageFolder (one
folder per class; read_image decodes PNG / JPEG / BMP). Batch mixing (transforms.MixUp,
CutMix, RandomMixUpCutMix) runs at collate time: DataLoader(collate_fn=
collate_with_transform(mix, seed)) gives every batch its own seeded draws. analyze()
reports class balance, image sizes, pixel statistics and a content hash.
"""
from .. import _C
from ..utils.data import (  # noqa: F401  (the torch.utils.data API: one DataLoader for both packages)
    BatchSampler, ChainDataset, ConcatDataset, DataLoader, Dataset, IterableDataset, RandomSampler, Sampler,
    SequentialSampler, Subset, SubsetRandomSampler, TensorDataset, WeightedRandomSampler, default_collate,
    default_convert, get_worker_info, random_split)
from ..utils.data import DistributedSampler  # noqa: F401
from . import transforms  # noqa: F401

_d = _C.data

MapDataset = _d.MapDataset
MNIST = _d.MNIST
read_idx_images = _d.read_idx_images
read_idx_labels = _d.read_idx_labels
CIFAR10 = _d.CIFAR10
ImageFolder = _d.ImageFolder
read_image = _d.read_image
read_cifar10_batch = _d.read_cifar10_batch
collate_with_transform = _d.collate_with_transform
IndexedCollate = _d.IndexedCollate
analyze = _d.analyze
content_hash = _d.content_hash
DatasetAnalysis = _d.DatasetAnalysis
# Detection (seek/data/detection_*.h): YOLO-folder / COCO readers, the augmenting DetectionDataset, the
# DetectionLoader (batches unpack as images, targets [T, 6], counts), the Fashion-MNIST detection generator.
DetectionRecord = _d.DetectionRecord
DetectionSet = _d.DetectionSet
DetectionAugment = _d.DetectionAugment
DetectionSample = _d.DetectionSample
DetectionDataset = _d.DetectionDataset
DetectionBatch = _d.DetectionBatch
DetectionLoader = _d.DetectionLoader
collate_detection = _d.collate_detection
read_yolo_folder = _d.read_yolo_folder
read_coco_json = _d.read_coco_json
write_yolo_labels = _d.write_yolo_labels
write_coco_json = _d.write_coco_json
read_class_names = _d.read_class_names
write_class_names = _d.write_class_names
write_image = _d.write_image
FashionDetectionOptions = _d.FashionDetectionOptions
FashionDetectionResult = _d.FashionDetectionResult
make_fashion_detection = _d.make_fashion_detection
fashion_mnist_class_names = _d.fashion_mnist_class_names
DetectionStats = _d.DetectionStats
Histogram = _d.Histogram
detection_stats = _d.detection_stats
kmeans_anchors = _d.kmeans_anchors
best_possible_recall = _d.best_possible_recall
mean_best_iou = _d.mean_best_iou
anchor_summary = _d.anchor_summary

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "Subset", "ConcatDataset", "ChainDataset", "MapDataset",
           "DataLoader", "MNIST", "FashionMNIST", "random_split", "transforms", "CIFAR10", "ImageFolder",
           "read_image", "read_cifar10_batch", "default_collate", "default_convert", "get_worker_info",
           "collate_with_transform", "IndexedCollate", "analyze", "content_hash", "DatasetAnalysis", "Sampler",
           "SequentialSampler", "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler", "BatchSampler",
           "DetectionRecord", "DetectionSet", "DetectionAugment", "DetectionSample", "DetectionDataset",
           "DetectionBatch", "DetectionLoader", "collate_detection", "read_yolo_folder", "read_coco_json",
           "write_yolo_labels", "write_coco_json", "read_class_names", "write_class_names", "write_image",
           "FashionDetectionOptions", "FashionDetectionResult", "make_fashion_detection",
           "fashion_mnist_class_names", "DetectionStats", "Histogram", "detection_stats", "kmeans_anchors",
           "best_possible_recall", "mean_best_iou", "anchor_summary"]


class FashionMNIST(MNIST):
    """Fashion-MNIST: the MNIST file layout (IDX files under root), 10 clothing classes."""

    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
               "Ankle boot"]

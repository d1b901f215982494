"""seek.vision.datasets: torchvision.datasets' MNIST, FashionMNIST, CIFAR10 and ImageFolder with
torchvision's signatures (root, train, transform, target_transform, download).

A sample is (image, int target) as in torchvision: the image is a PIL image when Pillow is
installed, else a uint8 numpy array ([H, W] grey, [H, W, 3] colour), which ToTensor and the
other transforms take alike. Nothing is downloaded: download=True with the files missing raises
a RuntimeError that says where to put them. The file readers are seek's C++ ones
(seek.data.MNIST, CIFAR10, read_image); the CIFAR-10 python batches torchvision downloads
(cifar-10-batches-py) are read with an unpickler that admits only numpy arrays and containers.
"""
import io
import os
import pickle

import numpy as np

from .. import _C
from ..utils.data import Dataset

__all__ = ["MNIST", "FashionMNIST", "CIFAR10", "ImageFolder", "DatasetFolder", "IMG_EXTENSIONS", "default_loader"]

IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


def _pil_module():
    try:
        from PIL import Image
    except ImportError:
        return None
    return Image


def _to_image(arr):
    """A uint8 [H, W] / [H, W, C] array as torchvision gives it: PIL when installed, else the array."""
    image = _pil_module()
    return image.fromarray(arr) if image is not None else arr


def _missing(cls, root, where, download):
    hint = (f"{cls}: the dataset files are not under '{root}' (looked in {', '.join(where)}). seek does not download "
            f"datasets")
    if download:
        raise RuntimeError(hint + ": download=True cannot fetch them; download them yourself and place them there.")
    raise RuntimeError(hint + "; place the files there.")


class _VisionDataset(Dataset):
    def __init__(self, root, transform=None, target_transform=None):
        self.root = os.path.expanduser(str(root)) if root is not None else root
        self.transform = transform
        self.target_transform = target_transform

    def _finish(self, img, target):
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __repr__(self):
        return f"Dataset {type(self).__name__}\n    Number of datapoints: {len(self)}\n    Root location: {self.root}"


class MNIST(_VisionDataset):
    """MNIST from its IDX files (train-images-idx3-ubyte[.gz], ...) under root, root/MNIST/raw or
    root/MNIST (torchvision's layout). data: uint8 [N, 28, 28]; targets: int64 [N]."""

    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six", "7 - seven",
               "8 - eight", "9 - nine"]
    _FOLDER = "MNIST"

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        super().__init__(root, transform, target_transform)
        self.train = train
        stem = "train" if train else "t10k"
        candidates = [self.root, os.path.join(self.root, self._FOLDER, "raw"), os.path.join(self.root, self._FOLDER)]
        for folder in candidates:
            if any(os.path.exists(os.path.join(folder, f"{stem}-images-idx3-ubyte{ext}")) for ext in ("", ".gz")):
                self.raw_folder = folder
                break
        else:
            _missing(type(self).__name__, self.root, candidates, download)
        self._cpp = _C.data.MNIST(self.raw_folder, train)
        self.data = self._cpp.data
        self.targets = self._cpp.targets
        self._images = self.data.numpy()
        self._labels = self.targets.tolist()

    @property
    def class_to_idx(self):
        return {c: i for i, c in enumerate(self.classes)}

    def __len__(self):
        return len(self._labels)

    def __getitem__(self, index):
        return self._finish(_to_image(self._images[index]), self._labels[index])


class FashionMNIST(MNIST):
    """Fashion-MNIST: MNIST's layout (under root, root/FashionMNIST/raw or root/FashionMNIST)."""

    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
               "Ankle boot"]
    _FOLDER = "FashionMNIST"


class _ArraysOnly(pickle.Unpickler):
    """Unpickles the CIFAR python batches: dicts, lists, bytes, numbers and numpy arrays only."""

    _ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy", "ndarray"), ("numpy", "dtype"),
                ("numpy.core.multiarray", "scalar"), ("_codecs", "encode")}

    def find_class(self, module, name):
        if (module, name) in self._ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"CIFAR10: a batch file refers to {module}.{name}; only numpy arrays and "
                                     f"containers are read")


def _read_py_batch(path):
    with open(path, "rb") as f:
        d = _ArraysOnly(io.BytesIO(f.read()), encoding="latin1").load()
    images = np.asarray(d["data"], dtype=np.uint8).reshape(-1, 3, 32, 32)
    labels = d["labels"] if "labels" in d else d["fine_labels"]
    return images, list(labels)


class CIFAR10(_VisionDataset):
    """CIFAR-10 from root/cifar-10-batches-py (torchvision's download) or the binary batches
    (root or root/cifar-10-batches-bin). data: uint8 numpy [N, 32, 32, 3]; targets: list of ints."""

    classes = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    base_folder = "cifar-10-batches-py"

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        super().__init__(root, transform, target_transform)
        self.train = train
        py_folder = os.path.join(self.root, self.base_folder)
        names = [f"data_batch_{i}" for i in range(1, 6)] if train else ["test_batch"]
        bin_folders = [self.root, os.path.join(self.root, "cifar-10-batches-bin")]
        if all(os.path.exists(os.path.join(py_folder, n)) for n in names):
            parts = [_read_py_batch(os.path.join(py_folder, n)) for n in names]
            images = np.concatenate([p[0] for p in parts])
            self.targets = [t for p in parts for t in p[1]]
        elif any(os.path.exists(os.path.join(f, names[0] + ".bin")) for f in bin_folders):
            cpp = _C.data.CIFAR10(self.root, train)
            images = cpp.data.numpy()
            self.targets = cpp.targets.tolist()
        else:
            _missing("CIFAR10", self.root, [py_folder] + bin_folders, download)
        self.data = np.ascontiguousarray(images.transpose(0, 2, 3, 1))

    @property
    def class_to_idx(self):
        return {c: i for i, c in enumerate(self.classes)}

    def __len__(self):
        return len(self.targets)

    def __getitem__(self, index):
        return self._finish(_to_image(self.data[index]), self.targets[index])


def default_loader(path):
    """An image file as torchvision's default loader gives it: a PIL RGB image when Pillow is
    installed, else a uint8 [H, W, 3] numpy array (decoded by seek.data.read_image)."""
    image = _pil_module()
    if image is not None:
        with open(path, "rb") as f:
            return image.open(f).convert("RGB")
    t = _C.data.read_image(str(path), 3)
    return np.clip(np.rint(t.numpy().transpose(1, 2, 0) * 255), 0, 255).astype(np.uint8)


class DatasetFolder(_VisionDataset):
    """Samples in root/<class>/**/<file>: classes are the sorted sub-folder names."""

    def __init__(self, root, loader, extensions=None, transform=None, target_transform=None, is_valid_file=None):
        super().__init__(root, transform, target_transform)
        if (extensions is None) == (is_valid_file is None):
            raise ValueError("DatasetFolder: give exactly one of extensions and is_valid_file")
        if not os.path.isdir(self.root):
            raise FileNotFoundError(f"{type(self).__name__}: '{self.root}' is not a folder")
        self.classes, self.class_to_idx = self.find_classes(self.root)
        if is_valid_file is None:
            exts = tuple(e.lower() for e in extensions)

            def is_valid_file(p):
                return p.lower().endswith(exts)

        self.samples = []
        for c in self.classes:
            found = []
            for dirpath, _, files in sorted(os.walk(os.path.join(self.root, c), followlinks=True)):
                for name in sorted(files):
                    path = os.path.join(dirpath, name)
                    if is_valid_file(path):
                        found.append((path, self.class_to_idx[c]))
            if not found:
                raise FileNotFoundError(f"{type(self).__name__}: found no valid file for the class {c} (under "
                                        f"'{os.path.join(self.root, c)}')")
            self.samples.extend(found)
        self.loader = loader
        self.extensions = extensions
        self.targets = [s[1] for s in self.samples]

    @staticmethod
    def find_classes(directory):
        classes = sorted(e.name for e in os.scandir(directory) if e.is_dir())
        if not classes:
            raise FileNotFoundError(f"Couldn't find any class folder in {directory}.")
        return classes, {c: i for i, c in enumerate(classes)}

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, index):
        path, target = self.samples[index]
        return self._finish(self.loader(path), target)


class ImageFolder(DatasetFolder):
    """torchvision.datasets.ImageFolder: root/<class>/<image file>, loaded by default_loader."""

    def __init__(self, root, transform=None, target_transform=None, loader=default_loader, is_valid_file=None):
        super().__init__(root, loader, IMG_EXTENSIONS if is_valid_file is None else None, transform,
                         target_transform, is_valid_file)
        self.imgs = self.samples

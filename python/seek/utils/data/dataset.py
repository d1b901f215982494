"""Datasets of seek.utils.data (torch.utils.data's): Dataset, IterableDataset, TensorDataset,
Subset, ConcatDataset, ChainDataset and random_split.

Dataset is the C++-backed base of seek.data (so the C++ DataLoader, MapDataset and the Trainer
read Python subclasses too). A dataset with a C++ equivalent names it in `_cpp_dataset` (the
C++ TensorDataset of a two-tensor TensorDataset, the C++ Subset of a Subset of one); C++ code
then reads it without calling back into Python. TensorDataset (and Subsets of it) also gather
a whole batch with one index op per tensor (`_gather`), which the DataLoader uses with the
default collate.
"""
import bisect
import math
import warnings

from ... import _C
from ..._base_init import initialises_cpp_base
from ..._generator import Generator, draw

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "Subset", "ConcatDataset", "ChainDataset",
           "random_split"]


@initialises_cpp_base(_C.data.Dataset)
class Dataset(_C.data.Dataset):
    """Base of map-style datasets: define __getitem__(index) and __len__.

    As in torch, a subclass need not call super().__init__(); it is called for it. Samples may
    be anything default_collate (or your collate_fn) takes; C++ consumers (MapDataset, the
    Trainer) need (data, target) pairs.
    """

    _cpp_dataset = None

    def __add__(self, other):
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """Base of iterable-style datasets: define __iter__. With num_workers > 0 every worker thread
    iterates its own iter(dataset); get_worker_info() inside __iter__ tells which one it is."""

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")

    def __add__(self, other):
        return ChainDataset([self, other])


def _name(obj):
    return type(obj).__name__


class TensorDataset(Dataset):
    """Sample i is tuple(t[i] for t in tensors); all tensors have the same first dimension."""

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset: give at least one tensor")
        for k, t in enumerate(tensors):
            if not isinstance(t, _C.Tensor):
                raise TypeError(f"TensorDataset: argument {k} must be a seek.Tensor, got {_name(t)}")
            if t.dim() == 0:
                raise ValueError(f"TensorDataset: tensor {k} is 0-d; each needs a first (sample) dimension")
        sizes = [t.shape[0] for t in tensors]
        if any(s != sizes[0] for s in sizes):
            raise ValueError(f"TensorDataset: size mismatch between tensors: first dimensions {sizes}")
        self.tensors = tuple(tensors)
        self._cpp = None

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self):
        return self.tensors[0].shape[0]

    @property
    def _cpp_dataset(self):
        if len(self.tensors) != 2 or type(self).__getitem__ is not TensorDataset.__getitem__:
            return None
        if self._cpp is None:
            self._cpp = _C.data.TensorDataset(*self.tensors)
        return self._cpp

    def _gather(self, indices):
        if type(self).__getitem__ is not TensorDataset.__getitem__:
            return None
        n = len(self)
        for i in indices:
            if not -n <= i < n:
                raise IndexError(f"TensorDataset: index {i} is out of range for {n} samples")
        idx = _C.tensor(list(indices), dtype=_C.int64)
        return [t.index_select(0, idx if t.device == idx.device else idx.to(t.device)) for t in self.tensors]


class Subset(Dataset):
    """Sample i is dataset[indices[i]]."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = list(indices) if not isinstance(indices, list) else indices
        self._cpp = None

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __len__(self):
        return len(self.indices)

    @property
    def _cpp_dataset(self):
        if type(self).__getitem__ is not Subset.__getitem__:
            return None
        if self._cpp is None:
            base = self.dataset if _is_native(self.dataset) else getattr(self.dataset, "_cpp_dataset", None)
            if base is None:
                return None
            self._cpp = _C.data.Subset(base, [int(i) for i in self.indices])
        return self._cpp

    def _gather(self, indices):
        gather = getattr(self.dataset, "_gather", None)
        if gather is None or type(self).__getitem__ is not Subset.__getitem__:
            return None
        return gather([self.indices[i] for i in indices])


class ConcatDataset(Dataset):
    """The samples of several datasets, one after the other."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise TypeError("ConcatDataset does not support IterableDataset (use ChainDataset)")
        self.cumulative_sizes = []
        total = 0
        for d in self.datasets:
            total += len(d)
            self.cumulative_sizes.append(total)

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx):
        if idx < 0:
            if -idx > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            idx = len(self) + idx
        k = bisect.bisect_right(self.cumulative_sizes, idx)
        start = 0 if k == 0 else self.cumulative_sizes[k - 1]
        if k >= len(self.datasets):
            raise IndexError(f"ConcatDataset: index {idx} is out of range for {len(self)} samples")
        return self.datasets[k][idx - start]


class ChainDataset(IterableDataset):
    """The samples of several iterable datasets, one after the other."""

    def __init__(self, datasets):
        self.datasets = datasets

    def __iter__(self):
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise TypeError(f"ChainDataset only supports IterableDataset, got {_name(d)}")
            yield from d

    def __len__(self):
        return sum(len(d) for d in self.datasets)


def _is_native(ds):
    """A dataset implemented in C++ (TensorDataset, MNIST, MapDataset, ... of seek._C.data)."""
    return isinstance(ds, _C.data.Dataset) and not isinstance(ds, Dataset)


def random_split(dataset, lengths, generator=None, *, seed=None):
    """Random non-overlapping Subsets of the given lengths, or of fractions summing to 1 (the
    remainder goes one by one to the first parts), from a permutation drawn with generator
    (default: seek's global generator; seed=s is generator=Generator().manual_seed(s))."""
    if seed is not None:
        if generator is not None:
            raise ValueError("random_split: give generator or seed, not both")
        generator = Generator().manual_seed(seed)
    lengths = list(lengths)
    n = len(dataset)
    if lengths and math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        counts = []
        for i, frac in enumerate(lengths):
            if frac < 0 or frac > 1:
                raise ValueError(f"random_split: fraction at index {i} is not between 0 and 1")
            counts.append(int(math.floor(n * frac)))
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        for i, c in enumerate(counts):
            if c == 0:
                warnings.warn(f"Length of split at index {i} is 0. This might result in an empty dataset.")
        lengths = counts
    for i, v in enumerate(lengths):
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise ValueError(f"random_split: length at index {i} must be a non-negative int (or all lengths "
                             f"fractions summing to 1), got {v!r}")
    if sum(lengths) != n:
        raise ValueError(f"Sum of input lengths ({sum(lengths)}) does not equal the length of the input "
                         f"dataset ({n})!")
    indices = draw("randperm", n, generator).tolist()
    parts, offset = [], 0
    for length in lengths:
        parts.append(Subset(dataset, indices[offset:offset + length]))
        offset += length
    return parts

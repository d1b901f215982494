"""Samplers of seek.utils.data (torch.utils.data's): the order in which a DataLoader reads a
map-style dataset. Random samplers draw from their generator, or, without one, seed a fresh
stream from seek's global generator at each iteration (so seek.manual_seed decides the order
and every epoch has a new one, as in torch; the numbers differ from torch's generator)."""
import numpy as np

from ... import _C
from ..._generator import Generator, draw, draw_seed

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler",
           "BatchSampler"]


def _positive_int(value, who, what, error=ValueError):
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise error(f"{who}: {what} should be a positive integer value, but got {what}={value!r}")


class Sampler:
    """Base of samplers: define __iter__ (indices) and, where it has one, __len__."""

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random permutation of the indices, or num_samples indices drawn with replacement.

    Without replacement and num_samples > len(data_source), whole permutations follow each other."""

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got replacement={replacement!r}")
        if num_samples is not None or len(data_source) == 0:
            _positive_int(self.num_samples, "RandomSampler", "num_samples")

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def _stream(self):
        return self.generator if self.generator is not None else Generator().manual_seed(draw_seed())

    def __iter__(self):
        n = len(self.data_source)
        gen = self._stream()
        if self.replacement:
            u = draw("rand", self.num_samples, gen).numpy()
            yield from np.minimum((u * n).astype(np.int64), n - 1).tolist()
            return
        for _ in range(self.num_samples // n):
            yield from draw("randperm", n, gen).tolist()
        yield from draw("randperm", n, gen).tolist()[:self.num_samples % n]

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in a random order."""

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = generator

    def __iter__(self):
        for i in draw("randperm", len(self.indices), self.generator).tolist():
            yield self.indices[i]

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """num_samples indices in [0, len(weights)), index i with probability weights[i] / sum(weights)
    (with replacement), or without replacement by successive weighted draws."""

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        _positive_int(num_samples, "WeightedRandomSampler", "num_samples")
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement should be a boolean value, but got replacement={replacement!r}")
        w = np.asarray(weights.tolist() if isinstance(weights, _C.Tensor) else weights, dtype=np.float64)
        if w.ndim != 1:
            raise ValueError(f"weights should be a 1d sequence but given weights have shape {tuple(w.shape)}")
        if w.size == 0 or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
            raise ValueError("WeightedRandomSampler: weights must be finite, non-negative and not all zero")
        if not replacement and num_samples > int(np.count_nonzero(w)):
            raise ValueError(f"WeightedRandomSampler: cannot draw {num_samples} samples without replacement from "
                             f"{int(np.count_nonzero(w))} non-zero weights")
        self.weights = _C.tensor(w.tolist(), dtype=_C.float64)
        self._w = w
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self):
        w = self._w
        u = draw("rand", self.num_samples if self.replacement else w.size, self.generator).numpy()
        if self.replacement:
            cdf = np.cumsum(w)
            idx = np.searchsorted(cdf, u * cdf[-1], side="right")
            return iter(np.minimum(idx, w.size - 1).tolist())
        # Weighted sampling without replacement: the num_samples largest keys u^(1/w) (Efraimidis-Spirakis).
        with np.errstate(divide="ignore"):
            keys = np.where(w > 0, np.log1p(-u) / np.where(w > 0, w, 1.0), -np.inf)
        return iter(np.argsort(-keys, kind="stable")[:self.num_samples].tolist())

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Groups the indices of sampler into lists of batch_size (the last one shorter unless drop_last)."""

    def __init__(self, sampler, batch_size, drop_last):
        _positive_int(batch_size, "BatchSampler", "batch_size")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last!r}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self):
        batch = []
        for idx in self.sampler:
            batch.append(idx)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self):
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else (n + self.batch_size - 1) // self.batch_size

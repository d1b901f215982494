"""default_collate and default_convert (torch.utils.data's), over tensors, numpy arrays and
scalars, Python numbers, strings, dicts, namedtuples and sequences, nested.

default_collate(batch) turns a list of samples into one batch of the same structure: tensors and
numpy arrays are stacked along a new first dimension, ints become an int64 tensor, floats a float64
tensor, bools a bool tensor, strings stay a list; a tuple sample gives a list (as torch does).
Anything else is a TypeError that names the type, where it sits in the sample
(`sample[1]['boxes']`) and which sample of the batch it came from.
"""
import collections.abc

import numpy as np

from ... import _C

__all__ = ["default_collate", "default_convert"]

_SUPPORTED = "tensors, numpy arrays, numbers, strings, dicts or lists"


def _type_name(obj):
    t = type(obj)
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


def _numpy_dtype_ok(dtype):
    return dtype.kind in "biuf" and dtype.name not in ("uint16", "uint32", "uint64", "int16", "float128")


def _array_to_tensor(arr, where):
    if arr.dtype.kind in "SaUO":
        raise TypeError(f"default_collate: found a numpy array of dtype {arr.dtype} at {where}; batches must "
                        f"contain {_SUPPORTED}")
    if arr.dtype == np.uint16 or arr.dtype == np.uint32:
        arr = arr.astype(np.int64)
    elif arr.dtype == np.int16:
        arr = arr.astype(np.int32)
    elif not _numpy_dtype_ok(arr.dtype):
        raise TypeError(f"default_collate: a numpy array of dtype {arr.dtype} at {where} has no seek dtype")
    return _C.from_numpy(np.ascontiguousarray(arr))


def _path(prefix, key):
    return f"{prefix}[{key!r}]"


def _is_namedtuple(obj):
    return isinstance(obj, tuple) and hasattr(obj, "_fields")


def _kind(x):
    if isinstance(x, _C.Tensor):
        return "tensor"
    if isinstance(x, np.ndarray):
        return "ndarray"
    if isinstance(x, (np.bool_, np.number)):
        return "npscalar"
    if isinstance(x, bool):
        return "bool"
    if isinstance(x, float):
        return "float"
    if isinstance(x, int):
        return "int"
    if isinstance(x, (str, bytes)):
        return "str"
    if isinstance(x, collections.abc.Mapping):
        return "mapping"
    if _is_namedtuple(x):
        return "namedtuple"
    if isinstance(x, collections.abc.Sequence):
        return "sequence"
    return None


def _fail(batch, path, why=None):
    """TypeError naming the first sample whose element at path has another kind than sample 0's."""
    first = _kind(batch[0])
    for i, x in enumerate(batch):
        k = _kind(x)
        if k is None or (k != first and not (k in ("int", "float", "bool") and first in ("int", "float", "bool"))):
            msg = (f"default_collate: found {_type_name(x)} at {path} of sample {i} in the batch"
                   + (f" (sample 0 has {_type_name(batch[0])} there)" if k is not None else "")
                   + f"; batches must contain {_SUPPORTED}")
            raise TypeError(msg)
    raise TypeError(f"default_collate: {why} at {path}")


def _stack(tensors, path):
    shape = tuple(tensors[0].shape)
    for i, t in enumerate(tensors):
        if tuple(t.shape) != shape:
            raise RuntimeError(f"default_collate: stack expects each tensor to be equal size, but got "
                               f"{list(shape)} at entry 0 and {list(t.shape)} at entry {i} (at {path})")
    return _C.stack(tensors, 0)


def _collate(batch, path):
    elem = batch[0]
    kind = _kind(elem)
    kinds = {_kind(x) for x in batch}
    numeric = {"int", "float", "bool"}
    if kind is None or (len(kinds) > 1 and not kinds <= numeric):
        _fail(batch, path)
    if kind == "tensor":
        return _stack(batch, path)
    if kind == "ndarray":
        return _stack([_array_to_tensor(x, f"{path} of sample {i}") for i, x in enumerate(batch)], path)
    if kind == "npscalar":
        return _array_to_tensor(np.array(batch), path)
    if kinds <= numeric:
        if "float" in kinds:
            return _C.tensor([float(x) for x in batch], dtype=_C.float64)
        if kinds == {"bool"}:
            return _C.tensor(batch, dtype=_C.bool)
        return _C.tensor([int(x) for x in batch], dtype=_C.int64)
    if kind == "str":
        return batch
    if kind == "mapping":
        out = {}
        for key in elem:
            values = []
            for i, d in enumerate(batch):
                if key not in d:
                    raise KeyError(f"default_collate: sample {i} of the batch has no key {key!r} at {path} "
                                   f"(sample 0 has it)")
                values.append(d[key])
            out[key] = _collate(values, _path(path, key))
        try:
            return type(elem)(out)
        except TypeError:
            return out
    size = len(elem)
    for i, x in enumerate(batch):
        if len(x) != size:
            raise RuntimeError(f"default_collate: each element in list of batch should be of equal size: sample 0 "
                               f"has {size} elements at {path}, sample {i} has {len(x)}")
    columns = [_collate(samples, f"{path}[{k}]") for k, samples in enumerate(zip(*batch))]
    if kind == "namedtuple":
        return type(elem)(*columns)
    if isinstance(elem, tuple):
        return columns  # a list, as torch's default_collate gives for tuples
    try:
        return type(elem)(columns)
    except TypeError:
        return columns


def default_collate(batch):
    """Collates a list of samples into a batch (see the module docstring)."""
    if isinstance(batch, (str, bytes)) or not isinstance(batch, collections.abc.Sequence):
        raise TypeError(f"default_collate: expected a list of samples, got {_type_name(batch)}")
    if len(batch) == 0:
        raise ValueError("default_collate: the batch is empty")
    return _collate(batch, "sample")


def default_convert(data):
    """Numpy arrays and scalars to tensors, recursively inside dicts, namedtuples and sequences;
    anything else as it is (the collate_fn of a DataLoader with batch_size=None)."""
    if isinstance(data, _C.Tensor):
        return data
    if isinstance(data, np.ndarray):
        if data.dtype.kind in "SaUO":
            return data
        return _array_to_tensor(data, "sample")
    if isinstance(data, (np.bool_, np.number)):
        return _array_to_tensor(np.array(data), "sample")
    if isinstance(data, collections.abc.Mapping):
        out = {k: default_convert(v) for k, v in data.items()}
        try:
            return type(data)(out)
        except TypeError:
            return out
    if _is_namedtuple(data):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        try:
            return type(data)([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data

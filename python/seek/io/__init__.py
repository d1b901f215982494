"""seek.io: saving and loading tensors and checkpoints.

seek.save(obj, f) writes obj -- a state_dict, or a nested checkpoint such as
{"epoch": 3, "model": model.state_dict(), "optimizer": opt.state_dict()}: dicts (str or int
keys), OrderedDicts, lists, tuples, sets, tensors, numbers, strings, bytes, None -- to f (a
path, atomically, or a binary file object) as ONE standard safetensors file, without pickle:
the tensors named by their path in obj, the structure as JSON in the file's metadata (layout:
seek/io/checkpoint.py). A dict of str -> Tensor is stored under exactly its keys, so other
safetensors readers see a plain state_dict.

seek.load(f) reads what seek.save wrote, any safetensors file (an OrderedDict of its tensors),
and PyTorch's .pt/.pth files (torch.save's zip format) without PyTorch: a restricted unpickler
in C++ (seek/io/pth_reader.h) that accepts only tensors and containers and rejects anything else
(os.system, user classes) with an error naming the global. Neither format ever runs code from
the file, so weights_only=True and False behave alike.

Errors: an object seek.save cannot store is a TypeError naming its type and path, a missing
file a FileNotFoundError, a truncated, malformed or refused file a RuntimeError naming the
file and the problem (seek's IOError).
"""
import collections
import collections.abc
import os

from .. import _C
from . import checkpoint as _checkpoint
from . import safetensors  # noqa: F401

__all__ = ["save", "load", "safetensors"]


def save(obj, f):
    """Writes obj (a state_dict or a nested checkpoint; see the module doc) to f, a path (written
    atomically: a temp file renamed over it) or a binary file object (its write() is called).

    Tensors on any device are saved from a CPU copy, with their requires_grad flag and their device
    (seek.load puts them back there unless its map_location says otherwise); tensors that
    view one storage are saved once. Modules and optimizers raise TypeError: save their
    state_dict() instead.
    """
    if hasattr(obj, "state_dict") and not isinstance(obj, collections.abc.Mapping):
        raise TypeError(f"seek.save: cannot save a {type(obj).__name__} object itself "
                        f"(save obj.state_dict() instead)")
    tensors, meta = _checkpoint.encode(obj, "seek.save")
    if hasattr(f, "write") and not isinstance(f, (str, bytes, os.PathLike)):
        f.write(_C.io.safetensors_bytes(tensors, meta))
        return
    _C.io.save_safetensors(_path(f, "seek.save"), collections.OrderedDict(tensors), meta, "seek.save")


def load(f, map_location=None, weights_only=None, **kwargs):
    """Reads an object written by seek.save, a safetensors file, or a PyTorch .pt/.pth zip file
    (see the module doc) from f, a path or a binary file object.

    map_location: None (each tensor back on the device it was saved from, as torch.load), a device
    ("cpu", "cuda:0", seek.device), a dict {saved device: device}, or a function (tensor, saved
    device) -> tensor (the saved device is "cpu" or "cuda:N"; a None result keeps the default).
    weights_only: accepted for PyTorch compatibility; seek.load never runs code from a file.
    """
    if weights_only not in (None, True, False):
        raise TypeError(f"seek.load: weights_only must be a bool, got {type(weights_only).__name__}")
    unknown = set(kwargs) - {"mmap", "pickle_module", "encoding"}
    if unknown:
        raise TypeError(f"seek.load: unexpected keyword argument {sorted(unknown)[0]!r}")
    if hasattr(f, "read") and not isinstance(f, (str, bytes, os.PathLike)):
        data = f.read()
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"seek.load: the file object must be opened in binary mode ('rb'); its read() "
                            f"returned {type(data).__name__}")
        data = bytes(data)
        source = getattr(f, "name", "<file object>")
        if not isinstance(source, str):
            source = "<file object>"
        if _C.io.sniff_torch_format(data[:512]):
            return _checkpoint.map_tree(_C.io.load_pth(data, source), map_location)
        tensors, meta = _C.io.parse_safetensors(data, source)
        return _checkpoint.decode(tensors, meta, source, map_location)
    path = _path(f, "seek.load")
    if not os.path.exists(path):
        raise FileNotFoundError(2, "seek.load: no such file", path)
    if os.path.isdir(path):
        raise IsADirectoryError(21, "seek.load: is a folder, not a checkpoint file", path)
    with open(path, "rb") as fh:
        head = fh.read(512)
    if _C.io.sniff_torch_format(head):
        return _checkpoint.map_tree(_C.io.load_pth(path, path), map_location)
    tensors, meta = safetensors._load_file(path, "seek.load")
    return _checkpoint.decode(tensors, meta, path, map_location)


def _path(f, who):
    if not isinstance(f, (str, bytes, os.PathLike)):
        raise TypeError(f"{who}: expected a file path (str or os.PathLike), got {type(f).__name__}")
    return os.fsdecode(os.fspath(f))

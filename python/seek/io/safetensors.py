"""seek.io.safetensors: the safetensors format with the safetensors package's API
(safetensors.torch): save_file, load_file, save, load.

    from seek.io.safetensors import save_file, load_file
    save_file({"weight": seek.ones(2, 3)}, "model.safetensors", metadata={"format": "pt"})
    tensors = load_file("model.safetensors")        # {"weight": tensor(...)}

Reading and writing run in C++ (seek/io/safetensors.h) with the GIL released. The dtypes
are seek's: F64 F32 F16 BF16 I64 I32 I8 U8 BOOL.
"""
import os
import tempfile

from .. import _C

__all__ = ["save_file", "load_file", "save", "load", "load_metadata"]


def _save_file(tensors, filename, metadata, who):
    from . import _path

    _C.io.save_safetensors(_path(filename, who), tensors, metadata, who)


def _load_file(filename, who):
    from . import _path

    path = _path(filename, who)
    if not os.path.exists(path):
        raise FileNotFoundError(2, f"{who}: no such file", path)
    if os.path.isdir(path):
        raise IsADirectoryError(21, f"{who}: is a folder, not a safetensors file", path)
    return _C.io.load_safetensors(path)


def save_file(tensors, filename, metadata=None):
    """Writes a dict of str -> seek.Tensor to filename (atomically), with optional
    metadata (a dict of str -> str, stored as the file's "__metadata__")."""
    _save_file(tensors, filename, metadata, "save_file")


def load_file(filename, device="cpu"):
    """A dict of str -> seek.Tensor with every tensor of the file, moved to device."""
    tensors, _ = _load_file(filename, "load_file")
    out = dict(tensors)
    if str(device) != "cpu":
        out = {k: v.to(device) for k, v in out.items()}
    return out


def load_metadata(filename):
    """The file's "__metadata__" dict (str -> str; empty when it has none)."""
    _, metadata = _load_file(filename, "load_metadata")
    return metadata


def save(tensors, metadata=None):
    """The bytes of a safetensors file holding tensors (and metadata), as save_file writes it."""
    fd, path = tempfile.mkstemp(suffix=".safetensors")
    os.close(fd)
    try:
        _save_file(tensors, path, metadata, "save")
        with open(path, "rb") as f:
            return f.read()
    finally:
        os.unlink(path)


def load(data):
    """The dict of str -> seek.Tensor of a safetensors file's bytes."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"load: expected the bytes of a safetensors file, got {type(data).__name__}")
    tensors, _ = _C.io.parse_safetensors(bytes(data), "<bytes>")
    return dict(tensors)

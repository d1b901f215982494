"""seek.io: saving and loading tensors.

seek.save(state_dict, path) writes a dict of str -> Tensor (a module's or optimizer's
state_dict()) as one safetensors file; seek.load(path) reads it back as an OrderedDict
with the same names, dtypes, shapes and values. seek.io.safetensors has the API of the
safetensors package (save_file / load_file / save / load). The files are the standard
safetensors format, so the safetensors package and PyTorch tooling read them too.

Errors: an object that is not a str -> Tensor mapping is a TypeError, a missing file a
FileNotFoundError, a truncated or malformed file a RuntimeError naming the file and the
problem (seek's IOError).
"""
import collections
import os

from . import safetensors  # noqa: F401

__all__ = ["save", "load", "safetensors"]


def _check_state_dict(obj, who):
    if not isinstance(obj, collections.abc.Mapping):
        hint = ""
        if hasattr(obj, "state_dict"):
            hint = " (save obj.state_dict() instead)"
        raise TypeError(f"{who}: can save a dict or OrderedDict of str -> seek.Tensor (such as "
                        f"module.state_dict() or optimizer.state_dict()), got {type(obj).__name__}{hint}")


def save(obj, f):
    """Writes obj, a dict / OrderedDict of str -> seek.Tensor such as module.state_dict(), to
    the file f (a path) in the safetensors format, atomically (a temp file renamed over f).

    Like torch.save for state dicts; other objects (modules, lists, numbers) raise TypeError.
    Tensors on any device are saved from a CPU copy; requires_grad is not saved.
    """
    from ..optim.optimizer import _as_flat, is_nested_state_dict

    if is_nested_state_dict(obj):  # an optimizer's state_dict() (PyTorch's layout): stored flat
        obj = _as_flat(obj)
    _check_state_dict(obj, "seek.save")
    safetensors._save_file(obj, f, None, "seek.save")


def load(f, map_location=None):
    """Reads a file written by seek.save (or any safetensors file) as an OrderedDict of
    str -> seek.Tensor, in the order the tensors were saved.

    map_location: None (CPU tensors) or a device ("cpu", "cuda", "cuda:1", seek.device)
    to move every tensor to.
    """
    tensors, _ = safetensors._load_file(f, "seek.load")
    out = collections.OrderedDict(tensors)
    if map_location is not None:
        for k, v in out.items():
            out[k] = v.to(map_location)
    return out


def _path(f, who):
    if not isinstance(f, (str, bytes, os.PathLike)):
        raise TypeError(f"{who}: expected a file path (str or os.PathLike), got {type(f).__name__}")
    return os.fsdecode(os.fspath(f))

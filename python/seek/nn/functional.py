"""seek.nn.functional: stateless layer functions and losses, like torch.nn.functional.

Everything here runs in C++ with the GIL released and is differentiable.
"""
from .. import _C

_F = _C.nn.functional

__all__ = [name for name in dir(_F) if not name.startswith("_")]
globals().update({name: getattr(_F, name) for name in __all__})

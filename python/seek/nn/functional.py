"""seek.nn.functional: stateless layer functions and losses, like torch.nn.functional.

Everything here runs in C++ with the GIL released and is differentiable.
"""
from .. import _C

_F = _C.nn.functional

__all__ = [name for name in dir(_F) if not name.startswith("_")]
globals().update({name: getattr(_F, name) for name in __all__})

# issue 12: inplace=True forms and activations with extra arguments (Python wrappers).
from . import _functional_extra  # noqa: E402

globals().update({name: getattr(_functional_extra, name) for name in _functional_extra.__all__})
__all__ = sorted(set(__all__) | set(_functional_extra.__all__))

"""seek.nn.init: in-place parameter initialisers, like torch.nn.init.

Each function fills its tensor argument under no_grad and returns it.
"""
from .. import _C

_init = _C.nn.init

__all__ = [name for name in dir(_init) if not name.startswith("_") or name == "_calculate_fan_in_and_fan_out"]
globals().update({name: getattr(_init, name) for name in __all__})

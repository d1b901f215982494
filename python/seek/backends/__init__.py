"""seek.backends: torch.backends' flags that scripts set even on the CPU (cudnn, mps).

seek has no cuDNN or MPS backend: cudnn.is_available() and mps.is_available() are False, and
the cudnn flags are plain attributes that scripts may read and set (they change nothing).
"""
from . import cudnn, mps  # noqa: F401

__all__ = ["cudnn", "mps"]

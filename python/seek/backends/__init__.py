"""seek.backends: torch.backends' flags that scripts set even on the CPU (cudnn, mps).

seek has no cuDNN or MPS backend: cudnn.is_available() and mps.is_available() are False, and
the cudnn flags are plain attributes that scripts may read and set (they change nothing).
"""
from . import cudnn, mps  # noqa: F401
from . import cuda  # noqa: F401,E402  (issue 14: cuda.matmul.allow_tf32)

__all__ = ["cudnn", "mps", "cuda"]

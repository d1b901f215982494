"""seek.backends.cudnn: torch.backends.cudnn's flags. seek uses no cuDNN, so they change nothing;
they are kept so `torch.backends.cudnn.benchmark = True` and friends run unchanged."""

enabled = True
benchmark = False
deterministic = False
allow_tf32 = True
benchmark_limit = 10


def is_available():
    """True when this build of seek uses cuDNN (the nvcc build with cuDNN found) and a GPU is
    visible; False without CUDA, on the simulated device, or without cuDNN."""
    from .._C import cuda as _cuda
    return _cuda.cudnn_version() > 0 and _cuda.is_available()


def version():
    """The loaded cuDNN's version as an int (cudnnGetVersion(), e.g. 90100), or None when this build
    has no cuDNN (as torch.backends.cudnn.version())."""
    from .._C import cuda as _cuda
    v = _cuda.cudnn_version()
    return v if v > 0 else None

"""seek.backends.cudnn: torch.backends.cudnn's flags. enabled, benchmark, deterministic, allow_tf32
and benchmark_limit read and set seek's C++ switches (seek/backends.h), which the cuDNN conv path
of a GPU build follows; on the CPU and the simulated device they change nothing, so scripts that
set `torch.backends.cudnn.benchmark = True` run unchanged."""

import sys as _sys
import types as _types

from .. import _C as _C_module


def _flag(name, doc):
    return property(lambda self: _C_module._backends.get_flag(name),
                    lambda self, value: _C_module._backends.set_flag(name, bool(value)), doc=doc)


class _CudnnModule(_types.ModuleType):
    # The flags are properties of the module's class over seek/backends.h's atomics, so that
    # `seek.backends.cudnn.benchmark = True` reaches the C++ conv path (kernels/conv_cudnn.cu).
    enabled = _flag("cudnn.enabled", "conv2d goes through cuDNN where seek is built with it")
    benchmark = _flag("cudnn.benchmark", "time cuDNN's algorithms once per conv shape and keep the fastest")
    deterministic = _flag("cudnn.deterministic", "choose only deterministic cuDNN algorithms")
    allow_tf32 = _flag("cudnn.allow_tf32", "f32 convolutions may use TF32 tensor cores (default True)")
    benchmark_limit = property(lambda self: _C_module._backends.get_benchmark_limit(),
                               lambda self, value: _C_module._backends.set_benchmark_limit(int(value)),
                               doc="how many algorithms benchmark mode times per pass (0: all)")


_sys.modules[__name__].__class__ = _CudnnModule


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

"""seek.backends.cuda: torch.backends.cuda's matmul switch.

`seek.backends.cuda.matmul.allow_tf32` reads and sets the C++ flag
seek::backends::cuda::matmul::allow_tf32 (default False, as torch): whether f32 matrix products
on a GPU (cuBLASLt) may round their inputs to TF32. seek.set_float32_matmul_precision("high")
sets it too. On the CPU and the simulated device it changes nothing.
"""
from .. import _C


class _Matmul:
    """torch.backends.cuda.matmul: allow_tf32 is a property over the C++ flag."""

    @property
    def allow_tf32(self):
        return _C._backends.get_flag("cuda.matmul.allow_tf32")

    @allow_tf32.setter
    def allow_tf32(self, value):
        _C._backends.set_flag("cuda.matmul.allow_tf32", bool(value))

    def __setattr__(self, name, value):
        if name != "allow_tf32":
            raise AttributeError(f"seek.backends.cuda.matmul has no setting {name!r}")
        object.__setattr__(self, name, value)


matmul = _Matmul()


__all__ = ["matmul"]

"""The legacy typed constructors of PyTorch: seek.FloatTensor([1, 2]) or seek.LongTensor(2, 3).

Each is a class whose call makes a seek.Tensor of its dtype, from data (a sequence, numpy array or
tensor) or from sizes (ints or a seek.Size; values uninitialised, as in PyTorch); and
``isinstance(t, seek.LongTensor)`` is true for a CPU tensor of that dtype.
"""
import builtins

from . import _C


class _TensorTypeMeta(type):
    def __instancecheck__(cls, obj):
        return builtins.isinstance(obj, _C.Tensor) and obj.dtype == cls.dtype and obj.device.type == "cpu"

    def __call__(cls, *args, device=None):
        if not args:
            return _C.empty(0, dtype=cls.dtype, device=device)
        if builtins.all(builtins.isinstance(a, builtins.int) and not builtins.isinstance(a, builtins.bool)
                        for a in args):
            return _C.empty(*args, dtype=cls.dtype, device=device)
        if len(args) != 1:
            raise TypeError(f"{cls.__name__}() takes sizes as ints or one sequence of data, got "
                            f"{', '.join(type(a).__name__ for a in args)}")
        data = args[0]
        from ._size import Size
        if builtins.isinstance(data, Size):
            return _C.empty(*data, dtype=cls.dtype, device=device)
        if builtins.isinstance(data, _C.Tensor):
            return data.to(cls.dtype) if device is None else data.to(device, cls.dtype)
        return _C.tensor(data, dtype=cls.dtype, device=device)


def _make(name, dtype_name, doc):
    return _TensorTypeMeta(name, (), {"dtype": getattr(_C, dtype_name), "__doc__": doc,
                                      "__module__": "seek"})


FloatTensor = _make("FloatTensor", "float32", "A float32 tensor from data or sizes.")
DoubleTensor = _make("DoubleTensor", "float64", "A float64 tensor from data or sizes.")
HalfTensor = _make("HalfTensor", "float16", "A float16 tensor from data or sizes.")
BFloat16Tensor = _make("BFloat16Tensor", "bfloat16", "A bfloat16 tensor from data or sizes.")
LongTensor = _make("LongTensor", "int64", "An int64 tensor from data or sizes.")
IntTensor = _make("IntTensor", "int32", "An int32 tensor from data or sizes.")
ShortTensor = _make("ShortTensor", "int16", "An int16 tensor from data or sizes.")
CharTensor = _make("CharTensor", "int8", "An int8 tensor from data or sizes.")
ByteTensor = _make("ByteTensor", "uint8", "A uint8 tensor from data or sizes.")
BoolTensor = _make("BoolTensor", "bool", "A bool tensor from data or sizes.")

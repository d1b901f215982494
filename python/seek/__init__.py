"""seek: a deep-learning framework with a C++ core and the API a PyTorch user already knows.

    import seek
    x = seek.randn(4, 3, requires_grad=True)
    y = (x @ x.T).relu().sum()
    y.backward()
    x.grad

The Tensor type, its methods and the factories are implemented in C++ (seek._C);
this package adds the free-function forms (seek.exp(t) == t.exp()), autograd
helpers (seek.no_grad, seek.autograd) and seek.cuda.
"""
from . import _C
from ._C import (  # noqa: F401  (re-exported API)
    Generator,
    Tensor,
    allclose,
    arange,
    as_tensor,
    bernoulli,
    bfloat16,
    bool,
    cat,
    concat,
    device,
    double,
    dtype,
    empty,
    empty_like,
    equal,
    eye,
    float,
    float16,
    float32,
    float64,
    floor_divide,
    from_dlpack,
    default_generator,
    from_numpy,
    full,
    get_rng_state,
    full_like,
    half,
    initial_seed,
    int,
    int8,
    int32,
    int64,
    isclose,
    linspace,
    long,
    manual_seed,
    matmul,
    multinomial,
    addmm,
    normal,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    remainder,
    scalar_tensor,
    seed,
    set_rng_state,
    stack,
    tensor,
    to_dlpack,
    uint8,
    where,
    zeros,
    zeros_like,
    int16,
    short,
    OutOfMemoryError,
    promote_types,
    result_type,
)
from ._size import Size  # noqa: E402
from ._tensor_types import (  # noqa: E402,F401
    BFloat16Tensor,
    BoolTensor,
    ByteTensor,
    CharTensor,
    DoubleTensor,
    FloatTensor,
    HalfTensor,
    IntTensor,
    LongTensor,
    ShortTensor,
)
from ._C import channels_last, channels_last_3d, contiguous_format, memory_format, preserve_format  # noqa: F401,E402
from ._C import broadcast_tensors, einsum, meshgrid, tensordot  # noqa: F401,E402  (tensor_shape_extra.cpp)
from . import autograd, cuda  # noqa: E402
from . import data, models, nn, optim  # noqa: E402
from . import train  # noqa: E402
from . import amp, io  # noqa: E402
from . import utils, vision, backends, onnx  # noqa: E402  (torch.utils.data, torchvision, shims)
from . import multiprocessing  # noqa: E402,F401
from . import distributed  # noqa: E402,F401  (torch.distributed)
from .amp import autocast  # noqa: E402
from .io import load, save  # noqa: E402
from .autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled  # noqa: E402
from ._C import std_mean, var_mean  # noqa: E402,F401  (issue 12)

__version__ = "0.1.0"

_builtin_isinstance = isinstance


def is_tensor(obj):
    """True when obj is a seek.Tensor."""
    return _builtin_isinstance(obj, Tensor)


def is_floating_point(input: Tensor):
    """True when input has a floating dtype."""
    return input.is_floating_point()


def numel(input: Tensor):
    """Number of elements of input."""
    return input.numel()


def get_default_dtype() -> dtype:
    """The dtype of floating tensors made from Python floats: always seek.float32."""
    return float32


def pow(input, exponent) -> Tensor:
    """input ** exponent, where either side may be a Python number."""
    if _builtin_isinstance(input, Tensor):
        return input.pow(exponent)
    return _C.pow(input, exponent)


import builtins as _builtins  # noqa: E402  (seek.int and seek.float are dtypes)


def broadcast_shapes(*shapes):
    """The shape that tensors of the given shapes broadcast to, as seek.broadcast_shapes."""
    out = []
    for shape in shapes:
        shape = (shape,) if _builtin_isinstance(shape, _builtins.int) else tuple(shape)
        if len(shape) > len(out):
            out = [1] * (len(shape) - len(out)) + out
        for i, size in enumerate(shape, start=len(out) - len(shape)):
            if size != out[i] and size != 1 and out[i] != 1:
                raise RuntimeError(f"Shape mismatch: objects cannot be broadcast to a single shape: {shapes}")
            out[i] = out[i] if size == 1 else size
    return tuple(out)


def _rebuild_tensor(array, dtype, requires_grad):
    t = from_numpy(array).to(dtype)
    return t.requires_grad_(requires_grad) if requires_grad else t


def _tensor_reduce(self):
    """Pickling: the values (through numpy, on the CPU), the dtype and requires_grad."""
    values = self.detach().cpu()
    if values.dtype == bfloat16:
        values = values.float()  # numpy has no bfloat16; the float32 copy is exact
    return (_rebuild_tensor, (values.contiguous().numpy().copy(), self.dtype, self.requires_grad))


def _tensor_deepcopy(self, memo):
    t = self.detach().clone()
    return t.requires_grad_(True) if self.requires_grad else t


def _dtype_from_name(name):
    return getattr(_C, name)


dtype.__reduce__ = lambda self: (_dtype_from_name, (repr(self)[len("seek."):],))
def _tensor_format(self, spec):
    """f"{t:.3f}" formats the value of a one-element tensor; an empty spec prints the tensor."""
    if spec and self.numel() == 1:
        return format(self.item(), spec)
    return format(str(self), spec)


def _new_factory(factory, doc):
    def method(self, *size, dtype=None, device=None, requires_grad=False):
        return factory(*size, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)

    method.__doc__ = doc
    return method


def _new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
    """A tensor of `size` filled with fill_value, with this tensor's dtype and device unless given."""
    return full(size, fill_value, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)


def _new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
    """seek.tensor(data) with this tensor's dtype and device unless given."""
    return tensor(data, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)


Tensor.new_zeros = _new_factory(zeros, "Zeros of the given size, with this tensor's dtype and device unless given.")
Tensor.new_ones = _new_factory(ones, "Ones of the given size, with this tensor's dtype and device unless given.")
Tensor.new_empty = _new_factory(empty, "Uninitialised, with this tensor's dtype and device unless given.")
Tensor.new_full = _new_full
Tensor.new_tensor = _new_tensor
Tensor.type_as = lambda self, other: self.to(other.dtype)
Tensor.__format__ = _tensor_format
Tensor.__reduce__ = _tensor_reduce
Tensor.__deepcopy__ = _tensor_deepcopy
# numpy scalars and arrays defer to Tensor's reflected operators (np.float64(2) * t is a Tensor).
Tensor.__array_priority__ = 1000


def _method_as_function(name: str):
    method = getattr(Tensor, name)

    def fn(input, *args, **kwargs):
        return method(input, *args, **kwargs)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"seek.{name}(input, ...) is input.{name}(...).\n\n{method.__doc__ or ''}"
    return fn


# Tensor methods that also exist as seek.<name>(input, ...), as in PyTorch.
_FUNCTION_FORMS = (
    "abs", "add", "sub", "mul", "div", "neg", "negative", "exp", "log", "log1p", "sqrt", "rsqrt", "sin", "cos",
    "tanh", "sigmoid", "relu", "erf", "sign", "floor", "ceil", "round", "reciprocal", "square", "clamp", "clip",
    "lerp", "addcmul", "addcdiv", "maximum", "minimum", "eq", "ne", "lt", "le", "gt", "ge", "logical_and",
    "logical_or", "logical_xor", "logical_not", "masked_fill", "sum", "mean", "prod", "max", "min", "amax", "amin",
    "argmax", "argmin", "var", "std", "norm", "logsumexp", "cumsum", "all", "any", "softmax", "log_softmax",
    "reshape", "permute", "transpose", "swapaxes", "t", "narrow", "select", "squeeze", "unsqueeze", "flatten",
    "unflatten", "movedim", "split", "chunk", "unbind", "mm", "bmm", "mv", "dot", "outer", "gather", "scatter",
    "scatter_add", "index_select", "index_add", "masked_select", "topk", "sort", "argsort", "clone", "detach",
)
# shape, indexing and linalg ops (python/src/tensor_shape_extra.cpp)
_FUNCTION_FORMS += (
    "flip", "fliplr", "flipud", "roll", "tile", "tril", "triu", "repeat_interleave", "broadcast_to", "diagonal",
    "diag", "diag_embed", "rot90", "moveaxis", "tensor_split", "baddbmm", "addbmm", "kron", "vdot", "ger",
    "nonzero", "argwhere", "scatter_reduce", "take_along_dim", "index_fill", "index_put", "masked_scatter",
)
# ... and every op the C++ op tables generate (seek._C._table_functions: exp, maximum, ...).
# ... and the hand-bound ones of issue 12 (seek._C._extra_functions: median, unique, div, ...).
for _name in dict.fromkeys(_FUNCTION_FORMS + tuple(_C._table_functions) + tuple(_C._extra_functions)):
    globals()[_name] = _method_as_function(_name)
del _name

# issue 14: torch.set_float32_matmul_precision (TF32 for f32 GEMMs on a GPU; seek/backends.h)
from ._C import get_float32_matmul_precision, set_float32_matmul_precision  # noqa: E402,F401

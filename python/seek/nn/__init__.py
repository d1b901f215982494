"""seek.nn: modules and layers, like torch.nn.

Subclass seek.nn.Module in Python exactly as torch.nn.Module: call super().__init__()
first, then assign submodules and seek.nn.Parameter tensors as attributes; they are
registered (parameters(), state_dict(), to() and optimizers see them). forward() may
take any arguments; calling the module calls forward().

    class Net(seek.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = seek.nn.Linear(4, 2)
            self.scale = seek.nn.Parameter(seek.ones(2))

        def forward(self, x):
            return self.fc(x) * self.scale

The layers are C++ modules (seek._C.nn); a Python module can sit inside them
(Sequential, ModuleList, ...) and a C++ container calls its Python forward.
"""
from .. import _C
from .._C import Tensor

_nn = _C.nn

# The C++ layers, re-exported.
AdaptiveAvgPool2d = _nn.AdaptiveAvgPool2d
AvgPool2d = _nn.AvgPool2d
BatchNorm1d = _nn.BatchNorm1d
BatchNorm2d = _nn.BatchNorm2d
BCELoss = _nn.BCELoss
BCEWithLogitsLoss = _nn.BCEWithLogitsLoss
Conv2d = _nn.Conv2d
ConvTranspose2d = _nn.ConvTranspose2d
CrossEntropyLoss = _nn.CrossEntropyLoss
Dropout = _nn.Dropout
Embedding = _nn.Embedding
Flatten = _nn.Flatten
GELU = _nn.GELU
GroupNorm = _nn.GroupNorm
Hardsigmoid = _nn.Hardsigmoid
Hardswish = _nn.Hardswish
Identity = _nn.Identity
KLDivLoss = _nn.KLDivLoss
L1Loss = _nn.L1Loss
LayerNorm = _nn.LayerNorm
LeakyReLU = _nn.LeakyReLU
LSHAttention = _nn.LSHAttention
Linear = _nn.Linear
MaxPool2d = _nn.MaxPool2d
Module = _nn.Module
ModuleDict = _nn.ModuleDict
ModuleList = _nn.ModuleList
MSELoss = _nn.MSELoss
MultiheadAttention = _nn.MultiheadAttention
NLLLoss = _nn.NLLLoss
ReLU = _nn.ReLU
ReLU6 = _nn.ReLU6
Sequential = _nn.Sequential
Sigmoid = _nn.Sigmoid
SiLU = _nn.SiLU
SmoothL1Loss = _nn.SmoothL1Loss
Softmax = _nn.Softmax
SqueezeExcitation = _nn.SqueezeExcitation
Tanh = _nn.Tanh
TransformerEncoder = _nn.TransformerEncoder
TransformerEncoderLayer = _nn.TransformerEncoderLayer
# Recurrent layers and the encoder-decoder Transformer (nn_rnn.cpp, nn_transformer.cpp).
RNNBase = _nn.RNNBase
RNN = _nn.RNN
LSTM = _nn.LSTM
GRU = _nn.GRU
RNNCellBase = _nn.RNNCellBase
RNNCell = _nn.RNNCell
LSTMCell = _nn.LSTMCell
GRUCell = _nn.GRUCell
Transformer = _nn.Transformer
TransformerDecoder = _nn.TransformerDecoder
TransformerDecoderLayer = _nn.TransformerDecoderLayer
Upsample = _nn.Upsample
# issue 16: batch norm over every rank of a process group (python/src/dist_ddp.cpp).
SyncBatchNorm = _nn.SyncBatchNorm

from . import functional, init, utils  # noqa: E402,F401
from . import _module_ext  # noqa: E402
from ._module_ext import RemovableHandle  # noqa: E402,F401

_module_ext.install()  # hooks, generator iterators, deepcopy/pickle (see _module_ext)


class _ParameterMeta(type):
    def __instancecheck__(cls, obj):
        if not isinstance(obj, Tensor):
            return False
        return bool(getattr(obj, "_is_param", False)) or (obj.is_leaf and obj.requires_grad)


class Parameter(metaclass=_ParameterMeta):
    """A tensor that a Module registers as a parameter when assigned as an attribute.

    Parameter(data, requires_grad=True) returns a seek.Tensor sharing data's memory,
    detached from any graph, with requires_grad set and marked as a parameter.
    isinstance(t, seek.nn.Parameter) holds for such tensors and for leaf tensors
    that require grad (a module's registered parameters).
    """

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            data = _C.empty(0)
        t = data.detach()
        t.requires_grad_(requires_grad)
        t._is_param = True
        return t
from . import parallel  # noqa: E402,F401  (torch.nn.parallel: DataParallel on one device)
from .parallel import DataParallel  # noqa: E402,F401


# issue 12: more layers (Python modules over seek.nn.functional).
from . import modules_extra as _modules_extra  # noqa: E402

globals().update({name: getattr(_modules_extra, name) for name in _modules_extra.__all__})

# issue 15: the fused Conv2d -> BatchNorm2d (-> ReLU) for training (seek.nn.utils.fusion.fuse_conv_bn_relu_train).
FusedConvBNReLU = _nn.FusedConvBNReLU
FusedBatchNormState = _nn.FusedBatchNormState

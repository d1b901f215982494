"""Issue 12's additions to seek.nn.functional that need Python: the inplace=True forms
(which return the input tensor object itself, as torch's do), the activations whose C++
form takes extra arguments, and channel / alpha dropout.

The computing is in C++ (seek._C.nn.functional); in place, the result is written into
the input with copy_, so autograd records an in-place op (an error on a leaf that
requires grad, as in torch).
"""
from .. import _C
from ..autograd import is_grad_enabled, no_grad

_F = _C.nn.functional

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _inplace(input, fn):
    """Writes fn(input) into input and returns input (on a view, autograd rewrites the base's history)."""
    if is_grad_enabled() and input.requires_grad:
        input.copy_(fn(input.clone()))  # the clone keeps the value fn's backward saved
    else:
        with no_grad():
            input.copy_(fn(input))
    return input


def _maybe_inplace(input, inplace, fn):
    return _inplace(input, fn) if inplace else fn(input)


def relu(input, inplace=False):
    return _maybe_inplace(input, inplace, _F.relu)


def relu_(input):
    return relu(input, True)


def relu6(input, inplace=False):
    return _maybe_inplace(input, inplace, _F.relu6)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    return _maybe_inplace(input, inplace, lambda x: _F.leaky_relu(x, negative_slope))


def leaky_relu_(input, negative_slope=0.01):
    return leaky_relu(input, negative_slope, True)


def silu(input, inplace=False):
    return _maybe_inplace(input, inplace, _F.silu)


def hardswish(input, inplace=False):
    return _maybe_inplace(input, inplace, _F.hardswish)


def hardsigmoid(input, inplace=False):
    return _maybe_inplace(input, inplace, _F.hardsigmoid)


def elu(input, alpha=1.0, inplace=False):
    return _maybe_inplace(input, inplace, lambda x: _F._elu(x, alpha, 1.0))


def elu_(input, alpha=1.0):
    return elu(input, alpha, True)


def selu(input, inplace=False):
    return _maybe_inplace(input, inplace, _F._selu)


def selu_(input):
    return selu(input, True)


def celu(input, alpha=1.0, inplace=False):
    return _maybe_inplace(input, inplace, lambda x: _F._celu(x, alpha))


def celu_(input, alpha=1.0):
    return celu(input, alpha, True)


def mish(input, inplace=False):
    return _maybe_inplace(input, inplace, _F._mish)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    return _maybe_inplace(input, inplace, lambda x: _F._hardtanh(x, min_val, max_val))


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return hardtanh(input, min_val, max_val, True)


def threshold(input, threshold, value, inplace=False):
    return _maybe_inplace(input, inplace, lambda x: _F._threshold(x, threshold, value))


def threshold_(input, threshold, value):
    return globals()["threshold"](input, threshold, value, True)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    return _maybe_inplace(input, inplace, lambda x: _F._rrelu(x, lower, upper, training))


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    return rrelu(input, lower, upper, training, True)


def _dropout_like(name, fn):
    def dropout_fn(input, p=0.5, training=True, inplace=False):
        if p < 0.0 or p > 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        if not training or p == 0.0:
            return input
        return _maybe_inplace(input, inplace, lambda x: fn(x, p, training))

    dropout_fn.__name__ = dropout_fn.__qualname__ = name
    return dropout_fn


dropout = _dropout_like("dropout", _F.dropout)
dropout1d = _dropout_like("dropout1d", _F._dropout1d)
dropout2d = _dropout_like("dropout2d", _F._dropout2d)
dropout3d = _dropout_like("dropout3d", _F._dropout3d)


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    return _dropout_like("alpha_dropout", _F._alpha_dropout)(input, p, training, inplace)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    return _dropout_like("feature_alpha_dropout", _F._feature_alpha_dropout)(input, p, training, inplace)


__all__ = [
    "relu", "relu_", "relu6", "leaky_relu", "leaky_relu_", "silu", "hardswish", "hardsigmoid", "elu", "elu_",
    "selu", "selu_", "celu", "celu_", "mish", "hardtanh", "hardtanh_", "threshold", "threshold_", "rrelu", "rrelu_",
    "dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout",
]

"""seek.nn.utils: gradient clipping, and packed sequences in seek.nn.utils.rnn, like torch.nn.utils."""
from ... import _C
from ..._C import Tensor

_clip_grad_norm_ = _C.optim.clip_grad_norm_
_clip_grad_value_ = _C.optim.clip_grad_value_


def _as_list(parameters):
    if isinstance(parameters, Tensor):
        return [parameters]
    return list(parameters)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Scales the gradients of parameters in place so that their total norm is at most
    max_norm; returns the total norm before clipping (a 0-dim tensor). norm_type may be
    float('inf') or 'inf' (the largest absolute element)."""
    return _clip_grad_norm_(_as_list(parameters), float(max_norm), norm_type, error_if_nonfinite)


def clip_grad_value_(parameters, clip_value):
    """Clamps every gradient element of parameters into [-clip_value, clip_value]."""
    _clip_grad_value_(_as_list(parameters), float(clip_value))


from . import rnn  # noqa: E402,F401
from . import fusion  # noqa: E402,F401  (issue 15: conv + batch norm folding)

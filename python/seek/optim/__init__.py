"""seek.optim: optimizers, like torch.optim.

The update rules run in C++ (seek._C.optim) with the GIL released. Constructors take
torch's arguments: an iterable of tensors, or of dicts with 'params' and per-group
options. param_groups is a list of dicts; writing an entry (group['lr'] = 0.01)
writes through to the C++ optimizer, so schedulers written in Python work.
"""
from .. import _C
from . import lr_scheduler  # noqa: F401

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "lr_scheduler"]


class _ParamGroup(dict):
    """One parameter group as a dict: 'params' and the options; option writes go to C++."""

    def __init__(self, impl, index):
        super().__init__(impl._group_options(index))
        dict.__setitem__(self, "params", impl._group_params(index))
        self._impl = impl
        self._index = index

    def __setitem__(self, key, value):
        if key == "params":
            raise KeyError("param_groups: 'params' cannot be replaced; use add_param_group()")
        self._impl._set_group_option(self._index, key, value)
        dict.__setitem__(self, key, value)

    def update(self, *args, **kwargs):
        for key, value in dict(*args, **kwargs).items():
            self[key] = value


def _params(params):
    from .._C import Tensor

    if isinstance(params, Tensor):
        raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                        "but got a Tensor")
    return list(params)


class Optimizer:
    """Base of seek's optimizers: wraps a C++ optimizer (self._impl)."""

    def __init__(self, impl):
        self._impl = impl

    @property
    def param_groups(self):
        """The parameter groups, as dicts ('params', 'lr', ...); option writes reach the optimizer."""
        return [_ParamGroup(self._impl, i) for i in range(self._impl._num_groups())]

    @property
    def defaults(self):
        """The constructor's options, as a dict."""
        return self._impl._defaults()

    def step(self, closure=None):
        """One update of every parameter with a gradient. closure (optional) re-evaluates
        the loss with grad enabled and returns it; step() returns that loss."""
        loss = None
        if closure is not None:
            from ..autograd import enable_grad

            with enable_grad():
                loss = closure()
        self._impl.step()
        return loss

    def zero_grad(self, set_to_none=True):
        """Drops (set_to_none) or zeroes the gradients of all parameters."""
        self._impl.zero_grad(set_to_none)

    def add_param_group(self, param_group):
        """Adds a dict {'params': [...], option: value, ...}; missing options take the defaults."""
        group = dict(param_group)
        group["params"] = _params(group["params"])
        self._impl.add_param_group(group)

    def state_dict(self):
        """Flat OrderedDict: 'param_groups.<g>.<option>' and 'state.<g>.<i>.<buffer>' -> tensor."""
        return self._impl.state_dict()

    def load_state_dict(self, state_dict):
        """Restores a state_dict() of an optimizer with the same groups and parameter shapes."""
        self._impl.load_state_dict(state_dict)

    def __repr__(self):
        lines = [type(self).__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(k for k in group if k != "params"):
                lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)


class SGD(Optimizer):
    """Stochastic gradient descent with momentum, exactly torch.optim.SGD."""

    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, *,
                 maximize=False):
        super().__init__(_C.optim.SGD(_params(params), lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov, maximize=maximize))


class Adam(Optimizer):
    """Adam, exactly torch.optim.Adam."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False, *,
                 maximize=False):
        super().__init__(_C.optim.Adam(_params(params), lr=lr, betas=tuple(betas), eps=eps,
                                       weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize))


class AdamW(Optimizer):
    """Adam with decoupled weight decay, exactly torch.optim.AdamW."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False):
        super().__init__(_C.optim.AdamW(_params(params), lr=lr, betas=tuple(betas), eps=eps,
                                        weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize))


class RMSprop(Optimizer):
    """RMSprop, exactly torch.optim.RMSprop."""

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False, *,
                 maximize=False):
        super().__init__(_C.optim.RMSprop(_params(params), lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                          momentum=momentum, centered=centered, maximize=maximize))

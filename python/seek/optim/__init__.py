"""seek.optim: optimizers, like torch.optim.

SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Adamax, NAdam and RAdam run in C++ (seek._C.optim)
with the GIL released; LBFGS and any optimizer you write are Python subclasses of Optimizer,
written as for PyTorch (Optimizer(params, defaults), self.param_groups, self.state[p],
step(closure=None)). Constructors take torch's arguments: an iterable of tensors, or of dicts
with 'params' and per-group options. param_groups is a list of dicts; writing an entry
(group['lr'] = 0.01) reaches the optimizer, so every scheduler works on every optimizer.
state_dict() has PyTorch's layout.
"""
from .. import _C
from .optimizer import Optimizer, _CppOptimizer, required  # noqa: F401
from .lbfgs import LBFGS
from . import lr_scheduler  # noqa: F401

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam", "LBFGS",
           "lr_scheduler"]


class SGD(_CppOptimizer):
    """Stochastic gradient descent with momentum, exactly torch.optim.SGD."""

    _impl_class = _C.optim.SGD
    _hidden_step = True

    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, *,
                 maximize=False):
        super().__init__(params, lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                         nesterov=nesterov, maximize=maximize)


class Adam(_CppOptimizer):
    """Adam, exactly torch.optim.Adam (amsgrad: the max of the second moments; capturable: the step
    count lives on the device, so that step() can be captured into a CUDA graph)."""

    _impl_class = _C.optim.Adam

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False, *,
                 maximize=False, capturable=False):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                         maximize=maximize, capturable=capturable)


class AdamW(_CppOptimizer):
    """Adam with decoupled weight decay, exactly torch.optim.AdamW."""

    _impl_class = _C.optim.AdamW

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False, capturable=False):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                         maximize=maximize, capturable=capturable)


class RMSprop(_CppOptimizer):
    """RMSprop, exactly torch.optim.RMSprop."""

    _impl_class = _C.optim.RMSprop

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False, *,
                 maximize=False):
        super().__init__(params, lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                         centered=centered, maximize=maximize)


class Adagrad(_CppOptimizer):
    """Adagrad, exactly torch.optim.Adagrad."""

    _impl_class = _C.optim.Adagrad

    def __init__(self, params, lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10,
                 foreach=None, *, maximize=False):
        super().__init__(params, lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                         initial_accumulator_value=initial_accumulator_value, eps=eps, maximize=maximize)


class Adadelta(_CppOptimizer):
    """Adadelta, exactly torch.optim.Adadelta."""

    _impl_class = _C.optim.Adadelta

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, foreach=None, *, maximize=False):
        super().__init__(params, lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)


class Adamax(_CppOptimizer):
    """Adamax (Adam with the infinity norm), exactly torch.optim.Adamax."""

    _impl_class = _C.optim.Adamax

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, foreach=None, *,
                 maximize=False):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize)


class NAdam(_CppOptimizer):
    """NAdam (Adam with Nesterov momentum), exactly torch.optim.NAdam; decoupled_weight_decay as AdamW."""

    _impl_class = _C.optim.NAdam
    _drop_state = ("mu_product",)  # recomputed from the step

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, momentum_decay=4e-3,
                 foreach=None, *, decoupled_weight_decay=False, maximize=False):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         momentum_decay=momentum_decay, decoupled_weight_decay=decoupled_weight_decay,
                         maximize=maximize)


class RAdam(_CppOptimizer):
    """RAdam (rectified Adam), exactly torch.optim.RAdam; decoupled_weight_decay as AdamW."""

    _impl_class = _C.optim.RAdam

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, foreach=None, *,
                 decoupled_weight_decay=False, maximize=False):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         decoupled_weight_decay=decoupled_weight_decay, maximize=maximize)

"""seek.optim.lr_scheduler: learning-rate schedulers, like torch.optim.lr_scheduler.

StepLR, MultiStepLR, ExponentialLR, OneCycleLR, WarmupCosineLR, LinearWarmupDecayLR and
ReduceLROnPlateau run in C++ (the same code the C++ trainers use). LRScheduler is the
Python base for schedulers written in Python (LambdaLR, CosineAnnealingLR, or your own:
override get_lr(), which reads self.last_epoch and self.base_lrs). As in torch, the
constructor performs the first step (last_epoch 0).
"""
import math

from .. import _C

__all__ = [
    "LRScheduler", "LambdaLR", "CosineAnnealingLR", "StepLR", "MultiStepLR", "ExponentialLR", "OneCycleLR",
    "WarmupCosineLR", "LinearWarmupDecayLR", "ReduceLROnPlateau",
]


class LRScheduler:
    """Base for Python schedulers: step() advances last_epoch and writes get_lr() into the groups."""

    def __init__(self, optimizer, last_epoch=-1):
        self.optimizer = optimizer
        groups = optimizer.param_groups
        if last_epoch == -1:
            self.base_lrs = [g["lr"] for g in groups]
        else:
            self.base_lrs = [g.get("initial_lr", g["lr"]) for g in groups]
        self.last_epoch = last_epoch
        self._last_lr = list(self.base_lrs)
        self.step()

    def get_lr(self):
        """The lr of every group at step self.last_epoch."""
        raise NotImplementedError(type(self).__name__ + " must define get_lr()")

    def step(self):
        self.last_epoch += 1
        lrs = [float(lr) for lr in self.get_lr()]
        for group, lr in zip(self.optimizer.param_groups, lrs):
            group["lr"] = lr
        self._last_lr = lrs

    def get_last_lr(self):
        return list(self._last_lr)

    def state_dict(self):
        return {k: v for k, v in self.__dict__.items() if k != "optimizer" and not callable(v)}

    def load_state_dict(self, state_dict):
        self.__dict__.update(state_dict)
        for group, lr in zip(self.optimizer.param_groups, self._last_lr):
            group["lr"] = lr


class LambdaLR(LRScheduler):
    """lr = base_lr * lr_lambda(epoch); lr_lambda may be one function or one per group."""

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        n = len(optimizer.param_groups)
        self.lr_lambdas = list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) else [lr_lambda] * n
        if len(self.lr_lambdas) != n:
            raise ValueError(f"LambdaLR: expected {n} lr_lambdas, got {len(self.lr_lambdas)}")
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [base * fn(self.last_epoch) for base, fn in zip(self.base_lrs, self.lr_lambdas)]

    def state_dict(self):
        return {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "lr_lambdas")}


class CosineAnnealingLR(LRScheduler):
    """lr = eta_min + (base - eta_min) * (1 + cos(pi * epoch / T_max)) / 2 (torch's closed form)."""

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        if T_max <= 0:
            raise ValueError(f"CosineAnnealingLR: T_max must be positive, got {T_max}")
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        c = (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
        return [self.eta_min + (base - self.eta_min) * c for base in self.base_lrs]


class _CppScheduler:
    """A C++ scheduler driving the C++ optimizer behind a seek.optim.Optimizer."""

    _impl_class = None

    def __init__(self, optimizer, *args, **kwargs):
        self.optimizer = optimizer
        self._impl = self._impl_class(optimizer._impl, *args, **kwargs)

    def step(self):
        self._impl.step()

    def get_last_lr(self):
        return list(self._impl.get_last_lr())

    @property
    def last_epoch(self):
        return self._impl.last_epoch

    @property
    def base_lrs(self):
        return list(self._impl.base_lrs)

    def state_dict(self):
        return self._impl.state_dict()

    def load_state_dict(self, state_dict):
        self._impl.load_state_dict(state_dict)


_sched = _C.optim.lr_scheduler


class StepLR(_CppScheduler):
    """lr = base * gamma ** (epoch // step_size). StepLR(optimizer, step_size, gamma=0.1)."""

    _impl_class = _sched.StepLR

    def __init__(self, optimizer, step_size, gamma=0.1):
        super().__init__(optimizer, step_size=step_size, gamma=gamma)


class MultiStepLR(_CppScheduler):
    """lr = base * gamma ** (milestones passed). MultiStepLR(optimizer, milestones, gamma=0.1)."""

    _impl_class = _sched.MultiStepLR

    def __init__(self, optimizer, milestones, gamma=0.1):
        super().__init__(optimizer, milestones=list(milestones), gamma=gamma)


class ExponentialLR(_CppScheduler):
    """lr = base * gamma ** epoch. ExponentialLR(optimizer, gamma)."""

    _impl_class = _sched.ExponentialLR

    def __init__(self, optimizer, gamma):
        super().__init__(optimizer, gamma=gamma)


class OneCycleLR(_CppScheduler):
    """torch's OneCycleLR (cosine, two phases): OneCycleLR(optimizer, max_lr, total_steps, pct_start=0.3, ...)."""

    _impl_class = _sched.OneCycleLR

    def __init__(self, optimizer, max_lr, total_steps, pct_start=0.3, div_factor=25.0, final_div_factor=1e4,
                 cycle_momentum=True, base_momentum=0.85, max_momentum=0.95):
        super().__init__(optimizer, max_lr=max_lr, total_steps=total_steps, pct_start=pct_start, div_factor=div_factor,
                         final_div_factor=final_div_factor, cycle_momentum=cycle_momentum,
                         base_momentum=base_momentum, max_momentum=max_momentum)


class WarmupCosineLR(_CppScheduler):
    """Linear warmup to the base lr over warmup_steps, then cosine to min_lr at total_steps."""

    _impl_class = _sched.WarmupCosineLR

    def __init__(self, optimizer, warmup_steps, total_steps, min_lr=0.0):
        super().__init__(optimizer, warmup_steps=warmup_steps, total_steps=total_steps, min_lr=min_lr)


class LinearWarmupDecayLR(_CppScheduler):
    """Linear warmup to the base lr over warmup_steps, then linear decay to base * end_factor."""

    _impl_class = _sched.LinearWarmupDecayLR

    def __init__(self, optimizer, warmup_steps, total_steps, end_factor=0.0):
        super().__init__(optimizer, warmup_steps=warmup_steps, total_steps=total_steps, end_factor=end_factor)


class ReduceLROnPlateau(_CppScheduler):
    """Reduces every lr by factor when step(metrics) has not improved for patience steps."""

    _impl_class = _sched.ReduceLROnPlateau

    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4, threshold_mode="rel",
                 cooldown=0, min_lr=0.0, eps=1e-8):
        super().__init__(optimizer, mode=mode, factor=factor, patience=patience, threshold=threshold,
                         threshold_mode=threshold_mode, cooldown=cooldown, min_lr=min_lr, eps=eps)

    def step(self, metrics):
        self._impl.step(float(metrics))

    @property
    def num_bad_epochs(self):
        return self._impl.num_bad_epochs

    @property
    def best(self):
        return self._impl.best

    @property
    def base_lrs(self):
        raise AttributeError("ReduceLROnPlateau has no base_lrs")

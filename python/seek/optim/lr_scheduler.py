"""seek.optim.lr_scheduler: learning-rate schedulers, exactly torch.optim.lr_scheduler.

Every scheduler is written here in Python with torch's semantics (the chainable form each step,
the closed form for step(epoch), 'initial_lr' kept in the param groups), so it works on any
seek.optim optimizer, Python subclasses included, and composes with SequentialLR and
ChainedScheduler as in PyTorch. StepLR, MultiStepLR, ExponentialLR, OneCycleLR, WarmupCosineLR,
LinearWarmupDecayLR and ReduceLROnPlateau also have a C++ twin (seek._C.optim.lr_scheduler, the
code the C++ Trainer steps): handing one of them to seek.train.Trainer moves it to its twin, which
steps from then on (see _CppTwin). As in torch, a scheduler's constructor performs the first step
(last_epoch 0); override get_lr() to write your own.
"""
import math
import warnings
from bisect import bisect_right
from collections import Counter

from .. import _C

__all__ = [
    "LRScheduler", "LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR", "ConstantLR", "LinearLR",
    "ExponentialLR", "PolynomialLR", "CosineAnnealingLR", "CosineAnnealingWarmRestarts", "SequentialLR",
    "ChainedScheduler", "CyclicLR", "OneCycleLR", "WarmupCosineLR", "LinearWarmupDecayLR", "ReduceLROnPlateau",
]

_sched = _C.optim.lr_scheduler


class LRScheduler:
    """Base of the schedulers: step() advances last_epoch and writes get_lr() into the param groups."""

    def __init__(self, optimizer, last_epoch=-1, verbose=False):
        if not hasattr(optimizer, "param_groups"):
            raise TypeError(f"{type(self).__name__}: {type(optimizer).__name__} is not an optimizer")
        self.optimizer = optimizer
        groups = optimizer.param_groups
        if last_epoch == -1:
            for group in groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(groups):
                if "initial_lr" not in group:
                    raise KeyError(f"param 'initial_lr' is not specified in param_groups[{i}] when resuming an "
                                   "optimizer")
        self.base_lrs = [group["initial_lr"] for group in groups]
        self.last_epoch = last_epoch
        self.verbose = verbose
        self._initial_step()

    def _initial_step(self):
        self._step_count = 0
        self.step()

    def get_lr(self):
        """The lr of every group at step self.last_epoch (may read the groups' current lrs)."""
        raise NotImplementedError(type(self).__name__ + " must define get_lr()")

    def step(self, epoch=None):
        """Advances one step (or jumps to `epoch`, with the closed form where there is one)."""
        self._step_count += 1
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            self.last_epoch = epoch
            values = self._get_closed_form_lr() if hasattr(self, "_get_closed_form_lr") else self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, values):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self):
        """The lrs the last step() set."""
        return list(self._last_lr)

    def state_dict(self):
        return {k: v for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict):
        self.__dict__.update(state_dict)

    def _lrs(self):
        return [group["lr"] for group in self.optimizer.param_groups]


_LRScheduler = LRScheduler  # torch's older name


def _per_group(name, optimizer, value):
    """One value per param group (a list/tuple must have one per group)."""
    n = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(f"expected {n} values for {name}, got {len(value)}")
        return list(value)
    return [value] * n


class LambdaLR(LRScheduler):
    """lr = base_lr * lr_lambda(epoch); lr_lambda may be one function or one per group."""

    def __init__(self, optimizer, lr_lambda, last_epoch=-1, verbose=False):
        n = len(optimizer.param_groups)
        self.lr_lambdas = list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) else [lr_lambda] * n
        if len(self.lr_lambdas) != n:
            raise ValueError(f"LambdaLR: expected {n} lr_lambdas, got {len(self.lr_lambdas)}")
        super().__init__(optimizer, last_epoch, verbose)

    def get_lr(self):
        return [base * fn(self.last_epoch) for base, fn in zip(self.base_lrs, self.lr_lambdas)]

    def state_dict(self):
        d = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "lr_lambdas")}
        d["lr_lambdas"] = [fn.__dict__.copy() if not isinstance(fn, type(lambda: 0)) else None
                           for fn in self.lr_lambdas]
        return d

    def load_state_dict(self, state_dict):
        state_dict = dict(state_dict)
        lambdas = state_dict.pop("lr_lambdas", [None] * len(self.lr_lambdas))
        self.__dict__.update(state_dict)
        for fn, saved in zip(self.lr_lambdas, lambdas):
            if saved is not None:
                fn.__dict__.update(saved)


class MultiplicativeLR(LambdaLR):
    """lr = previous lr * lr_lambda(epoch) (from the second step on)."""

    def get_lr(self):
        if self.last_epoch > 0:
            return [lr * fn(self.last_epoch) for lr, fn in zip(self._lrs(), self.lr_lambdas)]
        return self._lrs()


class _CppTwin:
    """A scheduler that also exists in C++ (_impl_class): reading `_impl` (what seek.train.Trainer
    does) makes the C++ twin, brought to the same step, and from then on this object forwards
    step(), get_last_lr(), last_epoch and the state dicts to it. Needs a C++ optimizer."""

    _impl_class = None

    def _twin_args(self):
        raise NotImplementedError

    @property
    def _impl(self):
        twin = self.__dict__.get("_twin")
        if twin is None:
            impl = getattr(self.optimizer, "_impl", None)
            if not isinstance(impl, _C.optim.Optimizer):
                raise TypeError(f"{type(self).__name__}: only a C++ optimizer (SGD, Adam, ...) can be stepped by "
                                "the C++ Trainer; step this scheduler from a Callback instead")
            steps = self.last_epoch
            lrs = self.get_last_lr()
            for group, base in zip(self.optimizer.param_groups, self.base_lrs):
                group["lr"] = base
            args, kwargs = self._twin_args()
            twin = self._impl_class(impl, *args, **kwargs)
            for _ in range(steps):
                twin.step()
            if [float(x) for x in twin.get_last_lr()] != [float(x) for x in lrs]:
                for group, lr in zip(self.optimizer.param_groups, lrs):
                    group["lr"] = lr
            self.__dict__["_twin"] = twin
        return twin

    def _forwarded(self):
        return self.__dict__.get("_twin")

    @property
    def last_epoch(self):
        twin = self._forwarded()
        return twin.last_epoch if twin is not None else self.__dict__.get("_py_last_epoch", -1)

    @last_epoch.setter
    def last_epoch(self, value):
        self.__dict__["_py_last_epoch"] = value

    def _py_state(self):
        d = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "_twin", "_py_last_epoch")}
        d["last_epoch"] = self.last_epoch
        return d

    def _py_load(self, state_dict):
        state_dict = dict(state_dict)
        if "last_epoch" in state_dict:
            self.last_epoch = state_dict.pop("last_epoch")
        self.__dict__.update(state_dict)


class StepLR(_CppTwin, LRScheduler):
    """lr = base * gamma ** (epoch // step_size). StepLR(optimizer, step_size, gamma=0.1)."""

    _impl_class = _sched.StepLR

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1, verbose=False):
        if int(step_size) != step_size or step_size <= 0:
            raise ValueError(f"StepLR: step_size must be a positive integer, got {step_size}")
        self.step_size = int(step_size)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch, verbose)

    def _twin_args(self):
        return (self.step_size, self.gamma), {}

    def get_lr(self):
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._lrs()
        return [lr * self.gamma for lr in self._lrs()]

    def _get_closed_form_lr(self):
        return [base * self.gamma ** (self.last_epoch // self.step_size) for base in self.base_lrs]


class MultiStepLR(_CppTwin, LRScheduler):
    """lr = base * gamma ** (milestones passed); a milestone listed k times multiplies by gamma ** k."""

    _impl_class = _sched.MultiStepLR

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1, verbose=False):
        self.milestones = Counter(int(m) for m in milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch, verbose)

    def _twin_args(self):
        return (sorted(self.milestones.elements()), self.gamma), {}

    def get_lr(self):
        if self.last_epoch not in self.milestones:
            return self._lrs()
        return [lr * self.gamma ** self.milestones[self.last_epoch] for lr in self._lrs()]

    def _get_closed_form_lr(self):
        passed = bisect_right(sorted(self.milestones.elements()), self.last_epoch)
        return [base * self.gamma ** passed for base in self.base_lrs]


class ConstantLR(LRScheduler):
    """lr = base * factor until total_iters steps, then base."""

    def __init__(self, optimizer, factor=1.0 / 3, total_iters=5, last_epoch=-1, verbose=False):
        if factor > 1.0 or factor < 0:
            raise ValueError(f"ConstantLR: factor must be between 0 and 1, got {factor}")
        self.factor = factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch, verbose)

    def get_lr(self):
        if self.last_epoch == 0:
            return [lr * self.factor for lr in self._lrs()]
        if self.last_epoch != self.total_iters:
            return self._lrs()
        return [lr * (1.0 / self.factor) for lr in self._lrs()]

    def _get_closed_form_lr(self):
        on = self.last_epoch >= self.total_iters
        return [base * (self.factor + on * (1 - self.factor)) for base in self.base_lrs]


class LinearLR(LRScheduler):
    """lr goes linearly from base * start_factor to base * end_factor over total_iters steps."""

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5, last_epoch=-1, verbose=False):
        if start_factor > 1.0 or start_factor <= 0:
            raise ValueError(f"LinearLR: start_factor must be in (0, 1], got {start_factor}")
        if end_factor > 1.0 or end_factor < 0:
            raise ValueError(f"LinearLR: end_factor must be in [0, 1], got {end_factor}")
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch, verbose)

    def get_lr(self):
        if self.last_epoch == 0:
            return [lr * self.start_factor for lr in self._lrs()]
        if self.last_epoch > self.total_iters:
            return self._lrs()
        span = self.end_factor - self.start_factor
        ratio = 1.0 + span / (self.total_iters * self.start_factor + (self.last_epoch - 1) * span)
        return [lr * ratio for lr in self._lrs()]

    def _get_closed_form_lr(self):
        frac = min(self.total_iters, self.last_epoch) / self.total_iters
        return [base * (self.start_factor + (self.end_factor - self.start_factor) * frac) for base in self.base_lrs]


class ExponentialLR(_CppTwin, LRScheduler):
    """lr = base * gamma ** epoch. ExponentialLR(optimizer, gamma)."""

    _impl_class = _sched.ExponentialLR

    def __init__(self, optimizer, gamma, last_epoch=-1, verbose=False):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch, verbose)

    def _twin_args(self):
        return (self.gamma,), {}

    def get_lr(self):
        if self.last_epoch == 0:
            return self._lrs()
        return [lr * self.gamma for lr in self._lrs()]

    def _get_closed_form_lr(self):
        return [base * self.gamma ** self.last_epoch for base in self.base_lrs]


class PolynomialLR(LRScheduler):
    """lr = base * (1 - min(epoch, total_iters) / total_iters) ** power."""

    def __init__(self, optimizer, total_iters=5, power=1.0, last_epoch=-1, verbose=False):
        self.total_iters = total_iters
        self.power = power
        super().__init__(optimizer, last_epoch, verbose)

    def get_lr(self):
        if self.last_epoch == 0 or self.last_epoch > self.total_iters:
            return self._lrs()
        ratio = ((1.0 - self.last_epoch / self.total_iters) / (1.0 - (self.last_epoch - 1) / self.total_iters))
        return [lr * ratio ** self.power for lr in self._lrs()]

    def _get_closed_form_lr(self):
        frac = 1.0 - min(self.total_iters, self.last_epoch) / self.total_iters
        return [base * frac ** self.power for base in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """lr = eta_min + (base - eta_min) * (1 + cos(pi * epoch / T_max)) / 2, stepped in torch's recursive form."""

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1, verbose=False):
        if T_max <= 0:
            raise ValueError(f"CosineAnnealingLR: T_max must be positive, got {T_max}")
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch, verbose)

    def get_lr(self):
        e, t, lo = self.last_epoch, self.T_max, self.eta_min
        if e == 0:
            return self._lrs()
        if self._step_count == 1 and e > 0:
            return [lo + (base - lo) * (1 + math.cos(e * math.pi / t)) / 2 for base in self.base_lrs]
        if (e - 1 - t) % (2 * t) == 0:
            return [lr + (base - lo) * (1 - math.cos(math.pi / t)) / 2 for base, lr in zip(self.base_lrs, self._lrs())]
        ratio = (1 + math.cos(math.pi * e / t)) / (1 + math.cos(math.pi * (e - 1) / t))
        return [ratio * (lr - lo) + lo for lr in self._lrs()]

    def _get_closed_form_lr(self):
        c = (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
        return [self.eta_min + (base - self.eta_min) * c for base in self.base_lrs]


class CosineAnnealingWarmRestarts(LRScheduler):
    """Cosine annealing restarted every T_i steps (T_0, then T_i * T_mult); step(epoch) takes fractional epochs."""

    def __init__(self, optimizer, T_0, T_mult=1, eta_min=0.0, last_epoch=-1, verbose=False):
        if T_0 <= 0 or not isinstance(T_0, int):
            raise ValueError(f"CosineAnnealingWarmRestarts: T_0 must be a positive integer, got {T_0}")
        if T_mult < 1 or not isinstance(T_mult, int):
            raise ValueError(f"CosineAnnealingWarmRestarts: T_mult must be an integer >= 1, got {T_mult}")
        self.T_0 = T_0
        self.T_i = T_0
        self.T_mult = T_mult
        self.eta_min = eta_min
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch, verbose)

    def get_lr(self):
        c = (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2
        return [self.eta_min + (base - self.eta_min) * c for base in self.base_lrs]

    def step(self, epoch=None):
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur = self.T_cur + 1
            if self.T_cur >= self.T_i:
                self.T_cur = self.T_cur - self.T_i
                self.T_i = self.T_i * self.T_mult
        else:
            if epoch < 0:
                raise ValueError(f"CosineAnnealingWarmRestarts: expected a non-negative epoch, got {epoch}")
            if epoch >= self.T_0:
                if self.T_mult == 1:
                    self.T_cur = epoch % self.T_0
                else:
                    n = int(math.log((epoch / self.T_0 * (self.T_mult - 1) + 1), self.T_mult))
                    self.T_cur = epoch - self.T_0 * (self.T_mult ** n - 1) / (self.T_mult - 1)
                    self.T_i = self.T_0 * self.T_mult ** n
            else:
                self.T_i = self.T_0
                self.T_cur = epoch
        self.last_epoch = math.floor(epoch)
        self._step_count = getattr(self, "_step_count", 0) + 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = self._lrs()


class SequentialLR(LRScheduler):
    """Runs schedulers[i] from milestones[i - 1] on (each restarted at its milestone)."""

    def __init__(self, optimizer, schedulers, milestones, last_epoch=-1, verbose=False):
        schedulers = list(schedulers)
        for i, s in enumerate(schedulers):
            if getattr(s, "optimizer", None) is not optimizer:
                raise ValueError(f"SequentialLR: scheduler {i} works on another optimizer than the one given")
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(f"SequentialLR: expected {len(schedulers) - 1} milestones for {len(schedulers)} "
                             f"schedulers, got {len(milestones)}")
        self._schedulers = schedulers
        self._milestones = list(milestones)
        self.last_epoch = last_epoch + 1
        self.optimizer = optimizer
        # Undo the first step every scheduler made in its constructor; only the first one steps now.
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        for s in schedulers:
            s.last_epoch -= 1
        schedulers[0]._initial_step()
        self._last_lr = schedulers[0].get_last_lr()

    def step(self):
        self.last_epoch += 1
        idx = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[idx]
        if idx > 0 and self._milestones[idx - 1] == self.last_epoch:
            scheduler.step(0)
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()

    def state_dict(self):
        d = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "_schedulers")}
        d["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return d

    def load_state_dict(self, state_dict):
        state_dict = dict(state_dict)
        nested = state_dict.pop("_schedulers")
        self.__dict__.update(state_dict)
        for s, sd in zip(self._schedulers, nested):
            s.load_state_dict(sd)


class ChainedScheduler(LRScheduler):
    """Steps every scheduler of the list at each step (their factors multiply)."""

    def __init__(self, schedulers):
        schedulers = list(schedulers)
        if not schedulers:
            raise ValueError("ChainedScheduler needs at least one scheduler")
        self._schedulers = schedulers
        self.optimizer = schedulers[0].optimizer
        self._last_lr = self._lrs()

    def step(self):
        for s in self._schedulers:
            s.step()
        self._last_lr = self._lrs()

    state_dict = SequentialLR.state_dict
    load_state_dict = SequentialLR.load_state_dict


def _momentum_key(optimizer, who):
    defaults = optimizer.defaults
    if "momentum" in defaults:
        return "momentum"
    if "betas" in defaults:
        return "betas"
    raise ValueError(f"{who}: optimizer must support momentum (or betas) with the `cycle_momentum` option enabled")


def _set_momentum(group, key, value):
    if key == "betas":
        group["betas"] = (value, *group["betas"][1:])
    else:
        group["momentum"] = value


class CyclicLR(LRScheduler):
    """Cyclical learning rate between base_lr and max_lr (modes triangular, triangular2, exp_range, or scale_fn);
    with cycle_momentum the momentum (or Adam's beta1) cycles the other way between base and max momentum."""

    def __init__(self, optimizer, base_lr, max_lr, step_size_up=2000, step_size_down=None, mode="triangular",
                 gamma=1.0, scale_fn=None, scale_mode="cycle", cycle_momentum=True, base_momentum=0.8,
                 max_momentum=0.9, last_epoch=-1, verbose=False):
        base_lrs = _per_group("base_lr", optimizer, base_lr)
        if last_epoch == -1:
            for lr, group in zip(base_lrs, optimizer.param_groups):
                group["lr"] = lr
        self.max_lrs = _per_group("max_lr", optimizer, max_lr)
        step_size_up = float(step_size_up)
        step_size_down = float(step_size_down) if step_size_down is not None else step_size_up
        self.total_size = step_size_up + step_size_down
        self.step_ratio = step_size_up / self.total_size
        if mode not in ("triangular", "triangular2", "exp_range") and scale_fn is None:
            raise ValueError(f"CyclicLR: mode must be 'triangular', 'triangular2' or 'exp_range', got {mode!r}")
        self.mode = mode
        self.gamma = gamma
        self._scale_fn_custom = scale_fn
        if scale_fn is None:
            self.scale_mode = "iterations" if mode == "exp_range" else "cycle"
        else:
            self.scale_mode = scale_mode
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self._momentum = _momentum_key(optimizer, "CyclicLR")
            self.base_momentums = _per_group("base_momentum", optimizer, base_momentum)
            self.max_momentums = _per_group("max_momentum", optimizer, max_momentum)
            if last_epoch == -1:
                for m, b, group in zip(self.max_momentums, self.base_momentums, optimizer.param_groups):
                    _set_momentum(group, self._momentum, m)
                    group["max_momentum"] = m
                    group["base_momentum"] = b
        super().__init__(optimizer, last_epoch, verbose)
        self.base_lrs = base_lrs

    def scale_fn(self, x):
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        if self.mode == "triangular":
            return 1.0
        if self.mode == "triangular2":
            return 1 / (2.0 ** (x - 1))
        return self.gamma ** x

    def get_lr(self):
        cycle = math.floor(1 + self.last_epoch / self.total_size)
        x = 1.0 + self.last_epoch / self.total_size - cycle
        scale = x / self.step_ratio if x <= self.step_ratio else (x - 1) / (self.step_ratio - 1)
        arg = cycle if self.scale_mode == "cycle" else self.last_epoch
        lrs = [base + (top - base) * scale * self.scale_fn(arg) for base, top in zip(self.base_lrs, self.max_lrs)]
        if self.cycle_momentum:
            for group, b, m in zip(self.optimizer.param_groups, self.base_momentums, self.max_momentums):
                _set_momentum(group, self._momentum, m - (m - b) * scale * self.scale_fn(arg))
        return lrs

    def state_dict(self):
        d = super().state_dict()
        d.pop("_scale_fn_custom", None)
        return d


class OneCycleLR(_CppTwin, LRScheduler):
    """The 1cycle policy: lr from max_lr / div_factor up to max_lr (pct_start of the steps), then down to
    initial_lr / final_div_factor ('cos' or 'linear'); three_phase: up, back to initial_lr, then down.
    The length is total_steps, or epochs * steps_per_epoch. With cycle_momentum the momentum (or
    Adam's beta1) goes the other way between max_momentum and base_momentum."""

    _impl_class = _sched.OneCycleLR

    def __init__(self, optimizer, max_lr, total_steps=None, epochs=None, steps_per_epoch=None, pct_start=0.3,
                 anneal_strategy="cos", cycle_momentum=True, base_momentum=0.85, max_momentum=0.95,
                 div_factor=25.0, final_div_factor=1e4, three_phase=False, last_epoch=-1, verbose=False):
        if total_steps is None and epochs is None and steps_per_epoch is None:
            raise ValueError("OneCycleLR: you must define either total_steps OR (epochs AND steps_per_epoch)")
        if total_steps is not None:
            if total_steps <= 0 or not isinstance(total_steps, int):
                raise ValueError(f"OneCycleLR: expected a positive integer total_steps, got {total_steps}")
            self.total_steps = total_steps
        else:
            if epochs is None or epochs <= 0 or not isinstance(epochs, int):
                raise ValueError(f"OneCycleLR: expected a positive integer epochs, got {epochs}")
            if steps_per_epoch is None or steps_per_epoch <= 0 or not isinstance(steps_per_epoch, int):
                raise ValueError(f"OneCycleLR: expected a positive integer steps_per_epoch, got {steps_per_epoch}")
            self.total_steps = epochs * steps_per_epoch
        if pct_start < 0 or pct_start > 1 or not isinstance(pct_start, (int, float)):
            raise ValueError(f"OneCycleLR: expected a float between 0 and 1 for pct_start, got {pct_start}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"OneCycleLR: anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}")
        self.anneal_strategy = anneal_strategy
        self._args = dict(max_lr=max_lr, pct_start=pct_start, div_factor=div_factor,
                          final_div_factor=final_div_factor, cycle_momentum=cycle_momentum,
                          base_momentum=base_momentum, max_momentum=max_momentum, three_phase=three_phase)
        up = float(pct_start * self.total_steps) - 1
        if three_phase:
            self._schedule_phases = [
                {"end_step": up, "start_lr": "initial_lr", "end_lr": "max_lr", "start_momentum": "max_momentum",
                 "end_momentum": "base_momentum"},
                {"end_step": float(2 * pct_start * self.total_steps) - 2, "start_lr": "max_lr",
                 "end_lr": "initial_lr", "start_momentum": "base_momentum", "end_momentum": "max_momentum"},
                {"end_step": self.total_steps - 1, "start_lr": "initial_lr", "end_lr": "min_lr",
                 "start_momentum": "max_momentum", "end_momentum": "max_momentum"},
            ]
        else:
            self._schedule_phases = [
                {"end_step": up, "start_lr": "initial_lr", "end_lr": "max_lr", "start_momentum": "max_momentum",
                 "end_momentum": "base_momentum"},
                {"end_step": self.total_steps - 1, "start_lr": "max_lr", "end_lr": "min_lr",
                 "start_momentum": "base_momentum", "end_momentum": "max_momentum"},
            ]
        max_lrs = _per_group("max_lr", optimizer, max_lr)
        if last_epoch == -1:
            for top, group in zip(max_lrs, optimizer.param_groups):
                group["initial_lr"] = top / div_factor
                group["max_lr"] = top
                group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self._momentum = _momentum_key(optimizer, "OneCycleLR")
            if last_epoch == -1:
                for m, b, group in zip(_per_group("max_momentum", optimizer, max_momentum),
                                       _per_group("base_momentum", optimizer, base_momentum),
                                       optimizer.param_groups):
                    _set_momentum(group, self._momentum, m)
                    group["max_momentum"] = m
                    group["base_momentum"] = b
        super().__init__(optimizer, last_epoch, verbose)

    def _twin_args(self):
        a = self._args
        if self.anneal_strategy != "cos" or a["three_phase"] or (self.cycle_momentum and self._momentum != "momentum"):
            raise TypeError("OneCycleLR: the C++ Trainer steps only the cosine, two-phase schedule with SGD momentum")
        return (), dict(max_lr=a["max_lr"], total_steps=self.total_steps, pct_start=a["pct_start"],
                        div_factor=a["div_factor"], final_div_factor=a["final_div_factor"],
                        cycle_momentum=a["cycle_momentum"], base_momentum=a["base_momentum"],
                        max_momentum=a["max_momentum"])

    def _anneal(self, start, end, pct):
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self):
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(f"Tried to step {step} times. The specified number of total steps is {self.total_steps}")
        lrs = []
        for group in self.optimizer.param_groups:
            start = 0
            for i, phase in enumerate(self._schedule_phases):
                end = phase["end_step"]
                if step <= end or i == len(self._schedule_phases) - 1:
                    pct = (step - start) / (end - start)
                    lr = self._anneal(group[phase["start_lr"]], group[phase["end_lr"]], pct)
                    if self.cycle_momentum:
                        momentum = self._anneal(group[phase["start_momentum"]], group[phase["end_momentum"]], pct)
                    break
                start = phase["end_step"]
            lrs.append(lr)
            if self.cycle_momentum:
                _set_momentum(group, self._momentum, momentum)
        return lrs


class WarmupCosineLR(_CppTwin, LRScheduler):
    """Linear warmup from 0 to the base lr over warmup_steps, then cosine to min_lr at total_steps."""

    _impl_class = _sched.WarmupCosineLR

    def __init__(self, optimizer, warmup_steps, total_steps, min_lr=0.0, last_epoch=-1):
        if not 0 <= warmup_steps < total_steps:
            raise ValueError(f"WarmupCosineLR: expected 0 <= warmup_steps < total_steps, got warmup_steps "
                             f"{warmup_steps}, total_steps {total_steps}")
        if min_lr < 0:
            raise ValueError(f"WarmupCosineLR: min_lr must be >= 0, got {min_lr}")
        self.warmup_steps, self.total_steps, self.min_lr = warmup_steps, total_steps, min_lr
        super().__init__(optimizer, last_epoch)

    def _twin_args(self):
        return (self.warmup_steps, self.total_steps, self.min_lr), {}

    def get_lr(self):
        s, w, t = self.last_epoch, self.warmup_steps, self.total_steps
        out = []
        for base in self.base_lrs:
            if s < w:
                out.append(base * s / w)
            elif s >= t:
                out.append(self.min_lr)
            else:
                out.append(self.min_lr + (base - self.min_lr) * 0.5 * (1.0 + math.cos(math.pi * (s - w) / (t - w))))
        return out


class LinearWarmupDecayLR(_CppTwin, LRScheduler):
    """Linear warmup from 0 to the base lr over warmup_steps, then linear decay to base * end_factor."""

    _impl_class = _sched.LinearWarmupDecayLR

    def __init__(self, optimizer, warmup_steps, total_steps, end_factor=0.0, last_epoch=-1):
        if not 0 <= warmup_steps < total_steps:
            raise ValueError(f"LinearWarmupDecayLR: expected 0 <= warmup_steps < total_steps, got warmup_steps "
                             f"{warmup_steps}, total_steps {total_steps}")
        if not 0 <= end_factor <= 1:
            raise ValueError(f"LinearWarmupDecayLR: end_factor must be in [0, 1], got {end_factor}")
        self.warmup_steps, self.total_steps, self.end_factor = warmup_steps, total_steps, end_factor
        super().__init__(optimizer, last_epoch)

    def _twin_args(self):
        return (self.warmup_steps, self.total_steps, self.end_factor), {}

    def get_lr(self):
        s, w, t = self.last_epoch, self.warmup_steps, self.total_steps
        out = []
        for base in self.base_lrs:
            if s < w:
                out.append(base * s / w)
            elif s >= t:
                out.append(base * self.end_factor)
            else:
                out.append(base * (self.end_factor + (1.0 - self.end_factor) * (t - s) / (t - w)))
        return out


class ReduceLROnPlateau(_CppTwin):
    """Reduces every lr by factor when step(metrics) has not improved for patience steps (torch's rules:
    mode 'min'/'max', threshold_mode 'rel'/'abs', cooldown, min_lr per group, eps)."""

    _impl_class = _sched.ReduceLROnPlateau

    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4, threshold_mode="rel",
                 cooldown=0, min_lr=0.0, eps=1e-8, verbose=False):
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau: factor should be < 1.0, got {factor}")
        if mode not in ("min", "max"):
            raise ValueError(f"ReduceLROnPlateau: mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"ReduceLROnPlateau: threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}")
        self.optimizer = optimizer
        self.factor = factor
        self.min_lrs = [float(x) for x in _per_group("min_lr", optimizer, min_lr)]
        self.patience = patience
        self.cooldown = cooldown
        self.mode = mode
        self.threshold = threshold
        self.threshold_mode = threshold_mode
        self.eps = eps
        self.verbose = verbose
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.last_epoch = 0
        self._last_lr = [group["lr"] for group in optimizer.param_groups]

    def _twin_args(self):
        if len(set(self.min_lrs)) > 1:
            raise TypeError("ReduceLROnPlateau: the C++ Trainer takes one min_lr for all groups")
        return (), dict(mode=self.mode, factor=self.factor, patience=self.patience, threshold=self.threshold,
                        threshold_mode=self.threshold_mode, cooldown=self.cooldown, min_lr=self.min_lrs[0],
                        eps=self.eps)

    @property
    def _impl(self):
        twin = self.__dict__.get("_twin")
        if twin is None:
            impl = getattr(self.optimizer, "_impl", None)
            if not isinstance(impl, _C.optim.Optimizer) or self.last_epoch != 0:
                raise TypeError("ReduceLROnPlateau: only a fresh scheduler on a C++ optimizer can be stepped by the "
                                "C++ Trainer")
            args, kwargs = self._twin_args()
            twin = self.__dict__["_twin"] = self._impl_class(impl, *args, **kwargs)
        return twin

    def _is_better(self, a, best):
        if self.mode == "min" and self.threshold_mode == "rel":
            return a < best * (1.0 - self.threshold)
        if self.mode == "min":
            return a < best - self.threshold
        if self.threshold_mode == "rel":
            return a > best * (self.threshold + 1.0)
        return a > best + self.threshold

    @property
    def in_cooldown(self):
        return self.cooldown_counter > 0

    def step(self, metrics, epoch=None):
        twin = self._forwarded()
        if twin is not None:
            twin.step(float(metrics))
            return
        current = float(metrics)
        self.last_epoch = self.last_epoch + 1 if epoch is None else epoch
        if self._is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            for i, group in enumerate(self.optimizer.param_groups):
                old = float(group["lr"])
                new = max(old * self.factor, self.min_lrs[i])
                if old - new > self.eps:
                    group["lr"] = new
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self):
        twin = self._forwarded()
        return list(twin.get_last_lr()) if twin is not None else list(self._last_lr)

    def state_dict(self):
        twin = self._forwarded()
        return twin.state_dict() if twin is not None else self._py_state()

    def load_state_dict(self, state_dict):
        twin = self._forwarded()
        if twin is not None:
            twin.load_state_dict(state_dict)
        else:
            self._py_load(state_dict)


def _forward_to_twin(cls):
    """step(), get_last_lr() and the state dicts of a _CppTwin scheduler go to its C++ twin once it has one."""
    py_step, py_last = cls.step, cls.get_last_lr

    def step(self, epoch=None):
        twin = self._forwarded()
        if twin is None:
            return py_step(self, epoch)
        if epoch is not None:
            warnings.warn(f"{cls.__name__}: step(epoch) is ignored once the C++ Trainer steps this scheduler")
        twin.step()
        self._last_lr = list(twin.get_last_lr())

    def get_last_lr(self):
        twin = self._forwarded()
        return list(twin.get_last_lr()) if twin is not None else py_last(self)

    def state_dict(self):
        twin = self._forwarded()
        return twin.state_dict() if twin is not None else self._py_state()

    def load_state_dict(self, state_dict):
        twin = self._forwarded()
        return twin.load_state_dict(state_dict) if twin is not None else self._py_load(state_dict)

    cls.step, cls.get_last_lr, cls.state_dict, cls.load_state_dict = step, get_last_lr, state_dict, load_state_dict
    return cls


for _cls in (StepLR, MultiStepLR, ExponentialLR, OneCycleLR, WarmupCosineLR, LinearWarmupDecayLR):
    _forward_to_twin(_cls)

"""The cyclic schedules of seek.optim.lr_scheduler (CyclicLR, OneCycleLR), seek's warmup schedules
(WarmupCosineLR, LinearWarmupDecayLR) and ReduceLROnPlateau."""
import math

from .. import _C
from ._sched_base import LRScheduler, _CppTwin, _per_group, _sched

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


class _WarmupThenDecay(_CppTwin, LRScheduler):
    """Linear warmup from 0 to the base lr over warmup_steps, then _decay(base, step) until total_steps and
    _decay's value at total_steps after it."""

    def __init__(self, optimizer, warmup_steps, total_steps, last_epoch):
        name = type(self).__name__
        if not 0 <= warmup_steps < total_steps:
            raise ValueError(f"{name}: expected 0 <= warmup_steps < total_steps, got warmup_steps "
                             f"{warmup_steps}, total_steps {total_steps}")
        self.warmup_steps, self.total_steps = warmup_steps, total_steps
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        s, w, t = self.last_epoch, self.warmup_steps, self.total_steps
        return [base * s / w if s < w else self._decay(base, min(s, t)) for base in self.base_lrs]


class WarmupCosineLR(_WarmupThenDecay):
    """Linear warmup from 0 to the base lr over warmup_steps, then cosine to min_lr at total_steps."""

    _impl_class = _sched.WarmupCosineLR

    def __init__(self, optimizer, warmup_steps, total_steps, min_lr=0.0, last_epoch=-1):
        if min_lr < 0:
            raise ValueError(f"WarmupCosineLR: min_lr must be >= 0, got {min_lr}")
        self.min_lr = min_lr
        super().__init__(optimizer, warmup_steps, total_steps, last_epoch)

    def _twin_args(self):
        return (self.warmup_steps, self.total_steps, self.min_lr), {}

    def _decay(self, base, s):
        w, t = self.warmup_steps, self.total_steps
        if s >= t:
            return self.min_lr
        return self.min_lr + (base - self.min_lr) * 0.5 * (1.0 + math.cos(math.pi * (s - w) / (t - w)))


class LinearWarmupDecayLR(_WarmupThenDecay):
    """Linear warmup from 0 to the base lr over warmup_steps, then linear decay to base * end_factor."""

    _impl_class = _sched.LinearWarmupDecayLR

    def __init__(self, optimizer, warmup_steps, total_steps, end_factor=0.0, last_epoch=-1):
        if not 0 <= end_factor <= 1:
            raise ValueError(f"LinearWarmupDecayLR: end_factor must be in [0, 1], got {end_factor}")
        self.end_factor = end_factor
        super().__init__(optimizer, warmup_steps, total_steps, last_epoch)

    def _twin_args(self):
        return (self.warmup_steps, self.total_steps, self.end_factor), {}

    def _decay(self, base, s):
        w, t = self.warmup_steps, self.total_steps
        return base * (self.end_factor + (1.0 - self.end_factor) * (t - s) / (t - w))


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

"""The base of seek.optim.lr_scheduler: LRScheduler (torch's stepping rules) and _CppTwin (a scheduler that
also exists in C++, which seek.train.Trainer steps once it takes the scheduler over)."""
import warnings

from .. import _C

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


def forward_to_twin(cls):
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

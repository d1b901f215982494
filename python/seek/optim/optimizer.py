"""seek.optim.Optimizer: the base of every optimizer, with torch.optim.Optimizer's interface.

Two kinds of optimizer share it:
- Python subclasses, written exactly as for PyTorch: `super().__init__(params, defaults)`, then
  step(closure=None) walks self.param_groups (a list of dicts) and keeps per-parameter state in
  self.state[p] (a dict). LBFGS is one.
- The C++ optimizers (SGD, Adam, ...; _CppOptimizer below), whose update runs in C++ with the
  GIL released; their param_groups are dicts whose option entries write through to C++.
Both give state_dict() in PyTorch's layout ({'state': {index: {...}}, 'param_groups': [{..., 'params':
[indices]}]}) and load it back, so every scheduler and checkpoint sees one interface.
"""
import copy
from collections import defaultdict

from .. import _C

__all__ = ["Optimizer", "required"]


class _Required:
    def __repr__(self):
        return "<required parameter>"


required = _Required()


def _param_list(params, who):
    from .._C import Tensor

    if isinstance(params, Tensor):
        raise TypeError(f"{who}: params argument given to the optimizer should be an iterable of Tensors or dicts, "
                        "but got a Tensor")
    try:
        return list(params)
    except TypeError:
        raise TypeError(f"{who}: params must be an iterable of Tensors or dicts, got {type(params).__name__}") from None


class Optimizer:
    """Base of seek's optimizers, with torch.optim.Optimizer's constructor Optimizer(params, defaults)."""

    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self.state = defaultdict(dict)
        self.param_groups = []
        groups = _param_list(params, type(self).__name__)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group):
        """Adds a dict {'params': [...], option: value}; options not given take the defaults."""
        from .._C import Tensor

        if not isinstance(param_group, dict):
            raise TypeError(f"param group must be a dict, got {type(param_group).__name__}")
        group = dict(param_group)
        params = group.get("params")
        if params is None:
            raise ValueError("a parameter group dict needs a 'params' entry")
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering of "
                            "tensors in sets will change between runs; use a list instead")
        else:
            params = list(params)
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but parameter {i} is a {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError(f"can't optimize a non-leaf Tensor (parameter {i})")
        group["params"] = params
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            group.setdefault(name, default)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if len({id(p) for p in params}) != len(params) or any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none=True):
        """Drops (set_to_none) or zeroes the gradients of all parameters."""
        from ..autograd import no_grad

        with no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    if set_to_none:
                        p.grad = None
                    else:
                        p.grad.zero_()

    def step(self, closure=None):
        """One update; closure (optional) re-evaluates the loss and returns it."""
        raise NotImplementedError(type(self).__name__ + " must define step(closure=None)")

    def state_dict(self):
        """{'state': {index: per-parameter state}, 'param_groups': [{options..., 'params': [indices]}]}."""
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                packed["params"].append(index[id(p)])
            groups.append(packed)
        state = {index[id(p)]: v for p, v in self.state.items() if id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restores a state_dict() of an optimizer with the same groups and parameter sizes."""
        state_dict = copy.deepcopy(_as_nested(state_dict))
        saved = state_dict["param_groups"]
        if len(saved) != len(self.param_groups):
            raise ValueError(f"loaded state dict has {len(saved)} parameter groups, but this optimizer has "
                             f"{len(self.param_groups)}")
        for g, (mine, theirs) in enumerate(zip(self.param_groups, saved)):
            if len(mine["params"]) != len(theirs["params"]):
                raise ValueError(f"loaded state dict's group {g} has {len(theirs['params'])} parameters, but this "
                                 f"optimizer's group has {len(mine['params'])}")
        by_index = {}
        for mine, theirs in zip(self.param_groups, saved):
            for p, i in zip(mine["params"], theirs["params"]):
                by_index[i] = p
        state = defaultdict(dict)
        for i, values in state_dict["state"].items():
            p = by_index.get(int(i))
            if p is None:
                continue
            state[p] = {k: _cast_state(k, v, p) for k, v in values.items()}
        self.state = state
        new_groups = []
        for mine, theirs in zip(self.param_groups, saved):
            group = dict(theirs)
            group["params"] = mine["params"]
            new_groups.append(group)
        self.param_groups = new_groups

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups,
                **{k: v for k, v in self.__dict__.items() if k not in ("defaults", "state", "param_groups")}}

    def __setstate__(self, state):
        self.__dict__.update(state)

    def __repr__(self):
        lines = [type(self).__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(k for k in group if k != "params"):
                lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)


def _cast_state(key, value, p):
    """A state value loaded for parameter p: tensors of p's size take p's dtype and device (as torch)."""
    from .._C import Tensor

    if isinstance(value, Tensor) and key != "step" and value.is_floating_point():
        return value.to(dtype=p.dtype, device=p.device)
    return value


def _as_nested(state_dict):
    """A flat C++ checkpoint ('param_groups.<g>.<option>', 'state.<g>.<i>.<buffer>') in PyTorch's layout."""
    if "state" in state_dict and "param_groups" in state_dict:
        return state_dict
    groups, sizes, state = {}, {}, {}
    for key, value in state_dict.items():
        parts = key.split(".")
        if parts[0] == "param_groups" and len(parts) == 3:
            g = int(parts[1])
            if parts[2] == "num_params":
                sizes[g] = int(float(value))
            else:
                groups.setdefault(g, {})[parts[2]] = float(value)
        elif parts[0] == "state" and len(parts) == 4:
            state.setdefault((int(parts[1]), int(parts[2])), {})[parts[3]] = value
        else:
            raise ValueError(f"load_state_dict: unexpected key '{key}' (expected 'state' and 'param_groups')")
    out_groups, start, offsets = [], 0, {}
    for g in sorted(sizes):
        offsets[g] = start
        group = groups.get(g, {})
        if "beta1" in group:
            group["betas"] = (group.pop("beta1"), group.pop("beta2"))
        group["params"] = list(range(start, start + sizes[g]))
        out_groups.append(group)
        start += sizes[g]
    out_state = {offsets[g] + i: v for (g, i), v in state.items()}
    return {"state": out_state, "param_groups": out_groups}


def _as_flat(state_dict):
    """An optimizer state dict in PyTorch's layout as flat str -> tensor entries ('param_groups.<g>.<option>',
    'param_groups.<g>.num_params', 'state.<g>.<i>.<key>'), which a safetensors file can hold; _as_nested
    reads it back. Options that are not numbers (None, strings) are left out; so is a state value that is
    not a number or tensor (then this raises TypeError naming it)."""
    from .._C import Tensor

    flat = {}
    where = {}
    for g, group in enumerate(state_dict["param_groups"]):
        flat[f"param_groups.{g}.num_params"] = _C.tensor(float(len(group["params"])), dtype=_C.float64)
        for i, index in enumerate(group["params"]):
            where[index] = (g, i)
        for k, v in group.items():
            if k == "params":
                continue
            if k == "betas":
                flat[f"param_groups.{g}.beta1"] = _C.tensor(float(v[0]), dtype=_C.float64)
                flat[f"param_groups.{g}.beta2"] = _C.tensor(float(v[1]), dtype=_C.float64)
            elif isinstance(v, (bool, int, float)):
                flat[f"param_groups.{g}.{k}"] = _C.tensor(float(v), dtype=_C.float64)
    for index, values in state_dict["state"].items():
        g, i = where[index]
        for k, v in values.items():
            if v is None:
                continue
            if isinstance(v, (bool, int, float)):
                v = _C.tensor(float(v), dtype=_C.float64)
            if not isinstance(v, Tensor):
                raise TypeError(f"optimizer state '{k}' of parameter {index} is a {type(v).__name__}, which a "
                                "flat state dict cannot hold")
            flat[f"state.{g}.{i}.{k}"] = v
    return flat


def is_nested_state_dict(obj):
    """Whether obj is an optimizer state dict in PyTorch's layout."""
    return isinstance(obj, dict) and set(obj) == {"state", "param_groups"}


class _ParamGroup(dict):
    """One parameter group of a C++ optimizer: 'params', the options (writes go to C++) and any other
    entries a script or scheduler keeps there ('initial_lr', ...), which stay in Python."""

    def __init__(self, impl, index):
        super().__init__(impl._group_options(index))
        dict.__setitem__(self, "params", impl._group_params(index))
        self._impl = impl
        self._index = index
        self._options = set(self.keys()) - {"params"}

    def _refresh(self):
        dict.update(self, self._impl._group_options(self._index))

    def __setitem__(self, key, value):
        if key == "params":
            raise KeyError("param_groups: 'params' cannot be replaced; use add_param_group()")
        if key in self._options:
            self._impl._set_group_option(self._index, key, value)
        dict.__setitem__(self, key, value)

    def setdefault(self, key, default=None):
        if key not in self:
            self[key] = default
        return self[key]

    def update(self, *args, **kwargs):
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def __reduce__(self):
        return (dict, (dict(self),))

    def __deepcopy__(self, memo):
        return copy.deepcopy(dict(self), memo)


class _CppOptimizer(Optimizer):
    """An optimizer whose update runs in C++ (self._impl, a seek._C.optim optimizer)."""

    _impl_class = None  # the seek._C.optim class
    _drop_state = ()  # state entries of torch's layout that the C++ optimizer derives instead (NAdam's mu_product)
    _hidden_step = False  # torch keeps no 'step' for this optimizer (SGD): state_dict() leaves it out

    def __init__(self, params, **options):
        groups = _param_list(params, type(self).__name__)
        known = set(options)
        extras = []
        if groups and isinstance(groups[0], dict):
            cleaned = []
            for g in groups:
                if not isinstance(g, dict):
                    raise TypeError("params must be all tensors or all parameter-group dicts, not a mix")
                cleaned.append({k: (_param_list(v, "param group") if k == "params" else v)
                                for k, v in g.items() if k == "params" or k in known})
                extras.append({k: v for k, v in g.items() if k != "params" and k not in known})
            groups = cleaned
        if "betas" in options:
            options["betas"] = tuple(options["betas"])
        self._impl = self._impl_class(groups, **options)
        self._groups = []
        for i, extra in enumerate(extras):
            self.param_groups[i].update(extra)

    @property
    def param_groups(self):
        """The parameter groups, as dicts ('params', 'lr', ...); option writes reach the optimizer."""
        n = self._impl._num_groups()
        for i, group in enumerate(self._groups):
            group._refresh()
        while len(self._groups) < n:
            self._groups.append(_ParamGroup(self._impl, len(self._groups)))
        return self._groups

    @param_groups.setter
    def param_groups(self, value):
        raise AttributeError("param_groups of a C++ optimizer cannot be replaced; change its entries instead")

    @property
    def defaults(self):
        """The constructor's options, as a dict."""
        return self._impl._defaults()

    @defaults.setter
    def defaults(self, value):
        raise AttributeError("defaults of a C++ optimizer cannot be replaced")

    @property
    def state(self):
        """A snapshot of the per-parameter state: {parameter: {'step': ..., buffer: tensor}} (read-only copies)."""
        params = [p for g in self.param_groups for p in g["params"]]
        nested = _as_nested(self._impl.state_dict())
        return _StateView({params[i]: dict(s) for i, s in nested["state"].items()})

    @state.setter
    def state(self, value):
        raise AttributeError("state of a C++ optimizer cannot be replaced; use load_state_dict()")

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
        self._impl.zero_grad(set_to_none)

    def add_param_group(self, param_group):
        """Adds a dict {'params': [...], option: value, ...}; missing options take the defaults."""
        group = dict(param_group)
        params = group["params"]
        from .._C import Tensor

        group["params"] = [params] if isinstance(params, Tensor) else _param_list(params, "add_param_group")
        options = set(self.defaults)
        self._impl.add_param_group({k: v for k, v in group.items() if k == "params" or k in options})
        self.param_groups[-1].update({k: v for k, v in group.items() if k != "params" and k not in options})

    def state_dict(self):
        """PyTorch's layout: {'state': {index: {'step': tensor, buffer: tensor}}, 'param_groups': [...]}."""
        nested = _as_nested(self._impl.state_dict())
        for s in nested["state"].values():
            if self._hidden_step:
                s.pop("step", None)
            elif "step" in s:
                s["step"] = _C.tensor(float(s["step"]))
        for saved, group in zip(nested["param_groups"], self.param_groups):
            for k, v in group.items():
                if k != "params":
                    saved[k] = v
            saved["params"] = saved.pop("params")
        return nested

    def load_state_dict(self, state_dict):
        """Restores a state_dict() (PyTorch's layout, or the flat layout of seek's C++ checkpoints)."""
        nested = _as_nested(state_dict)
        groups = nested["param_groups"]
        mine = self.param_groups
        if len(groups) != len(mine):
            raise ValueError(f"loaded state dict has {len(groups)} parameter groups, but this optimizer has "
                             f"{len(mine)}")
        flat = {}
        start = 0
        first = {}
        for g, (group, own) in enumerate(zip(groups, mine)):
            if len(group["params"]) != len(own["params"]):
                raise ValueError(f"loaded state dict's group {g} has {len(group['params'])} parameters, but this "
                                 f"optimizer's group has {len(own['params'])}")
            flat[f"param_groups.{g}.num_params"] = _C.tensor(float(len(own["params"])), dtype=_C.float64)
            for k in own._options:
                if k not in group:
                    continue
                if k == "betas":
                    flat[f"param_groups.{g}.beta1"] = _C.tensor(float(group[k][0]), dtype=_C.float64)
                    flat[f"param_groups.{g}.beta2"] = _C.tensor(float(group[k][1]), dtype=_C.float64)
                else:
                    flat[f"param_groups.{g}.{k}"] = _C.tensor(float(group[k]), dtype=_C.float64)
            for i, index in enumerate(group["params"]):
                first[int(index)] = (g, i)
            start += len(own["params"])
        for index, values in nested["state"].items():
            if int(index) not in first:
                raise ValueError(f"loaded state dict has state for parameter {index}, which no group lists")
            g, i = first[int(index)]
            if self._hidden_step and "step" not in values and any(v is not None for v in values.values()):
                flat[f"state.{g}.{i}.step"] = _C.tensor(1.0, dtype=_C.float64)
            for k, v in values.items():
                if v is None or k in self._drop_state:
                    continue
                if k == "step":
                    v = _C.tensor(float(v), dtype=_C.float64)
                flat[f"state.{g}.{i}.{k}"] = v
        self._impl.load_state_dict(flat)
        for group, own in zip(groups, self.param_groups):
            for k, v in group.items():
                if k != "params" and k not in own._options:
                    dict.__setitem__(own, k, v)

    def __reduce__(self):
        groups = []
        for g in self.param_groups:
            d = dict(g)
            d["params"] = list(g["params"])
            groups.append(d)
        return (_rebuild_cpp_optimizer, (type(self), groups, self.state_dict()))


class _StateView(dict):
    """A C++ optimizer's state by parameter. Another Python handle of the same parameter (model.parameters()
    makes new ones) finds it too: by its memory and shape."""

    def __missing__(self, key):
        from .._C import Tensor

        if isinstance(key, Tensor):
            for p, s in self.items():
                if p.data_ptr() == key.data_ptr() and tuple(p.shape) == tuple(key.shape) and p.dtype == key.dtype:
                    return s
        raise KeyError(key)

    def __contains__(self, key):
        try:
            self[key]
            return True
        except KeyError:
            return False


def _rebuild_cpp_optimizer(cls, groups, state_dict):
    opt = cls(groups)
    # The state dict indexes parameters in group order; the rebuilt groups hold the same order.
    opt.load_state_dict(state_dict)
    return opt

"""torch.nn.Module's Python-level behaviour for seek.nn.Module (installed on seek._C.nn.Module by install()):

- hooks: register_forward_pre_hook, register_forward_hook (with_kwargs), register_full_backward_hook and
  register_full_backward_pre_hook, each returning a RemovableHandle. The hooks live on the C++ module
  (python/src/nn_hooks.cpp), so they run also when a C++ parent (Sequential, a ResNet) calls the module.
- parameters(), named_parameters(prefix, recurse), buffers(), named_buffers(), children(), named_children(),
  modules() and named_modules() return generators, as in PyTorch.
- copy.deepcopy and pickle: a module is rebuilt from how it was made (the C++ layer's constructor
  arguments, or the model factory, recorded when called from Python; a Python subclass from its
  attributes) and then given the saved parameters, buffers, children, attributes and hooks.
- share_memory(): see seek.multiprocessing (seek tensors stay in this process; threads share them).
"""
import collections
import itertools
import sys

from .. import _C

Module = _C.nn.Module

# ---- hooks --------------------------------------------------------------------------------------

_handle_ids = itertools.count()


class RemovableHandle:
    """Returned by the register_*_hook methods: remove() unregisters the hook (also as a context manager)."""

    def __init__(self, module, hooks):
        self.id = next(_handle_ids)
        self._module = module
        self._hooks = hooks

    def remove(self):
        if self._hooks.pop(self.id, None) is not None:
            _update_active(self._module)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


_KINDS = ("forward_pre", "forward", "backward", "backward_pre")


def _state(module, create=False):
    """The module's Python state kept in C++: {kind: OrderedDict(id -> (hook, flags)), 'recipe': ...}."""
    state = module._hook_state()
    if state is None and create:
        state = {kind: collections.OrderedDict() for kind in _KINDS}
        state["recipe"] = None
        module._set_hook_state(state, False)
    return state


def _has_hooks(state):
    return state is not None and any(state[kind] for kind in _KINDS)


def _update_active(module):
    state = module._hook_state()
    if state is not None:
        module._set_hooks_active(_has_hooks(state))


def _add_hook(module, kind, hook, prepend, **flags):
    if not callable(hook):
        raise TypeError(f"register_{kind}_hook: the hook must be callable, got {type(hook).__name__}")
    hooks = _state(module, create=True)[kind]
    handle = RemovableHandle(module, hooks)
    hooks[handle.id] = (hook, flags)
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    module._set_hooks_active(True)
    return handle


def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
    """hook(module, args) -> None or new args (a non-tuple is wrapped); with_kwargs: hook(module, args, kwargs)
    -> None or (args, kwargs). Runs before each forward()."""
    return _add_hook(self, "forward_pre", hook, prepend, with_kwargs=with_kwargs)


def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False, always_call=False):
    """hook(module, args, output) -> None or a new output; with_kwargs: hook(module, args, kwargs, output).
    always_call: runs also when forward() raises (with output None)."""
    return _add_hook(self, "forward", hook, prepend, with_kwargs=with_kwargs, always_call=always_call)


def register_full_backward_hook(self, hook, prepend=False):
    """hook(module, grad_input, grad_output) -> None or a new grad_input tuple; grad_input holds the gradients
    of the tensor arguments of forward (None where one needs none), grad_output those of the outputs."""
    return _add_hook(self, "backward", hook, prepend)


def register_full_backward_pre_hook(self, hook, prepend=False):
    """hook(module, grad_output) -> None or a new grad_output tuple, before the module's backward."""
    return _add_hook(self, "backward_pre", hook, prepend)


def register_backward_hook(self, hook):
    raise RuntimeError("register_backward_hook is deprecated in PyTorch and not in seek: use "
                       "register_full_backward_hook(hook), which gets the same (module, grad_input, grad_output)")


class _BackwardCall:
    """One forward's backward-hook bookkeeping: the outputs' gradients arrive first, then the inputs'."""

    def __init__(self, module, state, n_inputs):
        self.module = module
        self.state = state
        self.n_inputs = n_inputs
        self.grad_output = None

    def outputs_done(self, grads):
        for hook, _ in list(self.state["backward_pre"].values()):
            result = hook(self.module, grads)
            if result is not None:
                result = tuple(result) if isinstance(result, (tuple, list)) else (result,)
                if len(result) != len(grads):
                    raise RuntimeError(f"backward pre-hook {getattr(hook, '__name__', hook)} returned "
                                       f"{len(result)} gradients, expected {len(grads)}")
                grads = result
        self.grad_output = grads
        return grads

    def inputs_done(self, grads):
        for hook, _ in list(self.state["backward"].values()):
            result = hook(self.module, grads, self.grad_output)
            if result is not None:
                result = tuple(result) if isinstance(result, (tuple, list)) else (result,)
                if len(result) != len(grads):
                    raise RuntimeError(f"backward hook {getattr(hook, '__name__', hook)} returned {len(result)} "
                                       f"gradients, expected {len(grads)} (one per tensor argument of forward)")
                grads = result
        return grads


def _identity_function():
    from ..autograd import Function

    class _HookedOutputs(Function):
        @staticmethod
        def forward(ctx, call, *tensors):
            ctx.call = call
            return tuple(t.view(t.shape) for t in tensors)

        @staticmethod
        def backward(ctx, *grads):
            grads = ctx.call.outputs_done(tuple(grads))
            if ctx.call.wrapped_inputs is None:  # nothing upstream needs a gradient: the hooks run now
                ctx.call.inputs_done((None,) * ctx.call.n_inputs)
            return (None, *grads)

    class _HookedInputs(Function):
        @staticmethod
        def forward(ctx, call, *tensors):
            ctx.call = call
            return tuple(t.view(t.shape) for t in tensors)

        @staticmethod
        def backward(ctx, *grads):
            call = ctx.call
            full = [None] * call.n_inputs
            for pos, g in zip(call.wrapped_inputs, grads):
                full[pos] = g
            full = call.inputs_done(tuple(full))
            return (None, *[full[pos] for pos in call.wrapped_inputs])

    return _HookedInputs, _HookedOutputs


_functions = []


def _hook_functions():
    if not _functions:
        _functions.extend(_identity_function())
    return _functions


def _wrap_inputs(call, args):
    from .._C import Tensor

    hooked_inputs, _ = _hook_functions()
    tensor_pos = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
    call.n_inputs = len(tensor_pos)
    wrapped = [k for k, i in enumerate(tensor_pos) if args[i].requires_grad]
    call.wrapped_inputs = wrapped or None
    if not wrapped or not _C.is_grad_enabled():
        call.wrapped_inputs = None
        return args
    new = hooked_inputs.apply(call, *[args[tensor_pos[k]] for k in wrapped])
    args = list(args)
    for k, t in zip(wrapped, new):
        args[tensor_pos[k]] = t
    return tuple(args)


def _wrap_outputs(call, out):
    from .._C import Tensor

    _, hooked_outputs = _hook_functions()
    if isinstance(out, Tensor):
        if not out.requires_grad:
            return out
        return hooked_outputs.apply(call, out)[0]
    if isinstance(out, tuple) and any(isinstance(o, Tensor) and o.requires_grad for o in out):
        pos = [i for i, o in enumerate(out) if isinstance(o, Tensor) and o.requires_grad]
        new = hooked_outputs.apply(call, *[out[i] for i in pos])
        out = list(out)
        for i, t in zip(pos, new):
            out[i] = t
        return tuple(out)
    return out


def _call(self, *args, **kwargs):
    """Calling a module: the forward pre-hooks, forward(), the forward hooks; backward hooks on the way back."""
    state = self._hook_state()
    if not _has_hooks(state):
        return self.forward(*args, **kwargs)
    for hook, flags in list(state["forward_pre"].values()):
        if flags["with_kwargs"]:
            result = hook(self, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError("a forward pre-hook with with_kwargs=True must return None or (args, kwargs), "
                                       f"got {type(result).__name__}")
                args, kwargs = result
                args = tuple(args) if isinstance(args, (tuple, list)) else (args,)
        else:
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
    call = None
    if state["backward"] or state["backward_pre"]:
        call = _BackwardCall(self, state, 0)
        args = _wrap_inputs(call, args)
    try:
        out = self.forward(*args, **kwargs)
    except BaseException:
        for hook, flags in list(state["forward"].values()):
            if flags.get("always_call"):
                try:
                    hook(self, args, kwargs, None) if flags["with_kwargs"] else hook(self, args, None)
                except Exception:
                    pass
        raise
    for hook, flags in list(state["forward"].values()):
        result = hook(self, args, kwargs, out) if flags["with_kwargs"] else hook(self, args, out)
        if result is not None:
            out = result
    if call is not None and _C.is_grad_enabled():
        out = _wrap_outputs(call, out)
    return out


# ---- iterators ----------------------------------------------------------------------------------

_cpp = {name: getattr(Module, name) for name in ("parameters", "named_parameters", "buffers", "named_buffers",
                                                   "children", "named_children", "modules", "named_modules")}


def _join(prefix, name):
    return prefix + ("." if prefix and name else "") + name


def parameters(self, recurse=True):
    """The parameters (a generator), in registration order."""
    yield from _cpp["parameters"](self, recurse)


def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
    """(dotted name, parameter) pairs (a generator); prefix is prepended to every name."""
    for name, p in _cpp["named_parameters"](self, recurse):
        yield _join(prefix, name), p


def buffers(self, recurse=True):
    """The buffers (a generator)."""
    yield from _cpp["buffers"](self, recurse)


def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
    """(dotted name, buffer) pairs (a generator)."""
    for name, b in _cpp["named_buffers"](self, recurse):
        yield _join(prefix, name), b


def children(self):
    """The direct submodules (a generator)."""
    yield from _cpp["children"](self)


def named_children(self):
    """(name, direct submodule) pairs (a generator)."""
    yield from _cpp["named_children"](self)


def modules(self):
    """This module, then every descendant (a generator)."""
    for _, m in _cpp["named_modules"](self):
        yield m


def named_modules(self, memo=None, prefix="", remove_duplicate=True):
    """(dotted name, module) pairs (a generator): this module ('' or prefix) first, then every descendant."""
    for name, m in _cpp["named_modules"](self):
        if memo is not None:
            if m in memo:
                continue
            memo.add(m)
        yield _join(prefix, name), m


# ---- deepcopy and pickle ------------------------------------------------------------------------

def _recipe(m):
    state = m._hook_state()
    return None if state is None else state["recipe"]


def _set_recipe(m, recipe):
    state = _state(m, create=True)
    if state["recipe"] is None:
        state["recipe"] = recipe


def _record_init(cls):
    """Wraps the C++ class's __init__ so that the instance remembers its constructor arguments."""
    original = cls.__init__

    def __init__(self, *args, **kwargs):
        original(self, *args, **kwargs)
        _set_recipe(self, (cls, args, kwargs))

    __init__.__doc__ = original.__doc__
    __init__.__wrapped__ = original
    cls.__init__ = __init__


def record_factory(fn, module="seek.models"):
    """A model factory (seek.models.resnet18, ...) whose result remembers how it was made; `module` is
    where the factory is published (pickle finds it there by name)."""

    def factory(*args, **kwargs):
        model = fn(*args, **kwargs)
        _set_recipe(model, (factory, args, kwargs))
        return model

    factory.__name__ = getattr(fn, "__name__", "factory")
    factory.__qualname__ = factory.__name__
    factory.__module__ = module
    factory.__doc__ = fn.__doc__
    factory.__wrapped__ = fn
    return factory


def _is_cpp_class(cls):
    return cls.__module__.startswith("seek._C")


def _own_persistent(m):
    return {k for k in m.state_dict().keys() if "." not in k}


def _describe(m):
    """What rebuilding m needs: its recipe, its own parameters, buffers and attributes, and its children
    (those built inside C++ by m's own constructor as nested descriptions, the others as modules)."""
    persistent = _own_persistent(m)
    children = []
    for name, child in _cpp["named_children"](m):
        native = _recipe(child) is None and _is_cpp_class(type(child))
        children.append((name, _describe(child) if native else child, native))
    attrs = dict(m.__dict__)
    state = m._hook_state()
    return {"cls": type(m), "recipe": _recipe(m), "training": m.training,
            "params": list(_cpp["named_parameters"](m, False)),
            "buffers": [(n, b, n in persistent) for n, b in _cpp["named_buffers"](m, False)],
            "children": children, "attrs": attrs,
            "hooks": None if state is None else {kind: state[kind] for kind in _KINDS}}


def _rebuild(desc):
    cls, recipe = desc["cls"], desc["recipe"]
    if recipe is not None:
        maker, args, kwargs = recipe
        if isinstance(maker, type):
            m = cls.__new__(cls)
            maker.__init__(m, *args, **kwargs)
        else:
            m = maker(*args, **kwargs)
    elif _is_cpp_class(cls):
        raise TypeError(f"cannot rebuild a {cls.__name__} that was built inside C++ without a known recipe; "
                        "copy its state_dict() into a new one instead")
    else:
        m = cls.__new__(cls)
        Module.__init__(m)
    _restore(m, desc)
    return m


def _restore(m, desc):
    from ..autograd import no_grad

    first = _dtype_of(desc)
    if first is not None:
        # A module cast or moved after it was made (model.double()) is rebuilt in its making dtype first.
        mine = next((p for _, p in _cpp["named_parameters"](m, False) if p.is_floating_point()), None)
        if mine is not None and (mine.dtype, mine.device) != first:
            m.to(first[1], first[0])
    m.train(desc["training"])
    m.__dict__.update(desc["attrs"])
    own_params = dict(_cpp["named_parameters"](m, False))
    own_buffers = dict(_cpp["named_buffers"](m, False))
    with no_grad():
        for name, value in desc["params"]:
            mine = own_params.get(name)
            if mine is None:
                m.register_parameter(name, value)
            elif value is not None and tuple(mine.shape) == tuple(value.shape):
                mine.copy_(value)
                mine.requires_grad_(value.requires_grad)
            else:
                raise ValueError(f"cannot restore parameter '{name}' of {type(m).__name__}: its rebuilt shape "
                                 f"{tuple(mine.shape)} differs from the saved "
                                 f"{None if value is None else tuple(value.shape)}")
        for name, value, persistent in desc["buffers"]:
            mine = own_buffers.get(name)
            if mine is None:
                m.register_buffer(name, value, persistent)
            elif value is not None and tuple(mine.shape) == tuple(value.shape) and mine.dtype == value.dtype:
                mine.copy_(value)
            else:
                setattr(m, name, value)
    current = dict(_cpp["named_children"](m))
    for name, child, native in desc["children"]:
        if native:
            if name not in current:
                raise ValueError(f"cannot restore {type(m).__name__}: its rebuilt module has no child '{name}'")
            _restore(current[name], child)
        elif current.get(name) is not child:
            if name in current:
                setattr(m, name, child)
            else:
                m.add_module(name, child)
    state = _state(m, create=True)
    state["recipe"] = desc["recipe"]
    if desc["hooks"] is not None:
        state.update(desc["hooks"])
    _update_active(m)


def _dtype_of(desc):
    for _, p in desc["params"]:
        if p is not None and p.is_floating_point():
            return p.dtype, p.device
    return None


def _rebuild_module(desc):
    return _rebuild(desc)


def __reduce_ex__(self, protocol):
    return (_rebuild_module, (_describe(self),))


def share_memory(self):
    """As torch's Module.share_memory(): calls share_memory_() on every parameter and buffer; returns self."""
    for t in itertools.chain(_cpp["parameters"](self, True), _cpp["buffers"](self, True)):
        t.share_memory_()
    return self


def install():
    """Puts the methods above on seek._C.nn.Module and records the constructors of the C++ layers."""
    # pickle finds classes by module name: make seek._C's submodules importable by theirs.
    for name in ("nn", "models", "optim", "data"):
        if hasattr(_C, name):
            sys.modules.setdefault(f"seek._C.{name}", getattr(_C, name))
    Module.__call__ = _call
    for name, fn in (("register_forward_pre_hook", register_forward_pre_hook),
                     ("register_forward_hook", register_forward_hook),
                     ("register_full_backward_hook", register_full_backward_hook),
                     ("register_full_backward_pre_hook", register_full_backward_pre_hook),
                     ("register_backward_hook", register_backward_hook),
                     ("parameters", parameters), ("named_parameters", named_parameters), ("buffers", buffers),
                     ("named_buffers", named_buffers), ("children", children), ("named_children", named_children),
                     ("modules", modules), ("named_modules", named_modules), ("__reduce_ex__", __reduce_ex__),
                     ("share_memory", share_memory)):
        setattr(Module, name, fn)
    for namespace in (_C.nn, _C.models):
        for value in vars(namespace).values():
            if isinstance(value, type) and issubclass(value, Module) and value is not Module:
                _record_init(value)

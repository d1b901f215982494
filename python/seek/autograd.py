"""Autograd from Python: grad mode (no_grad, enable_grad, set_grad_enabled),
seek.autograd.grad / backward, and custom differentiable functions (Function)."""
import functools
from typing import Any, Optional, Sequence, Tuple, Union

from . import _C
from ._C import Tensor

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "grad", "backward", "Function",
           "FunctionCtx"]

is_grad_enabled = _C.is_grad_enabled


class _GradModeContext:
    """Sets grad mode on entry and restores the previous one on exit; also a decorator."""

    _mode = True

    def __new__(cls, *args):
        # Also usable bare as a decorator: @seek.no_grad as well as @seek.no_grad().
        if len(args) == 1 and callable(args[0]) and cls in (no_grad, enable_grad):
            return cls()(args[0])
        return super().__new__(cls)

    def __init__(self, *args):
        self._prev = []

    def __enter__(self):
        self._prev.append(_C.is_grad_enabled())
        _C.set_grad_enabled(self._mode)
        return self

    def __exit__(self, *exc):
        _C.set_grad_enabled(self._prev.pop())
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradModeContext):
    """Disables gradient recording: `with seek.no_grad(): ...` or `@seek.no_grad()` on a function."""

    _mode = False


class enable_grad(_GradModeContext):
    """Enables gradient recording inside a no_grad region: a context manager or a decorator."""

    _mode = True


class set_grad_enabled(_GradModeContext):
    """set_grad_enabled(mode) switches grad mode now; used with `with`, it restores the old mode on exit."""

    def __init__(self, mode: bool):
        super().__init__()
        self._mode = bool(mode)
        self._prev.append(_C.is_grad_enabled())
        _C.set_grad_enabled(self._mode)

    def __enter__(self):
        return self

    def __call__(self, fn):
        raise TypeError("set_grad_enabled(mode) is a context manager, not a decorator; use no_grad()/enable_grad()")


def _as_list(x) -> list:
    if x is None:
        return []
    if isinstance(x, Tensor):
        return [x]
    return list(x)


def grad(outputs: Union[Tensor, Sequence[Tensor]], inputs: Union[Tensor, Sequence[Tensor]],
         grad_outputs: Optional[Union[Tensor, Sequence[Optional[Tensor]]]] = None,
         retain_graph: Optional[bool] = None, create_graph: bool = False,
         allow_unused: bool = False) -> Tuple[Optional[Tensor], ...]:
    """Gradients of outputs with respect to inputs, returned (not accumulated into .grad).

    grad_outputs defaults to ones for one-element outputs. With allow_unused=True an input the
    outputs do not depend on gets None. create_graph (higher-order gradients) is not supported.
    """
    if create_graph:
        raise ValueError("seek.autograd.grad: create_graph=True (higher-order gradients) is not supported")
    go = None if grad_outputs is None else _as_list(grad_outputs)
    return tuple(_C.autograd.grad(_as_list(outputs), _as_list(inputs), go, bool(retain_graph), allow_unused))


def backward(tensors: Union[Tensor, Sequence[Tensor]],
             grad_tensors: Optional[Union[Tensor, Sequence[Optional[Tensor]]]] = None,
             retain_graph: Optional[bool] = None) -> None:
    """Accumulates into the leaves' .grad the gradients of the sum of tensors (weighted by grad_tensors)."""
    gt = None if grad_tensors is None else _as_list(grad_tensors)
    _C.autograd.backward(_as_list(tensors), gt, bool(retain_graph))


class FunctionCtx:
    """The ctx of a custom Function: save tensors in forward, read them in backward.

    Any other attribute may be set on it too (ctx.scale = 2.0).
    """

    def __init__(self, needs_input_grad: Tuple[bool, ...]):
        self.needs_input_grad = needs_input_grad
        self._saved: Tuple[Any, ...] = ()

    def save_for_backward(self, *tensors: Optional[Tensor]) -> None:
        """Keeps tensors for backward; modifying one in place before backward is an error."""
        self._saved = tuple(None if t is None else (t.detach(), t._version) for t in tensors)

    @property
    def saved_tensors(self) -> Tuple[Optional[Tensor], ...]:
        out = []
        for entry in self._saved:
            if entry is None:
                out.append(None)
                continue
            t, version = entry
            if t._version != version:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by an inplace "
                    f"operation: a tensor of shape {tuple(t.shape)} saved at version {version} is now at version "
                    f"{t._version}")
            out.append(t)
        return tuple(out)


class Function:
    """A differentiable operation written in Python, as torch.autograd.Function:

        class Square(seek.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * x

            @staticmethod
            def backward(ctx, grad):
                x, = ctx.saved_tensors
                return 2 * x * grad

        y = Square.apply(x)

    forward runs without recording; backward gets one gradient per Tensor output and returns
    one gradient (or None) per forward argument.
    """

    @staticmethod
    def forward(ctx: FunctionCtx, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("a seek.autograd.Function subclass must define forward(ctx, ...)")

    @staticmethod
    def backward(ctx: FunctionCtx, *grad_outputs: Tensor) -> Any:
        raise NotImplementedError("a seek.autograd.Function subclass must define backward(ctx, ...)")

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        tensor_positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        ctx = FunctionCtx(tuple(isinstance(a, Tensor) and a.requires_grad for a in args))
        with no_grad():
            out = cls.forward(ctx, *args, **kwargs)
        is_tuple = isinstance(out, tuple)
        # Fresh handles, so that recording never touches a tensor forward got as input.
        results = [o.detach() if isinstance(o, Tensor) else o for o in (out if is_tuple else (out,))]
        tensor_outputs = [o for o in results if isinstance(o, Tensor)]
        n_args = len(args)
        name = cls.__name__ + "Backward"

        def run_backward(grads):
            g = cls.backward(ctx, *grads)
            if not isinstance(g, tuple):
                g = (g,)
            if len(g) != n_args:
                raise RuntimeError(f"{cls.__name__}.backward returned {len(g)} gradients, expected {n_args} "
                                   "(one per forward argument)")
            return [g[i] for i in tensor_positions]

        _C.autograd._record_function(name, [args[i] for i in tensor_positions], tensor_outputs, run_backward)
        return tuple(results) if is_tuple else results[0]

"""Autograd from Python: gradients against central finite differences (float64),
seek.autograd.grad, grad mode, hooks and custom Functions."""
import numpy as np
import pytest

import seek


def numerical_grad(fn, inputs, eps=1e-6):
    """d sum(fn(*inputs)) / d inputs by central differences, as numpy arrays."""
    grads = []
    for x in inputs:
        base = np.array(x.tolist(), dtype=np.float64)
        g = np.zeros_like(base)
        for i in np.ndindex(base.shape):
            def value(delta):
                pert = base.copy()
                pert[i] += delta
                args = [seek.tensor(pert.tolist(), dtype=seek.float64) if y is x else y.detach() for y in inputs]
                return fn(*args).sum().item()
            g[i] = (value(eps) - value(-eps)) / (2 * eps)
        grads.append(g)
    return grads


FUNCTIONS = {
    "arith": lambda a, b: (a * b + a / (b * b + 1) - 2 * a) ** 2,
    "matmul_relu": lambda a, b: (a @ b.T).relu(),
    "softmax": lambda a, b: a.softmax(-1) * b,
    "reduce": lambda a, b: a.sum(1, keepdim=True) * b.mean(0) + a.max(dim=1).values.unsqueeze(1),
    "unary": lambda a, b: a.tanh() + b.sigmoid() * a.exp() + (b * b + 1).log(),
    "views": lambda a, b: a.t().reshape(6)[1::2] * b.flatten()[:3],
    "index": lambda a, b: a[:, [0, 2]] * b[b > -10][:2],
    "reflected": lambda a, b: 3 - 2 / (a * a + 1) + 2 ** b,
}


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_gradients_match_finite_differences(name, rng):
    fn = FUNCTIONS[name]
    a = seek.tensor(rng.standard_normal((2, 3)).tolist(), dtype=seek.float64, requires_grad=True)
    b = seek.tensor(rng.standard_normal((2, 3)).tolist(), dtype=seek.float64, requires_grad=True)
    fn(a, b).sum().backward()
    want = numerical_grad(fn, [a, b])
    np.testing.assert_allclose(np.array(a.grad.tolist()), want[0], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(np.array(b.grad.tolist()), want[1], rtol=1e-5, atol=1e-7)


def test_backward_accumulates_and_grad_can_be_reset():
    x = seek.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    (x * 3).sum().backward()
    assert x.grad.tolist() == [5.0, 7.0]
    x.grad = None
    assert x.grad is None
    y = x * 2
    y.backward(seek.tensor([1.0, -1.0]))
    assert x.grad.tolist() == [2.0, -2.0]
    assert x.is_leaf and not y.is_leaf and y.grad_fn is not None and x.grad_fn is None
    assert "Backward" in y.grad_fn.name() or y.grad_fn.name()


def test_retain_graph():
    x = seek.tensor([3.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.tolist() == [12.0]


def test_autograd_grad():
    x = seek.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = seek.tensor([0.5], requires_grad=True)
    unused = seek.tensor([1.0], requires_grad=True)
    y = (x * x * w).sum()
    gx, gw = seek.autograd.grad(y, [x, w], retain_graph=True)
    assert gx.tolist() == [1.0, 2.0, 3.0] and gw.tolist() == [14.0]
    assert x.grad is None  # grad() returns, it does not accumulate
    gx2, gu = seek.autograd.grad([y], [x, unused], grad_outputs=[seek.tensor(2.0)], allow_unused=True)
    assert gx2.tolist() == [2.0, 4.0, 6.0] and gu is None
    with pytest.raises(ValueError, match="create_graph"):
        seek.autograd.grad(y, x, create_graph=True)


def test_no_grad_context_and_decorator():
    x = seek.ones(2, requires_grad=True)
    with seek.no_grad():
        y = x * 2
        assert not seek.is_grad_enabled()
        with seek.enable_grad():
            z = x * 2
    assert seek.is_grad_enabled()
    assert not y.requires_grad and z.requires_grad

    @seek.no_grad()
    def f(t):
        return t * 3

    @seek.no_grad
    def g(t):
        return t * 3

    assert not f(x).requires_grad and not g(x).requires_grad
    with seek.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert seek.is_grad_enabled()


def test_detach_requires_grad_and_hooks():
    x = seek.tensor([1.0, 2.0], requires_grad=True)
    assert not x.detach().requires_grad
    t = seek.zeros(2)
    assert t.requires_grad_() is t and t.requires_grad
    t.requires_grad = False
    assert not t.requires_grad
    seen = []
    y = x * 3
    y.register_hook(lambda g: seen.append(g.tolist()) or g * 10)
    y.sum().backward()
    assert seen == [[1.0, 1.0]] and x.grad.tolist() == [30.0, 30.0]


class Cube(seek.autograd.Function):
    @staticmethod
    def forward(ctx, x, scale):
        ctx.save_for_backward(x)
        ctx.scale = scale
        return x * x * x * scale

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x * x * ctx.scale, None


class SplitSum(seek.autograd.Function):
    """Two outputs, two tensor inputs."""

    @staticmethod
    def forward(ctx, a, b):
        return a + b, a * b

    @staticmethod
    def backward(ctx, g_sum, g_prod):
        return g_sum + g_prod * 2, g_sum + g_prod * 3


def test_custom_function_gradient_matches_finite_differences():
    x = seek.tensor([0.5, -1.0, 2.0], dtype=seek.float64, requires_grad=True)
    y = Cube.apply(x, 2.0)
    assert y.grad_fn is not None and y.grad_fn.name() == "CubeBackward"
    np.testing.assert_allclose(y.tolist(), [2 * v ** 3 for v in [0.5, -1.0, 2.0]])
    (y * seek.tensor([1.0, 2.0, 3.0], dtype=seek.float64)).sum().backward()
    want = numerical_grad(lambda t: Cube.apply(t, 2.0) * seek.tensor([1.0, 2.0, 3.0], dtype=seek.float64), [x])[0]
    np.testing.assert_allclose(x.grad.tolist(), want, rtol=1e-6)


def test_custom_function_with_two_outputs_and_chaining():
    a = seek.tensor([2.0], requires_grad=True)
    b = seek.tensor([3.0], requires_grad=True)
    s, p = SplitSum.apply(a, b)
    (s + p).sum().backward()
    assert a.grad.tolist() == [3.0] and b.grad.tolist() == [4.0]
    x = seek.tensor([1.0, 2.0], requires_grad=True)
    Cube.apply(Cube.apply(x, 1.0), 1.0).sum().backward()  # d x^9 = 9 x^8
    assert x.grad.tolist() == [9.0, 9.0 * 256]


def test_custom_function_without_grad_records_nothing():
    x = seek.tensor([1.0])
    y = Cube.apply(x, 1.0)
    assert not y.requires_grad and y.grad_fn is None


def test_custom_function_errors():
    class SaveAndDouble(seek.autograd.Function):  # forward shared by the two cases below
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * 2

    class Wrong(SaveAndDouble):
        @staticmethod
        def backward(ctx, grad):
            return grad, grad  # two gradients for one input

    x = seek.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="returned 2 gradients"):
        Wrong.apply(x).sum().backward()

    class Double(SaveAndDouble):
        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 2

    w = x * 1
    y = Double.apply(w)
    with seek.no_grad():
        w.add_(1)  # invalidates what forward saved
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_backward_with_python_callbacks_from_another_thread():
    """backward() releases the GIL; the engine takes it back for Python callbacks, on any thread."""
    import threading

    x = seek.tensor([1.0, 2.0], requires_grad=True)
    hooked = []
    y = Cube.apply(x, 1.0)
    y.register_hook(lambda g: hooked.append(threading.current_thread().name))
    errors = []

    def run():
        try:
            y.sum().backward()
        except Exception as e:  # reported below, not swallowed
            errors.append(e)

    worker = threading.Thread(target=run, name="worker")
    worker.start()
    worker.join()
    assert not errors and hooked == ["worker"]
    assert x.grad.tolist() == [3.0, 12.0]

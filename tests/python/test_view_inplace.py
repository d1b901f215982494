"""In-place ops on views of tensors that require grad, as PyTorch allows them: the base's history
is rewritten (its gradient takes the view's new history for the view's elements), checked against
finite differences; views of leaves that require grad still raise."""
import numpy as np
import pytest

import seek


def numeric_grad(f, x, eps=1e-6):
    g = np.zeros(x.shape)
    base = np.array(x.tolist(), dtype=np.float64)
    for idx in np.ndindex(*base.shape):
        for sign in (1, -1):
            p = base.copy()
            p[idx] += sign * eps
            v = f(seek.tensor(p.tolist(), dtype=seek.float64)).sum().item()
            g[idx] += sign * v / (2 * eps)
    return g


def check(f, shape, seed=0):
    rng = np.random.default_rng(seed)
    data = rng.standard_normal(shape)
    x = seek.tensor(data.tolist(), dtype=seek.float64, requires_grad=True)
    f(x).sum().backward()
    np.testing.assert_allclose(np.array(x.grad.tolist()), numeric_grad(f, x), rtol=1e-5, atol=1e-6)


def slice_relu(x):
    y = x * 1
    y[1:3].relu_()
    return y * y


def view_select_mul(x):
    y = x * 1
    y.view(-1)[0].mul_(2)
    return y.exp()


def transpose_add(x):
    y = x * 1
    y.t().add_(1)
    return y * x


def setitem_slice(x):
    y = x * 2
    y[0] = x[1] * 3
    y[:, 1] = 0.0
    return y.sin()


def view_of_view(x):
    y = x.sin()  # (tanh would save its output, which the in-place op changes: an error, as in torch)
    v = y[1:]
    v[:, 0].sigmoid_()
    return y * 2 + v.sum()


@pytest.mark.parametrize("f", [slice_relu, view_select_mul, transpose_add, setitem_slice, view_of_view])
def test_gradients_through_in_place_ops_on_views(f):
    check(f, (4, 3))


def test_base_history_is_rewritten():
    x = seek.ones(4, requires_grad=True)
    y = x * 3
    y[1:3].relu_()
    assert y.grad_fn is not None and y.grad_fn.name() == "CopySlices"
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 3.0, 3.0, 3.0]


def test_view_of_leaf_requiring_grad_raises():
    x = seek.ones(4, requires_grad=True)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad is being used in an in-place"):
        x[1:3].mul_(2)
    with seek.no_grad():
        x[1:3].mul_(2)
    assert x.tolist() == [1.0, 2.0, 2.0, 1.0]

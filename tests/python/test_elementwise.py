"""The elementwise and reduction ops of issue 12 against PyTorch 1.13: values, dtypes, errors and
gradients from ref/elementwise.json (written by ref/gen_elementwise.py with torch; each case is a
Python expression evaluated here with `torch` bound to seek)."""
import json
import math
import os

import numpy as np
import pytest

import seek

REF = json.load(open(os.path.join(os.path.dirname(__file__), "ref", "elementwise.json")))
DTYPE_ERRORS = {"bool_sub"}
VALUE_ERRORS = {"div_bad_mode", "masked_fill_bad_value"}
ERRORS = {"RuntimeError": RuntimeError, "IndexError": IndexError, "ValueError": ValueError, "TypeError": TypeError}


def tensor_of(values, dtype):
    return seek.tensor(values, dtype=getattr(seek, dtype))


def env_of(inputs, wrt=()):
    env = {"torch": seek}
    for name, (values, dtype) in inputs.items():
        env[name] = tensor_of(values, dtype)
        if name in wrt:
            env[name].requires_grad_(True)
    return env


def assert_values(got, want, what, rtol):
    """Same shape, NaN where NaN, the sign of zeros, and values to rounding."""
    g = np.asarray(got, dtype=np.float64)
    w = np.asarray(want, dtype=np.float64)
    assert g.shape == w.shape, f"{what}: shape {g.shape} != {w.shape}"
    assert np.array_equal(np.isnan(g), np.isnan(w)), f"{what}: NaN at other places: {g} vs {w}"
    ok = ~np.isnan(w)
    np.testing.assert_allclose(g[ok], w[ok], rtol=rtol, atol=1e-30, err_msg=what)
    zeros = ok & (w == 0)
    assert np.array_equal(np.signbit(g[zeros]), np.signbit(w[zeros])), f"{what}: sign of zero: {g} vs {w}"


def check_result(got, want, what):
    if "tuple" in want:
        assert isinstance(got, tuple), f"{what}: expected a tuple, got {type(got)}"
        assert len(got) == len(want["tuple"]), what
        for i, (g, w) in enumerate(zip(got, want["tuple"])):
            check_result(g, w, f"{what}[{i}]")
        return
    assert isinstance(got, seek.Tensor), f"{what}: expected a tensor, got {type(got)}"
    assert repr(got.dtype) == "seek." + want["dtype"], f"{what}: dtype {got.dtype}, torch gives {want['dtype']}"
    assert list(got.shape) == want["shape"], f"{what}: shape {list(got.shape)} != {want['shape']}"
    rtol = 1e-12 if want["dtype"] == "float64" else 2e-6
    assert_values(got.tolist(), want["values"], what, rtol)


@pytest.mark.parametrize("name", sorted(REF["cases"]))
def test_value_against_torch(name):
    case = REF["cases"][name]
    env = env_of(case["inputs"])
    what = f"{name}: {case['code']}"
    if "error" in case:
        # seek raises TypeError for an unsupported dtype and ValueError for a bad argument value
        # where PyTorch raises RuntimeError
        error = TypeError if name in DTYPE_ERRORS else ValueError if name in VALUE_ERRORS else ERRORS[case["error"]]
        with pytest.raises(error) as info:
            eval(case["code"], env)
        # the words that matter of PyTorch's message
        key = {"ZeroDivisionError": "ZeroDivisionError", "rounding_mode": "rounding_mode",
               "0-dimensional": "0-dimensional", "Subtraction": "bool", "non-zero size": "size 0"}
        for k, words in key.items():
            if k in case["message"]:
                assert words in str(info.value), f"{what}: message {info.value!r} lacks {words!r}"
        return
    check_result(eval(case["code"], env), case["result"], what)


@pytest.mark.parametrize("name", sorted(REF["grads"]))
def test_gradient_against_torch(name):
    case = REF["grads"][name]
    env = env_of(case["inputs"], case["wrt"])
    y = eval(case["code"], env)
    w = seek.arange(1, y.numel() + 1, dtype=y.dtype).reshape(list(y.shape))
    (y * w).sum().backward()
    for k in case["wrt"]:
        assert env[k].grad is not None, f"{name}: no gradient for {k}"
        assert_values(env[k].grad.tolist(), case["grads"][k], f"{name}: d/d{k}", 1e-9)


def test_free_functions_and_methods_agree():
    x = seek.tensor([[0.25, 0.5], [0.75, 0.1]])
    for name in ["expm1", "log2", "log10", "tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "atanh", "trunc",
                 "fix", "frac", "isnan", "isinf", "isfinite", "isposinf", "isneginf", "nan_to_num", "arcsin",
                 "arctanh", "median", "nanmedian", "count_nonzero"]:
        assert seek.equal(getattr(seek, name)(x), getattr(x, name)()), name
    assert seek.equal(seek.atan2(x, x.T), x.atan2(x.T))
    assert seek.equal(seek.arctan2(x, x.T), x.atan2(x.T))
    assert seek.equal(seek.hypot(x, x.T), x.hypot(x.T))
    assert seek.equal(seek.cumprod(x, 1), x.cumprod(1))
    assert seek.equal(seek.divide(x, 3.0, rounding_mode="floor"), x.div(3.0, rounding_mode="floor"))
    assert seek.equal(seek.round(x, decimals=1), x.round(decimals=1))
    values, inverse, counts = seek.unique(seek.tensor([2, 2, 1]), return_inverse=True, return_counts=True)
    assert values.tolist() == [1, 2] and inverse.tolist() == [1, 1, 0] and counts.tolist() == [1, 2]


def test_named_tuple_fields():
    m = seek.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]])
    r = m.median(dim=1)
    assert r.values.tolist() == [2.0, 4.0] and r.indices.tolist() == [2, 2]
    mm = seek.aminmax(m, dim=0)
    assert mm.min.tolist() == [0.0, 1.0, 2.0] and mm.max.tolist() == [3.0, 5.0, 4.0]


def test_clamp_keeps_number_bounds_and_mixes_them_with_tensors():
    x = seek.tensor([-2.0, 0.0, 2.0], requires_grad=True)
    lo = seek.tensor([-1.0, 0.5, -1.0], requires_grad=True)
    y = x.clamp(min=lo, max=1.5)
    assert y.tolist() == [-1.0, 0.5, 1.5]
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0] and lo.grad.tolist() == [1.0, 1.0, 0.0]
    assert seek.clamp(seek.tensor([5, -5]), min=seek.tensor(-2), max=3).tolist() == [3, -2]
    with pytest.raises(TypeError, match="min"):
        x.clamp(min="a")
    with pytest.raises(ValueError, match="at least one"):
        x.clamp(min=None, max=None)


def test_in_place_clamp_with_tensor_bounds():
    x = seek.tensor([-2.0, 0.0, 2.0], requires_grad=True)
    y = x * 1.0
    lo = seek.tensor([-1.0, 0.5, -1.0], requires_grad=True)
    assert y.clamp_(min=lo, max=1.5) is y
    assert y.tolist() == [-1.0, 0.5, 1.5]
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0] and lo.grad.tolist() == [1.0, 1.0, 0.0]
    z = seek.tensor([3, -3])
    z.clip_(seek.tensor(-1), seek.tensor(1))
    assert z.tolist() == [1, -1]


def test_in_place_masked_fill_with_a_tensor_value_reaches_the_value():
    v = seek.tensor(2.0, requires_grad=True)
    x = seek.zeros(3, requires_grad=True) * 1.0
    x.masked_fill_(seek.tensor([True, False, True]), v)
    assert x.tolist() == [2.0, 0.0, 2.0]
    x.sum().backward()
    assert v.grad.item() == 2.0


def test_unique_rejects_dim_and_median_an_empty_dim():
    with pytest.raises(ValueError, match="dim"):
        seek.unique(seek.tensor([1, 2]), dim=0)
    with pytest.raises(IndexError, match="size 0"):
        seek.median(seek.zeros(2, 0), 1)
    assert math.isnan(seek.median(seek.tensor([])).item())


def test_integer_division_by_zero_names_the_op():
    a, z = seek.tensor([1, 2]), seek.tensor([1, 0])
    for fn in (lambda: a % z, lambda: a // z, lambda: seek.fmod(a, z), lambda: a.div(z, rounding_mode="trunc")):
        with pytest.raises(RuntimeError, match="ZeroDivisionError"):
            fn()
    # floating division by zero is IEEE
    assert seek.fmod(seek.tensor([1.0]), seek.tensor([0.0])).isnan().item()

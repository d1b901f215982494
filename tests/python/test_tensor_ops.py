"""Tensor operators, methods and factories against numpy float64 references."""
import math

import numpy as np
import pytest

import seek
from conftest import from_np, to_np

F64 = seek.float64


def test_binary_operators_match_numpy(rng):
    a = rng.standard_normal((3, 4))
    b = rng.standard_normal((4,)) + 3.0  # broadcast, and away from 0 for division
    ta, tb = from_np(a, F64), from_np(b, F64)
    cases = {
        "add": (ta + tb, a + b),
        "sub": (ta - tb, a - b),
        "mul": (ta * tb, a * b),
        "div": (ta / tb, a / b),
        "pow": (tb ** 2, b ** 2),
        "tensor_pow": (tb ** from_np([1.0, 2.0, 0.5, 3.0], F64), b ** np.array([1.0, 2.0, 0.5, 3.0])),
        "floordiv": (ta // tb, a // b),
        "mod": (ta % tb, a % b),
        "neg": (-ta, -a),
        "abs": (abs(ta), np.abs(a)),
        "matmul": (ta @ from_np(a.T, F64), a @ a.T),
    }
    for name, (got, want) in cases.items():
        np.testing.assert_allclose(to_np(got), want, rtol=1e-12, atol=1e-12, err_msg=name)


def test_reflected_operators_with_python_scalars(rng):
    a = rng.uniform(1.0, 2.0, (5,))
    t = from_np(a, F64)
    np.testing.assert_allclose(to_np(2 + t), 2 + a)
    np.testing.assert_allclose(to_np(2 - t), 2 - a)
    np.testing.assert_allclose(to_np(3 * t), 3 * a)
    np.testing.assert_allclose(to_np(3 / t), 3 / a)
    np.testing.assert_allclose(to_np(2 ** t), 2 ** a)
    np.testing.assert_allclose(to_np(7 // t), 7 // a)
    np.testing.assert_allclose(to_np(7 % t), 7 % a)
    np.testing.assert_allclose(to_np(t - 1.5), a - 1.5)
    np.testing.assert_allclose(to_np(t.add(from_np(a, F64), alpha=2)), a + 2 * a)


def test_integer_floor_division_and_modulo_follow_python():
    a = seek.tensor([7, -7, 7, -7])
    b = seek.tensor([2, 2, -2, -2])
    assert (a // b).tolist() == [7 // 2, -7 // 2, 7 // -2, -7 // -2]
    assert (a % b).tolist() == [7 % 2, -7 % 2, 7 % -2, -7 % -2]
    assert (a // b).dtype == seek.int64
    assert (a // 2).tolist() == [3, -4, 3, -4]
    assert (a / 2).dtype == seek.float32


def test_type_promotion_with_scalars():
    i = seek.tensor([1, 2])
    assert (i + 1).dtype == seek.int64
    assert (i + 1.5).dtype == seek.float32
    assert (seek.tensor([True, False]) + 1).dtype == seek.int64
    assert (seek.ones(2, dtype=seek.float64) * 2).dtype == seek.float64


def test_comparisons_and_logical():
    t = seek.tensor([1.0, 2.0, 3.0])
    assert (t > 2).tolist() == [False, False, True]
    assert (t <= 2).tolist() == [True, True, False]
    assert (t == seek.tensor([1.0, 0.0, 3.0])).tolist() == [True, False, True]
    assert (t != 2).tolist() == [True, False, True]
    assert (2 < t).tolist() == [False, False, True]  # reflected through __gt__
    m = t > 1
    assert (~m).tolist() == [True, False, False]
    assert (m & (t < 3)).tolist() == [False, True, False]
    assert (m | (t < 2)).tolist() == [True, True, True]
    assert t.eq(2).tolist() == [False, True, False]
    assert (t == None) is False  # noqa: E711  (not an error: falls back to identity)


def test_unary_methods_match_numpy(rng):
    a = rng.uniform(0.1, 2.0, (2, 3))
    t = from_np(a, F64)
    sig = 1 / (1 + np.exp(-a))
    cases = {
        "exp": np.exp(a), "log": np.log(a), "sqrt": np.sqrt(a), "tanh": np.tanh(a), "sigmoid": sig,
        "sin": np.sin(a), "cos": np.cos(a), "log1p": np.log1p(a), "rsqrt": 1 / np.sqrt(a),
        "reciprocal": 1 / a, "square": a * a, "floor": np.floor(a), "ceil": np.ceil(a),
    }
    for name, want in cases.items():
        np.testing.assert_allclose(to_np(getattr(t, name)()), want, rtol=1e-12, err_msg=name)
        np.testing.assert_allclose(to_np(getattr(seek, name)(t)), want, rtol=1e-12, err_msg="seek." + name)
    np.testing.assert_allclose(to_np((t - 1).relu()), np.maximum(a - 1, 0))
    np.testing.assert_allclose(to_np(t.clamp(0.5, 1.5)), np.clip(a, 0.5, 1.5))
    np.testing.assert_allclose(to_np(t.clamp(max=1.0)), np.minimum(a, 1.0))


# Rows of the C++ op tables: (name, number of tensor inputs, keyword arguments, numpy reference,
# input range). The method t.name(...), the function seek.name(t, ...) and the reference agree.
_TABLE_ROWS = [
    ("silu", 1, {}, lambda a: a / (1 + np.exp(-a)), -3, 3),
    ("hardsigmoid", 1, {}, lambda a: np.clip(a + 3, 0, 6) / 6, -5, 5),
    ("logical_not", 1, {}, lambda a: (a == 0).astype(np.float64), -1, 1),
    ("maximum", 2, {}, np.maximum, -2, 2),
    ("logical_xor", 2, {}, lambda a, b: ((a != 0) != (b != 0)).astype(np.float64), -1, 1),
    ("logit", 1, {}, lambda a: np.log(a / (1 - a)), 0.05, 0.95),
    ("logit", 1, {"eps": 0.2}, lambda a, eps: np.log(np.clip(a, eps, 1 - eps) / (1 - np.clip(a, eps, 1 - eps))), 0, 1),
    ("xlogy", 2, {}, lambda a, b: a * np.log(b), 0.5, 2),
]


@pytest.mark.parametrize("name,arity,kwargs,ref,lo,hi", _TABLE_ROWS, ids=[f"{r[0]}{r[2]}" for r in _TABLE_ROWS])
def test_table_ops_match_numpy(rng, name, arity, kwargs, ref, lo, hi):
    arrays = [rng.uniform(lo, hi, (3, 4)) for _ in range(arity)]
    if name.startswith("logical"):
        arrays = [a * (rng.uniform(0, 1, a.shape) > 0.3) for a in arrays]  # some exact zeros
    tensors = [from_np(a, F64) for a in arrays]
    want = ref(*arrays, **kwargs)
    method = getattr(tensors[0], name)(*tensors[1:], **kwargs)
    function = getattr(seek, name)(*tensors, **kwargs)
    np.testing.assert_allclose(to_np(method), want, rtol=1e-12, err_msg=name)
    np.testing.assert_allclose(to_np(function), want, rtol=1e-12, err_msg="seek." + name)


def test_every_generated_table_op_is_a_method_and_a_function():
    names = seek._C._table_functions
    assert "exp" in names and "maximum" in names
    assert "gelu" not in names  # a Custom row: written by hand (approximate=...)
    for name in names:
        assert callable(getattr(seek.Tensor, name)), name
        assert callable(getattr(seek, name)), name


def test_binary_table_ops_take_a_number(rng):
    a = rng.uniform(-2, 2, (5,))
    np.testing.assert_allclose(to_np(from_np(a, F64).maximum(0.5)), np.maximum(a, 0.5))


def test_reductions_match_numpy(rng):
    a = rng.standard_normal((3, 4, 5))
    t = from_np(a, F64)
    np.testing.assert_allclose(t.sum().item(), a.sum(), rtol=1e-12)
    np.testing.assert_allclose(to_np(t.sum(1)), a.sum(1), rtol=1e-12)
    np.testing.assert_allclose(to_np(t.sum((0, 2), keepdim=True)), a.sum((0, 2), keepdims=True), rtol=1e-12)
    np.testing.assert_allclose(to_np(t.mean(dim=-1)), a.mean(-1), rtol=1e-12)
    np.testing.assert_allclose(to_np(t.var(1)), a.var(1, ddof=1), rtol=1e-10)
    np.testing.assert_allclose(to_np(t.std(1, unbiased=False)), a.std(1), rtol=1e-10)
    np.testing.assert_allclose(t.max().item(), a.max())
    values, indices = t.max(dim=1)
    np.testing.assert_allclose(to_np(values), a.max(1))
    assert indices.tolist() == a.argmax(1).tolist()
    assert t.min(2, keepdim=True).indices.shape == (3, 4, 1)
    assert t.argmax().item() == int(a.argmax())
    assert t.argmin(dim=0).tolist() == a.argmin(0).tolist()
    np.testing.assert_allclose(to_np(t.amax((0, 1))), a.max((0, 1)))
    np.testing.assert_allclose(to_np(t.logsumexp(2)), np.log(np.exp(a).sum(2)), rtol=1e-12)
    sm = np.exp(a) / np.exp(a).sum(-1, keepdims=True)
    np.testing.assert_allclose(to_np(t.softmax(-1)), sm, rtol=1e-12)
    np.testing.assert_allclose(to_np(t.log_softmax(dim=-1)), np.log(sm), rtol=1e-10)
    np.testing.assert_allclose(to_np(t.cumsum(1)), a.cumsum(1), rtol=1e-12)
    np.testing.assert_allclose(to_np(t.norm()), np.sqrt((a * a).sum()), rtol=1e-12)
    np.testing.assert_allclose(to_np(t.prod(0)), a.prod(0), rtol=1e-12)
    assert (t > 0).any().item() is True and (t > 100).all().item() is False


def test_shape_methods(rng):
    a = rng.standard_normal((2, 3, 4))
    t = from_np(a, F64)
    np.testing.assert_array_equal(to_np(t.reshape(6, 4)), a.reshape(6, 4))
    np.testing.assert_array_equal(to_np(t.view((4, -1))), a.reshape(4, -1))
    np.testing.assert_array_equal(to_np(t.permute(2, 0, 1)), a.transpose(2, 0, 1))
    np.testing.assert_array_equal(to_np(t.transpose(0, 2)), a.swapaxes(0, 2))
    np.testing.assert_array_equal(to_np(t.T), a.T)
    np.testing.assert_array_equal(to_np(t.unsqueeze(1)), a[:, None])
    assert t.unsqueeze(0).squeeze(0).shape == (2, 3, 4)
    assert t.flatten().shape == (24,) and t.flatten(1).shape == (2, 12)
    parts = t.split(2, dim=2)
    assert len(parts) == 2 and parts[1].shape == (2, 3, 2)
    assert [p.shape for p in t.chunk(3, 1)] == [(2, 1, 4)] * 3
    np.testing.assert_array_equal(to_np(seek.cat([t, t], 1)), np.concatenate([a, a], 1))
    np.testing.assert_array_equal(to_np(seek.stack([t, t])), np.stack([a, a]))
    assert t.expand(5, 2, 3, 4).shape == (5, 2, 3, 4)
    assert t.size() == (2, 3, 4) and t.size(-1) == 4 and t.dim() == 3 and t.numel() == 24
    assert t.stride() == (12, 4, 1) and t.transpose(0, 1).is_contiguous() is False


def test_matmul_family(rng):
    a, b = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 4, 5))
    np.testing.assert_allclose(to_np(from_np(a, F64).bmm(from_np(b, F64))), a @ b, rtol=1e-12)
    np.testing.assert_allclose(to_np(seek.matmul(from_np(a, F64), from_np(b, F64))), a @ b, rtol=1e-12)
    v = rng.standard_normal(4)
    np.testing.assert_allclose(to_np(from_np(a[0], F64).mv(from_np(v, F64))), a[0] @ v, rtol=1e-12)
    np.testing.assert_allclose(from_np(v, F64).dot(from_np(v, F64)).item(), v @ v, rtol=1e-12)


def test_inplace_operators_keep_identity():
    t = seek.zeros(3)
    original = t
    t += 1
    t *= seek.tensor([1.0, 2.0, 3.0])
    t -= 0.5
    t /= 2
    assert t is original
    assert t.tolist() == [0.25, 0.75, 1.25]
    assert t.add_(1) is t and t.mul_(2).tolist() == [2.5, 3.5, 4.5]
    assert t.zero_().tolist() == [0.0, 0.0, 0.0]
    assert t.fill_(7).sub_(seek.ones(3), alpha=2).tolist() == [5.0, 5.0, 5.0]


def test_tensor_from_nested_lists_infers_dtype():
    assert seek.tensor([1, 2]).dtype == seek.int64
    assert seek.tensor([1, 2.5]).dtype == seek.float32
    assert seek.tensor([True, False]).dtype == seek.bool
    assert seek.tensor(3.0).shape == () and seek.tensor(3.0).item() == 3.0
    assert seek.tensor([]).shape == (0,) and seek.tensor([]).dtype == seek.float32
    assert seek.tensor([[1, 2], [3, 4]], dtype=seek.float64).tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert seek.tensor([np.float32(1.5), np.int64(2)]).tolist() == [1.5, 2.0]
    assert seek.tensor([seek.tensor(1), seek.tensor(2)]).tolist() == [1, 2]
    assert seek.tensor(np.array([[1, 2]], dtype=np.int32)).dtype == seek.int32
    with pytest.raises(ValueError, match="expected sequence of length 2 at dim 1"):
        seek.tensor([[1, 2], [3]])


def test_factories():
    assert seek.zeros(2, 3).tolist() == [[0.0] * 3] * 2
    assert seek.ones((2,), dtype=seek.int32).dtype == seek.int32
    assert seek.full((2,), 7).dtype == seek.int64 and seek.full((2,), 0.5).tolist() == [0.5, 0.5]
    assert seek.arange(5).tolist() == [0, 1, 2, 3, 4]
    assert seek.arange(1, 2, 0.25).tolist() == [1.0, 1.25, 1.5, 1.75]
    assert seek.arange(3, dtype=seek.float64).dtype == seek.float64
    np.testing.assert_allclose(to_np(seek.linspace(0, 1, 5)), np.linspace(0, 1, 5), rtol=1e-7)
    assert seek.eye(2).tolist() == [[1.0, 0.0], [0.0, 1.0]]
    assert seek.eye(2, 3).shape == (2, 3)
    t = seek.empty(4, 2, dtype=seek.float64)
    assert t.shape == (4, 2) and t.dtype == seek.float64
    for like in (seek.zeros_like, seek.ones_like, seek.empty_like, seek.rand_like, seek.randn_like):
        r = like(t)
        assert r.shape == (4, 2) and r.dtype == seek.float64
    assert seek.full_like(t, 3).tolist() == [[3.0, 3.0]] * 4
    assert seek.zeros(2, requires_grad=True).requires_grad


def test_random_factories_follow_the_seed():
    seek.manual_seed(7)
    a = seek.rand(100)
    seek.manual_seed(7)
    b = seek.rand(100)
    assert seek.equal(a, b)
    assert 0.0 <= a.min().item() and a.max().item() < 1.0
    r = seek.randint(3, 6, (200,))
    assert r.dtype == seek.int64 and r.min().item() >= 3 and r.max().item() <= 5
    assert seek.randint(4, (2, 2)).shape == (2, 2)
    n = seek.randn(4000, dtype=seek.float64)
    assert abs(n.mean().item()) < 0.1 and abs(n.std().item() - 1) < 0.1
    assert sorted(seek.randperm(5).tolist()) == [0, 1, 2, 3, 4]


def test_python_protocols():
    t = seek.tensor([[1, 2], [3, 4]])
    assert len(t) == 2
    assert [row.tolist() for row in t] == [[1, 2], [3, 4]]
    assert bool(seek.tensor([1])) is True and bool(seek.tensor(0.0)) is False
    assert float(seek.tensor(2.5)) == 2.5 and int(seek.tensor(3)) == 3
    assert [10, 20, 30][seek.tensor(1)] == 20
    assert seek.tensor(2).item() == 2 and isinstance(seek.tensor(2).item(), int)
    assert isinstance(seek.tensor(True).item(), bool)
    assert hash(t) == hash(t) and hash(t) != hash(seek.tensor([[1, 2], [3, 4]]))
    assert len({t, t}) == 1
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(t)
    with pytest.raises(TypeError, match="0-d"):
        len(seek.tensor(1.0))


def test_conversions():
    t = seek.tensor([1.5, -2.5])
    assert t.to(seek.float64).dtype == seek.float64
    assert t.double().dtype == seek.float64 and t.long().tolist() == [1, -2]
    assert t.int().dtype == seek.int32 and t.half().dtype == seek.float16 and t.bool().tolist() == [True, True]
    assert t.to("cpu").device == seek.device("cpu")
    assert t.to(seek.tensor([1], dtype=seek.int64)).dtype == seek.int64
    assert t.to(dtype=seek.float64, device="cpu").dtype == seek.float64
    assert t.cpu().device.type == "cpu" and t.device.index is None
    c = t.clone()
    c[0] = 0
    assert t.tolist() == [1.5, -2.5]


def test_dtype_and_device_objects():
    assert seek.float32 == seek.float and seek.float64 == seek.double and seek.int64 == seek.long
    assert seek.float32 != seek.float64 and seek.float32 != "float32"
    assert seek.float32.is_floating_point and not seek.int32.is_floating_point
    assert seek.float16.itemsize == 2
    assert {seek.float32: 1}[seek.float] == 1
    assert repr(seek.bfloat16) == "seek.bfloat16"
    d = seek.device("cuda:1")
    assert d.type == "cuda" and d.index == 1 and str(d) == "cuda:1"
    assert repr(seek.device("cpu")) == "device(type='cpu')"
    assert seek.device("cuda", 0) == "cuda:0"
    assert math.isclose(seek.cuda.is_available() + 0.0, float(seek.cuda.device_count() > 0))


def test_pickle_and_deepcopy():
    import copy
    import pickle

    t = seek.tensor([[1.5, 2.0]], dtype=seek.float64, requires_grad=True)
    u = pickle.loads(pickle.dumps(t))
    assert u.tolist() == t.tolist() and u.dtype == seek.float64 and u.requires_grad
    b = pickle.loads(pickle.dumps(seek.tensor([1.0, 2.0], dtype=seek.bfloat16)))
    assert b.dtype == seek.bfloat16 and b.tolist() == [1.0, 2.0]
    assert pickle.loads(pickle.dumps(seek.float16)) == seek.float16
    c = copy.deepcopy(t)
    assert c.tolist() == t.tolist() and c.requires_grad and c.is_leaf
    with seek.no_grad():
        c.mul_(0)
    assert t.tolist() == [[1.5, 2.0]]


def test_numpy_scalars_defer_to_tensors():
    t = seek.tensor([1.0, 2.0])
    r = np.float64(2.0) * t
    assert isinstance(r, seek.Tensor) and r.tolist() == [2.0, 4.0]
    assert (t + np.int64(1)).tolist() == [2.0, 3.0]


def test_new_factories_take_dtype_and_device_from_self():
    t = seek.ones(2, dtype=seek.float64)
    assert t.new_zeros(3).dtype == seek.float64 and t.new_zeros((2, 2)).shape == (2, 2)
    assert t.new_ones(2, dtype=seek.int32).tolist() == [1, 1]
    assert t.new_empty(4).shape == (4,)
    assert t.new_full((2,), 3).tolist() == [3.0, 3.0]
    assert t.new_tensor([1, 2]).dtype == seek.float64
    assert seek.tensor([1, 2]).type_as(t).dtype == seek.float64

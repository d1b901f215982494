"""Tensor creation and type promotion as in PyTorch 1.13: numpy scalars and 0-d arrays keep their
dtype, int16 exists, the promotion table (ref/promotion.json, written by ref/gen_promotion.py with
torch) holds for every pair of dtypes and for Python numbers, seek.Size, the typed constructors
(LongTensor, FloatTensor, ...) and the device flags."""
import json
import os
import pickle

import numpy as np
import pytest

import seek

REF = os.path.join(os.path.dirname(__file__), "ref", "promotion.json")
DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64"]
SCALARS = {"bool": True, "int": 3, "float": 1.5}


@pytest.fixture(scope="module")
def table():
    with open(REF) as f:
        return json.load(f)


def dt(name):
    return getattr(seek, name)


def op_dtypes(x, y):
    """The dtypes of x + y and y + x (bool + bool is the logical-or business of the bool-arithmetic
    ops, not of promotion: only result_type is checked there)."""
    if x.dtype == seek.bool and (not isinstance(y, seek.Tensor) or y.dtype == seek.bool):
        return []
    return [(x + y).dtype, (y + x).dtype]


def test_promotion_of_tensor_pairs(table):
    wrong = []
    for a in DTYPES:
        for b in DTYPES:
            want = table["tensor_tensor"][f"{a},{b}"]
            x, y = seek.ones(2, dtype=dt(a)), seek.ones(2, dtype=dt(b))
            got = [seek.promote_types(dt(a), dt(b)), seek.result_type(x, y)] + op_dtypes(x, y)
            if any(g != dt(want) for g in got):
                wrong.append(f"{a}+{b}: want {want}, got {got}")
    assert not wrong, "\n".join(wrong)


def test_promotion_with_zero_dim_tensors(table):
    wrong = []
    for a in DTYPES:
        for b in DTYPES:
            x, z = seek.ones(2, dtype=dt(a)), seek.ones((), dtype=dt(b))
            za = seek.ones((), dtype=dt(a))
            for key, l, r in (("tensor_zerodim", x, z), ("zerodim_zerodim", za, z)):
                want = table[key][f"{a},{b}"]
                got = [seek.result_type(l, r)] + op_dtypes(l, r)
                if any(g != dt(want) for g in got):
                    wrong.append(f"{key} {a}+{b}: want {want}, got {got}")
    assert not wrong, "\n".join(wrong)


def test_promotion_with_python_numbers(table):
    wrong = []
    for a in DTYPES:
        for s, v in SCALARS.items():
            for key, t in (("tensor_scalar", seek.ones(2, dtype=dt(a))), ("zerodim_scalar", seek.ones((), dtype=dt(a)))):
                want = table[key][f"{a},{s}"]
                got = [seek.result_type(t, v)] + op_dtypes(t, v)
                if any(g != dt(want) for g in got):
                    wrong.append(f"{key} {a}+{s}: want {want}, got {got}")
    assert not wrong, "\n".join(wrong)


def test_uint8_plus_int8_is_int16():
    r = seek.tensor([200], dtype=seek.uint8) + seek.tensor([-100], dtype=seek.int8)
    assert r.dtype == seek.int16 and r.tolist() == [100]


# ---- int16 ----

def test_int16_dtype_and_aliases():
    assert seek.int16 is seek.short or seek.int16 == seek.short
    assert repr(seek.int16) == "seek.int16" and seek.int16.itemsize == 2
    t = seek.tensor([1, -2, 30000], dtype=seek.int16)
    assert t.dtype == seek.int16 and t.tolist() == [1, -2, 30000]
    assert (t * 2).dtype == seek.int16
    assert t.sum().item() == 29999
    assert seek.ones(3).short().dtype == seek.int16
    assert (t.float() + 0.5).tolist() == [1.5, -1.5, 30000.5]
    assert t.max().item() == 30000 and t.argmax().item() == 2
    assert t.clamp(-1, 5).tolist() == [1, -1, 5]
    assert seek.ShortTensor([1, 2]).dtype == seek.int16


def test_int16_numpy_and_dlpack_interop():
    a = np.array([1, -7, 300], dtype=np.int16)
    t = seek.from_numpy(a)
    assert t.dtype == seek.int16 and t.tolist() == [1, -7, 300]
    back = t.numpy()
    assert back.dtype == np.int16 and back.tolist() == [1, -7, 300]
    assert seek.from_dlpack(seek.to_dlpack(t)).tolist() == [1, -7, 300]
    assert seek.tensor(np.int16(5)).dtype == seek.int16


# ---- creation from numpy values ----

@pytest.mark.parametrize("value,dtype,shape", [
    (np.array(3.0), "float64", ()),
    (np.array(3.0, dtype=np.float32), "float32", ()),
    (np.float64(3.0), "float64", ()),
    (np.float32(3.0), "float32", ()),
    (np.int32(3), "int32", ()),
    (np.bool_(True), "bool", ()),
    ([np.float64(3.0), 1.0], "float64", (2,)),
    ([np.float32(3.0), 1.0], "float32", (2,)),
    ([np.int32(3), 1], "int64", (2,)),
    ([np.int32(3), 1.5], "float32", (2,)),
    ([np.array([1.0, 2.0]), np.array([3.0, 4.0])], "float64", (2, 2)),
    ([np.array(1.0), np.array(2.0)], "float64", (2,)),
])
def test_creation_from_numpy_as_torch(value, dtype, shape):
    t = seek.tensor(value)
    assert t.dtype == dt(dtype) and t.shape == shape


# ---- seek.Size ----

def test_size_is_a_tuple_subclass_with_numel():
    x = seek.zeros(2, 3, 4)
    s = x.shape
    assert isinstance(s, seek.Size) and isinstance(s, tuple)
    assert x.size() == s == (2, 3, 4) and x.size(1) == 3 and x.size(dim=-1) == 4
    assert type(x.size()) is seek.Size
    assert s.numel() == 24 and seek.Size([]).numel() == 1
    assert repr(s) == "seek.Size([2, 3, 4])"
    assert isinstance(s[1:], seek.Size) and s[1:] == (3, 4) and s[0] == 2
    assert isinstance(s + (5,), seek.Size) and s + (5,) == (2, 3, 4, 5)
    assert seek.zeros(s).shape == s and seek.zeros(*s).shape == s
    assert pickle.loads(pickle.dumps(s)) == s
    with pytest.raises(TypeError):
        seek.Size([1.5])


# ---- typed constructors ----

@pytest.mark.parametrize("ctor,dtype", [
    ("FloatTensor", "float32"), ("DoubleTensor", "float64"), ("LongTensor", "int64"), ("IntTensor", "int32"),
    ("ShortTensor", "int16"), ("CharTensor", "int8"), ("ByteTensor", "uint8"), ("BoolTensor", "bool"),
    ("HalfTensor", "float16"),
])
def test_typed_constructors(ctor, dtype):
    cls = getattr(seek, ctor)
    t = cls([1, 0])
    assert t.dtype == dt(dtype) and t.tolist() == [cls([1, 0]).tolist()[0], cls([1, 0]).tolist()[1]]
    assert t.shape == (2,)
    assert cls(2, 3).shape == (2, 3) and cls(2, 3).dtype == dt(dtype)
    assert cls(seek.Size([4])).shape == (4,)
    assert cls().shape == (0,)
    assert cls(np.array([1, 1])).dtype == dt(dtype)
    assert isinstance(t, cls) and isinstance(t, seek.Tensor)
    assert not isinstance(seek.zeros(1, dtype=seek.float64 if dtype != "float64" else seek.int64), cls)


def test_long_tensor_values():
    assert seek.LongTensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert seek.FloatTensor([1.5]).tolist() == [1.5]
    assert seek.FloatTensor(seek.tensor([1, 2])).dtype == seek.float32


# ---- flags ----

def test_device_flags():
    t = seek.zeros(2)
    assert (t.is_cuda, t.is_xpu, t.is_leaf, t.is_cpu, t.is_meta, t.is_quantized, t.is_sparse) == (
        False, False, True, True, False, False, False)
    assert (t * 1).is_leaf and not (seek.zeros(1, requires_grad=True) * 1).is_leaf

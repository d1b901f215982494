"""numpy and DLPack interop without copies: memory is shared both ways."""
import gc

import numpy as np
import pytest

import seek

try:  # the PyTorch round trips run where Debian's python3-torch is installed
    import torch
    from torch.utils import dlpack as torch_dlpack
except ImportError:
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")


def test_asarray_shares_memory_with_the_tensor():
    t = seek.arange(6, dtype=seek.float32).reshape(2, 3)
    a = np.asarray(t)
    assert a.dtype == np.float32 and a.shape == (2, 3)
    assert np.shares_memory(a, t.numpy())
    a[1, 2] = 100.0
    assert t[1, 2].item() == 100.0
    t[0, 0] = -1
    assert a[0, 0] == -1.0
    m = memoryview(t)
    assert m.format == "f" and m.shape == (2, 3) and m.strides == (12, 4)


def test_non_contiguous_tensors_expose_strides():
    t = seek.arange(12, dtype=seek.float64).reshape(3, 4)
    v = t.t()[1:, ::2]
    a = np.asarray(v)
    assert a.strides == (8, 64) and a.shape == (3, 2)
    np.testing.assert_array_equal(a, np.arange(12.0).reshape(3, 4).T[1:, ::2])
    a[0, 0] = -5
    assert t[0, 1].item() == -5


@pytest.mark.parametrize("dtype, np_dtype", [(seek.float32, np.float32), (seek.float64, np.float64),
                                             (seek.float16, np.float16), (seek.int64, np.int64),
                                             (seek.int32, np.int32), (seek.int8, np.int8),
                                             (seek.uint8, np.uint8), (seek.bool, np.bool_)])
def test_numpy_round_trip_every_dtype(dtype, np_dtype):
    t = seek.tensor([[1, 0, 1]], dtype=dtype)
    a = t.numpy()
    assert a.dtype == np_dtype and a.tolist() == t.tolist()
    back = seek.from_numpy(a)
    assert back.dtype == dtype and np.shares_memory(back.numpy(), a)


def test_from_numpy_shares_memory_and_keeps_the_array_alive():
    a = np.arange(10, dtype=np.float32)[::2]
    t = seek.from_numpy(a)
    assert t.stride() == (2,) and t.tolist() == [0.0, 2.0, 4.0, 6.0, 8.0]
    t += 1
    assert a.tolist() == [1.0, 3.0, 5.0, 7.0, 9.0]
    assert np.shares_memory(np.asarray(t), a)
    b = seek.from_numpy(np.ones((2, 2)))  # no other reference to the array
    gc.collect()
    assert b.sum().item() == 4.0 and b.dtype == seek.float64


def test_numpy_refuses_tensors_that_require_grad():
    t = seek.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="detach"):
        t.numpy()
    assert t.detach().numpy().tolist() == [1.0, 1.0]


def test_dlpack_round_trip_with_numpy():
    t = seek.arange(6, dtype=seek.float32).reshape(2, 3)
    a = np.from_dlpack(t)
    assert np.shares_memory(a, t.numpy()) and a.tolist() == t.tolist()
    src = np.arange(4, dtype=np.int64)
    s = seek.from_dlpack(src)
    assert s.dtype == seek.int64 and np.shares_memory(s.numpy(), src)
    s[0] = 42
    assert src[0] == 42
    assert t.__dlpack_device__() == (1, 0)


@needs_torch
def test_dlpack_round_trip_with_torch():
    t = seek.arange(12, dtype=seek.float32).reshape(3, 4).t()
    pt = torch_dlpack.from_dlpack(t)
    assert pt.shape == (4, 3) and pt.stride() == (1, 4)
    assert pt.tolist() == t.tolist()
    pt[0, 0] = 99.0  # same memory
    assert t[0, 0].item() == 99.0
    source = torch.arange(5, dtype=torch.float64)
    s = seek.from_dlpack(source)
    assert s.dtype == seek.float64 and s.tolist() == source.tolist()
    source.mul_(2)
    assert s.tolist() == [0.0, 2.0, 4.0, 6.0, 8.0]
    cap = torch_dlpack.to_dlpack(torch.ones(2, dtype=torch.int32))
    assert seek.from_dlpack(cap).tolist() == [1, 1]
    capsule = seek.to_dlpack(seek.ones(3))
    assert torch_dlpack.from_dlpack(capsule).tolist() == [1.0, 1.0, 1.0]
    del capsule  # an unused capsule frees its export


def test_numpy_unsupported_dtype_errors():
    with pytest.raises(TypeError, match="bfloat16"):
        seek.ones(2, dtype=seek.bfloat16).numpy()
    with pytest.raises(TypeError, match="unsupported numpy dtype"):
        seek.from_numpy(np.ones(2, dtype=np.complex64))
    with pytest.raises(ValueError, match="negative"):
        seek.from_numpy(np.arange(3.0)[::-1])


@needs_torch
@pytest.mark.parametrize("name", ["float16", "bfloat16", "int8", "uint8", "int32", "int64", "float64"])
def test_dlpack_dtypes_with_torch(name):
    s = seek.tensor([1, 0, 3], dtype=getattr(seek, name))
    p = torch_dlpack.from_dlpack(s)
    assert p.dtype == getattr(torch, name) and p.tolist() == s.tolist()
    back = seek.from_dlpack(torch_dlpack.to_dlpack(p))
    assert back.dtype == s.dtype and back.data_ptr() == s.data_ptr()

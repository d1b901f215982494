"""Import-level shims that PyTorch scripts touch: seek.backends.cudnn / mps, seek.nn.parallel,
seek.onnx, seek.Generator."""
import pytest

import seek
from seek import nn


def test_backends_flags():
    import seek.backends.cudnn as cudnn

    assert cudnn.is_available() is False and seek.backends.mps.is_available() is False
    assert cudnn.enabled is True and cudnn.deterministic is False
    seek.backends.cudnn.benchmark = True
    seek.backends.cudnn.deterministic = True
    assert cudnn.benchmark and cudnn.deterministic
    cudnn.benchmark = cudnn.deterministic = False


def test_data_parallel_wraps_one_device():
    seek.manual_seed(0)
    inner = nn.Linear(3, 2)
    model = nn.DataParallel(inner)
    assert model.module is inner and isinstance(model, nn.Module)
    x = seek.randn(4, 3)
    assert seek.allclose(model(x), inner(x))
    assert sorted(model.state_dict()) == ["module.bias", "module.weight"]
    assert nn.parallel.DataParallel is nn.DataParallel
    with pytest.raises(NotImplementedError, match="one device"):
        nn.DataParallel(inner, device_ids=[0, 1])
    # issue 16: DistributedDataParallel exists (tests/python/test_ddp.py); without a process group it says so.
    with pytest.raises(RuntimeError, match="not initialised"):
        nn.parallel.DistributedDataParallel(inner)


def test_onnx_export_is_a_clear_error():
    with pytest.raises(NotImplementedError, match="no ONNX exporter yet .it comes with the deployment issue"):
        seek.onnx.export(nn.Linear(2, 2), seek.zeros(1, 2), "model.onnx")


def test_generator():
    g = seek.Generator().manual_seed(5)
    assert g.initial_seed() == 5
    a = seek.randperm(6, generator=g).tolist()
    state = g.get_state()
    b = seek.randperm(6, generator=g).tolist()
    g.set_state(state)
    assert seek.randperm(6, generator=g).tolist() == b and sorted(a) == list(range(6))
    with pytest.raises(TypeError, match="manual_seed"):
        g.manual_seed("x")

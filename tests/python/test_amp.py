"""seek.amp: autocast scopes (context manager, decorator, nesting, exceptions), the dtypes
ops produce under autocast, and GradScaler (skipping inf steps, growth, state_dict, a short
float16 training run)."""
import math

import numpy as np
import pytest

import seek
import seek.nn.functional as F
from seek import nn, optim
from conftest import to_np


def cpu_state():
    return seek.amp.is_autocast_enabled("cpu"), seek.amp.get_autocast_dtype("cpu")


# ---- autocast scopes ----

def test_autocast_is_one_object_under_two_names():
    assert seek.autocast is seek.amp.autocast


def test_context_manager_enables_and_restores():
    assert cpu_state() == (False, seek.bfloat16)
    with seek.autocast("cpu"):
        assert cpu_state() == (True, seek.bfloat16)
        assert not seek.amp.is_autocast_enabled("cuda")
    assert cpu_state() == (False, seek.bfloat16)
    with seek.autocast("cpu", dtype=seek.float16) as ac:
        assert cpu_state() == (True, seek.float16)
        assert ac.fast_dtype == seek.float16
    assert cpu_state() == (False, seek.bfloat16)


def test_default_device_type_of_is_autocast_enabled_is_cpu():
    with seek.autocast("cpu"):
        assert seek.amp.is_autocast_enabled()
    assert not seek.amp.is_autocast_enabled()


def test_decorator():
    @seek.autocast("cpu", dtype=seek.float16)
    def inside(a, b=1):
        """doc"""
        return cpu_state(), a + b

    assert inside(1, b=2) == ((True, seek.float16), 3)
    assert inside.__name__ == "inside" and inside.__doc__ == "doc"
    assert cpu_state() == (False, seek.bfloat16)


def test_recursive_decorated_function_restores_every_level():
    seen = []

    @seek.autocast("cpu")
    def recurse(n):
        seen.append(seek.amp.is_autocast_enabled("cpu"))
        if n:
            recurse(n - 1)
        seen.append(seek.amp.is_autocast_enabled("cpu"))

    recurse(3)
    assert seen == [True] * 8
    assert not seek.amp.is_autocast_enabled("cpu")


def test_same_object_entered_twice():
    ac = seek.autocast("cpu", dtype=seek.float16)
    with ac:
        with seek.autocast("cpu", enabled=False):
            assert not seek.amp.is_autocast_enabled("cpu")
            with ac:
                assert cpu_state() == (True, seek.float16)
            assert not seek.amp.is_autocast_enabled("cpu")
        assert cpu_state() == (True, seek.float16)
    assert cpu_state() == (False, seek.bfloat16)


def test_nesting_disable_and_dtype_change():
    with seek.autocast("cpu"):
        with seek.autocast("cpu", enabled=False):
            assert not seek.amp.is_autocast_enabled("cpu")
        assert cpu_state() == (True, seek.bfloat16)
        with seek.autocast("cpu", dtype=seek.float16):
            assert cpu_state() == (True, seek.float16)
        assert cpu_state() == (True, seek.bfloat16)
    assert cpu_state() == (False, seek.bfloat16)


def test_exception_restores_state():
    with pytest.raises(KeyError):
        with seek.autocast("cpu"):
            with seek.autocast("cpu", dtype=seek.float16):
                raise KeyError("boom")
    assert cpu_state() == (False, seek.bfloat16)

    @seek.autocast("cpu")
    def fails():
        raise ValueError("inside")

    with pytest.raises(ValueError, match="inside"):
        fails()
    assert cpu_state() == (False, seek.bfloat16)


def test_cuda_device_type_leaves_cpu_ops_alone():
    x, w = seek.randn(3, 4), seek.randn(4, 2)
    with seek.autocast("cuda"):
        assert seek.amp.is_autocast_enabled("cuda")
        assert seek.amp.get_autocast_dtype("cuda") == seek.float16
        assert not seek.amp.is_autocast_enabled("cpu")
        assert (x @ w).dtype == seek.float32
    assert not seek.amp.is_autocast_enabled("cuda")


def test_bad_arguments():
    with pytest.raises(ValueError, match="device_type must be 'cpu' or 'cuda', got 'tpu'"):
        seek.autocast("tpu")
    with pytest.raises(TypeError, match="device_type must be a str"):
        seek.autocast(0)
    with pytest.raises(ValueError, match=r"dtype must be seek.bfloat16 or seek.float16, got seek.float32"):
        seek.autocast("cpu", dtype=seek.float32)
    with pytest.raises(TypeError, match="dtype must be seek.bfloat16 or seek.float16, got str"):
        seek.autocast("cpu", dtype="bf16")
    with pytest.raises(TypeError, match="enabled must be a bool"):
        seek.autocast("cpu", enabled="yes")
    with pytest.raises(ValueError, match="got 'xpu'"):
        seek.amp.is_autocast_enabled("xpu")
    with pytest.raises(ValueError, match="get_autocast_dtype"):
        seek.amp.get_autocast_dtype("gpu")
    assert cpu_state() == (False, seek.bfloat16)


# ---- op dtypes under autocast (these need the autocast op hooks in src/ops and src/nn) ----

def test_lower_precision_ops_run_in_bfloat16():
    seek.manual_seed(0)
    x, w, b = seek.randn(4, 6), seek.randn(3, 6), seek.randn(3)
    conv = nn.Conv2d(2, 3, 3)
    img = seek.randn(1, 2, 5, 5)
    with seek.autocast("cpu"):
        mm = x @ w.T
        lin = F.linear(x, w, b)
        out = conv(img)
        assert seek.matmul(x, w.T).dtype == seek.bfloat16
    assert mm.dtype == lin.dtype == out.dtype == seek.bfloat16
    # the values are the f32 ones to bfloat16 accuracy
    np.testing.assert_allclose(to_np(lin), to_np(F.linear(x, w, b)), rtol=0.05, atol=0.05)
    np.testing.assert_allclose(to_np(out), to_np(conv(img)), rtol=0.05, atol=0.05)


def test_fp32_ops_run_in_float32():
    seek.manual_seed(0)
    logits = seek.randn(4, 5).to(seek.bfloat16)
    target = seek.tensor([0, 3, 1, 4])
    with seek.autocast("cpu"):
        assert logits.softmax(1).dtype == seek.float32
        assert F.softmax(logits, dim=1).dtype == seek.float32
        loss = F.cross_entropy(logits, target)
        assert loss.dtype == seek.float32
        # float64 is never cast
        assert (seek.randn(2, 2, dtype=seek.float64) @ seek.randn(2, 2, dtype=seek.float64)).dtype == seek.float64
    ref = F.cross_entropy(logits.float(), target)
    assert abs(loss.item() - ref.item()) < 1e-5


def test_gradients_reach_float32_parameters_in_float32():
    seek.manual_seed(0)
    layer = nn.Linear(4, 2)
    x = seek.randn(3, 4)
    with seek.autocast("cpu"):
        loss = F.cross_entropy(layer(x), seek.tensor([0, 1, 1]))
    loss.backward()
    assert layer.weight.grad.dtype == seek.float32
    assert layer.bias.grad.dtype == seek.float32


# ---- GradScaler ----

def inf_step(scaler, p, opt, inject_inf):
    opt.zero_grad()
    factor = seek.tensor([1.0, math.inf if inject_inf else 2.0])
    loss = (p * factor).sum()
    scaler.scale(loss).backward()
    result = scaler.step(opt)
    scaler.update()
    return result


def test_scale_multiplies_by_the_scale():
    scaler = seek.amp.GradScaler(init_scale=1024.0)
    loss = seek.tensor(0.5)
    assert scaler.scale(loss).item() == 512.0
    a, b = scaler.scale([seek.tensor(1.0), (seek.tensor(2.0),)])
    assert a.item() == 1024.0 and isinstance(b, tuple) and b[0].item() == 2048.0
    with pytest.raises(TypeError, match="outputs must be a seek.Tensor"):
        scaler.scale(3.0)


def test_inf_gradient_skips_step_and_halves_scale():
    p = seek.tensor([1.0, 1.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.5)
    scaler = seek.amp.GradScaler(init_scale=256.0)
    assert inf_step(scaler, p, opt, inject_inf=True) is None
    assert p.tolist() == [1.0, 1.0]                 # skipped
    assert scaler.get_scale() == 128.0              # x backoff_factor
    assert scaler.state_dict()["_growth_tracker"] == 0
    assert inf_step(scaler, p, opt, inject_inf=False) is None
    # the step used the unscaled gradient [1, 2]: p - 0.5 * [1, 2]
    assert p.tolist() == [0.5, 0.0]
    assert p.grad.tolist() == [1.0, 2.0]
    assert scaler.get_scale() == 128.0
    assert scaler.state_dict()["_growth_tracker"] == 1


def test_scale_grows_after_growth_interval_clean_steps():
    p = seek.tensor([1.0, 1.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.0)
    scaler = seek.amp.GradScaler(init_scale=8.0, growth_factor=4.0, growth_interval=2)
    inf_step(scaler, p, opt, False)
    assert scaler.get_scale() == 8.0
    inf_step(scaler, p, opt, False)
    assert scaler.get_scale() == 32.0
    scaler.update(new_scale=2.0)
    assert scaler.get_scale() == 2.0
    scaler.update(seek.tensor(4.0))
    assert scaler.get_scale() == 4.0


def test_unscale_before_clipping_and_twice_is_an_error():
    p = seek.tensor([3.0, 4.0], requires_grad=True)
    opt = optim.SGD([p], lr=1.0)
    scaler = seek.amp.GradScaler(init_scale=64.0)
    scaler.scale((p * p).sum() * 0.5).backward()
    assert p.grad.tolist() == [192.0, 256.0]
    scaler.unscale_(opt)
    assert p.grad.tolist() == [3.0, 4.0]
    norm = nn.utils.clip_grad_norm_([p], max_norm=1.0)
    assert abs(float(norm) - 5.0) < 1e-6
    with pytest.raises(RuntimeError, match="unscale_.. has already been called"):
        scaler.unscale_(opt)
    scaler.step(opt)
    np.testing.assert_allclose(p.tolist(), [3.0 - 0.6, 4.0 - 0.8], rtol=1e-6)
    scaler.update()


def test_scaler_takes_the_c_optimizer_and_rejects_other_objects():
    p = seek.tensor([1.0], requires_grad=True)
    opt = optim.Adam([p])
    scaler = seek.amp.GradScaler()
    scaler.scale(p.sum()).backward()
    scaler.step(opt._impl)                          # the C++ optimizer itself works too
    scaler.update()
    with pytest.raises(TypeError, match="expected a seek.optim optimizer.*got list"):
        scaler.step([p])
    with pytest.raises(RuntimeError, match="closure"):
        scaler.step(opt, lambda: None)


def test_state_dict_round_trip():
    scaler = seek.amp.GradScaler(init_scale=512.0, growth_factor=3.0, backoff_factor=0.25, growth_interval=7)
    p = seek.tensor([1.0, 1.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    inf_step(scaler, p, opt, False)
    inf_step(scaler, p, opt, False)
    sd = scaler.state_dict()
    assert sd == {"scale": 512.0, "growth_factor": 3.0, "backoff_factor": 0.25, "growth_interval": 7,
                  "_growth_tracker": 2}
    assert isinstance(sd["growth_interval"], int) and isinstance(sd["_growth_tracker"], int)
    other = seek.amp.GradScaler()
    other.load_state_dict(sd)
    assert other.state_dict() == sd
    assert other.get_growth_factor() == 3.0 and other.get_backoff_factor() == 0.25
    assert other.get_growth_interval() == 7
    bad = dict(sd)
    del bad["scale"]
    with pytest.raises(ValueError, match='missing key "scale"'):
        other.load_state_dict(bad)
    assert other.state_dict() == sd                 # unchanged


def test_setters_and_bad_options():
    scaler = seek.amp.GradScaler()
    assert scaler.get_scale() == 65536.0 and scaler.is_enabled()
    scaler.set_growth_factor(4.0)
    scaler.set_backoff_factor(0.125)
    scaler.set_growth_interval(10)
    assert (scaler.get_growth_factor(), scaler.get_backoff_factor(), scaler.get_growth_interval()) == (4.0, 0.125, 10)
    with pytest.raises(ValueError, match="growth_factor must be a finite number > 1, got 0.5"):
        seek.amp.GradScaler(growth_factor=0.5)
    with pytest.raises(ValueError, match="backoff_factor must be in"):
        scaler.set_backoff_factor(2.0)
    with pytest.raises(ValueError, match="init_scale"):
        seek.amp.GradScaler(init_scale=0.0)
    with pytest.raises(ValueError, match="device_type must be 'cpu' or 'cuda', got 'tpu'"):
        seek.amp.GradScaler(device="tpu")
    assert seek.amp.GradScaler(device="cuda:0").is_enabled()


def test_disabled_scaler_passes_through():
    scaler = seek.amp.GradScaler(enabled=False)
    loss = seek.tensor(2.0)
    assert scaler.scale(loss).item() == 2.0
    assert scaler.get_scale() == 1.0 and not scaler.is_enabled()
    assert scaler.state_dict() == {}
    p = seek.tensor([1.0], requires_grad=True)
    opt = optim.SGD([p], lr=1.0)
    scaler.scale(p.sum()).backward()
    scaler.step(opt)
    scaler.update()
    assert p.tolist() == [0.0]


def test_float16_autocast_training_with_grad_scaler_lowers_the_loss():
    seek.manual_seed(0)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(8, 16)
            self.fc2 = nn.Linear(16, 3)

        def forward(self, x):
            return self.fc2(self.fc1(x).relu())

    model = Net()
    x = seek.randn(64, 8)
    y = (x[:, 0] > 0).long() + (x[:, 1] > 0).long()
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scaler = seek.amp.GradScaler(growth_interval=5)
    losses = []
    for _ in range(20):
        opt.zero_grad()
        with seek.autocast("cpu", dtype=seek.float16):
            logits = model(x)
            loss = F.cross_entropy(logits, y)
        assert logits.dtype == seek.float16 and loss.dtype == seek.float32
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        losses.append(loss.item())
    assert model.fc1.weight.dtype == seek.float32
    assert losses[-1] < 0.8 * losses[0]
    assert scaler.get_scale() >= 65536.0


def test_state_is_per_thread():
    import threading

    seen = []
    with seek.autocast("cpu"):
        t = threading.Thread(target=lambda: seen.append(seek.amp.is_autocast_enabled("cpu")))
        t.start()
        t.join()
        assert seek.amp.is_autocast_enabled("cpu")
    assert seen == [False]

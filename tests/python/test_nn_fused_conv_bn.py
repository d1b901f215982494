"""The fused conv -> batch norm -> residual -> ReLU for training (seek.nn.functional.conv_bn_relu,
seek.nn.FusedConvBNReLU, seek.nn.utils.fusion.fuse_conv_bn_relu_train): outputs, gradients and running
statistics equal the unfused conv2d -> batch_norm -> add -> relu; the module and the pass keep the
state_dict keys of the unfused modules (and the pass the very parameter tensors), checkpoints load both
ways, and fused and unfused models train alike; on the CPU and, where present, the CUDA device."""
import numpy as np
import pytest

import seek
import seek.nn as nn
import seek.nn.functional as F
from seek.nn.utils.fusion import fuse_conv_bn_relu_train

DEVICES = ["cpu"] + (["cuda"] if seek.cuda.is_available() else [])


def rand(shape, seed, lo=-1.0, hi=1.0, device="cpu", dtype=np.float64):
    return seek.from_numpy(np.random.default_rng(seed).uniform(lo, hi, shape).astype(dtype)).to(device)


def numpy_of(t):
    return t.detach().to("cpu").double().numpy()


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("residual,relu,stride,k", [(False, True, 1, 3), (True, True, 2, 3), (True, False, 1, 1)])
def test_functional_matches_unfused(device, residual, relu, stride, k):
    pad = k // 2
    oh = (6 + 2 * pad - k) // stride + 1

    def leaves():
        x = rand((2, 3, 6, 5), 1, device=device).requires_grad_(True)
        w = rand((4, 3, k, k), 2, -0.5, 0.5, device=device).requires_grad_(True)
        g = rand((4,), 3, 0.5, 1.5, device=device).requires_grad_(True)
        b = rand((4,), 4, device=device).requires_grad_(True)
        r = rand((2, 4, oh, (5 + 2 * pad - k) // stride + 1), 5, device=device).requires_grad_(True) if residual else None
        return x, w, g, b, r

    a, u = leaves(), leaves()
    rma, rva = seek.zeros(4, dtype=seek.float64).to(device), seek.ones(4, dtype=seek.float64).to(device)
    rmu, rvu = seek.zeros(4, dtype=seek.float64).to(device), seek.ones(4, dtype=seek.float64).to(device)
    ya = F.conv_bn_relu(a[0], a[1], None, rma, rva, a[2], a[3], a[4], stride=stride, padding=pad, relu=relu)
    yu = F.batch_norm(F.conv2d(u[0], u[1], None, stride, pad), rmu, rvu, u[2], u[3], training=True)
    if residual:
        yu = yu + u[4]
    if relu:
        yu = F.relu(yu)
    np.testing.assert_allclose(numpy_of(ya), numpy_of(yu), rtol=1e-10, atol=1e-10)
    gy = rand(tuple(ya.shape), 9, device=device)
    (ya * gy).sum().backward()
    (yu * gy).sum().backward()
    for ta, tu in zip(a, u):
        if ta is not None:
            np.testing.assert_allclose(numpy_of(ta.grad), numpy_of(tu.grad), rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(numpy_of(rma), numpy_of(rmu), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(numpy_of(rva), numpy_of(rvu), rtol=1e-12, atol=1e-12)


def small_net():
    seek.manual_seed(11)
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(),
                         nn.Conv2d(8, 6, 1, stride=2), nn.BatchNorm2d(6), nn.Flatten(), nn.Linear(54, 4))


def test_module_has_the_keys_of_conv_bn_relu_and_loads_both_ways():
    fused = nn.FusedConvBNReLU(3, 5, 3, padding=1)
    plain = nn.Sequential(nn.Conv2d(3, 5, 3, padding=1, bias=False), nn.BatchNorm2d(5), nn.ReLU())
    assert list(fused.state_dict().keys()) == list(plain.state_dict().keys())
    fused.load_state_dict(plain.state_dict())
    x = rand((2, 3, 4, 4), 1, dtype=np.float32)
    np.testing.assert_allclose(numpy_of(fused(x)), numpy_of(plain(x)), rtol=1e-5, atol=1e-5)
    plain.load_state_dict(fused.state_dict())  # the running stats both updated above; still loadable
    with pytest.raises(Exception, match="residual"):
        fused(x, seek.zeros(1, 5, 3, 3))


@pytest.mark.parametrize("device", DEVICES)
def test_pass_keeps_keys_and_tensors_and_trains_alike(device):
    plain, fused = small_net().to(device), small_net().to(device)
    keys = list(fused.state_dict().keys())
    ptrs = [p.data_ptr() for p in fused.parameters()]
    assert fuse_conv_bn_relu_train(fused) == 2
    assert type(fused[0]).__name__ == "FusedConvBNReLU" and type(fused[1]).__name__ == "FusedBatchNormState"
    assert list(fused.state_dict().keys()) == keys
    assert [p.data_ptr() for p in fused.parameters()] == ptrs
    opts = [seek.optim.SGD(m.parameters(), lr=0.05, momentum=0.9) for m in (plain, fused)]
    for step in range(3):
        x = rand((4, 3, 6, 6), 100 + step, device=device, dtype=np.float32)
        losses = []
        for m, opt in zip((plain, fused), opts):
            loss = (m(x) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        assert losses[1] == pytest.approx(losses[0], rel=1e-4, abs=1e-6)
    restored = small_net().to(device)
    restored.load_state_dict(fused.state_dict())  # fused -> unfused checkpoint
    plain.eval(), fused.eval(), restored.eval()
    x = rand((2, 3, 6, 6), 7, device=device, dtype=np.float32)
    np.testing.assert_allclose(numpy_of(restored(x)), numpy_of(fused(x)), rtol=1e-5, atol=1e-5)


def test_resnet20_pass_counts_and_keeps_keys():
    model = seek.models.resnet20(10)
    keys = list(model.state_dict().keys())
    assert fuse_conv_bn_relu_train(model) == 21  # stem + 9 blocks x 2 + 2 downsample shortcuts
    assert list(model.state_dict().keys()) == keys
    out = model(rand((2, 3, 8, 8), 3, dtype=np.float32))
    assert tuple(out.shape) == (2, 10)

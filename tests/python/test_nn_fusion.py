"""seek.nn.utils.fusion (torch.nn.utils.fusion's semantics): the fused conv equals the eval-mode
conv followed by batch norm, its parameters follow torch's formula (checked with numpy), and the
model pass folds every Conv2d -> BatchNorm2d pair while the model's output stays the same; on the
CPU and, where present, the CUDA device (the simulated one in CI)."""
import numpy as np
import pytest

import seek
import seek.nn as nn
from seek.nn.utils.fusion import fuse_conv_bn, fuse_conv_bn_eval

DEVICES = ["cpu"] + (["cuda"] if seek.cuda.is_available() else [])


def trained_bn(c, device):
    bn = nn.BatchNorm2d(c, eps=1e-3, momentum=0.5).to(device)
    for s in range(2):
        bn(seek.from_numpy(np.random.default_rng(s).uniform(-2, 3, (4, c, 3, 3)).astype(np.float32)).to(device))
    with seek.no_grad():
        bn.weight.copy_(seek.from_numpy(np.linspace(0.5, 1.5, c).astype(np.float32)).to(device))
        bn.bias.copy_(seek.from_numpy(np.linspace(-1, 1, c).astype(np.float32)).to(device))
    return bn.eval()


@pytest.mark.parametrize("device", DEVICES)
def test_fuse_conv_bn_eval_matches_torch_formula_and_output(device):
    seek.manual_seed(3)
    conv = nn.Conv2d(4, 6, 3, stride=2, padding=1, groups=2).to(device).eval()
    bn = trained_bn(6, device)
    fused = fuse_conv_bn_eval(conv, bn)
    assert not fused.training and fused.bias is not None
    w = conv.weight.detach().to("cpu").double().numpy()
    b = conv.bias.detach().to("cpu").double().numpy()
    rm, rv = bn.running_mean.detach().to("cpu").double().numpy(), bn.running_var.detach().to("cpu").double().numpy()
    g, beta = bn.weight.detach().to("cpu").double().numpy(), bn.bias.detach().to("cpu").double().numpy()
    s = g / np.sqrt(rv + 1e-3)
    np.testing.assert_allclose(fused.weight.detach().to("cpu").double().numpy(), w * s[:, None, None, None], rtol=1e-6,
                               atol=1e-7)
    np.testing.assert_allclose(fused.bias.detach().to("cpu").double().numpy(), (b - rm) * s + beta, rtol=1e-6, atol=1e-7)
    x = seek.from_numpy(np.random.default_rng(9).uniform(-1, 1, (2, 4, 7, 7)).astype(np.float32)).to(device)
    with seek.no_grad():
        np.testing.assert_allclose(fused(x).to("cpu").numpy(), bn(conv(x)).to("cpu").numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("device", DEVICES)
def test_fuse_conv_bn_pass_keeps_the_model_output(device):
    seek.manual_seed(4)
    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(),
                          nn.Sequential(nn.Conv2d(8, 8, 3, padding=1), nn.BatchNorm2d(8)), nn.MaxPool2d(2)).to(device)
    model(seek.randn(4, 3, 8, 8).to(device))
    model.eval()
    x = seek.randn(2, 3, 8, 8).to(device)
    with seek.no_grad():
        before = model(x).to("cpu").numpy()
        assert fuse_conv_bn(model) == 2
        after = model(x).to("cpu").numpy()
    assert type(model[1]).__name__ == "Identity" and type(model[2]).__name__ == "ReLU"
    np.testing.assert_allclose(after, before, rtol=1e-5, atol=1e-5)


def test_fusion_needs_eval_mode():
    conv, bn = nn.Conv2d(3, 4, 1), nn.BatchNorm2d(4)
    with pytest.raises(ValueError, match="eval"):
        fuse_conv_bn_eval(conv, bn)
    with pytest.raises(ValueError, match="eval"):
        fuse_conv_bn(nn.Sequential(conv, bn))
    with pytest.raises(NotImplementedError):
        fuse_conv_bn_eval(conv.eval(), bn.eval(), transpose=True)

"""Replacing a submodule of a C++-built module from Python takes effect in its forward,
as in PyTorch: `resnet.fc = nn.Linear(64, 5)`, `model.layer1[0].conv1 = ...`,
`seq[1] = nn.ReLU()`, also with Python-defined modules that C++ then calls."""
import numpy as np
import pytest

import seek
import seek.nn as nn
import seek.nn.functional as F
import seek.optim as optim


def to_np(t):
    return np.array(t.detach().tolist(), dtype=np.float64)


def fixed_linear(n_in, n_out, seed):
    fc = nn.Linear(n_in, n_out)
    rng = np.random.default_rng(seed)
    fc.load_state_dict({"weight": seek.tensor(rng.uniform(-1, 1, (n_out, n_in)).tolist()),
                        "bias": seek.tensor(rng.uniform(-1, 1, n_out).tolist())})
    return fc


def small_resnet():
    seek.manual_seed(5)
    model = seek.models.resnet20(num_classes=10, in_channels=1)
    model.eval()
    return model


class Recorder(nn.Module):
    """A Python-defined head: remembers what C++ gave it and scales a Linear's output."""

    def __init__(self, n_in, n_out):
        super().__init__()
        self.lin = fixed_linear(n_in, n_out, 3)
        self.seen = []

    def forward(self, x):
        self.seen.append(tuple(x.shape))
        return self.lin(x) * 2.0


def test_resnet_fc_replaced_by_linear_and_identity():
    model = small_resnet()
    x = seek.randn(2, 1, 12, 12)
    assert model(x).shape == (2, 10)
    model.fc = nn.Identity()
    features = model(x)
    assert features.shape == (2, 64)
    assert "fc.weight" not in model.state_dict()
    fc = fixed_linear(64, 5, 1)
    model.fc = fc
    out = model(x)
    assert out.shape == (2, 5)
    np.testing.assert_allclose(to_np(out), to_np(features) @ to_np(fc.weight).T + to_np(fc.bias), rtol=1e-5, atol=1e-5)
    assert model.state_dict()["fc.weight"].shape == (5, 64)
    assert model.fc.out_features == 5


def test_python_module_called_from_cpp_forward():
    model = small_resnet()
    x = seek.randn(3, 1, 8, 8)
    model.fc = nn.Identity()
    features = model(x)
    head = Recorder(64, 4)
    model.fc = head
    out = model(x)
    assert head.seen == [(3, 64)]  # the C++ forward called the Python forward once
    np.testing.assert_allclose(to_np(out), 2.0 * to_np(head.lin(features)), rtol=1e-5, atol=1e-5)
    names = [n for n, _ in model.named_parameters()]
    assert names[-2:] == ["fc.lin.weight", "fc.lin.bias"]
    del head
    assert model(x).shape == (3, 4)  # the model keeps the Python module alive


def test_nested_block_conv_replaced():
    a, b = small_resnet(), small_resnet()
    b.load_state_dict(a.state_dict())
    x = seek.randn(2, 1, 8, 8)
    before = a(x)
    zero_conv = nn.Conv2d(16, 16, 3, padding=1, bias=False)
    with seek.no_grad():
        zero_conv.weight.zero_()
        b.layer1[0].conv1.weight.zero_()
    a.layer1[0].conv1 = zero_conv
    assert a.layer1[0].conv1.weight.abs().sum().item() == 0.0  # the lookup finds the new conv
    np.testing.assert_allclose(to_np(a(x)), to_np(b(x)), rtol=1e-5, atol=1e-6)
    assert not np.allclose(to_np(a(x)), to_np(before), rtol=1e-5, atol=1e-6)


def test_replaced_fc_trains():
    seek.manual_seed(3)
    model = seek.models.resnet20(num_classes=10, in_channels=1)
    model.fc = nn.Linear(64, 5)
    new_w = model.fc.weight
    assert [tuple(p.shape) for p in model.parameters()][-2:] == [(5, 64), (5,)]
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x, y = seek.randn(4, 1, 16, 16), seek.tensor([0, 1, 2, 4])
    before = to_np(new_w)
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    assert new_w.grad is not None and new_w.grad.shape == (5, 64)
    opt.step()
    assert not np.allclose(to_np(model.fc.weight), before)
    np.testing.assert_array_equal(to_np(model.fc.weight), to_np(new_w))  # the same tensor was trained


def test_sequential_setitem():
    lin = fixed_linear(3, 3, 7)
    seq = nn.Sequential(lin, nn.Identity())
    x = seek.randn(4, 3)
    np.testing.assert_allclose(to_np(seq(x)), to_np(lin(x)), rtol=1e-6)
    seq[1] = nn.ReLU()
    np.testing.assert_allclose(to_np(seq(x)), np.maximum(to_np(lin(x)), 0.0), rtol=1e-6)
    seq[-2] = fixed_linear(3, 2, 8)
    assert seq(x).shape == (4, 2)
    assert isinstance(seq[1], nn.ReLU) and seq[0].out_features == 2
    assert list(seq.state_dict().keys()) == ["0.weight", "0.bias"]
    setattr(seq, "0", nn.Linear(3, 6))  # the registered name works too, as in torch
    assert seq(x).shape == (4, 6)
    with pytest.raises(IndexError, match="index 2 is out of range for 2 modules"):
        seq[2] = nn.ReLU()
    with pytest.raises(TypeError, match="seek.nn.Module"):
        seq[0] = 3


def test_module_list_and_dict_setitem():
    layers = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2)])
    layers[-1] = nn.Tanh()
    assert [type(m).__name__ for m in layers] == ["Linear", "Tanh"]
    assert list(layers.state_dict().keys()) == ["0.weight", "0.bias"]
    with pytest.raises(IndexError, match="ModuleList"):
        layers[3] = nn.ReLU()
    d = nn.ModuleDict({"enc": nn.Linear(2, 4), "act": nn.ReLU()})
    d["act"] = nn.GELU()  # a known key is replaced in place
    d["dec"] = nn.Linear(4, 2)
    assert list(d.keys()) == ["enc", "act", "dec"]
    assert isinstance(d["act"], nn.GELU)


def test_transformer_layer_children_replaced():
    seek.manual_seed(1)
    layer = nn.TransformerEncoderLayer(4, 2, dim_feedforward=6, dropout=0.0)
    layer.eval()
    src = seek.randn(3, 2, 4)
    layer.linear1 = nn.Linear(4, 8)
    layer.linear2 = Recorder(8, 4)
    assert layer(src).shape == (3, 2, 4)
    assert layer.linear2.seen == [(3, 2, 8)]
    layer.self_attn.out_proj = nn.Identity()
    with pytest.raises(TypeError, match="'out_proj' is now a Identity"):
        layer(src)


def test_replacing_with_a_non_module_is_still_a_type_error():
    model = small_resnet()
    with pytest.raises(TypeError, match="child module 'fc'"):
        model.fc = None
    assert model.fc.out_features == 10

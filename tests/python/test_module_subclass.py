"""Python subclasses of seek.nn.Module: attribute registration as in torch.nn.Module,
Python forward called from C++ containers, lifetime, repr and errors."""
import gc

import numpy as np
import pytest

import seek
import seek.nn as nn


class Block(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.fc = nn.Linear(n, n)
        self.scale = nn.Parameter(seek.ones(n))
        self.register_buffer("calls", seek.zeros(1))
        self.note = "plain attribute"
        self.cache = seek.zeros(2)  # a plain tensor: not registered

    def forward(self, x):
        return self.fc(x) * self.scale


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = Block(3)
        self.head = nn.Linear(3, 2)
        self.bias = nn.Parameter(seek.zeros(2))

    def forward(self, x, shift=0.0):
        return self.head(self.block(x).relu()) + self.bias + shift


def test_attributes_are_registered_like_torch():
    net = Net()
    names = [k for k, _ in net.named_parameters()]
    assert names == ["bias", "block.scale", "block.fc.weight", "block.fc.bias", "head.weight", "head.bias"]
    # as torch: a module's own parameters, then its buffers, then its children
    assert list(net.state_dict().keys()) == names[:2] + ["block.calls", "block.fc.weight", "block.fc.bias",
                                                         "head.weight", "head.bias"]
    assert net.block.note == "plain attribute"
    assert "cache" not in dict(net.block.named_buffers())
    assert net.num_parameters() == 2 + 3 + 9 + 3 + 6 + 2
    assert isinstance(net.block.scale, nn.Parameter) and net.block.scale.requires_grad
    assert not isinstance(net.block.cache, nn.Parameter)
    assert [type(m).__name__ for m in net.modules()] == ["Net", "Block", "Linear", "Linear"]
    assert net.block is net.block  # the same Python object every time
    assert isinstance(net.block, Block) and isinstance(net, nn.Module)


def test_forward_with_extra_arguments_and_backward():
    net = Net()
    x = seek.randn(4, 3)
    y = net(x, shift=1.0)
    np.testing.assert_allclose(np.array(y.tolist()), np.array(net(x).tolist()) + 1.0, rtol=1e-6)
    y.sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    assert net.bias.grad.tolist() == [4.0, 4.0]
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_python_module_inside_cpp_container_survives_and_is_called():
    seq = nn.Sequential(Block(3), nn.ReLU())
    ml = nn.ModuleList([Block(2)])
    gc.collect()
    x = seek.randn(5, 3)
    b = seq[0]
    assert isinstance(b, Block)
    ref = b.forward(x).relu()
    assert seek.allclose(seq(x), ref)
    assert isinstance(ml[0], Block) and ml[0](seek.randn(1, 2)).shape == (1, 2)
    assert "0.scale" in seq.state_dict()


def test_python_module_added_through_a_temporary_wrapper_stays_alive():
    outer = nn.Sequential(nn.Sequential())
    outer[0].append(Block(3))  # outer[0] is a fresh Python wrapper that dies right after
    holder = nn.Module()
    holder.inner = nn.ModuleDict()
    holder.inner["b"] = Block(3)
    gc.collect()
    assert isinstance(outer[0][0], Block) and outer[0][0].note == "plain attribute"
    x = seek.randn(2, 3)
    assert seek.allclose(outer(x), outer[0][0].forward(x))
    assert isinstance(holder.inner["b"], Block)


def test_reassigning_parameter_and_buffer_updates_the_registered_tensor():
    b = Block(2)
    b.scale = nn.Parameter(seek.full([2], 3.0))
    assert b.scale.tolist() == [3.0, 3.0]
    assert [k for k, _ in b.named_parameters(recurse=False)] == ["scale"]
    b.calls = seek.ones(1)
    assert b.state_dict()["calls"].tolist() == [1.0]


def test_assigning_a_module_replaces_the_submodule_like_torch():
    net = Net()
    old_head = net.head
    net.head = nn.Linear(3, 5)  # a new output size, as when fine-tuning a classifier
    assert net.head is not old_head and net.head.out_features == 5
    names = [k for k, _ in net.named_parameters()]
    # the replacement keeps the submodule's place in the registration order
    assert names == ["bias", "block.scale", "block.fc.weight", "block.fc.bias", "head.weight", "head.bias"]
    assert net.state_dict()["head.weight"].shape == (5, 3)
    assert not any(p is old_head.weight for p in net.parameters())
    assert [n for n, _ in net.named_children()] == ["block", "head"]
    net.bias = nn.Parameter(seek.zeros(5))
    y = net(seek.randn(4, 3))  # forward finds the new child
    assert y.shape == (4, 5)
    y.sum().backward()
    assert net.head.weight.grad is not None and old_head.weight.grad is None
    # a Python-defined module can replace another one, and repr shows the new child
    net.block = Block(3)
    assert isinstance(net.block, Block) and "(head): Linear(in_features=3, out_features=5" in repr(net)


def test_assigning_a_non_module_to_a_submodule_name_is_a_type_error():
    net = Net()
    with pytest.raises(TypeError, match="cannot assign 'int' as child module 'head'"):
        net.head = 3
    with pytest.raises(TypeError, match="child module 'head'"):
        net.head = None
    assert isinstance(net.head, nn.Linear)  # unchanged


def test_registering_replaces_a_plain_attribute_of_the_same_name():
    class Lazy(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = None
            self.fc = nn.Linear(2, 2)

    m = Lazy()
    assert isinstance(m.fc, nn.Linear) and "fc.weight" in m.state_dict()


def test_state_dict_round_trip_between_python_modules():
    a, b = Net(), Net()
    x = seek.randn(3, 3)
    assert not seek.allclose(a(x), b(x))
    b.load_state_dict(a.state_dict())
    assert seek.allclose(a(x), b(x))
    copied = {k: seek.from_numpy(np.array(v.detach().tolist(), dtype=np.float32)) for k, v in a.state_dict().items()}
    c = Net()
    c.load_state_dict(copied)
    assert seek.allclose(a(x), c(x))


def test_repr_uses_python_class_names_and_extra_repr():
    class Scaled(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(2, 2, bias=False)

        def extra_repr(self):
            return "factor=2"

    text = repr(Scaled())
    assert text.startswith("Scaled(\n  factor=2\n  (lin): Linear(in_features=2, out_features=2, bias=False)")


def test_train_eval_apply_to_and_missing_attribute():
    net = Net()
    net.eval()
    assert not net.block.training and not net.head.training
    net.train()
    assert net.block.training
    seen = []
    net.apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "Linear", "Block", "Net"]
    net.to(seek.float64)
    assert net.block.scale.dtype == seek.float64 and net.block.calls.dtype == seek.float64
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        net.nothing
    with pytest.raises(AttributeError):
        del net.head


def test_module_without_forward_or_init_raises():
    class NoForward(nn.Module):
        def __init__(self):
            super().__init__()

    with pytest.raises(Exception, match="forward"):
        NoForward()(seek.randn(2))

    class Early(nn.Module):
        def __init__(self):
            self.ok = 1  # plain attributes may come first, as in torch
            assert not hasattr(self, "fc")
            self.fc = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Early()

    class NoInit(nn.Module):
        def __init__(self):
            pass

    with pytest.raises(TypeError, match="__init__"):
        NoInit()


def test_a_python_module_trained_with_an_optimizer_moves_its_parameters():
    net = Block(2)
    before = net.scale.tolist()
    opt = seek.optim.SGD(net.parameters(), lr=0.1)
    net(seek.ones(1, 2)).sum().backward()
    opt.step()
    assert net.scale.tolist() != before

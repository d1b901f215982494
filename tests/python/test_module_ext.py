"""Module hooks, load_state_dict's result, apply's order, generator iterators, copy.deepcopy and pickle
of modules and tensors, share_memory_ and seek.multiprocessing."""
import copy
import pickle

import numpy as np
import pytest

import seek
from seek import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(3, 4)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(4, 2)
        self.scale = nn.Parameter(seek.ones(2))
        self.register_buffer("count", seek.zeros(1))
        self.note = "hello"

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x))) * self.scale


# ---- hooks --------------------------------------------------------------------------------------


def test_forward_hooks_run_in_order_with_torchs_arguments():
    seek.manual_seed(0)
    lin = nn.Linear(3, 2)
    x = seek.randn(4, 3)
    calls = []

    def pre(module, args):
        calls.append(("pre", module is lin or type(module).__name__, len(args), tuple(args[0].shape)))

    def pre_scale(module, args):
        calls.append(("pre_scale",))
        return args[0] * 2  # a single value becomes the new args tuple

    def post(module, args, output):
        calls.append(("post", tuple(args[0].shape), tuple(output.shape)))
        return output + 1

    h1 = lin.register_forward_pre_hook(pre)
    h2 = lin.register_forward_pre_hook(pre_scale)
    h3 = lin.register_forward_hook(post)
    out = lin(x)
    np.testing.assert_allclose(out.tolist(), (lin.forward(x * 2) + 1).tolist(), rtol=1e-6)
    assert [c[0] for c in calls] == ["pre", "pre_scale", "post"]
    assert calls[0][2:] == (1, (4, 3)) and calls[2][1:] == ((4, 3), (4, 2))
    for h in (h1, h2, h3):
        h.remove()
    calls.clear()
    np.testing.assert_allclose(lin(x).tolist(), lin.forward(x).tolist())
    assert calls == []
    h3.remove()  # removing twice is harmless


def test_hooks_with_kwargs_and_prepend():
    class Scale(nn.Module):
        def forward(self, x, factor=1.0):
            return x * factor

    m = Scale()
    order = []
    m.register_forward_pre_hook(lambda mod, args, kwargs: (args, {"factor": 3.0}), with_kwargs=True)
    m.register_forward_hook(lambda mod, args, kwargs, out: order.append(("b", kwargs["factor"])), with_kwargs=True)
    m.register_forward_hook(lambda mod, args, out: order.append(("a",)), prepend=True)
    assert m(seek.ones(2)).tolist() == [3.0, 3.0]
    assert order == [("a",), ("b", 3.0)]
    with nn.Linear(1, 1).register_forward_hook(lambda *a: None) as handle:
        assert isinstance(handle, nn.RemovableHandle)


def test_hooks_run_when_a_cpp_parent_calls_the_child():
    seek.manual_seed(0)
    seq = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    seen = []
    handle = seq[1].register_forward_hook(lambda m, args, out: seen.append(tuple(out.shape)))
    seq(seek.randn(5, 3))
    assert seen == [(5, 4)]
    handle.remove()
    seq(seek.randn(5, 3))
    assert seen == [(5, 4)]
    # A hook on a block inside a C++ model (feature extraction).
    model = seek.models.resnet20(num_classes=10)
    feats = {}
    model.layer3.register_forward_hook(lambda m, args, out: feats.setdefault("layer3", out))
    model.eval()
    model(seek.randn(2, 3, 32, 32))
    assert tuple(feats["layer3"].shape) == (2, 64, 8, 8)


def test_full_backward_hook_gets_grad_input_and_grad_output():
    lin = nn.Linear(3, 2)
    x = seek.randn(4, 3, requires_grad=True)
    got = []

    def hook(module, grad_input, grad_output):
        got.append((module is lin, [None if g is None else tuple(g.shape) for g in grad_input],
                    [tuple(g.shape) for g in grad_output], grad_output[0].tolist()))
        return (grad_input[0] * 10,)

    lin.register_full_backward_hook(hook)
    out = lin(x)
    (out * seek.tensor([1.0, 2.0])).sum().backward()
    assert len(got) == 1
    _, gin, gout, gout_values = got[0]
    assert gin == [(4, 3)] and gout == [(4, 2)] and gout_values == [[1.0, 2.0]] * 4
    expected = (seek.tensor([[1.0, 2.0]] * 4) @ lin.weight) * 10
    np.testing.assert_allclose(x.grad.tolist(), expected.tolist(), rtol=1e-5)


def test_full_backward_hook_on_an_input_without_grad():
    lin = nn.Linear(3, 2)
    got = []
    lin.register_full_backward_hook(lambda m, gin, gout: got.append((gin, tuple(gout[0].shape))))
    lin(seek.randn(4, 3)).sum().backward()
    assert got == [((None,), (4, 2))]
    assert lin.weight.grad is not None


def test_backward_hook_returning_the_wrong_count_raises():
    lin = nn.Linear(3, 2)
    lin.register_full_backward_hook(lambda m, gin, gout: (gin[0], gin[0]))
    with pytest.raises(RuntimeError, match="returned 2 gradients, expected 1"):
        lin(seek.randn(4, 3, requires_grad=True)).sum().backward()


def test_a_hook_returning_a_non_tensor_inside_a_cpp_parent_raises():
    seq = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
    seq[1].register_forward_hook(lambda m, args, out: "oops")
    with pytest.raises(TypeError, match="must return a seek.Tensor, got str"):
        seq(seek.ones(1, 2))


def test_hook_must_be_callable():
    with pytest.raises(TypeError, match="callable"):
        nn.Linear(1, 1).register_forward_hook(3)


# ---- load_state_dict, apply, iterators ----------------------------------------------------------


def test_load_state_dict_reports_missing_and_unexpected_keys():
    net = Net()
    sd = net.state_dict()
    del sd["fc2.bias"]
    sd["extra.weight"] = seek.zeros(1)
    result = net.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["fc2.bias"] and result.unexpected_keys == ["extra.weight"]
    missing, unexpected = result
    assert missing == ["fc2.bias"]
    with pytest.raises(ValueError, match="fc2.bias") as err:
        net.load_state_dict(sd)
    assert "extra.weight" in str(err.value)
    sd = net.state_dict()
    sd["fc1.weight"] = seek.zeros(5, 3)
    with pytest.raises(ValueError, match=r"fc1\.weight.*\[?5, 3\]?.*\[?4, 3\]?|fc1\.weight.*4, 3.*5, 3"):
        net.load_state_dict(sd, strict=False)


def test_apply_visits_children_first():
    net = Net()
    order = []
    assert net.apply(lambda m: order.append(type(m).__name__)) is net
    assert order == ["Linear", "ReLU", "Linear", "Net"]


def test_iterators_are_generators():
    import types

    net = Net()
    for it in (net.parameters(), net.named_parameters(), net.buffers(), net.named_buffers(), net.children(),
               net.named_children(), net.modules(), net.named_modules()):
        assert isinstance(it, types.GeneratorType)
    assert [n for n, _ in net.named_parameters()] == ["scale", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"] \
        or sorted(n for n, _ in net.named_parameters()) == sorted(["scale", "fc1.weight", "fc1.bias", "fc2.weight",
                                                                   "fc2.bias"])
    assert [n for n, _ in net.named_parameters(prefix="net", recurse=False)] == ["net.scale"]
    assert [n for n, _ in net.named_modules(prefix="m")][:2] == ["m", "m.fc1"]
    assert len(list(net.modules())) == 4 and len(list(net.children())) == 3
    assert next(net.fc1.parameters()).shape == (4, 3)


# ---- deepcopy and pickle ------------------------------------------------------------------------


def same_outputs(a, b, x):
    np.testing.assert_allclose(a(x).tolist(), b(x).tolist(), rtol=1e-6)


@pytest.mark.parametrize("copier", ["deepcopy", "pickle"])
def test_python_module_with_cpp_children_round_trips(copier):
    seek.manual_seed(1)
    net = Net()
    net.count.add_(3)
    net.fc1.weight.requires_grad_(False)
    net.eval()
    twin = copy.deepcopy(net) if copier == "deepcopy" else pickle.loads(pickle.dumps(net))
    assert type(twin) is Net and twin is not net and twin.note == "hello"
    assert not twin.training and not twin.fc2.training
    assert twin.count.tolist() == [3.0] and not twin.fc1.weight.requires_grad and twin.fc2.weight.requires_grad
    x = seek.randn(2, 3)
    same_outputs(net, twin, x)
    with seek.no_grad():
        twin.fc2.weight.add_(1.0)  # independent storage
    assert not np.allclose(net(x).tolist(), twin(x).tolist())
    assert [n for n, _ in twin.named_parameters()] == [n for n, _ in net.named_parameters()]


@pytest.mark.parametrize("copier", ["deepcopy", "pickle"])
def test_cpp_models_and_containers_round_trip(copier):
    def clone(m):
        return copy.deepcopy(m) if copier == "deepcopy" else pickle.loads(pickle.dumps(m))

    seek.manual_seed(2)
    model = seek.models.resnet20(num_classes=10)
    model.fc = nn.Linear(64, 5)  # a replaced child survives
    model.eval()
    twin = clone(model)
    x = seek.randn(2, 3, 32, 32)
    same_outputs(model, twin, x)
    assert twin.fc.out_features == 5 if hasattr(twin.fc, "out_features") else True

    seq = nn.Sequential(nn.Linear(3, 4), nn.ReLU())
    seq.append(nn.Linear(4, 1)) if hasattr(seq, "append") else None
    twin = clone(seq)
    same_outputs(seq, twin, seek.randn(2, 3))

    lin = nn.Linear(3, 2).double()
    twin = clone(lin)
    assert twin.weight.dtype == seek.float64
    same_outputs(lin, twin, seek.randn(2, 3, dtype=seek.float64))


def test_deepcopy_keeps_hooks_and_the_copy_is_independent():
    lin = nn.Linear(2, 2)
    seen = []
    lin.register_forward_hook(lambda m, a, out: seen.append(1))
    twin = copy.deepcopy(lin)
    twin(seek.ones(1, 2))
    assert seen == [1]


@pytest.mark.parametrize("copier", ["deepcopy", "pickle"])
def test_tensors_round_trip(copier):
    def clone(t):
        return copy.deepcopy(t) if copier == "deepcopy" else pickle.loads(pickle.dumps(t))

    base = seek.arange(12, dtype=seek.float32).reshape(3, 4)
    for t in (base, base.t(), base[1:, ::2], base.transpose(0, 1)[2], seek.randn(3, requires_grad=True),
              seek.tensor([1, 2, 3]), seek.tensor([True, False])):
        c = clone(t)
        assert c.tolist() == t.tolist() and c.dtype == t.dtype and tuple(c.shape) == tuple(t.shape)
        assert c.requires_grad == t.requires_grad


def test_module_built_in_cpp_without_recipe_explains():
    from seek.nn import _module_ext

    child = seek.models.resnet20().layer1  # built inside C++ by the model's constructor
    with pytest.raises(TypeError, match="built inside C\\+\\+"):
        _module_ext._rebuild(_module_ext._describe(child))


# ---- share_memory_ and multiprocessing ----------------------------------------------------------


def test_share_memory_and_multiprocessing_explain_threads():
    t = seek.ones(3)
    assert t.share_memory_() is t and not t.is_shared()
    net = Net()
    assert net.share_memory() is net
    import seek.multiprocessing as smp

    for make in (lambda: smp.Process(target=print), lambda: smp.spawn(print, nprocs=2), lambda: smp.Pool(2)):
        with pytest.raises(RuntimeError, match="threading.Thread"):
            make()
    assert smp.cpu_count() >= 1


def test_hogwild_with_threads_updates_one_model():
    import threading

    seek.manual_seed(3)
    model = nn.Linear(4, 1)
    model.share_memory()
    x = seek.randn(64, 4)
    y = x @ seek.tensor([[1.0], [-2.0], [0.5], [3.0]])
    before = float(((model(x) - y) ** 2).mean())

    def train(rank):
        opt = seek.optim.SGD(model.parameters(), lr=0.05)
        for _ in range(50):
            opt.zero_grad()
            ((model(x) - y) ** 2).mean().backward()
            opt.step()

    workers = [threading.Thread(target=train, args=(r,)) for r in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert float(((model(x) - y) ** 2).mean()) < before / 10

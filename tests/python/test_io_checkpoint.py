"""seek.save / seek.load of nested checkpoints (python/seek/io/checkpoint.py): every kind of
value, views sharing a storage, requires_grad, file objects, map_location, the file layout
other safetensors readers see, and malformed structures."""
import collections
import io
import json
import math
import struct

import pytest

import seek
from seek import nn


def training_state():
    seek.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    opt = seek.optim.Adam(model.parameters(), lr=0.01)
    model(seek.randn(5, 3)).pow(2).sum().backward()
    opt.step()
    return model, opt


def assert_same(a, b):
    """Equal tensors (dtype, shape, values), recursively through the dicts and lists of a state dict."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b)
        for k in a:
            assert_same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
    elif isinstance(a, seek.Tensor):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert a.float().tolist() == b.float().tolist()
    else:
        assert a == b


def test_nested_checkpoint_round_trip(tmp_path):
    model, opt = training_state()
    sched = seek.optim.lr_scheduler.StepLR(opt, 3)
    ckpt = {"epoch": 3, "step": 120, "model": model.state_dict(), "optimizer": opt.state_dict(),
            "scheduler": sched.state_dict(), "best": 0.875, "name": "run-1", "done": False, "note": None,
            "history": [1.5, 0.75, (2, "b")], 10: {"nan": math.nan, "inf": -math.inf}, "raw": b"\x00\xff",
            "tags": {"a", "b"}, "frozen": frozenset({(1, 2)})}
    path = tmp_path / "ckpt.pt"
    seek.save(ckpt, path)
    back = seek.load(path)
    assert list(back) == list(ckpt)
    assert back["epoch"] == 3 and type(back["epoch"]) is int
    assert back["best"] == 0.875 and back["name"] == "run-1" and back["done"] is False and back["note"] is None
    assert back["history"] == [1.5, 0.75, (2, "b")]
    assert back[10]["inf"] == -math.inf and math.isnan(back[10]["nan"])
    assert back["raw"] == b"\x00\xff" and back["tags"] == {"a", "b"} and back["frozen"] == frozenset({(1, 2)})
    assert back["scheduler"] == sched.state_dict()
    assert type(back["model"]) is collections.OrderedDict and type(back) is dict
    # The states load into fresh objects and match.
    model2, opt2 = training_state()
    model2.load_state_dict(back["model"])
    opt2.load_state_dict(back["optimizer"])
    for (k, a), (k2, b) in zip(model.state_dict().items(), model2.state_dict().items()):
        assert k == k2
        assert_same(a, b)
    assert set(opt.state_dict()) == {"state", "param_groups"}  # PyTorch's layout, nested
    assert_same(opt.state_dict(), opt2.state_dict())


def test_views_of_one_storage_stay_views_and_shared_tensors_stay_one_object(tmp_path):
    base = seek.arange(12).float().reshape(3, 4)
    obj = {"t": base.t(), "row": base[1], "col": base[:, 2], "base": base, "again": [base, base],
           "other": seek.ones(2)}
    path = tmp_path / "views.pt"
    seek.save(obj, path)
    back = seek.load(path)
    assert back["t"].tolist() == base.t().tolist() and back["t"].stride() == (1, 4)
    assert back["col"].tolist() == [2.0, 6.0, 10.0]
    assert back["again"][0] is back["again"][1] is back["base"]
    back["base"][1, 2] = 100.0                          # one storage: every view sees the write
    assert back["row"][2].item() == 100.0 and back["col"][1].item() == 100.0 and back["t"][2, 1].item() == 100.0
    assert back["other"].tolist() == [1.0, 1.0]
    # The storage is stored once: 12 floats + 2, not 12 + 4 + 3 + 12 + 2.
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    assert len(raw) - 8 - n == (12 + 2) * 4


def test_requires_grad_and_parameters_survive(tmp_path):
    p = nn.Parameter(seek.ones(2))
    g = seek.zeros(3).requires_grad_()
    path = tmp_path / "p.pt"
    seek.save({"p": p, "g": g, "plain": seek.ones(1)}, path)
    back = seek.load(path)
    assert back["p"].requires_grad and isinstance(back["p"], nn.Parameter)
    assert back["g"].requires_grad and back["g"].is_leaf
    assert not back["plain"].requires_grad


def test_file_objects_and_map_location(tmp_path):
    model, opt = training_state()
    buf = io.BytesIO()
    seek.save({"model": model.state_dict(), "epoch": 1}, buf)
    buf.seek(0)
    back = seek.load(buf, map_location="cpu", weights_only=True)
    assert back["epoch"] == 1
    assert_same(back["model"]["0.weight"], model.state_dict()["0.weight"])
    with open(tmp_path / "f.pt", "wb") as f:
        seek.save([seek.ones(2)], f)
    with open(tmp_path / "f.pt", "rb") as f:
        assert seek.load(f, map_location={"cpu": "cpu"})[0].tolist() == [1.0, 1.0]
    seen = []
    out = seek.load(tmp_path / "f.pt", map_location=lambda t, loc: seen.append(loc) or t * 2)
    assert out[0].tolist() == [2.0, 2.0] and seen == ["cpu"]
    with open(tmp_path / "f.pt", "r", encoding="latin-1") as f:
        with pytest.raises(TypeError, match="binary mode"):
            seek.load(f)
    with pytest.raises(TypeError, match="weights_only must be a bool"):
        seek.load(tmp_path / "f.pt", weights_only="yes")


def test_a_state_dict_keeps_the_plain_safetensors_layout(tmp_path):
    # Other safetensors readers see exactly the state_dict's names.
    model, _ = training_state()
    path = tmp_path / "sd.safetensors"
    seek.save(model.state_dict(), path)
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    assert sorted(k for k in header if k != "__metadata__") == sorted(model.state_dict())
    assert json.loads(header["__metadata__"]["seek.structure"])["version"] == 1
    # A safetensors file without the structure loads as an OrderedDict of its tensors.
    seek.io.safetensors.save_file({"w": seek.ones(2)}, tmp_path / "plain.safetensors")
    plain = seek.load(tmp_path / "plain.safetensors")
    assert type(plain) is collections.OrderedDict and list(plain) == ["w"]


def test_tensor_names_follow_paths_and_stay_unique(tmp_path):
    path = tmp_path / "n.pt"
    seek.save({"a": {"b": seek.ones(1)}, "a.b": seek.zeros(1), "__metadata__": seek.ones(1), "l": [seek.ones(1)]},
              path)
    names = seek.io.safetensors.load_file(path)
    assert set(names) == {"a.b", "a.b#1", "__metadata__#1", "l.0"}
    back = seek.load(path)
    assert back["a"]["b"].tolist() == [1.0] and back["a.b"].tolist() == [0.0]


def test_malformed_structures_are_rejected(tmp_path):
    def write(structure, tensors=None):
        path = tmp_path / "bad.pt"
        seek.io.safetensors.save_file(tensors or {"t": seek.ones(4)}, path,
                                      metadata={"seek.structure": structure})
        return path

    cases = [
        ("{", "not valid JSON"),
        (json.dumps({"version": 99, "root": None}), "unknown structure version 99"),
        (json.dumps({"version": 1, "root": {"tensor": "missing"}}), "tensor 'missing' is not in the file"),
        (json.dumps({"version": 1, "root": {"what": 1}}), "unknown node 'what'"),
        (json.dumps({"version": 1, "root": {"dict": [[1]]}}), "'dict' is not a list of pairs"),
        (json.dumps({"version": 1, "root": {"set": [[1]]}}), "unhashable"),
        (json.dumps({"version": 1, "root": {"tensor": "t", "view": [[5], [1], 0]}}), "does not fit its storage"),
        (json.dumps({"version": 1, "root": {"tensor": "t", "view": "x"}}), "the view of tensor 't'"),
        (json.dumps({"version": 1, "root": {"a": 1, "b": 2}}), "a node with keys"),
    ]
    for structure, words in cases:
        with pytest.raises(RuntimeError, match=words):
            seek.load(write(structure))

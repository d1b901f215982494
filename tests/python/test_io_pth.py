"""seek.load of PyTorch .pt/.pth files (torch 1.13's zip format) without PyTorch: the files of
tests/data/pth/ and their values in expected.json come from tests/python/ref/gen_pth.py."""
import collections
import io
import json
import os

import pytest

import seek
from seek import nn

DATA = os.path.join(os.path.dirname(__file__), "..", "data", "pth")
EXPECTED = json.load(open(os.path.join(DATA, "expected.json")))


def path(name):
    return os.path.join(DATA, name)


def check(t, want):
    assert str(t.dtype).replace("seek.", "") == want["dtype"].replace("torch.", "")
    assert list(t.shape) == want["shape"]
    got = t.flatten().tolist() if t.dtype == seek.bool else t.double().flatten().tolist()
    assert got == pytest.approx(want["values"], rel=1e-7) if t.dtype != seek.bool else got == want["values"]


def test_state_dict_of_a_model_loads_into_seek():
    sd = seek.load(path("state_dict.pth"))
    assert type(sd) is collections.OrderedDict
    assert sorted(sd) == sorted(EXPECTED["state_dict"])
    assert list(sd)[:3] == ["0.weight", "0.bias", "1.weight"]  # torch's order
    for k, want in EXPECTED["state_dict"].items():
        check(sd[k], want)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))
    model.load_state_dict(sd)
    check(model.state_dict()["3.weight"], EXPECTED["state_dict"]["3.weight"])
    # The deflated copy and a file object read the same.
    deflated = seek.load(path("deflated.pth"))
    with open(path("state_dict.pth"), "rb") as f:
        from_file = seek.load(f, map_location="cpu", weights_only=True)
    for k in sd:
        assert deflated[k].tolist() == sd[k].tolist() == from_file[k].tolist()


def test_nested_checkpoint():
    ck = seek.load(path("checkpoint.pth"))
    assert ck["epoch"] == 3 and ck["loss"] == 0.25 and ck["name"] == "run-1"
    assert ck["flags"] == [True, False, None] and ck["pair"] == (1, -2.5) and ck["big"] == 2 ** 40
    assert ck["ids"] == {7: "seven"}
    groups = ck["optimizer"]["param_groups"]
    want = EXPECTED["checkpoint"]["param_groups"]
    assert [g["params"] for g in groups] == [g["params"] for g in want]
    assert groups[0]["betas"] == (0.9, 0.999) and groups[0]["lr"] == want[0]["lr"]
    assert sorted(ck["optimizer"]["state"]) == EXPECTED["checkpoint"]["state_keys"]
    state0 = ck["optimizer"]["state"][0]
    assert state0["exp_avg"].double().flatten().tolist() == pytest.approx(EXPECTED["checkpoint"]["exp_avg_0"])
    assert state0["step"].item() == EXPECTED["checkpoint"]["step_0"][0]


def test_layouts_dtypes_and_shared_storage():
    t = seek.load(path("tensors.pth"))
    for k, want in EXPECTED["tensors"].items():
        check(t[k], want)
        assert list(t[k].stride()) == want["stride"]
    # Views of one storage in PyTorch are views of one storage here.
    t["base"][1, 2] = -1.0
    assert t["row"][2].item() == -1.0 and t["col"][1].item() == -1.0 and t["transposed"][2, 1].item() == -1.0
    assert t["param"].requires_grad and isinstance(t["param"], nn.Parameter)


def test_malicious_and_legacy_files_are_refused():
    with pytest.raises(RuntimeError, match=r"global 'posix.system', which seek's restricted unpickler does not allow"):
        seek.load(path("malicious.pth"))
    with pytest.raises(RuntimeError, match="legacy raw-pickle format.*re-save it"):
        seek.load(path("legacy.pth"))
    with open(path("malicious.pth"), "rb") as f:
        data = f.read()
    with pytest.raises(RuntimeError, match="posix.system"):
        seek.load(io.BytesIO(data))
    with pytest.raises(RuntimeError, match="not a valid zip archive"):
        seek.load(io.BytesIO(data[:200]))

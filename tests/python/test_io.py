"""seek.save / seek.load and seek.io.safetensors: round trips of dtype, shape and values,
metadata, files written by hand in the safetensors layout, and the errors for bad objects
and bad files."""
import collections
import json
import os
import struct

import numpy as np
import pytest

import seek
from seek import nn
from seek.io.safetensors import load, load_file, load_metadata, save, save_file


def sample_tensors():
    return collections.OrderedDict([
        ("f32", seek.tensor([[1.5, -2.0, 3.25], [0.0, 7.0, -0.125]])),
        ("f64", seek.tensor([1e-300, -2.5], dtype=seek.float64)),
        ("f16", seek.tensor([0.5, 65504.0, -1.0], dtype=seek.float16)),
        ("bf16", seek.tensor([[1.0, -3.0], [0.0078125, 256.0]], dtype=seek.bfloat16)),
        ("i64", seek.tensor([-(2 ** 40), 7])),
        ("i32", seek.tensor([[-5], [9]], dtype=seek.int32)),
        ("i8", seek.tensor([-128, 127], dtype=seek.int8)),
        ("u8", seek.tensor([0, 255], dtype=seek.uint8)),
        ("bool", seek.tensor([True, False, True])),
        ("scalar", seek.tensor(3.5)),
        ("empty", seek.zeros(0, 4)),
    ])


def assert_same(a, b):
    assert a.dtype == b.dtype and a.shape == b.shape
    assert a.float().tolist() == b.float().tolist()


def test_save_load_round_trip_of_every_dtype(tmp_path):
    tensors = sample_tensors()
    path = tmp_path / "all.safetensors"
    seek.save(tensors, path)
    back = seek.load(str(path))
    assert isinstance(back, collections.OrderedDict)
    assert list(back) == list(tensors)               # the saved order
    for name, t in tensors.items():
        assert_same(back[name], t)


def test_module_state_dict_round_trip(tmp_path):
    seek.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    net(seek.randn(5, 3))                            # running stats change
    path = os.path.join(tmp_path, "net.safetensors")
    seek.save(net.state_dict(), path)
    seek.manual_seed(1)
    other = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    other.load_state_dict(seek.load(path))
    for (k, a), (k2, b) in zip(net.state_dict().items(), other.state_dict().items()):
        assert k == k2
        assert_same(a, b)
    loaded = seek.load(path)
    assert not loaded["0.weight"].requires_grad


def test_non_contiguous_and_views_are_saved_by_value(tmp_path):
    base = seek.arange(12).float().reshape(3, 4)
    path = tmp_path / "views.safetensors"
    seek.save({"t": base.t(), "row": base[1], "col": base[:, 2]}, path)
    back = seek.load(path)
    assert back["t"].tolist() == base.t().tolist()
    assert back["row"].tolist() == [4.0, 5.0, 6.0, 7.0]
    assert back["col"].tolist() == [2.0, 6.0, 10.0]


def test_map_location(tmp_path):
    path = tmp_path / "m.safetensors"
    seek.save({"a": seek.ones(2)}, path)
    back = seek.load(path, map_location="cpu")
    assert back["a"].device == seek.device("cpu")


def test_save_file_load_file_and_metadata(tmp_path):
    path = str(tmp_path / "m.safetensors")
    save_file({"w": seek.ones(2, 3), "b": seek.zeros(3)}, path, metadata={"format": "pt", "epoch": "3"})
    out = load_file(path)
    assert type(out) is dict and sorted(out) == ["b", "w"]
    assert out["w"].tolist() == [[1.0] * 3] * 2
    assert load_metadata(path) == {"format": "pt", "epoch": "3"}
    save_file({"w": seek.ones(1)}, path)             # overwrites, no metadata
    assert load_metadata(path) == {}


def test_save_and_load_bytes():
    data = save({"x": seek.tensor([1, 2, 3], dtype=seek.int32)}, metadata={"k": "v"})
    assert isinstance(data, bytes)
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    assert header["__metadata__"] == {"k": "v"}
    assert header["x"] == {"dtype": "I32", "shape": [3], "data_offsets": [0, 12]}
    assert data[8 + n:] == np.array([1, 2, 3], dtype="<i4").tobytes()
    assert load(data)["x"].tolist() == [1, 2, 3]


def write_by_hand(path, entries, metadata=None):
    """A safetensors file written with struct + json (entries: name -> (code, shape, bytes))."""
    header, blobs, offset = {}, [], 0
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, (code, shape, raw) in entries.items():
        header[name] = {"dtype": code, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def test_reads_a_file_written_by_hand(tmp_path):
    path = tmp_path / "hand.safetensors"
    a = np.array([[1.0, 2.0], [3.0, -4.5]], dtype="<f4")
    b = np.array([10, -20, 30], dtype="<i8")
    h = np.array([0.25, -8.0], dtype="<f2")
    write_by_hand(path, {"a": ("F32", [2, 2], a.tobytes()), "b": ("I64", [3], b.tobytes()),
                         "h": ("F16", [2], h.tobytes())}, metadata={"source": "hand"})
    out = load_file(path)
    assert out["a"].dtype == seek.float32 and out["a"].tolist() == a.tolist()
    assert out["b"].dtype == seek.int64 and out["b"].tolist() == b.tolist()
    assert out["h"].dtype == seek.float16 and out["h"].float().tolist() == [0.25, -8.0]
    assert load_metadata(path) == {"source": "hand"}


def test_file_written_by_seek_has_the_standard_layout(tmp_path):
    path = tmp_path / "layout.safetensors"
    seek.save({"w": seek.tensor([[1.0, 2.0]]), "n": seek.tensor([5], dtype=seek.int64)}, path)
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    assert n % 8 == 0
    header = json.loads(raw[8:8 + n])
    assert header["w"] == {"dtype": "F32", "shape": [1, 2], "data_offsets": [0, 8]}
    assert header["n"] == {"dtype": "I64", "shape": [1], "data_offsets": [8, 16]}
    assert raw[8 + n:] == np.array([1.0, 2.0], dtype="<f4").tobytes() + np.array([5], dtype="<i8").tobytes()


def test_save_rejects_objects_it_cannot_store(tmp_path):
    # Nested checkpoints (lists, int keys, numbers) are saved (test_io_checkpoint.py); modules,
    # optimizers and arbitrary objects are not, and nothing is written for them.
    path = tmp_path / "x.safetensors"
    with pytest.raises(TypeError, match=r"seek.save: cannot save a Linear object itself \(save obj.state_dict\(\) "
                                        r"instead\)"):
        seek.save(nn.Linear(2, 2), path)
    with pytest.raises(TypeError, match=r"cannot save Linear at model \(save obj.state_dict\(\) instead\)"):
        seek.save({"model": nn.Linear(2, 2)}, path)
    with pytest.raises(TypeError, match=r"cannot save object at a.1"):
        seek.save({"a": [1, object()]}, path)
    with pytest.raises(TypeError, match=r"cannot save a dict key or set element of type Tensor"):
        seek.save({seek.ones(1): 1}, path)
    with pytest.raises(TypeError, match="metadata must map str to str"):
        save_file({"a": seek.ones(1)}, path, metadata={"epoch": 3})
    with pytest.raises(TypeError, match="expected a file path"):
        seek.save({"a": seek.ones(1)}, 42)
    assert not path.exists()
    with pytest.raises(RuntimeError, match="no_such_dir"):
        seek.save({"a": seek.ones(1)}, tmp_path / "no_such_dir" / "x.safetensors")


def test_missing_and_corrupted_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        seek.load(tmp_path / "missing.safetensors")
    with pytest.raises(FileNotFoundError):
        load_file(str(tmp_path / "missing.safetensors"))
    with pytest.raises(IsADirectoryError):
        seek.load(tmp_path)

    path = tmp_path / "good.safetensors"
    seek.save({"a": seek.arange(16).float()}, path)
    raw = path.read_bytes()

    truncated = tmp_path / "truncated.safetensors"
    truncated.write_bytes(raw[:-5])
    with pytest.raises(RuntimeError, match="truncated.safetensors"):
        seek.load(truncated)

    bad_header = tmp_path / "bad_header.safetensors"
    bad_header.write_bytes(struct.pack("<Q", 10 ** 12) + raw[8:])
    with pytest.raises(RuntimeError, match="bad_header.safetensors"):
        seek.load(bad_header)

    garbage = tmp_path / "garbage.safetensors"
    (n,) = struct.unpack("<Q", raw[:8])
    garbage.write_bytes(raw[:8] + b"{" * n + raw[8 + n:])
    with pytest.raises(RuntimeError, match="garbage.safetensors"):
        seek.load(garbage)

    with pytest.raises(RuntimeError):
        load(b"\x01\x02")
    with pytest.raises(TypeError, match="expected the bytes"):
        load("not bytes")


def test_optimizer_state_dict_round_trip(tmp_path):
    seek.manual_seed(0)
    layer = nn.Linear(3, 2)
    opt = seek.optim.Adam(layer.parameters(), lr=0.01)
    for _ in range(2):
        opt.zero_grad()
        layer(seek.randn(4, 3)).pow(2).sum().backward()
        opt.step()
    path = tmp_path / "opt.safetensors"
    seek.save(opt.state_dict(), path)
    fresh = seek.optim.Adam(layer.parameters(), lr=0.5)
    fresh.load_state_dict(seek.load(path))
    assert fresh.param_groups[0]["lr"] == 0.01
    saved, loaded = opt.state_dict(), fresh.state_dict()
    assert saved["param_groups"] == loaded["param_groups"]
    assert saved["state"].keys() == loaded["state"].keys()
    for i, state in saved["state"].items():
        assert state.keys() == loaded["state"][i].keys()
        for k, a in state.items():
            assert_same(a, loaded["state"][i][k])

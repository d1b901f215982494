"""Writes the PyTorch 1.13 files of tests/data/pth/ that tests/python/test_io_pth.py and
tests/cpp/io/test_pth_reader.cpp read (seek reads them without PyTorch), and expected.json
with their values. Run with a python that has torch 1.13:

    /work/torchref/bin/python tests/python/ref/gen_pth.py
"""
import collections
import io
import json
import os
import pickle
import zipfile

import torch

out = os.path.join(os.path.dirname(__file__), "..", "..", "data", "pth")
os.makedirs(out, exist_ok=True)
torch.manual_seed(0)


def values(t):
    return t.detach().to(torch.float64).flatten().tolist() if t.dtype != torch.bool else t.flatten().tolist()


expected = {}

# 1. A small model's state_dict (Linear, BatchNorm1d with its int64 num_batches_tracked).
model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
model(torch.randn(5, 3))  # updates the running stats
sd = model.state_dict()
torch.save(sd, os.path.join(out, "state_dict.pth"))
expected["state_dict"] = {k: {"dtype": str(v.dtype), "shape": list(v.shape), "values": values(v)} for k, v in sd.items()}

# 2. A nested training checkpoint: epoch, model, optimizer (Adam after one step), scalars.
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
model(torch.randn(5, 3)).sum().backward()
opt.step()
ckpt = {"epoch": 3, "model": model.state_dict(), "optimizer": opt.state_dict(), "loss": 0.25, "name": "run-1",
        "flags": [True, False, None], "pair": (1, -2.5), "big": 2**40, "ids": {7: "seven"}}
torch.save(ckpt, os.path.join(out, "checkpoint.pth"))
osd = opt.state_dict()
expected["checkpoint"] = {
    "param_groups": json.loads(json.dumps(osd["param_groups"])),
    "state_keys": sorted(osd["state"].keys()),
    "exp_avg_0": values(osd["state"][0]["exp_avg"]),
    "step_0": values(osd["state"][0]["step"]),
}

# 3. Layouts and dtypes: a transposed (non-contiguous) tensor, two views of one storage,
#    bf16 / f16 / f64 / int64 / int32 / int8 / uint8 / bool, 0-d and empty tensors, a Parameter.
base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
tensors = collections.OrderedDict(
    transposed=base.t(), base=base, row=base[1], col=base[:, 2],
    bf16=torch.tensor([1.5, -2.25, 3e38], dtype=torch.bfloat16), f16=torch.tensor([0.5, -65504.0], dtype=torch.float16),
    f64=torch.tensor([1 / 3, -1e300], dtype=torch.float64), i64=torch.tensor([-(2**62), 5]),
    i32=torch.tensor([-7, 2**31 - 1], dtype=torch.int32), i8=torch.tensor([-128, 127], dtype=torch.int8),
    u8=torch.tensor([0, 255], dtype=torch.uint8), flags=torch.tensor([True, False, True]),
    scalar=torch.tensor(2.5), empty=torch.zeros(0, 3), param=torch.nn.Parameter(torch.tensor([1.0, 2.0])))
torch.save(tensors, os.path.join(out, "tensors.pth"))
expected["tensors"] = {k: {"dtype": str(v.dtype), "shape": list(v.shape), "stride": list(v.stride()),
                           "values": values(v)} for k, v in tensors.items()}

# 4. The same state_dict re-zipped with deflate (torch writes stored entries; other tools compress).
with zipfile.ZipFile(os.path.join(out, "state_dict.pth")) as src, \
        zipfile.ZipFile(os.path.join(out, "deflated.pth"), "w", zipfile.ZIP_DEFLATED) as dst:
    for info in src.infolist():
        dst.writestr(info.filename, src.read(info.filename))

# 5. The legacy (pre-1.6) format: a raw pickle stream, not a zip.
torch.save({"w": torch.ones(2)}, os.path.join(out, "legacy.pth"), _use_new_zipfile_serialization=False)


# 6. A malicious file: its pickle calls os.system when unpickled.
class Exploit:
    def __reduce__(self):
        return (os.system, ("echo seek-should-never-run-this",))


torch.save({"w": torch.ones(2), "x": Exploit()}, os.path.join(out, "malicious.pth"))

with open(os.path.join(out, "expected.json"), "w") as f:
    json.dump(expected, f, indent=1, sort_keys=True)
for name in sorted(os.listdir(out)):
    print(name, os.path.getsize(os.path.join(out, name)))

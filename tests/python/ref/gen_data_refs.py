"""Writes data_refs.json: PyTorch 1.13 reference values for test_utils_data.py and
test_vision_transforms.py. Run with the torch reference interpreter:

    /work/torchref/bin/python tests/python/ref/gen_data_refs.py

torchvision is not installed there, so the transforms' tensor paths are computed as
torchvision 0.14 computes them (the functions named below), from torch ops.
"""
import collections
import json
import pathlib

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import default_collate

out = {}


def structure(x):
    """A JSON description of a collated batch: types, dtypes, shapes and values."""
    if isinstance(x, torch.Tensor):
        return {"tensor": str(x.dtype).replace("torch.", ""), "shape": list(x.shape), "values": x.tolist()}
    if isinstance(x, dict):
        return {"dict": {k: structure(v) for k, v in x.items()}}
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return {"namedtuple": [structure(v) for v in x]}
    if isinstance(x, (list, tuple)):
        return {type(x).__name__: [structure(v) for v in x]}
    return {"value": x}


Point = collections.namedtuple("Point", ["x", "y"])
samples = [
    (np.arange(6, dtype=np.float32).reshape(2, 3) + 10 * i, i, 0.5 * i, "s%d" % i,
     {"boxes": torch.tensor([[i, i + 1.0]]), "label": [i, 2 * i]}, Point(i, np.int32(i)), True if i % 2 else False)
    for i in range(3)
]
out["collate_nested"] = structure(default_collate(samples))

# Resize: torchvision.transforms.functional.resize on a tensor = interpolate(bilinear, align_corners=False,
# antialias=False) (uint8 input: on float, rounded back).
g = torch.Generator().manual_seed(0)
img = torch.rand(3, 5, 7, generator=g)
out["resize_input"] = img.tolist()
out["resize_bilinear_4x3"] = F.interpolate(img[None], size=[4, 3], mode="bilinear", align_corners=False)[0].tolist()
out["resize_bilinear_up_8x11"] = F.interpolate(img[None], size=[8, 11], mode="bilinear",
                                               align_corners=False)[0].tolist()
out["resize_nearest_4x3"] = F.interpolate(img[None], size=[4, 3], mode="nearest")[0].tolist()
u8 = (img * 255).round().to(torch.uint8)
out["resize_u8_input"] = u8.tolist()
r = F.interpolate(u8[None].float(), size=[4, 3], mode="bilinear", align_corners=False)[0]
out["resize_u8_4x3"] = r.round().clamp(0, 255).to(torch.uint8).tolist()
# Resize(4) keeps the aspect ratio: the short side (5) becomes 4, the long 7 -> int(4 * 7 / 5) = 5.
out["resize_short_side_4"] = F.interpolate(img[None], size=[4, 5], mode="bilinear", align_corners=False)[0].tolist()
# rgb_to_grayscale (torchvision 0.14, tensor path)
r_, g_, b_ = img.unbind(-3)
out["grayscale"] = (0.2989 * r_ + 0.587 * g_ + 0.114 * b_).unsqueeze(-3).tolist()
# pad modes (torchvision tensor path: constant, replicate (edge), reflect; symmetric by its own code,
# which equals numpy's 'symmetric')
out["pad_constant"] = F.pad(img[None], [1, 2, 2, 1], mode="constant", value=0.5)[0].tolist()
out["pad_edge"] = F.pad(img[None], [1, 2, 2, 1], mode="replicate")[0].tolist()
out["pad_reflect"] = F.pad(img[None], [1, 2, 2, 1], mode="reflect")[0].tolist()

path = pathlib.Path(__file__).with_name("data_refs.json")
path.write_text(json.dumps(out))
print("wrote", path)

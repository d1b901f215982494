"""seek.vision.utils: torchvision.utils.make_grid and save_image.

save_image writes a PNG (8-bit grey, grey+alpha, RGB or RGBA) with Python's zlib; no imaging
library is needed. seek.data.read_image reads it back.
"""
import math
import os
import struct
import zlib

import numpy as np

from .. import _C

__all__ = ["make_grid", "save_image", "write_png", "draw_bounding_boxes"]

# torchvision.utils.draw_bounding_boxes (seek/vision/draw.h, C++).
draw_bounding_boxes = _C.vision.draw_bounding_boxes


def _as_batch(tensor):
    if isinstance(tensor, (list, tuple)):
        for i, t in enumerate(tensor):
            if not isinstance(t, _C.Tensor):
                raise TypeError(f"make_grid: tensor[{i}] must be a seek.Tensor, got {type(t).__name__}")
        tensor = _C.stack(list(tensor), 0)
    if not isinstance(tensor, _C.Tensor):
        raise TypeError(f"make_grid: tensor must be a seek.Tensor or a list of them, got {type(tensor).__name__}")
    x = tensor.detach().cpu().float().numpy()
    if x.ndim == 2:
        x = x[None]
    if x.ndim == 3:
        if x.shape[0] == 1:
            x = np.concatenate([x, x, x], 0)
        x = x[None]
    if x.ndim != 4:
        raise ValueError(f"make_grid: expected a [B, C, H, W], [C, H, W] or [H, W] tensor, got shape "
                         f"{tuple(tensor.shape)}")
    if x.shape[1] == 1:
        x = np.concatenate([x, x, x], 1)
    return x


def _normalize(x, value_range, scale_each):
    def norm(img, lo, hi):
        img = np.clip(img, lo, hi)
        return (img - lo) / max(hi - lo, 1e-5)

    if scale_each:
        return np.stack([norm(img, *(value_range or (float(img.min()), float(img.max())))) for img in x])
    return norm(x, *(value_range or (float(x.min()), float(x.max()))))


def make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False, pad_value=0.0,
              **kwargs):
    """The images of a [B, C, H, W] tensor (or a list of [C, H, W]) tiled nrow per row with padding
    pixels of pad_value between them; grey images become 3 channels (as torchvision)."""
    if "range" in kwargs:  # torchvision's old name of value_range
        value_range = kwargs.pop("range")
    if kwargs:
        raise TypeError(f"make_grid: unexpected keyword arguments {sorted(kwargs)}")
    if value_range is not None and not (isinstance(value_range, (tuple, list)) and len(value_range) == 2):
        raise TypeError("make_grid: value_range has to be a tuple (min, max) if specified")
    x = _as_batch(tensor).copy()
    if normalize:
        x = _normalize(x, value_range, scale_each)
    if x.shape[0] == 1:
        return _C.from_numpy(np.ascontiguousarray(x[0], dtype=np.float32))
    nmaps, channels, h, w = x.shape
    xmaps = min(nrow, nmaps)
    ymaps = int(math.ceil(float(nmaps) / xmaps))
    height, width = h + padding, w + padding
    grid = np.full((channels, height * ymaps + padding, width * xmaps + padding), pad_value, dtype=np.float32)
    k = 0
    for yy in range(ymaps):
        for xx in range(xmaps):
            if k >= nmaps:
                break
            top, left = yy * height + padding, xx * width + padding
            grid[:, top:top + h, left:left + w] = x[k]
            k += 1
    return _C.from_numpy(grid)


def _chunk(kind, payload):
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)


def write_png(array, fp):
    """Writes a uint8 [H, W] or [H, W, C] (C = 1, 2, 3, 4) array as a PNG to a path or binary file."""
    a = np.asarray(array)
    if a.dtype != np.uint8:
        raise TypeError(f"write_png: expected a uint8 array, got {a.dtype}")
    if a.ndim == 2:
        a = a[:, :, None]
    if a.ndim != 3 or a.shape[2] not in (1, 2, 3, 4) or a.shape[0] == 0 or a.shape[1] == 0:
        raise ValueError(f"write_png: expected [H, W] or [H, W, C] with C in 1..4 and H, W > 0, got {a.shape}")
    h, w, c = a.shape
    color_type = {1: 0, 2: 4, 3: 2, 4: 6}[c]
    rows = np.concatenate([np.zeros((h, 1), np.uint8), np.ascontiguousarray(a).reshape(h, w * c)], axis=1)
    data = (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, color_type, 0, 0, 0))
            + _chunk(b"IDAT", zlib.compress(rows.tobytes(), 6)) + _chunk(b"IEND", b""))
    if hasattr(fp, "write"):
        fp.write(data)
    else:
        with open(os.fspath(fp), "wb") as f:
            f.write(data)


def save_image(tensor, fp, format=None, **kwargs):
    """make_grid(tensor, **kwargs) saved as a PNG: values in [0, 1] map to 0..255 (rounded)."""
    if format is not None and str(format).lower() != "png":
        raise ValueError(f"save_image: only PNG is written, got format={format!r}")
    if format is None and not hasattr(fp, "write"):
        ext = os.path.splitext(os.fspath(fp))[1].lower()
        if ext not in ("", ".png"):
            raise ValueError(f"save_image: only PNG is written, got a '{ext}' file name")
    grid = make_grid(tensor, **kwargs).numpy()
    ndarr = np.clip(grid * 255 + 0.5, 0, 255).astype(np.uint8).transpose(1, 2, 0)
    write_png(ndarr, fp)

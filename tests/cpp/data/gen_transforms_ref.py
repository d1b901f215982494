"""Reference values for tests/cpp/data/test_transforms.cpp (rotate, resized_crop,
adjust_*), computed in float64 with torch 1.13 the way torchvision's tensor
functional ops do (torchvision itself is not needed): rotate through an affine
grid + grid_sample(align_corners=False) with torchvision's fill mask,
resized_crop through interpolate(align_corners=False), the colour ops through
torchvision's blend / HSV formulas written with torch ops.

Run: /usr/bin/python3 tests/cpp/data/gen_transforms_ref.py  (prints C++ initialisers)
"""
import math

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)


def image(c, h, w):
    # The test image: value k (row-major) is ((k * 37) % 101) / 100.
    k = torch.arange(c * h * w, dtype=torch.float64)
    return (((k * 37) % 101) / 100).reshape(c, h, w)


def rotate(img, angle, mode, fill):
    c, h, w = img.shape
    rot = math.radians(-angle)  # torchvision passes -angle to the inverse matrix
    a, b = math.cos(rot), math.sin(rot)
    matrix = [a, b, 0.0, -b, a, 0.0]
    theta = torch.tensor(matrix).reshape(1, 2, 3)
    # torchvision's _gen_affine_grid: pixel-centre coordinates about the centre.
    base = torch.empty(1, h, w, 3)
    base[..., 0].copy_(torch.linspace(-w * 0.5 + 0.5, w * 0.5 - 0.5, steps=w))
    base[..., 1].copy_(torch.linspace(-h * 0.5 + 0.5, h * 0.5 - 0.5, steps=h).unsqueeze(-1))
    base[..., 2].fill_(1)
    rescaled = theta.transpose(1, 2) / torch.tensor([0.5 * w, 0.5 * h])
    grid = base.view(1, h * w, 3).bmm(rescaled).view(1, h, w, 2)
    x = img.unsqueeze(0)
    if fill is not None:
        x = torch.cat((x, torch.ones(1, 1, h, w)), dim=1)
    out = F.grid_sample(x, grid, mode=mode, padding_mode="zeros", align_corners=False)
    if fill is not None:
        mask = out[:, -1:].expand(1, c, h, w)
        out = out[:, :-1]
        f = torch.tensor(fill if len(fill) == c else fill * c).view(1, c, 1, 1).expand_as(out)
        if mode == "nearest":
            out = torch.where(mask < 0.5, f, out)
        else:
            out = out * mask + (1.0 - mask) * f
    return out[0]


def resized_crop(img, top, left, height, width, size, mode):
    c, h, w = img.shape
    crop = torch.zeros(c, height, width)
    for y in range(height):
        for x in range(width):
            if 0 <= top + y < h and 0 <= left + x < w:
                crop[:, y, x] = img[:, top + y, left + x]
    kw = {"align_corners": False} if mode == "bilinear" else {}
    return F.interpolate(crop.unsqueeze(0), size=size, mode=mode, **kw)[0]


def gray(img):
    r, g, b = img.unbind(-3)
    return (0.2989 * r + 0.587 * g + 0.114 * b).unsqueeze(-3)


def blend(a, b, ratio):
    return (ratio * a + (1.0 - ratio) * b).clamp(0, 1)


def rgb2hsv(img):
    r, g, b = img.unbind(dim=-3)
    maxc = torch.max(img, dim=-3).values
    minc = torch.min(img, dim=-3).values
    eqc = maxc == minc
    cr = maxc - minc
    ones = torch.ones_like(maxc)
    s = cr / torch.where(eqc, ones, maxc)
    cr_divisor = torch.where(eqc, ones, cr)
    rc, gc, bc = (maxc - r) / cr_divisor, (maxc - g) / cr_divisor, (maxc - b) / cr_divisor
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (4.0 + gc - rc)
    h = torch.fmod(((hr + hg + hb) / 6.0 + 1.0), 1.0)
    return torch.stack((h, s, maxc), dim=-3)


def hsv2rgb(img):
    h, s, v = img.unbind(dim=-3)
    i = torch.floor(h * 6.0)
    f = h * 6.0 - i
    i = i.to(torch.int32) % 6
    p = (v * (1.0 - s)).clamp(0, 1)
    q = (v * (1.0 - s * f)).clamp(0, 1)
    t = (v * (1.0 - s * (1.0 - f))).clamp(0, 1)
    mask = i.unsqueeze(dim=-3) == torch.arange(6).view(-1, 1, 1)
    a1 = torch.stack((v, q, p, p, t, v), dim=-3)
    a2 = torch.stack((t, v, v, q, p, p), dim=-3)
    a3 = torch.stack((p, p, t, v, v, q), dim=-3)
    a4 = torch.stack((a1, a2, a3), dim=-4)
    return torch.einsum("...ijk, ...xijk -> ...xjk", mask.to(img.dtype), a4)


def adjust_hue(img, factor):
    h, s, v = rgb2hsv(img).unbind(dim=-3)
    h = (h + factor) % 1.0
    return hsv2rgb(torch.stack((h, s, v), dim=-3))


def emit(name, t):
    vals = [f"{v:.17g}" for v in t.flatten().tolist()]
    print(f"// {name}: shape {list(t.shape)}")
    print(f"const std::vector<double> k{name} = {{")
    for i in range(0, len(vals), 5):
        print("    " + ", ".join(vals[i:i + 5]) + ",")
    print("};")


if __name__ == "__main__":
    img = image(3, 4, 5)
    emit("RotateBilinear30", rotate(img, 30.0, "bilinear", None))
    emit("RotateBilinearFill", rotate(img, -75.0, "bilinear", [0.2, 0.5, 0.9]))
    emit("RotateNearestFill", rotate(img, 50.0, "nearest", [0.25]))
    emit("ResizedCropBilinear", resized_crop(img, 1, 1, 3, 4, (5, 7), "bilinear"))
    emit("ResizedCropDown", resized_crop(img, 0, 0, 4, 5, (3, 2), "bilinear"))
    emit("ResizedCropNearest", resized_crop(img, 0, 1, 4, 3, (6, 5), "nearest"))
    emit("Contrast", blend(img, gray(img).mean(dim=(-3, -2, -1), keepdim=True), 0.6))
    emit("Saturation", blend(img, gray(img), 1.7))
    emit("Hue", adjust_hue(img, 0.3))
    emit("HueNeg", adjust_hue(img, -0.45))

"""seek.data.transforms (also seek.vision.transforms): torchvision.transforms for seek.

Every transform takes what torchvision's takes: tensors [..., C, H, W], PIL images (read through
numpy's array interface; PIL is imported only to return a PIL image for a PIL input) and numpy
arrays [H, W] or [H, W, C], and returns the same kind. ToTensor / PILToTensor turn PIL images
and arrays into tensors, Normalize takes tensors; anything else is a TypeError naming the
transform and the type.

The random transforms (RandomCrop, RandomHorizontalFlip, RandomRotation, RandomResizedCrop,
ColorJitter) and Normalize run in C++: on a tensor inside a seek.data.MapDataset they run without
the GIL, drawing from the dataset's generator (seeded mode); called from Python they draw from
seek's global generator. Compose of C++ transforms on a tensor runs as one C++ call. The batch
transforms MixUp / CutMix / RandomMixUpCutMix work on (data, target) batches (see
seek.data.collate_with_transform).
"""
import numbers

import numpy as np

from .. import _C
from . import _image

_t = _C.data.transforms

Transform = _t.Transform
hflip = _t.hflip
BatchTransform = _t.BatchTransform
MixUp = _t.MixUp
CutMix = _t.CutMix
RandomMixUpCutMix = _t.RandomMixUpCutMix

__all__ = ["Transform", "Compose", "ToTensor", "PILToTensor", "ToPILImage", "ConvertImageDtype", "Normalize",
           "Resize", "CenterCrop", "Pad", "Grayscale", "Lambda", "InterpolationMode", "RandomCrop",
           "RandomHorizontalFlip", "RandomRotation", "RandomResizedCrop", "ColorJitter", "hflip", "BatchTransform",
           "MixUp", "CutMix", "RandomMixUpCutMix"]


class InterpolationMode:
    """torchvision.transforms.InterpolationMode's names (the values are the mode strings)."""

    NEAREST = "nearest"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"


_PIL_RESAMPLE = {"nearest": 0, "bilinear": 2, "bicubic": 3}


def _mode(interpolation, who):
    name = getattr(interpolation, "value", interpolation)
    if isinstance(name, int):  # PIL's resample codes, which old torchvision scripts pass
        name = {v: k for k, v in _PIL_RESAMPLE.items()}.get(name, name)
    if name not in _PIL_RESAMPLE:
        raise ValueError(f"{who}: interpolation must be 'nearest', 'bilinear' or 'bicubic', got {interpolation!r}")
    return name


def _pair(size, who):
    if isinstance(size, numbers.Integral):
        return int(size), int(size)
    size = list(size)
    if len(size) == 1:
        return int(size[0]), int(size[0])
    if len(size) != 2:
        raise ValueError(f"{who}: size must be an int or a sequence of 1 or 2 ints, got {size!r}")
    return int(size[0]), int(size[1])


def _image_hw(img, k):
    if k == "tensor":
        return img.shape[-2], img.shape[-1]
    if k == "pil":
        return img.size[1], img.size[0]
    return img.shape[0], img.shape[1]


def _on_tensor(img, who, fn):
    """fn on the float [C, H, W] form of a PIL image / array, given back as the input's kind."""
    t, restore = _image.to_float_tensor(img, who)
    return restore(fn(t))


class Compose(_t.Compose):
    """Applies the transforms in order: Compose([Resize(32), ToTensor(), Normalize(mean, std)])."""

    def __init__(self, transforms):
        self.transforms = list(transforms)
        for i, t in enumerate(self.transforms):
            if not callable(t):
                raise TypeError(f"Compose: transform {i} must be callable, got {type(t).__name__}")
        super().__init__(self.transforms)
        self._all_cpp = all(type(t).__call__ is _t.Transform.__call__ or isinstance(t, _CppCall)
                            for t in self.transforms)

    def __call__(self, img):
        if self._all_cpp and isinstance(img, _C.Tensor):
            return super().__call__(img)  # one C++ call, GIL released
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self):
        return "Compose(\n" + "".join(f"    {t!r}\n" for t in self.transforms) + ")"


class _CppCall:
    """Marks a Python subclass of a C++ transform whose __call__ on a tensor is the C++ one."""


def _cpp_transform(cpp_cls, doc):
    """A C++ transform class that also takes PIL images and arrays (through a float tensor)."""
    name = cpp_cls.__name__

    def __call__(self, img):
        if isinstance(img, _C.Tensor):
            return cpp_cls.__call__(self, img)
        return _on_tensor(img, name, lambda t: cpp_cls.__call__(self, t))

    return type(name, (_CppCall, cpp_cls), {"__call__": __call__, "__doc__": doc, "__module__": __name__})


RandomHorizontalFlip = _cpp_transform(_t.RandomHorizontalFlip, "Reverses W with probability p.")
RandomRotation = _cpp_transform(_t.RandomRotation, "Rotates by a random angle in degrees.")
ColorJitter = _cpp_transform(_t.ColorJitter, "Random brightness, contrast, saturation and hue.")
_RandomCrop = _cpp_transform(_t.RandomCrop, "")
_RandomResizedCrop = _cpp_transform(_t.RandomResizedCrop, "")


class RandomCrop(_RandomCrop):
    """Zero-pads by padding (an int), then takes a random crop of size."""

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant"):
        if padding is not None and not isinstance(padding, numbers.Integral):
            raise ValueError(f"RandomCrop: padding must be an int here, got {padding!r}")
        if pad_if_needed or fill != 0 or padding_mode != "constant":
            raise ValueError("RandomCrop: pad_if_needed, fill and padding_mode other than the defaults are not "
                             "supported; use Pad(...) before RandomCrop")
        super().__init__(size, int(padding or 0))


class RandomResizedCrop(_RandomResizedCrop):
    """A crop of random area and aspect ratio, resized to size."""

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0), interpolation="bilinear",
                 antialias=None):
        mode = _mode(interpolation, "RandomResizedCrop")
        if mode == "bicubic":
            raise ValueError("RandomResizedCrop: interpolation must be 'nearest' or 'bilinear'")
        super().__init__(size, tuple(scale), tuple(ratio), mode)


class Normalize(_CppCall, _t.Normalize):
    """out[c] = (x[c] - mean[c]) / std[c] on a float tensor [..., C, H, W]."""

    def __init__(self, mean, std, inplace=False):
        super().__init__([float(m) for m in mean], [float(s) for s in std])
        self.mean, self.std, self.inplace = list(mean), list(std), inplace

    def __call__(self, tensor):
        if not isinstance(tensor, _C.Tensor):
            raise TypeError(f"Normalize: img should be a seek.Tensor (use ToTensor() first), got "
                            f"{type(tensor).__name__}")
        if tensor.dim() > 3:
            shape = tensor.shape
            flat = tensor.reshape(-1, *shape[-3:])
            return _C.stack([_t.Normalize.__call__(self, flat[i]) for i in range(flat.shape[0])]).reshape(shape)
        return _t.Normalize.__call__(self, tensor)


class Lambda(_t.Lambda):
    """Applies lambd(img) to whatever it is given."""

    def __init__(self, lambd):
        if not callable(lambd):
            raise TypeError(f"Lambda: argument should be callable, got {type(lambd).__name__}")
        super().__init__(lambd)
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)

    def __repr__(self):
        return "Lambda()"


class ToTensor:
    """PIL image or array [H, W(, C)] -> tensor [C, H, W]; uint8 becomes float32 in [0, 1], other
    dtypes are kept (as torchvision)."""

    def __call__(self, pic):
        k = _image.kind(pic, "ToTensor")
        if k == "tensor":
            raise TypeError("ToTensor: pic should be a PIL Image or a numpy array, got seek.Tensor")
        if k == "pil":
            arr = np.asarray(pic)
            if pic.mode == "1":
                arr = arr.astype(np.uint8) * 255
        else:
            arr = pic
        arr = _image.hwc(arr, "ToTensor")
        if arr.dtype == np.uint8:
            return _C.from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1)).astype(np.float32) / np.float32(255))
        if arr.dtype == np.uint16:
            arr = arr.astype(np.int32)
        return _C.from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1)))

    def __repr__(self):
        return "ToTensor()"


class PILToTensor:
    """PIL image (or array) -> tensor [C, H, W] of the same dtype, values unscaled."""

    def __call__(self, pic):
        k = _image.kind(pic, "PILToTensor")
        if k == "tensor":
            raise TypeError("PILToTensor: pic should be a PIL Image or a numpy array, got seek.Tensor")
        arr = _image.pil_to_array(pic) if k == "pil" else pic
        arr = _image.hwc(arr, "PILToTensor")
        if arr.dtype == np.uint16:
            arr = arr.astype(np.int32)
        return _C.from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1)))

    def __repr__(self):
        return "PILToTensor()"


class ToPILImage:
    """Tensor [C, H, W] or array [H, W(, C)] -> PIL image (needs Pillow). A float tensor is scaled by
    255 and truncated to uint8 (as torchvision)."""

    def __init__(self, mode=None):
        self.mode = mode

    def __call__(self, pic):
        from PIL import Image  # noqa: the one transform that needs Pillow

        k = _image.kind(pic, "ToPILImage")
        if k == "pil":
            return pic
        if k == "tensor":
            t = pic.detach().cpu()
            if t.dim() == 2:
                t = t.unsqueeze(0)
            if t.is_floating_point():
                t = (t * 255).to(_C.uint8)
            arr = t.numpy().transpose(1, 2, 0)
        else:
            arr = _image.hwc(pic, "ToPILImage")
        if arr.shape[2] == 1:
            arr = arr[:, :, 0]
        return Image.fromarray(np.ascontiguousarray(arr), mode=self.mode)


class ConvertImageDtype:
    """A tensor image to dtype: float <-> integer with torchvision's scaling (uint8 255 <-> 1.0)."""

    def __init__(self, dtype):
        self.dtype = dtype

    def __call__(self, image):
        if not isinstance(image, _C.Tensor):
            raise TypeError(f"ConvertImageDtype: image should be a seek.Tensor, got {type(image).__name__}")
        if image.dtype == self.dtype:
            return image
        if image.is_floating_point():
            if self.dtype == _C.uint8:
                return (image * 255.999).clamp(0, 255).to(_C.uint8)
            return image.to(self.dtype)
        if image.dtype == _C.uint8 and self.dtype in (_C.float32, _C.float64, _C.float16, _C.bfloat16):
            return image.to(self.dtype) / 255
        raise TypeError(f"ConvertImageDtype: from {image.dtype} to {self.dtype} is not supported")


def _resized_hw(h, w, size, max_size, who):
    if isinstance(size, numbers.Integral) or len(size) == 1:
        s = int(size if isinstance(size, numbers.Integral) else size[0])
        short, long = (w, h) if w <= h else (h, w)
        new_short, new_long = s, int(s * long / short)
        if max_size is not None:
            if max_size <= s:
                raise ValueError(f"{who}: max_size = {max_size} must be strictly greater than the requested size "
                                 f"for the smaller edge size = {s}")
            if new_long > max_size:
                new_short, new_long = int(max_size * new_short / new_long), max_size
        new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
        return new_h, new_w
    if max_size is not None:
        raise ValueError(f"{who}: max_size is only supported when size is an int")
    return _pair(size, who)


def _interpolate_tensor(img, hw, mode):
    from ..nn import functional as F

    shape = img.shape
    x = img.reshape(-1, *shape[-3:]) if img.dim() >= 3 else img.reshape(1, 1, *shape[-2:])
    integer = not x.is_floating_point()
    xf = x.float() if integer else x
    out = F.interpolate(xf, size=list(hw), mode=mode, align_corners=False if mode != "nearest" else None)
    if integer:
        out = out.round().clamp(0, 255).to(img.dtype) if img.dtype == _C.uint8 else out.round().to(img.dtype)
    return out.reshape(*shape[:-2], hw[0], hw[1])


class Resize:
    """Resizes to size (h, w), or the smaller edge to size (an int) keeping the aspect ratio.

    Tensors and arrays: F.interpolate (align_corners=False, no antialias, as torchvision's tensor
    path); PIL images: PIL's own resize (as torchvision)."""

    def __init__(self, size, interpolation="bilinear", max_size=None, antialias=None):
        if not isinstance(size, (numbers.Integral, list, tuple)):
            raise TypeError(f"Resize: size should be an int or a sequence, got {type(size).__name__}")
        self.size, self.max_size, self.antialias = size, max_size, antialias
        self.interpolation = _mode(interpolation, "Resize")

    def __call__(self, img):
        k = _image.kind(img, "Resize")
        h, w = _image_hw(img, k)
        hw = _resized_hw(h, w, self.size, self.max_size, "Resize")
        if k == "pil":
            return img.resize((hw[1], hw[0]), _PIL_RESAMPLE[self.interpolation])
        if k == "tensor":
            return _interpolate_tensor(img, hw, self.interpolation)
        squeeze = img.ndim == 2
        x = _C.from_numpy(np.ascontiguousarray(_image.hwc(img, "Resize").transpose(2, 0, 1)))
        out = _interpolate_tensor(x, hw, self.interpolation).numpy().transpose(1, 2, 0)
        return out[:, :, 0] if squeeze else out

    def __repr__(self):
        return f"Resize(size={self.size}, interpolation={self.interpolation}, max_size={self.max_size})"


def _pad_array(arr, ltrb, fill, mode):
    """arr [C, H, W] padded by (left, top, right, bottom)."""
    l, t, r, b = ltrb
    widths = [(0, 0)] * (arr.ndim - 2) + [(t, b), (l, r)]
    if mode == "constant":
        if isinstance(fill, (list, tuple)):
            chans = [np.pad(arr[..., c, :, :], widths[1:] if arr.ndim > 2 else widths, constant_values=fill[c])
                     for c in range(arr.shape[-3])]
            return np.stack(chans, axis=-3)
        return np.pad(arr, widths, mode="constant", constant_values=fill)
    return np.pad(arr, widths, mode=mode)


_PAD_MODES = {"constant": "constant", "edge": "edge", "reflect": "reflect", "symmetric": "symmetric"}


def _ltrb(padding, who):
    if isinstance(padding, numbers.Integral):
        p = int(padding)
        return p, p, p, p
    padding = list(padding)
    if len(padding) == 1:
        return (int(padding[0]),) * 4
    if len(padding) == 2:
        return int(padding[0]), int(padding[1]), int(padding[0]), int(padding[1])
    if len(padding) == 4:
        return tuple(int(p) for p in padding)
    raise ValueError(f"{who}: padding must be an int or a sequence of 1, 2 or 4 ints, got {padding!r}")


def _pad(img, ltrb, fill, mode, who):
    k = _image.kind(img, who)
    if k == "tensor":
        arr = img.detach().cpu().numpy()
        return _C.from_numpy(np.ascontiguousarray(_pad_array(arr, ltrb, fill, mode))).to(img.device)
    arr = _image.pil_to_array(img) if k == "pil" else img
    squeeze = arr.ndim == 2
    chw = _image.hwc(arr, who).transpose(2, 0, 1)
    out = _pad_array(chw, ltrb, fill, mode).transpose(1, 2, 0)
    if squeeze:
        out = out[:, :, 0]
    return _image.array_to_pil(out, img) if k == "pil" else np.ascontiguousarray(out)


class Pad:
    """Pads the borders: padding (int, (lr, tb) or (l, t, r, b)), padding_mode 'constant' (with
    fill), 'edge', 'reflect' or 'symmetric'."""

    def __init__(self, padding, fill=0, padding_mode="constant"):
        self.padding = _ltrb(padding, "Pad")
        if padding_mode not in _PAD_MODES:
            raise ValueError(f"Pad: padding_mode must be constant, edge, reflect or symmetric, got {padding_mode!r}")
        self.fill, self.padding_mode = fill, padding_mode

    def __call__(self, img):
        return _pad(img, self.padding, self.fill, _PAD_MODES[self.padding_mode], "Pad")

    def __repr__(self):
        return f"Pad(padding={self.padding}, fill={self.fill}, padding_mode={self.padding_mode})"


class CenterCrop:
    """The central size (h, w) crop; an image smaller than size is zero-padded first."""

    def __init__(self, size):
        self.size = _pair(size, "CenterCrop")

    def __call__(self, img):
        k = _image.kind(img, "CenterCrop")
        h, w = _image_hw(img, k)
        ch, cw = self.size
        if ch > h or cw > w:
            ltrb = ((cw - w) // 2 if cw > w else 0, (ch - h) // 2 if ch > h else 0,
                    (cw - w + 1) // 2 if cw > w else 0, (ch - h + 1) // 2 if ch > h else 0)
            img = _pad(img, ltrb, 0, "constant", "CenterCrop")
            h, w = _image_hw(img, k)
            if ch == h and cw == w:
                return img
        top, left = int(round((h - ch) / 2.0)), int(round((w - cw) / 2.0))
        if k == "pil":
            return img.crop((left, top, left + cw, top + ch))
        if k == "tensor":
            return img[..., top:top + ch, left:left + cw]
        return img[top:top + ch, left:left + cw]

    def __repr__(self):
        return f"CenterCrop(size={self.size})"


class Grayscale:
    """RGB -> grey (0.2989 R + 0.587 G + 0.114 B; PIL images: PIL's convert('L')), with 1 or 3
    output channels."""

    def __init__(self, num_output_channels=1):
        if num_output_channels not in (1, 3):
            raise ValueError(f"Grayscale: num_output_channels should be either 1 or 3, got {num_output_channels}")
        self.num_output_channels = num_output_channels

    def __call__(self, img):
        k = _image.kind(img, "Grayscale")
        if k == "pil":
            g = img.convert("L")
            if self.num_output_channels == 3:
                a = np.asarray(g)
                return _image.array_to_pil(np.stack([a, a, a], axis=2), img)
            return g
        if k == "tensor":
            if img.dim() < 3 or img.shape[-3] not in (1, 3):
                raise TypeError(f"Grayscale: input should have 1 or 3 channels, got shape {tuple(img.shape)}")
            if img.shape[-3] == 1:
                g = img
            else:
                x = img.float() if not img.is_floating_point() else img
                g = (0.2989 * x.select(-3, 0) + 0.587 * x.select(-3, 1) + 0.114 * x.select(-3, 2)).unsqueeze(-3)
                g = g.to(img.dtype)
            return g.expand(*g.shape[:-3], self.num_output_channels, *g.shape[-2:]).contiguous() \
                if self.num_output_channels == 3 else g
        arr = _image.hwc(img, "Grayscale")
        if arr.shape[2] == 1:
            g = arr
        else:
            g = (0.2989 * arr[:, :, 0] + 0.587 * arr[:, :, 1] + 0.114 * arr[:, :, 2]).astype(arr.dtype)[:, :, None]
        return np.repeat(g, self.num_output_channels, axis=2) if self.num_output_channels == 3 else g[:, :, 0] \
            if img.ndim == 2 else g

    def __repr__(self):
        return f"Grayscale(num_output_channels={self.num_output_channels})"

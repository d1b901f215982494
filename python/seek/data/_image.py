"""Image-type plumbing of seek.data.transforms: PIL images (seen through numpy's array interface;
PIL itself is imported only to build a PIL result from a PIL input), numpy arrays ([H, W] or
[H, W, C]) and tensors ([..., C, H, W]), and the conversions between them."""
import numpy as np

from .. import _C


def is_pil(img):
    return type(img).__module__.startswith("PIL.") and hasattr(img, "mode") and hasattr(img, "size")


def kind(img, who):
    """'tensor', 'ndarray' or 'pil'; anything else is a TypeError naming who and the type."""
    if isinstance(img, _C.Tensor):
        return "tensor"
    if isinstance(img, np.ndarray):
        return "ndarray"
    if is_pil(img):
        return "pil"
    t = type(img)
    raise TypeError(f"{who}: img should be a PIL Image, a numpy array or a seek.Tensor, got "
                    f"{t.__module__}.{t.__qualname__}" if t.__module__ != "builtins" else
                    f"{who}: img should be a PIL Image, a numpy array or a seek.Tensor, got {t.__name__}")


def hwc(arr, who):
    """A [H, W, C] view of an [H, W] or [H, W, C] array."""
    if arr.ndim == 2:
        return arr[:, :, None]
    if arr.ndim != 3:
        raise ValueError(f"{who}: an image array must be [H, W] or [H, W, C], got shape {arr.shape}")
    return arr


def pil_to_array(img):
    """The pixels of a PIL image as a numpy array ([H, W] or [H, W, C]); mode '1' gives uint8 0/1."""
    arr = np.asarray(img)
    if arr.dtype == np.bool_:
        arr = arr.astype(np.uint8)
    return arr


def array_to_pil(arr, like):
    """A PIL image of the same mode family as `like` from a uint8 array."""
    from PIL import Image  # only reached with a PIL input, so Pillow is installed

    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    return Image.fromarray(np.ascontiguousarray(arr))


def to_float_tensor(img, who):
    """(float32 [C, H, W] tensor in [0, 1] for uint8 input, restore) for an ndarray or PIL image,
    where restore(tensor) gives back an image of the input's type."""
    k = kind(img, who)
    if k == "tensor":
        return img, lambda t: t
    arr = pil_to_array(img) if k == "pil" else img
    squeeze = arr.ndim == 2
    a = hwc(arr, who)
    dtype = a.dtype
    x = np.ascontiguousarray(a.transpose(2, 0, 1))
    if dtype == np.uint8:
        t = _C.from_numpy(x.astype(np.float32) / np.float32(255))
    else:
        t = _C.from_numpy(x.astype(np.float32))

    def restore(out):
        o = out.detach().cpu().float().numpy().transpose(1, 2, 0)
        if dtype == np.uint8:
            o = np.clip(np.rint(o * 255), 0, 255).astype(np.uint8)
        else:
            o = o.astype(dtype)
        if squeeze and o.shape[2] == 1:
            o = o[:, :, 0]
        return array_to_pil(o, img) if k == "pil" else o

    return t, restore

"""seek.amp: automatic mixed precision, like torch.amp.

    with seek.autocast("cpu", dtype=seek.bfloat16):   # or @seek.autocast("cpu") on a function
        logits = model(x)                            # matmul / linear / conv run in bf16
        loss = F.cross_entropy(logits, y)            # softmax, losses, norms, sums in f32
    loss.backward()                                  # outside the scope, as in PyTorch

    scaler = seek.amp.GradScaler()                   # for float16: loss scaling
    scaler.scale(loss).backward()
    scaler.step(opt)                                 # skipped when a gradient is inf/NaN
    scaler.update()

The state is per thread and per device type ("cpu", "cuda") and lives in C++
(seek/core/autocast.h), so C++ modules called from Python see it. Which ops run in low
precision and which in f32 is listed in docs/mixed_precision.md.
"""
import collections.abc
import functools

from . import _C

__all__ = ["autocast", "is_autocast_enabled", "get_autocast_dtype", "GradScaler"]

_a = _C.amp
_DEVICE_TYPES = ("cpu", "cuda")


def _check_device_type(device_type, who):
    if not isinstance(device_type, str):
        raise TypeError(f"{who}: device_type must be a str ('cpu' or 'cuda'), got {type(device_type).__name__}")
    if device_type not in _DEVICE_TYPES:
        raise ValueError(f"{who}: device_type must be 'cpu' or 'cuda', got '{device_type}'")
    return device_type


def is_autocast_enabled(device_type="cpu"):
    """Whether autocast is on for device_type in this thread."""
    return _a.is_autocast_enabled(_check_device_type(device_type, "is_autocast_enabled"))


def get_autocast_dtype(device_type):
    """The dtype low-precision ops use under autocast on device_type (default: seek.bfloat16
    on the CPU, seek.float16 on CUDA)."""
    return _a.get_autocast_dtype(_check_device_type(device_type, "get_autocast_dtype"))


class autocast:
    """Runs the ops of a region in mixed precision, like torch.autocast.

    autocast(device_type, dtype=None, enabled=True, cache_enabled=True), device_type "cpu"
    or "cuda", dtype seek.bfloat16 or seek.float16 (None: get_autocast_dtype(device_type)).
    Use it as a context manager (`with seek.autocast("cpu"):`) or a decorator
    (`@seek.autocast("cpu")`). Scopes nest (an inner enabled=False turns autocast off for
    its region) and restore the previous state on exit, also when an exception leaves
    them; one autocast object may be entered again while already entered (recursion).
    Casts of parameters are cached until the outermost scope exits (cache_enabled).
    """

    def __init__(self, device_type, dtype=None, enabled=True, cache_enabled=True):
        self.device = _check_device_type(device_type, "autocast")
        if dtype is not None:
            if not isinstance(dtype, _C.dtype):
                raise TypeError(f"autocast: dtype must be seek.bfloat16 or seek.float16, got {type(dtype).__name__}")
            if dtype not in (_C.bfloat16, _C.float16):
                raise ValueError(f"autocast: dtype must be seek.bfloat16 or seek.float16, got {dtype}")
        if not isinstance(enabled, bool):
            raise TypeError(f"autocast: enabled must be a bool, got {type(enabled).__name__}")
        self.fast_dtype = dtype if dtype is not None else get_autocast_dtype(device_type)
        self._dtype = dtype
        self._enabled = enabled
        self._cache_enabled = bool(cache_enabled)
        self._scopes = []

    def __enter__(self):
        scope = _a._AutocastScope(self.device, self._dtype, self._enabled, self._cache_enabled)
        scope.enter()
        self._scopes.append(scope)
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        self._scopes.pop().exit()
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def decorated(*args, **kwargs):
            with autocast(self.device, self._dtype, self._enabled, self._cache_enabled):
                return func(*args, **kwargs)

        return decorated

    def __repr__(self):
        return (f"autocast(device_type='{self.device}', dtype={self.fast_dtype}, enabled={self._enabled}, "
                f"cache_enabled={self._cache_enabled})")


def _optimizer_impl(optimizer, who):
    impl = getattr(optimizer, "_impl", optimizer)
    if not isinstance(impl, _C.optim.Optimizer):
        raise TypeError(f"{who}: expected a seek.optim optimizer (SGD, Adam, AdamW, RMSprop), "
                        f"got {type(optimizer).__name__}")
    return impl


class GradScaler:
    """Loss scaling for float16 training, like torch.amp.GradScaler.

        scaler = seek.amp.GradScaler()
        for x, y in loader:
            opt.zero_grad()
            with seek.autocast("cpu", dtype=seek.float16):
                loss = F.cross_entropy(model(x), y)
            scaler.scale(loss).backward()
            scaler.unscale_(opt)            # optional, e.g. before clip_grad_norm_
            scaler.step(opt)                # skipped when a gradient is inf/NaN
            scaler.update()                 # x backoff_factor after a skip, x growth_factor
                                            # after growth_interval clean steps

    device: "cpu" or "cuda" (the scale is a number, so both work the same). A disabled
    scaler (enabled=False) passes everything through. step() returns None, whether it
    stepped or skipped (the scale tells: update() lowers it after a skip).
    The optimizer is one of seek.optim's (their update runs in C++ with the GIL released).
    """

    def __init__(self, device="cpu", init_scale=65536.0, growth_factor=2.0, backoff_factor=0.5,
                 growth_interval=2000, enabled=True):
        self._device = _check_device_type(str(device).split(":")[0], "GradScaler")
        self._impl = _a.GradScaler(init_scale=float(init_scale), growth_factor=float(growth_factor),
                                   backoff_factor=float(backoff_factor), growth_interval=int(growth_interval),
                                   enabled=bool(enabled))

    def scale(self, outputs):
        """outputs * scale: a tensor, or every tensor of a list / tuple (nested) of them."""
        if isinstance(outputs, _C.Tensor):
            return self._impl.scale(outputs)
        if isinstance(outputs, (list, tuple)):
            scaled = [self.scale(o) for o in outputs]
            return type(outputs)(scaled)
        if isinstance(outputs, collections.abc.Iterable):
            return map(self.scale, outputs)
        raise TypeError(f"GradScaler.scale: outputs must be a seek.Tensor or an iterable of them, "
                        f"got {type(outputs).__name__}")

    def unscale_(self, optimizer):
        """Divides the gradients of optimizer's parameters by the scale, in place (once per
        step: a second call before update() is a RuntimeError)."""
        self._impl.unscale_(_optimizer_impl(optimizer, "GradScaler.unscale_"))

    def step(self, optimizer, *args, **kwargs):
        """Unscales (unless unscale_ was called) and runs optimizer.step() unless a gradient
        is inf or NaN. Returns None either way."""
        if "closure" in kwargs or args:
            raise RuntimeError("GradScaler.step: closure use is not supported")
        self._impl.step(_optimizer_impl(optimizer, "GradScaler.step"))
        return None

    def update(self, new_scale=None):
        """Lowers the scale after a skipped step, raises it after growth_interval clean steps;
        new_scale (a float or a one-element tensor) sets it instead."""
        if isinstance(new_scale, _C.Tensor):
            new_scale = new_scale.item()
        self._impl.update(None if new_scale is None else float(new_scale))

    def get_scale(self):
        """The current scale (1.0 when disabled)."""
        return self._impl.get_scale()

    def is_enabled(self):
        return self._impl.is_enabled()

    def get_growth_factor(self):
        return self._impl.get_growth_factor()

    def set_growth_factor(self, new_factor):
        self._impl.set_growth_factor(float(new_factor))

    def get_backoff_factor(self):
        return self._impl.get_backoff_factor()

    def set_backoff_factor(self, new_factor):
        self._impl.set_backoff_factor(float(new_factor))

    def get_growth_interval(self):
        return self._impl.get_growth_interval()

    def set_growth_interval(self, new_interval):
        self._impl.set_growth_interval(int(new_interval))

    def state_dict(self):
        """torch's keys: scale, growth_factor, backoff_factor, growth_interval, _growth_tracker
        (empty when disabled)."""
        return self._impl.state_dict()

    def load_state_dict(self, state_dict):
        """Restores a state_dict(); ValueError for missing keys or bad values."""
        self._impl.load_state_dict(dict(state_dict))

    def __repr__(self):
        return (f"GradScaler(device='{self._device}', scale={self.get_scale()}, "
                f"enabled={self.is_enabled()})")

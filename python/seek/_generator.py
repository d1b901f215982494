"""seek.Generator: a random stream object as torch.Generator, for samplers and random_split.

The state is Philox's (seed, offset) (see seek/core/generator.h): Generator().manual_seed(s)
restarts the stream at (s, 0), and a draw of n numbers takes the next n blocks, so the same
seed always gives the same draws. The draws run in C++ (seek._C.data._draw).
"""
import os
import threading

from . import _C

__all__ = ["Generator"]

_DEFAULT_SEED = 67280421310721  # PyTorch's and seek's default seed
_U64 = (1 << 64) - 1


class Generator:
    """A seeded random stream: Generator().manual_seed(42), as torch.Generator (CPU)."""

    def __init__(self, device="cpu"):
        self.device = _C.device(device) if isinstance(device, str) else device
        self._seed = _DEFAULT_SEED
        self._offset = 0
        self._lock = threading.Lock()

    def manual_seed(self, seed):
        """Restarts the stream at seed (an int; negative seeds wrap to 64 bits, as in torch). Returns self."""
        if isinstance(seed, bool) or not isinstance(seed, int):
            try:
                seed = int(seed)
            except (TypeError, ValueError):
                raise TypeError(f"Generator.manual_seed: seed must be an int, got {type(seed).__name__}") from None
        with self._lock:
            self._seed = seed & _U64
            self._offset = 0
        return self

    def seed(self):
        """Seeds the stream from the operating system's entropy and returns that seed."""
        s = int.from_bytes(os.urandom(8), "little") >> 11
        self.manual_seed(s)
        return s

    def initial_seed(self):
        """The seed the stream was started with."""
        return self._seed

    def get_state(self):
        """The state as an int64 tensor [seed, offset] (64-bit patterns)."""
        def signed(v):
            return v - (1 << 64) if v >= (1 << 63) else v
        return _C.tensor([signed(self._seed), signed(self._offset)], dtype=_C.int64)

    def set_state(self, new_state):
        """Restores a state from get_state()."""
        values = new_state.tolist() if hasattr(new_state, "tolist") else list(new_state)
        if len(values) != 2:
            raise ValueError(f"Generator.set_state: expected a state of 2 values [seed, offset], got {len(values)}")
        with self._lock:
            self._seed, self._offset = values[0] & _U64, values[1] & _U64
        return self

    def _draw(self, kind, n):
        with self._lock:
            t, self._offset = _C.data._draw(kind, n, self._seed, self._offset)
        return t

    def __repr__(self):
        return f"<seek.Generator seed={self._seed} offset={self._offset}>"


def draw(kind, n, generator=None):
    """n draws of kind ('randperm', 'rand', 'seed') from generator, or from the default one (seek.manual_seed)."""
    if generator is None:
        return _C.data._draw(kind, n)[0]
    if not isinstance(generator, Generator):
        raise TypeError(f"generator must be a seek.Generator or None, got {type(generator).__name__}")
    return generator._draw(kind, n)


def draw_seed(generator=None):
    """One seed in [0, 2^53) from generator or the default generator."""
    return int(draw("seed", 1, generator)[0].item())

"""Random draws for samplers and random_split, from a seek.Generator (seek._C.Generator, torch.Generator's
API over the C++ Philox stream of seek/core/generator.h) or from the default generator (seek.manual_seed)."""
from . import _C

Generator = _C.Generator

__all__ = ["Generator"]


def draw(kind, n, generator=None):
    """n draws of kind ('randperm', 'rand': float64 in [0, 1), 'seed': int64 in [0, 2^53)) from generator, or
    from the default one."""
    if generator is not None and not isinstance(generator, Generator):
        raise TypeError(f"generator must be a seek.Generator or None, got {type(generator).__name__}")
    if kind == "randperm":
        return _C.randperm(n, generator=generator)
    if kind == "rand":
        return _C.rand(n, dtype=_C.float64, generator=generator)
    if kind == "seed":
        return _C.randint(0, 1 << 53, (n,), generator=generator)
    raise ValueError(f"draw: kind must be 'randperm', 'rand' or 'seed', got {kind!r}")


def draw_seed(generator=None):
    """One seed in [0, 2^53) from generator or the default generator."""
    return int(draw("seed", 1, generator)[0].item())

"""seek.Size: the type of ``Tensor.shape`` and ``Tensor.size()``, a tuple of ints as torch.Size."""
import builtins


class Size(tuple):
    """The sizes of a tensor: a tuple of ints with ``numel()``; slicing and ``+`` keep the type."""

    __slots__ = ()

    def __new__(cls, sizes=()):
        values = tuple(sizes)
        for v in values:
            if not builtins.isinstance(v, builtins.int) and not hasattr(v, "__index__"):
                raise TypeError(f"seek.Size() takes an iterable of 'int' (item {v!r} is "
                                f"{type(v).__name__})")
        return super().__new__(cls, (v.__index__() for v in values))

    def numel(self) -> builtins.int:
        """The number of elements of a tensor of these sizes (1 for an empty Size)."""
        n = 1
        for v in self:
            n *= v
        return n

    def __getitem__(self, key):
        r = super().__getitem__(key)
        return Size(r) if builtins.isinstance(key, slice) else r

    def __add__(self, other):
        if not builtins.isinstance(other, tuple):
            return NotImplemented
        return Size(tuple(self) + tuple(other))

    def __radd__(self, other):
        if not builtins.isinstance(other, tuple):
            return NotImplemented
        return Size(tuple(other) + tuple(self))

    def __mul__(self, n):
        return Size(tuple(self) * n)

    __rmul__ = __mul__

    def __repr__(self) -> str:
        return f"seek.Size({list(self)!r})"

    def __reduce__(self):
        return (Size, (tuple(self),))

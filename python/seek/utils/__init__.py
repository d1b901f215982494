"""seek.utils: torch.utils's data package (seek.utils.data)."""
from . import data  # noqa: F401

__all__ = ["data"]

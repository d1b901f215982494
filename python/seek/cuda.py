"""seek.cuda: GPU queries and memory statistics, like torch.cuda. Every function works in a
build without CUDA (is_available() is then False and device_count() 0)."""
from ._C import OutOfMemoryError  # noqa: F401  (torch.cuda.OutOfMemoryError; seek.OutOfMemoryError too)
from ._C import cuda as _cuda

__all__ = ["is_available", "device_count", "current_device", "set_device", "synchronize", "memory_allocated",
           "memory_reserved", "max_memory_allocated", "reset_peak_memory_stats", "empty_cache", "get_device_name",
           "build_info", "OutOfMemoryError"]

is_available = _cuda.is_available
device_count = _cuda.device_count
current_device = _cuda.current_device
set_device = _cuda.set_device
synchronize = _cuda.synchronize
memory_allocated = _cuda.memory_allocated
memory_reserved = _cuda.memory_reserved
max_memory_allocated = _cuda.max_memory_allocated
reset_peak_memory_stats = _cuda.reset_peak_memory_stats
empty_cache = _cuda.empty_cache
get_device_name = _cuda.get_device_name
build_info = _cuda.build_info

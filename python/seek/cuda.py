"""seek.cuda: GPU queries, streams and events, and memory statistics, like torch.cuda. Every
function works in a build without CUDA (is_available() is then False and device_count() 0; the
functions that need a GPU raise RuntimeError).

As in torch.cuda, a `device` argument may be an index, a string ("cuda", "cuda:1") or a
seek.device, and None means the current device."""
import contextlib

from ._C import OutOfMemoryError  # noqa: F401  (torch.cuda.OutOfMemoryError; seek.OutOfMemoryError too)
from ._C import cuda as _cuda
from ._C import device as _device

__all__ = ["is_available", "device_count", "current_device", "set_device", "synchronize", "memory_allocated",
           "memory_reserved", "max_memory_allocated", "reset_peak_memory_stats", "empty_cache", "get_device_name",
           "get_device_properties", "get_device_capability", "build_info", "OutOfMemoryError", "Stream", "Event",
           "current_stream", "default_stream", "set_stream", "stream", "memory_stats", "memory_summary",
           "max_memory_reserved", "reset_accumulated_memory_stats", "build_config", "CUDAGraph", "graph",
           "graph_pool_handle", "is_current_stream_capturing"]

is_available = _cuda.is_available
device_count = _cuda.device_count
current_device = _cuda.current_device
empty_cache = _cuda.empty_cache
build_info = _cuda.build_info
# Streams and events (torch.cuda.Stream(device=None, priority=0), torch.cuda.Event(enable_timing=False)).
Stream = _cuda.Stream
Event = _cuda.Event
# CUDA graphs (torch.cuda.CUDAGraph, torch.cuda.graph_pool_handle, torch.cuda.is_current_stream_capturing).
CUDAGraph = _cuda.CUDAGraph
graph_pool_handle = _cuda.graph_pool_handle
is_current_stream_capturing = _cuda.is_current_stream_capturing


def build_config():
    """What seek was built with, as a dict: cuda, simulated, cuda_version, runtime_version,
    driver_version, cudnn_version, cudnn_runtime_version, nccl_version, architectures, device_count
    (versions are "none" where the build or the machine has none)."""
    return _cuda.build_config()


def _index(device, who, optional=True):
    """The GPU index `device` names (None: the current device, or -1 where the C++ side takes -1
    for it)."""
    if device is None:
        if optional:
            return -1
        return current_device()
    if isinstance(device, bool):
        raise TypeError(f"seek.cuda.{who}: expected a device index, string or seek.device, got bool")
    if isinstance(device, int):
        return device
    if isinstance(device, str):
        device = _device(device)
    if isinstance(device, _device):
        if device.type != "cuda":
            raise ValueError(f"seek.cuda.{who}: expected a cuda device, but got: {device}")
        return device.index
    raise TypeError(f"seek.cuda.{who}: expected a device index, string or seek.device, got {type(device).__name__}")


def set_device(device):
    """Makes `device` the current GPU (a negative index does nothing, as in torch)."""
    index = _index(device, "set_device", optional=False)
    if index >= 0:
        _cuda.set_device(index)


def synchronize(device=None):
    """Waits for all work queued on `device` (default: the current one)."""
    if device is None:
        _cuda.synchronize()
        return
    index = _index(device, "synchronize", optional=False)
    previous = current_device()
    _cuda.set_device(index)
    try:
        _cuda.synchronize()
    finally:
        _cuda.set_device(previous)


def memory_allocated(device=None):
    """Bytes held by live tensors on `device` (0 without a GPU)."""
    return _cuda.memory_allocated(_index(device, "memory_allocated"))


def memory_reserved(device=None):
    """Bytes the caching allocator holds on `device`: allocated plus cached."""
    return _cuda.memory_reserved(_index(device, "memory_reserved"))


def max_memory_allocated(device=None):
    """The peak of memory_allocated since the start or reset_peak_memory_stats()."""
    return _cuda.max_memory_allocated(_index(device, "max_memory_allocated"))


def reset_peak_memory_stats(device=None):
    _cuda.reset_peak_memory_stats(_index(device, "reset_peak_memory_stats"))


def get_device_properties(device=None):
    """name, total_memory (bytes), major, minor and multi_processor_count of a GPU."""
    return _cuda.get_device_properties(_index(device, "get_device_properties", optional=False))


def get_device_name(device=None):
    return get_device_properties(device).name


def get_device_capability(device=None):
    """(major, minor) compute capability."""
    p = get_device_properties(device)
    return (p.major, p.minor)


def current_stream(device=None):
    """The stream seek queues work on for `device` in this thread (the default stream unless
    set_stream or `with seek.cuda.stream(s)` chose another)."""
    return _cuda.current_stream(_index(device, "current_stream"))


def default_stream(device=None):
    return _cuda.default_stream(_index(device, "default_stream"))


def set_stream(stream):
    """Makes `stream` the current stream of its device in this thread (None does nothing)."""
    if stream is not None:
        _cuda.set_stream(stream)


@contextlib.contextmanager
def stream(stream):
    """`with seek.cuda.stream(s):` queues seek's work on s (and makes s's device current), then
    restores the previous stream and device. stream(None) does nothing, as in torch."""
    if stream is None:
        yield
        return
    previous_device = current_device()
    previous = _cuda.current_stream(stream.device_index)
    if previous_device != stream.device_index:
        _cuda.set_device(stream.device_index)
    _cuda.set_stream(stream)
    try:
        yield
    finally:
        _cuda.set_stream(previous)
        if previous_device != stream.device_index:
            _cuda.set_device(previous_device)


def memory_stats(device=None):
    """The caching allocator's statistics as torch.cuda.memory_stats' flat dict:
    "<stat>.<pool>.<metric>" for stat in allocated_bytes, reserved_bytes, active_bytes, allocation,
    segment, active; pool in all, small_pool (blocks up to 1 MiB), large_pool; metric in current,
    peak, allocated (cumulative), freed; plus num_alloc_retries, num_ooms, num_device_alloc,
    num_device_free and seek's num_cache_hits, num_cross_stream_frees, num_sync_all_streams."""
    return _cuda.memory_stats(_index(device, "memory_stats"))


def memory_summary(device=None, abbreviated=False):
    """A readable table of memory_stats(device)."""
    return _cuda.memory_summary(_index(device, "memory_summary"))


def max_memory_reserved(device=None):
    """The peak of memory_reserved since the start or reset_peak_memory_stats()."""
    return _cuda.max_memory_reserved(_index(device, "max_memory_reserved"))


def reset_accumulated_memory_stats(device=None):
    _cuda.reset_accumulated_memory_stats(_index(device, "reset_accumulated_memory_stats"))


class graph:
    """`with seek.cuda.graph(g, pool=None, stream=None, capture_error_mode="global"):` captures the
    work the block queues into the CUDAGraph g, as torch.cuda.graph: it synchronises the device,
    makes `stream` (default: one side stream shared by all graph contexts) current, begins the
    capture, and ends it (instantiating the graph) when the block ends. If the block raises, the
    capture is dropped and the exception goes on. `pool` shares another graph's memory pool
    (other.pool() or graph_pool_handle()). Host reads (item(), .cpu(), printing) and synchronisation
    are not allowed inside: they raise RuntimeError."""

    default_capture_stream = None

    def __init__(self, cuda_graph, pool=None, stream=None, capture_error_mode="global"):
        if stream is None:
            if graph.default_capture_stream is None:
                graph.default_capture_stream = Stream()
            stream = graph.default_capture_stream
        self.cuda_graph = cuda_graph
        self.pool = pool
        self.capture_stream = stream
        self.capture_error_mode = capture_error_mode
        self._stream_ctx = None

    def __enter__(self):
        synchronize()
        self._stream_ctx = _stream_context(self.capture_stream)
        self._stream_ctx.__enter__()
        try:
            self.cuda_graph.capture_begin(self.pool, capture_error_mode=self.capture_error_mode)
        except BaseException:
            self._stream_ctx.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is None:
                self.cuda_graph.capture_end()
            else:
                self.cuda_graph._abandon_capture()
        finally:
            self._stream_ctx.__exit__(None, None, None)
        return False


_stream_context = stream

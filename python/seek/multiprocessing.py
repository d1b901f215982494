"""seek.multiprocessing: what of torch.multiprocessing seek can offer.

seek tensors live in the memory of the process that made them: there is no shared-memory storage that
another process could map, so Hogwild-style training across processes (torch.multiprocessing.Process
workers updating one model after model.share_memory()) is not possible. Run the workers as threads
instead: seek releases the GIL inside its ops, so threads update the same parameters concurrently:

    import threading
    model.share_memory()          # accepted, as in torch (a no-op: threads already share the tensors)
    def train(rank):
        opt = seek.optim.SGD(model.parameters(), lr=0.01)
        for x, y in loader_for(rank):
            opt.zero_grad()
            loss_fn(model(x), y).backward()
            opt.step()
    workers = [threading.Thread(target=train, args=(rank,)) for rank in range(4)]
    for w in workers: w.start()
    for w in workers: w.join()

Process, spawn, Pool and start_processes raise a RuntimeError that says so. Tensor.share_memory_()
returns the tensor unchanged and Tensor.is_shared() is False (its memory is this process's own).
"""
import multiprocessing as _mp

from . import _C

__all__ = ["Process", "spawn", "start_processes", "Pool", "cpu_count", "current_process", "get_start_method",
           "set_start_method", "get_all_start_methods", "HOGWILD_WITH_THREADS"]

HOGWILD_WITH_THREADS = (
    "seek tensors cannot be shared with another process (seek has no shared-memory storage). For "
    "Hogwild-style training run the workers as threads: seek releases the GIL inside its ops, so "
    "threading.Thread(target=train, args=(rank,)) workers update the same model's parameters "
    "concurrently (see help(seek.multiprocessing)).")


def _refuse(what):
    raise RuntimeError(f"seek.multiprocessing.{what}: {HOGWILD_WITH_THREADS}")


class Process:
    """Refused: seek tensors cannot cross processes (RuntimeError saying how to use threads instead)."""

    def __init__(self, *args, **kwargs):
        _refuse("Process")


def spawn(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """Refused: seek tensors cannot cross processes (RuntimeError saying how to use threads instead)."""
    _refuse("spawn")


def start_processes(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """Refused, as spawn()."""
    _refuse("start_processes")


def Pool(*args, **kwargs):  # noqa: N802 (torch's name)
    """Refused: seek tensors cannot cross processes (RuntimeError saying how to use threads instead)."""
    _refuse("Pool")


cpu_count = _mp.cpu_count
current_process = _mp.current_process
get_start_method = _mp.get_start_method
get_all_start_methods = _mp.get_all_start_methods


def set_start_method(method, force=False):
    """Accepted for scripts that call it first thing; seek starts no processes."""
    _mp.set_start_method(method, force=force)


def _share_memory_(self):
    """As torch's Tensor.share_memory_(): returns self. seek tensors stay in this process's memory (which
    threads share); see seek.multiprocessing for Hogwild-style training with threads."""
    return self


def _is_shared(self):
    """False: seek tensors are in this process's own memory (see seek.multiprocessing)."""
    return False


_C.Tensor.share_memory_ = _share_memory_
_C.Tensor.is_shared = _is_shared

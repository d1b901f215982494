"""DataLoader (torch.utils.data's), with threads for worker processes; seek.data.DataLoader is
the same class.

Semantics as in torch: every `for batch in loader` is a new epoch that starts at the first
batch (also after a `break`); with shuffle=True each epoch draws a new order (from `generator`,
else from seek's global generator, so seek.manual_seed decides it). With num_workers > 0 that
many threads fetch and collate batches, at most num_workers * prefetch_factor batches ahead, and
the loader yields them in order; worker_init_fn(worker_id) runs in each thread and
get_worker_info() tells a dataset which worker calls it.

Fast paths, same results: a dataset implemented in C++ (TensorDataset, MNIST, MapDataset, ... of
seek.data) with the default sampler and collate is batched by the C++ loader (its threads work
with the GIL released); a TensorDataset (or a Subset of one) with the default collate is
gathered with one index op per tensor.

seek additions: seed=s makes epoch e's shuffle order a function of (s, e) only (the e-th
iteration is epoch e; set_epoch(e) picks the next one), which is the order seek.train.Trainer
uses for its resumable position. The Trainer runs a loader through its C++ form (_cpp_loader()).
"""
import itertools
import queue
import threading
import warnings

from ... import _C
from ..._generator import Generator, draw_seed
from .collate import default_collate, default_convert
from .dataset import IterableDataset, _is_native
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader", "get_worker_info", "WorkerInfo"]

_local = threading.local()


class WorkerInfo:
    """What get_worker_info() returns inside a worker thread: id, num_workers, seed, dataset."""

    def __init__(self, id, num_workers, seed, dataset):
        self.id, self.num_workers, self.seed, self.dataset = id, num_workers, seed, dataset

    def __repr__(self):
        return f"WorkerInfo(id={self.id}, num_workers={self.num_workers}, seed={self.seed})"


def get_worker_info():
    """The WorkerInfo of the calling DataLoader worker thread, or None outside the workers."""
    return getattr(_local, "info", None)


def _checked_len(dataset):
    try:
        n = dataset.__len__()
    except AttributeError:
        raise TypeError(f"DataLoader: dataset {type(dataset).__name__} has no __len__") from None
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"{type(dataset).__name__}.__len__() must return an int, got {type(n).__name__} ({n!r})")
    if n < 0:
        raise ValueError(f"{type(dataset).__name__}.__len__() returned {n}; a dataset's length must be >= 0")
    return n


class _LenOf:
    """len() of a dataset, checked (what samplers see)."""

    def __init__(self, dataset):
        self.dataset = dataset

    def __len__(self):
        return _checked_len(self.dataset)


class _EpochSampler(Sampler):
    """The shuffle order of DataLoader(seed=s): epoch e is randperm(n) drawn from Generator(s) at
    offset e * n, the order of the C++ loader (seek/data/dataloader.h)."""

    def __init__(self, data_source, seed):
        self.data_source, self.seed, self.epoch = data_source, seed, 0

    def __iter__(self):
        n = len(self.data_source)
        return iter(_C.data._draw("randperm", n, self.seed, self.epoch * n)[0].tolist())

    def __len__(self):
        return len(self.data_source)


class DataLoader:
    """Batches of a dataset; the arguments and attributes are torch.utils.data.DataLoader's.

    dataset: a map-style dataset (anything with __getitem__ and __len__) or an IterableDataset.
    pin_memory=True returns every tensor of a batch in pinned host memory (Tensor.pin_memory), so
    that .to("cuda", non_blocking=True) copies it without waiting; without a visible GPU it warns and
    does nothing, as in torch. multiprocessing_context and pin_memory_device are accepted and do
    nothing (the workers are threads). persistent_workers is accepted: the worker threads are started
    per epoch. seed (seek): see the module docstring.
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=2, persistent_workers=False,
                 pin_memory_device="", seed=None):
        if isinstance(num_workers, bool) or not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError(f"num_workers option should be non-negative; use num_workers=0 to disable "
                             f"worker threads, got {num_workers!r}")
        if timeout < 0:
            raise ValueError(f"timeout option should be non-negative, got {timeout!r}")
        if num_workers == 0 and prefetch_factor != 2:
            raise ValueError("prefetch_factor option could only be specified with num_workers > 0")
        if isinstance(prefetch_factor, bool) or not isinstance(prefetch_factor, int) or prefetch_factor < 1:
            raise ValueError(f"prefetch_factor must be a positive int, got {prefetch_factor!r}")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        if generator is not None and not isinstance(generator, Generator):
            raise TypeError(f"DataLoader: generator must be a seek.Generator, got {type(generator).__name__}")
        if seed is not None and generator is not None:
            raise ValueError("DataLoader: give generator or seed, not both")
        if not (isinstance(dataset, IterableDataset) or hasattr(dataset, "__getitem__")):
            raise TypeError(f"DataLoader: dataset must have __getitem__ (and __len__) or be an IterableDataset, "
                            f"got {type(dataset).__name__}")
        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.persistent_workers = persistent_workers
        self.generator = generator
        self.seed = seed
        self._epoch = 0
        self._cpp = None

        if isinstance(dataset, IterableDataset):
            self._dataset_kind = "iterable"
            if shuffle not in (False, None):
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle option, but got "
                                 f"shuffle={shuffle}")
            if sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified sampler option")
            if batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified batch_sampler option")
        else:
            self._dataset_kind = "map"
            _checked_len(dataset)  # a bad __len__ fails here, naming the dataset

        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, "
                                 "and drop_last")
            batch_size = None
            drop_last = False
        elif batch_size is None:
            if drop_last:
                raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with "
                                 "drop_last")
        elif isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size!r}")

        self._default_sampler = sampler is None and batch_sampler is None
        if sampler is None:
            if self._dataset_kind == "iterable":
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = (_EpochSampler(_LenOf(dataset), seed) if seed is not None
                           else RandomSampler(_LenOf(dataset), generator=generator))
            else:
                sampler = SequentialSampler(_LenOf(dataset))
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self._shuffle = bool(shuffle)
        self._user_collate = collate_fn
        if collate_fn is None:
            collate_fn = default_collate if batch_size is not None or batch_sampler is not None else default_convert
        self.collate_fn = collate_fn

    # ---- sizes and epochs ----

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None

    def __len__(self):
        if self._dataset_kind == "iterable":
            n = len(self.dataset)
            if self.batch_size is not None:
                return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
            return n
        if self._auto_collation:
            return len(self.batch_sampler)
        return len(self.sampler)

    @property
    def epoch(self):
        """With seed=: the epoch whose order the next iteration uses."""
        return self._epoch

    def set_epoch(self, epoch):
        """With seed=: the next iteration uses epoch `epoch`'s order (then epoch + 1, ...)."""
        if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 0:
            raise ValueError(f"set_epoch: epoch must be a non-negative int, got {epoch!r}")
        self._epoch = epoch

    def __repr__(self):
        return (f"DataLoader(dataset={type(self.dataset).__name__}, batch_size={self.batch_size}, "
                f"num_workers={self.num_workers})")

    # ---- iteration ----

    def __iter__(self):
        epoch = self._epoch
        self._epoch += 1
        if isinstance(self.sampler, _EpochSampler):
            self.sampler.epoch = epoch
        if self._dataset_kind == "iterable":
            return self._pinned(self._iter_iterable())
        if self._native_fast_path():
            return self._iter_native(epoch)  # pins in C++, in the threads that build the batches
        return self._pinned(self._iter_map())

    def _pin(self):
        """Whether batches are to be pinned (warns once when pin_memory is set but no GPU is visible)."""
        if not self.pin_memory:
            return False
        if _C.cuda.is_available():
            return True
        if not getattr(self, "_warned_pin", False):
            warnings.warn("DataLoader: pin_memory=True but no CUDA GPU is visible; batches are not pinned")
            self._warned_pin = True
        return False

    def _pinned(self, batches):
        if not self._pin():
            return batches
        return (_pin_batch(b) for b in batches)

    def _native_form(self):
        """The C++ dataset to batch in C++: a C++ dataset, or the _cpp_dataset of one without _gather."""
        if _is_native(self.dataset):
            return self.dataset
        if getattr(self.dataset, "_gather", None) is not None:
            return None
        return getattr(self.dataset, "_cpp_dataset", None)

    def _native_fast_path(self):
        return (self._native_form() is not None and self._default_sampler and self.batch_size is not None
                and (self._user_collate is None or self._user_collate is default_collate
                     or isinstance(self._user_collate, _C.data.IndexedCollate))
                and self.worker_init_fn is None and self.timeout == 0)

    def _iter_native(self, epoch):
        seed = 0
        if self._shuffle:
            seed = self.seed if self.seed is not None else draw_seed(self.generator)
        collate = self._user_collate if isinstance(self._user_collate, _C.data.IndexedCollate) else None
        loader = _C.data.DataLoader(self._native_form(), batch_size=self.batch_size, shuffle=self._shuffle,
                                    num_workers=self.num_workers, collate_fn=collate, drop_last=self.drop_last,
                                    seed=seed, prefetch_factor=self.prefetch_factor, pin_memory=self._pin())
        if self.seed is not None:
            loader.set_epoch(epoch)
        for batch in loader:
            yield list(batch)

    def _fetch(self, indices):
        if self._auto_collation:
            if self.collate_fn is default_collate:
                gather = getattr(self.dataset, "_gather", None)
                if gather is not None:
                    batch = gather(indices)
                    if batch is not None:
                        return batch
            samples = [self.dataset[i] for i in indices]
            return self.collate_fn(samples)
        return self.collate_fn(self.dataset[indices])

    def _worker_seed(self):
        return draw_seed(self.generator)

    def _iter_map(self):
        batches = iter(self.batch_sampler) if self._auto_collation else iter(self.sampler)
        if self.num_workers == 0:
            for indices in batches:
                yield self._fetch(indices)
            return
        yield from _ordered_pool(self, batches, self._fetch)

    def _iter_iterable(self):
        if self.num_workers == 0:
            yield from _batches_of(self, iter(self.dataset))
            return
        yield from _iterable_workers(self)

    # ---- the C++ form, for seek.train.Trainer ----

    def _cpp_loader(self):
        """The C++ DataLoader with this loader's dataset and options (created once; its order is
        seed-determined per epoch: the seed given, else one drawn from the generator now)."""
        if self._cpp is not None:
            return self._cpp
        if self._dataset_kind == "iterable":
            raise TypeError("seek.train.Trainer: an IterableDataset loader cannot be resumed; use a map-style "
                            "dataset")
        if not self._default_sampler or self.batch_size is None:
            raise TypeError("seek.train.Trainer: the loader must use batch_size and shuffle (a custom sampler or "
                            "batch_sampler has no resumable C++ form); iterate it in a Python loop instead")
        seed = self.seed if self.seed is not None else (draw_seed(self.generator) if self._shuffle else 0)
        self._cpp = _C.data.DataLoader(self.dataset, batch_size=self.batch_size, shuffle=self._shuffle,
                                       num_workers=self.num_workers, collate_fn=self._user_collate,
                                       drop_last=self.drop_last, seed=seed, prefetch_factor=self.prefetch_factor,
                                       pin_memory=self._pin())
        return self._cpp


def _pin_batch(batch):
    """The batch with every CPU tensor in it pinned (lists, tuples and dicts are walked), as torch's
    pin-memory thread does."""
    if isinstance(batch, _C.Tensor):
        return batch.pin_memory() if batch.device.type == "cpu" else batch
    if isinstance(batch, dict):
        return {k: _pin_batch(v) for k, v in batch.items()}
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):  # namedtuple
        return type(batch)(*(_pin_batch(v) for v in batch))
    if isinstance(batch, (list, tuple)):
        return type(batch)(_pin_batch(v) for v in batch)
    return batch


class _InfiniteConstantSampler(Sampler):
    def __iter__(self):
        while True:
            yield None


def _batches_of(loader, samples):
    """Collated batches (or converted samples, batch_size=None) of an iterator of samples."""
    if loader.batch_size is None:
        for s in samples:
            yield loader.collate_fn(s)
        return
    while True:
        chunk = list(itertools.islice(samples, loader.batch_size))
        if not chunk or (loader.drop_last and len(chunk) < loader.batch_size):
            return
        yield loader.collate_fn(chunk)


def _start_worker(loader, worker_id, base_seed):
    _local.info = WorkerInfo(worker_id, loader.num_workers, base_seed + worker_id, loader.dataset)
    if loader.worker_init_fn is not None:
        loader.worker_init_fn(worker_id)


def _wait(cond, predicate, timeout):
    if not cond.wait_for(predicate, timeout=timeout if timeout > 0 else None):
        raise RuntimeError(f"DataLoader timed out after {timeout} seconds")


def _ordered_pool(loader, tasks, fn):
    """fn(task) for every task on loader.num_workers threads, at most num_workers * prefetch_factor
    ahead of the consumer, yielded in task order; a worker's exception is raised at its task."""
    cond = threading.Condition()
    results = {}
    state = {"next_task": 0, "consumer": 0, "done": False, "stop": False, "total": None}
    window = loader.num_workers * loader.prefetch_factor
    base_seed = loader._worker_seed()

    def work(worker_id):
        try:
            _start_worker(loader, worker_id, base_seed)
        except BaseException as e:  # noqa: BLE001 - handed to the consumer
            with cond:
                state["stop"] = True
                results[-1] = (False, e)
                cond.notify_all()
            return
        while True:
            with cond:
                cond.wait_for(lambda: state["stop"] or state["next_task"] < state["consumer"] + window)
                if state["stop"]:
                    return
                try:
                    task = next(tasks)
                except StopIteration:
                    state["total"] = state["next_task"]
                    state["stop"] = True
                    cond.notify_all()
                    return
                except BaseException as e:  # noqa: BLE001 - a sampler's error, at its position
                    k = state["next_task"]
                    state["next_task"] += 1
                    state["total"] = k + 1
                    state["stop"] = True
                    results[k] = (False, e)
                    cond.notify_all()
                    return
                k = state["next_task"]
                state["next_task"] += 1
            try:
                out = (True, fn(task))
            except BaseException as e:  # noqa: BLE001 - re-raised by the consumer
                out = (False, e)
            with cond:
                results[k] = out
                cond.notify_all()

    threads = [threading.Thread(target=work, args=(w,), daemon=True, name=f"seek-DataLoader-worker-{w}")
               for w in range(loader.num_workers)]
    for t in threads:
        t.start()
    try:
        k = 0
        while True:
            with cond:
                state["consumer"] = k
                cond.notify_all()
                _wait(cond, lambda: k in results or -1 in results
                      or (state["total"] is not None and k >= state["total"]), loader.timeout)
                if -1 in results:
                    raise results.pop(-1)[1]
                if k not in results:
                    return
                ok, value = results.pop(k)
            if not ok:
                raise value
            yield value
            k += 1
    finally:
        with cond:
            state["stop"] = True
            cond.notify_all()
        for t in threads:
            t.join()


def _iterable_workers(loader):
    """Each worker thread iterates its own iter(dataset) and batches it; batches are taken from the
    workers in turn (worker 0's first, worker 1's first, ...), skipping workers that are done."""
    stop = threading.Event()
    queues = [queue.Queue(maxsize=loader.prefetch_factor) for _ in range(loader.num_workers)]
    base_seed = loader._worker_seed()
    _END = object()

    def put(q, item):
        while not stop.is_set():
            try:
                q.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def work(worker_id):
        q = queues[worker_id]
        try:
            _start_worker(loader, worker_id, base_seed)
            for batch in _batches_of(loader, iter(loader.dataset)):
                if not put(q, (True, batch)):
                    return
        except BaseException as e:  # noqa: BLE001 - re-raised by the consumer
            put(q, (False, e))
            return
        put(q, (True, _END))

    threads = [threading.Thread(target=work, args=(w,), daemon=True, name=f"seek-DataLoader-worker-{w}")
               for w in range(loader.num_workers)]
    for t in threads:
        t.start()
    try:
        active = list(range(loader.num_workers))
        while active:
            for w in list(active):
                try:
                    ok, value = queues[w].get(timeout=loader.timeout if loader.timeout > 0 else None)
                except queue.Empty:
                    raise RuntimeError(f"DataLoader timed out after {loader.timeout} seconds") from None
                if not ok:
                    raise value
                if value is _END:
                    active.remove(w)
                    continue
                yield value
    finally:
        stop.set()
        for t in threads:
            t.join()

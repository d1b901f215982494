"""seek.utils.data (torch.utils.data's API): datasets, samplers, default_collate and the DataLoader,
with torch's iteration semantics; structures compared with torch 1.13 (ref/gen_data_refs.py)."""
import collections
import json
import pathlib
import threading

import numpy as np
import pytest

import seek
from seek import data
from seek.utils.data import (BatchSampler, ConcatDataset, DataLoader, Dataset, IterableDataset, RandomSampler,
                             SequentialSampler, Subset, SubsetRandomSampler, TensorDataset, WeightedRandomSampler,
                             default_collate, get_worker_info, random_split)

REFS = json.loads((pathlib.Path(__file__).parent / "ref" / "data_refs.json").read_text())
Point = collections.namedtuple("Point", ["x", "y"])


def structure(x):
    if isinstance(x, seek.Tensor):
        return {"tensor": repr(x.dtype).replace("seek.", ""), "shape": list(x.shape), "values": x.tolist()}
    if isinstance(x, dict):
        return {"dict": {k: structure(v) for k, v in x.items()}}
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return {"namedtuple": [structure(v) for v in x]}
    if isinstance(x, (list, tuple)):
        return {type(x).__name__: [structure(v) for v in x]}
    return {"value": x}


def nested_samples():
    return [(np.arange(6, dtype=np.float32).reshape(2, 3) + 10 * i, i, 0.5 * i, "s%d" % i,
             {"boxes": seek.tensor([[i, i + 1.0]]), "label": [i, 2 * i]}, Point(i, np.int32(i)), bool(i % 2))
            for i in range(3)]


class Duck:
    """Not a seek Dataset: just __getitem__ and __len__ (as torchvision-style datasets)."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return np.full((2,), i, dtype=np.float32), i


def ids(loader):
    return [i for _, y in loader for i in y.tolist()]


# ---- default_collate ----


def test_default_collate_nested_structure_matches_torch():
    assert structure(default_collate(nested_samples())) == REFS["collate_nested"]
    # a namedtuple sample stays a namedtuple; a dict sample a dict
    batch = default_collate([Point(1.0, seek.ones(2)), Point(2.0, seek.zeros(2))])
    assert isinstance(batch, Point) and batch.x.dtype == seek.float64 and batch.y.shape == (2, 2)
    assert default_collate(["a", "b"]) == ["a", "b"]


def test_default_collate_errors_name_type_path_and_sample():
    class Box:
        pass

    batch = [(seek.zeros(1), {"boxes": seek.zeros(2)}), (seek.zeros(1), {"boxes": Box()})]
    with pytest.raises(TypeError, match=r"Box at sample\[1\]\['boxes'\] of sample 1"):
        default_collate(batch)
    with pytest.raises(TypeError, match=r"found object at sample of sample 0"):
        default_collate([object(), object()])
    with pytest.raises(RuntimeError, match=r"equal size.*\[2\] at entry 0 and \[3\] at entry 1 \(at sample\[0\]\)"):
        default_collate([(seek.zeros(2),), (seek.zeros(3),)])
    with pytest.raises(TypeError, match="numpy array of dtype <U1"):
        default_collate([np.array(["a"]), np.array(["b"])])
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([[1, 2], [1]])


# ---- datasets ----


def test_tensor_dataset_any_number_of_tensors_subset_concat():
    a, b, c = seek.arange(10.0), seek.arange(10) * 2, seek.ones(10, 3)
    ds = TensorDataset(a, b, c)
    assert len(ds) == 10 and [t.tolist() for t in ds[4]] == [4.0, 8, [1.0, 1.0, 1.0]]
    with pytest.raises(ValueError, match="size mismatch"):
        TensorDataset(seek.zeros(3), seek.zeros(4))
    batches = list(DataLoader(ds, batch_size=4))
    assert [len(bt) for bt in batches] == [3, 3, 3] and isinstance(batches[0], list)
    assert batches[2][1].tolist() == [16, 18] and batches[0][2].shape == (4, 3)
    sub = Subset(ds, [9, 0, 4])
    assert [sub[i][1].item() for i in range(3)] == [18, 0, 8]
    assert [x.tolist() for x in next(iter(DataLoader(sub, batch_size=3)))[:2]] == [[9.0, 0.0, 4.0], [18, 0, 8]]
    cat = ConcatDataset([ds, Duck(3)])
    assert len(cat) == 13 and cat[11][1] == 1 and cat[-1][1] == 2 and cat[9][1].item() == 18
    both = data.TensorDataset(seek.zeros(2, 1), seek.zeros(2)) + Duck(2)
    assert isinstance(both, ConcatDataset) and len(both) == 4


def test_duck_typed_dataset_in_the_loader_and_in_cpp_wrappers():
    loader = DataLoader(Duck(5), batch_size=2, shuffle=False)
    assert loader.dataset.n == 5 and loader.batch_size == 2 and len(loader) == 3
    batches = list(loader)
    assert batches[0][0].tolist() == [[0.0, 0.0], [1.0, 1.0]] and batches[2][1].tolist() == [4]
    mapped = data.MapDataset(Duck(3), lambda x: x + 1.0)
    assert mapped[2][0].tolist() == [3.0, 3.0]


def test_random_split_lengths_fractions_and_generator():
    ds = Duck(10)
    a, b = random_split(ds, [7, 3], generator=seek.Generator().manual_seed(1))
    assert sorted(a.indices + b.indices) == list(range(10)) and len(a) == 7
    a2, _ = random_split(ds, [7, 3], generator=seek.Generator().manual_seed(1))
    assert a2.indices == a.indices
    parts = random_split(ds, [0.5, 0.3, 0.2])
    assert [len(p) for p in parts] == [5, 3, 2]
    assert [len(p) for p in random_split(Duck(11), [0.5, 0.5])] == [6, 5]
    with pytest.raises(ValueError, match="does not equal the length"):
        random_split(ds, [3, 3])


def test_bad_len_is_named():
    class Negative(Dataset):
        def __len__(self):
            return -1

        def __getitem__(self, i):
            return seek.zeros(1), 0

    class NotInt:
        def __len__(self):
            return 2.5

        def __getitem__(self, i):
            return 0

    with pytest.raises(ValueError, match=r"Negative.__len__\(\) returned -1"):
        DataLoader(Negative())
    with pytest.raises(TypeError, match=r"NotInt.__len__\(\) must return an int, got float"):
        DataLoader(NotInt())
    with pytest.raises(ValueError, match=r"Negative.__len__\(\) returned -1"):
        data.MapDataset(Negative(), lambda x: x).__len__()


# ---- samplers ----


def test_samplers_properties():
    seek.manual_seed(0)
    src = list(range(10))
    assert list(SequentialSampler(src)) == src
    r = list(RandomSampler(src))
    assert sorted(r) == src and r != src
    assert len(list(RandomSampler(src, num_samples=25))) == 25
    assert sorted(list(RandomSampler(src, num_samples=20))) == sorted(src * 2)
    w = list(RandomSampler(src, replacement=True, num_samples=200))
    assert len(w) == 200 and set(w) <= set(src) and len(set(w)) > 5
    g = seek.Generator().manual_seed(3)
    first = list(RandomSampler(src, generator=g))
    assert first != list(RandomSampler(src, generator=g))  # the generator moves on
    assert first == list(RandomSampler(src, generator=seek.Generator().manual_seed(3)))
    sub = list(SubsetRandomSampler([5, 7, 9]))
    assert sorted(sub) == [5, 7, 9]
    weighted = list(WeightedRandomSampler([0.0, 1.0, 3.0], 4000))
    counts = np.bincount(weighted, minlength=3)
    assert counts[0] == 0 and 2.5 < counts[2] / counts[1] < 3.5
    no_rep = list(WeightedRandomSampler([1.0, 0.0, 5.0, 1.0], 3, replacement=False))
    assert sorted(no_rep) == [0, 2, 3]
    with pytest.raises(ValueError):
        WeightedRandomSampler([1.0, 0.0], 2, replacement=False)
    assert list(BatchSampler(range(7), 3, False)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(BatchSampler(range(7), 3, True)) == [[0, 1, 2], [3, 4, 5]] and len(BatchSampler(range(7), 3, True)) == 2
    with pytest.raises(ValueError, match="batch_size"):
        BatchSampler(range(3), 0, False)
    with pytest.raises(TypeError, match="replacement"):
        RandomSampler(src, replacement=1)


def test_loader_with_sampler_batch_sampler_and_collate_fn():
    ds = Duck(6)
    loader = DataLoader(ds, batch_size=2, sampler=[5, 3, 1])
    assert ids(loader) == [5, 3, 1] and len(loader) == 2
    bs = DataLoader(ds, batch_sampler=[[0, 5], [2]])
    assert [y.tolist() for _, y in bs] == [[0, 5], [2]] and bs.batch_size is None
    assert DataLoader(ds, batch_size=4, collate_fn=lambda s: len(s)).__iter__().__next__() == 4
    no_batch = list(DataLoader(ds, batch_size=None))
    assert len(no_batch) == 6 and no_batch[3][1] == 3 and isinstance(no_batch[3][0], seek.Tensor)
    with pytest.raises(ValueError, match="mutually exclusive"):
        DataLoader(ds, batch_sampler=[[0]], batch_size=2)
    with pytest.raises(ValueError, match="mutually exclusive with shuffle"):
        DataLoader(ds, sampler=[0], shuffle=True)
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(ds, batch_size=0)


# ---- iteration semantics ----


@pytest.mark.parametrize("make", [lambda: data.TensorDataset(seek.arange(20.0), seek.arange(20)),
                                  lambda: data.MapDataset(data.TensorDataset(seek.arange(20.0), seek.arange(20)),
                                                          lambda x: x),
                                  lambda: Duck(20)], ids=["tensor", "cpp", "duck"])
@pytest.mark.parametrize("workers", [0, 2])
def test_each_iteration_is_a_new_epoch_from_the_start(make, workers):
    loader = DataLoader(make(), batch_size=3, num_workers=workers)
    for k, _ in enumerate(loader):
        if k == 1:
            break
    assert ids(loader) == list(range(20))
    shuffled = DataLoader(make(), batch_size=3, shuffle=True, num_workers=workers)
    seek.manual_seed(5)
    e0, e1 = ids(shuffled), ids(shuffled)
    assert sorted(e0) == list(range(20)) and sorted(e1) == list(range(20)) and e0 != e1
    seek.manual_seed(5)
    assert ids(shuffled) == e0 and ids(shuffled) == e1  # seek.manual_seed decides the orders
    g = seek.Generator().manual_seed(9)
    with_gen = DataLoader(make(), batch_size=3, shuffle=True, generator=g, num_workers=workers)
    a = ids(with_gen)
    seek.manual_seed(123)  # the global seed does not matter with generator=
    g.manual_seed(9)
    assert ids(with_gen) == a


def test_workers_keep_order_run_init_and_report_worker_info():
    seen = []
    lock = threading.Lock()

    class Slow(Dataset):
        def __len__(self):
            return 30

        def __getitem__(self, i):
            info = get_worker_info()
            with lock:
                seen.append(info.id if info is not None else None)
            return {"x": seek.tensor([float(i)]), "i": i}

    inits = []
    loader = DataLoader(Slow(), batch_size=4, num_workers=3, worker_init_fn=inits.append, prefetch_factor=1,
                        persistent_workers=True, pin_memory=True, timeout=30)
    batches = list(loader)
    assert [b["i"].tolist() for b in batches] == [list(range(k, min(k + 4, 30))) for k in range(0, 30, 4)]
    assert sorted(inits) == [0, 1, 2] and set(seen) <= {0, 1, 2} and None not in seen
    assert get_worker_info() is None


def test_worker_errors_surface_in_order():
    class Broken(Dataset):
        def __len__(self):
            return 8

        def __getitem__(self, i):
            if i == 5:
                raise KeyError("bad example 5")
            return seek.zeros(1), i

    got = []
    with pytest.raises(KeyError, match="bad example 5"):
        for _, y in DataLoader(Broken(), batch_size=1, num_workers=2):
            got.append(y.item())
    assert got == [0, 1, 2, 3, 4]


def test_iterable_dataset_with_and_without_workers():
    class Stream(IterableDataset):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            info = get_worker_info()
            lo, step = (0, 1) if info is None else (info.id, info.num_workers)
            return iter(range(lo, self.n, step))

    assert [b.tolist() for b in DataLoader(Stream(7), batch_size=3)] == [[0, 1, 2], [3, 4, 5], [6]]
    assert [b.tolist() for b in DataLoader(Stream(7), batch_size=3, drop_last=True)] == [[0, 1, 2], [3, 4, 5]]
    got = sorted(i for b in DataLoader(Stream(20), batch_size=2, num_workers=2) for i in b.tolist())
    assert got == list(range(20))
    with pytest.raises(ValueError, match="shuffle"):
        DataLoader(Stream(3), shuffle=True)


def test_trainer_takes_the_loader_and_resumes(tmp_path):
    from seek import nn, optim
    from seek.train import Trainer

    seek.manual_seed(0)
    x, y = seek.randn(40, 3), seek.randint(0, 2, (40,))
    loader = DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True, seed=4)
    model = nn.Linear(3, 2)
    t = Trainer(model, optim.SGD(model.parameters(), lr=0.1), loader, epochs=2, progress=False)
    t.fit()
    assert t.global_step == 10 and t.epoch == 2
    with pytest.raises(TypeError, match="custom sampler"):
        Trainer(model, optim.SGD(model.parameters(), lr=0.1), DataLoader(TensorDataset(x, y), sampler=[0, 1]),
                progress=False)


def test_cpp_consumers_name_the_dataset_sample_and_type():
    class Odd(Dataset):
        def __len__(self):
            return 3

        def __getitem__(self, i):
            return seek.zeros(1), object()

    class Words:
        def __len__(self):
            return 2

        def __getitem__(self, i):
            return "word", i

    with pytest.raises(TypeError, match=r"Odd.__getitem__\(2\) returned a object at \[1\], which cannot become"):
        data.MapDataset(Odd(), lambda x: x)[2]
    with pytest.raises(TypeError, match=r"Words\[1\] returned a str at \[0\], which cannot become a tensor"):
        data.MapDataset(Words(), lambda x: x)[1]

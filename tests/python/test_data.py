"""seek.data from Python: datasets (also Python-defined, read from worker threads),
DataLoader order / batching / workers, splits, transforms and the MNIST reader."""
import os

import pytest

import seek
from seek import data
from seek.data import transforms as T

FASHION = "/usr/share/datasets/fashion-mnist"


def arange_dataset(n):
    return data.TensorDataset(seek.arange(n * 2.0).reshape(n, 2), seek.arange(n))


class Squares(data.Dataset):
    """A Python dataset; no super().__init__() needed, as in torch."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return seek.full([3], float(i * i)), i


def test_tensor_dataset_and_loader_batches_in_order():
    ds = arange_dataset(10)
    assert len(ds) == 10
    x, y = ds[3]
    assert x.tolist() == [6.0, 7.0] and y.item() == 3
    assert ds[-1][1].item() == 9
    with pytest.raises(IndexError):
        ds[10]
    loader = data.DataLoader(ds, batch_size=4)
    batches = list(loader)
    assert len(loader) == 3 and len(batches) == 3
    assert [b[1].tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert batches[0][0].shape == (4, 2)
    assert len(data.DataLoader(ds, batch_size=4, drop_last=True)) == 2


def test_shuffle_with_seed_is_a_seeded_permutation_per_epoch():
    # seed= (seek's addition): the k-th iteration is epoch k, whose order depends on (seed, k) only.
    ds = arange_dataset(20)
    loader = data.DataLoader(ds, batch_size=5, shuffle=True, seed=7)
    e0 = [i for _, y in loader for i in y.tolist()]
    e1 = [i for _, y in loader for i in y.tolist()]
    loader.set_epoch(0)
    again = [i for _, y in loader for i in y.tolist()]
    assert sorted(e0) == list(range(20)) and sorted(e1) == list(range(20))
    assert e0 == again and e0 != e1 and e0 != list(range(20))
    other = data.DataLoader(ds, batch_size=5, shuffle=True, seed=7)
    assert [i for _, y in other for i in y.tolist()] == e0
    assert loader.epoch == 1


def test_python_dataset_with_worker_threads_matches_single_thread():
    ds = Squares(37)
    assert len(ds) == 37 and ds[4][0].tolist() == [16.0, 16.0, 16.0]
    single = [(x.tolist(), y.tolist()) for x, y in data.DataLoader(ds, batch_size=8)]
    threaded = [(x.tolist(), y.tolist()) for x, y in data.DataLoader(ds, batch_size=8, num_workers=3)]
    assert single == threaded
    assert single[1][1] == list(range(8, 16)) and single[1][0][2] == [100.0] * 3


def test_python_dataset_inside_cpp_wrappers_outlives_its_python_references():
    import gc

    loader = data.DataLoader(data.Subset(data.MapDataset(Squares(6), lambda x: x + 1.0), [5, 1]), batch_size=2)
    parts = data.random_split(Squares(4), [2, 2])
    gc.collect()
    x, y = next(iter(loader))
    assert y.tolist() == [5, 1] and x.tolist()[0] == [26.0] * 3
    assert sorted(parts[0].indices + parts[1].indices) == [0, 1, 2, 3]
    assert parts[0][0][0].tolist()[0] == float(parts[0].indices[0] ** 2)


def test_leaving_a_threaded_iteration_early_does_not_hang():
    loader = data.DataLoader(Squares(200), batch_size=4, num_workers=2)
    it = iter(loader)
    next(it)
    next(it)
    del it
    # As in torch, every iteration is a new epoch from the first batch, also after leaving one early.
    assert sum(1 for _ in loader) == 50
    for k, _ in enumerate(loader):
        if k == 3:
            break
    assert sum(1 for _ in loader) == 50


def test_errors_inside_python_dataset_surface_in_python():
    class Broken(data.Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            if i == 2:
                raise KeyError("bad example")
            return seek.zeros(1), 0

    with pytest.raises(KeyError, match="bad example"):
        list(data.DataLoader(Broken(), batch_size=1, num_workers=2))

    class Single(data.Dataset):
        def __len__(self):
            return 1

        def __getitem__(self, i):
            return seek.zeros(1)

    # As in torch, a sample may be a single tensor: the batch is their stack ...
    assert [b.shape for b in data.DataLoader(Single())] == [(1, 1)]
    # ... but C++ consumers (MapDataset, the Trainer) need (data, target) pairs.
    with pytest.raises(TypeError, match="pair"):
        data.MapDataset(Single(), lambda x: x)[0]


def test_subset_random_split_and_collate_fn():
    ds = arange_dataset(10)
    sub = data.Subset(ds, [9, 0, 4])
    assert [sub[i][1].item() for i in range(3)] == [9, 0, 4]
    a, b = data.random_split(ds, [7, 3], seed=1)
    ids = sorted(a.indices + b.indices)
    assert len(a) == 7 and len(b) == 3 and ids == list(range(10))
    p, q = data.random_split(ds, [0.5, 0.5])
    assert len(p) == 5 and len(q) == 5
    with pytest.raises(ValueError):
        data.random_split(ds, [3, 3])

    def collate(examples):
        return seek.stack([x for x, _ in examples]).sum(1), seek.stack([y for _, y in examples])

    x, y = next(iter(data.DataLoader(ds, batch_size=2, collate_fn=collate)))
    assert x.tolist() == [1.0, 5.0] and y.tolist() == [0, 1]


def test_transforms_on_images():
    img = seek.arange(12.0).reshape(1, 3, 4)
    norm = T.Normalize([2.0], [4.0])
    assert norm(img).tolist()[0][0] == [-0.5, -0.25, 0.0, 0.25]
    flipped = T.RandomHorizontalFlip(p=1.0)(img)
    assert flipped.tolist()[0][0] == [3.0, 2.0, 1.0, 0.0]
    assert T.RandomHorizontalFlip(p=0.0)(img).tolist() == img.tolist()
    crop = T.RandomCrop(2, padding=0)(img)
    assert crop.shape == (1, 2, 2)
    pipeline = T.Compose([T.RandomHorizontalFlip(p=1.0), lambda x: x * 2, norm])
    assert pipeline(img).tolist()[0][0] == [1.0, 0.5, 0.0, -0.5]
    assert "Normalize" in repr(pipeline)
    with pytest.raises(ValueError):
        T.Normalize([0.0], [0.0])(img)


def test_map_dataset_seeded_is_reproducible_across_workers():
    base = data.TensorDataset(seek.rand(16, 1, 6, 6), seek.arange(16))
    aug = T.Compose([T.RandomCrop(6, padding=2), T.RandomHorizontalFlip()])
    ds = data.MapDataset(base, aug, seed=3)
    a = [x.tolist() for x, _ in data.DataLoader(ds, batch_size=4)]
    b = [x.tolist() for x, _ in data.DataLoader(ds, batch_size=4, num_workers=2)]
    assert a == b
    py_ds = data.MapDataset(base, lambda x: x + 1.0)
    assert seek.allclose(py_ds[2][0], base[2][0] + 1.0)
    # a Python transform runs in the worker threads too (each call takes the GIL)
    shifted = [x.tolist() for x, _ in data.DataLoader(py_ds, batch_size=4, num_workers=2)]
    assert shifted == [x.tolist() for x, _ in data.DataLoader(data.MapDataset(base, T.Lambda(lambda x: x + 1.0)),
                                                              batch_size=4)]
    shared = data.MapDataset(base, aug, generator_seed=5)
    assert shared[0][0].shape == (1, 6, 6)
    with pytest.raises(ValueError, match="not both"):
        data.MapDataset(base, aug, seed=1, generator_seed=2)


@pytest.mark.skipif(not os.path.isdir(FASHION), reason="Fashion-MNIST not installed")
def test_fashion_mnist_reader():
    test = data.FashionMNIST(FASHION, train=False)
    assert len(test) == 10000
    x, y = test[0]
    assert x.shape == (1, 28, 28) and x.dtype == seek.float32 and y.dtype == seek.int64
    assert 0.0 <= x.min().item() and x.max().item() <= 1.0
    assert test.data.shape == (10000, 28, 28) and test.targets.shape == (10000,)
    assert sorted(set(test.targets.tolist())) == list(range(10))


@pytest.mark.skipif(not os.path.isdir(FASHION), reason="Fashion-MNIST not installed")
def test_fashion_detection_train_items_per_image(tmp_path):
    o = data.FashionDetectionOptions()
    assert (o.min_items, o.max_items, o.train_min_items, o.train_max_items) == (2, 6, 6, 10)
    r = data.make_fashion_detection(FASHION, str(tmp_path / "a"), train=4, val=3, test=3, seed=1,
                                    train_min_items=5, train_max_items=5, min_items=2, max_items=2)
    assert [rec.labels.shape[0] for rec in r.train.records] == [5] * 4
    assert [rec.labels.shape[0] for rec in r.val.records + r.test.records] == [2] * 6
    # -1: the train images as the others; the val and test images are the same either way
    same = data.make_fashion_detection(FASHION, str(tmp_path / "b"), train=4, val=3, test=3, seed=1,
                                       train_min_items=-1, train_max_items=-1, min_items=2, max_items=2)
    assert [rec.labels.shape[0] for rec in same.train.records] == [2] * 4
    for name in ("val.json", "test.json", "test/images/000002.png"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    with pytest.raises(ValueError, match="train_min_items"):
        data.make_fashion_detection(FASHION, str(tmp_path / "c"), train=1, val=0, test=0, train_min_items=4,
                                    train_max_items=3)


def test_mnist_missing_directory_raises():
    with pytest.raises(RuntimeError, match="/nonexistent"):
        data.MNIST("/nonexistent/dir")


def test_dropping_the_last_iterator_inside_a_worker_does_not_abort():
    # Python's garbage collector may run inside a worker (here: the transform calls it) and free
    # an abandoned iterator of that very loader; the worker cannot join itself (it used to
    # std::terminate with "Resource deadlock avoided"), so it is detached and finishes on its own.
    import gc

    ds = data.MapDataset(data.TensorDataset(seek.arange(200.0), seek.arange(200)), lambda x: (gc.collect(), x)[1])

    class Holder:
        pass

    for _ in range(10):
        it = iter(data.DataLoader(ds, batch_size=2, num_workers=2))
        next(it)
        h = Holder()
        h.self, h.it = h, it  # a reference cycle: only the collector frees it
        del it, h
    assert [y.tolist() for _, y in data.DataLoader(ds, batch_size=100, num_workers=2)][1][:3] == [100, 101, 102]

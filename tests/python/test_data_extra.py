"""seek.data: CIFAR10 and ImageFolder on tiny files written by the tests (CIFAR binary
batches, PNGs encoded with zlib by hand), read_image, the batch mixing transforms (MixUp,
CutMix, RandomMixUpCutMix) alone and in a DataLoader through collate_with_transform, and
analyze / content_hash."""
import math
import struct
import zlib

import numpy as np
import pytest

import seek
from seek import data
from seek.data import transforms as T
from conftest import to_np

# ---- tiny files ----


def cifar_records(labels, seed):
    """CIFAR-10 binary records (label byte + 3072 image bytes) and the images [N, 3, 32, 32]."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(len(labels), 3, 32, 32), dtype=np.uint8)
    raw = b"".join(bytes([lab]) + img.tobytes() for lab, img in zip(labels, images))
    return raw, images


def write_cifar(root):
    """data_batch_1..5 with one or two records each and test_batch with three."""
    train_labels, train_images = [], []
    for i in range(1, 6):
        labels = [i, 9 - i] if i % 2 else [i]
        raw, images = cifar_records(labels, seed=i)
        (root / f"data_batch_{i}.bin").write_bytes(raw)
        train_labels += labels
        train_images.append(images)
    raw, test_images = cifar_records([0, 3, 9], seed=10)
    (root / "test_batch.bin").write_bytes(raw)
    return train_labels, np.concatenate(train_images), test_images


def png_bytes(pixels):
    """An 8-bit PNG (colour type 2 RGB or 0 grey) of a uint8 [H, W, 3] or [H, W] array."""
    h, w = pixels.shape[:2]
    colour = 2 if pixels.ndim == 3 else 0
    rows = b"".join(b"\x00" + pixels[y].tobytes() for y in range(h))  # filter type 0 per row

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", w, h, 8, colour, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def write_image_folder(root):
    """cat/ (two 3x4 RGB images, one in a sub-folder), dog/ (one), notes.txt ignored."""
    rng = np.random.default_rng(7)
    images = {}
    for rel in ["cat/b.png", "cat/deep/a.png", "dog/x.png"]:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        pixels = rng.integers(0, 256, size=(3, 4, 3), dtype=np.uint8)
        path.write_bytes(png_bytes(pixels))
        images[rel] = pixels
    (root / "dog" / "notes.txt").write_text("not an image")
    return images


# ---- CIFAR10 ----


def test_cifar10_reads_train_and_test_batches(tmp_path):
    labels, images, test_images = write_cifar(tmp_path)
    train = data.CIFAR10(str(tmp_path), train=True)
    assert len(train) == len(labels) == 8
    assert train.targets.tolist() == labels
    assert train.data.dtype == seek.uint8 and train.data.shape == (8, 3, 32, 32)
    assert train.classes[0] == "airplane" and train.classes[9] == "truck"
    assert train.class_to_idx["cat"] == 3
    x, y = train[5]
    assert x.dtype == seek.float32 and x.shape == (3, 32, 32)
    np.testing.assert_allclose(to_np(x), images[5] / 255.0, rtol=1e-6)
    assert y.item() == labels[5]
    test = data.CIFAR10(tmp_path, train=False)
    assert len(test) == 3 and test.targets.tolist() == [0, 3, 9]
    np.testing.assert_allclose(to_np(test[2][0]), test_images[2] / 255.0, rtol=1e-6)


def test_cifar10_nested_folder_class_names_and_transforms(tmp_path):
    nested = tmp_path / "cifar-10-batches-bin"
    nested.mkdir()
    labels, images, _ = write_cifar(nested)
    (nested / "batches.meta.txt").write_text("\n".join(f"c{i}" for i in range(10)) + "\n")
    ds = data.CIFAR10(str(tmp_path), transform=T.Normalize([0.5] * 3, [0.5] * 3),
                      target_transform=lambda t: t + 100)
    assert ds.classes == [f"c{i}" for i in range(10)]
    assert ds.root.endswith("cifar-10-batches-bin")
    x, y = ds[0]
    np.testing.assert_allclose(to_np(x), (images[0] / 255.0 - 0.5) / 0.5, rtol=1e-5, atol=1e-6)
    assert y.item() == labels[0] + 100
    xb, yb = next(iter(data.DataLoader(ds, batch_size=4, num_workers=2)))
    assert xb.shape == (4, 3, 32, 32) and yb.tolist() == [v + 100 for v in labels[:4]]


def test_cifar10_bad_files(tmp_path):
    with pytest.raises(RuntimeError, match="CIFAR10: neither .*data_batch_1.bin"):
        data.CIFAR10(str(tmp_path))
    write_cifar(tmp_path)
    (tmp_path / "data_batch_3.bin").write_bytes(b"\x01" * 3000)
    with pytest.raises(RuntimeError, match="data_batch_3.bin' has 3000 bytes"):
        data.CIFAR10(str(tmp_path))
    raw, _ = cifar_records([12], seed=0)
    (tmp_path / "bad.bin").write_bytes(raw)
    with pytest.raises(RuntimeError, match="has label 12"):
        data.read_cifar10_batch(str(tmp_path / "bad.bin"))


# ---- ImageFolder and read_image ----


def test_read_image_of_a_handwritten_png(tmp_path):
    pixels = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3) * 13
    path = tmp_path / "p.png"
    path.write_bytes(png_bytes(pixels))
    img = data.read_image(str(path))
    assert img.dtype == seek.float32 and img.shape == (3, 2, 3)
    np.testing.assert_allclose(to_np(img), pixels.transpose(2, 0, 1) / 255.0, rtol=1e-6)
    grey = np.array([[0, 128], [255, 64]], dtype=np.uint8)
    (tmp_path / "g.png").write_bytes(png_bytes(grey))
    assert data.read_image(str(tmp_path / "g.png"), channels=0).shape == (1, 2, 2)
    rgb = data.read_image(str(tmp_path / "g.png"))
    np.testing.assert_allclose(to_np(rgb), np.stack([grey] * 3) / 255.0, rtol=1e-6)
    with pytest.raises(ValueError, match="channels must be 0 .as stored., 1 or 3, got 2"):
        data.read_image(str(path), channels=2)
    (tmp_path / "bad.png").write_bytes(b"not a png")
    with pytest.raises(RuntimeError, match="read_image: cannot decode .*bad.png"):
        data.read_image(str(tmp_path / "bad.png"))


def test_image_folder(tmp_path):
    images = write_image_folder(tmp_path)
    ds = data.ImageFolder(str(tmp_path))
    assert ds.classes == ["cat", "dog"]
    assert ds.class_to_idx == {"cat": 0, "dog": 1}
    assert [(p.split(str(tmp_path))[1].lstrip("/"), c) for p, c in ds.samples] == [
        ("cat/b.png", 0), ("cat/deep/a.png", 0), ("dog/x.png", 1)]
    assert ds.imgs == ds.samples and ds.targets == [0, 0, 1]
    assert len(ds) == 3
    x, y = ds[1]
    np.testing.assert_allclose(to_np(x), images["cat/deep/a.png"].transpose(2, 0, 1) / 255.0, rtol=1e-6)
    assert y.item() == 0 and y.dtype == seek.int64
    xb, yb = next(iter(data.DataLoader(ds, batch_size=3)))
    assert xb.shape == (3, 3, 3, 4) and yb.tolist() == [0, 0, 1]


def test_image_folder_options_and_transforms(tmp_path):
    images = write_image_folder(tmp_path)
    grey = data.ImageFolder(str(tmp_path), channels=1, size=(2, 2))
    assert grey[0][0].shape == (1, 2, 2)
    flipped = data.ImageFolder(str(tmp_path), transform=T.hflip, target_transform=lambda t: t * 10)
    x, y = flipped[2]
    np.testing.assert_allclose(to_np(x), images["dog/x.png"].transpose(2, 0, 1)[:, :, ::-1] / 255.0, rtol=1e-6)
    assert y.item() == 10


def test_image_folder_errors(tmp_path):
    with pytest.raises(RuntimeError, match="is not a folder"):
        data.ImageFolder(str(tmp_path / "missing"))
    write_image_folder(tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(RuntimeError, match="no image file"):
        data.ImageFolder(str(tmp_path))
    ds = data.ImageFolder(str(tmp_path), allow_empty=True)
    assert ds.classes == ["cat", "dog", "empty"] and ds.targets == [0, 0, 1]
    with pytest.raises(ValueError, match="channels must be 1 or 3, got 4"):
        data.ImageFolder(str(tmp_path), allow_empty=True, channels=4)


# ---- batch mixing ----


def small_batch():
    x = seek.tensor([[[[1.0, 2.0]]], [[[3.0, 4.0]]], [[[5.0, 6.0]]]])  # [3, 1, 1, 2]
    return x, seek.tensor([0, 2, 1])


def test_mixup_mix_by_hand():
    x, y = small_batch()
    mixed, soft = T.MixUp(alpha=1.0, num_classes=3).mix(x, y, 0.25)
    # partner of example i is example i - 1 (example 0 pairs with the last)
    assert mixed.reshape(3, 2).tolist() == [[0.25 * 1 + 0.75 * 5, 0.25 * 2 + 0.75 * 6],
                                            [0.25 * 3 + 0.75 * 1, 0.25 * 4 + 0.75 * 2],
                                            [0.25 * 5 + 0.75 * 3, 0.25 * 6 + 0.75 * 4]]
    assert soft.dtype == seek.float32
    assert soft.tolist() == [[0.25, 0.75, 0.0], [0.75, 0.0, 0.25], [0.0, 0.25, 0.75]]
    _, smooth = T.MixUp(num_classes=3, label_smoothing=0.3).mix(x, y, 1.0)
    np.testing.assert_allclose(to_np(smooth)[0], [0.8, 0.1, 0.1], rtol=1e-6)


def test_cutmix_box_and_mix_by_hand():
    # r = sqrt(1 - 0.75) / 2 = 0.25, half sizes floor(0.25 * 4) = 1
    assert T.CutMix.box(4, 4, 0.75, 2, 1) == (1, 0, 3, 2)
    assert T.CutMix.box(4, 4, 0.75, 0, 3) == (0, 2, 1, 4)  # clipped at the border
    x = seek.arange(2 * 16).float().reshape(2, 1, 4, 4)
    y = seek.tensor([0, 1])
    mixed, soft = T.CutMix(num_classes=2).mix(x, y, (1, 0, 3, 2))
    expected = to_np(x).copy()
    expected[0, :, 0:2, 1:3] = to_np(x)[1, :, 0:2, 1:3]
    expected[1, :, 0:2, 1:3] = to_np(x)[0, :, 0:2, 1:3]
    np.testing.assert_array_equal(to_np(mixed), expected)
    assert soft.tolist() == [[0.75, 0.25], [0.25, 0.75]]  # lambda = 1 - 4 / 16


def test_mixup_call_draws_a_lambda_and_follows_manual_seed():
    x, y = small_batch()
    mixup = T.MixUp(alpha=0.4, num_classes=3)
    seek.manual_seed(3)
    a = mixup(x, y)
    seek.manual_seed(3)
    b = mixup((x, y))
    assert a[0].tolist() == b[0].tolist() and a[1].tolist() == b[1].tolist()
    lam = a[1][0, 0].item()          # example 0 is class 0, its partner class 1
    assert 0.0 <= lam <= 1.0
    np.testing.assert_allclose(to_np(a[0])[0], lam * to_np(x)[0] + (1 - lam) * to_np(x)[2], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(to_np(a[1]).sum(1), [1.0, 1.0, 1.0], rtol=1e-6)
    assert "MixUp(alpha=0.4, num_classes=3)" == repr(mixup)


def test_random_mixup_cutmix_with_prob_zero_only_softens_targets():
    x, y = small_batch()
    t = T.RandomMixUpCutMix(mixup_alpha=1.0, cutmix_alpha=1.0, num_classes=3, prob=0.0, label_smoothing=0.3)
    out, soft = t(x, y)
    assert out.tolist() == x.tolist()
    np.testing.assert_allclose(to_np(soft), [[0.8, 0.1, 0.1], [0.1, 0.1, 0.8], [0.1, 0.8, 0.1]], rtol=1e-6)
    assert isinstance(t, T.BatchTransform)


def test_batch_transform_errors():
    with pytest.raises(ValueError, match="MixUp: num_classes must be given"):
        T.MixUp(alpha=1.0)
    with pytest.raises(ValueError, match="CutMix: num_classes must be given"):
        T.CutMix()
    x, y = small_batch()
    with pytest.raises(TypeError, match="expected .data, target."):
        T.MixUp(num_classes=3)(x, y, x)
    with pytest.raises(TypeError, match="collate_with_transform: transform must be a batch transform"):
        data.collate_with_transform(3)


def mixing_loader(num_workers, seed=11):
    seek.manual_seed(0)
    images, labels = seek.rand(12, 1, 4, 4), seek.randint(0, 4, (12,))
    collate = data.collate_with_transform(T.RandomMixUpCutMix(num_classes=4), seed=seed)
    return data.DataLoader(data.TensorDataset(images, labels), batch_size=4, shuffle=True, seed=5,
                           num_workers=num_workers, collate_fn=collate)


def test_collate_with_transform_in_a_data_loader_is_seeded():
    batches0 = [(x.tolist(), y.tolist()) for x, y in mixing_loader(0)]
    batches2 = [(x.tolist(), y.tolist()) for x, y in mixing_loader(2)]
    assert batches0 == batches2                      # the same for any number of workers
    assert len(batches0) == 3
    for _, soft in batches0:
        np.testing.assert_allclose(np.sum(soft, axis=1), np.ones(4), rtol=1e-5)
    other = [(x.tolist(), y.tolist()) for x, y in mixing_loader(0, seed=12)]
    assert other != batches0
    # the next epoch mixes differently, and a resumed loader reproduces it
    loader = mixing_loader(0)
    loader.set_epoch(1)
    epoch1 = [y.tolist() for _, y in loader]
    assert epoch1 != [y for _, y in batches0]


def test_indexed_collate_called_directly_and_python_transform():
    examples = [(seek.tensor([float(i)]), seek.tensor(i % 2)) for i in range(4)]
    collate = data.collate_with_transform(T.MixUp(num_classes=2), seed=1)
    a = collate(examples, epoch=0, batch=3)
    b = collate(examples, epoch=0, batch=3)
    c = collate(examples, epoch=1, batch=3)
    assert a[0].tolist() == b[0].tolist() and a[0].tolist() != c[0].tolist()
    double = data.collate_with_transform(lambda x, y: (x * 2, y), seed=0)
    x, y = double(examples)
    assert x.tolist() == [[0.0], [2.0], [4.0], [6.0]] and y.tolist() == [0, 1, 0, 1]
    x, y = data.default_collate(examples)
    assert x.shape == (4, 1) and y.tolist() == [0, 1, 0, 1]


# ---- analysis ----


def test_analyze_and_content_hash():
    images = seek.tensor([[[[0.0, 1.0]]], [[[0.5, 0.5]]], [[[1.0, 1.0]]], [[[0.0, 0.0]]]])  # [4, 1, 1, 2]
    labels = seek.tensor([0, 1, 1, 1])
    ds = data.TensorDataset(images, labels)
    a = data.analyze(ds, num_classes=2, class_names=["a", "b"])
    assert a.num_examples == 4 and a.has_classes
    assert a.classes.counts == [1, 3]
    assert a.classes.fractions == [0.25, 0.75]
    assert a.classes.imbalance_ratio == 3.0
    entropy = -(0.25 * math.log(0.25) + 0.75 * math.log(0.75))
    assert abs(a.classes.entropy - entropy) < 1e-12
    assert abs(a.classes.balance - entropy / math.log(2)) < 1e-12
    assert (a.height.min, a.width.max, a.channels.mean) == (1.0, 2.0, 1.0)
    (p,) = a.pixels
    assert abs(p.mean - 0.5) < 1e-12 and abs(p.std - math.sqrt(0.1875)) < 1e-9
    assert (p.min, p.max) == (0.0, 1.0)
    assert a.hash == data.content_hash(ds) and a.hash_hex() == f"{a.hash:016x}"
    assert "examples: 4" in str(a) and a.hash_hex() in a.report()
    same = data.TensorDataset(images.clone(), labels.clone())
    assert data.content_hash(same) == a.hash
    changed = data.TensorDataset(images, seek.tensor([0, 1, 1, 0]))
    assert data.content_hash(changed) != a.hash
    assert data.analyze(ds, pixel_stats=False).pixels == []
    with pytest.raises(ValueError, match="not below"):
        data.analyze(ds, num_classes=1)

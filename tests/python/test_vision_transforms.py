"""seek.vision (torchvision's transforms, datasets and utils): transforms on tensors, numpy arrays
(and PIL images where Pillow is installed), values compared with torch 1.13 (ref/gen_data_refs.py),
save_image's PNG decoded back by seek.data.read_image, the datasets' torchvision signatures."""
import io
import json
import os
import pathlib

import numpy as np
import pytest

import seek
from seek import data
from seek.vision import datasets, transforms as T, utils

REFS = json.loads((pathlib.Path(__file__).parent / "ref" / "data_refs.json").read_text())
FASHION = "/usr/share/datasets/fashion-mnist"


def close(a, b, tol=1e-5):
    np.testing.assert_allclose(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64), rtol=tol, atol=tol)


def test_import_paths_are_torchvisions():
    import seek.vision.transforms as vt
    from seek.vision import transforms

    assert transforms is vt and transforms.Compose is data.transforms.Compose
    assert seek.vision.utils.make_grid is utils.make_grid and datasets.MNIST.__name__ == "MNIST"


def test_resize_matches_torch():
    img = seek.tensor(REFS["resize_input"])
    close(T.Resize((4, 3))(img).tolist(), REFS["resize_bilinear_4x3"])
    close(T.Resize([8, 11])(img).tolist(), REFS["resize_bilinear_up_8x11"])
    close(T.Resize((4, 3), interpolation=T.InterpolationMode.NEAREST)(img).tolist(), REFS["resize_nearest_4x3"])
    close(T.Resize(4)(img).tolist(), REFS["resize_short_side_4"])
    u8 = seek.tensor(REFS["resize_u8_input"], dtype=seek.uint8)
    out = T.Resize((4, 3))(u8)
    assert out.dtype == seek.uint8
    assert np.abs(np.array(out.tolist(), dtype=int) - np.array(REFS["resize_u8_4x3"])).max() <= 1
    # a numpy [H, W, C] array stays an array of the new size
    arr = np.asarray(REFS["resize_input"], dtype=np.float32).transpose(1, 2, 0)
    close(T.Resize((4, 3))(arr).transpose(2, 0, 1), REFS["resize_bilinear_4x3"])
    assert T.Resize(4)(np.zeros((5, 7), np.float32)).shape == (4, 5)


def test_grayscale_pad_and_center_crop_match_torch():
    img = seek.tensor(REFS["resize_input"])
    close(T.Grayscale()(img).tolist(), REFS["grayscale"])
    assert T.Grayscale(3)(img).shape == (3, 5, 7)
    close(T.Pad((1, 2, 2, 1), fill=0.5)(img).tolist(), REFS["pad_constant"])
    close(T.Pad((1, 2, 2, 1), padding_mode="edge")(img).tolist(), REFS["pad_edge"])
    close(T.Pad((1, 2, 2, 1), padding_mode="reflect")(img).tolist(), REFS["pad_reflect"])
    assert T.Pad(2)(np.zeros((3, 4), np.uint8)).shape == (7, 8)
    x = seek.arange(35.0).reshape(1, 5, 7)
    assert T.CenterCrop(3)(x).tolist() == [[[9.0, 10.0, 11.0], [16.0, 17.0, 18.0], [23.0, 24.0, 25.0]]]
    # torchvision: top = int(round((5 - 2) / 2)) = 2 (round half to even), left = int(round(1.5)) = 2
    assert T.CenterCrop((2, 4))(x).tolist() == [[[16.0, 17.0, 18.0, 19.0], [23.0, 24.0, 25.0, 26.0]]]
    padded = T.CenterCrop(7)(x)  # larger than the image: zero padding first
    assert padded.shape == (1, 7, 7) and padded.tolist()[0][0] == [0.0] * 7 and padded.tolist()[0][1][0] == 0.0
    arr = np.arange(35).reshape(5, 7)
    assert T.CenterCrop(3)(arr).tolist() == [[9, 10, 11], [16, 17, 18], [23, 24, 25]]


def test_to_tensor_pil_to_tensor_and_normalize():
    arr = np.array([[[0, 255, 51]], [[102, 0, 255]]], dtype=np.uint8)  # [H=2, W=1, C=3]
    t = T.ToTensor()(arr)
    assert t.shape == (3, 2, 1) and t.dtype == seek.float32
    close(t.tolist(), [[[0.0], [0.4]], [[1.0], [0.0]], [[0.2], [1.0]]])
    assert T.ToTensor()(np.zeros((4, 5), np.float64)).dtype == seek.float64  # as torchvision: kept
    p = T.PILToTensor()(arr)
    assert p.dtype == seek.uint8 and p.tolist() == [[[0], [102]], [[255], [0]], [[51], [255]]]
    n = T.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))(t)
    close(n.tolist(), [[[-1.0], [-0.2]], [[1.0], [-1.0]], [[-0.6], [1.0]]])
    assert T.Normalize([0.5], [0.5])(seek.ones(2, 1, 2, 2)).tolist() == [[[[1.0, 1.0], [1.0, 1.0]]]] * 2
    with pytest.raises(TypeError, match="ToTensor: pic should be a PIL Image or a numpy array, got seek.Tensor"):
        T.ToTensor()(t)
    with pytest.raises(TypeError, match="Normalize: img should be a seek.Tensor"):
        T.Normalize([0.5], [0.5])(arr)


def test_compose_over_arrays_with_cpp_random_transforms_and_lambda():
    arr = (np.arange(6 * 8 * 3) % 256).astype(np.uint8).reshape(6, 8, 3)
    flip = T.RandomHorizontalFlip(p=1.0)
    flipped = flip(arr)
    assert isinstance(flipped, np.ndarray) and flipped.dtype == np.uint8 and (flipped == arr[:, ::-1]).all()
    pipeline = T.Compose([T.RandomCrop(6, padding=1), flip, T.Resize((4, 4)), T.Grayscale(),
                          T.Lambda(lambda a: a), T.ToTensor(), T.Normalize([0.5], [0.5])])
    out = pipeline(arr)
    assert out.shape == (1, 4, 4) and out.dtype == seek.float32
    tensor_only = T.Compose([T.RandomHorizontalFlip(p=1.0), T.Normalize([1.0], [2.0])])
    x = seek.arange(4.0).reshape(1, 1, 4)
    assert tensor_only(x).tolist() == [[[1.0, 0.5, 0.0, -0.5]]]
    assert "Normalize" in repr(tensor_only)
    # in a C++ MapDataset the C++ parts run without Python
    ds = data.MapDataset(data.TensorDataset(seek.ones(2, 1, 2, 2), seek.arange(2)), tensor_only)
    assert ds[0][0].tolist() == [[[0.0, 0.0], [0.0, 0.0]]]
    with pytest.raises(TypeError, match="Compose: transform 1 must be callable"):
        T.Compose([flip, 3])
    with pytest.raises(TypeError, match="RandomHorizontalFlip: img should be a PIL Image, a numpy array or a "
                                        "seek.Tensor, got str"):
        flip("image.png")


def test_transforms_on_pil_images_if_installed():
    Image = pytest.importorskip("PIL.Image")
    img = Image.fromarray((np.arange(6 * 8 * 3) % 256).astype(np.uint8).reshape(6, 8, 3))
    assert T.ToTensor()(img).shape == (3, 6, 8)
    assert T.Resize(3)(img).size == (4, 3) and T.CenterCrop(4)(img).size == (4, 4)
    assert T.Grayscale()(img).mode == "L" and T.Pad(1)(img).size == (10, 8)
    assert T.RandomHorizontalFlip(1.0)(img).size == (8, 6)
    assert T.PILToTensor()(img).dtype == seek.uint8


def test_make_grid_and_save_image_round_trip(tmp_path):
    seek.manual_seed(0)
    images = seek.rand(5, 3, 4, 6)
    grid = utils.make_grid(images, nrow=3, padding=2, pad_value=1.0)
    assert grid.shape == (3, 2 * 6 + 2, 3 * 8 + 2)
    g = np.array(grid.tolist())
    close(g[:, 2:6, 2:8], images[0].tolist())
    close(g[:, 8:12, 10:16], images[4].tolist())
    assert (g[:, 8:12, 18:24] == 1.0).all()  # the empty sixth cell
    grey = utils.make_grid(seek.rand(2, 1, 3, 3))
    assert grey.shape[0] == 3
    norm = utils.make_grid(seek.tensor([[[[2.0, 4.0]]], [[[6.0, 2.0]]]]), normalize=True, padding=0)
    close(norm.tolist()[0], [[0.0, 0.5, 1.0, 0.0]])

    path = tmp_path / "grid.png"
    utils.save_image(images, str(path), nrow=3)
    back = np.array(data.read_image(str(path), 3).tolist())
    expected = np.clip(np.floor(np.array(utils.make_grid(images, nrow=3).tolist()) * 255 + 0.5), 0, 255) / 255
    close(back, expected, tol=1e-6)
    buf = io.BytesIO()
    utils.save_image(seek.rand(1, 2, 2), buf)
    assert buf.getvalue()[:8] == b"\x89PNG\r\n\x1a\n"
    rgba = tmp_path / "rgba.png"
    utils.save_image(seek.tensor([[[0.0, 1.0]], [[1.0, 0.0]], [[0.2, 0.4]], [[1.0, 1.0]]]), str(rgba))
    close(np.array(data.read_image(str(rgba), 0).tolist()), [[[0.0, 1.0]], [[1.0, 0.0]], [[51 / 255, 102 / 255]],
                                                            [[1.0, 1.0]]], tol=1e-6)
    with pytest.raises(ValueError, match="only PNG"):
        utils.save_image(images, str(tmp_path / "grid.jpg"))


def test_datasets_signatures_and_missing_files(tmp_path):
    with pytest.raises(RuntimeError, match="seek does not download datasets: download=True cannot fetch them"):
        datasets.MNIST(str(tmp_path), train=True, download=True, transform=T.ToTensor())
    with pytest.raises(RuntimeError, match="place the files there"):
        datasets.CIFAR10(str(tmp_path), train=False)
    # ImageFolder: root/<class>/<image>, images written by save_image
    for c, value in (("cat", 0.0), ("dog", 1.0)):
        os.makedirs(tmp_path / "folder" / c)
        utils.save_image(seek.full((3, 2, 3), value), str(tmp_path / "folder" / c / "a.png"))
    folder = datasets.ImageFolder(str(tmp_path / "folder"), transform=T.ToTensor(), target_transform=lambda t: t * 10)
    assert folder.classes == ["cat", "dog"] and len(folder) == 2 and folder.targets == [0, 1]
    x, y = folder[1]
    assert x.shape == (3, 2, 3) and y == 10 and x.tolist()[0][0] == [1.0, 1.0, 1.0]
    batch = next(iter(seek.utils.data.DataLoader(folder, batch_size=2)))
    assert batch[0].shape == (2, 3, 2, 3) and batch[1].tolist() == [0, 10]


@pytest.mark.skipif(not os.path.exists(os.path.join(FASHION, "t10k-images-idx3-ubyte.gz")),
                    reason="Debian's dataset-fashion-mnist is not installed")
def test_fashion_mnist_torchvision_style():
    ds = datasets.FashionMNIST(FASHION, train=False, download=True,
                               transform=T.Compose([T.ToTensor(), T.Normalize((0.5,), (0.5,))]))
    assert len(ds) == 10000 and ds.data.shape == (10000, 28, 28) and ds.classes[9] == "Ankle boot"
    x, y = ds[0]
    assert x.shape == (1, 28, 28) and isinstance(y, int) and y == int(ds.targets[0].item())
    raw = data.FashionMNIST(FASHION, train=False)[0][0]
    close(x.tolist(), ((raw - 0.5) / 0.5).tolist())
    xb, yb = next(iter(seek.utils.data.DataLoader(ds, batch_size=64, shuffle=True, num_workers=2)))
    assert xb.shape == (64, 1, 28, 28) and yb.dtype == seek.int64

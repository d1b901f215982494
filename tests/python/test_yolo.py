"""seek.models.yolo and seek.data's detection API from Python (issue 18): YoloModel as a seek.nn.Module
(shapes, decode on hand-set logits, state_dict round trip), YoloLoss's options and parts, the YOLO-folder
reader with its errors (file and line in the message), DetectionDataset / DetectionLoader batches, the
statistics and k-means anchors, and a tiny training loop in Python whose loss falls."""
import copy
import os
import pickle

import numpy as np
import pytest

import seek
from seek import data, optim
from seek.models.yolo import YoloConfig, YoloLoss, YoloModel, YoloOutput, decode_predictions

S = 64
COLOURS = [(0.9, 0.1, 0.1), (0.1, 0.8, 0.1), (0.1, 0.2, 0.9)]  # class = colour


def make_folder(root, n=8, seed=0):
    """n images S x S: 1-2 solid squares on grey; labels 'class cx cy w h' normalised."""
    rng = np.random.default_rng(seed)
    os.makedirs(root / "images")
    os.makedirs(root / "labels")
    for i in range(n):
        img = np.full((3, S, S), 0.5, dtype=np.float32)
        lines = []
        for k in range(rng.integers(1, 3)):
            c = int(rng.integers(0, 3))
            size = int(rng.integers(12, 24))
            x0 = int(rng.integers(0, S - size)) if k == 0 else int(rng.integers(0, S - size))
            y0 = int(rng.integers(0, S // 2 - size // 2)) if k == 0 else int(rng.integers(S // 2, S - size))
            img[:, y0:y0 + size, x0:x0 + size] = np.array(COLOURS[c], dtype=np.float32)[:, None, None]
            lines.append(f"{c} {(x0 + size / 2) / S} {(y0 + size / 2) / S} {size / S} {size / S}")
        data.write_image(str(root / "images" / f"img{i}.png"), seek.from_numpy(img))
        (root / "labels" / f"img{i}.txt").write_text("\n".join(lines) + "\n")
    return data.read_yolo_folder(str(root / "images"), str(root / "labels"), ["red", "green", "blue"])


@pytest.fixture(scope="module")
def det_set(tmp_path_factory):
    return make_folder(tmp_path_factory.mktemp("yolo_folder"))


def tiny_config(**kw):
    return YoloConfig.nano(num_classes=3, image_size=S, **kw)


def test_config_fields_and_errors():
    c = tiny_config(dynamic_anchors=False, attention="cbam")
    assert c.num_classes == 3 and c.image_size == S and not c.dynamic_anchors and c.attention == "cbam"
    assert len(c.resolved_anchors()) == 3 and len(c.resolved_anchors()[0]) == c.num_anchors
    c2 = YoloConfig(num_classes=5, width_multiple=0.125)
    assert c2.num_classes == 5 and c2.width_multiple == 0.125
    with pytest.raises(TypeError, match="unexpected keyword argument 'depth'"):
        YoloConfig(depth=3)
    with pytest.raises(ValueError, match="num_classes"):
        YoloConfig(num_classes=0)
    with pytest.raises(ValueError, match="attention"):
        YoloConfig.nano(3, attention="transformer")


def test_model_is_a_module_with_yolo_outputs():
    seek.manual_seed(0)
    m = YoloModel(tiny_config())
    assert isinstance(m, seek.nn.Module)
    names = list(m.state_dict().keys())
    assert any(k.startswith("backbone.") for k in names) and any(k.startswith("head.") for k in names)
    assert sum(p.numel() for p in m.parameters()) > 0
    x = seek.rand(2, 3, S, S)
    out = m(x)
    assert isinstance(out, YoloOutput) and out.strides == [8, 16, 32]
    assert (out.preds[0] - out[0]).abs().max().item() == 0.0
    for p, a, s in zip(out.preds, out.anchors, out.strides):
        assert tuple(p.shape) == (2, 3, S // s, S // s, 8) and tuple(a.shape) == (2, 3, 2)
    dec = m.decode(out)
    assert tuple(dec.shape) == (2, 3 * (64 + 16 + 4), 8)
    np.testing.assert_allclose(dec.detach().numpy(), decode_predictions(out).detach().numpy())
    # eval mode: a second model loading the state dict gives the same predictions
    m.eval()
    other = YoloModel(tiny_config())
    other.load_state_dict(m.state_dict())
    other.eval()
    assert not other.training
    np.testing.assert_allclose(other.predict(x).detach().numpy(), m.predict(x).detach().numpy(), rtol=1e-5,
                               atol=1e-6)
    assert m.to("cpu") is not None
    # copy.deepcopy (as an EMA copy is made) and pickle rebuild the model from its config, with its weights
    twin = copy.deepcopy(m)
    assert twin.config.image_size == S and not twin.training
    np.testing.assert_allclose(twin.predict(x).detach().numpy(), m.predict(x).detach().numpy())
    with seek.no_grad():
        for p in twin.parameters():
            p.zero_()
    assert np.abs(twin.predict(x).detach().numpy() - m.predict(x).detach().numpy()).max() > 0
    again = pickle.loads(pickle.dumps(m))
    np.testing.assert_allclose(again.predict(x).detach().numpy(), m.predict(x).detach().numpy())
    with pytest.raises(ValueError):
        m(seek.rand(1, 3, 60, 60))  # not a multiple of 32


def test_decode_hand_set_logits():
    # zero logits: sigmoid 0.5 -> xy = (0.5 + grid) * stride, wh = anchor, obj = cls = 0.5
    preds = [seek.zeros(1, 1, 2, 2, 6)]
    anchors = [seek.tensor([[[10.0, 20.0]]])]
    d = decode_predictions(YoloOutput(preds, anchors, [16])).numpy()[0]
    np.testing.assert_allclose(d[:, 0], [8, 24, 8, 24])
    np.testing.assert_allclose(d[:, 1], [8, 8, 24, 24])
    np.testing.assert_allclose(d[:, 2:4], [[10, 20]] * 4)
    np.testing.assert_allclose(d[:, 4:], 0.5)


def test_loss_options_parts_and_assignment():
    seek.manual_seed(1)
    m = YoloModel(tiny_config())
    out = m(seek.rand(2, 3, S, S))
    targets = seek.tensor([[0, 1, 0.5, 0.5, 0.3, 0.3], [1, 2, 0.25, 0.3, 0.2, 0.4]])
    crit = YoloLoss(num_classes=3, iou_type="GIoU", label_smoothing=0.1)
    assert crit.options["iou_type"] == "GIoU" and crit.options["label_smoothing"] == 0.1
    items = crit(out, targets)
    loss, (box, obj, cls) = items
    assert (items.loss - loss).item() == 0.0
    assert box > 0 and obj > 0 and cls > 0
    assert loss.item() == pytest.approx((box + obj + cls) * 2, rel=1e-4)
    loss.backward()
    assert any(p.grad is not None for p in m.parameters())
    a = crit.assign(out, targets, S)
    assert len(a["b"]) == 3
    assert sum(int(b.numel()) for b in a["b"]) > 0
    simota = YoloLoss(num_classes=3, assigner="simota")(out, targets)
    assert simota.loss.item() > 0
    with pytest.raises(TypeError, match="unexpected keyword argument 'boxes'"):
        YoloLoss(boxes=1.0)
    with pytest.raises(ValueError):
        YoloLoss(num_classes=3, iou_type="XIoU")
    with pytest.raises(ValueError):
        crit(out, seek.tensor([[0, 7, 0.5, 0.5, 0.3, 0.3]]))  # class out of range


def test_yolo_folder_errors_name_file_and_line(tmp_path):
    (tmp_path / "images").mkdir()
    (tmp_path / "labels").mkdir()
    data.write_image(str(tmp_path / "images" / "a.png"), seek.zeros(3, 16, 16))
    (tmp_path / "labels" / "a.txt").write_text("0 0.5 0.5 0.2 0.2\n5 0.5 0.5 0.2 0.2\n")
    with pytest.raises(ValueError, match=r"a\.txt:2.*class 5"):
        data.read_yolo_folder(str(tmp_path / "images"), str(tmp_path / "labels"), ["x", "y"])
    (tmp_path / "labels" / "a.txt").write_text("0 0.5 0.5\n")
    with pytest.raises(ValueError, match=r"a\.txt:1.*malformed"):
        data.read_yolo_folder(str(tmp_path / "images"), str(tmp_path / "labels"), ["x", "y"])


def test_dataset_loader_stats(det_set, tmp_path):
    assert len(det_set) == 8 and det_set.class_names == ["red", "green", "blue"]
    r = det_set[0]
    assert r.width == S and tuple(r.boxes.shape)[1] == 4
    ds = data.DetectionDataset(det_set, augmenting=True, img_size=S, mosaic=0.0, fliplr=0.5)
    assert ds.augment.img_size == S and ds.augment.mosaic == 0.0 and len(ds) == 8
    sample = ds.get(0, seek.Generator().manual_seed(3))
    assert tuple(sample.image.shape) == (3, S, S)
    with pytest.raises(TypeError, match="unexpected keyword argument 'mosaik'"):
        data.DetectionDataset(det_set, mosaik=0.0)
    loader = data.DetectionLoader(ds, batch_size=3, shuffle=True, seed=0, num_workers=2)
    assert len(loader) == 3
    seen = 0
    for batch in loader:
        images, targets, counts = batch
        assert tuple(images.shape)[1:] == (3, S, S) and tuple(targets.shape)[1] == 6
        assert sum(counts) == targets.shape[0] and len(batch.samples) == images.shape[0]
        seen += images.shape[0]
    assert seen == 8
    loader.set_epoch(1)
    assert loader.epoch == 1
    # data parallel: two shards of 4 batches of 1 deal out epoch 1's order, as one loader's batches
    whole = data.DetectionLoader(ds, batch_size=1, shuffle=True, seed=0, num_workers=0)
    whole.set_epoch(1)
    for rank in range(2):
        shard = data.DetectionLoader(ds, batch_size=1, shuffle=True, seed=0, num_workers=1)
        shard.set_shard(2, rank)
        shard.set_epoch(1)
        assert len(shard) == 4
        for j, batch in enumerate(shard):
            assert (batch.images - whole.make_batch(2 * j + rank).images).abs().max().item() == 0.0
    with pytest.raises(ValueError, match="rank 2 out of range"):
        shard.set_shard(2, 2)
    # the same batch index of an epoch is the same batch; returned tensors take part in arithmetic
    b1, b2 = loader.make_batch(0), loader.make_batch(0)
    assert (b1.images - b2.images).abs().max().item() == 0.0
    assert (b1.targets - b2.targets).abs().max().item() == 0.0
    assert (det_set[0].boxes - det_set.records[0].boxes).abs().sum().item() == 0.0
    st = data.detection_stats(det_set)
    assert st.images == 8 and st.boxes == sum(int(r.labels.numel()) for r in det_set.records)
    assert sum(st.per_class) == st.boxes and "boxes" in st.summary()
    wh = seek.tensor([[10.0, 10], [11, 9], [30, 30], [29, 31], [60, 20], [58, 22]])
    anchors = data.kmeans_anchors(wh, 3, seed=0)
    a = anchors.numpy()
    assert a.shape == (3, 2) and list(np.argsort(a[:, 0] * a[:, 1])) == [0, 1, 2]
    assert data.best_possible_recall(wh, anchors) == pytest.approx(1.0)
    # write_image / read_image round trip (uint8)
    img = (seek.rand(3, 8, 8) * 255).to(seek.uint8)
    data.write_image(str(tmp_path / "x.png"), img)
    back = data.read_image(str(tmp_path / "x.png")).numpy()  # float in [0, 1]
    np.testing.assert_array_equal(np.round(back * 255).astype(np.uint8), img.numpy())


def test_tiny_training_loop_loss_falls(det_set):
    seek.manual_seed(0)
    ds = data.DetectionDataset(det_set, augmenting=False, img_size=S)
    loader = data.DetectionLoader(ds, batch_size=8, shuffle=False, seed=0, num_workers=0)
    images, targets, _ = next(iter(loader))
    model = YoloModel(tiny_config(dynamic_anchors=False))
    crit = YoloLoss(num_classes=3)
    opt = optim.Adam(model.parameters(), lr=3e-3)
    model.train()
    losses = []
    for _ in range(25):
        loss, _parts = crit(model(images), targets)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert np.isfinite(losses).all()
    assert np.mean(losses[-3:]) < 0.6 * np.mean(losses[:3]), losses

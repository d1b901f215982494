"""seek.vision's detection API (issue 18): the torchvision.ops box ops against hand-computed values, nms /
batched_nms against a brute-force Python loop, YOLOv5's non_max_suppression (incl. the classes filter) and
bbox_iou, and the CocoEvaluator on hand cases and on the pycocotools reference of tests/data/coco."""
import json
import os

import numpy as np
import pytest

import seek
from seek.vision import ops
import seek.vision as V

COCO_DATA = os.path.join(os.path.dirname(__file__), "..", "data", "coco")


def t(x):
    return seek.tensor(np.asarray(x, dtype=np.float32).tolist())


def test_box_iou_and_area_by_hand():
    a = t([[0, 0, 10, 10], [5, 5, 15, 15], [20, 20, 30, 40]])
    b = t([[0, 0, 10, 10], [0, 0, 5, 20]])
    np.testing.assert_allclose(ops.box_area(a).numpy(), [100, 100, 200])
    # [5,5,15,15] vs [0,0,10,10]: inter 25, union 175; [0,0,10,10] vs [0,0,5,20]: inter 50, union 150;
    # [5,5,15,15] vs [0,0,5,20]: touching edge, inter 0
    expected = [[1.0, 50 / 150], [25 / 175, 0.0], [0.0, 0.0]]
    np.testing.assert_allclose(ops.box_iou(a, b).numpy(), expected, rtol=1e-6)
    # GIoU = IoU - (hull - union) / hull: [5,5,15,15] vs [0,0,10,10]: hull 225
    g = ops.generalized_box_iou(a, b).numpy()
    assert g[1, 0] == pytest.approx(25 / 175 - (225 - 175) / 225, rel=1e-6)
    # DIoU = IoU - d^2 / c^2: centres (10,10) and (5,5), d^2 = 50; hull diagonal^2 = 15^2 + 15^2 = 450
    d = ops.distance_box_iou(a, b).numpy()
    assert d[1, 0] == pytest.approx(25 / 175 - 50 / 450, rel=1e-5)
    # equal aspect ratios: CIoU = DIoU
    c = ops.complete_box_iou(a, b).numpy()
    assert c[1, 0] == pytest.approx(d[1, 0], rel=1e-5)


def test_box_convert_clip_remove_small():
    xyxy = t([[1, 2, 5, 10]])
    np.testing.assert_allclose(ops.box_convert(xyxy, "xyxy", "cxcywh").numpy(), [[3, 6, 4, 8]])
    np.testing.assert_allclose(ops.box_convert(xyxy, "xyxy", "xywh").numpy(), [[1, 2, 4, 8]])
    back = ops.box_convert(ops.box_convert(xyxy, "xyxy", "cxcywh"), "cxcywh", "xyxy")
    np.testing.assert_allclose(back.numpy(), xyxy.numpy())
    np.testing.assert_allclose(ops.clip_boxes_to_image(t([[-3, -1, 50, 8]]), (6, 40)).numpy(), [[0, 0, 40, 6]])
    keep = ops.remove_small_boxes(t([[0, 0, 1, 5], [0, 0, 3, 3], [0, 0, 5, 1.5]]), 2.0)
    assert keep.numpy().tolist() == [1]


def brute_nms(boxes, scores, thr):
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
    kept = []
    for i in order:
        ok = True
        for j in kept:
            x1, y1 = max(boxes[i][0], boxes[j][0]), max(boxes[i][1], boxes[j][1])
            x2, y2 = min(boxes[i][2], boxes[j][2]), min(boxes[i][3], boxes[j][3])
            inter = max(0.0, x2 - x1) * max(0.0, y2 - y1)
            ai = (boxes[i][2] - boxes[i][0]) * (boxes[i][3] - boxes[i][1])
            aj = (boxes[j][2] - boxes[j][0]) * (boxes[j][3] - boxes[j][1])
            if inter / (ai + aj - inter) > thr:
                ok = False
                break
        if ok:
            kept.append(i)
    return kept


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_nms_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    n = 200
    xy = rng.uniform(0, 80, size=(n, 2)).astype(np.float32)
    wh = rng.uniform(4, 30, size=(n, 2)).astype(np.float32)
    boxes = np.concatenate([xy, xy + wh], 1)
    scores = np.round(rng.uniform(0, 1, size=n), 2).astype(np.float32)  # rounding makes ties
    boxes[10] = boxes[11]  # identical boxes
    for thr in (0.3, 0.5, 0.7):
        got = ops.nms(t(boxes), t(scores), thr).numpy().tolist()
        want = brute_nms(boxes.astype(np.float64).tolist(), scores.astype(np.float64).tolist(), thr)
        assert got == want
    assert ops.nms(seek.zeros(0, 4), seek.zeros(0), 0.5).numpy().tolist() == []


def test_batched_nms_is_class_aware():
    boxes = t([[0, 0, 10, 10], [1, 1, 10, 10], [0, 0, 10, 10]])
    scores = t([0.9, 0.8, 0.7])
    idxs = seek.tensor([0, 0, 1])
    assert ops.batched_nms(boxes, scores, idxs, 0.5).numpy().tolist() == [0, 2]
    assert ops.nms(boxes, scores, 0.5).numpy().tolist() == [0]


def prediction():
    # [1, 4, 5 + 2]: cx, cy, w, h, obj, cls0, cls1
    return t([[[20, 20, 10, 10, 0.9, 0.9, 0.1],     # conf .81 class 0
               [21, 20, 10, 10, 0.8, 0.2, 0.9],     # conf .72 class 1, overlaps box 0
               [21, 21, 10, 10, 0.7, 0.8, 0.1],     # conf .56 class 0, suppressed by box 0
               [60, 60, 8, 8, 0.2, 0.9, 0.9]]])     # objectness under conf_thres
    

def test_non_max_suppression_hand_case():
    out = V.non_max_suppression(prediction(), conf_thres=0.25, iou_thres=0.45)
    assert len(out) == 1
    d = out[0].numpy()
    np.testing.assert_allclose(d[:, :4], [[15, 15, 25, 25], [16, 15, 26, 25]])
    np.testing.assert_allclose(d[:, 4], [0.81, 0.72], rtol=1e-5)
    assert d[:, 5].tolist() == [0, 1]
    agn = V.non_max_suppression(prediction(), conf_thres=0.25, iou_thres=0.45, agnostic=True)[0].numpy()
    assert agn[:, 5].tolist() == [0]
    only1 = V.non_max_suppression(prediction(), conf_thres=0.25, iou_thres=0.45, classes=[1])[0].numpy()
    assert only1[:, 5].tolist() == [1] and only1[0, 4] == pytest.approx(0.72, rel=1e-5)
    # multi-label: box 0 also as class 1 (.09 < conf) no; box 1 as class 0 (.16 < conf) no; max_det cuts
    ml = V.non_max_suppression(prediction(), conf_thres=0.1, iou_thres=0.45, multi_label=True, max_det=2)[0]
    assert ml.shape[0] == 2
    # multi-label with classes=[0]: (box 3, class 0) at .2 * .9 = .18 survives, boxes 1, 2 as class 0 are
    # suppressed by box 0
    ml0 = V.non_max_suppression(prediction(), conf_thres=0.1, iou_thres=0.45, multi_label=True, classes=[0])[0]
    np.testing.assert_allclose(ml0.numpy()[:, 4:], [[0.81, 0], [0.18, 0]], rtol=1e-5)
    with pytest.raises(ValueError, match="out of range"):
        V.non_max_suppression(prediction(), classes=[5])


def test_bbox_iou_flags():
    b1 = t([[10, 10, 10, 10]])  # xywh: centre (10, 10), 10 x 10
    b2 = t([[15, 15, 10, 10]])  # [10, 10, 20, 20]: intersection 25, union 175
    iou = 25 / 175
    assert V.bbox_iou(b1, b2).numpy()[0] == pytest.approx(iou, rel=1e-5)
    # hull 15 x 15 = 225: GIoU = iou - (225 - 175) / 225; DIoU: centre distance^2 50, hull diagonal^2 450
    assert V.bbox_iou(b1, b2, GIoU=True).numpy()[0] == pytest.approx(iou - 50 / 225, rel=1e-5)
    assert V.bbox_iou(b1, b2, DIoU=True).numpy()[0] == pytest.approx(iou - 50 / 450, rel=1e-5)
    # equal aspect ratios: the CIoU term is 0
    assert V.bbox_iou(b1, b2, iou_type="CIoU").numpy()[0] == pytest.approx(iou - 50 / 450, rel=1e-5)
    xyxy = V.bbox_iou(t([[5, 5, 15, 15]]), t([[10, 10, 20, 20]]), xywh=False).numpy()[0]
    assert xyxy == pytest.approx(iou, rel=1e-5)
    with pytest.raises(ValueError):
        V.bbox_iou(b1, b2, iou_type="XIoU")


def gt(image_id, cat, box, **kw):
    return dict(image_id=image_id, category_id=cat, bbox=box, **kw)


def test_coco_evaluator_hand_cases(tmp_path):
    ev = V.CocoEvaluator([gt(1, 1, [10, 10, 50, 50])], [1], [1])
    ev.add([dict(image_id=1, category_id=1, bbox=[10, 10, 50, 50], score=0.9)])
    m = ev.evaluate()
    assert m.map50_95 == pytest.approx(1.0) and m.map50 == pytest.approx(1.0)
    assert m.stats[3] == -1 and m.stats[4] == pytest.approx(1.0)  # no small gt; 50x50 is medium
    assert m.per_class_ap50 == [pytest.approx(1.0)]
    assert "Average Precision" in m.summary()
    # a false positive ranked above the true positive: precision 0.5 at recall 1 -> AP 0.5
    ev.clear_detections()
    ev.add([dict(image_id=1, category_id=1, bbox=[70, 70, 20, 20], score=0.95),
            dict(image_id=1, category_id=1, bbox=[10, 10, 50, 50], score=0.9)])
    m = ev.evaluate()
    assert m.map50 == pytest.approx(0.5) and m.map50_95 == pytest.approx(0.5)
    assert m.precision.shape == (10, 101, 1, 4, 3) and m.recall.shape == (10, 1, 4, 3)
    assert m.recall[0, 0, 0, 2] == pytest.approx(1.0)
    curve = m.pr_curve(0)
    assert curve["precision"][0] == pytest.approx(0.5)
    # add_xyxy takes non_max_suppression's [n, 6] rows (class 0 -> category 1)
    ev.clear_detections()
    ev.add_xyxy(t([[10, 10, 60, 60, 0.8, 0]]), image_id=1)
    assert ev.evaluate().map50 == pytest.approx(1.0)
    # results json round trip
    path = str(tmp_path / "dets.json")
    V.write_coco_detections([dict(image_id=1, category_id=1, bbox=[1, 2, 3, 4], score=0.5)], path)
    back = V.read_coco_detections(path)
    assert back == [dict(image_id=1, category_id=1, bbox=[1.0, 2.0, 3.0, 4.0], score=0.5)]


def test_coco_evaluator_matches_pycocotools_reference():
    expected = json.load(open(os.path.join(COCO_DATA, "expected.json")))
    ev = V.CocoEvaluator.from_json(os.path.join(COCO_DATA, "gt.json"))
    ev.add(json.load(open(os.path.join(COCO_DATA, "dets.json"))))
    m = ev.evaluate()
    np.testing.assert_allclose(m.stats, expected["stats"], atol=1e-9)
    np.testing.assert_allclose(m.per_class_ap50, expected["per_class_ap50"], atol=1e-9)
    np.testing.assert_allclose(m.per_class_ap50_95, expected["per_class_ap50_95"], atol=1e-9)
    assert m.category_ids == expected["category_ids"]
    assert m.summary().splitlines() == expected["summary"]
    d = m.as_dict()
    assert d["map50"] == m.stats[1] and d["map50_95"] == m.stats[0]


def test_errors_carry_the_cpp_message(tmp_path):
    with pytest.raises(ValueError, match="box_iou"):
        ops.box_iou(seek.zeros(3), seek.zeros(1, 4))
    with pytest.raises(ValueError, match="in_fmt|fmt"):
        ops.box_convert(seek.zeros(1, 4), "xyxy", "abcd")
    with pytest.raises(ValueError, match="bbox"):
        V.CocoEvaluator([gt(1, 1, [1, 2, 3])], [1], [1])
    with pytest.raises(ValueError, match="score"):
        V.CocoEvaluator([], [1], [1]).add([dict(image_id=1, category_id=1, bbox=[1, 2, 3, 4])])
    with pytest.raises(Exception, match="image"):  # a detection on an image that is not evaluated
        ev = V.CocoEvaluator([], [1], [1])
        ev.add([dict(image_id=7, category_id=1, bbox=[1, 2, 3, 4], score=0.5)])
        ev.evaluate()
    with pytest.raises(Exception, match="nope.json"):
        V.CocoEvaluator.from_json(str(tmp_path / "nope.json"))


def test_draw_bounding_boxes():
    img = seek.zeros(3, 20, 30, dtype=seek.uint8)
    out = V.draw_bounding_boxes(img, t([[2, 3, 12, 15]]), colors=(255, 0, 0), width=1)
    a = out.numpy()
    assert a.shape == (3, 20, 30) and a.dtype == np.uint8
    assert a[:, 3, 5].tolist() == [255, 0, 0] and a[:, 8, 2].tolist() == [255, 0, 0]  # top and left edges
    assert a[:, 8, 7].tolist() == [0, 0, 0]  # inside untouched without fill
    assert img.numpy().max() == 0  # a copy
    filled = V.draw_bounding_boxes(img, t([[2, 3, 12, 15]]), colors=[(0, 255, 0)], fill=True).numpy()
    assert filled[1, 8, 7] > 0
    assert seek.vision.utils.draw_bounding_boxes is V.draw_bounding_boxes
    labelled = V.draw_bounding_boxes(seek.zeros(3, 40, 60, dtype=seek.uint8), t([[5, 20, 40, 35]]), labels=["Bag"])
    assert labelled.numpy()[:, :20].max() > 0  # the tag above the box
    with pytest.raises(ValueError, match="colour"):
        V.draw_bounding_boxes(img, t([[2, 3, 12, 15]]), colors=(255, 0))
    with pytest.raises(ValueError):
        V.draw_bounding_boxes(img, t([[2, 3, 12, 15]]), labels=["a", "b"])

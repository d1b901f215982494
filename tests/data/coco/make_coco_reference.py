"""Generates the COCO mAP parity files of tests/cpp/vision/test_coco_eval.cpp.

A small seeded ground truth (gt.json) and detections (dets.json), evaluated by pycocotools' COCOeval (bbox);
expected.json holds its 12 summary stats, the per-class AP (mean of eval['precision'][:, :, k, 0, 2] over
values > -1, AP50 at IoU .5 only; -1 without ground truth), the full eval['recall'] array, eval['precision']
at IoU .5 and .75 (area all, maxDets 100) and the thresholds. The set covers: crowd regions (one over small
boxes, one overlapping a regular box), ground truth in all three area ranges, an "area" field that differs
from w * h (as segmentation areas do), an image with more than 100 detections of one category, images
without ground truth or without detections, ties in score (scores rounded to 2 decimals, some exact
duplicates), a category with ground truth but no detections, one with detections but no ground truth and
one with neither, and non-contiguous image and category ids.
Needs pycocotools (not a CI dependency), run with
    /work/cocoref/bin/python tests/data/coco/make_coco_reference.py
"""
import contextlib
import io
import json
import os

import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

HERE = os.path.dirname(os.path.abspath(__file__))
W, H = 320, 240


def rounded(v, nd=1):
    return float(round(float(v), nd))


def make_set(rng):
    image_ids = [1, 2, 3, 5, 8, 9, 12, 13, 20, 21, 30, 31]
    categories = [{"id": c, "name": f"c{c}"} for c in (1, 2, 4, 7, 9, 11)]
    # 4: a single object; 7: ground truth, never detected; 9: detections only; 11: neither
    images = [{"id": i, "width": W, "height": H, "file_name": f"{i}.png"} for i in image_ids]
    gts = []

    def add_gt(img, cat, x, y, w, h, crowd=0, area=None):
        gts.append({"id": len(gts) + 1, "image_id": img, "category_id": cat,
                    "bbox": [rounded(x), rounded(y), rounded(w), rounded(h)],
                    "area": rounded(w * h if area is None else area, 2), "iscrowd": crowd})

    def random_box(size_range):
        s = rng.uniform(*size_range)
        aspect = rng.uniform(0.5, 2.0)
        w, h = s * np.sqrt(aspect), s / np.sqrt(aspect)
        return rng.uniform(0, W - w), rng.uniform(0, H - h), w, h

    # images 12 and 30 without ground truth; image 31 without detections
    for img in (1, 2, 3, 5, 8, 9, 13, 20, 21, 31):
        for _ in range(rng.integers(1, 6)):
            cat = int(rng.choice([1, 1, 2, 2, 7]))
            size = [(8, 30), (34, 90), (100, 160)][rng.integers(0, 3)]
            x, y, w, h = random_box(size)
            # an area field like a segmentation's, a little under w * h (moves some boxes across a range edge)
            add_gt(img, cat, x, y, w, h, area=w * h * rng.uniform(0.7, 1.0) if rng.random() < 0.5 else None)
    # a crowd region over small objects (image 3) and one overlapping a regular box (image 5)
    add_gt(3, 1, 20, 20, 150, 120, crowd=1)
    for _ in range(4):
        add_gt(3, 1, rng.uniform(25, 140), rng.uniform(25, 110), rng.uniform(10, 25), rng.uniform(10, 25))
    add_gt(5, 2, 100, 60, 90, 80)
    add_gt(5, 2, 110, 70, 120, 100, crowd=1)
    # many objects on image 9 (category 2) for the >100 detections; category 4 once
    for _ in range(25):
        x, y, w, h = random_box((12, 60))
        add_gt(9, 2, x, y, w, h)
    add_gt(20, 4, 10, 10, 50, 40)

    dets = []

    def add_det(img, cat, x, y, w, h, score):
        x, y = min(max(x, 0), W - 1), min(max(y, 0), H - 1)
        w, h = max(w, 1.0), max(h, 1.0)
        dets.append({"image_id": img, "category_id": cat, "bbox": [rounded(x), rounded(y), rounded(w), rounded(h)],
                     "score": rounded(score, 2)})

    for g in gts:
        if g["category_id"] == 7 or g["image_id"] == 31:
            continue
        x, y, w, h = g["bbox"]
        for _ in range(rng.integers(0, 4)):
            j = rng.normal(0, 0.12, 4)
            add_det(g["image_id"], g["category_id"], x + j[0] * w, y + j[1] * h, w * np.exp(j[2]), h * np.exp(j[3]),
                    rng.uniform(0.05, 1.0))
        if rng.random() < 0.3:  # a duplicate with the same score, and a confusion with another class
            add_det(g["image_id"], g["category_id"], x, y, w, h, dets[-1]["score"] if dets else 0.5)
            add_det(g["image_id"], 9, x, y, w, h, rng.uniform(0.05, 1.0))
    # false positives everywhere (images 12 and 30 have only these), all sizes
    for img in image_ids:
        if img == 31:
            continue
        for _ in range(rng.integers(1, 5)):
            x, y, w, h = random_box([(8, 30), (34, 90), (100, 160)][rng.integers(0, 3)])
            add_det(img, int(rng.choice([1, 2, 9])), x, y, w, h, rng.uniform(0.0, 0.9))
    # image 9: 120 more detections of category 2, scores on a coarse grid (many ties)
    for _ in range(120):
        x, y, w, h = random_box((12, 60))
        add_det(9, 2, x, y, w, h, rng.integers(0, 20) / 20)
    order = rng.permutation(len(dets))  # interleave images in the file
    dets = [dets[i] for i in order]
    return {"images": images, "categories": categories, "annotations": gts}, dets


def main():
    rng = np.random.default_rng(18)
    gt, dets = make_set(rng)
    gt_path, dets_path = os.path.join(HERE, "gt.json"), os.path.join(HERE, "dets.json")
    with open(gt_path, "w") as f:
        json.dump(gt, f, separators=(",", ":"))
    with open(dets_path, "w") as f:
        f.write("[\n" + ",\n".join(json.dumps(d, separators=(",", ":")) for d in dets) + "\n]\n")

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        coco_gt = COCO(gt_path)
        coco_dt = coco_gt.loadRes(dets_path)
        ev = COCOeval(coco_gt, coco_dt, "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    summary = [line for line in out.getvalue().splitlines() if line.startswith(" Average")]
    p = ev.eval["precision"]
    per50_95, per50 = [], []
    for k in range(p.shape[2]):
        s = p[:, :, k, 0, 2]
        per50_95.append(float(np.mean(s[s > -1])) if (s > -1).any() else -1.0)
        s = p[0, :, k, 0, 2]
        per50.append(float(np.mean(s[s > -1])) if (s > -1).any() else -1.0)
    expected = {
        "stats": [float(v) for v in ev.stats],
        "summary": summary,
        "category_ids": [int(c) for c in ev.params.catIds],
        "per_class_ap50_95": per50_95,
        "per_class_ap50": per50,
        "iou_thresholds": [float(v) for v in ev.params.iouThrs],
        "recall_thresholds": [float(v) for v in ev.params.recThrs],
        "recall": [float(v) for v in ev.eval["recall"].ravel()],  # [T, K, A, M]
        "precision_iou50": [float(v) for v in p[0, :, :, 0, 2].ravel()],  # [R, K]
        "precision_iou75": [float(v) for v in p[5, :, :, 0, 2].ravel()],
        "num_gt": len(gt["annotations"]),
        "num_dets": len(dets),
    }
    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
    print("\n".join(summary))
    print("per class AP50:95", per50_95)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Train the nano YOLO detector from Python on the generated Fashion-MNIST detection set, and evaluate it
with COCO mAP (seek.vision.CocoEvaluator, pycocotools' numbers).

The whole loop is seek's Python API: make_fashion_detection writes the set (YOLO folders + COCO json) when
--data has none, k-means anchors come from the training boxes (detection_stats + kmeans_anchors), a
DetectionLoader feeds augmented batches (affine, flips, HSV, optional mosaic; C++ worker threads), YoloModel +
YoloLoss train with AdamW under a linear warmup + cosine schedule, and after each epoch the validation set
is letterboxed, predicted, non_max_suppression'ed, mapped back with scale_boxes and scored. At the end the
test set is scored the same way; its detections are written as a COCO results file.

    PYTHONPATH=<build>/python python3 examples/python/train_yolo.py --data build/fashion_det --epochs 10

Writes <out>/metrics.csv (epoch, train loss parts, val mAP@0.5, mAP@0.5:0.95) and
<out>/test_predictions.json. The C++ trainer (examples/yolo, train_yolo) is the full one (EMA, bf16,
checkpoints, detect); this script shows the same pieces from Python.
Exit codes: 0 done, 2 bad arguments or no Fashion-MNIST, 1 other errors.
"""
import argparse
import csv
import math
import os
import sys
import time

import seek
from seek import data, optim
from seek.models.yolo import YoloConfig, YoloLoss, YoloModel
from seek.vision import CocoEvaluator, non_max_suppression, write_coco_detections
from seek.vision.ops import scale_boxes


def parse_args(argv):
    p = argparse.ArgumentParser(description="Train a nano YOLO on generated Fashion-MNIST detection data.")
    p.add_argument("--mnist", default="/usr/share/datasets/fashion-mnist", help="Fashion-MNIST IDX folder")
    p.add_argument("--data", default="build/fashion_det_py", help="detection set folder (generated if absent)")
    p.add_argument("--out", default="build/train_yolo_py")
    p.add_argument("--train", type=int, default=2000, help="images to generate per split: train")
    p.add_argument("--val", type=int, default=200)
    p.add_argument("--test", type=int, default=200)
    p.add_argument("--img-size", type=int, default=128, help="canvas and training size (a multiple of 32)")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--warmup-epochs", type=float, default=1.0)
    # The C++ trainer's short-budget defaults (docs/yolo.md, "Results"); YOLOv5's are mosaic 1.0, scale 0.5,
    # translate 0.1, cls 0.5.
    p.add_argument("--mosaic", type=float, default=0.0)
    p.add_argument("--scale", type=float, default=0.1, help="random affine scale gain")
    p.add_argument("--translate", type=float, default=0.05, help="random affine translation (fraction of the size)")
    p.add_argument("--cls", type=float, default=1.5, help="class loss gain")
    p.add_argument("--fixed-anchors", action="store_true", help="fixed (k-means) anchors instead of dynamic ones")
    p.add_argument("--workers", type=int, default=2, help="DetectionLoader threads")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    if a.img_size % 32 != 0 or a.img_size <= 0:
        p.error(f"--img-size must be a positive multiple of 32, got {a.img_size}")
    for name in ("train", "val", "test", "epochs", "batch_size"):
        if getattr(a, name) <= 0:
            p.error(f"--{name.replace('_', '-')} must be positive")
    return a


def ensure_data(a):
    if os.path.exists(os.path.join(a.data, "classes.txt")):
        return
    if not os.path.isdir(a.mnist):
        print(f"error: no detection set in {a.data} and no Fashion-MNIST in {a.mnist}", file=sys.stderr)
        sys.exit(2)
    s = a.img_size
    r = data.make_fashion_detection(a.mnist, a.data, canvas=s, min_item_size=max(8, s * 20 // 128),
                                    max_item_size=max(12, s * 56 // 128), train=a.train, val=a.val, test=a.test,
                                    seed=a.seed)
    print(f"generated {len(r.train)}/{len(r.val)}/{len(r.test)} images in {a.data} ({r.seconds:.1f} s)")


def read_split(a, split, names):
    root = os.path.join(a.data, split)
    return data.read_yolo_folder(os.path.join(root, "images"), os.path.join(root, "labels"), names)


def kmeans_config(train_set, a):
    """The nano config with 9 k-means anchors (3 per scale, by area) from the training boxes."""
    wh = data.detection_stats(train_set).wh
    anchors = data.kmeans_anchors(wh, 9, seed=a.seed).tolist()
    print(f"k-means anchors: {[[round(w, 1), round(h, 1)] for w, h in anchors]}, best possible recall "
          f"{data.best_possible_recall(wh, seek.tensor(anchors)):.3f}")
    return YoloConfig.nano(num_classes=len(train_set.class_names), image_size=a.img_size,
                           anchors=[anchors[0:3], anchors[3:6], anchors[6:9]], dynamic_anchors=not a.fixed_anchors)


def evaluate(model, det_set, a, keep=None):
    """COCO metrics of model on det_set (letterboxed, no augmentation); keep: a list for the detections."""
    evaluator = CocoEvaluator.from_detection_set(det_set)
    loader = data.DetectionLoader(data.DetectionDataset(det_set, augmenting=False, img_size=a.img_size),
                                  batch_size=a.batch_size, num_workers=a.workers)
    model.eval()
    with seek.no_grad():
        for batch in loader:
            dets = non_max_suppression(model.predict(batch.images), conf_thres=0.001, iou_thres=0.6,
                                       multi_label=True)
            for det, s in zip(dets, batch.samples):
                boxes = scale_boxes(det[:, :4], (a.img_size, a.img_size), s.ratio, s.pad_x, s.pad_y,
                                    (s.orig_height, s.orig_width))
                rows = seek.cat([boxes, det[:, 4:]], 1)
                evaluator.add_xyxy(rows, image_id=s.image_id)
                if keep is not None:
                    keep.extend(seek.vision.coco_detections_from_xyxy(rows, s.image_id))
    model.train()
    return evaluator.evaluate()


def main(argv):
    a = parse_args(argv)
    seek.manual_seed(a.seed)
    ensure_data(a)
    names = data.read_class_names(os.path.join(a.data, "classes.txt"))
    train_set, val_set, test_set = (read_split(a, s, names) for s in ("train", "val", "test"))
    os.makedirs(a.out, exist_ok=True)

    model = YoloModel(kmeans_config(train_set, a))
    model.set_conv_bn_fused(True)  # conv + BatchNorm as one node, as the C++ trainer (the same math, faster)
    criterion = YoloLoss(num_classes=len(names), cls=a.cls)
    train_data = data.DetectionDataset(train_set, augmenting=True, cache=True, img_size=a.img_size, mosaic=a.mosaic,
                                       scale=a.scale, translate=a.translate)
    loader = data.DetectionLoader(train_data, batch_size=a.batch_size, shuffle=True, seed=a.seed,
                                  num_workers=a.workers)
    decay = [p for n, p in model.named_parameters() if n.endswith("weight") and ".bn." not in n]
    other = [p for n, p in model.named_parameters() if not (n.endswith("weight") and ".bn." not in n)]
    opt = optim.AdamW([{"params": decay, "weight_decay": 5e-4}, {"params": other, "weight_decay": 0.0}], lr=a.lr)
    steps, warmup = a.epochs * len(loader), max(1, int(a.warmup_epochs * len(loader)))
    print(f"{sum(p.numel() for p in model.parameters())} parameters, {len(train_set)} training images, "
          f"{len(loader)} batches per epoch, {'fixed' if a.fixed_anchors else 'dynamic'} anchors")

    log = open(os.path.join(a.out, "metrics.csv"), "w", newline="")
    writer = csv.writer(log)
    writer.writerow(["epoch", "loss", "box", "obj", "cls", "val_map50", "val_map50_95", "seconds"])
    step, start = 0, time.time()
    for epoch in range(a.epochs):
        loader.set_epoch(epoch)
        totals = [0.0, 0.0, 0.0, 0.0]
        for images, targets, _counts in loader:
            lr = a.lr * (step + 1) / warmup if step < warmup else \
                a.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, steps - warmup))))
            for g in opt.param_groups:
                g["lr"] = lr
            loss, (box, obj, cls) = criterion(model(images), targets)
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
            for i, v in enumerate((loss.item() / images.shape[0], box, obj, cls)):
                totals[i] += v / len(loader)
        m = evaluate(model, val_set, a)
        writer.writerow([epoch + 1, *(f"{v:.5f}" for v in totals), f"{m.map50:.5f}", f"{m.map50_95:.5f}",
                         f"{time.time() - start:.1f}"])
        log.flush()
        print(f"epoch {epoch + 1}/{a.epochs}: loss {totals[0]:.4f} (box {totals[1]:.4f} obj {totals[2]:.4f} "
              f"cls {totals[3]:.4f}), val mAP@0.5 {m.map50:.4f} mAP@0.5:0.95 {m.map50_95:.4f}, "
              f"{time.time() - start:.0f} s")
    log.close()

    predictions = []
    m = evaluate(model, test_set, a, keep=predictions)
    write_coco_detections(predictions, os.path.join(a.out, "test_predictions.json"))
    print(m.summary())
    print("per-class AP@0.5: " + ", ".join(f"{n} {ap:.3f}" for n, ap in zip(names, m.per_class_ap50)))
    print(f"test mAP@0.5 {m.map50:.4f} mAP@0.5:0.95 {m.map50_95:.4f}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except (ValueError, OSError, RuntimeError) as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(1)

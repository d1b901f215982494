"""examples/python/train_yolo.py with tiny settings: it generates a small Fashion-MNIST detection set, trains
the nano detector a few epochs (the training loss falls), scores val / test with CocoEvaluator and writes
metrics.csv and a COCO results file; bad arguments exit with 2. Skipped without Fashion-MNIST."""
import csv
import os
import re
import subprocess
import sys

import pytest

import seek.vision as V

SCRIPT = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "python", "train_yolo.py")
MNIST = "/usr/share/datasets/fashion-mnist"


def run(*args):
    env = dict(os.environ, OMP_NUM_THREADS="2")
    return subprocess.run([sys.executable, SCRIPT, *map(str, args)], capture_output=True, text=True, timeout=600,
                          env=env)


@pytest.mark.skipif(not os.path.isdir(MNIST), reason="Fashion-MNIST is not installed")
def test_train_yolo_tiny_run(tmp_path):
    out = tmp_path / "out"
    r = run("--data", tmp_path / "det", "--out", out, "--train", 64, "--val", 16, "--test", 16, "--img-size", 64,
            "--epochs", 4, "--batch-size", 16, "--mosaic", 0, "--seed", 3)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "generated 64/16/16 images" in r.stdout
    rows = list(csv.DictReader(open(out / "metrics.csv")))
    assert [int(x["epoch"]) for x in rows] == [1, 2, 3, 4]
    losses = [float(x["loss"]) for x in rows]
    assert losses[-1] < losses[0], losses
    for x in rows:
        assert 0.0 <= float(x["val_map50"]) <= 1.0
    m = re.search(r"test mAP@0.5 ([0-9.]+) mAP@0.5:0.95 ([0-9.]+)", r.stdout)
    assert m and 0.0 <= float(m.group(2)) <= float(m.group(1)) <= 1.0
    assert "Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ]" in r.stdout
    dets = V.read_coco_detections(str(out / "test_predictions.json"))
    assert all(d["category_id"] in range(1, 11) and d["bbox"][2] >= 0 for d in dets)
    # the written results scored against the generator's COCO json give the printed test mAP
    ev = V.CocoEvaluator.from_json(str(tmp_path / "det" / "test.json"))
    ev.load_results(str(out / "test_predictions.json"))
    again = ev.evaluate()
    assert f"{again.map50:.4f}" == m.group(1) and f"{again.map50_95:.4f}" == m.group(2)
    # the set is reused (not regenerated) on a second run
    r2 = run("--data", tmp_path / "det", "--out", tmp_path / "out2", "--img-size", 64, "--epochs", 1,
             "--batch-size", 16, "--mosaic", 0)
    assert r2.returncode == 0, r2.stderr
    assert "generated" not in r2.stdout


def test_train_yolo_bad_arguments(tmp_path):
    r = run("--img-size", 50, "--data", tmp_path / "d")
    assert r.returncode == 2 and "multiple of 32" in r.stderr
    r = run("--mnist", tmp_path / "missing", "--data", tmp_path / "d")
    assert r.returncode == 2 and "no Fashion-MNIST" in r.stderr

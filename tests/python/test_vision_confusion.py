"""seek.vision.DetectionConfusionMatrix (YOLOv5's ConfusionMatrix semantics, seek/vision/confusion_matrix.h):
hand-made images with the matrix worked out by hand, YOLOv5's tp_fp(), the table, CSV and PNG, and errors."""
import numpy as np
import pytest

import seek
import seek.vision as V


def t(rows, width):
    return seek.tensor(np.asarray(rows, dtype=np.float32).reshape(-1, width).tolist())


def test_matrix_by_hand():
    cm = V.DetectionConfusionMatrix(3)  # conf 0.25, IoU 0.45
    assert (cm.num_classes, cm.conf, cm.iou_thres) == (3, 0.25, 0.45)
    # Image 1: a correct class 1; a class-0 box taken for class 2; a false positive of class 0.
    cm.update(t([[0, 0, 10, 10, 0.9, 1], [20, 0, 30, 10, 0.8, 2], [50, 50, 60, 60, 0.7, 0]], 6),
              t([[0, 0, 10, 10], [20, 0, 30, 10]], 4), seek.tensor([1, 0]))
    # Image 2: a miss (its detection is under the confidence threshold), and nothing detected at all.
    cm.update(t([[0, 0, 10, 10, 0.2, 2]], 6), t([[0, 0, 10, 10]], 4), seek.tensor([2]))
    cm.update(None, t([[0, 0, 10, 10]], 4), seek.tensor([2]))
    expected = np.zeros((4, 4), dtype=np.int64)
    expected[1, 1] = 1  # predicted 1, true 1
    expected[2, 0] = 1  # predicted 2, true 0
    expected[0, 3] = 1  # predicted 0, background (false positive)
    expected[3, 2] = 2  # background (missed), true 2
    np.testing.assert_array_equal(cm.matrix, expected)
    assert cm.matrix.dtype == np.int64
    np.testing.assert_array_equal(cm.tensor().numpy(), expected)
    tp, fp = cm.tp_fp()
    np.testing.assert_array_equal(tp, [0, 1, 0])
    np.testing.assert_array_equal(fp, [1, 0, 1])
    np.testing.assert_array_equal(cm.false_negatives(), [1, 0, 2])
    assert cm.precision() == [0.0, 1.0, 0.0]
    assert cm.recall() == [0.0, 1.0, 0.0]
    cm.reset()
    assert cm.matrix.sum() == 0


def test_iou_threshold_is_strict():
    # A 9 x 10 detection inside a 20 x 10 box: IoU exactly 0.45 -> no match; 9.5 x 10 -> 0.475, a match.
    cm = V.DetectionConfusionMatrix(1)
    cm.update(t([[0, 0, 9, 10, 0.9, 0]], 6), t([[0, 0, 20, 10]], 4), seek.tensor([0]))
    np.testing.assert_array_equal(cm.matrix, [[0, 1], [1, 0]])
    cm.reset()
    cm.update(t([[0, 0, 9.5, 10, 0.9, 0]], 6), t([[0, 0, 20, 10]], 4), seek.tensor([0]))
    np.testing.assert_array_equal(cm.matrix, [[1, 0], [0, 0]])


def test_table_csv_and_png(tmp_path):
    cm = V.DetectionConfusionMatrix(2)
    cm.update(t([[0, 0, 10, 10, 0.9, 0], [20, 0, 30, 10, 0.9, 0]], 6), t([[0, 0, 10, 10], [20, 0, 30, 10]], 4),
              seek.tensor([0, 1]))
    assert cm.csv(["cat", "dog"]) == ("predicted \\ true,cat,dog,background\n"
                                      "cat,1,1,0\ndog,0,0,0\nbackground,0,0,0\n")
    assert "  0 cat" in cm.table(["cat", "dog"])
    cm.write_csv(str(tmp_path / "cm.csv"), ["cat", "dog"])
    assert (tmp_path / "cm.csv").read_text() == cm.csv(["cat", "dog"])
    img = cm.plot(["cat", "dog"])
    assert img.dtype == seek.uint8 and img.shape[0] == 3
    cm.save_plot(str(tmp_path / "cm.png"), ["cat", "dog"])
    back = seek.data.read_image(str(tmp_path / "cm.png"))
    assert tuple(back.shape) == tuple(img.shape)
    np.testing.assert_array_equal(np.rint(back.numpy() * 255).astype(np.uint8), img.numpy())
    wide = cm.plot(["cat", "dog"], cell_width=50)
    assert wide.shape[2] - img.shape[2] == 3 * 10


def test_errors_name_the_problem():
    cm = V.DetectionConfusionMatrix(3)
    with pytest.raises(ValueError, match=r"detection 0 has class 3, not a class index in \[0, 3\)"):
        cm.update(t([[0, 0, 10, 10, 0.9, 3]], 6), None, None)
    with pytest.raises(ValueError, match=r"gt_labels\[0\] = 7"):
        cm.update(None, t([[0, 0, 10, 10]], 4), seek.tensor([7]))
    with pytest.raises(Exception, match=r"detections must be \[n, 6\]"):
        cm.update(t([[0, 0, 10, 10, 0.9]], 5), None, None)
    with pytest.raises(ValueError, match="2 class names for 3 classes"):
        cm.table(["a", "b"])
    with pytest.raises(ValueError, match="num_classes must be >= 1"):
        V.DetectionConfusionMatrix(0)
    assert cm.matrix.sum() == 0

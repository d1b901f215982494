#pragma once
// A confusion matrix of object detections, as YOLOv5's ConfusionMatrix counts it: per image, the confident
// detections are matched to the ground truth regardless of class (one to one, by IoU), and every match
// counts (predicted class, true class); a ground-truth box without a match counts in the background row
// (missed), a detection without a match in the background column (false positive). So the matrix shows
// both which classes are mistaken for which and what is missed or invented.
//
// Two choices differ from YOLOv5 on purpose: the one-to-one matching is a true greedy pass over the pairs
// by decreasing IoU (YOLOv5 first keeps each detection's best ground truth and then each ground truth's
// best detection, which can leave a pair unmatched that greedy matching pairs up), and false positives
// are counted in every image (YOLOv5 skips them in an image where nothing matched).
#include <cstdint>
#include <string>
#include <vector>

#include "seek/core/tensor.h"

namespace seek::vision {

struct ConfusionPlotOptions {
  std::string title = "Confusion matrix (normalised per true class)";
  int64_t cell_width = 40, cell_height = 24;  // pixels per cell (>= 30 x 14: room for "0.00")
  bool normalize = true;                      // each true-class column divided by its sum; false: counts
};

class DetectionConfusionMatrix {
 public:
  // A detection counts when its confidence is >= conf_threshold; a detection and a ground-truth box match
  // when their IoU is > iou_threshold (YOLOv5's defaults 0.25 and 0.45). ValueError for num_classes < 1 or
  // a threshold outside [0, 1].
  explicit DetectionConfusionMatrix(int64_t num_classes, double conf_threshold = 0.25, double iou_threshold = 0.45);

  // Adds one image: detections [n, 6] (x1, y1, x2, y2, confidence, class) as non_max_suppression returns
  // them, ground truth boxes [m, 4] xyxy in the same pixels and labels [m] (class indices, any integer or
  // float dtype); any device. An undefined tensor is an empty one. ShapeError for wrong shapes, ValueError
  // for a class that is not an integer in [0, num_classes), a non-finite value, or a box with x2 < x1 or
  // y2 < y1; nothing is counted from an image that raises.
  void update(const Tensor& detections, const Tensor& gt_boxes, const Tensor& gt_labels);

  // int64 [nc + 1, nc + 1]: rows the predicted class, columns the true class; row nc = background (a
  // ground-truth box no detection matched), column nc = background (a detection that matched nothing).
  Tensor matrix() const;
  int64_t count(int64_t predicted, int64_t true_class) const;  // one cell; nc is the background
  int64_t num_classes() const { return nc_; }
  double conf_threshold() const { return conf_; }
  double iou_threshold() const { return iou_; }
  void reset();

  // Per class c (nc entries): true positives M[c][c], false positives (the rest of row c, background
  // column included) and false negatives (the rest of column c, background row included).
  std::vector<int64_t> true_positives() const;
  std::vector<int64_t> false_positives() const;
  std::vector<int64_t> false_negatives() const;
  // tp / (tp + fp) and tp / (tp + fn) per class; -1 where the denominator is 0.
  std::vector<double> precision() const;
  std::vector<double> recall() const;

  // A text table: one row per predicted class (index, name, counts, precision), columns the true class
  // (index; "bg" the background), and a last line with each true class's recall. class_names: none (the
  // indices) or nc names.
  std::string table(const std::vector<std::string>& class_names = {}) const;
  // CSV of the counts: header "predicted \ true,<names>,background", then one row per predicted class and
  // a last row "background". Names with a comma or a quote are quoted.
  std::string csv(const std::vector<std::string>& class_names = {}) const;
  void write_csv(const std::string& path, const std::vector<std::string>& class_names = {}) const;

  // A heat map (uint8 RGB [3, H, W]): one cell per (predicted row, true column), shaded white to dark blue
  // by its value (per true-class column fractions, or counts / the largest count), the value written in
  // the cell (blank below 0.005 as YOLOv5 leaves it), class names on both axes (rotated under the columns),
  // "Predicted" / "True" axis titles and a colour bar.
  Tensor plot(const std::vector<std::string>& class_names = {}, const ConfusionPlotOptions& options = {}) const;
  // plot() written as an image file (PNG by the extension, data::write_image).
  void save_plot(const std::string& path, const std::vector<std::string>& class_names = {},
                 const ConfusionPlotOptions& options = {}) const;

 private:
  void check_names(const std::vector<std::string>& class_names, const char* fn) const;
  int64_t nc_;
  double conf_, iou_;
  std::vector<int64_t> m_;  // row-major [nc + 1, nc + 1]
};

}  // namespace seek::vision

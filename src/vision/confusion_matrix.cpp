// DetectionConfusionMatrix (include/seek/vision/confusion_matrix.h): counting, per-class precision and
// recall, the text table and the CSV. The matching is plain host code over one image's boxes: every
// (ground truth, detection) pair above the IoU threshold is listed, the list is sorted by IoU (ties by
// ground truth, then detection index, so the result does not depend on the sort), and a pair is taken
// when neither side is taken yet. The picture is in confusion_matrix_plot.cpp.
#include "seek/vision/confusion_matrix.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <sstream>

#include "seek/core/error.h"
#include "seek/core/shape_util.h"
#include "seek/io/atomic_file.h"
#include "seek/ops/creation.h"

namespace seek::vision {

namespace {

std::string shape_of(const Tensor& t) { return t.defined() ? shape_str(t.sizes()) : std::string("undefined"); }

// The values of t as float64 on the host (an undefined tensor: none).
std::vector<double> host_values(const Tensor& t) {
  if (!t.defined() || t.numel() == 0) return {};
  return to_vector<double>(t.detach().to(kCPU).to(kFloat64).contiguous());
}

bool is_class(double v, int64_t nc) {
  return std::isfinite(v) && v >= 0 && v < static_cast<double>(nc) && v == std::floor(v);
}

// torchvision's box_iou for two xyxy boxes (0 when the union is empty).
double iou(const double* a, const double* b) {
  const double iw = std::min(a[2], b[2]) - std::max(a[0], b[0]);
  const double ih = std::min(a[3], b[3]) - std::max(a[1], b[1]);
  if (iw <= 0 || ih <= 0) return 0.0;
  const double inter = iw * ih;
  const double uni = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return uni > 0 ? inter / uni : 0.0;
}

void check_box(const double* b, const char* what, size_t i) {
  SEEK_CHECK_VALUE(std::isfinite(b[0]) && std::isfinite(b[1]) && std::isfinite(b[2]) && std::isfinite(b[3]),
                   "DetectionConfusionMatrix.update: ", what, " ", i, " has a non-finite coordinate");
  SEEK_CHECK_VALUE(b[2] >= b[0] && b[3] >= b[1], "DetectionConfusionMatrix.update: ", what, " ", i,
                   " is not x1 y1 x2 y2 (x2 < x1 or y2 < y1): (", b[0], ", ", b[1], ", ", b[2], ", ", b[3], ")");
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

std::string ratio_text(double v) {
  if (v < 0) return "-";
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}

}  // namespace

DetectionConfusionMatrix::DetectionConfusionMatrix(int64_t num_classes, double conf_threshold, double iou_threshold)
    : nc_(num_classes), conf_(conf_threshold), iou_(iou_threshold) {
  SEEK_CHECK_VALUE(num_classes >= 1, "DetectionConfusionMatrix: num_classes must be >= 1, got ", num_classes);
  SEEK_CHECK_VALUE(conf_threshold >= 0 && conf_threshold <= 1,
                   "DetectionConfusionMatrix: conf_threshold must be in [0, 1], got ", conf_threshold);
  SEEK_CHECK_VALUE(iou_threshold >= 0 && iou_threshold <= 1,
                   "DetectionConfusionMatrix: iou_threshold must be in [0, 1], got ", iou_threshold);
  m_.assign(static_cast<size_t>((nc_ + 1) * (nc_ + 1)), 0);
}

void DetectionConfusionMatrix::update(const Tensor& detections, const Tensor& gt_boxes, const Tensor& gt_labels) {
  SEEK_CHECK_SHAPE(!detections.defined() || (detections.dim() == 2 && detections.size(1) == 6),
                   "DetectionConfusionMatrix.update: detections must be [n, 6] (x1, y1, x2, y2, confidence, class), "
                   "got ",
                   shape_of(detections));
  SEEK_CHECK_SHAPE(!gt_boxes.defined() || (gt_boxes.dim() == 2 && gt_boxes.size(1) == 4),
                   "DetectionConfusionMatrix.update: gt_boxes must be [m, 4] (x1, y1, x2, y2), got ",
                   shape_of(gt_boxes));
  const int64_t m = gt_boxes.defined() ? gt_boxes.size(0) : 0;
  SEEK_CHECK_SHAPE(
      (!gt_labels.defined() && m == 0) || (gt_labels.defined() && gt_labels.dim() == 1 && gt_labels.size(0) == m),
      "DetectionConfusionMatrix.update: gt_labels must be [m] with m = ", m, " (one per ground-truth box), got ",
      shape_of(gt_labels));
  const std::vector<double> det = host_values(detections), box = host_values(gt_boxes), lab = host_values(gt_labels);

  // Validate everything first, so an image that raises counts nothing.
  for (size_t i = 0; i < lab.size(); ++i) {
    check_box(&box[4 * i], "ground-truth box", i);
    SEEK_CHECK_VALUE(is_class(lab[i], nc_), "DetectionConfusionMatrix.update: gt_labels[", i, "] = ", lab[i],
                     " is not a class index in [0, ", nc_, ")");
  }
  std::vector<size_t> kept;  // confident detections, as row indices into det
  for (size_t j = 0; 6 * j < det.size(); ++j) {
    const double* d = &det[6 * j];
    check_box(d, "detection", j);
    SEEK_CHECK_VALUE(std::isfinite(d[4]), "DetectionConfusionMatrix.update: detection ", j,
                     " has a non-finite confidence");
    SEEK_CHECK_VALUE(is_class(d[5], nc_), "DetectionConfusionMatrix.update: detection ", j, " has class ", d[5],
                     ", not a class index in [0, ", nc_, ")");
    if (d[4] >= conf_) kept.push_back(j);
  }

  struct Pair {
    double iou;
    size_t gt, det;  // det: index into kept
  };
  std::vector<Pair> pairs;
  for (size_t i = 0; i < lab.size(); ++i)
    for (size_t k = 0; k < kept.size(); ++k) {
      const double v = iou(&box[4 * i], &det[6 * kept[k]]);
      if (v > iou_) pairs.push_back({v, i, k});
    }
  std::sort(pairs.begin(), pairs.end(), [](const Pair& a, const Pair& b) {
    if (a.iou != b.iou) return a.iou > b.iou;
    return a.gt != b.gt ? a.gt < b.gt : a.det < b.det;
  });
  constexpr size_t kNone = static_cast<size_t>(-1);
  std::vector<size_t> gt_match(lab.size(), kNone);
  std::vector<bool> det_taken(kept.size(), false);
  for (const Pair& p : pairs) {
    if (gt_match[p.gt] != kNone || det_taken[p.det]) continue;
    gt_match[p.gt] = p.det;
    det_taken[p.det] = true;
  }
  const auto cell = [&](int64_t row, int64_t col) -> int64_t& {
    return m_[static_cast<size_t>(row * (nc_ + 1) + col)];
  };
  for (size_t i = 0; i < lab.size(); ++i) {
    const auto t = static_cast<int64_t>(lab[i]);
    const int64_t p = gt_match[i] == kNone ? nc_ : static_cast<int64_t>(det[6 * kept[gt_match[i]] + 5]);
    ++cell(p, t);
  }
  for (size_t k = 0; k < kept.size(); ++k)
    if (!det_taken[k]) ++cell(static_cast<int64_t>(det[6 * kept[k] + 5]), nc_);
}

Tensor DetectionConfusionMatrix::matrix() const { return tensor<int64_t>(m_, Shape{nc_ + 1, nc_ + 1}); }

int64_t DetectionConfusionMatrix::count(int64_t predicted, int64_t true_class) const {
  SEEK_CHECK_INDEX(predicted >= 0 && predicted <= nc_ && true_class >= 0 && true_class <= nc_,
                   "DetectionConfusionMatrix.count: (", predicted, ", ", true_class, ") is outside [0, ", nc_, "] (",
                   nc_, " is the background)");
  return m_[static_cast<size_t>(predicted * (nc_ + 1) + true_class)];
}

void DetectionConfusionMatrix::reset() { std::fill(m_.begin(), m_.end(), 0); }

std::vector<int64_t> DetectionConfusionMatrix::true_positives() const {
  std::vector<int64_t> tp(static_cast<size_t>(nc_));
  for (int64_t c = 0; c < nc_; ++c) tp[static_cast<size_t>(c)] = count(c, c);
  return tp;
}

std::vector<int64_t> DetectionConfusionMatrix::false_positives() const {
  std::vector<int64_t> fp(static_cast<size_t>(nc_), 0);
  for (int64_t c = 0; c < nc_; ++c)
    for (int64_t t = 0; t <= nc_; ++t)
      if (t != c) fp[static_cast<size_t>(c)] += count(c, t);
  return fp;
}

std::vector<int64_t> DetectionConfusionMatrix::false_negatives() const {
  std::vector<int64_t> fn(static_cast<size_t>(nc_), 0);
  for (int64_t c = 0; c < nc_; ++c)
    for (int64_t p = 0; p <= nc_; ++p)
      if (p != c) fn[static_cast<size_t>(c)] += count(p, c);
  return fn;
}

std::vector<double> DetectionConfusionMatrix::precision() const {
  const auto tp = true_positives(), fp = false_positives();
  std::vector<double> out;
  for (size_t c = 0; c < tp.size(); ++c)
    out.push_back(tp[c] + fp[c] > 0 ? static_cast<double>(tp[c]) / static_cast<double>(tp[c] + fp[c]) : -1.0);
  return out;
}

std::vector<double> DetectionConfusionMatrix::recall() const {
  const auto tp = true_positives(), fn = false_negatives();
  std::vector<double> out;
  for (size_t c = 0; c < tp.size(); ++c)
    out.push_back(tp[c] + fn[c] > 0 ? static_cast<double>(tp[c]) / static_cast<double>(tp[c] + fn[c]) : -1.0);
  return out;
}

void DetectionConfusionMatrix::check_names(const std::vector<std::string>& class_names, const char* fn) const {
  SEEK_CHECK_VALUE(class_names.empty() || static_cast<int64_t>(class_names.size()) == nc_, "DetectionConfusionMatrix.",
                   fn, ": ", class_names.size(), " class names for ", nc_, " classes (give none or one per class)");
}

std::string DetectionConfusionMatrix::table(const std::vector<std::string>& class_names) const {
  check_names(class_names, "table");
  const auto name = [&](int64_t c) {
    if (c == nc_) return std::string("background");
    return class_names.empty() ? std::string() : class_names[static_cast<size_t>(c)];
  };
  size_t name_w = 10;  // "background"
  for (const auto& n : class_names) name_w = std::max(name_w, n.size());
  int64_t largest = 0;
  for (int64_t v : m_) largest = std::max(largest, v);
  const int col_w = std::max(6, static_cast<int>(std::to_string(largest).size()) + 2);
  const auto recall_v = recall(), precision_v = precision();
  std::ostringstream s;
  s << "confusion matrix (confidence >= " << conf_ << ", IoU > " << iou_
    << "): rows the predicted class, columns the true class (bg: background)\n";
  s << std::string(name_w + 5, ' ');
  for (int64_t c = 0; c <= nc_; ++c) s << std::setw(col_w) << (c == nc_ ? std::string("bg") : std::to_string(c));
  s << "  precision\n";
  for (int64_t p = 0; p <= nc_; ++p) {
    s << std::setw(3) << (p == nc_ ? std::string("bg") : std::to_string(p)) << " " << std::left
      << std::setw(static_cast<int>(name_w)) << name(p) << std::right << " ";
    for (int64_t t = 0; t <= nc_; ++t)
      s << std::setw(col_w) << (p == nc_ && t == nc_ ? std::string("-") : std::to_string(count(p, t)));
    if (p < nc_) s << "  " << std::setw(9) << ratio_text(precision_v[static_cast<size_t>(p)]);
    s << "\n";
  }
  s << std::left << std::setw(static_cast<int>(name_w + 5)) << "    recall" << std::right;
  for (int64_t t = 0; t < nc_; ++t) s << std::setw(col_w) << ratio_text(recall_v[static_cast<size_t>(t)]);
  s << "\n";
  return s.str();
}

std::string DetectionConfusionMatrix::csv(const std::vector<std::string>& class_names) const {
  check_names(class_names, "csv");
  const auto name = [&](int64_t c) {
    if (c == nc_) return std::string("background");
    return class_names.empty() ? std::to_string(c) : csv_field(class_names[static_cast<size_t>(c)]);
  };
  std::ostringstream s;
  s << "predicted \\ true";
  for (int64_t t = 0; t <= nc_; ++t) s << "," << name(t);
  s << "\n";
  for (int64_t p = 0; p <= nc_; ++p) {
    s << name(p);
    for (int64_t t = 0; t <= nc_; ++t) s << "," << count(p, t);
    s << "\n";
  }
  return s.str();
}

void DetectionConfusionMatrix::write_csv(const std::string& path, const std::vector<std::string>& class_names) const {
  io::write_file_atomic(path, csv(class_names), "DetectionConfusionMatrix.write_csv");
}

}  // namespace seek::vision

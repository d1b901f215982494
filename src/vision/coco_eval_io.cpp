// COCO json files for the evaluator (annotation files, results files) and its precision-recall curves.
// Annotation files are walked with seek's pull parser (io::json::Reader) so that large files with
// segmentation polygons are read without building a document tree: only ids, boxes, areas and crowd flags
// are kept, everything else is skipped.
#include <cmath>
#include <cstdio>
#include <string_view>

#include "seek/core/error.h"
#include "seek/io/atomic_file.h"
#include "seek/io/json.h"
#include "seek/ops/creation.h"
#include "seek/vision/coco_eval.h"

namespace seek::vision {
namespace json = io::json;
namespace {

// Errors from a JSON walk name the file, the entry and what was wrong; the parser's own errors (malformed
// JSON) are rethrown with the file name in front.
struct Walk {
  const std::string& path;
  [[noreturn]] void fail(const std::string& what) const { throw ValueError(str(path, ": ", what)); }

  json::Value::Type expect(json::Reader& r, json::Value::Type type, const std::string& what) const {
    const json::Value::Type t = r.peek();
    if (t != type) fail(str(what, " is ", json::type_noun(t), ", not ", json::type_noun(type)));
    return t;
  }
  double number(json::Reader& r, const std::string& what) const {
    expect(r, json::Value::Type::Number, what);
    const double v = json::Value::number(r.read_number()).as_double();
    if (!std::isfinite(v)) fail(str(what, " is not finite"));
    return v;
  }
  int64_t integer(json::Reader& r, const std::string& what) const {
    expect(r, json::Value::Type::Number, what);
    const std::string_view text = r.read_number();
    try {
      return json::Value::number(text).as_int64();
    } catch (const ValueError&) {
      fail(str(what, " is ", text, ", not an integer"));
    }
  }
  std::array<double, 4> bbox(json::Reader& r, const std::string& what) const {
    expect(r, json::Value::Type::Array, what + " \"bbox\"");
    std::array<double, 4> b{};
    size_t n = 0;
    r.begin_array();
    while (r.next_element()) {
      if (n == 4) fail(str(what, " \"bbox\" has more than 4 numbers"));
      b[n] = number(r, str(what, " \"bbox\"[", n, "]"));
      ++n;
    }
    if (n != 4) fail(str(what, " \"bbox\" has ", n, " numbers, not 4 (x, y, w, h)"));
    if (b[2] < 0 || b[3] < 0) fail(str(what, " \"bbox\" has a negative width or height"));
    return b;
  }
  // The "id" of every object of an array ("images", "categories").
  std::vector<int64_t> ids(json::Reader& r, const std::string& array_name) const {
    expect(r, json::Value::Type::Array, str("\"", array_name, "\""));
    std::vector<int64_t> out;
    r.begin_array();
    while (r.next_element()) {
      const std::string what = str("\"", array_name, "\"[", out.size(), "]");
      expect(r, json::Value::Type::Object, what);
      r.begin_object();
      std::string key;
      bool have = false;
      int64_t id = 0;
      while (r.next_member(&key)) {
        if (key == "id") {
          id = integer(r, what + " \"id\"");
          have = true;
        } else {
          r.skip_value();
        }
      }
      if (!have) fail(str(what, " has no \"id\""));
      out.push_back(id);
    }
    return out;
  }
};

// The shortest text that reads back as the same double.
std::string format_double(double v) { return json::dump(json::Value(v)); }

}  // namespace

CocoEvaluator CocoEvaluator::from_json(const std::string& gt_json_path) {
  const std::string text = io::read_file(gt_json_path, "CocoEvaluator::from_json");
  const Walk w{gt_json_path};
  std::vector<int64_t> image_ids, category_ids;
  std::vector<CocoGroundTruth> gts;
  bool have_images = false, have_categories = false, have_annotations = false;
  try {
    json::Reader r(text);
    w.expect(r, json::Value::Type::Object, "the document");
    r.begin_object();
    std::string key;
    while (r.next_member(&key)) {
      if (key == "images") {
        image_ids = w.ids(r, "images");
        have_images = true;
      } else if (key == "categories") {
        category_ids = w.ids(r, "categories");
        have_categories = true;
      } else if (key == "annotations") {
        have_annotations = true;
        w.expect(r, json::Value::Type::Array, "\"annotations\"");
        r.begin_array();
        while (r.next_element()) {
          const std::string what = str("\"annotations\"[", gts.size(), "]");
          w.expect(r, json::Value::Type::Object, what);
          r.begin_object();
          CocoGroundTruth g;
          bool have_image = false, have_category = false, have_bbox = false;
          std::string member;
          while (r.next_member(&member)) {
            if (member == "image_id") {
              g.image_id = w.integer(r, what + " \"image_id\"");
              have_image = true;
            } else if (member == "category_id") {
              g.category_id = w.integer(r, what + " \"category_id\"");
              have_category = true;
            } else if (member == "bbox") {
              g.bbox = w.bbox(r, what);
              have_bbox = true;
            } else if (member == "area") {
              g.area = w.number(r, what + " \"area\"");
            } else if (member == "iscrowd") {
              const json::Value::Type t = r.peek();
              if (t == json::Value::Type::Bool) {
                g.iscrowd = r.read_bool();
              } else {
                const int64_t c = w.integer(r, what + " \"iscrowd\"");
                if (c != 0 && c != 1) w.fail(str(what, " \"iscrowd\" is ", c, ", not 0 or 1"));
                g.iscrowd = c == 1;
              }
            } else {
              r.skip_value();  // id, segmentation, keypoints, ...
            }
          }
          if (!have_image) w.fail(str(what, " has no \"image_id\""));
          if (!have_category) w.fail(str(what, " has no \"category_id\""));
          if (!have_bbox) w.fail(str(what, " has no \"bbox\""));
          if (g.area == -1) g.area = g.bbox[2] * g.bbox[3];
          gts.push_back(g);
        }
      } else {
        r.skip_value();  // info, licenses, ...
      }
    }
    r.end();
  } catch (const ValueError& e) {
    const std::string msg = e.what();
    if (msg.rfind(gt_json_path + ": ", 0) == 0) throw;
    w.fail(str("invalid JSON (", msg, ")"));
  }
  if (!have_images) w.fail("no \"images\" array");
  if (!have_categories) w.fail("no \"categories\" array");
  if (!have_annotations) w.fail("no \"annotations\" array");
  try {
    return CocoEvaluator(std::move(gts), std::move(image_ids), std::move(category_ids));
  } catch (const ValueError& e) {
    w.fail(e.what());  // "ground truth n" is "annotations"[n]
  }
}

std::vector<CocoDetection> read_coco_detections(const std::string& json_path) {
  const std::string text = io::read_file(json_path, "read_coco_detections");
  const Walk w{json_path};
  std::vector<CocoDetection> out;
  try {
    json::Reader r(text);
    w.expect(r, json::Value::Type::Array, "the document");
    r.begin_array();
    while (r.next_element()) {
      const std::string what = str("detection ", out.size());
      w.expect(r, json::Value::Type::Object, what);
      r.begin_object();
      CocoDetection d;
      bool have[4] = {false, false, false, false};
      std::string member;
      while (r.next_member(&member)) {
        if (member == "image_id") {
          d.image_id = w.integer(r, what + " \"image_id\"");
          have[0] = true;
        } else if (member == "category_id") {
          d.category_id = w.integer(r, what + " \"category_id\"");
          have[1] = true;
        } else if (member == "bbox") {
          d.bbox = w.bbox(r, what);
          have[2] = true;
        } else if (member == "score") {
          d.score = w.number(r, what + " \"score\"");
          have[3] = true;
        } else {
          r.skip_value();
        }
      }
      const char* names[4] = {"image_id", "category_id", "bbox", "score"};
      for (int n = 0; n < 4; ++n)
        if (!have[n]) w.fail(str(what, " has no \"", names[n], "\""));
      out.push_back(d);
    }
    r.end();
  } catch (const ValueError& e) {
    const std::string msg = e.what();
    if (msg.rfind(json_path + ": ", 0) == 0) throw;
    w.fail(str("invalid JSON (", msg, ")"));
  }
  return out;
}

void write_coco_detections(const std::vector<CocoDetection>& dets, const std::string& json_path) {
  // Written by hand rather than through a Value tree: one line per detection, doubles printed to round-trip.
  std::string out = "[";
  for (size_t n = 0; n < dets.size(); ++n) {
    const CocoDetection& d = dets[n];
    for (double v : d.bbox)
      SEEK_CHECK_VALUE(std::isfinite(v), "write_coco_detections: detection ", n, " has a non-finite bbox");
    SEEK_CHECK_VALUE(std::isfinite(d.score), "write_coco_detections: detection ", n, " has a non-finite score");
    out += n ? ",\n" : "\n";
    out += str("{\"image_id\": ", d.image_id, ", \"category_id\": ", d.category_id, ", \"bbox\": [",
               json::dump(json::Value(d.bbox[0])), ", ", json::dump(json::Value(d.bbox[1])), ", ",
               json::dump(json::Value(d.bbox[2])), ", ", json::dump(json::Value(d.bbox[3])),
               "], \"score\": ", json::dump(json::Value(d.score)), "}");
  }
  out += dets.empty() ? "]\n" : "\n]\n";
  io::write_file_atomic(json_path, out, "write_coco_detections");
}

PrCurve pr_curve(const CocoMetrics& metrics, int64_t class_index, double iou_threshold) {
  const int64_t K = static_cast<int64_t>(metrics.category_ids.size());
  SEEK_CHECK_INDEX(class_index >= -1 && class_index < K, "pr_curve: class index ", class_index, " out of range for ", K,
                   " categories (-1: the mean over categories)");
  const int64_t t = metrics.iou_index(iou_threshold);
  const int64_t R = static_cast<int64_t>(metrics.recall_thresholds.size());
  PrCurve c;
  c.recall = metrics.recall_thresholds;
  for (int64_t r = 0; r < R; ++r) {
    if (class_index >= 0) {
      c.precision.push_back(metrics.precision_at(t, r, class_index, 0, 2));
      c.score.push_back(metrics.scores[static_cast<size_t>((((t * R + r) * K + class_index) * 4 + 0) * 3 + 2)]);
      continue;
    }
    double sum = 0;
    int64_t n = 0;
    for (int64_t k = 0; k < K; ++k) {
      const double p = metrics.precision_at(t, r, k, 0, 2);
      if (p > -1) sum += p, ++n;
    }
    c.precision.push_back(n ? sum / static_cast<double>(n) : -1.0);
  }
  return c;
}

std::string pr_curve_csv(const CocoMetrics& metrics, const std::vector<std::string>& class_names,
                         double iou_threshold) {
  const size_t K = metrics.category_ids.size();
  SEEK_CHECK_VALUE(class_names.empty() || class_names.size() == K, "pr_curve_csv: ", class_names.size(),
                   " class names for ", K, " categories");
  std::vector<PrCurve> curves;
  for (size_t k = 0; k < K; ++k) curves.push_back(pr_curve(metrics, static_cast<int64_t>(k), iou_threshold));
  const PrCurve mean = pr_curve(metrics, -1, iou_threshold);
  std::string out = "recall";
  for (size_t k = 0; k < K; ++k) {
    const std::string name = class_names.empty() ? std::to_string(metrics.category_ids[k]) : class_names[k];
    SEEK_CHECK_VALUE(name.find_first_of(",\"\n") == std::string::npos, "pr_curve_csv: class name '", name,
                     "' contains a comma, quote or newline");
    out += "," + name;
  }
  out += ",mean\n";
  auto cell = [](double p) { return p > -1 ? format_double(p) : std::string(); };
  for (size_t r = 0; r < mean.recall.size(); ++r) {
    out += format_double(mean.recall[r]);
    for (const PrCurve& c : curves) out += "," + cell(c.precision[r]);
    out += "," + cell(mean.precision[r]) + "\n";
  }
  return out;
}

void write_pr_curve_csv(const std::string& path, const CocoMetrics& metrics,
                        const std::vector<std::string>& class_names, double iou_threshold) {
  io::write_file_atomic(path, pr_curve_csv(metrics, class_names, iou_threshold), "write_pr_curve_csv");
}

std::vector<CocoDetection> coco_detections_from_xyxy(const Tensor& detections, int64_t image_id,
                                                     int64_t category_offset) {
  SEEK_CHECK_SHAPE(detections.dim() == 2 && detections.size(1) == 6,
                   "coco_detections_from_xyxy: expected detections [n, 6] (x1, y1, x2, y2, confidence, class), got ",
                   detections.dim(), " dims");
  const std::vector<double> v = to_vector<double>(detections.to(kCPU).to(kFloat64).contiguous());
  std::vector<CocoDetection> out;
  out.reserve(v.size() / 6);
  for (size_t n = 0; n + 6 <= v.size(); n += 6) {
    const double cls = v[n + 5];
    SEEK_CHECK_VALUE(std::isfinite(cls) && cls >= 0 && cls == std::floor(cls), "coco_detections_from_xyxy: row ", n / 6,
                     " has class ", cls, ", not a non-negative integer");
    out.push_back(CocoDetection{image_id,
                                static_cast<int64_t>(cls) + category_offset,
                                {v[n], v[n + 1], v[n + 2] - v[n], v[n + 3] - v[n + 1]},
                                v[n + 4]});
  }
  return out;
}

std::vector<CocoGroundTruth> coco_ground_truth_from_xyxy(const Tensor& boxes, const Tensor& labels, int64_t image_id,
                                                         int64_t category_offset) {
  SEEK_CHECK_SHAPE(boxes.dim() == 2 && boxes.size(1) == 4 && labels.dim() == 1 && labels.size(0) == boxes.size(0),
                   "coco_ground_truth_from_xyxy: expected boxes [n, 4] and labels [n], got ", boxes.dim(),
                   "-d boxes and ", labels.dim(), "-d labels");
  const std::vector<double> b = to_vector<double>(boxes.to(kCPU).to(kFloat64).contiguous());
  const std::vector<double> l = to_vector<double>(labels.to(kCPU).to(kFloat64).contiguous());
  std::vector<CocoGroundTruth> out;
  for (size_t n = 0; n < l.size(); ++n) {
    SEEK_CHECK_VALUE(std::isfinite(l[n]) && l[n] >= 0 && l[n] == std::floor(l[n]),
                     "coco_ground_truth_from_xyxy: label ", n, " is ", l[n], ", not a non-negative integer");
    const double* x = b.data() + 4 * n;
    out.push_back(CocoGroundTruth{
        image_id, static_cast<int64_t>(l[n]) + category_offset, {x[0], x[1], x[2] - x[0], x[3] - x[1]}, -1, false});
  }
  return out;
}

}  // namespace seek::vision

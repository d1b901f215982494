// seek._C.vision: the detection ops of seek/vision (torchvision.ops' names and argument order, YOLOv5's
// non_max_suppression and bbox_iou) and the COCO evaluator. Ground truth and detections cross the
// boundary as pycocotools' dicts ({"image_id", "category_id", "bbox": [x, y, w, h], "score" / "area",
// "iscrowd"}), so a results file loaded with json.load can be passed straight in; the metrics' precision /
// recall arrays come back as numpy arrays with COCOeval's eval["precision"] / eval["recall"] layout.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include "bind.h"
#include "seek/core/error.h"
#include "seek/data/detection_io.h"
#include "seek/ops/creation.h"
#include "seek/vision/bbox_iou.h"
#include "seek/vision/boxes.h"
#include "seek/vision/coco_eval.h"
#include "seek/vision/confusion_matrix.h"
#include "seek/vision/draw.h"
#include "seek/vision/nms.h"

namespace seek::python {

namespace {

using namespace seek::vision;

std::array<double, 4> bbox_of(const py::handle& d, const char* what, size_t i) {
  auto seq = d["bbox"].cast<std::vector<double>>();
  if (seq.size() != 4)
    throw seek::ValueError(std::string(what) + "[" + std::to_string(i) +
                           "]: bbox must have 4 numbers (x, y, w, h), got " + std::to_string(seq.size()));
  return {seq[0], seq[1], seq[2], seq[3]};
}

py::object need(const py::handle& d, const char* key, const char* what, size_t i) {
  if (!py::isinstance<py::dict>(d))
    throw py::type_error(std::string(what) + "[" + std::to_string(i) + "] must be a dict, got " +
                         std::string(py::str(py::type::handle_of(d).attr("__name__"))));
  if (!d.contains(key)) throw seek::ValueError(std::string(what) + "[" + std::to_string(i) + "] has no '" + key + "'");
  return d[key];
}

std::vector<CocoDetection> detections_from(const py::iterable& items) {
  std::vector<CocoDetection> out;
  size_t i = 0;
  for (const py::handle& d : items) {
    CocoDetection det;
    det.image_id = need(d, "image_id", "detections", i).cast<int64_t>();
    det.category_id = need(d, "category_id", "detections", i).cast<int64_t>();
    need(d, "bbox", "detections", i);
    det.bbox = bbox_of(d, "detections", i);
    det.score = need(d, "score", "detections", i).cast<double>();
    out.push_back(det);
    ++i;
  }
  return out;
}

std::vector<CocoGroundTruth> ground_truth_from(const py::iterable& items) {
  std::vector<CocoGroundTruth> out;
  size_t i = 0;
  for (const py::handle& d : items) {
    CocoGroundTruth gt;
    gt.image_id = need(d, "image_id", "ground_truth", i).cast<int64_t>();
    gt.category_id = need(d, "category_id", "ground_truth", i).cast<int64_t>();
    need(d, "bbox", "ground_truth", i);
    gt.bbox = bbox_of(d, "ground_truth", i);
    if (d.contains("area")) gt.area = d["area"].cast<double>();
    if (d.contains("iscrowd")) gt.iscrowd = d["iscrowd"].cast<bool>();
    out.push_back(gt);
    ++i;
  }
  return out;
}

py::list to_dicts(const std::vector<CocoDetection>& dets) {
  py::list out;
  for (const auto& d : dets) {
    py::dict x;
    x["image_id"] = d.image_id;
    x["category_id"] = d.category_id;
    x["bbox"] = py::list(py::make_tuple(d.bbox[0], d.bbox[1], d.bbox[2], d.bbox[3]));
    x["score"] = d.score;
    out.append(x);
  }
  return out;
}

py::list to_dicts(const std::vector<CocoGroundTruth>& gts) {
  py::list out;
  for (const auto& g : gts) {
    py::dict x;
    x["image_id"] = g.image_id;
    x["category_id"] = g.category_id;
    x["bbox"] = py::list(py::make_tuple(g.bbox[0], g.bbox[1], g.bbox[2], g.bbox[3]));
    x["area"] = g.area >= 0 ? g.area : g.bbox[2] * g.bbox[3];
    x["iscrowd"] = g.iscrowd ? 1 : 0;
    out.append(x);
  }
  return out;
}

py::array_t<double> array_of(const std::vector<double>& v, std::vector<py::ssize_t> shape) {
  py::ssize_t n = 1;
  for (auto s : shape) n *= s;
  if (n != static_cast<py::ssize_t>(v.size())) return py::array_t<double>(std::vector<py::ssize_t>{0});
  py::array_t<double> a(shape);
  std::copy(v.begin(), v.end(), a.mutable_data());
  return a;
}

IouType iou_type_of(bool giou, bool diou, bool ciou, const py::object& iou_type) {
  if (!iou_type.is_none()) return iou_type_from_string(iou_type.cast<std::string>());
  if (ciou) return IouType::CIoU;
  if (diou) return IouType::DIoU;
  if (giou) return IouType::GIoU;
  return IouType::IoU;
}

void def_ops(py::module_& v) {
  auto rel = py::call_guard<py::gil_scoped_release>();
  v.def("box_convert", &box_convert, py::arg("boxes"), py::arg("in_fmt"), py::arg("out_fmt"), rel,
        "Converts [..., 4] boxes between 'xyxy', 'xywh' and 'cxcywh' (torchvision.ops.box_convert).");
  v.def("box_area", &box_area, py::arg("boxes"), rel, "Areas of xyxy boxes [N, 4] -> [N].");
  v.def("box_iou", &box_iou, py::arg("boxes1"), py::arg("boxes2"), rel, "IoU matrix [N, M] of xyxy boxes.");
  v.def("generalized_box_iou", &generalized_box_iou, py::arg("boxes1"), py::arg("boxes2"), rel,
        "Generalized IoU matrix [N, M] of xyxy boxes.");
  v.def("distance_box_iou", &distance_box_iou, py::arg("boxes1"), py::arg("boxes2"), py::arg("eps") = 1e-7, rel,
        "Distance IoU matrix [N, M] of xyxy boxes.");
  v.def("complete_box_iou", &complete_box_iou, py::arg("boxes1"), py::arg("boxes2"), py::arg("eps") = 1e-7, rel,
        "Complete IoU matrix [N, M] of xyxy boxes.");
  v.def(
      "clip_boxes_to_image",
      [](const Tensor& boxes, const std::array<int64_t, 2>& size) {
        return clip_boxes_to_image(boxes, size[0], size[1]);
      },
      py::arg("boxes"), py::arg("size"), rel, "xyxy boxes clipped to an image of size (height, width).");
  v.def("remove_small_boxes", &remove_small_boxes, py::arg("boxes"), py::arg("min_size"), rel,
        "int64 indices of the boxes whose width and height are both >= min_size.");
  v.def("scale_boxes", &scale_boxes, py::arg("boxes"), py::arg("letterboxed_hw"), py::arg("ratio"), py::arg("pad_x"),
        py::arg("pad_y"), py::arg("orig_hw"), rel,
        "Undoes a letterbox (x_orig = (x - pad_x) / ratio) and clips to the original (height, width).");
  v.def("nms", py::overload_cast<const Tensor&, const Tensor&, double>(&nms), py::arg("boxes"), py::arg("scores"),
        py::arg("iou_threshold"), rel,
        "torchvision.ops.nms: int64 indices of the kept xyxy boxes, by decreasing score.");
  v.def("batched_nms", &batched_nms, py::arg("boxes"), py::arg("scores"), py::arg("idxs"), py::arg("iou_threshold"),
        rel, "torchvision.ops.batched_nms: NMS within each category of idxs.");
  v.def(
      "non_max_suppression",
      [](const Tensor& prediction, double conf_thres, double iou_thres, bool agnostic, bool multi_label,
         int64_t max_det, int64_t max_nms) {
        NmsOptions o;
        o.conf_threshold = conf_thres;
        o.iou_threshold = iou_thres;
        o.agnostic = agnostic;
        o.multi_label = multi_label;
        o.max_det = max_det;
        o.max_nms = max_nms;
        return non_max_suppression(prediction, o);
      },
      py::arg("prediction"), py::arg("conf_thres") = 0.25, py::arg("iou_thres") = 0.45, py::arg("agnostic") = false,
      py::arg("multi_label") = false, py::arg("max_det") = 300, py::arg("max_nms") = 30000, rel,
      "YOLOv5's post-processing: prediction [B, N, 5 + nc] (cx, cy, w, h, obj, cls...) -> per image [n, 6] (x1, "
      "y1, x2, y2, conf, cls). seek.vision.non_max_suppression adds the classes filter.");
  v.def(
      "bbox_iou",
      [](const Tensor& box1, const Tensor& box2, bool xywh, bool giou, bool diou, bool ciou, double eps,
         const py::object& iou_type) {
        IouType t = iou_type_of(giou, diou, ciou, iou_type);
        py::gil_scoped_release nogil;
        return bbox_iou(box1, box2, xywh, t, eps);
      },
      py::arg("box1"), py::arg("box2"), py::arg("xywh") = true, py::arg("GIoU") = false, py::arg("DIoU") = false,
      py::arg("CIoU") = false, py::arg("eps") = 1e-7, py::arg("iou_type") = py::none(),
      "YOLOv5's bbox_iou: elementwise over [..., 4] pairs (broadcast), differentiable. iou_type ('IoU', 'GIoU', "
      "'DIoU', 'CIoU') overrides the flags.");
}

void def_coco(py::module_& v) {
  py::class_<CocoMetrics>(v, "CocoMetrics",
                          "COCOeval's results: stats (the 12 numbers of summarize()), map50_95, map50, map75, "
                          "per-class APs (by sorted category id), precision [T, R, K, A, M] and recall [T, K, A, "
                          "M] as numpy arrays (A: all, small, medium, large; M: maxDets 1, 10, 100).")
      .def_property_readonly("stats",
                             [](const CocoMetrics& m) { return std::vector<double>(m.stats.begin(), m.stats.end()); })
      .def_readonly("map50_95", &CocoMetrics::map50_95)
      .def_readonly("map50", &CocoMetrics::map50)
      .def_readonly("map75", &CocoMetrics::map75)
      .def_readonly("per_class_ap50_95", &CocoMetrics::per_class_ap50_95)
      .def_readonly("per_class_ap50", &CocoMetrics::per_class_ap50)
      .def_readonly("category_ids", &CocoMetrics::category_ids)
      .def_readonly("iou_thresholds", &CocoMetrics::iou_thresholds)
      .def_readonly("recall_thresholds", &CocoMetrics::recall_thresholds)
      .def_property_readonly("precision",
                             [](const CocoMetrics& m) {
                               auto T = static_cast<py::ssize_t>(m.iou_thresholds.size());
                               auto R = static_cast<py::ssize_t>(m.recall_thresholds.size());
                               auto K = static_cast<py::ssize_t>(m.category_ids.size());
                               return array_of(m.precision, {T, R, K, 4, 3});
                             })
      .def_property_readonly("recall",
                             [](const CocoMetrics& m) {
                               auto T = static_cast<py::ssize_t>(m.iou_thresholds.size());
                               auto K = static_cast<py::ssize_t>(m.category_ids.size());
                               return array_of(m.recall, {T, K, 4, 3});
                             })
      .def_property_readonly("scores",
                             [](const CocoMetrics& m) {
                               auto T = static_cast<py::ssize_t>(m.iou_thresholds.size());
                               auto R = static_cast<py::ssize_t>(m.recall_thresholds.size());
                               auto K = static_cast<py::ssize_t>(m.category_ids.size());
                               return array_of(m.scores, {T, R, K, 4, 3});
                             })
      .def("summary", &CocoMetrics::summary, "The 12 lines COCOeval.summarize() prints.")
      .def(
          "pr_curve",
          [](const CocoMetrics& m, int64_t class_index, double iou) {
            PrCurve c = pr_curve(m, class_index, iou);
            py::dict d;
            d["recall"] = c.recall;
            d["precision"] = c.precision;
            d["score"] = c.score;
            return d;
          },
          py::arg("class_index"), py::arg("iou_threshold") = 0.5,
          "One class's precision-recall curve (area all, maxDets 100): {'recall', 'precision', 'score'} lists.")
      .def(
          "pr_curve_csv",
          [](const CocoMetrics& m, const std::vector<std::string>& names, double iou) {
            return pr_curve_csv(m, names, iou);
          },
          py::arg("class_names") = std::vector<std::string>{}, py::arg("iou_threshold") = 0.5)
      .def(
          "as_dict",
          [](const CocoMetrics& m) {
            py::dict d;
            d["stats"] = std::vector<double>(m.stats.begin(), m.stats.end());
            d["map50_95"] = m.map50_95;
            d["map50"] = m.map50;
            d["map75"] = m.map75;
            d["per_class_ap50_95"] = m.per_class_ap50_95;
            d["per_class_ap50"] = m.per_class_ap50;
            d["category_ids"] = m.category_ids;
            return d;
          },
          "The scalar results as a dict (stats, map50_95, map50, map75, per-class APs, category_ids).")
      .def("__repr__", [](const CocoMetrics& m) {
        return "CocoMetrics(map50_95=" + std::to_string(m.map50_95) + ", map50=" + std::to_string(m.map50) +
               ", map75=" + std::to_string(m.map75) + ")";
      });

  py::class_<CocoEvaluator>(v, "CocoEvaluator",
                            "COCO bbox evaluation as pycocotools' COCOeval (IoU .50:.05:.95, 101 recall points, "
                            "area ranges, maxDets 1/10/100, crowd handling). Ground truth and detections are "
                            "pycocotools dicts.")
      .def(py::init([](const py::iterable& gt, std::vector<int64_t> image_ids, std::vector<int64_t> category_ids) {
             return CocoEvaluator(ground_truth_from(gt), std::move(image_ids), std::move(category_ids));
           }),
           py::arg("ground_truth"), py::arg("image_ids"), py::arg("category_ids"),
           "ground_truth: dicts {'image_id', 'category_id', 'bbox': [x, y, w, h], 'area' (optional), 'iscrowd' "
           "(optional)}; every image and category evaluated, listed.")
      .def_static(
          "from_json", [](const std::string& path) { return CocoEvaluator::from_json(path); }, py::arg("path"),
          "From a COCO annotation file (images, categories, annotations).")
      .def_static(
          "from_detection_set",
          [](const data::DetectionSet& set) {
            std::vector<CocoGroundTruth> gt;
            std::vector<int64_t> images, categories;
            for (const auto& r : set.records) {
              images.push_back(r.image_id);
              auto g = coco_ground_truth_from_xyxy(r.boxes, r.labels, r.image_id, 1);
              gt.insert(gt.end(), g.begin(), g.end());
            }
            for (size_t k = 0; k < set.class_names.size(); ++k) categories.push_back(static_cast<int64_t>(k) + 1);
            return CocoEvaluator(std::move(gt), std::move(images), std::move(categories));
          },
          py::arg("set"),
          "From a seek.data.DetectionSet: its records' boxes as ground truth, category id = class index + 1 (as "
          "write_coco_json numbers them).")
      .def(
          "add", [](CocoEvaluator& e, const py::iterable& dets) { e.add(detections_from(dets)); },
          py::arg("detections"),
          "Adds detections: dicts {'image_id', 'category_id', 'bbox': [x, y, w, h], 'score'} (a COCO results "
          "list); may be called per batch.")
      .def(
          "add_xyxy",
          [](CocoEvaluator& e, const Tensor& dets, int64_t image_id, int64_t offset) {
            e.add(coco_detections_from_xyxy(dets, image_id, offset));
          },
          py::arg("detections"), py::arg("image_id"), py::arg("category_offset") = 1,
          "Adds one image's non_max_suppression output [n, 6] (x1, y1, x2, y2, conf, class); category id = "
          "class + category_offset.")
      .def(
          "load_results", [](CocoEvaluator& e, const std::string& path) { e.add(read_coco_detections(path)); },
          py::arg("path"), "Adds the detections of a COCO results json file.")
      .def("clear_detections", &CocoEvaluator::clear_detections)
      .def("evaluate", &CocoEvaluator::evaluate, py::call_guard<py::gil_scoped_release>(),
           "Evaluates the detections added so far -> CocoMetrics.")
      .def_property_readonly("image_ids", &CocoEvaluator::image_ids)
      .def_property_readonly("category_ids", &CocoEvaluator::category_ids)
      .def_property_readonly("num_ground_truth", &CocoEvaluator::num_ground_truth)
      .def_property_readonly("num_detections", &CocoEvaluator::num_detections);

  v.def(
      "read_coco_detections", [](const std::string& path) { return to_dicts(read_coco_detections(path)); },
      py::arg("path"), "A COCO results json file as a list of dicts.");
  v.def(
      "write_coco_detections",
      [](const py::iterable& dets, const std::string& path) { write_coco_detections(detections_from(dets), path); },
      py::arg("detections"), py::arg("path"), "Writes detections (dicts) as a COCO results json file.");
  v.def(
      "coco_detections_from_xyxy",
      [](const Tensor& dets, int64_t image_id, int64_t offset) {
        return to_dicts(coco_detections_from_xyxy(dets, image_id, offset));
      },
      py::arg("detections"), py::arg("image_id"), py::arg("category_offset") = 1,
      "[n, 6] (x1, y1, x2, y2, conf, class) -> COCO result dicts (bbox x, y, w, h).");
  v.def(
      "coco_ground_truth_from_xyxy",
      [](const Tensor& boxes, const Tensor& labels, int64_t image_id, int64_t offset) {
        return to_dicts(coco_ground_truth_from_xyxy(boxes, labels, image_id, offset));
      },
      py::arg("boxes"), py::arg("labels"), py::arg("image_id"), py::arg("category_offset") = 1,
      "xyxy boxes [n, 4] + labels [n] -> ground-truth dicts.");
}

Tensor tensor_or_none(const py::object& o) { return o.is_none() ? Tensor() : o.cast<Tensor>(); }

py::array_t<int64_t> int_array(const std::vector<int64_t>& v) {
  py::array_t<int64_t> a(static_cast<py::ssize_t>(v.size()));
  std::copy(v.begin(), v.end(), a.mutable_data());
  return a;
}

ConfusionPlotOptions plot_options(int64_t cell_width, int64_t cell_height, bool normalize, const py::object& title) {
  ConfusionPlotOptions o;
  o.cell_width = cell_width;
  o.cell_height = cell_height;
  o.normalize = normalize;
  if (!title.is_none()) o.title = title.cast<std::string>();
  return o;
}

void def_confusion(py::module_& v) {
  using CM = DetectionConfusionMatrix;
  py::class_<CM>(v, "DetectionConfusionMatrix",
                 "YOLOv5's detection confusion matrix: per image, detections with confidence >= conf are matched "
                 "one to one to ground-truth boxes at IoU > iou_thres (greedily by IoU, regardless of class); "
                 "matrix[predicted, true] counts the matches, row nc the missed boxes, column nc the unmatched "
                 "detections.")
      .def(py::init<int64_t, double, double>(), py::arg("num_classes"), py::arg("conf") = 0.25,
           py::arg("iou_thres") = 0.45)
      .def(
          "update",
          [](CM& cm, const py::object& dets, const py::object& boxes, const py::object& labels) {
            cm.update(tensor_or_none(dets), tensor_or_none(boxes), tensor_or_none(labels));
          },
          py::arg("detections"), py::arg("gt_boxes"), py::arg("gt_labels"),
          "One image: detections [n, 6] (x1, y1, x2, y2, conf, class) as non_max_suppression returns them, "
          "gt_boxes [m, 4] xyxy in the same pixels, gt_labels [m]; None for an empty one.")
      .def_property_readonly("matrix",
                             [](const CM& cm) {
                               const auto n = static_cast<py::ssize_t>(cm.num_classes() + 1);
                               py::array_t<int64_t> a({n, n});
                               const std::vector<int64_t> m = to_vector<int64_t>(cm.matrix());
                               std::copy(m.begin(), m.end(), a.mutable_data());
                               return a;
                             })
      .def("tensor", &CM::matrix, "The matrix as an int64 seek tensor [nc + 1, nc + 1].")
      .def_property_readonly("num_classes", &CM::num_classes)
      .def_property_readonly("conf", &CM::conf_threshold)
      .def_property_readonly("iou_thres", &CM::iou_threshold)
      .def("reset", &CM::reset)
      .def(
          "tp_fp",
          [](const CM& cm) { return py::make_tuple(int_array(cm.true_positives()), int_array(cm.false_positives())); },
          "Per class (true positives, false positives) as YOLOv5's tp_fp().")
      .def("false_negatives", [](const CM& cm) { return int_array(cm.false_negatives()); })
      .def("precision", &CM::precision, "tp / (tp + fp) per class (-1 where nothing was predicted).")
      .def("recall", &CM::recall, "tp / (tp + fn) per class (-1 without ground truth).")
      .def("table", &CM::table, py::arg("names") = std::vector<std::string>{}, "The matrix as a text table.")
      .def("csv", &CM::csv, py::arg("names") = std::vector<std::string>{})
      .def("write_csv", &CM::write_csv, py::arg("path"), py::arg("names") = std::vector<std::string>{})
      .def(
          "plot",
          [](const CM& cm, const std::vector<std::string>& names, bool normalize, int64_t cell_width,
             int64_t cell_height, const py::object& title) {
            const ConfusionPlotOptions o = plot_options(cell_width, cell_height, normalize, title);
            py::gil_scoped_release nogil;
            return cm.plot(names, o);
          },
          py::arg("names") = std::vector<std::string>{}, py::arg("normalize") = true, py::arg("cell_width") = 40,
          py::arg("cell_height") = 24, py::arg("title") = py::none(),
          "The heat map as a uint8 [3, H, W] tensor (normalize: fractions of each true-class column).")
      .def(
          "save_plot",
          [](const CM& cm, const std::string& path, const std::vector<std::string>& names, bool normalize,
             int64_t cell_width, int64_t cell_height, const py::object& title) {
            const ConfusionPlotOptions o = plot_options(cell_width, cell_height, normalize, title);
            py::gil_scoped_release nogil;
            cm.save_plot(path, names, o);
          },
          py::arg("path"), py::arg("names") = std::vector<std::string>{}, py::arg("normalize") = true,
          py::arg("cell_width") = 40, py::arg("cell_height") = 24, py::arg("title") = py::none(),
          "Writes the heat map (PNG by the extension), as YOLOv5's confusion_matrix.png.")
      .def("__repr__", [](const CM& cm) {
        return "DetectionConfusionMatrix(num_classes=" + std::to_string(cm.num_classes()) +
               ", conf=" + std::to_string(cm.conf_threshold()) + ", iou_thres=" + std::to_string(cm.iou_threshold()) +
               ")";
      });
}

// None, one (r, g, b) for every box, or one per box.
std::vector<Color> colors_of(const py::object& colors) {
  if (colors.is_none()) return {};
  auto rgb = [](const py::handle& c) {
    auto v = c.cast<std::vector<int64_t>>();
    if (v.size() != 3)
      throw seek::ValueError("draw_bounding_boxes: a colour must be (r, g, b), got " + std::to_string(v.size()) +
                             " numbers");
    for (auto x : v)
      if (x < 0 || x > 255) throw seek::ValueError("draw_bounding_boxes: colour values must be in [0, 255]");
    return Color{static_cast<uint8_t>(v[0]), static_cast<uint8_t>(v[1]), static_cast<uint8_t>(v[2])};
  };
  auto seq = colors.cast<py::sequence>();
  if (seq.size() > 0 && py::isinstance<py::int_>(seq[0])) return {rgb(colors)};  // one colour
  std::vector<Color> out;
  for (const auto& c : seq) out.push_back(rgb(c));
  return out;
}

void def_draw(py::module_& v) {
  v.def(
      "draw_bounding_boxes",
      [](const Tensor& image, const Tensor& boxes, const py::object& labels, const py::object& colors, bool fill,
         int64_t width) {
        std::vector<std::string> names =
            labels.is_none() ? std::vector<std::string>{} : labels.cast<std::vector<std::string>>();
        std::vector<Color> c = colors_of(colors);
        py::gil_scoped_release nogil;
        return draw_bounding_boxes(image, boxes, names, c, width, fill);
      },
      py::arg("image"), py::arg("boxes"), py::arg("labels") = py::none(), py::arg("colors") = py::none(),
      py::arg("fill") = false, py::arg("width") = 1,
      "torchvision.utils.draw_bounding_boxes: a uint8 [3, H, W] copy of image (uint8, or float in [0, 1]) with "
      "the xyxy boxes outlined, labels in tags; colors: None (a palette), one (r, g, b) or one per box.");
}

}  // namespace

void init_vision(py::module_& m) {
  py::module_ v = m.def_submodule("vision", "Detection ops and COCO evaluation (wrapped by seek.vision)");
  def_ops(v);
  def_coco(v);
  def_confusion(v);
  def_draw(v);
}

}  // namespace seek::python

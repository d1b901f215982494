// seek._C.models.yolo: the YOLO detector of seek/models/yolo. YoloConfig takes its fields as keyword
// arguments (nano()/small() presets); YoloModel is a seek.nn.Module like the others (parameters,
// state_dict, train/eval, to) whose forward returns a YoloOutput (per-scale raw predictions, the anchors
// the head used, strides); YoloLoss takes YoloLossOptions' fields as keyword arguments and returns the loss
// with its parts (unpacks as YOLOv5's `loss, (box, obj, cls)`).
#include <pybind11/stl.h>

#include "kwargs_fields.h"
#include "nn_common.h"
#include "seek/core/error.h"
#include "seek/models/yolo/yolo.h"
#include "seek/models/yolo/yolo_config.h"
#include "seek/models/yolo/yolo_loss.h"

namespace seek::python {

namespace {

using namespace seek::models::yolo;

void def_config(py::module_& ym) {
  py::class_<YoloConfig> c(ym, "YoloConfig",
                           "The detector's configuration: num_classes, depth_multiple, width_multiple, in_channels, "
                           "strides, num_anchors, dynamic_anchors, anchor_candidates, anchors (per scale, (w, h) "
                           "pixels; empty: defaults for image_size), attention ('se', 'cbam', 'none'), "
                           "max_channels, image_size, anchor_range.");
  c.def(py::init([](const py::kwargs& kwargs) {
          YoloConfig config;
          set_fields_from_kwargs(config, kwargs, "YoloConfig");
          config.validate();
          return config;
        }),
        "YoloConfig(**fields): the defaults with the given fields replaced; validated.");
#define SEEK_FIELD(name) c.def_readwrite(#name, &YoloConfig::name)
  SEEK_FIELD(num_classes);
  SEEK_FIELD(depth_multiple);
  SEEK_FIELD(width_multiple);
  SEEK_FIELD(in_channels);
  SEEK_FIELD(strides);
  SEEK_FIELD(num_anchors);
  SEEK_FIELD(dynamic_anchors);
  SEEK_FIELD(anchor_candidates);
  SEEK_FIELD(anchors);
  SEEK_FIELD(attention);
  SEEK_FIELD(max_channels);
  SEEK_FIELD(image_size);
  SEEK_FIELD(anchor_range);
#undef SEEK_FIELD
  c.def_static(
       "nano",
       [](int64_t num_classes, const py::kwargs& kwargs) {
         YoloConfig config = YoloConfig::nano(num_classes);
         set_fields_from_kwargs(config, kwargs, "YoloConfig.nano");
         config.validate();
         return config;
       },
       py::arg("num_classes") = 10, "The CPU-sized model (YOLOv5n-like widths); keywords replace fields.")
      .def_static(
          "small",
          [](int64_t num_classes, const py::kwargs& kwargs) {
            YoloConfig config = YoloConfig::small(num_classes);
            set_fields_from_kwargs(config, kwargs, "YoloConfig.small");
            config.validate();
            return config;
          },
          py::arg("num_classes") = 10, "The GPU-sized model (YOLOv5s-like widths); keywords replace fields.")
      .def("validate", &YoloConfig::validate, "ValueError naming the field when a value is out of range.")
      .def("resolved_anchors", &YoloConfig::resolved_anchors, "anchors, or the defaults for image_size when empty.")
      .def("channels", &YoloConfig::channels, py::arg("reference"))
      .def("depth", &YoloConfig::depth, py::arg("reference"))
      .def(py::pickle(
          [](const YoloConfig& x) {
            py::dict d;
            d["num_classes"] = x.num_classes;
            d["depth_multiple"] = x.depth_multiple;
            d["width_multiple"] = x.width_multiple;
            d["in_channels"] = x.in_channels;
            d["strides"] = x.strides;
            d["num_anchors"] = x.num_anchors;
            d["dynamic_anchors"] = x.dynamic_anchors;
            d["anchor_candidates"] = x.anchor_candidates;
            d["anchors"] = x.anchors;
            d["attention"] = x.attention;
            d["max_channels"] = x.max_channels;
            d["image_size"] = x.image_size;
            d["anchor_range"] = x.anchor_range;
            return d;
          },
          [](const py::dict& d) {
            YoloConfig config;
            set_fields_from_kwargs(config, d, "YoloConfig");
            return config;
          }))
      .def("__repr__", [](const YoloConfig& x) {
        return "YoloConfig(num_classes=" + std::to_string(x.num_classes) +
               ", depth_multiple=" + std::to_string(x.depth_multiple) +
               ", width_multiple=" + std::to_string(x.width_multiple) +
               ", dynamic_anchors=" + (x.dynamic_anchors ? "True" : "False") + ", attention='" + x.attention +
               "', image_size=" + std::to_string(x.image_size) + ")";
      });
}

void def_output(py::module_& ym) {
  py::class_<YoloOutput>(ym, "YoloOutput",
                         "preds: per scale [B, A, H, W, 5 + nc] raw logits (tx, ty, tw, th, obj, cls...); anchors: "
                         "per scale [B, A, 2] (w, h) pixels; strides.")
      .def(py::init([](std::vector<Tensor> preds, std::vector<Tensor> anchors, std::vector<int64_t> strides) {
             return YoloOutput{std::move(preds), std::move(anchors), std::move(strides)};
           }),
           py::arg("preds"), py::arg("anchors"), py::arg("strides"))
      .def_property("preds", by_value(&YoloOutput::preds), setter(&YoloOutput::preds))
      .def_property("anchors", by_value(&YoloOutput::anchors), setter(&YoloOutput::anchors))
      .def_readwrite("strides", &YoloOutput::strides)
      .def("__len__", [](const YoloOutput& o) { return o.preds.size(); })
      .def("__getitem__", [](const YoloOutput& o, int64_t i) {
        auto n = static_cast<int64_t>(o.preds.size());
        if (i < 0) i += n;
        if (i < 0 || i >= n) throw py::index_error("YoloOutput: scale " + std::to_string(i) + " out of range");
        return o.preds[static_cast<size_t>(i)];
      });
  ym.def("decode_predictions", &decode_predictions, py::arg("output"), py::call_guard<py::gil_scoped_release>(),
         "[B, N, 5 + nc]: cx, cy, w, h (pixels), sigmoid(obj), sigmoid(cls) (YOLOv5 Detect's inference output).");
}

void def_model(py::module_& ym) {
  py::class_<YoloModel, nn::Module, std::shared_ptr<YoloModel>>(
      ym, "YoloModel", "YOLOv5-like detector (children backbone, neck, head) with dynamic or fixed anchors.")
      .def(py::init<YoloConfig>(), py::arg("config"))
      .def(
          "forward",
          [](YoloModel& m, const Tensor& images, bool keep) {
            YoloForwardOptions o;
            o.keep_anchor_choices = keep;
            py::gil_scoped_release nogil;
            return m.forward(images, o);
          },
          py::arg("images"), py::arg("keep_anchor_choices") = false,
          "images [B, 3, S, S] (S a multiple of 32) -> YoloOutput.")
      .def("decode", &YoloModel::decode, py::arg("output"), py::call_guard<py::gil_scoped_release>(),
           "[B, N, 5 + nc] boxes (cx, cy, w, h pixels) with objectness and class probabilities.")
      .def(
          "predict",
          [](YoloModel& m, const Tensor& images) {
            py::gil_scoped_release nogil;
            return m.decode(m.forward(images));
          },
          py::arg("images"), "decode(forward(images)).")
      .def(
          "last_anchor_choices",
          [](const YoloModel& m) {
            py::list out;
            for (const auto& c : m.last_anchor_choices()) {
              py::dict d;
              d["candidates"] = c.candidates;
              d["scores"] = c.scores;
              d["index"] = c.index;
              d["anchors"] = c.anchors;
              d["gate"] = c.gate;
              out.append(d);
            }
            return out;
          },
          "Per scale, the dynamic anchor generator's choice of the last forward(keep_anchor_choices=True).")
      .def("set_conv_bn_fused", &YoloModel::set_conv_bn_fused, py::arg("fused") = true,
           "Folds each Conv's batch norm into its convolution for inference (eval mode); returns the count.")
      .def_property_readonly("config", [](const YoloModel& m) { return m.config(); });
}

YoloLossOptions loss_options(const py::kwargs& kwargs) {
  YoloLossOptions o;
  for (auto& [key, value] : kwargs) {
    std::string k = py::str(key);
    if (k == "num_classes")
      o.num_classes = value.cast<int64_t>();
    else if (k == "box")
      o.box = value.cast<double>();
    else if (k == "obj")
      o.obj = value.cast<double>();
    else if (k == "cls")
      o.cls = value.cast<double>();
    else if (k == "anchor_t")
      o.anchor_t = value.cast<double>();
    else if (k == "balance")
      o.balance = value.cast<std::vector<double>>();
    else if (k == "iou_type")
      o.iou_type = vision::iou_type_from_string(value.cast<std::string>());
    else if (k == "label_smoothing")
      o.label_smoothing = value.cast<double>();
    else if (k == "assigner")
      o.assigner = value.cast<std::string>();
    else if (k == "scale_hyp")
      o.scale_hyp = value.cast<bool>();
    else if (k == "reference_image_size")
      o.reference_image_size = value.cast<double>();
    else if (k == "iou_ratio")
      o.iou_ratio = value.cast<double>();
    else if (k == "simota_radius")
      o.simota_radius = value.cast<double>();
    else if (k == "simota_topk")
      o.simota_topk = value.cast<int64_t>();
    else if (k == "simota_iou_weight")
      o.simota_iou_weight = value.cast<double>();
    else
      throw py::type_error("YoloLoss: unexpected keyword argument '" + k + "'");
  }
  return o;
}

py::dict options_dict(const YoloLossOptions& o) {
  py::dict d;
  d["num_classes"] = o.num_classes;
  d["box"] = o.box;
  d["obj"] = o.obj;
  d["cls"] = o.cls;
  d["anchor_t"] = o.anchor_t;
  d["balance"] = o.balance;
  d["iou_type"] = std::string(vision::iou_type_name(o.iou_type));
  d["label_smoothing"] = o.label_smoothing;
  d["assigner"] = o.assigner;
  d["scale_hyp"] = o.scale_hyp;
  d["reference_image_size"] = o.reference_image_size;
  d["iou_ratio"] = o.iou_ratio;
  d["simota_radius"] = o.simota_radius;
  d["simota_topk"] = o.simota_topk;
  d["simota_iou_weight"] = o.simota_iou_weight;
  return d;
}

void def_loss(py::module_& ym) {
  py::class_<YoloLossItems>(ym, "YoloLossItems",
                            "loss: scalar, differentiable ((box + obj + cls) * batch size); box, obj, cls: the "
                            "scaled parts as floats. Unpacks as (loss, (box, obj, cls)).")
      .def_property_readonly("loss", by_value(&YoloLossItems::loss))
      .def_readonly("box", &YoloLossItems::box)
      .def_readonly("obj", &YoloLossItems::obj)
      .def_readonly("cls", &YoloLossItems::cls)
      .def("__iter__",
           [](const YoloLossItems& x) { return py::iter(py::make_tuple(x.loss, py::make_tuple(x.box, x.obj, x.cls))); })
      .def("__repr__", [](const YoloLossItems& x) {
        return "YoloLossItems(box=" + std::to_string(x.box) + ", obj=" + std::to_string(x.obj) +
               ", cls=" + std::to_string(x.cls) + ")";
      });
  py::class_<YoloLoss>(ym, "YoloLoss",
                       "YOLOv5's ComputeLoss: IoU box loss (iou_type 'CIoU', 'GIoU', 'DIoU', 'IoU'), BCE objectness "
                       "(per-scale balance) and classes; assigner 'ratio' (YOLOv5) or 'simota'.")
      .def(py::init([](const py::kwargs& kwargs) { return YoloLoss(loss_options(kwargs)); }),
           "YoloLoss(**options): num_classes, box, obj, cls, anchor_t, balance, iou_type, label_smoothing, assigner, "
           "scale_hyp, reference_image_size, iou_ratio, simota_radius, simota_topk, simota_iou_weight.")
      .def(
          "__call__",
          [](const YoloLoss& l, const YoloOutput& out, const Tensor& targets) {
            py::gil_scoped_release nogil;
            return l(out, targets);
          },
          py::arg("output"), py::arg("targets"),
          "targets [T, 6] (batch index, class, cx, cy, w, h normalised by the image size) -> YoloLossItems.")
      .def(
          "assign",
          [](const YoloLoss& l, const YoloOutput& out, const Tensor& targets, int64_t image_size) {
            YoloLoss::Assigned a;
            {
              py::gil_scoped_release nogil;
              a = l.assign(out, targets, image_size);
            }
            py::dict d;
            d["b"] = a.b;
            d["a"] = a.a;
            d["gj"] = a.gj;
            d["gi"] = a.gi;
            d["tbox"] = a.tbox;
            d["tcls"] = a.tcls;
            d["anch"] = a.anch;
            return d;
          },
          py::arg("output"), py::arg("targets"), py::arg("image_size"),
          "The target assignment alone: per scale lists of tensors b, a, gj, gi, tbox, tcls, anch.")
      .def("gains", &YoloLoss::gains, py::arg("num_scales"), py::arg("image_size"),
           "The box, obj, cls weights after YOLOv5's scaling.")
      .def_property_readonly("options", [](const YoloLoss& l) { return options_dict(l.options()); });
}

}  // namespace

void init_models_yolo(py::module_& m) {
  py::module_ mm = m.attr("models").cast<py::module_>();
  py::module_ ym = mm.def_submodule("yolo", "The YOLO detector (wrapped by seek.models.yolo)");
  def_config(ym);
  def_output(ym);
  def_model(ym);
  def_loss(ym);
}

}  // namespace seek::python

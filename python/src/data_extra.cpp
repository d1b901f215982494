// seek._C.data, continued: the file datasets (CIFAR10, ImageFolder, read_image), the batch
// mixing transforms (MixUp, CutMix, RandomMixUpCutMix) with collate_with_transform for the
// DataLoader, and dataset analysis (seek/data/analysis.h).
//
// CIFAR10 / ImageFolder take torchvision's transform and target_transform: C++ transforms run
// without the GIL, Python callables take it for their call. A batch transform called from
// Python draws from the default CPU generator (seek.manual_seed); inside a DataLoader (through
// collate_with_transform) each batch draws from its own seeded stream.
#include "data_common.h"

#include <pybind11/stl/filesystem.h>

#include <filesystem>
#include <optional>
#include <tuple>

#include "seek/data/analysis.h"
#include "seek/data/cifar.h"
#include "seek/data/image_folder.h"
#include "seek/data/mix.h"

namespace seek::python {

namespace {

using data::Batch;
using data::Dataset;
using data::Example;

// The transform and target_transform of a file dataset (either may be empty).
struct ExampleTransforms {
  data::Transform transform, target_transform;

  Example apply(Example e) const {
    if (transform) e.data = transform(e.data, nullptr);
    if (target_transform) e.target = target_transform(e.target, nullptr);
    return e;
  }
};

ExampleTransforms transforms_of(const py::object& transform, const py::object& target_transform) {
  ExampleTransforms t;
  if (!transform.is_none()) t.transform = transform_of(transform);
  if (!target_transform.is_none()) t.target_transform = transform_of(target_transform);
  return t;
}

class TransformedCIFAR10 : public data::CIFAR10 {
 public:
  TransformedCIFAR10(const std::string& root, bool train, ExampleTransforms t)
      : data::CIFAR10(root, train), t_(std::move(t)) {}
  Example get(size_t index) const override { return t_.apply(data::CIFAR10::get(index)); }

 private:
  ExampleTransforms t_;
};

class TransformedImageFolder : public data::ImageFolder {
 public:
  TransformedImageFolder(const std::string& root, data::ImageFolderOptions o, ExampleTransforms t)
      : data::ImageFolder(root, std::move(o)), t_(std::move(t)) {}
  Example get(size_t index) const override { return t_.apply(data::ImageFolder::get(index)); }

 private:
  ExampleTransforms t_;
};

void init_file_datasets(py::module_& m) {
  py::class_<data::CIFAR10, Dataset, std::shared_ptr<data::CIFAR10>>(
      m, "CIFAR10",
      "CIFAR-10 from its binary batches under root (or root/cifar-10-batches-bin), like "
      "torchvision.datasets.CIFAR10 without download: float32 [3, 32, 32] in [0, 1], int64 label.")
      .def(py::init([](const std::filesystem::path& root, bool train, const py::object& transform,
                       const py::object& target_transform) -> std::shared_ptr<data::CIFAR10> {
             ExampleTransforms t = transforms_of(transform, target_transform);
             py::gil_scoped_release g;
             return std::make_shared<TransformedCIFAR10>(root.string(), train, std::move(t));
           }),
           py::arg("root"), py::arg("train") = true, py::arg("transform") = py::none(),
           py::arg("target_transform") = py::none())
      .def_property_readonly("data", &data::CIFAR10::images, "uint8 [N, 3, 32, 32] (seek's channel-first layout)")
      .def_property_readonly("targets", &data::CIFAR10::labels, "int64 [N]")
      .def_property_readonly("classes", &data::CIFAR10::classes)
      .def_property_readonly("class_to_idx",
                             [](const data::CIFAR10& c) {
                               py::dict d;
                               for (size_t i = 0; i < c.classes().size(); ++i) d[py::str(c.classes()[i])] = i;
                               return d;
                             })
      .def_property_readonly("root", &data::CIFAR10::folder, "The folder the batch files were read from.");
  m.def(
      "read_cifar10_batch", [](const std::filesystem::path& path) { return data::read_cifar10_batch(path.string()); },
      py::arg("path"), py::call_guard<py::gil_scoped_release>(),
      "(uint8 images [N, 3, 32, 32], int64 labels [N]) of one CIFAR-10 batch file.");

  m.def(
      "read_image",
      [](const std::filesystem::path& path, int64_t channels) { return data::read_image(path.string(), channels); },
      py::arg("path"), py::arg("channels") = 3, py::call_guard<py::gil_scoped_release>(),
      "Decodes a PNG / JPEG / BMP file to float32 [C, H, W] in [0, 1]; channels 1, 3 or 0 (as stored).");

  py::class_<data::ImageFolder, Dataset, std::shared_ptr<data::ImageFolder>>(
      m, "ImageFolder",
      "One sub-folder of root per class (sorted names), like torchvision.datasets.ImageFolder: float32 "
      "[C, H, W] images in [0, 1] decoded on every access, int64 class index.")
      .def(py::init([](const std::filesystem::path& root, const py::object& transform,
                       const py::object& target_transform, bool allow_empty, int64_t channels, const py::object& size,
                       std::optional<std::vector<std::string>> extensions) -> std::shared_ptr<data::ImageFolder> {
             data::ImageFolderOptions o;
             o.channels = channels;
             o.allow_empty = allow_empty;
             if (!size.is_none()) {
               Int2 s = size.cast<Int2>();
               o.set_size(s.h, s.w);
             }
             if (extensions) o.extensions = *extensions;
             ExampleTransforms t = transforms_of(transform, target_transform);
             py::gil_scoped_release g;
             return std::make_shared<TransformedImageFolder>(root.string(), std::move(o), std::move(t));
           }),
           py::arg("root"), py::arg("transform") = py::none(), py::arg("target_transform") = py::none(), py::kw_only(),
           py::arg("allow_empty") = false, py::arg("channels") = 3, py::arg("size") = py::none(),
           py::arg("extensions") = py::none())
      .def_property_readonly("classes", &data::ImageFolder::classes)
      .def_property_readonly("class_to_idx",
                             [](const data::ImageFolder& f) {
                               py::dict d;
                               for (const auto& [k, v] : f.class_to_idx()) d[py::str(k)] = v;
                               return d;
                             })
      .def_property_readonly("samples", &data::ImageFolder::samples, "[(path, class index), ...] in index order")
      .def_property_readonly("imgs", &data::ImageFolder::samples, "The same as samples (torchvision's alias).")
      .def_property_readonly("targets", &data::ImageFolder::targets);
}

// ---- batch transforms ----

struct BatchTransformObj {
  data::BatchTransform fn;
  std::string repr;
};
struct MixUpObj : BatchTransformObj {
  std::shared_ptr<data::MixUp> impl;
};
struct CutMixObj : BatchTransformObj {
  std::shared_ptr<data::CutMix> impl;
};
struct RandomMixUpCutMixObj : BatchTransformObj {};
using Box4 = std::tuple<int64_t, int64_t, int64_t, int64_t>;  // (x1, y1, x2, y2)

// A batch given as f(data, target) or f((data, target)).
Batch batch_of(const py::args& args, const char* who) {
  if (args.size() == 2) return {args[0].cast<Tensor>(), args[1].cast<Tensor>()};
  if (args.size() == 1) return example_from(args[0], who);
  throw py::type_error(std::string(who) + ": expected (data, target) or one (data, target) pair, got " +
                       std::to_string(args.size()) + " arguments");
}

int64_t num_classes_of(std::optional<int64_t> n, const char* who) {
  if (!n) throw py::value_error(std::string(who) + ": num_classes must be given (the width of the soft targets)");
  return *n;
}

std::string num(double v) { return py::str(py::float_(v)); }

data::BatchTransform batch_transform_of(const py::handle& t) {
  if (py::isinstance<BatchTransformObj>(t)) return t.cast<const BatchTransformObj&>().fn;
  if (!PyCallable_Check(t.ptr()))
    throw py::type_error(
        "collate_with_transform: transform must be a batch transform (MixUp, CutMix, "
        "RandomMixUpCutMix) or a callable (data, target) -> (data, target), got " +
        std::string(py::str(py::type::handle_of(t).attr("__name__"))));
  auto f = gil_safe(py::reinterpret_borrow<py::object>(t));
  return [f](const Batch& b, Generator*) {
    py::gil_scoped_acquire g;
    return example_from((*f)(b.data, b.target), "collate_with_transform: transform");
  };
}

void init_batch_transforms(py::module_& t) {
  py::class_<BatchTransformObj>(t, "BatchTransform",
                                "A random transform of a whole batch: t(data, target) -> (data, soft target).")
      .def("__call__",
           [](const BatchTransformObj& bt, const py::args& args) {
             Batch b = batch_of(args, "BatchTransform");
             Batch out;
             {
               py::gil_scoped_release g;
               out = bt.fn(b, nullptr);
             }
             return py::make_tuple(out.data, out.target);
           })
      .def("__repr__", [](const BatchTransformObj& bt) { return bt.repr; });

  py::class_<MixUpObj, BatchTransformObj>(
      t, "MixUp",
      "lambda ~ Beta(alpha, alpha); data and one-hot (label-smoothed) targets become lambda * x + (1 - lambda) * "
      "x.roll(1, 0), like torchvision.transforms.v2.MixUp.")
      .def(py::init([](double alpha, std::optional<int64_t> num_classes, double label_smoothing) {
             MixUpObj o;
             o.impl = std::make_shared<data::MixUp>(alpha, num_classes_of(num_classes, "MixUp"), label_smoothing);
             o.fn = [impl = o.impl](const Batch& b, Generator* g) { return (*impl)(b, g); };
             o.repr = "MixUp(alpha=" + num(alpha) + ", num_classes=" + std::to_string(*num_classes) + ")";
             return o;
           }),
           py::arg("alpha") = 1.0, py::arg("num_classes") = py::none(), py::arg("label_smoothing") = 0.0)
      .def(
          "mix",
          [](const MixUpObj& o, const Tensor& data, const Tensor& target, double lam) {
            Batch out;
            {
              py::gil_scoped_release g;
              out = o.impl->mix({data, target}, lam);
            }
            return py::make_tuple(out.data, out.target);
          },
          py::arg("data"), py::arg("target"), py::arg("lam"), "The mixing for a given lambda (no random draws).");

  py::class_<CutMixObj, BatchTransformObj>(
      t, "CutMix",
      "Pastes a random box of the partner image (example i - 1) into each image [B, C, H, W]; targets mix by the "
      "box's area, like torchvision.transforms.v2.CutMix.")
      .def(py::init([](double alpha, std::optional<int64_t> num_classes, double label_smoothing) {
             CutMixObj o;
             o.impl = std::make_shared<data::CutMix>(alpha, num_classes_of(num_classes, "CutMix"), label_smoothing);
             o.fn = [impl = o.impl](const Batch& b, Generator* g) { return (*impl)(b, g); };
             o.repr = "CutMix(alpha=" + num(alpha) + ", num_classes=" + std::to_string(*num_classes) + ")";
             return o;
           }),
           py::arg("alpha") = 1.0, py::arg("num_classes") = py::none(), py::arg("label_smoothing") = 0.0)
      .def_static(
          "box",
          [](int64_t height, int64_t width, double lam, int64_t cx, int64_t cy) {
            data::CutMixBox b = data::CutMix::box(height, width, lam, cx, cy);
            return py::make_tuple(b.x1, b.y1, b.x2, b.y2);
          },
          py::arg("height"), py::arg("width"), py::arg("lam"), py::arg("cx"), py::arg("cy"),
          "The box (x1, y1, x2, y2) for lambda and centre (cx, cy), clipped to the image.")
      .def(
          "mix",
          [](const CutMixObj& o, const Tensor& data, const Tensor& target, const Box4& box) {
            data::CutMixBox b{std::get<0>(box), std::get<1>(box), std::get<2>(box), std::get<3>(box)};
            Batch out;
            {
              py::gil_scoped_release g;
              out = o.impl->mix({data, target}, b);
            }
            return py::make_tuple(out.data, out.target);
          },
          py::arg("data"), py::arg("target"), py::arg("box"), "Pastes box = (x1, y1, x2, y2) (no random draws).");

  py::class_<RandomMixUpCutMixObj, BatchTransformObj>(
      t, "RandomMixUpCutMix",
      "timm's Mixup switch: with probability prob, CutMix (probability switch_prob) or MixUp; otherwise the batch "
      "with soft (smoothed) targets.")
      .def(py::init([](double mixup_alpha, double cutmix_alpha, std::optional<int64_t> num_classes, double switch_prob,
                       double prob, double label_smoothing) {
             RandomMixUpCutMixObj o;
             auto impl = std::make_shared<data::RandomMixUpCutMix>(mixup_alpha, cutmix_alpha,
                                                                   num_classes_of(num_classes, "RandomMixUpCutMix"),
                                                                   switch_prob, prob, label_smoothing);
             o.fn = [impl](const Batch& b, Generator* g) { return (*impl)(b, g); };
             o.repr = "RandomMixUpCutMix(mixup_alpha=" + num(mixup_alpha) + ", cutmix_alpha=" + num(cutmix_alpha) +
                      ", num_classes=" + std::to_string(*num_classes) + ", switch_prob=" + num(switch_prob) +
                      ", prob=" + num(prob) + ")";
             return o;
           }),
           py::arg("mixup_alpha") = 1.0, py::arg("cutmix_alpha") = 1.0, py::arg("num_classes") = py::none(),
           py::arg("switch_prob") = 0.5, py::arg("prob") = 1.0, py::arg("label_smoothing") = 0.0);
}

void init_collate(py::module_& m) {
  py::class_<IndexedCollateObj>(
      m, "IndexedCollate",
      "A collate step that mixes each batch with its own seeded draws (seek.data.collate_with_transform); give it "
      "to DataLoader(collate_fn=...).")
      .def(
          "__call__",
          [](const IndexedCollateObj& c, const py::sequence& examples, uint64_t epoch, size_t batch) {
            std::vector<Example> es;
            for (auto e : examples) es.push_back(example_from(e, "IndexedCollate"));
            Batch out;
            {
              py::gil_scoped_release g;
              out = c.fn(es, data::BatchInfo{epoch, batch});
            }
            return py::make_tuple(out.data, out.target);
          },
          py::arg("examples"), py::arg("epoch") = 0, py::arg("batch") = 0)
      .def("__repr__", [](const IndexedCollateObj& c) { return c.repr; });
  m.def(
      "collate_with_transform",
      [](const py::object& transform, uint64_t seed, const py::object& collate_fn) {
        data::BatchTransform bt = batch_transform_of(transform);
        data::CollateFn collate =
            collate_fn.is_none() ? data::CollateFn(data::default_collate) : collate_of(collate_fn);
        IndexedCollateObj c;
        c.fn = data::collate_with_transform(std::move(bt), seed, std::move(collate));
        c.repr = "collate_with_transform(" + std::string(py::repr(transform)) + ", seed=" + std::to_string(seed) + ")";
        return c;
      },
      py::arg("transform"), py::arg("seed") = 0, py::arg("collate_fn") = py::none(),
      "collate_fn(examples) (default: stack), then transform(data, target) with a Generator(seed) at a block offset "
      "given by (epoch, batch): the mixing of a batch is the same for any num_workers and after a resume.");
  m.def(
      "default_collate",
      [](const py::sequence& examples) {
        std::vector<Example> es;
        for (auto e : examples) es.push_back(example_from(e, "default_collate"));
        Batch b = data::default_collate(es);
        return py::make_tuple(b.data, b.target);
      },
      py::arg("batch"), "Stacks the data and the targets of a list of (data, target) pairs.");
}

// ---- analysis ----

void init_analysis(py::module_& m) {
  py::class_<data::RangeStats>(m, "RangeStats", "min / max / mean of a quantity over count examples.")
      .def_readonly("min", &data::RangeStats::min)
      .def_readonly("max", &data::RangeStats::max)
      .def_readonly("mean", &data::RangeStats::mean)
      .def_readonly("count", &data::RangeStats::count);
  py::class_<data::ClassDistribution>(m, "ClassDistribution")
      .def_readonly("counts", &data::ClassDistribution::counts)
      .def_readonly("fractions", &data::ClassDistribution::fractions)
      .def_readonly("imbalance_ratio", &data::ClassDistribution::imbalance_ratio)
      .def_readonly("entropy", &data::ClassDistribution::entropy)
      .def_readonly("balance", &data::ClassDistribution::balance);
  py::class_<data::ChannelStats>(m, "ChannelStats")
      .def_readonly("mean", &data::ChannelStats::mean)
      .def_readonly("std", &data::ChannelStats::std)
      .def_readonly("image_mean", &data::ChannelStats::image_mean)
      .def_readonly("image_std", &data::ChannelStats::image_std)
      .def_readonly("min", &data::ChannelStats::min)
      .def_readonly("max", &data::ChannelStats::max);
  py::class_<data::DatasetAnalysis>(m, "DatasetAnalysis", "What seek.data.analyze found; str() is the report.")
      .def_readonly("num_examples", &data::DatasetAnalysis::num_examples)
      .def_readonly("has_classes", &data::DatasetAnalysis::has_classes)
      .def_readonly("classes", &data::DatasetAnalysis::classes)
      .def_readonly("class_names", &data::DatasetAnalysis::class_names)
      .def_readonly("channels", &data::DatasetAnalysis::channels)
      .def_readonly("height", &data::DatasetAnalysis::height)
      .def_readonly("width", &data::DatasetAnalysis::width)
      .def_readonly("non_image_examples", &data::DatasetAnalysis::non_image_examples)
      .def_readonly("pixels", &data::DatasetAnalysis::pixels)
      .def_readonly("hash", &data::DatasetAnalysis::hash)
      .def("hash_hex", &data::DatasetAnalysis::hash_hex)
      .def("report", &data::DatasetAnalysis::report)
      .def("__str__", &data::DatasetAnalysis::report);
  m.def(
      "analyze",
      [](const py::object& dataset, int64_t num_classes, std::vector<std::string> class_names, bool pixel_stats) {
        data::DatasetPtr ds = dataset_ptr(dataset);
        data::AnalysisOptions o;
        o.num_classes = num_classes;
        o.class_names = std::move(class_names);
        o.pixel_stats = pixel_stats;
        py::gil_scoped_release g;
        return data::analyze(*ds, o);
      },
      py::arg("dataset"), py::arg("num_classes") = 0, py::arg("class_names") = std::vector<std::string>{},
      py::arg("pixel_stats") = true,
      "Reads every example once: class distribution, image sizes, per-channel pixel statistics, content hash.");
  m.def(
      "content_hash",
      [](const py::object& dataset) {
        data::DatasetPtr ds = dataset_ptr(dataset);
        py::gil_scoped_release g;
        return data::content_hash(*ds);
      },
      py::arg("dataset"), "FNV-1a 64 of every example's dtype, shape and values: the same data gives the same hash.");
}

}  // namespace

void init_data_extra(py::module_& d, py::module_& transforms) {
  init_file_datasets(d);
  init_batch_transforms(transforms);
  init_collate(d);
  init_analysis(d);
}

}  // namespace seek::python

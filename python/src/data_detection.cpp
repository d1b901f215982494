// seek._C.data's detection part (seek/data/detection_*.h, fashion_detection.h, image_write.h): the YOLO-folder
// and COCO-json readers, DetectionDataset (the augmentation options as keyword arguments), DetectionLoader
// (iterating yields DetectionBatch objects that unpack as (images, targets, counts)), the Fashion-MNIST
// detection generator, dataset statistics and k-means anchors. Batches are built by the loader's C++ worker
// threads; the GIL is released while a batch is waited for.
#include <pybind11/stl.h>

#include "kwargs_fields.h"
#include "nn_common.h"
#include "seek/core/error.h"
#include "seek/core/generator.h"
#include "seek/data/detection_dataset.h"
#include "seek/data/detection_io.h"
#include "seek/data/detection_stats.h"
#include "seek/data/fashion_detection.h"
#include "seek/data/image_write.h"

namespace seek::python {

namespace {

using namespace seek::data;

// A Python iteration over a DetectionLoader: holds the loader (the C++ iterator points at it).
struct LoaderIteration {
  std::shared_ptr<DetectionLoader> loader;
  DetectionLoader::Iterator it, end;
  bool started = false;
};

Generator* generator_of(const py::object& g) {
  if (g.is_none()) return &default_generator();
  return g.cast<std::shared_ptr<Generator>>().get();
}

void def_io(py::module_& d) {
  py::class_<DetectionRecord>(d, "DetectionRecord",
                              "One image and its ground truth: image_path, image_id, width, height, boxes (float32 "
                              "[n, 4] xyxy pixels), labels (int64 [n], 0-based).")
      .def(py::init([](std::string path, int64_t image_id, int64_t width, int64_t height, Tensor boxes, Tensor labels) {
             DetectionRecord r;
             r.image_path = std::move(path);
             r.image_id = image_id;
             r.width = width;
             r.height = height;
             r.boxes = std::move(boxes);
             r.labels = std::move(labels);
             return r;
           }),
           py::arg("image_path"), py::arg("image_id"), py::arg("width"), py::arg("height"), py::arg("boxes"),
           py::arg("labels"))
      .def_readwrite("image_path", &DetectionRecord::image_path)
      .def_readwrite("image_id", &DetectionRecord::image_id)
      .def_readwrite("width", &DetectionRecord::width)
      .def_readwrite("height", &DetectionRecord::height)
      .def_property("boxes", by_value(&DetectionRecord::boxes), setter(&DetectionRecord::boxes))
      .def_property("labels", by_value(&DetectionRecord::labels), setter(&DetectionRecord::labels))
      .def("__repr__", [](const DetectionRecord& r) {
        return "DetectionRecord(image_path='" + r.image_path + "', image_id=" + std::to_string(r.image_id) +
               ", width=" + std::to_string(r.width) + ", height=" + std::to_string(r.height) +
               ", boxes=" + std::to_string(r.boxes.defined() ? r.boxes.size(0) : 0) + ")";
      });
  py::class_<DetectionSet>(d, "DetectionSet", "records (DetectionRecord list) and class_names.")
      .def(py::init([](std::vector<DetectionRecord> records, std::vector<std::string> names) {
             return DetectionSet{std::move(records), std::move(names)};
           }),
           py::arg("records") = std::vector<DetectionRecord>{}, py::arg("class_names") = std::vector<std::string>{})
      .def_property("records", by_value(&DetectionSet::records), setter(&DetectionSet::records))
      .def_readwrite("class_names", &DetectionSet::class_names)
      .def("__len__", [](const DetectionSet& s) { return s.records.size(); })
      .def("__getitem__", [](const DetectionSet& s, int64_t i) {
        auto n = static_cast<int64_t>(s.records.size());
        if (i < 0) i += n;
        if (i < 0 || i >= n) throw py::index_error("DetectionSet: index " + std::to_string(i) + " out of range");
        return s.records[static_cast<size_t>(i)];
      });
  auto rel = py::call_guard<py::gil_scoped_release>();
  d.def("read_yolo_folder", &read_yolo_folder, py::arg("images_dir"), py::arg("labels_dir"), py::arg("class_names"),
        rel, "images/<name>.{png,jpg} + labels/<name>.txt ('class cx cy w h' normalised) -> DetectionSet.");
  d.def("read_coco_json", &read_coco_json, py::arg("json_path"), py::arg("image_root"), rel,
        "A COCO annotation file -> DetectionSet (category ids mapped to 0..K-1 in id order).");
  d.def("write_yolo_labels", &write_yolo_labels, py::arg("set"), py::arg("labels_dir"), rel);
  d.def("write_coco_json", &write_coco_json, py::arg("set"), py::arg("json_path"), rel,
        "COCO annotation file (category id = class index + 1, bbox x, y, w, h).");
  d.def("read_class_names", &read_class_names, py::arg("path"), "One class name per line.");
  d.def("write_class_names", &write_class_names, py::arg("names"), py::arg("path"));
  d.def(
      "write_image", [](const std::string& path, const Tensor& image) { write_image(path, image); }, py::arg("path"),
      py::arg("image"), rel, "PNG (or JPEG by extension) from uint8 or float [C, H, W] (C = 1 or 3, float in [0, 1]).");
}

void def_dataset(py::module_& d) {
  py::class_<DetectionAugment> a(d, "DetectionAugment",
                                 "YOLOv5's augmentation hyperparameters: img_size, mosaic, degrees, translate, scale, "
                                 "shear, fliplr, flipud, hsv_h, hsv_s, hsv_v, pad_value, min_box_size, perspective, "
                                 "area_thr.");
  a.def(py::init([](const py::kwargs& kwargs) {
          DetectionAugment x;
          set_fields_from_kwargs(x, kwargs, "DetectionAugment");
          return x;
        }),
        "DetectionAugment(**fields): the defaults with the given fields replaced.");
#define SEEK_FIELD(name) a.def_readwrite(#name, &DetectionAugment::name)
  SEEK_FIELD(img_size);
  SEEK_FIELD(mosaic);
  SEEK_FIELD(degrees);
  SEEK_FIELD(translate);
  SEEK_FIELD(scale);
  SEEK_FIELD(shear);
  SEEK_FIELD(fliplr);
  SEEK_FIELD(flipud);
  SEEK_FIELD(hsv_h);
  SEEK_FIELD(hsv_s);
  SEEK_FIELD(hsv_v);
  SEEK_FIELD(pad_value);
  SEEK_FIELD(min_box_size);
  SEEK_FIELD(perspective);
  SEEK_FIELD(area_thr);
#undef SEEK_FIELD

  py::class_<DetectionSample>(d, "DetectionSample",
                              "image float32 [3, S, S], boxes [n, 4] xyxy in its pixels, labels [n], image_id, "
                              "orig_height, orig_width, and the letterbox (x_new = x_orig * ratio + pad_x).")
      .def_property_readonly("image", by_value(&DetectionSample::image))
      .def_property_readonly("boxes", by_value(&DetectionSample::boxes))
      .def_property_readonly("labels", by_value(&DetectionSample::labels))
      .def_readonly("image_id", &DetectionSample::image_id)
      .def_readonly("orig_height", &DetectionSample::orig_height)
      .def_readonly("orig_width", &DetectionSample::orig_width)
      .def_readonly("ratio", &DetectionSample::ratio)
      .def_readonly("pad_x", &DetectionSample::pad_x)
      .def_readonly("pad_y", &DetectionSample::pad_y);

  py::class_<DetectionDataset, std::shared_ptr<DetectionDataset>>(
      d, "DetectionDataset",
      "Images of a DetectionSet letterboxed to img_size, augmented (mosaic, affine, flips, HSV) when augmenting.")
      .def(py::init(
               [](DetectionSet set, const py::object& augment, bool augmenting, bool cache, const py::kwargs& kwargs) {
                 DetectionAugment a = augment.is_none() ? DetectionAugment{} : augment.cast<DetectionAugment>();
                 set_fields_from_kwargs(a, kwargs, "DetectionDataset");
                 auto ds = std::make_shared<DetectionDataset>(std::move(set), a, augmenting);
                 if (cache) {
                   py::gil_scoped_release nogil;
                   ds->cache_images();
                 }
                 return ds;
               }),
           py::arg("set"), py::arg("augment") = py::none(), py::arg("augmenting") = false, py::arg("cache") = false,
           "DetectionDataset(set, augment=None, augmenting=False, cache=False, **augment_fields): augment_fields "
           "(img_size=..., mosaic=..., ...) replace DetectionAugment's; cache decodes every image once.")
      .def("__len__", &DetectionDataset::size)
      .def(
          "get",
          [](const DetectionDataset& ds, int64_t index, const py::object& generator) {
            Generator* g = generator_of(generator);
            py::gil_scoped_release nogil;
            return ds.get(index, g);
          },
          py::arg("index"), py::arg("generator") = py::none(),
          "One sample; the augmentation draws from generator (default: seek's default generator).")
      .def(
          "__getitem__",
          [](const DetectionDataset& ds, int64_t index) {
            int64_t n = ds.size();
            if (index < 0) index += n;
            if (index < 0 || index >= n)
              throw py::index_error("DetectionDataset: index " + std::to_string(index) + " out of range for " +
                                    std::to_string(n) + " images");
            py::gil_scoped_release nogil;
            return ds.get(index, &default_generator());
          },
          py::arg("index"))
      .def_property_readonly("set", &DetectionDataset::set)
      .def_property_readonly("augment", &DetectionDataset::augment)
      .def_property_readonly("augmenting", &DetectionDataset::augmenting)
      .def_property_readonly("cached", &DetectionDataset::cached)
      .def("cache_images", &DetectionDataset::cache_images, py::call_guard<py::gil_scoped_release>());

  py::class_<DetectionBatch>(d, "DetectionBatch",
                             "images [B, 3, S, S]; targets [T, 6] (batch index, class, cx, cy, w, h / S); counts "
                             "(boxes per image); samples (metadata, images released). Unpacks as (images, targets, "
                             "counts).")
      .def_property_readonly("images", by_value(&DetectionBatch::images))
      .def_property_readonly("targets", by_value(&DetectionBatch::targets))
      .def_readonly("counts", &DetectionBatch::counts)
      .def_property_readonly("samples", by_value(&DetectionBatch::samples))
      .def("__len__", [](const DetectionBatch& b) { return b.counts.size(); })
      .def("__iter__", [](const DetectionBatch& b) { return py::iter(py::make_tuple(b.images, b.targets, b.counts)); });
  d.def("collate_detection", &collate_detection, py::arg("samples"), "Samples -> DetectionBatch.");

  py::class_<LoaderIteration>(d, "_DetectionLoaderIterator")
      .def("__iter__", [](LoaderIteration& it) -> LoaderIteration& { return it; })
      .def("__next__", [](LoaderIteration& it) {
        py::gil_scoped_release nogil;
        if (it.started) ++it.it;
        it.started = true;
        if (it.it == it.end) {
          it.it = DetectionLoader::Iterator();  // joins the workers
          throw py::stop_iteration();
        }
        return std::move(*it.it);
      });

  py::class_<DetectionLoader, std::shared_ptr<DetectionLoader>>(
      d, "DetectionLoader",
      "Batches of a DetectionDataset in a seeded order (shuffle: a new order per epoch, set_epoch), built ahead by "
      "num_workers C++ threads (0: in the iterating thread).")
      .def(py::init([](std::shared_ptr<DetectionDataset> ds, int64_t batch_size, bool shuffle, uint64_t seed,
                       int64_t num_workers, bool drop_last) {
             return std::make_shared<DetectionLoader>(std::move(ds), batch_size, shuffle, seed, num_workers, drop_last);
           }),
           py::arg("dataset"), py::arg("batch_size") = 16, py::arg("shuffle") = false, py::arg("seed") = 0,
           py::arg("num_workers") = 1, py::arg("drop_last") = false)
      .def("__len__", &DetectionLoader::num_batches)
      .def("set_epoch", &DetectionLoader::set_epoch, py::arg("epoch"))
      .def("set_shard", &DetectionLoader::set_shard, py::arg("num_replicas"), py::arg("rank"),
           "Data parallel: this loader visits replica `rank`'s share of every epoch, as torch's DistributedSampler.")
      .def_property_readonly("epoch", &DetectionLoader::epoch)
      .def("make_batch", &DetectionLoader::make_batch, py::arg("index"), py::call_guard<py::gil_scoped_release>(),
           "Batch `index` of the current epoch, built in this thread.")
      .def("__iter__", [](const std::shared_ptr<DetectionLoader>& l) {
        auto it = std::make_unique<LoaderIteration>();
        it->loader = l;
        {
          py::gil_scoped_release nogil;
          it->it = l->begin();
          it->end = l->end();
        }
        return it;
      });
}

void def_generation(py::module_& d) {
  py::class_<FashionDetectionOptions> o(
      d, "FashionDetectionOptions",
      "canvas, min_items, max_items, train_min_items, train_max_items, min_item_size, max_item_size, max_iou, "
      "max_cover, item_threshold, noise, gradient, max_lines, max_pieces, train, "
      "val, test, seed, num_threads, overwrite.");
  o.def(py::init([](const py::kwargs& kwargs) {
    FashionDetectionOptions x;
    set_fields_from_kwargs(x, kwargs, "FashionDetectionOptions");
    return x;
  }));
#define SEEK_FIELD(name) o.def_readwrite(#name, &FashionDetectionOptions::name)
  SEEK_FIELD(canvas);
  SEEK_FIELD(min_items);
  SEEK_FIELD(max_items);
  SEEK_FIELD(train_min_items);
  SEEK_FIELD(train_max_items);
  SEEK_FIELD(min_item_size);
  SEEK_FIELD(max_item_size);
  SEEK_FIELD(max_iou);
  SEEK_FIELD(max_cover);
  SEEK_FIELD(item_threshold);
  SEEK_FIELD(noise);
  SEEK_FIELD(gradient);
  SEEK_FIELD(max_lines);
  SEEK_FIELD(max_pieces);
  SEEK_FIELD(train);
  SEEK_FIELD(val);
  SEEK_FIELD(test);
  SEEK_FIELD(seed);
  SEEK_FIELD(num_threads);
  SEEK_FIELD(overwrite);
#undef SEEK_FIELD
  py::class_<FashionDetectionResult>(d, "FashionDetectionResult", "train, val, test (DetectionSet), seconds.")
      .def_property_readonly("train", by_value(&FashionDetectionResult::train))
      .def_property_readonly("val", by_value(&FashionDetectionResult::val))
      .def_property_readonly("test", by_value(&FashionDetectionResult::test))
      .def_readonly("seconds", &FashionDetectionResult::seconds);
  d.def(
      "make_fashion_detection",
      [](const std::string& mnist_dir, const std::string& out_dir, const py::kwargs& kwargs) {
        FashionDetectionOptions x;
        set_fields_from_kwargs(x, kwargs, "make_fashion_detection");
        py::gil_scoped_release nogil;
        return make_fashion_detection(mnist_dir, out_dir, x);
      },
      py::arg("mnist_dir"), py::arg("out_dir"),
      "Writes a detection set made of Fashion-MNIST items (out_dir/{train,val,test}/images, labels, *.json, "
      "classes.txt); keywords are FashionDetectionOptions' fields.");
  d.def("fashion_mnist_class_names", &fashion_mnist_class_names);

  py::class_<Histogram>(d, "Histogram", "edges (bins + 1) and counts (bins).")
      .def_readonly("edges", &Histogram::edges)
      .def_readonly("counts", &Histogram::counts);
  py::class_<DetectionStats>(d, "DetectionStats",
                             "images, boxes, empty_images, boxes_per_image, per_class, class_names, width / height / "
                             "area histograms, coco_small / medium / large, mean_width, mean_height, wh [boxes, 2].")
      .def_readonly("images", &DetectionStats::images)
      .def_readonly("boxes", &DetectionStats::boxes)
      .def_readonly("empty_images", &DetectionStats::empty_images)
      .def_readonly("boxes_per_image", &DetectionStats::boxes_per_image)
      .def_readonly("per_class", &DetectionStats::per_class)
      .def_readonly("class_names", &DetectionStats::class_names)
      .def_readonly("width", &DetectionStats::width)
      .def_readonly("height", &DetectionStats::height)
      .def_readonly("area", &DetectionStats::area)
      .def_readonly("coco_small", &DetectionStats::coco_small)
      .def_readonly("coco_medium", &DetectionStats::coco_medium)
      .def_readonly("coco_large", &DetectionStats::coco_large)
      .def_readonly("mean_width", &DetectionStats::mean_width)
      .def_readonly("mean_height", &DetectionStats::mean_height)
      .def_property_readonly("wh", by_value(&DetectionStats::wh))
      .def("summary", &DetectionStats::summary)
      .def("__str__", &DetectionStats::summary);
  auto rel = py::call_guard<py::gil_scoped_release>();
  d.def("detection_stats", &detection_stats, py::arg("set"), py::arg("bins") = 10, rel);
  d.def("kmeans_anchors", &kmeans_anchors, py::arg("wh"), py::arg("k"), py::arg("seed") = 0,
        py::arg("iterations") = 300, rel,
        "k anchors [k, 2] from box sizes wh [n, 2] by k-means with 1 - IoU distance, sorted by area.");
  d.def("best_possible_recall", &best_possible_recall, py::arg("wh"), py::arg("anchors"),
        py::arg("ratio_threshold") = 4.0, rel, "YOLOv5's BPR: share of boxes some anchor matches by shape ratio.");
  d.def("mean_best_iou", &mean_best_iou, py::arg("wh"), py::arg("anchors"), rel);
  d.def("anchor_summary", &anchor_summary, py::arg("wh"), py::arg("scales") = 3, py::arg("per_scale") = 3,
        py::arg("seed") = 0, py::arg("ratio_threshold") = 4.0, rel);
}

}  // namespace

void init_data_detection(py::module_& m) {
  py::module_ d = m.attr("data").cast<py::module_>();
  def_io(d);
  def_dataset(d);
  def_generation(d);
}

}  // namespace seek::python

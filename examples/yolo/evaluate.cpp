// Data splits, the saved model description, and evaluation for the YOLO example: `train` scores the EMA
// model on val with it every epoch, `val` scores saved weights on any split. Detections go through YOLOv5's
// validation settings (conf 0.001, IoU 0.6, up to 300 per image), are mapped back from the letterboxed
// picture to the original image (scale_boxes) and scored by the COCO evaluator against the split's labels, and
// counted in a confusion matrix (vision::DetectionConfusionMatrix at YOLOv5's confidence 0.25, IoU 0.45).
#include <chrono>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <optional>
#include <sstream>
#include <unordered_map>

#include "seek/autograd/grad_mode.h"
#include "seek/core/autocast.h"
#include "seek/core/error.h"
#include "seek/dist/process_group.h"
#include "seek/io/json.h"
#include "seek/io/safetensors.h"
#include "seek/ops/creation.h"
#include "seek/ops/shape.h"
#include "seek/vision/boxes.h"
#include "yolo/yolo_common.h"

namespace yolo_example {

namespace json = io::json;

std::vector<std::string> read_class_names(const fs::path& data) {
  return data::read_class_names((data / "classes.txt").string());
}

data::DetectionSet read_split(const fs::path& data, const std::string& split, const std::string& format,
                              int64_t limit) {
  data::DetectionSet set;
  if (format == "coco") {
    set = data::read_coco_json((data / (split + ".json")).string(), (data / split / "images").string());
  } else {
    SEEK_CHECK_T(IOError, fs::is_directory(data / split / "images"), "no folder ", (data / split / "images").string(),
                 " (a YOLO data split: images/ and labels/)");
    set = data::read_yolo_folder((data / split / "images").string(), (data / split / "labels").string(),
                                 read_class_names(data));
  }
  if (limit > 0 && static_cast<int64_t>(set.records.size()) > limit) set.records.resize(static_cast<size_t>(limit));
  SEEK_CHECK_T(IOError, !set.records.empty(), "the ", split, " split of ", data.string(), " has no image");
  return set;
}

void save_model_info(const ModelInfo& info, const fs::path& path) {
  const auto& c = info.config;
  json::Value v = json::Value::object();
  v.set("size", info.size);
  v.set("img_size", info.img_size);
  v.set("num_classes", c.num_classes);
  v.set("dynamic_anchors", c.dynamic_anchors);
  v.set("num_anchors", c.num_anchors);
  v.set("anchor_candidates", c.anchor_candidates);
  v.set("attention", c.attention);
  v.set("width_multiple", c.width_multiple);
  v.set("depth_multiple", c.depth_multiple);
  json::Value anchors = json::Value::array();
  for (const auto& scale : c.anchors) {
    json::Value s = json::Value::array();
    for (const auto& wh : scale) {
      json::Value pair = json::Value::array();
      pair.push_back(wh[0]);
      pair.push_back(wh[1]);
      s.push_back(std::move(pair));
    }
    anchors.push_back(std::move(s));
  }
  v.set("anchors", std::move(anchors));
  json::Value names = json::Value::array();
  for (const auto& n : info.class_names) names.push_back(n);
  v.set("class_names", std::move(names));
  std::ofstream(path) << json::dump(v, 2) << "\n";
}

ModelInfo load_model_info(const fs::path& path) {
  std::ifstream f(path);
  SEEK_CHECK_T(IOError, f.good(), "cannot read ", path.string(), " (written by train_yolo train)");
  std::stringstream ss;
  ss << f.rdbuf();
  const json::Value v = json::parse(ss.str());
  auto get = [&](const char* key) -> const json::Value& {
    const json::Value* x = v.find(key);
    SEEK_CHECK_T(IOError, x != nullptr, path.string(), ": no \"", key, "\"");
    return *x;
  };
  ModelInfo info;
  info.size = get("size").as_string();
  info.img_size = get("img_size").as_int64();
  const int64_t nc = get("num_classes").as_int64();
  info.config = info.size == "small" ? models::yolo::YoloConfig::small(nc) : models::yolo::YoloConfig::nano(nc);
  info.config.image_size = info.img_size;
  info.config.dynamic_anchors = get("dynamic_anchors").as_bool();
  info.config.num_anchors = get("num_anchors").as_int64();
  info.config.anchor_candidates = get("anchor_candidates").as_int64();
  info.config.attention = get("attention").as_string();
  // (Files written before the multiples were options have the size's.)
  if (const json::Value* w = v.find("width_multiple")) info.config.width_multiple = w->as_double();
  if (const json::Value* d = v.find("depth_multiple")) info.config.depth_multiple = d->as_double();
  info.config.anchors.clear();
  for (const auto& scale : get("anchors").as_array()) {
    info.config.anchors.emplace_back();
    for (const auto& wh : scale.as_array())
      info.config.anchors.back().push_back({wh.as_array().at(0).as_double(), wh.as_array().at(1).as_double()});
  }
  for (const auto& n : get("class_names").as_array()) info.class_names.push_back(n.as_string());
  return info;
}

std::shared_ptr<models::yolo::YoloModel> load_trained_model(const fs::path& dir, ModelInfo* info_out) {
  const ModelInfo info = load_model_info(dir / "model.json");
  auto model = std::make_shared<models::yolo::YoloModel>(info.config);
  model->load_state_dict(io::load_safetensors(dir / "model.safetensors").tensors);
  model->eval();
  if (info_out) *info_out = info;
  return model;
}

vision::CocoEvaluator make_evaluator(const data::DetectionSet& set) {
  std::vector<vision::CocoGroundTruth> gt;
  std::vector<int64_t> image_ids, category_ids;
  for (const auto& r : set.records) {
    image_ids.push_back(r.image_id);
    const int64_t n = r.boxes.defined() ? r.boxes.size(0) : 0;
    if (n == 0) continue;
    const Tensor b = r.boxes.to(kFloat64).contiguous();
    const Tensor l = r.labels.to(kInt64).contiguous();
    const double* bp = b.data_ptr<double>();
    const int64_t* lp = l.data_ptr<int64_t>();
    for (int64_t i = 0; i < n; ++i) {
      const double* x = bp + 4 * i;
      vision::CocoGroundTruth g;
      g.image_id = r.image_id;
      g.category_id = lp[i] + 1;
      g.bbox = {x[0], x[1], x[2] - x[0], x[3] - x[1]};
      gt.push_back(g);
    }
  }
  for (size_t c = 0; c < set.class_names.size(); ++c) category_ids.push_back(static_cast<int64_t>(c) + 1);
  return vision::CocoEvaluator(std::move(gt), std::move(image_ids), std::move(category_ids));
}

Tensor to_original(const Tensor& dets, const data::DetectionSample& sample) {
  if (!dets.defined() || dets.size(0) == 0) return dets;
  const Tensor boxes = vision::scale_boxes(
      dets.slice(1, 0, 4),
      {sample.image.defined() ? sample.image.size(1) : 0, sample.image.defined() ? sample.image.size(2) : 0},
      sample.ratio, sample.pad_x, sample.pad_y, {sample.orig_height, sample.orig_width});
  return cat({boxes.to(dets.dtype()), dets.slice(1, 4, 6)}, 1);
}

std::vector<vision::CocoDetection> to_coco(const Tensor& dets, const data::DetectionSample& sample) {
  if (!dets.defined() || dets.size(0) == 0) return {};
  return vision::coco_detections_from_xyxy(to_original(dets, sample), sample.image_id, 1);
}

namespace {

// One image's detections [n, 6] in original pixels, as bytes: image id, n, then the n x 6 floats.
void append_image(std::string& out, int64_t image_id, const Tensor& dets) {
  const int64_t n = dets.defined() ? dets.size(0) : 0;
  out.append(reinterpret_cast<const char*>(&image_id), sizeof image_id);
  out.append(reinterpret_cast<const char*>(&n), sizeof n);
  if (n > 0) {
    const Tensor c = dets.to(kFloat32).contiguous();
    out.append(reinterpret_cast<const char*>(c.data_ptr<float>()), static_cast<size_t>(n * 6) * sizeof(float));
  }
}

void read_images(const std::string& bytes, std::unordered_map<int64_t, Tensor>& by_image) {
  size_t pos = 0;
  auto take = [&](void* dst, size_t size) {
    SEEK_CHECK(pos + size <= bytes.size(), "evaluate: truncated detections from a rank");
    std::memcpy(dst, bytes.data() + pos, size);
    pos += size;
  };
  while (pos < bytes.size()) {
    int64_t id = 0, n = 0;
    take(&id, sizeof id);
    take(&n, sizeof n);
    Tensor dets = zeros({n, 6}, kFloat32);
    if (n > 0) take(dets.data_ptr<float>(), static_cast<size_t>(n * 6) * sizeof(float));
    by_image.emplace(id, std::move(dets));  // a padded shard repeats an image: the first copy is kept
  }
}

}  // namespace

EvalResult evaluate(models::yolo::YoloModel& model, const std::shared_ptr<const data::DetectionDataset>& dataset,
                    int64_t batch_size, const vision::NmsOptions& nms, const std::string& amp, int64_t workers,
                    int64_t world, int64_t rank) {
  const auto t0 = std::chrono::steady_clock::now();
  const bool was_training = model.is_training();
  model.eval();
  NoGradGuard no_grad;
  EvalResult result;
  data::DetectionLoader loader(dataset, batch_size, false, 0, workers);
  if (world > 1) loader.set_shard(world, rank);
  std::string mine;  // this rank's images, in original pixels
  for (const data::DetectionBatch& batch : loader) {
    Tensor pred;
    {
      std::optional<amp::AutocastGuard> autocast;
      if (amp == "bf16") autocast.emplace(DeviceType::CPU, kBFloat16);
      pred = model.decode(model.forward(batch.images));
    }
    const std::vector<Tensor> per_image = vision::non_max_suppression(pred.to(kFloat32), nms);
    for (size_t i = 0; i < per_image.size(); ++i) {
      data::DetectionSample meta = batch.samples[i];
      meta.image = batch.images[static_cast<int64_t>(i)];  // the letterboxed size for scale_boxes
      append_image(mine, meta.image_id, to_original(per_image[i], meta));
    }
  }
  model.train(was_training);
  // Rank 0 scores every image in the split's order, whichever rank ran it (one rank: the same path).
  std::unordered_map<int64_t, Tensor> by_image;
  if (world > 1) {
    const std::vector<std::string> all = dist::all_gather_bytes(mine);
    if (rank == 0)
      for (const std::string& bytes : all) read_images(bytes, by_image);
  } else {
    read_images(mine, by_image);
  }
  if (rank == 0) {
    vision::CocoEvaluator evaluator = make_evaluator(dataset->set());
    result.confusion.emplace(model.config().num_classes);
    for (const data::DetectionRecord& rec : dataset->set().records) {
      const auto it = by_image.find(rec.image_id);
      SEEK_CHECK(it != by_image.end(), "evaluate: no detections came back for image ", rec.image_id);
      const Tensor& original = it->second;
      if (original.size(0) > 0) {
        auto dets = vision::coco_detections_from_xyxy(original, rec.image_id, 1);
        result.detections.insert(result.detections.end(), dets.begin(), dets.end());
      }
      result.confusion->update(original, rec.boxes, rec.labels);
    }
    evaluator.add(result.detections);
    result.metrics = evaluator.evaluate();
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return result;
}

void write_confusion(const vision::DetectionConfusionMatrix& cm, const std::vector<std::string>& class_names,
                     const fs::path& dir) {
  fs::create_directories(dir);
  cm.save_plot((dir / "confusion_matrix.png").string(), class_names);
  cm.write_csv((dir / "confusion_matrix.csv").string(), class_names);
}

std::string map_line(const vision::CocoMetrics& m) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(4) << "mAP@0.5 " << m.map50 << "  mAP@0.5:0.95 " << m.map50_95;
  return s.str();
}

int val(const ValOptions& o) {
  set_num_threads_if(o.threads);
  ModelInfo info;
  auto model = load_trained_model(o.weights, &info);
  data::DetectionSet set = read_split(o.data, o.split, o.format, o.limit);
  data::DetectionAugment aug;
  aug.img_size = info.img_size;
  auto ds = std::make_shared<const data::DetectionDataset>(std::move(set), aug, false);
  vision::NmsOptions nms;
  nms.conf_threshold = o.conf;
  nms.iou_threshold = o.iou;
  nms.multi_label = o.multi_label;
  const EvalResult r = evaluate(*model, ds, o.batch_size, nms, o.amp, o.workers);
  std::cerr << r.metrics.summary() << "\n";
  std::cout << "per-class AP@0.5 / AP@0.5:0.95:\n";
  for (size_t c = 0; c < info.class_names.size() && c < r.metrics.per_class_ap50.size(); ++c)
    std::cout << "  " << std::left << std::setw(14) << info.class_names[c] << std::right << std::fixed
              << std::setprecision(4) << r.metrics.per_class_ap50[c] << "  " << r.metrics.per_class_ap50_95[c] << "\n";
  if (!o.out.empty()) {
    fs::create_directories(o.out);
    vision::write_coco_detections(r.detections, (fs::path(o.out) / "predictions.json").string());
    vision::write_pr_curve_csv((fs::path(o.out) / "pr_curves.csv").string(), r.metrics, info.class_names);
    write_confusion(*r.confusion, info.class_names, o.out);
  }
  std::cout << r.confusion->table(info.class_names);
  std::cout << o.split << " " << map_line(r.metrics) << " (" << ds->size() << " images, " << std::setprecision(1)
            << r.seconds << " s)\n";
  return 0;
}

}  // namespace yolo_example

// YOLO training (train_yolo train), after YOLOv5's train.py: AdamW (or YOLOv5's SGD, nesterov) with three
// parameter groups (weights with decay, BatchNorm weights and biases without), a warmup (lr from 0, the bias
// lr from warmup_bias_lr, SGD's momentum from warmup_momentum) then cosine to lr0 * lrf, an EMA of the weights that is
// what gets evaluated and saved, gradient accumulation to a nominal batch of 64 (weight decay scaled to
// it), mosaic switched off for the last epochs, bf16 autocast, and a time budget.
//
// THE BUDGET. With --max-minutes, the schedule is fitted to the time: after the first 10 steps (from the time
// per step) and again after every epoch (from the mean time per step, val passes included), the optimizer
// steps that fit become the end of the cosine (at most --epochs), the last epoch cut short where the plan
// ends, and the first plan caps the warmup at 15% of the run, so a budgeted run still warms up, anneals its
// learning rate and gets its mosaic-free epochs instead of being cut at a high lr.
//
// DATA PARALLEL. --distributed under mpirun: DistributedDataParallel averages the gradients, each rank reads its
// share of every epoch (DetectionLoader::set_shard), the nominal batch counts every rank's images, each rank
// runs its share of val and rank 0 scores it, prints and writes; the budget's decisions (the planned steps,
// the stop) are rank 0's. On 2 cores, 2 ranks of 1 thread train 5-10% more images per second than one process
// of 2 threads
// (docs/yolo.md, "Trainer").
//
// FILES under --out: metrics.csv / metrics.jsonl (a row per epoch), last/ (a checkpoint at every epoch's
// end: model and EMA weights in one file, optimizer, schedule, generators; --resume last/ continues
// exactly), best/ (the EMA weights of the best val fitness, 0.1 mAP@0.5 + 0.9 mAP@0.5:0.95, plus
// model.json), curves.png (loss and mAP per epoch), val_predictions.png, test_summary.txt and the test
// split's confusion_matrix.png / .csv.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <exception>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <numbers>
#include <optional>
#include <sstream>

#include "seek/autograd/grad_mode.h"
#include "seek/core/autocast.h"
#include "seek/core/error.h"
#include "seek/data/detection_stats.h"
#include "seek/data/image_write.h"
#include "seek/dist/ddp.h"
#include "seek/dist/process_group.h"
#include "seek/io/safetensors.h"
#include "seek/models/yolo/yolo_loss.h"
#include "seek/nn/normalization.h"
#include "seek/ops/creation.h"
#include "seek/ops/shape.h"
#include "seek/optim/adam.h"
#include "seek/optim/clip_grad.h"
#include "seek/optim/sgd.h"
#include "seek/train/checkpoint.h"
#include "seek/train/ema.h"
#include "seek/train/metrics_log.h"
#include "seek/train/progress.h"
#include "seek/vision/draw.h"
#include "yolo/yolo_common.h"

namespace yolo_example {

namespace {

using Clock = std::chrono::steady_clock;
using models::yolo::YoloModel;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// A distributed run's process group (destroyed on the way out, an exception included) and, on ranks other
// than 0, std::cout and std::cerr silenced until then (an error still reaches main's message).
class RankScope {
 public:
  explicit RankScope(bool distributed) : distributed_(distributed) {
    if (distributed_) dist::init_process_group("mpi");
    rank_ = dist::get_rank();
    world_ = dist::get_world_size();
    if (rank_ != 0) {
      cout_ = std::cout.rdbuf(nullptr);
      cerr_ = std::cerr.rdbuf(nullptr);
    }
  }
  ~RankScope() {
    if (rank_ != 0) {
      std::cout.rdbuf(cout_);
      std::cerr.rdbuf(cerr_);
    }
    if (distributed_ && !std::uncaught_exceptions()) dist::destroy_process_group();
  }
  RankScope(const RankScope&) = delete;
  RankScope& operator=(const RankScope&) = delete;
  int rank() const { return rank_; }
  int world() const { return world_; }

 private:
  bool distributed_;
  int rank_ = 0, world_ = 1;
  std::streambuf* cout_ = nullptr;
  std::streambuf* cerr_ = nullptr;
};

// YOLOv5's learning-rate and momentum schedule, per optimizer step t: during the warmup (t < warmup) every
// group's lr goes linearly from 0 (the bias group: from warmup_bias_lr) to its scheduled value and the
// momentum from warmup_momentum to momentum; the scheduled value is a cosine from the base lr down to
// base * lrf at total steps. The lrs are a closed form of t and the total, so a checkpoint (last_epoch)
// plus the planned total restores them exactly.
class YoloSchedule : public optim::LRScheduler {
 public:
  YoloSchedule(optim::Optimizer& opt, int64_t warmup, int64_t total, const TrainOptions& o, size_t bias_group, bool sgd)
      : LRScheduler(opt, "YoloSchedule"),
        warmup_(warmup),
        total_(total),
        lrf_(o.lrf),
        warmup_bias_lr_(o.warmup_bias_lr),
        warmup_momentum_(o.warmup_momentum),
        momentum_(o.momentum),
        bias_group_(bias_group),
        sgd_(sgd) {
    initial_step();
  }
  void set_total_steps(int64_t total) { total_ = total; }
  void set_warmup_steps(int64_t warmup) { warmup_ = std::max<int64_t>(warmup, 1); }
  int64_t total_steps() const { return total_; }
  int64_t warmup_steps() const { return warmup_; }

 protected:
  std::vector<double> compute_lr() const override {
    const int64_t t = last_epoch();
    const double progress = std::min(1.0, static_cast<double>(t) / static_cast<double>(std::max<int64_t>(total_, 1)));
    const double f = lrf_ + (1 - lrf_) * 0.5 * (1 + std::cos(std::numbers::pi * progress));
    std::vector<double> lrs;
    for (size_t g = 0; g < base_lrs().size(); ++g) {
      const double target = base_lrs()[g] * f;
      if (t < warmup_) {
        const double a = static_cast<double>(t) / static_cast<double>(warmup_);
        const double start = g == bias_group_ ? warmup_bias_lr_ : 0.0;
        lrs.push_back(start + (target - start) * a);
      } else {
        lrs.push_back(target);
      }
    }
    return lrs;
  }
  void after_step() override {
    if (!sgd_) return;
    const int64_t t = last_epoch();
    const double m = t < warmup_ ? warmup_momentum_ + (momentum_ - warmup_momentum_) * static_cast<double>(t) /
                                                          static_cast<double>(warmup_)
                                 : momentum_;
    for (auto& g : optimizer().param_groups()) g.options->set("momentum", m);
  }

 private:
  int64_t warmup_, total_;
  double lrf_, warmup_bias_lr_, warmup_momentum_, momentum_;
  size_t bias_group_;
  bool sgd_;
};

// The model and its EMA as one module, so that one checkpoint file holds both ("model.*", "ema.*").
class TrainState : public nn::Module {
 public:
  TrainState(std::shared_ptr<nn::Module> model, std::shared_ptr<nn::Module> ema) : Module("TrainState") {
    register_module("model", std::move(model));
    if (ema) register_module("ema", std::move(ema));
  }
};

// YOLOv5's three groups: biases (no decay; the warmup starts their lr high), weights (decay), BatchNorm
// weights (no decay). Group 0 is the biases.
std::vector<optim::ParamGroup> param_groups(nn::Module& model, const TrainOptions& o, double weight_decay, bool sgd) {
  std::vector<Tensor> biases, weights, bn;
  for (auto& [name, m] : model.named_modules()) {
    const bool is_bn = dynamic_cast<nn::BatchNormBase*>(m.get()) != nullptr;
    for (auto& [pname, p] : m->named_parameters(false)) {
      if (!p.requires_grad()) continue;
      if (pname == "bias")
        biases.push_back(p);
      else if (is_bn)
        bn.push_back(p);
      else
        weights.push_back(p);
    }
  }
  size_t trainable = 0;
  for (const auto& p : model.parameters()) trainable += p.requires_grad();
  SEEK_CHECK(biases.size() + weights.size() + bn.size() == trainable,
             "param_groups: ", biases.size() + weights.size() + bn.size(), " parameters grouped but the model has ",
             trainable);
  std::vector<optim::ParamGroup> groups;
  if (sgd) {
    optim::SGDOptions base(o.lr0);
    base.momentum_(o.momentum).nesterov_(true);
    optim::SGDOptions decay = base;
    decay.weight_decay_(weight_decay);
    groups.emplace_back(biases, base);
    groups.emplace_back(weights, decay);
    groups.emplace_back(bn, base);
  } else {
    optim::AdamWOptions base(o.lr0);
    base.betas(o.momentum, 0.999).weight_decay_(0.0);
    optim::AdamWOptions decay = base;
    decay.weight_decay_(weight_decay);
    groups.emplace_back(biases, base);
    groups.emplace_back(weights, decay);
    groups.emplace_back(bn, base);
  }
  return groups;
}

// k-means (IoU distance) anchors from the training boxes as the model will see them (letterboxed to
// img_size), split over the scales by area with as many per scale as the config has.
void kmeans_anchors_into(models::yolo::YoloConfig& config, const data::DetectionSet& set, int64_t img_size,
                         uint64_t seed) {
  std::vector<float> wh;
  for (const auto& r : set.records) {
    if (!r.boxes.defined() || r.boxes.size(0) == 0) continue;
    const double ratio = static_cast<double>(img_size) / static_cast<double>(std::max(r.width, r.height));
    const Tensor b = r.boxes.to(kFloat64).contiguous();
    const double* p = b.data_ptr<double>();
    for (int64_t i = 0; i < b.size(0); ++i) {
      wh.push_back(static_cast<float>((p[4 * i + 2] - p[4 * i]) * ratio));
      wh.push_back(static_cast<float>((p[4 * i + 3] - p[4 * i + 1]) * ratio));
    }
  }
  int64_t k = 0;
  for (const auto& s : config.anchors) k += static_cast<int64_t>(s.size());
  const int64_t n = static_cast<int64_t>(wh.size() / 2);
  if (k == 0 || n < k) {
    std::cerr << "k-means anchors: " << n << " boxes for " << k << " anchors; keeping the config's anchors\n";
    return;
  }
  const Tensor whs = tensor<float>(wh, Shape{n, 2});
  const Tensor before = [&] {
    std::vector<float> a;
    for (const auto& s : config.anchors)
      for (const auto& x : s) a.push_back(static_cast<float>(x[0])), a.push_back(static_cast<float>(x[1]));
    return tensor<float>(a, Shape{k, 2});
  }();
  const Tensor anchors = data::kmeans_anchors(whs, k, seed).to(kFloat64).contiguous();
  const double* ap = anchors.data_ptr<double>();
  int64_t next = 0;
  std::cerr << "k-means anchors (" << n << " boxes): best possible recall " << std::fixed << std::setprecision(4)
            << data::best_possible_recall(whs, before) << " with the config's, "
            << data::best_possible_recall(whs, anchors.to(kFloat32)) << " with";
  for (auto& s : config.anchors)
    for (auto& x : s) {
      x = {ap[2 * next], ap[2 * next + 1]};
      std::cerr << " " << std::setprecision(1) << x[0] << "x" << x[1];
      ++next;
    }
  std::cerr << std::defaultfloat << std::setprecision(6) << "\n";
}

// The rows of <out>/metrics.csv as columns of numbers (NAN for empty cells).
std::map<std::string, std::vector<double>> read_metrics(const fs::path& csv) {
  std::map<std::string, std::vector<double>> cols;
  std::ifstream f(csv);
  std::string line;
  if (!std::getline(f, line)) return cols;
  std::vector<std::string> names;
  for (std::stringstream ss(line); std::getline(ss, line, ',');) names.push_back(line);
  while (std::getline(f, line)) {
    std::vector<std::string> cells;
    std::stringstream ss(line);
    for (std::string c; std::getline(ss, c, ',');) cells.push_back(c);
    for (size_t i = 0; i < names.size(); ++i)
      cols[names[i]].push_back(i < cells.size() && !cells[i].empty() ? std::stod(cells[i]) : NAN);
  }
  return cols;
}

// curves.png: the training loss parts and the val mAP per epoch, side by side.
void plot_curves(const fs::path& out) {
  auto m = read_metrics(out / "metrics.csv");
  if (m["epoch"].empty()) return;
  const auto& x = m["epoch"];
  using vision::PlotSeries;
  const Tensor loss = vision::plot_lines({PlotSeries{"loss", x, m["train_loss"], {0, 0, 0}},
                                          PlotSeries{"box", x, m["train_box"], vision::palette_color(0)},
                                          PlotSeries{"obj", x, m["train_obj"], vision::palette_color(2)},
                                          PlotSeries{"cls", x, m["train_cls"], vision::palette_color(1)}},
                                         {.width = 480, .height = 320, .title = "train loss", .x_label = "epoch"});
  const Tensor maps = vision::plot_lines({PlotSeries{"mAP@0.5", x, m["val_map50"], vision::palette_color(2)},
                                          PlotSeries{"mAP@.5:.95", x, m["val_map50_95"], vision::palette_color(0)}},
                                         {.width = 480, .height = 320, .title = "val mAP", .x_label = "epoch"});
  data::write_image((out / "curves.png").string(), vision::make_grid(stack({loss, maps}, 0), 2, 4, 255));
}

// The first `count` pictures of `dataset` with the model's detections drawn (conf >= 0.25), as a grid.
Tensor prediction_grid(YoloModel& model, const data::DetectionDataset& dataset,
                       const std::vector<std::string>& class_names, int64_t count) {
  NoGradGuard no_grad;
  const bool was_training = model.is_training();
  model.eval();
  std::vector<data::DetectionSample> samples;
  for (int64_t i = 0; i < std::min(count, dataset.size()); ++i) samples.push_back(dataset.get(i, nullptr));
  std::vector<Tensor> images, pictures;
  for (const auto& s : samples) images.push_back(s.image);
  const Tensor pred = model.decode(model.forward(stack(images, 0)));
  vision::NmsOptions nms;
  const auto dets = vision::non_max_suppression(pred.to(kFloat32), nms);
  for (size_t i = 0; i < samples.size(); ++i) {
    const Tensor d = dets[i].to(kFloat64).contiguous();
    std::vector<std::string> labels;
    std::vector<vision::Color> colors;
    for (int64_t j = 0; j < d.size(0); ++j) {
      const auto cls = static_cast<int64_t>(d[j][5].item<double>());
      std::ostringstream l;
      l << (cls >= 0 && cls < static_cast<int64_t>(class_names.size()) ? class_names[static_cast<size_t>(cls)]
                                                                       : std::to_string(cls))
        << " " << std::fixed << std::setprecision(2) << d[j][4].item<double>();
      labels.push_back(l.str());
      colors.push_back(vision::palette_color(cls));
    }
    pictures.push_back(vision::draw_bounding_boxes(samples[i].image, d.slice(1, 0, 4).to(kFloat32), labels, colors));
  }
  model.train(was_training);
  return vision::make_grid(pictures, 4, 2, 255);
}

}  // namespace

int train(const TrainOptions& o) {
  set_num_threads_if(o.threads);
  const RankScope ranks(o.distributed);
  const int world = ranks.world();
  const bool rank0 = ranks.rank() == 0;
  const auto t_start = Clock::now();
  const fs::path out = o.out;
  fs::create_directories(out);
  const data::DetectionSet train_set = read_split(o.data, "train", o.format, o.limit_train);
  data::DetectionSet val_set = read_split(o.data, "val", o.format, o.limit_val);
  const auto& class_names = train_set.class_names;
  const auto nc = static_cast<int64_t>(class_names.size());
  SEEK_CHECK_VALUE(o.img_size % 32 == 0, "--img-size must be a multiple of 32, got ", o.img_size);

  ModelInfo info;
  info.size = o.model;
  info.img_size = o.img_size;
  info.class_names = class_names;
  info.config = o.model == "small" ? models::yolo::YoloConfig::small(nc) : models::yolo::YoloConfig::nano(nc);
  info.config.dynamic_anchors = !o.fixed_anchors;
  info.config.image_size = o.img_size;
  info.config.anchors = info.config.resolved_anchors();  // YOLOv5's defaults scaled to img_size
  if (!o.attention.empty()) info.config.attention = o.attention;
  if (o.width_multiple > 0) info.config.width_multiple = o.width_multiple;
  if (o.depth_multiple > 0) info.config.depth_multiple = o.depth_multiple;
  if (o.kmeans && o.resume.empty()) kmeans_anchors_into(info.config, train_set, o.img_size, o.seed);
  if (!o.resume.empty()) {
    // The resumed run keeps the anchors it was trained with.
    const ModelInfo saved = load_model_info(fs::path(o.resume) / "model.json");
    info.config = saved.config;
  }

  manual_seed(o.seed);
  auto model = std::make_shared<YoloModel>(info.config);
  model->train();
  if (o.fuse) model->set_conv_bn_fused(true);
  std::shared_ptr<YoloModel> ema_model;
  std::optional<train::ModelEMA> ema;
  if (o.ema) {
    ema_model = std::make_shared<YoloModel>(info.config);
    if (o.fuse) ema_model->set_conv_bn_fused(true);
    ema.emplace(ema_model, *model);
  }
  auto state = std::make_shared<TrainState>(model, ema_model);

  // The batch of one optimizer step: every rank's batch, accumulated to the nominal batch.
  const int64_t global_batch = o.batch_size * world;
  const int64_t accumulate =
      std::max<int64_t>(1, std::llround(static_cast<double>(o.nominal_batch) / static_cast<double>(global_batch)));
  const double weight_decay = o.weight_decay * static_cast<double>(global_batch * accumulate) / o.nominal_batch;
  const bool sgd = o.optimizer == "sgd";
  std::unique_ptr<optim::Optimizer> opt;
  if (sgd)
    opt = std::make_unique<optim::SGD>(param_groups(*model, o, weight_decay, true), optim::SGDOptions(o.lr0));
  else
    opt = std::make_unique<optim::AdamW>(param_groups(*model, o, weight_decay, false), optim::AdamWOptions(o.lr0));

  models::yolo::YoloLossOptions lo;
  lo.num_classes = nc;
  lo.assigner = o.assigner;
  lo.box = o.box_gain, lo.obj = o.obj_gain, lo.cls = o.cls_gain, lo.label_smoothing = o.label_smoothing;
  const models::yolo::YoloLoss loss_fn(lo);

  data::DetectionAugment aug;
  aug.img_size = o.img_size;
  aug.mosaic = o.mosaic;
  aug.fliplr = o.fliplr;
  aug.scale = o.scale;
  aug.translate = o.translate;
  aug.hsv_h = o.hsv_h, aug.hsv_s = o.hsv_s, aug.hsv_v = o.hsv_v;
  data::DetectionAugment plain_aug = aug;  // the last epochs: no mosaic
  plain_aug.mosaic = 0.0;
  data::DetectionAugment val_aug;
  val_aug.img_size = o.img_size;
  // The mosaic set (4 images per sample) and val (every epoch) keep their decoded images in memory.
  auto mosaic_ds = std::make_shared<data::DetectionDataset>(train_set, aug, true);
  auto val_cached = std::make_shared<data::DetectionDataset>(std::move(val_set), val_aug, false);
  mosaic_ds->cache_images();
  val_cached->cache_images();
  const std::shared_ptr<const data::DetectionDataset> train_ds = mosaic_ds, val_ds = val_cached;
  auto plain_ds = std::make_shared<const data::DetectionDataset>(train_set, plain_aug, true);
  data::DetectionLoader mosaic_loader(train_ds, o.batch_size, true, o.seed, o.workers, true);
  data::DetectionLoader plain_loader(plain_ds, o.batch_size, true, o.seed, o.workers, true);
  if (world > 1) {
    mosaic_loader.set_shard(world, ranks.rank());
    plain_loader.set_shard(world, ranks.rank());
  }
  const int64_t batches = mosaic_loader.num_batches();
  SEEK_CHECK_VALUE(batches > 0, "the training split has ", train_ds->size(), " images, fewer than --batch-size ",
                   o.batch_size);
  const int64_t steps_per_epoch = (batches + accumulate - 1) / accumulate;

  train::TrainingProgress progress;
  // A budgeted run plans in optimizer steps, so its last epoch may be cut short: the cosine ends where the
  // budget does instead of up to an epoch before it. planned_epochs counts that last epoch.
  int64_t planned_steps = o.epochs * steps_per_epoch;
  auto epochs_for = [&](int64_t steps) { return (steps + steps_per_epoch - 1) / steps_per_epoch; };
  double best_fitness = -1;
  if (!o.resume.empty()) {
    // The planned length first: the schedule is built for it, then restored. (Checkpoints written before the
    // plan counted steps hold whole epochs.)
    progress = train::load_checkpoint(o.resume, {state.get(), nullptr, nullptr, nullptr, nullptr, false});
    const auto it = progress.values.find("planned_steps");
    planned_steps = it != progress.values.end()
                        ? static_cast<int64_t>(it->second)
                        : static_cast<int64_t>(progress.values.at("planned_epochs")) * steps_per_epoch;
  }
  int64_t planned_epochs = epochs_for(planned_steps);
  // The warmup: warmup_epochs, but at most 15% of the planned steps (a short budgeted run).
  auto warmup_for = [&](int64_t steps) {
    return std::clamp<int64_t>(std::llround(o.warmup_epochs * steps_per_epoch), 1,
                               std::max<int64_t>(1, std::llround(0.15 * steps)));
  };
  const int64_t warmup =
      o.resume.empty() ? warmup_for(planned_steps) : static_cast<int64_t>(progress.values.at("warmup_steps"));
  YoloSchedule sched(*opt, warmup, planned_steps, o, 0, sgd);
  train::CheckpointParts parts{state.get(), opt.get(), &sched, nullptr, nullptr};
  if (!o.resume.empty()) {
    progress = train::load_checkpoint(o.resume, parts);
    if (ema) ema->set_updates(static_cast<int64_t>(progress.values.at("ema_updates")));
    best_fitness = progress.values.at("best_fitness");
    if (rank0) train::rollback_metrics(out, progress.step);
    std::cerr << "resumed " << o.resume << " at epoch " << progress.epoch << " (step " << progress.step << ")\n";
  }
  model->train();
  // After a resume's load, so that the ranks start from the same (rank 0's) weights either way.
  std::shared_ptr<nn::DistributedDataParallel> ddp;
  if (o.distributed) ddp = std::make_shared<nn::DistributedDataParallel>(model);
  if (rank0) save_model_info(info, out / "model.json");

  const std::vector<std::string> columns = {
      "epoch",     "step",         "lr",        "train_loss", "train_box", "train_obj",     "train_cls",
      "val_map50", "val_map50_95", "val_map75", "seconds",    "img_per_s", "planned_epochs"};
  std::optional<train::MetricsLog> log;
  if (rank0) log.emplace(out, columns);
  std::cerr << "YOLO-" << o.model << " (" << (info.config.dynamic_anchors ? "dynamic" : "fixed") << " anchors, "
            << info.config.attention << " attention, conv + BN " << (o.fuse ? "fused" : "separate") << ", "
            << model->num_parameters() << " parameters), " << nc << " classes, " << train_ds->size() << " training / "
            << val_ds->size() << " val images at " << o.img_size << "px; batch " << o.batch_size
            << (world > 1 ? " x " + std::to_string(world) + " ranks" : std::string()) << " x " << accumulate << ", "
            << steps_per_epoch << " steps per epoch, " << o.optimizer << " lr0 " << o.lr0 << ", amp " << o.amp
            << ", budget " << (o.max_minutes > 0 ? std::to_string(o.max_minutes) + " min" : std::string("none"))
            << "\n";

  vision::NmsOptions val_nms;
  val_nms.conf_threshold = 0.001;
  val_nms.iou_threshold = 0.6;
  val_nms.multi_label = true;  // as YOLOv5's val.py
  const auto t_train = Clock::now();
  const double budget = o.max_minutes * 60.0;
  const int64_t first_epoch = progress.epoch, first_step = progress.step;
  // The plan of a budgeted run, made after kPlanSteps steps of a fresh run (timing steps kPlanFrom + 1 ..
  // kPlanSteps) and then after every epoch: the optimizer steps that fit in the budget end the cosine; the
  // first plan also sizes the warmup. A step's time includes its share of the epoch's val pass (at first a
  // val pass counted as a third of a training pass over as many images, then the mean so far), and the time
  // of one more val pass is kept back for the last, cut epoch's.
  constexpr int64_t kPlanFrom = 2, kPlanSteps = 10;  // timed: steps 3..10 (the first ones allocate)
  Clock::time_point t_plan_from = t_train;
  double val_seconds = 0;  // the last val pass's time (before one: the estimate)
  auto replan = [&](double per_step, int64_t done, const char* when) {
    const double left = budget - seconds_since(t_train) - val_seconds;
    const auto fit = done + static_cast<int64_t>(std::floor(std::max(0.0, left) / per_step));
    int64_t plan = std::clamp<int64_t>(fit, std::max<int64_t>(done, 1), o.epochs * steps_per_epoch);
    if (world > 1) plan = std::llround(dist::all_reduce_value(rank0 ? static_cast<double>(plan) : 0.0));  // rank 0's
    if (plan == planned_steps) return;
    planned_steps = plan;
    planned_epochs = epochs_for(planned_steps);
    sched.set_total_steps(planned_steps);
    std::cerr << "\nthe budget fits " << planned_steps << " steps, " << planned_epochs << " epochs"
              << (planned_steps % steps_per_epoch
                      ? " (the last one cut to " + std::to_string(planned_steps % steps_per_epoch) + " steps)"
                      : std::string())
              << " (" << std::fixed << std::setprecision(3) << per_step << " s per step, " << when
              << "): the schedule ends there\n"
              << std::defaultfloat;
  };
  bool out_of_time = false;
  for (int64_t epoch = progress.epoch; epoch < planned_epochs && !out_of_time; ++epoch) {
    const auto t_epoch = Clock::now();
    const bool mosaic = epoch < planned_epochs - o.close_mosaic;
    data::DetectionLoader& loader = mosaic ? mosaic_loader : plain_loader;
    loader.set_epoch(epoch);
    train::ProgressOptions po;
    po.unit = "img";
    po.print_every = 20;
    train::ProgressBar bar(batches, po);
    bar.start("epoch " + std::to_string(epoch + 1) + "/" + std::to_string(planned_epochs) +
              (mosaic ? "" : " (no mosaic)"));
    double sum_box = 0, sum_obj = 0, sum_cls = 0;
    int64_t seen = 0, in_group = 0, b = 0;
    opt->zero_grad();
    for (const data::DetectionBatch& batch : loader) {
      models::yolo::YoloOutput pred;
      // Data parallel: the gradients are averaged at the backward of a group's last batch only.
      std::optional<nn::DistributedDataParallel::NoSyncGuard> no_sync;
      if (ddp && in_group + 1 < accumulate && b + 1 < batches) no_sync.emplace(ddp->no_sync());
      auto forward = [&] {
        std::optional<amp::AutocastGuard> autocast;
        if (o.amp == "bf16") autocast.emplace(DeviceType::CPU, kBFloat16);
        pred = model->forward(batch.images);
        std::vector<Tensor> outputs = pred.preds;
        outputs.insert(outputs.end(), pred.anchors.begin(), pred.anchors.end());
        return outputs;
      };
      if (ddp)
        ddp->forward_with(forward);
      else
        forward();
      for (auto& p : pred.preds) p = p.to(kFloat32);
      for (auto& a : pred.anchors) a = a.to(kFloat32);
      const models::yolo::YoloLossItems items = loss_fn(pred, batch.targets);
      SEEK_CHECK(std::isfinite(items.box + items.obj + items.cls), "the loss is not finite at epoch ", epoch + 1,
                 " batch ", b + 1, " (box ", items.box, ", obj ", items.obj, ", cls ", items.cls, ")");
      // The loss is YOLOv5's (a sum over the batch): DDP's average over the ranks is scaled back to a sum.
      (world > 1 ? items.loss * static_cast<double>(world) : items.loss).backward();
      no_sync.reset();
      sum_box += items.box, sum_obj += items.obj, sum_cls += items.cls;
      ++b, ++in_group;
      seen += batch.images.size(0);
      if (in_group == accumulate || b == batches) {
        optim::clip_grad_norm_(model->parameters(), 10.0);
        opt->step();
        opt->zero_grad();
        sched.step();
        if (ema) ema->update(*model);
        ++progress.step;
        in_group = 0;
        if (progress.step == kPlanFrom) t_plan_from = Clock::now();
        if (budget > 0 && first_step == 0 && progress.step == kPlanSteps) {
          const double per_step = seconds_since(t_plan_from) / (kPlanSteps - kPlanFrom);
          // Each rank runs its share of val: a rank's val images over its images per step, a forward being
          // a third of a step.
          val_seconds = static_cast<double>(val_ds->size()) / static_cast<double>(o.batch_size * accumulate * world) *
                        per_step / 3;
          replan(per_step + val_seconds / static_cast<double>(steps_per_epoch), progress.step,
                 "measured over the first steps");
          sched.set_warmup_steps(std::min(sched.warmup_steps(), warmup_for(planned_steps)));
        }
        if (progress.step >= planned_steps) break;  // the plan ends inside this epoch
      }
      bar.update(b, (sum_box + sum_obj + sum_cls) / static_cast<double>(b), batch.images.size(0) * world);
      if (budget > 0) {
        out_of_time = seconds_since(t_train) > budget;
        if (world > 1) out_of_time = dist::all_reduce_value(rank0 && out_of_time ? 1.0 : 0.0) > 0;  // rank 0's
        if (out_of_time) break;
      }
    }
    bar.finish();
    if (out_of_time) {
      std::cerr << "time budget of " << o.max_minutes << " min reached in epoch " << epoch + 1 << "\n";
      break;
    }
    const double train_seconds = seconds_since(t_epoch);
    const double n = static_cast<double>(b);
    std::map<std::string, double> row{{"epoch", static_cast<double>(epoch + 1)},
                                      {"step", static_cast<double>(progress.step)},
                                      {"lr", opt->param_groups()[1].lr()},
                                      {"train_loss", (sum_box + sum_obj + sum_cls) / n},
                                      {"train_box", sum_box / n},
                                      {"train_obj", sum_obj / n},
                                      {"train_cls", sum_cls / n},
                                      {"img_per_s", static_cast<double>(seen * world) / train_seconds},
                                      {"planned_epochs", static_cast<double>(planned_epochs)}};
    const bool last_epoch = epoch + 1 == planned_epochs;
    std::ostringstream line;
    line << "epoch " << epoch + 1 << "/" << planned_epochs << " train loss " << std::fixed << std::setprecision(4)
         << row["train_loss"] << " (box " << row["train_box"] << " obj " << row["train_obj"] << " cls "
         << row["train_cls"] << ")";
    if ((epoch + 1) % o.eval_every == 0 || last_epoch) {
      YoloModel& scored = ema ? *ema_model : *model;
      // Every rank runs its share of val and rank 0 scores them all. The ranks' BatchNorm statistics differ by
      // their own last batches: rank 0's are the ones evaluated (and saved), so the others take them first.
      if (world > 1)
        for (auto& [name, buffer] : scored.named_buffers()) dist::broadcast(buffer, 0);
      const EvalResult r = evaluate(scored, val_ds, o.batch_size, val_nms, o.amp, o.workers, world, ranks.rank());
      val_seconds = r.seconds;
      if (rank0) {
        row["val_map50"] = r.metrics.map50;
        row["val_map50_95"] = r.metrics.map50_95;
        row["val_map75"] = r.metrics.map75;
        const double fitness = 0.1 * r.metrics.map50 + 0.9 * r.metrics.map50_95;
        line << " val " << map_line(r.metrics);
        if (fitness > best_fitness) {
          best_fitness = fitness;
          fs::create_directories(out / "best");
          io::save_safetensors(out / "best" / "model.safetensors", scored.state_dict());
          save_model_info(info, out / "best" / "model.json");
          line << " (best)";
        }
      }
    }
    row["seconds"] = seconds_since(t_start);
    if (log) log->append(row);
    std::cout << line.str() << std::endl;
    progress.epoch = epoch + 1;
    progress.values["planned_epochs"] = static_cast<double>(planned_epochs);
    progress.values["planned_steps"] = static_cast<double>(planned_steps);
    progress.values["warmup_steps"] = static_cast<double>(sched.warmup_steps());
    progress.values["ema_updates"] = ema ? static_cast<double>(ema->updates()) : 0.0;
    progress.values["best_fitness"] = best_fitness;
    if (rank0) {
      train::save_checkpoint(out / "last", parts, progress);
      save_model_info(info, out / "last" / "model.json");
    }
    if (o.stop_after_epochs > 0 && epoch + 1 - first_epoch >= o.stop_after_epochs && !last_epoch) {
      std::cerr << "stopped after " << o.stop_after_epochs << " epochs (--stop-after-epochs)\n";
      if (rank0) plot_curves(out);
      return 0;
    }
    if (budget > 0 && !last_epoch)
      replan(seconds_since(t_train) / static_cast<double>(progress.step - first_step), progress.step,
             "the mean so far");
  }
  const double train_minutes = seconds_since(t_train) / 60;
  if (!rank0) return 0;  // rank 0 writes the results and scores the best weights
  plot_curves(out);
  if (!fs::exists(out / "best" / "model.safetensors")) {
    // No evaluation ran (the budget ended the first epoch): the current weights are the result.
    fs::create_directories(out / "best");
    io::save_safetensors(out / "best" / "model.safetensors", (ema ? *ema_model : *model).state_dict());
    save_model_info(info, out / "best" / "model.json");
  }
  ModelInfo best_info;
  auto best = load_trained_model(out / "best", &best_info);
  data::write_image((out / "val_predictions.png").string(), prediction_grid(*best, *val_ds, class_names, 16));
  std::cout << "trained " << progress.epoch << " epochs (" << progress.step << " steps) in " << std::fixed
            << std::setprecision(1) << train_minutes << " min; best val fitness " << std::setprecision(4)
            << best_fitness << "; weights in " << (out / "best").string() << std::endl;
  if (o.test && fs::exists(fs::path(o.data) / "test")) {
    data::DetectionSet test_set = read_split(o.data, "test", o.format);
    auto test_ds = std::make_shared<const data::DetectionDataset>(std::move(test_set), val_aug, false);
    const EvalResult r = evaluate(*best, test_ds, o.batch_size, val_nms, o.amp, o.workers);
    std::ofstream summary(out / "test_summary.txt");
    summary << r.metrics.summary() << "\nper-class AP@0.5 / AP@0.5:0.95:\n";
    for (size_t c = 0; c < class_names.size() && c < r.metrics.per_class_ap50.size(); ++c)
      summary << "  " << class_names[c] << " " << r.metrics.per_class_ap50[c] << " " << r.metrics.per_class_ap50_95[c]
              << "\n";
    summary << "\n" << r.confusion->table(class_names);
    write_confusion(*r.confusion, class_names, out);
    std::cerr << r.metrics.summary() << "\n";
    std::cout << r.confusion->table(class_names);
    std::cout << "final test " << map_line(r.metrics) << " (" << test_ds->size() << " images)" << std::endl;
  }
  return 0;
}

}  // namespace yolo_example

// train_yolo: a YOLO-style detector with dynamic anchors (models::yolo) trained, evaluated and run on images
// (scripts/train_yolo.sh generates the Fashion-MNIST detection set and runs train; docs/yolo.md).
//
//   train_yolo train  [--data DIR] [--format yolo|coco] [--out DIR] [--resume DIR] [--model nano|small]
//                     [--img-size N] [--batch-size N] [--nominal-batch N] [--epochs N] [--max-minutes X]
//                     [--optimizer sgd|adamw] [--lr0 X] [--lrf X] [--momentum X] [--weight-decay X]
//                     [--warmup-epochs X] [--warmup-bias-lr X] [--warmup-momentum X] [--amp off|bf16]
//                     [--fixed-anchors] [--no-kmeans] [--no-ema] [--no-fuse] [--assigner ratio|simota]
//                     [--width-multiple X] [--depth-multiple X]
//                     [--attention se|cbam|none] [--box X] [--obj X] [--cls X] [--label-smoothing X]
//                     [--mosaic P] [--close-mosaic N] [--fliplr P] [--scale X] [--translate X] [--hsv-h X]
//                     [--hsv-s X] [--hsv-v X] [--eval-every N] [--limit-train N] [--limit-val N] [--no-test]
//                     [--stop-after-epochs N] [--workers N] [--threads N] [--seed N] [--distributed]
//     --distributed: data parallel, one process per rank under mpirun (mpirun -np 2 train_yolo train
//     --distributed --threads 1 ...): --batch-size is per rank, rank 0 evaluates, prints and writes.
//   train_yolo val    [--data DIR] [--format yolo|coco] [--split val|test|train] [--weights DIR] [--out DIR]
//                     [--batch-size N] [--conf X] [--iou X] [--single-label] [--amp off|bf16] [--limit N]
//                     [--workers N] [--threads N]
//   train_yolo detect --source FILE|DIR [--weights DIR] [--out DIR] [--conf X] [--iou X] [--max-det N]
//                     [--limit N] [--no-grid] [--threads N]
// Exit codes: 0 done, 2 bad arguments or missing data / weights, 1 other errors.
#include <filesystem>
#include <iostream>

#include "common/cli.h"
#include "seek/core/error.h"
#include "yolo/yolo_common.h"

using seek::examples::one_of;
using seek::examples::to_double;
using seek::examples::to_int;
using seek::examples::UsageError;

namespace {

void usage(std::ostream& os) {
  os << "usage: train_yolo train|val|detect [flags]   (flags: see examples/yolo/main.cpp or docs/yolo.md)\n";
}

double fraction(const std::string& flag, const std::string& v) {
  const double x = to_double(flag, v, 0);
  if (x > 1) throw UsageError(flag + " must be in [0, 1], got " + v);
  return x;
}

double positive(const std::string& flag, const std::string& v) {
  const double x = to_double(flag, v, 0);
  if (x <= 0) throw UsageError(flag + " must be positive, got " + v);
  return x;
}

yolo_example::TrainOptions parse_train(int argc, char** argv) {
  yolo_example::TrainOptions o;
  for (int i = 2; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help") throw UsageError("help");
    if (flag == "--fixed-anchors")
      o.fixed_anchors = true;
    else if (flag == "--no-kmeans")
      o.kmeans = false;
    else if (flag == "--no-ema")
      o.ema = false;
    else if (flag == "--no-test")
      o.test = false;
    else if (flag == "--fuse")  // the default; kept for older command lines
      o.fuse = true;
    else if (flag == "--no-fuse")
      o.fuse = false;
    else if (flag == "--distributed")
      o.distributed = true;
    else {
      if (i + 1 >= argc) throw UsageError(flag + " needs a value");
      const std::string v = argv[++i];
      if (flag == "--data")
        o.data = v;
      else if (flag == "--format")
        o.format = one_of(flag, v, {"yolo", "coco"});
      else if (flag == "--out")
        o.out = v;
      else if (flag == "--resume")
        o.resume = v;
      else if (flag == "--model")
        o.model = one_of(flag, v, {"nano", "small"});
      else if (flag == "--optimizer")
        o.optimizer = one_of(flag, v, {"sgd", "adamw"});
      else if (flag == "--amp")
        o.amp = one_of(flag, v, {"off", "bf16"});
      else if (flag == "--assigner")
        o.assigner = one_of(flag, v, {"ratio", "simota"});
      else if (flag == "--attention")
        o.attention = one_of(flag, v, {"se", "cbam", "none"});
      else if (flag == "--width-multiple")
        o.width_multiple = positive(flag, v);
      else if (flag == "--depth-multiple")
        o.depth_multiple = positive(flag, v);
      else if (flag == "--img-size")
        o.img_size = to_int(flag, v, 32);
      else if (flag == "--batch-size")
        o.batch_size = to_int(flag, v, 1);
      else if (flag == "--nominal-batch")
        o.nominal_batch = to_int(flag, v, 1);
      else if (flag == "--epochs")
        o.epochs = to_int(flag, v, 1);
      else if (flag == "--workers")
        o.workers = to_int(flag, v, 0);
      else if (flag == "--threads")
        o.threads = to_int(flag, v, 0);
      else if (flag == "--close-mosaic")
        o.close_mosaic = to_int(flag, v, 0);
      else if (flag == "--limit-train")
        o.limit_train = to_int(flag, v, 0);
      else if (flag == "--limit-val")
        o.limit_val = to_int(flag, v, 0);
      else if (flag == "--eval-every")
        o.eval_every = to_int(flag, v, 1);
      else if (flag == "--stop-after-epochs")
        o.stop_after_epochs = to_int(flag, v, 0);
      else if (flag == "--seed")
        o.seed = static_cast<uint64_t>(to_int(flag, v, 0));
      else if (flag == "--lr0")
        o.lr0 = to_double(flag, v, 0);
      else if (flag == "--lrf")
        o.lrf = fraction(flag, v);
      else if (flag == "--momentum")
        o.momentum = fraction(flag, v);
      else if (flag == "--weight-decay")
        o.weight_decay = to_double(flag, v, 0);
      else if (flag == "--warmup-epochs")
        o.warmup_epochs = to_double(flag, v, 0);
      else if (flag == "--warmup-bias-lr")
        o.warmup_bias_lr = to_double(flag, v, 0);
      else if (flag == "--warmup-momentum")
        o.warmup_momentum = fraction(flag, v);
      else if (flag == "--box")
        o.box_gain = to_double(flag, v, 0);
      else if (flag == "--obj")
        o.obj_gain = to_double(flag, v, 0);
      else if (flag == "--cls")
        o.cls_gain = to_double(flag, v, 0);
      else if (flag == "--label-smoothing")
        o.label_smoothing = fraction(flag, v);
      else if (flag == "--mosaic")
        o.mosaic = fraction(flag, v);
      else if (flag == "--fliplr")
        o.fliplr = fraction(flag, v);
      else if (flag == "--scale")
        o.scale = fraction(flag, v);
      else if (flag == "--translate")
        o.translate = fraction(flag, v);
      else if (flag == "--hsv-h")
        o.hsv_h = fraction(flag, v);
      else if (flag == "--hsv-s")
        o.hsv_s = fraction(flag, v);
      else if (flag == "--hsv-v")
        o.hsv_v = fraction(flag, v);
      else if (flag == "--max-minutes")
        o.max_minutes = to_double(flag, v, 0);
      else
        throw UsageError("unknown flag " + flag);
    }
  }
  if (o.img_size % 32 != 0) throw UsageError("--img-size must be a multiple of 32, got " + std::to_string(o.img_size));
  // AdamW's and SGD's usual starting rates; AdamW is the default: in a 15-minute budget it learns far faster.
  if (o.lr0 < 0) o.lr0 = o.optimizer == "sgd" ? 0.01 : 0.002;
  return o;
}

yolo_example::ValOptions parse_val(int argc, char** argv) {
  yolo_example::ValOptions o;
  for (int i = 2; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help") throw UsageError("help");
    if (flag == "--single-label") {
      o.multi_label = false;
      continue;
    }
    if (i + 1 >= argc) throw UsageError(flag + " needs a value");
    const std::string v = argv[++i];
    if (flag == "--data")
      o.data = v;
    else if (flag == "--format")
      o.format = one_of(flag, v, {"yolo", "coco"});
    else if (flag == "--split")
      o.split = v;
    else if (flag == "--weights")
      o.weights = v;
    else if (flag == "--out")
      o.out = v;
    else if (flag == "--amp")
      o.amp = one_of(flag, v, {"off", "bf16"});
    else if (flag == "--batch-size")
      o.batch_size = to_int(flag, v, 1);
    else if (flag == "--workers")
      o.workers = to_int(flag, v, 0);
    else if (flag == "--threads")
      o.threads = to_int(flag, v, 0);
    else if (flag == "--limit")
      o.limit = to_int(flag, v, 0);
    else if (flag == "--conf")
      o.conf = fraction(flag, v);
    else if (flag == "--iou")
      o.iou = fraction(flag, v);
    else
      throw UsageError("unknown flag " + flag);
  }
  return o;
}

yolo_example::DetectOptions parse_detect(int argc, char** argv) {
  yolo_example::DetectOptions o;
  for (int i = 2; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help") throw UsageError("help");
    if (flag == "--no-grid") {
      o.grid = false;
      continue;
    }
    if (i + 1 >= argc) throw UsageError(flag + " needs a value");
    const std::string v = argv[++i];
    if (flag == "--source")
      o.source = v;
    else if (flag == "--weights")
      o.weights = v;
    else if (flag == "--out")
      o.out = v;
    else if (flag == "--threads")
      o.threads = to_int(flag, v, 0);
    else if (flag == "--limit")
      o.limit = to_int(flag, v, 0);
    else if (flag == "--max-det")
      o.max_det = to_int(flag, v, 1);
    else if (flag == "--conf")
      o.conf = fraction(flag, v);
    else if (flag == "--iou")
      o.iou = fraction(flag, v);
    else
      throw UsageError("unknown flag " + flag);
  }
  if (o.source.empty()) throw UsageError("detect needs --source FILE|DIR");
  return o;
}

// A missing input is a usage problem (exit 2), reported before any work.
bool missing(const std::string& what, const std::filesystem::path& path, const char* hint) {
  if (std::filesystem::exists(path)) return false;
  std::cerr << "train_yolo: no " << what << " at " << path.string() << " (" << hint << ")\n";
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode != "train" && mode != "val" && mode != "detect") {
    std::cerr << "train_yolo: the first argument must be train, val or detect\n";
    usage(std::cerr);
    return 2;
  }
  try {
    if (mode == "train") {
      auto o = seek::examples::parse_or_usage("train_yolo", argc, argv, parse_train, usage);
      if (!o) return 2;
      if (missing("data folder", o->data, "scripts/train_yolo.sh generates one with yolo_data generate")) return 2;
      if (!o->resume.empty() && missing("checkpoint", std::filesystem::path(o->resume) / "trainer.json",
                                        "--resume takes <out>/last of an earlier run"))
        return 2;
      return yolo_example::train(*o);
    }
    if (mode == "val") {
      auto o = seek::examples::parse_or_usage("train_yolo", argc, argv, parse_val, usage);
      if (!o) return 2;
      if (missing("data folder", o->data, "yolo_data generate makes one")) return 2;
      if (missing("weights", std::filesystem::path(o->weights) / "model.safetensors", "train writes <out>/best"))
        return 2;
      return yolo_example::val(*o);
    }
    auto o = seek::examples::parse_or_usage("train_yolo", argc, argv, parse_detect, usage);
    if (!o) return 2;
    if (missing("image or folder", o->source, "--source")) return 2;
    if (missing("weights", std::filesystem::path(o->weights) / "model.safetensors", "train writes <out>/best"))
      return 2;
    return yolo_example::detect(*o);
  } catch (const seek::Error& e) {
    std::cerr << "train_yolo: " << e.what() << "\n";
    return 1;
  }
}

#pragma once
// Shared parts of the YOLO example (examples/yolo, docs/yolo.md): the options of the three modes, reading a
// data split (YOLO folders or COCO json), the model description saved next to the weights (model.json) so
// `val` and `detect` rebuild the trained model, and the evaluation (EMA or plain model -> NMS -> boxes
// mapped back to the original images -> COCO mAP).
#include <omp.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "seek/data/detection_dataset.h"
#include "seek/data/detection_io.h"
#include "seek/models/yolo/yolo.h"
#include "seek/models/yolo/yolo_config.h"
#include "seek/vision/coco_eval.h"
#include "seek/vision/confusion_matrix.h"
#include "seek/vision/nms.h"

namespace yolo_example {

namespace fs = std::filesystem;
using namespace seek;

struct TrainOptions {
  std::string data = "data/fashion_detection";  // <data>/{train,val,test}/{images,labels}, classes.txt
  std::string format = "yolo";                  // or "coco": <data>/<split>.json, images in <data>/<split>/images
  std::string out = "build/train_yolo_out";
  std::string resume;                             // a checkpoint dir (<out>/last)
  std::string model = "nano";                     // or "small"
  std::string optimizer = "adamw";                // or "sgd" (YOLOv5's: nesterov, momentum 0.937)
  std::string amp = "off";                        // or "bf16"
  std::string assigner = "ratio";                 // or "simota"
  std::string attention;                          // "" (the config's), "se", "cbam", "none"
  double width_multiple = 0, depth_multiple = 0;  // > 0: override the size's (YOLOv5's yaml multiples)
  bool fixed_anchors = false;                     // default: dynamic anchors
  bool kmeans = true;                             // k-means anchors from the training labels
  bool ema = true;
  bool fuse = true;          // conv + BatchNorm as one fused node (~7% faster on AVX2; --no-fuse: separate ops)
  bool distributed = false;  // one process per rank under mpirun: DDP, a share of each epoch per rank
  // Defaults for a 15-minute CPU budget, chosen by side-by-side pilot runs (docs/yolo.md, "Results"): YOLOv5's
  // hyp.scratch-low except cls 1.5 (not 0.5), scale 0.1 (not 0.5), translate 0.05 (not 0.1), no mosaic (not 1.0),
  // nominal batch 32 (not 64).
  int64_t img_size = 128, batch_size = 32, nominal_batch = 32, epochs = 60, workers = 1, threads = 0;
  int64_t close_mosaic = 3;                // the last N epochs train without mosaic
  int64_t limit_train = 0, limit_val = 0;  // 0: all images
  int64_t eval_every = 1;                  // epochs between evaluations on val
  int64_t stop_after_epochs = 0;           // > 0: end the run after this many epochs (an interruption)
  double lr0 = -1, lrf = 0.01, momentum = 0.937, weight_decay = 5e-4;  // lr0 < 0: 0.002 (AdamW), 0.01 (SGD)
  double warmup_epochs = 3.0, warmup_momentum = 0.8, warmup_bias_lr = 0.1;
  double box_gain = 0.05, obj_gain = 1.0, cls_gain = 1.5, label_smoothing = 0.0;  // YOLOv5's hyp box / obj / cls
  double mosaic = 0.0, fliplr = 0.5, scale = 0.1, translate = 0.05, hsv_h = 0.015, hsv_s = 0.7, hsv_v = 0.4;
  double max_minutes = 15;  // training budget (0: none); the schedule is fitted to it
  bool test = true;         // evaluate the best weights on the test split at the end
  uint64_t seed = 0;
};

struct ValOptions {
  std::string data = "data/fashion_detection";
  std::string format = "yolo";
  std::string split = "val";
  std::string weights = "build/train_yolo_out/best";  // a dir with model.safetensors and model.json
  std::string out;  // when set: predictions.json (COCO results) and pr_curves.csv (IoU 0.5, per class) there
  std::string amp = "off";
  int64_t batch_size = 32, workers = 1, threads = 0, limit = 0;
  double conf = 0.001, iou = 0.6;
  bool multi_label = true;  // YOLOv5's val.py: a detection per (box, class) above conf; --single-label: best class
};

struct DetectOptions {
  std::string source;  // an image file or a folder of images
  std::string weights = "build/train_yolo_out/best";
  std::string out = "build/train_yolo_out/detect";
  int64_t threads = 0, limit = 0, max_det = 300;
  double conf = 0.25, iou = 0.45;
  bool grid = true;  // also a grid.png of the first 16 pictures
};

int train(const TrainOptions& o);
int val(const ValOptions& o);
int detect(const DetectOptions& o);

inline void set_num_threads_if(int64_t threads) {
  if (threads > 0) omp_set_num_threads(static_cast<int>(threads));
}

// The class names of a data folder: <data>/classes.txt, one per line.
std::vector<std::string> read_class_names(const fs::path& data);
// One split of a data folder (format "yolo" or "coco"); limit > 0 keeps the first `limit` images.
data::DetectionSet read_split(const fs::path& data, const std::string& split, const std::string& format,
                              int64_t limit = 0);

// What `val` and `detect` need to rebuild a trained model: the config, the image size and the class names.
struct ModelInfo {
  models::yolo::YoloConfig config;
  std::string size = "nano";
  int64_t img_size = 128;
  std::vector<std::string> class_names;
};
void save_model_info(const ModelInfo& info, const fs::path& path);
ModelInfo load_model_info(const fs::path& path);
// The model of <dir>/model.json with the weights of <dir>/model.safetensors, in eval mode.
std::shared_ptr<models::yolo::YoloModel> load_trained_model(const fs::path& dir, ModelInfo* info = nullptr);

// COCO ground truth of a set: category id = class index + 1 (as write_coco_json numbers them).
vision::CocoEvaluator make_evaluator(const data::DetectionSet& set);

struct EvalResult {
  vision::CocoMetrics metrics;
  std::vector<vision::CocoDetection> detections;  // in the original images' pixels
  // The same detections against the ground truth as YOLOv5's val.py counts them (confidence >= 0.25,
  // IoU > 0.45): rows predicted, columns true class, background last.
  std::optional<vision::DetectionConfusionMatrix> confusion;
  double seconds = 0;
};
// Runs `model` (eval mode, no gradients) over `dataset` (letterboxed, not augmenting) and scores the
// detections with COCO mAP and a confusion matrix. The model's training mode is restored afterwards.
// world > 1 (every rank of the default process group calls it): each rank runs its share of the images
// (DetectionLoader::set_shard) and rank 0 gathers the detections and scores them all, in the split's order,
// as one process would; only rank 0's result holds metrics, detections and the confusion matrix.
EvalResult evaluate(models::yolo::YoloModel& model, const std::shared_ptr<const data::DetectionDataset>& dataset,
                    int64_t batch_size, const vision::NmsOptions& nms, const std::string& amp, int64_t workers,
                    int64_t world = 1, int64_t rank = 0);

// Per-image detections [n, 6] (x1, y1, x2, y2, conf, class) in letterboxed pixels -> the same in the
// original image of `sample` (boxes mapped back and clipped), and as COCO detections.
Tensor to_original(const Tensor& dets, const data::DetectionSample& sample);
std::vector<vision::CocoDetection> to_coco(const Tensor& dets, const data::DetectionSample& sample);

// Writes <dir>/confusion_matrix.png (per true-class fractions) and <dir>/confusion_matrix.csv (counts).
void write_confusion(const vision::DetectionConfusionMatrix& cm, const std::vector<std::string>& class_names,
                     const fs::path& dir);

// A one-line summary: "mAP@0.5 0.912  mAP@0.5:0.95 0.653".
std::string map_line(const vision::CocoMetrics& m);

}  // namespace yolo_example

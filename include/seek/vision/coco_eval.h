#pragma once
// COCO bbox evaluation that reproduces pycocotools' COCOeval (evaluate + accumulate + summarize) to the
// last bit: the same greedy matching per image and category (ground truth sorted by its ignore flag,
// detections by score with a stable sort, crowd boxes matched any number of times with IoU = intersection /
// detection area), the same precision envelope and 101-point recall sampling (numpy's searchsorted), and the
// same pairwise summation np.mean uses for the 12 summary numbers.
//
// Parameters are COCO's defaults: IoU thresholds .50:.05:.95, 101 recall points, area ranges all / small
// (< 32^2) / medium / large (> 96^2), maxDets 1 / 10 / 100. Like pycocotools, matching is done once with the
// top 100 detections of an image and category; maxDets 1 and 10 then keep a prefix of those.
//
// One difference on purpose: pycocotools records a match by the ground truth's annotation id and so counts a
// match to an annotation whose id is 0 as a false positive; here annotation ids play no part.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "seek/core/tensor.h"

namespace seek::vision {

struct CocoGroundTruth {
  int64_t image_id = 0;
  int64_t category_id = 0;
  std::array<double, 4> bbox{};  // x, y, w, h (pixels)
  double area = -1;              // the area used for the area ranges; -1: w * h
  bool iscrowd = false;          // crowd regions: never a false negative, detections on them are ignored
};

struct CocoDetection {
  int64_t image_id = 0;
  int64_t category_id = 0;
  std::array<double, 4> bbox{};  // x, y, w, h (pixels)
  double score = 0;
};

struct CocoMetrics {
  // summarize()'s 12 numbers: AP @[.5:.95], AP50, AP75, AP small/medium/large, AR maxDets 1/10/100,
  // AR small/medium/large; -1 where there is no ground truth to measure.
  std::array<double, 12> stats{};
  double map50_95 = -1, map50 = -1, map75 = -1;  // stats[0], stats[1], stats[2]
  // Per entry of category_ids (area all, maxDets 100), the mean precision over the IoU thresholds and recall
  // points (AP50: IoU .5 only) as detectron2 and YOLOv5 report it; -1 for a category without ground truth.
  std::vector<double> per_class_ap50_95, per_class_ap50;
  std::vector<int64_t> category_ids;      // sorted
  std::vector<double> iou_thresholds;     // T = 10, numpy.linspace's values
  std::vector<double> recall_thresholds;  // R = 101
  std::array<int64_t, 3> max_dets{1, 10, 100};
  // accumulate()'s arrays, row-major in pycocotools' order; -1 where a category has no ground truth
  std::vector<double> precision;  // [T, R, K, A = 4, M = 3]
  std::vector<double> recall;     // [T, K, A, M]
  std::vector<double> scores;     // [T, R, K, A, M]: the score at which each precision is reached

  double precision_at(int64_t t, int64_t r, int64_t k, int64_t a, int64_t m) const;
  double recall_at(int64_t t, int64_t k, int64_t a, int64_t m) const;
  // The index of an IoU threshold (0.5 -> 0, 0.75 -> 5); ValueError when it is not one of them.
  int64_t iou_index(double iou_threshold) const;
  // The 12 lines pycocotools' summarize() prints (" Average Precision  (AP) @[ IoU=0.50:0.95 | ...").
  std::string summary() const;
};

inline constexpr std::array<const char*, 4> kCocoAreaNames{"all", "small", "medium", "large"};

class CocoEvaluator {
 public:
  // image_ids: every image of the evaluated set (images without ground truth included: their detections are
  // false positives); category_ids: every category (sorted and made unique here, as pycocotools does).
  // ValueError for a ground truth whose image or category is not listed, or a non-finite / negative box.
  CocoEvaluator(std::vector<CocoGroundTruth> gt, std::vector<int64_t> image_ids, std::vector<int64_t> category_ids);
  // A COCO annotation file: "images" (id), "categories" (id) and "annotations" (image_id, category_id, bbox,
  // area — w * h when absent —, iscrowd); other members are skipped. Errors name the file and the entry.
  static CocoEvaluator from_json(const std::string& gt_json_path);

  // Adds detections (may be called per batch; the order of additions is the order ties in score keep).
  // ValueError for an unknown image or category id, or a non-finite box or score.
  void add(const std::vector<CocoDetection>& dets);
  void clear_detections() { dets_.clear(); }
  CocoMetrics evaluate() const;

  const std::vector<int64_t>& image_ids() const { return image_ids_; }
  const std::vector<int64_t>& category_ids() const { return category_ids_; }
  size_t num_ground_truth() const { return gts_.size(); }
  size_t num_detections() const { return dets_.size(); }

 private:
  struct Box {
    std::array<double, 4> bbox;
    double area;
    bool crowd;
  };
  struct Det {
    std::array<double, 4> bbox;
    double score;
    int64_t cell;  // category index * images + image index
  };
  int64_t image_index(int64_t image_id, const char* what, size_t n) const;
  int64_t category_index(int64_t category_id, const char* what, size_t n) const;

  std::vector<int64_t> image_ids_, category_ids_;
  std::vector<Box> gts_;                // grouped by cell (category-major, then image), input order within
  std::vector<int64_t> gt_cell_start_;  // CSR offsets into gts_, size K * I + 1
  std::vector<Det> dets_;               // in the order added
};

// A precision-recall curve (area all, maxDets 100) at one IoU threshold: the 101 recall points with the
// envelope's precision and the score reached there (pycocotools' eval['precision'] / ['scores']).
struct PrCurve {
  std::vector<double> recall, precision, score;
};
// class_index indexes metrics.category_ids; -1 gives the mean over the categories with ground truth (score
// left empty). A category without ground truth gives precision -1 everywhere.
PrCurve pr_curve(const CocoMetrics& metrics, int64_t class_index, double iou_threshold = 0.5);
// CSV: "recall,<class 0>,...,<class K-1>,mean" and 101 rows of precision (an empty cell for a class without
// ground truth). class_names default to the category ids; otherwise one per category.
std::string pr_curve_csv(const CocoMetrics& metrics, const std::vector<std::string>& class_names = {},
                         double iou_threshold = 0.5);
void write_pr_curve_csv(const std::string& path, const CocoMetrics& metrics,
                        const std::vector<std::string>& class_names = {}, double iou_threshold = 0.5);

// COCO results files: a JSON array of {"image_id", "category_id", "bbox": [x, y, w, h], "score"}.
std::vector<CocoDetection> read_coco_detections(const std::string& json_path);
void write_coco_detections(const std::vector<CocoDetection>& dets, const std::string& json_path);

// Detections of one image as non_max_suppression returns them, [n, 6] (x1, y1, x2, y2, confidence, class),
// any float dtype and device, as COCO results: category_id = class + category_offset, bbox = x, y, w, h.
std::vector<CocoDetection> coco_detections_from_xyxy(const Tensor& detections, int64_t image_id,
                                                     int64_t category_offset = 1);
// Ground truth of one image from boxes [n, 4] xyxy (pixels) and labels [n] (0-based class indices, any
// integer or float dtype): category_id = label + category_offset, area w * h, not crowd.
std::vector<CocoGroundTruth> coco_ground_truth_from_xyxy(const Tensor& boxes, const Tensor& labels, int64_t image_id,
                                                         int64_t category_offset = 1);

}  // namespace seek::vision

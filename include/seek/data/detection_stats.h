#pragma once
// Statistics of a detection set and anchor suggestions: boxes per image, class balance,
// box size histograms, k-means anchors with the IoU distance (YOLOv2's d = 1 - IoU of boxes
// aligned at a corner) and YOLOv5's best possible recall for a set of anchors.
#include <cstdint>
#include <string>
#include <vector>

#include "seek/core/tensor.h"
#include "seek/data/detection_io.h"

namespace seek::data {

// counts[i] values fell in [edges[i], edges[i + 1]) (the last bin includes its upper edge).
struct Histogram {
  std::vector<double> edges;
  std::vector<int64_t> counts;
};

struct DetectionStats {
  int64_t images = 0, boxes = 0, empty_images = 0;
  std::vector<int64_t> boxes_per_image;  // [m] = images with m boxes, m = 0 .. max
  std::vector<int64_t> per_class;        // boxes of each class (class_names.size() entries, or max label + 1)
  std::vector<std::string> class_names;
  Histogram width, height;  // box width / height in pixels, equal bins over [0, max]
  Histogram area;           // box area in pixels^2, bins equal in sqrt(area) over [0, max]
  int64_t coco_small = 0, coco_medium = 0, coco_large = 0;  // area < 32^2, < 96^2, >= 96^2
  double mean_width = 0, mean_height = 0;
  Tensor wh;  // float32 [boxes, 2]: every box's (width, height)

  // A readable report: the counts, per-class table and the histograms drawn as bars.
  std::string summary() const;
};

// Statistics over every record; `bins` bins per size histogram (ValueError unless >= 1;
// LabelError for a record whose boxes / labels are malformed).
DetectionStats detection_stats(const DetectionSet& set, int64_t bins = 10);

// k anchors (float32 [k, 2], (w, h), sorted by area) clustering the box shapes `wh` [n, 2]
// with the distance 1 - IoU(box, anchor) of the two aligned at a corner: greedy k-means++
// seeding from a seeded stream, then Lloyd iterations (each anchor the mean of its boxes; an anchor
// left without boxes is moved to the worst-served box) until no box changes cluster or
// `iterations` passes. ValueError unless 1 <= k <= n and every w, h > 0.
Tensor kmeans_anchors(const Tensor& wh, int64_t k, uint64_t seed, int64_t iterations = 300);

// YOLOv5's best possible recall: the share of boxes for which some anchor has both side
// ratios max(w / aw, aw / w) and max(h / ah, ah / h) below ratio_threshold.
double best_possible_recall(const Tensor& wh, const Tensor& anchors, double ratio_threshold = 4.0);
// The mean over boxes of the best corner-aligned IoU with any anchor (k-means' objective).
double mean_best_iou(const Tensor& wh, const Tensor& anchors);

// A printable anchor suggestion: kmeans_anchors(wh, scales * per_scale), split in groups of
// per_scale from the smallest (stride 8) to the largest (stride 32), with its mean best IoU
// and best possible recall.
std::string anchor_summary(const Tensor& wh, int64_t scales, int64_t per_scale, uint64_t seed,
                           double ratio_threshold = 4.0);

}  // namespace seek::data

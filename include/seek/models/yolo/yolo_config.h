#pragma once
// YoloConfig: the size and options of models::yolo::YoloModel (issue 18). The channel and depth arithmetic
// is YOLOv5's: a layer written for 1024 channels and 9 repeats in the reference yaml gets
// make_divisible(min(1024, max_channels) * width_multiple, 8) channels and max(round(9 * depth_multiple), 1)
// bottlenecks, so nano and small are the same graph at different widths.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace seek::models::yolo {

struct YoloConfig {
  int64_t num_classes = 10;
  double depth_multiple = 0.33;
  double width_multiple = 0.25;
  int64_t in_channels = 3;
  std::vector<int64_t> strides{8, 16, 32};
  int64_t num_anchors = 3;        // anchors per scale used by the head
  bool dynamic_anchors = true;    // false: fixed anchors (the `anchors` below)
  int64_t anchor_candidates = 6;  // per scale, the generator's candidates; top num_anchors chosen
  // Per scale, num_anchors (w, h) in pixels, sorted by area: the fixed anchors, and the generator's base shapes
  // (k-means). Empty: YOLOv5's default anchors scaled by image_size / 640 (3 scales of 3 anchors only).
  std::vector<std::vector<std::array<double, 2>>> anchors;
  std::string attention = "se";  // "se", "cbam" (light spatial+channel) or "none"

  // Added by the model's owner (not in the shared contract):
  int64_t max_channels = 1024;  // the reference widths are capped here before width_multiple (YOLOv8's max_channels)
  int64_t image_size = 640;     // the training image size: scales the objectness bias prior and default anchors
  double anchor_range = 1.0;    // dynamic: a candidate's w, h move within base * exp(+-anchor_range)

  // YOLOv5n-like widths 16..128 (max_channels 512), one bottleneck per C3, 128x128 images: trains on 2 CPU cores.
  static YoloConfig nano(int64_t num_classes);
  // YOLOv5s widths (32..512), YOLOv5's depths, 640x640 images: a larger one for GPUs.
  static YoloConfig small(int64_t num_classes);

  // The channels and repeats of a reference-yaml layer at this config's multiples.
  int64_t channels(int64_t reference) const;
  int64_t depth(int64_t reference) const;
  // `anchors`, or the scaled YOLOv5 defaults when empty; throws ValueError when the config is inconsistent
  // (anchors per scale != num_anchors, strides not 8/16/32, candidates < num_anchors, unknown attention, ...).
  std::vector<std::vector<std::array<double, 2>>> resolved_anchors() const;
  void validate() const;
};

}  // namespace seek::models::yolo

// YoloConfig: YOLOv5's width / depth arithmetic, the two sizes, the default anchors and the checks.
#include "seek/models/yolo/yolo_config.h"

#include <algorithm>
#include <cmath>

#include "seek/core/error.h"

namespace seek::models::yolo {

YoloConfig YoloConfig::nano(int64_t num_classes) {
  YoloConfig c;
  c.num_classes = num_classes;
  c.width_multiple = 0.25;
  c.depth_multiple = 0.1;  // every C3 has one bottleneck (YOLOv5n's 0.33 gives 1, 2, 3, 1)
  c.max_channels = 512;    // widths 16, 32, 64, 128, 128
  c.image_size = 128;
  return c;
}

YoloConfig YoloConfig::small(int64_t num_classes) {
  YoloConfig c;
  c.num_classes = num_classes;
  c.width_multiple = 0.5;
  c.depth_multiple = 0.33;
  c.max_channels = 1024;
  c.image_size = 640;
  return c;
}

int64_t YoloConfig::channels(int64_t reference) const {
  // YOLOv5's make_divisible(c * gw, 8) is math.ceil(x / 8) * 8.
  const double scaled = static_cast<double>(std::min(reference, max_channels)) * width_multiple;
  return std::max<int64_t>(8, static_cast<int64_t>(std::ceil(scaled / 8.0)) * 8);
}

int64_t YoloConfig::depth(int64_t reference) const {
  return std::max<int64_t>(1, static_cast<int64_t>(std::llround(static_cast<double>(reference) * depth_multiple)));
}

void YoloConfig::validate() const {
  SEEK_CHECK_VALUE(num_classes > 0, "YoloConfig: num_classes must be positive, got ", num_classes);
  SEEK_CHECK_VALUE(in_channels > 0, "YoloConfig: in_channels must be positive, got ", in_channels);
  SEEK_CHECK_VALUE(width_multiple > 0 && depth_multiple > 0, "YoloConfig: width_multiple and depth_multiple must be ",
                   "positive, got ", width_multiple, " and ", depth_multiple);
  SEEK_CHECK_VALUE(max_channels >= 8, "YoloConfig: max_channels must be at least 8, got ", max_channels);
  SEEK_CHECK_VALUE(strides == std::vector<int64_t>({8, 16, 32}),
                   "YoloConfig: strides must be {8, 16, 32} (P3, P4, P5 of the backbone)");
  SEEK_CHECK_VALUE(num_anchors > 0, "YoloConfig: num_anchors must be positive, got ", num_anchors);
  SEEK_CHECK_VALUE(!dynamic_anchors || anchor_candidates >= num_anchors, "YoloConfig: anchor_candidates (",
                   anchor_candidates, ") must be at least num_anchors (", num_anchors, ")");
  SEEK_CHECK_VALUE(anchor_range > 0, "YoloConfig: anchor_range must be positive, got ", anchor_range);
  SEEK_CHECK_VALUE(image_size > 0 && image_size % 32 == 0, "YoloConfig: image_size must be a positive multiple of ",
                   "32, got ", image_size);
  SEEK_CHECK_VALUE(attention == "se" || attention == "cbam" || attention == "none",
                   "YoloConfig: attention must be \"se\", \"cbam\" or \"none\", got \"", attention, "\"");
  resolved_anchors();  // checks the anchors
}

std::vector<std::vector<std::array<double, 2>>> YoloConfig::resolved_anchors() const {
  if (anchors.empty()) {
    SEEK_CHECK_VALUE(num_anchors == 3, "YoloConfig: the default anchors are 3 per scale; give `anchors` for ",
                     "num_anchors ", num_anchors);
    // YOLOv5's defaults for 640x640 (P3, P4, P5), scaled to image_size.
    const double k = static_cast<double>(image_size) / 640.0;
    const double d[3][3][2] = {
        {{10, 13}, {16, 30}, {33, 23}}, {{30, 61}, {62, 45}, {59, 119}}, {{116, 90}, {156, 198}, {373, 326}}};
    std::vector<std::vector<std::array<double, 2>>> out(3);
    for (int s = 0; s < 3; ++s)
      for (int a = 0; a < 3; ++a) out[s].push_back({d[s][a][0] * k, d[s][a][1] * k});
    return out;
  }
  SEEK_CHECK_VALUE(anchors.size() == strides.size(), "YoloConfig: anchors has ", anchors.size(),
                   " scales, expected one per stride (", strides.size(), ")");
  for (size_t s = 0; s < anchors.size(); ++s) {
    SEEK_CHECK_VALUE(static_cast<int64_t>(anchors[s].size()) == num_anchors, "YoloConfig: anchors[", s, "] has ",
                     anchors[s].size(), " shapes, expected num_anchors = ", num_anchors);
    for (size_t a = 0; a < anchors[s].size(); ++a)
      SEEK_CHECK_VALUE(anchors[s][a][0] > 0 && anchors[s][a][1] > 0, "YoloConfig: anchors[", s, "][", a,
                       "] must have a positive width and height, got (", anchors[s][a][0], ", ", anchors[s][a][1], ")");
  }
  return anchors;
}

}  // namespace seek::models::yolo

#pragma once
// The text of one YOLO label file (internal): "class cx cy w h" lines normalised by the image
// size with 6 decimals. Shared by write_yolo_labels and the generators, which write label
// files from their worker threads without building tensors.
#include <cstdint>
#include <cstdio>
#include <string>

namespace seek::data::detail {

inline std::string yolo_label_text(const float* xyxy, const int64_t* labels, size_t n, int64_t width, int64_t height) {
  std::string text;
  char line[160];
  const double w = static_cast<double>(width), h = static_cast<double>(height);
  for (size_t i = 0; i < n; ++i) {
    const double x1 = xyxy[4 * i], y1 = xyxy[4 * i + 1], x2 = xyxy[4 * i + 2], y2 = xyxy[4 * i + 3];
    std::snprintf(line, sizeof line, "%lld %.6f %.6f %.6f %.6f\n", static_cast<long long>(labels[i]), (x1 + x2) / 2 / w,
                  (y1 + y2) / 2 / h, (x2 - x1) / w, (y2 - y1) / h);
    text += line;
  }
  return text;
}

}  // namespace seek::data::detail

#pragma once
// Detection ground truth: one record per image (the structs only; the readers and
// writers of YOLO folders and COCO json live with the data-generation work).
#include <cstdint>
#include <string>
#include <vector>

#include "seek/core/tensor.h"

namespace seek::data {

struct DetectionRecord {  // one image and its ground truth
  std::string image_path;
  int64_t image_id = 0;
  int64_t width = 0, height = 0;
  Tensor boxes;   // float32 [n, 4] xyxy, pixels of the original image
  Tensor labels;  // int64 [n], 0-based class index
};
struct DetectionSet {
  std::vector<DetectionRecord> records;
  std::vector<std::string> class_names;
};

}  // namespace seek::data

#pragma once
// Private to the detection transforms: float32 images and box/label lists moved
// between tensors and std::vectors (the loops work on the vectors).
#include <cstring>
#include <vector>

#include "seek/core/tensor.h"
#include "seek/ops/creation.h"

namespace seek::data::detection_detail {

// A new contiguous float32 [c, h, w] image filled with `value`.
inline Tensor new_image(int64_t c, int64_t h, int64_t w, float value) {
  Tensor t = empty({c, h, w}, TensorOptions(kFloat32));
  float* p = t.data_ptr<float>();
  std::fill(p, p + c * h * w, value);
  return t;
}

// Boxes (contiguous float32 [n, 4]) as 4n floats, and back.
inline std::vector<float> box_vector(const Tensor& boxes) {
  const float* p = boxes.data_ptr<float>();
  return std::vector<float>(p, p + boxes.numel());
}
inline Tensor boxes_tensor(const std::vector<float>& b) {
  Tensor t = empty({static_cast<int64_t>(b.size() / 4), 4}, TensorOptions(kFloat32));
  if (!b.empty()) std::memcpy(t.data_ptr<float>(), b.data(), b.size() * sizeof(float));
  return t;
}
inline std::vector<int64_t> label_vector(const Tensor& labels) {
  const int64_t* p = labels.data_ptr<int64_t>();
  return std::vector<int64_t>(p, p + labels.numel());
}
inline Tensor labels_tensor(const std::vector<int64_t>& l) {
  Tensor t = empty({static_cast<int64_t>(l.size())}, TensorOptions(kInt64));
  if (!l.empty()) std::memcpy(t.data_ptr<int64_t>(), l.data(), l.size() * sizeof(int64_t));
  return t;
}

}  // namespace seek::data::detection_detail

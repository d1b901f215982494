#pragma once
// Helpers of the detection-augmentation tests: scenes of solid coloured
// rectangles on grey, and the check that each box lies on the pixels of its
// colour (label k = colour k: 0 red, 1 green, 2 blue).
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <vector>

#include "seek/data/detection_transforms.h"
#include "seek/seek.h"

namespace seek::testing {

struct Rect {
  int64_t x1, y1, x2, y2, colour;  // pixels [x1, x2) x [y1, y2)
};

// Grey (0.5) [3, h, w] image with the rectangles in pure red / green / blue.
inline Tensor scene(int64_t h, int64_t w, const std::vector<Rect>& rects) {
  std::vector<float> v(static_cast<size_t>(3 * h * w), 0.5f);
  for (const Rect& r : rects)
    for (int64_t ch = 0; ch < 3; ++ch)
      for (int64_t y = r.y1; y < r.y2; ++y)
        for (int64_t x = r.x1; x < r.x2; ++x) v[static_cast<size_t>((ch * h + y) * w + x)] = ch == r.colour ? 1.f : 0.f;
  return tensor(v, {3, h, w}, TensorOptions(kFloat32));
}

inline data::BoxedImage boxed_scene(int64_t h, int64_t w, const std::vector<Rect>& rects) {
  std::vector<float> b;
  std::vector<int64_t> l;
  for (const Rect& r : rects) {
    b.insert(b.end(),
             {static_cast<float>(r.x1), static_cast<float>(r.y1), static_cast<float>(r.x2), static_cast<float>(r.y2)});
    l.push_back(r.colour);
  }
  return {scene(h, w, rects), tensor(b, {static_cast<int64_t>(rects.size()), 4}, TensorOptions(kFloat32)),
          tensor(l, {static_cast<int64_t>(rects.size())}, TensorOptions(kInt64))};
}

// Pixel (y, x) shows colour k when channel k exceeds both others by more than
// 0.25 (a pixel at least about a quarter covered by the rectangle).
inline bool shows(const std::vector<float>& img, int64_t h, int64_t w, int64_t y, int64_t x, int64_t k) {
  const size_t n = static_cast<size_t>(h * w), i = static_cast<size_t>(y * w + x);
  const float c = img[static_cast<size_t>(k) * n + i];
  const float o1 = img[static_cast<size_t>((k + 1) % 3) * n + i], o2 = img[static_cast<size_t>((k + 2) % 3) * n + i];
  return c - std::max(o1, o2) > 0.25f;
}

// The bounding box (continuous xyxy) of the pixels showing colour k inside
// `region` (xyxy, clipped to the image); {0, 0, 0, 0} when none.
inline std::array<double, 4> colour_bbox(const Tensor& image, int64_t k, std::array<double, 4> region) {
  const int64_t h = image.size(1), w = image.size(2);
  const std::vector<float> v = to_vector<float>(image);
  const auto x0 = std::max<int64_t>(0, static_cast<int64_t>(std::floor(region[0])));
  const auto y0 = std::max<int64_t>(0, static_cast<int64_t>(std::floor(region[1])));
  const auto x1 = std::min<int64_t>(w, static_cast<int64_t>(std::ceil(region[2])));
  const auto y1 = std::min<int64_t>(h, static_cast<int64_t>(std::ceil(region[3])));
  double bx1 = 1e9, by1 = 1e9, bx2 = -1e9, by2 = -1e9;
  for (int64_t y = y0; y < y1; ++y)
    for (int64_t x = x0; x < x1; ++x)
      if (shows(v, h, w, y, x, k)) {
        bx1 = std::min<double>(bx1, x), by1 = std::min<double>(by1, y);
        bx2 = std::max<double>(bx2, x + 1), by2 = std::max<double>(by2, y + 1);
      }
  if (bx2 < bx1) return {0, 0, 0, 0};
  return {bx1, by1, bx2, by2};
}

// Every box lies on its colour: the pixels of the box's colour within `margin`
// pixels around it have the box as their bounding box, up to `tol` per edge.
// Returns the number of boxes checked.
inline int64_t expect_boxes_on_colour(const Tensor& image, const Tensor& boxes, const Tensor& labels, double tol,
                                      double margin = 3.0) {
  const std::vector<float> b = to_vector<float>(boxes.contiguous());
  const std::vector<int64_t> l = to_vector<int64_t>(labels);
  EXPECT_EQ(b.size(), 4 * l.size());
  for (size_t i = 0; i < l.size(); ++i) {
    const std::array<double, 4> box = {b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3]};
    const std::array<double, 4> got =
        colour_bbox(image, l[i], {box[0] - margin, box[1] - margin, box[2] + margin, box[3] + margin});
    EXPECT_GT(got[2] - got[0], 0.0) << "box " << i << " of colour " << l[i] << " covers no pixel of its colour";
    for (int k = 0; k < 4; ++k)
      EXPECT_NEAR(got[k], box[k], tol) << "box " << i << " (colour " << l[i] << ") edge " << k << ": box (" << box[0]
                                       << ", " << box[1] << ", " << box[2] << ", " << box[3]
                                       << "), its colour's pixels span (" << got[0] << ", " << got[1] << ", " << got[2]
                                       << ", " << got[3] << ")";
  }
  return static_cast<int64_t>(l.size());
}

}  // namespace seek::testing

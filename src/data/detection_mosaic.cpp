// YOLOv5's mosaic: four images pasted around a centre of a 2S x 2S canvas. Each
// piece keeps the corner that touches the centre; the canvas edge cuts the rest,
// so the piece's boxes only need a shift and a clip to the canvas.
#include <algorithm>
#include <cstring>

#include "detection_image.h"
#include "seek/core/error.h"
#include "seek/data/detection_transforms.h"

namespace seek::data {

using detection_detail::box_vector;
using detection_detail::boxes_tensor;
using detection_detail::label_vector;
using detection_detail::labels_tensor;
using detection_detail::new_image;

std::array<int64_t, 2> random_mosaic_centre(int64_t size, Generator* generator) {
  SEEK_CHECK_VALUE(size > 0, "random_mosaic_centre: size must be positive, got ", size);
  const double s = static_cast<double>(size), b = static_cast<double>(size / 2);
  const auto xc = static_cast<int64_t>(draw_uniform(generator, b, 2.0 * s - b));
  const auto yc = static_cast<int64_t>(draw_uniform(generator, b, 2.0 * s - b));
  return {xc, yc};
}

BoxedImage mosaic(const std::array<BoxedImage, 4>& pieces, int64_t size, int64_t xc, int64_t yc, double pad_value) {
  SEEK_CHECK_VALUE(size > 0, "mosaic: size must be positive, got ", size);
  const int64_t s2 = 2 * size;
  SEEK_CHECK_VALUE(xc >= 0 && xc <= s2 && yc >= 0 && yc <= s2, "mosaic: the centre (", xc, ", ", yc,
                   ") is outside the ", s2, "x", s2, " canvas");
  std::array<BoxedImage, 4> in;
  for (size_t i = 0; i < 4; ++i) in[i] = checked_boxed_image(pieces[i], "mosaic");
  const int64_t c = in[0].image.size(0);
  for (size_t i = 1; i < 4; ++i)
    SEEK_CHECK_SHAPE(in[i].image.size(0) == c, "mosaic: piece ", i, " has ", in[i].image.size(0),
                     " channels, piece 0 has ", c);
  Tensor canvas = new_image(c, s2, s2, static_cast<float>(pad_value));
  float* dst = canvas.data_ptr<float>();
  std::vector<float> boxes;
  std::vector<int64_t> labels;
  for (int64_t i = 0; i < 4; ++i) {
    const BoxedImage& p = in[static_cast<size_t>(i)];
    const int64_t h = p.image.size(1), w = p.image.size(2);
    // (x1a, y1a, x2a, y2a): the window on the canvas; (x1b, y1b, ...): the part of the piece.
    int64_t x1a, y1a, x2a, y2a, x1b, y1b, x2b, y2b;
    if (i == 0) {  // top left
      x1a = std::max<int64_t>(xc - w, 0), y1a = std::max<int64_t>(yc - h, 0), x2a = xc, y2a = yc;
      x1b = w - (x2a - x1a), y1b = h - (y2a - y1a), x2b = w, y2b = h;
    } else if (i == 1) {  // top right
      x1a = xc, y1a = std::max<int64_t>(yc - h, 0), x2a = std::min(xc + w, s2), y2a = yc;
      x1b = 0, y1b = h - (y2a - y1a), x2b = std::min(w, x2a - x1a), y2b = h;
    } else if (i == 2) {  // bottom left
      x1a = std::max<int64_t>(xc - w, 0), y1a = yc, x2a = xc, y2a = std::min(s2, yc + h);
      x1b = w - (x2a - x1a), y1b = 0, x2b = w, y2b = std::min(y2a - y1a, h);
    } else {  // bottom right
      x1a = xc, y1a = yc, x2a = std::min(xc + w, s2), y2a = std::min(s2, yc + h);
      x1b = 0, y1b = 0, x2b = std::min(w, x2a - x1a), y2b = std::min(y2a - y1a, h);
    }
    const int64_t cw = x2b - x1b, chh = y2b - y1b;
    const float* src = p.image.data_ptr<float>();
    if (cw > 0 && chh > 0) {
      for (int64_t ch = 0; ch < c; ++ch)
        for (int64_t y = 0; y < chh; ++y)
          std::memcpy(dst + (ch * s2 + y1a + y) * s2 + x1a, src + (ch * h + y1b + y) * w + x1b,
                      static_cast<size_t>(cw) * sizeof(float));
    }
    const auto padw = static_cast<float>(x1a - x1b), padh = static_cast<float>(y1a - y1b);
    const std::vector<float> b = box_vector(p.boxes);
    const std::vector<int64_t> l = label_vector(p.labels);
    for (size_t k = 0; k < l.size(); ++k) {
      const float lim = static_cast<float>(s2);
      const float bx1 = std::clamp(b[4 * k] + padw, 0.0f, lim), by1 = std::clamp(b[4 * k + 1] + padh, 0.0f, lim);
      const float bx2 = std::clamp(b[4 * k + 2] + padw, 0.0f, lim), by2 = std::clamp(b[4 * k + 3] + padh, 0.0f, lim);
      if (bx2 <= bx1 || by2 <= by1) continue;  // entirely off the canvas
      boxes.insert(boxes.end(), {bx1, by1, bx2, by2});
      labels.push_back(l[k]);
    }
  }
  return {canvas, boxes_tensor(boxes), labels_tensor(labels)};
}

}  // namespace seek::data

// rotate, resized_crop, RandomRotation, RandomResizedCrop: CPU loops in float64
// over a [C, H, W] image (see seek/data/transforms.h for the exact semantics).
#include <algorithm>
#include <cmath>

#include "seek/core/error.h"
#include "seek/data/transforms.h"
#include "seek/ops/creation.h"
#include "seek/ops/random.h"
#include "transforms_image.h"

namespace seek::data::transforms {
namespace {

constexpr double kPi = 3.14159265358979323846;

using detail::check_image;
using detail::Image;
using detail::read_image;
using detail::write_image;

std::vector<double> channel_fill(const char* op, const std::vector<double>& fill, int64_t c) {
  const auto n = static_cast<int64_t>(fill.size());
  SEEK_CHECK_SHAPE(n == 1 || n == c, op, ": fill has ", n, " values for an image with ", c, " channels, expected 1 or ",
                   c);
  return n == 1 ? std::vector<double>(static_cast<size_t>(c), fill[0]) : fill;
}

std::pair<double, double> symmetric_degrees(double degrees) {
  SEEK_CHECK_VALUE(degrees >= 0.0, "RandomRotation: a single degrees value must be >= 0, got ", degrees);
  return {-degrees, degrees};
}

}  // namespace

Tensor rotate(const Tensor& img, double angle, InterpolationMode interpolation, const std::vector<double>& fill) {
  Image in = read_image("rotate", img);
  const bool masked = !fill.empty();
  const std::vector<double> fv = masked ? channel_fill("rotate", fill, in.c) : std::vector<double>{};
  const double a = angle * kPi / 180.0, ca = std::cos(a), sa = std::sin(a);
  const double cx = 0.5 * static_cast<double>(in.w - 1), cy = 0.5 * static_cast<double>(in.h - 1);
  const int64_t plane = in.h * in.w;
  std::vector<double> out(static_cast<size_t>(in.c * plane), 0.0);
  auto inside = [&](int64_t y, int64_t x) { return y >= 0 && y < in.h && x >= 0 && x < in.w; };
  for (int64_t i = 0; i < in.h; ++i) {
    for (int64_t j = 0; j < in.w; ++j) {
      const double xo = static_cast<double>(j) - cx, yo = static_cast<double>(i) - cy;
      const double sx = ca * xo - sa * yo + cx, sy = sa * xo + ca * yo + cy;
      const size_t o = static_cast<size_t>(i * in.w + j);
      if (interpolation == InterpolationMode::Nearest) {
        const auto x = static_cast<int64_t>(std::nearbyint(sx)), y = static_cast<int64_t>(std::nearbyint(sy));
        const bool hit = inside(y, x);
        for (int64_t ch = 0; ch < in.c; ++ch) {
          double s = hit ? in.at(ch, y, x) : 0.0;
          if (masked && !hit) s = fv[static_cast<size_t>(ch)];
          out[static_cast<size_t>(ch * plane) + o] = s;
        }
        continue;
      }
      const double fx = std::floor(sx), fy = std::floor(sy);
      const auto x0 = static_cast<int64_t>(fx), y0 = static_cast<int64_t>(fy);
      const double tx = sx - fx, ty = sy - fy;
      const int64_t ys[2] = {y0, y0 + 1}, xs[2] = {x0, x0 + 1};
      const double wy[2] = {1.0 - ty, ty}, wx[2] = {1.0 - tx, tx};
      double mask = 0.0;
      for (int dy = 0; dy < 2; ++dy)
        for (int dx = 0; dx < 2; ++dx)
          if (inside(ys[dy], xs[dx])) mask += wy[dy] * wx[dx];
      for (int64_t ch = 0; ch < in.c; ++ch) {
        double s = 0.0;
        for (int dy = 0; dy < 2; ++dy)
          for (int dx = 0; dx < 2; ++dx)
            if (inside(ys[dy], xs[dx])) s += wy[dy] * wx[dx] * in.at(ch, ys[dy], xs[dx]);
        if (masked) s = s * mask + (1.0 - mask) * fv[static_cast<size_t>(ch)];
        out[static_cast<size_t>(ch * plane) + o] = s;
      }
    }
  }
  return write_image(out, in.c, in.h, in.w, img.dtype());
}

Tensor resized_crop(const Tensor& img, int64_t top, int64_t left, int64_t height, int64_t width,
                    std::pair<int64_t, int64_t> size, InterpolationMode interpolation) {
  Image in = read_image("resized_crop", img);
  SEEK_CHECK_VALUE(height > 0 && width > 0, "resized_crop: crop size must be positive, got ", height, "x", width);
  const auto [oh, ow] = size;
  SEEK_CHECK_VALUE(oh > 0 && ow > 0, "resized_crop: output size must be positive, got ", oh, "x", ow);
  // Crop pixel (y, x) is image pixel (top + y, left + x), 0 outside the image.
  auto crop_at = [&](int64_t ch, int64_t y, int64_t x) {
    const int64_t r = top + y, c = left + x;
    return r >= 0 && r < in.h && c >= 0 && c < in.w ? in.at(ch, r, c) : 0.0;
  };
  const double scale_y = static_cast<double>(height) / static_cast<double>(oh);
  const double scale_x = static_cast<double>(width) / static_cast<double>(ow);
  std::vector<double> out(static_cast<size_t>(in.c * oh * ow));
  for (int64_t i = 0; i < oh; ++i) {
    for (int64_t j = 0; j < ow; ++j) {
      for (int64_t ch = 0; ch < in.c; ++ch) {
        double v;
        if (interpolation == InterpolationMode::Nearest) {
          const int64_t y = std::min(static_cast<int64_t>(std::floor(static_cast<double>(i) * scale_y)), height - 1);
          const int64_t x = std::min(static_cast<int64_t>(std::floor(static_cast<double>(j) * scale_x)), width - 1);
          v = crop_at(ch, y, x);
        } else {
          const double sy = std::max((static_cast<double>(i) + 0.5) * scale_y - 0.5, 0.0);
          const double sx = std::max((static_cast<double>(j) + 0.5) * scale_x - 0.5, 0.0);
          const auto y0 = static_cast<int64_t>(sy), x0 = static_cast<int64_t>(sx);
          const int64_t y1 = std::min(y0 + 1, height - 1), x1 = std::min(x0 + 1, width - 1);
          const double ty = sy - static_cast<double>(y0), tx = sx - static_cast<double>(x0);
          v = (1.0 - ty) * ((1.0 - tx) * crop_at(ch, y0, x0) + tx * crop_at(ch, y0, x1)) +
              ty * ((1.0 - tx) * crop_at(ch, y1, x0) + tx * crop_at(ch, y1, x1));
        }
        out[static_cast<size_t>((ch * oh + i) * ow + j)] = v;
      }
    }
  }
  return write_image(out, in.c, oh, ow, img.dtype());
}

RandomRotation::RandomRotation(double degrees, InterpolationMode interpolation, std::vector<double> fill)
    : RandomRotation(symmetric_degrees(degrees), interpolation, std::move(fill)) {}

RandomRotation::RandomRotation(std::pair<double, double> degrees, InterpolationMode interpolation,
                               std::vector<double> fill)
    : degrees_(degrees), interpolation_(interpolation), fill_(std::move(fill)) {
  SEEK_CHECK_VALUE(std::isfinite(degrees.first) && std::isfinite(degrees.second) && degrees.first <= degrees.second,
                   "RandomRotation: degrees must be a finite range (min, max) with min <= max, got (", degrees.first,
                   ", ", degrees.second, ")");
}

double RandomRotation::get_params(Generator* generator) const {
  const double u = rand({1}, TensorOptions(kFloat64), generator).item<double>();
  return degrees_.first + (degrees_.second - degrees_.first) * u;
}

Tensor RandomRotation::operator()(const Tensor& x, Generator* generator) const {
  check_image("RandomRotation", x);  // validate before drawing
  return rotate(x, get_params(generator), interpolation_, fill_);
}

RandomResizedCrop::RandomResizedCrop(int64_t size, std::pair<double, double> scale, std::pair<double, double> ratio,
                                     InterpolationMode interpolation)
    : RandomResizedCrop(std::pair<int64_t, int64_t>{size, size}, scale, ratio, interpolation) {}

RandomResizedCrop::RandomResizedCrop(std::pair<int64_t, int64_t> size, std::pair<double, double> scale,
                                     std::pair<double, double> ratio, InterpolationMode interpolation)
    : size_(size), scale_(scale), ratio_(ratio), interpolation_(interpolation) {
  SEEK_CHECK_VALUE(size.first > 0 && size.second > 0, "RandomResizedCrop: size must be positive, got ", size.first, "x",
                   size.second);
  SEEK_CHECK_VALUE(scale.first > 0.0 && scale.first <= scale.second,
                   "RandomResizedCrop: scale must be (min, max) with 0 < min <= max, got (", scale.first, ", ",
                   scale.second, ")");
  SEEK_CHECK_VALUE(ratio.first > 0.0 && ratio.first <= ratio.second,
                   "RandomResizedCrop: ratio must be (min, max) with 0 < min <= max, got (", ratio.first, ", ",
                   ratio.second, ")");
}

CropBox RandomResizedCrop::get_params(int64_t height, int64_t width, std::pair<double, double> scale,
                                      std::pair<double, double> ratio, Generator* generator) {
  SEEK_CHECK_VALUE(height > 0 && width > 0, "RandomResizedCrop: image size must be positive, got ", height, "x", width);
  const double area = static_cast<double>(height) * static_cast<double>(width);
  const double log_lo = std::log(ratio.first), log_hi = std::log(ratio.second);
  for (int attempt = 0; attempt < 10; ++attempt) {
    auto u = to_vector<double>(rand({2}, TensorOptions(kFloat64), generator));
    const double target_area = area * (scale.first + (scale.second - scale.first) * u[0]);
    const double aspect = std::exp(log_lo + (log_hi - log_lo) * u[1]);
    const auto w = static_cast<int64_t>(std::nearbyint(std::sqrt(target_area * aspect)));
    const auto h = static_cast<int64_t>(std::nearbyint(std::sqrt(target_area / aspect)));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      auto v = to_vector<double>(rand({2}, TensorOptions(kFloat64), generator));
      const int64_t top = std::min(static_cast<int64_t>(v[0] * static_cast<double>(height - h + 1)), height - h);
      const int64_t left = std::min(static_cast<int64_t>(v[1] * static_cast<double>(width - w + 1)), width - w);
      return {top, left, h, w};
    }
  }
  // Fallback: centre crop, narrowed to the closest ratio in range.
  const double in_ratio = static_cast<double>(width) / static_cast<double>(height);
  int64_t w = width, h = height;
  if (in_ratio < ratio.first) {
    h = static_cast<int64_t>(std::nearbyint(static_cast<double>(w) / ratio.first));
  } else if (in_ratio > ratio.second) {
    w = static_cast<int64_t>(std::nearbyint(static_cast<double>(h) * ratio.second));
  }
  return {(height - h) / 2, (width - w) / 2, h, w};
}

Tensor RandomResizedCrop::operator()(const Tensor& x, Generator* generator) const {
  check_image("RandomResizedCrop", x);  // validate before drawing
  CropBox box = get_params(x.size(1), x.size(2), scale_, ratio_, generator);
  return resized_crop(x, box.top, box.left, box.height, box.width, size_, interpolation_);
}

}  // namespace seek::data::transforms

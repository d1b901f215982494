// rgb_to_grayscale, adjust_brightness / contrast / saturation / hue and
// ColorJitter: CPU loops in float64 with torchvision's formulas (its HSV
// conversion included), see seek/data/transforms.h.
#include <algorithm>
#include <cmath>

#include "seek/core/error.h"
#include "seek/data/transforms.h"
#include "seek/ops/creation.h"
#include "seek/ops/random.h"
#include "transforms_image.h"

namespace seek::data::transforms {
namespace {

using detail::Image;
using detail::write_image;

Image read_color_image(const char* op, const Tensor& img, bool rgb_only) {
  Image in = detail::read_image(op, img);
  SEEK_CHECK_SHAPE(in.c == 1 || in.c == 3, op, ": expected an image with 1 or 3 channels, got ", in.c);
  SEEK_CHECK_VALUE(!rgb_only || in.c == 3, op, ": needs an RGB image (3 channels), got 1 channel");
  return in;
}

double clamp01(double v) { return std::min(std::max(v, 0.0), 1.0); }

// Per-pixel luminance of an RGB image (or the single channel), row-major [H * W].
std::vector<double> gray_of(const Image& in) {
  const int64_t plane = in.h * in.w;
  std::vector<double> g(static_cast<size_t>(plane));
  for (int64_t p = 0; p < plane; ++p) {
    const auto k = static_cast<size_t>(p);
    g[k] = in.c == 1 ? in.v[k]
                     : 0.2989 * in.v[k] + 0.587 * in.v[k + static_cast<size_t>(plane)] +
                           0.114 * in.v[k + static_cast<size_t>(2 * plane)];
  }
  return g;
}

void check_factor(const char* op, double factor) {
  SEEK_CHECK_VALUE(std::isfinite(factor) && factor >= 0.0, op, ": factor must be a finite number >= 0, got ", factor);
}

// ColorJitter range from a single number v around `center`.
ColorJitter::Range range_around(const char* name, double v, double center, bool clip_at_zero) {
  SEEK_CHECK_VALUE(std::isfinite(v) && v >= 0.0, "ColorJitter: ", name, " must be >= 0, got ", v);
  return {clip_at_zero ? std::max(center - v, 0.0) : center - v, center + v};
}

void check_range(const char* name, const ColorJitter::Range& r, double lo, double hi) {
  SEEK_CHECK_VALUE(r.first >= lo && r.second <= hi && r.first <= r.second, "ColorJitter: ", name, " range (", r.first,
                   ", ", r.second, ") must satisfy ", lo, " <= min <= max <= ", hi);
}

}  // namespace

Tensor rgb_to_grayscale(const Tensor& img) {
  Image in = read_color_image("rgb_to_grayscale", img, false);
  return write_image(gray_of(in), 1, in.h, in.w, img.dtype());
}

Tensor adjust_brightness(const Tensor& img, double factor) {
  check_factor("adjust_brightness", factor);
  Image in = read_color_image("adjust_brightness", img, false);
  for (double& v : in.v) v = clamp01(factor * v);
  return write_image(in.v, in.c, in.h, in.w, img.dtype());
}

Tensor adjust_contrast(const Tensor& img, double factor) {
  check_factor("adjust_contrast", factor);
  Image in = read_color_image("adjust_contrast", img, false);
  auto g = gray_of(in);
  double mean = 0.0;
  for (double v : g) mean += v;
  mean /= static_cast<double>(std::max<size_t>(g.size(), 1));
  for (double& v : in.v) v = clamp01(factor * v + (1.0 - factor) * mean);
  return write_image(in.v, in.c, in.h, in.w, img.dtype());
}

Tensor adjust_saturation(const Tensor& img, double factor) {
  check_factor("adjust_saturation", factor);
  Image in = read_color_image("adjust_saturation", img, true);
  auto g = gray_of(in);
  const size_t plane = g.size();
  for (size_t k = 0; k < in.v.size(); ++k) in.v[k] = clamp01(factor * in.v[k] + (1.0 - factor) * g[k % plane]);
  return write_image(in.v, in.c, in.h, in.w, img.dtype());
}

Tensor adjust_hue(const Tensor& img, double factor) {
  SEEK_CHECK_VALUE(factor >= -0.5 && factor <= 0.5, "adjust_hue: factor must be in [-0.5, 0.5], got ", factor);
  Image in = read_color_image("adjust_hue", img, true);
  const auto plane = static_cast<size_t>(in.h * in.w);
  for (size_t k = 0; k < plane; ++k) {
    double& r = in.v[k];
    double& g = in.v[k + plane];
    double& b = in.v[k + 2 * plane];
    // RGB -> HSV (torchvision's _rgb2hsv).
    const double maxc = std::max({r, g, b}), minc = std::min({r, g, b});
    const bool eqc = maxc == minc;
    const double cr = maxc - minc;
    const double s = cr / (eqc ? 1.0 : maxc);
    const double div = eqc ? 1.0 : cr;
    const double rc = (maxc - r) / div, gc = (maxc - g) / div, bc = (maxc - b) / div;
    double h;
    if (maxc == r) {
      h = bc - gc;
    } else if (maxc == g) {
      h = 2.0 + rc - bc;
    } else {
      h = 4.0 + gc - rc;
    }
    h = std::fmod(h / 6.0 + 1.0, 1.0);
    // Shift, then HSV -> RGB (torchvision's _hsv2rgb).
    h = h + factor;
    h -= std::floor(h);
    const double v = maxc;
    const double i = std::floor(h * 6.0), f = h * 6.0 - i;
    const double p = clamp01(v * (1.0 - s)), q = clamp01(v * (1.0 - s * f)), t = clamp01(v * (1.0 - s * (1.0 - f)));
    switch (static_cast<int>(i) % 6) {
      case 0: r = v, g = t, b = p; break;
      case 1: r = q, g = v, b = p; break;
      case 2: r = p, g = v, b = t; break;
      case 3: r = p, g = q, b = v; break;
      case 4: r = t, g = p, b = v; break;
      default: r = v, g = p, b = q; break;
    }
  }
  return write_image(in.v, in.c, in.h, in.w, img.dtype());
}

ColorJitter::ColorJitter(double brightness, double contrast, double saturation, double hue)
    : ColorJitter(range_around("brightness", brightness, 1.0, true), range_around("contrast", contrast, 1.0, true),
                  range_around("saturation", saturation, 1.0, true), range_around("hue", hue, 0.0, false)) {}

ColorJitter::ColorJitter(Range brightness, Range contrast, Range saturation, Range hue)
    : brightness_(brightness), contrast_(contrast), saturation_(saturation), hue_(hue) {
  const double inf = HUGE_VAL;
  check_range("brightness", brightness_, 0.0, inf);
  check_range("contrast", contrast_, 0.0, inf);
  check_range("saturation", saturation_, 0.0, inf);
  check_range("hue", hue_, -0.5, 0.5);
}

ColorJitter::Params ColorJitter::get_params(Generator* generator) const {
  Params p;
  p.order = to_vector<int64_t>(randperm(4, TensorOptions(kInt64), generator));
  auto u = to_vector<double>(rand({4}, TensorOptions(kFloat64), generator));
  const Range* ranges[4] = {&brightness_, &contrast_, &saturation_, &hue_};
  for (size_t k = 0; k < 4; ++k) p.factors.push_back(ranges[k]->first + (ranges[k]->second - ranges[k]->first) * u[k]);
  return p;
}

Tensor ColorJitter::operator()(const Tensor& x, Generator* generator) const {
  const bool use[4] = {brightness_ != Range{1.0, 1.0}, contrast_ != Range{1.0, 1.0}, saturation_ != Range{1.0, 1.0},
                       hue_ != Range{0.0, 0.0}};
  detail::check_image("ColorJitter", x);
  SEEK_CHECK_SHAPE(x.size(0) == 1 || x.size(0) == 3, "ColorJitter: expected an image with 1 or 3 channels, got ",
                   x.size(0));
  SEEK_CHECK_VALUE(x.size(0) == 3 || (!use[2] && !use[3]),
                   "ColorJitter: saturation and hue need an RGB image (3 channels), got 1 channel");
  Params p = get_params(generator);
  Tensor out = x;
  for (int64_t k : p.order) {
    const double f = p.factors[static_cast<size_t>(k)];
    if (!use[k]) continue;
    if (k == 0) out = adjust_brightness(out, f);
    if (k == 1) out = adjust_contrast(out, f);
    if (k == 2) out = adjust_saturation(out, f);
    if (k == 3) out = adjust_hue(out, f);
  }
  return out;
}

}  // namespace seek::data::transforms

// Detection transforms (letterbox, perspective warp, flips, HSV) as direct loops
// over float32 planes. Resizing is separable: per axis a table of (source
// index, weight) taps per output index (2 bilinear taps, or the overlapped
// source pixels with their overlap when shrinking, i.e. area averaging), run
// horizontally then vertically. The warp inverts the 3x3 matrix once and samples
// every output pixel centre bilinearly.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "detection_image.h"
#include "seek/core/error.h"
#include "seek/data/detection_transforms.h"
#include "seek/ops/creation.h"

namespace seek::data {
namespace {

using detection_detail::box_vector;
using detection_detail::boxes_tensor;
using detection_detail::label_vector;
using detection_detail::labels_tensor;
using detection_detail::new_image;

constexpr double kPi = 3.14159265358979323846;

struct Taps {
  std::vector<int64_t> start;  // first tap of output index o in idx/weight
  std::vector<int64_t> idx;
  std::vector<float> weight;
};

// Taps for out_n output pixels sampling an axis of in_n pixels at scale
// `ratio` (output = input * ratio): bilinear at the mapped centre when
// enlarging, the overlap of [o / ratio, (o + 1) / ratio) when shrinking.
Taps axis_taps(int64_t in_n, int64_t out_n, double ratio) {
  Taps t;
  t.start.reserve(static_cast<size_t>(out_n) + 1);
  for (int64_t o = 0; o < out_n; ++o) {
    t.start.push_back(static_cast<int64_t>(t.idx.size()));
    if (ratio >= 1.0) {
      const double s = (static_cast<double>(o) + 0.5) / ratio - 0.5;
      const double f = std::floor(s);
      const double a = s - f;
      const auto i0 = static_cast<int64_t>(f);
      t.idx.push_back(std::clamp<int64_t>(i0, 0, in_n - 1));
      t.weight.push_back(static_cast<float>(1.0 - a));
      t.idx.push_back(std::clamp<int64_t>(i0 + 1, 0, in_n - 1));
      t.weight.push_back(static_cast<float>(a));
    } else {
      const double lo = static_cast<double>(o) / ratio;
      const double hi = std::min(static_cast<double>(o + 1) / ratio, static_cast<double>(in_n));
      double total = 0.0;
      const size_t first = t.weight.size();
      for (auto i = static_cast<int64_t>(std::floor(lo)); static_cast<double>(i) < hi && i < in_n; ++i) {
        const double w = std::min(hi, static_cast<double>(i + 1)) - std::max(lo, static_cast<double>(i));
        if (w <= 0.0) continue;
        t.idx.push_back(i);
        t.weight.push_back(static_cast<float>(w));
        total += w;
      }
      if (total <= 0.0) {  // past the input's end (rounding of the output size): repeat the last pixel
        t.idx.push_back(in_n - 1);
        t.weight.push_back(1.0f);
        total = 1.0;
      }
      for (size_t k = first; k < t.weight.size(); ++k) t.weight[k] = static_cast<float>(t.weight[k] / total);
    }
  }
  t.start.push_back(static_cast<int64_t>(t.idx.size()));
  return t;
}

// Resamples a [c, h, w] image by `ratio` into the nh x nw window at (y0, x0) of
// the dh x dw destination planes.
void resize_into(const float* src, int64_t c, int64_t h, int64_t w, double ratio, float* dst, int64_t dh, int64_t dw,
                 int64_t y0, int64_t x0, int64_t nh, int64_t nw) {
  const Taps tx = axis_taps(w, nw, ratio), ty = axis_taps(h, nh, ratio);
  std::vector<float> tmp(static_cast<size_t>(h * nw));
  for (int64_t ch = 0; ch < c; ++ch) {
    const float* plane = src + ch * h * w;
    for (int64_t i = 0; i < h; ++i) {
      const float* row = plane + i * w;
      float* out = tmp.data() + i * nw;
      for (int64_t j = 0; j < nw; ++j) {
        float s = 0.0f;
        for (int64_t k = tx.start[j]; k < tx.start[j + 1]; ++k) s += tx.weight[k] * row[tx.idx[k]];
        out[j] = s;
      }
    }
    float* dplane = dst + ch * dh * dw;
    for (int64_t i = 0; i < nh; ++i) {
      float* out = dplane + (y0 + i) * dw + x0;
      std::fill(out, out + nw, 0.0f);
      for (int64_t k = ty.start[i]; k < ty.start[i + 1]; ++k) {
        const float wk = ty.weight[k];
        const float* row = tmp.data() + ty.idx[k] * nw;
        for (int64_t j = 0; j < nw; ++j) out[j] += wk * row[j];
      }
    }
  }
}

Matrix3 mul(const Matrix3& a, const Matrix3& b) {
  Matrix3 r{};
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 3; ++k) r[i * 3 + j] += a[i * 3 + k] * b[k * 3 + j];
  return r;
}

Matrix3 identity() { return {1, 0, 0, 0, 1, 0, 0, 0, 1}; }

Matrix3 inverse(const Matrix3& m) {
  const double a = m[0], b = m[1], c = m[2], d = m[3], e = m[4], f = m[5], g = m[6], h = m[7], i = m[8];
  const double A = e * i - f * h, B = -(d * i - f * g), C = d * h - e * g;
  const double det = a * A + b * B + c * C;
  SEEK_CHECK_VALUE(std::abs(det) > 1e-12, "warp_perspective: the matrix is singular (determinant ", det, ")");
  const double r = 1.0 / det;
  return {A * r, -(b * i - c * h) * r, (b * f - c * e) * r, B * r, (a * i - c * g) * r, -(a * f - c * d) * r,
          C * r, -(a * h - b * g) * r, (a * e - b * d) * r};
}

struct Point {
  double x, y;
};

// Sutherland-Hodgman: the part of the polygon on the side of the line where
// inside(p) holds; cut(p, q) is where the edge p -> q crosses the line.
template <typename Inside, typename Cut>
std::vector<Point> clip_half(const std::vector<Point>& poly, Inside inside, Cut cut) {
  std::vector<Point> out;
  for (size_t i = 0; i < poly.size(); ++i) {
    const Point& p = poly[i];
    const Point& q = poly[(i + 1) % poly.size()];
    const bool pin = inside(p), qin = inside(q);
    if (pin) out.push_back(p);
    if (pin != qin) out.push_back(cut(p, q));
  }
  return out;
}

// The bounding box of a convex polygon clipped to [0, w] x [0, h]; a zero box
// when nothing is left.
std::array<double, 4> clipped_bbox(std::vector<Point> poly, double w, double h) {
  auto at_x = [](const Point& p, const Point& q, double x) {
    const double t = (x - p.x) / (q.x - p.x);
    return Point{x, p.y + t * (q.y - p.y)};
  };
  auto at_y = [](const Point& p, const Point& q, double y) {
    const double t = (y - p.y) / (q.y - p.y);
    return Point{p.x + t * (q.x - p.x), y};
  };
  poly = clip_half(
      poly, [](const Point& p) { return p.x >= 0.0; }, [&](auto& p, auto& q) { return at_x(p, q, 0.0); });
  poly = clip_half(
      poly, [&](const Point& p) { return p.x <= w; }, [&](auto& p, auto& q) { return at_x(p, q, w); });
  poly = clip_half(
      poly, [](const Point& p) { return p.y >= 0.0; }, [&](auto& p, auto& q) { return at_y(p, q, 0.0); });
  poly = clip_half(
      poly, [&](const Point& p) { return p.y <= h; }, [&](auto& p, auto& q) { return at_y(p, q, h); });
  if (poly.empty()) return {0, 0, 0, 0};
  std::array<double, 4> r = {poly[0].x, poly[0].y, poly[0].x, poly[0].y};
  for (const Point& p : poly) {
    r[0] = std::min(r[0], p.x), r[1] = std::min(r[1], p.y);
    r[2] = std::max(r[2], p.x), r[3] = std::max(r[3], p.y);
  }
  for (size_t k = 0; k < 4; ++k) r[k] = std::clamp(r[k], 0.0, k % 2 == 0 ? w : h);
  return r;
}

}  // namespace

double draw_uniform(Generator* generator, double low, double high) {
  Generator& g = generator != nullptr ? *generator : default_generator(kCPU);
  const GeneratorState s = g.reserve(1);
  const Philox4x32 b = philox_block(s.seed, s.offset);
  return low + (high - low) * rng::uniform53(b.v[0], b.v[1]);
}

BoxedImage checked_boxed_image(const BoxedImage& in, const char* op) {
  const Tensor& x = in.image;
  SEEK_CHECK_SHAPE(x.defined() && x.dim() == 3, op, ": expected an image [C, H, W], got ", x.defined() ? x.dim() : 0,
                   "-D");
  SEEK_CHECK_T(DeviceError, x.is_cpu(), op, ": expected a CPU image, got ", x.device());
  SEEK_CHECK_DTYPE(x.is_floating_point(), op, ": expected a floating image, got ", x.dtype());
  SEEK_CHECK_SHAPE(x.size(1) > 0 && x.size(2) > 0 && x.size(0) > 0, op, ": empty image ", x.size(0), "x", x.size(1),
                   "x", x.size(2));
  BoxedImage out;
  out.image = x.to(kFloat32).contiguous();
  if (!in.boxes.defined() || in.boxes.numel() == 0) {
    out.boxes = empty({0, 4}, TensorOptions(kFloat32));
  } else {
    SEEK_CHECK_SHAPE(in.boxes.dim() == 2 && in.boxes.size(1) == 4, op, ": boxes must be [n, 4] xyxy, got ",
                     in.boxes.dim(), "-D with last size ", in.boxes.size(-1));
    SEEK_CHECK_DTYPE(in.boxes.is_floating_point(), op, ": boxes must be floating, got ", in.boxes.dtype());
    out.boxes = in.boxes.cpu().to(kFloat32).contiguous();
  }
  const int64_t n = out.boxes.size(0);
  if (!in.labels.defined() || (in.labels.numel() == 0 && n == 0)) {
    SEEK_CHECK_SHAPE(n == 0 || in.labels.defined(), op, ": ", n, " boxes but no labels");
    out.labels = empty({0}, TensorOptions(kInt64));
  } else {
    SEEK_CHECK_SHAPE(in.labels.dim() == 1 && in.labels.size(0) == n, op, ": labels must be [", n,
                     "] (one per box), got ", in.labels.dim(), "-D with ", in.labels.numel(), " elements");
    SEEK_CHECK_DTYPE(!in.labels.is_floating_point(), op, ": labels must be integral, got ", in.labels.dtype());
    out.labels = in.labels.cpu().to(kInt64).contiguous();
  }
  return out;
}

std::vector<bool> box_candidates(const std::vector<float>& before, const std::vector<float>& after, double wh_thr,
                                 double ar_thr, double area_thr) {
  SEEK_CHECK_SHAPE(before.size() == after.size() && before.size() % 4 == 0,
                   "box_candidates: expected two lists of n xyxy boxes, got ", before.size(), " and ", after.size(),
                   " numbers");
  constexpr double eps = 1e-16;
  std::vector<bool> keep(before.size() / 4);
  for (size_t i = 0; i < keep.size(); ++i) {
    const double w1 = before[4 * i + 2] - before[4 * i], h1 = before[4 * i + 3] - before[4 * i + 1];
    const double w2 = after[4 * i + 2] - after[4 * i], h2 = after[4 * i + 3] - after[4 * i + 1];
    const double ar = std::max(w2 / (h2 + eps), h2 / (w2 + eps));
    keep[i] = w2 > wh_thr && h2 > wh_thr && w2 * h2 / (w1 * h1 + eps) > area_thr && ar < ar_thr;
  }
  return keep;
}

Letterboxed letterbox(const BoxedImage& input, int64_t size, double pad_value, bool scaleup) {
  SEEK_CHECK_VALUE(size > 0, "letterbox: size must be positive, got ", size);
  const BoxedImage in = checked_boxed_image(input, "letterbox");
  const int64_t c = in.image.size(0), h = in.image.size(1), w = in.image.size(2);
  double r = std::min(static_cast<double>(size) / static_cast<double>(h), static_cast<double>(size) / w);
  if (!scaleup) r = std::min(r, 1.0);
  const int64_t nw = std::clamp<int64_t>(std::llround(w * r), 1, size);
  const int64_t nh = std::clamp<int64_t>(std::llround(h * r), 1, size);
  const double dw = static_cast<double>(size - nw) / 2.0, dh = static_cast<double>(size - nh) / 2.0;
  const int64_t left = std::llround(dw - 0.1), top = std::llround(dh - 0.1);
  Tensor out = new_image(c, size, size, static_cast<float>(pad_value));
  resize_into(in.image.data_ptr<float>(), c, h, w, r, out.data_ptr<float>(), size, size, top, left, nh, nw);
  std::vector<float> b = box_vector(in.boxes);
  for (size_t k = 0; k < b.size(); k += 2) {
    b[k] = static_cast<float>(b[k] * r + left);
    b[k + 1] = static_cast<float>(b[k + 1] * r + top);
  }
  Letterboxed res;
  res.out = {out, boxes_tensor(b), in.labels};
  res.ratio = r;
  res.pad_x = static_cast<double>(left);
  res.pad_y = static_cast<double>(top);
  return res;
}

BoxedImage resize_long_side(const BoxedImage& input, int64_t size) {
  SEEK_CHECK_VALUE(size > 0, "resize_long_side: size must be positive, got ", size);
  const BoxedImage in = checked_boxed_image(input, "resize_long_side");
  const int64_t c = in.image.size(0), h = in.image.size(1), w = in.image.size(2);
  const double r = static_cast<double>(size) / static_cast<double>(std::max(h, w));
  if (std::max(h, w) == size) return in;
  const int64_t nw = std::max<int64_t>(1, std::llround(w * r)), nh = std::max<int64_t>(1, std::llround(h * r));
  Tensor out = new_image(c, nh, nw, 0.0f);
  resize_into(in.image.data_ptr<float>(), c, h, w, r, out.data_ptr<float>(), nh, nw, 0, 0, nh, nw);
  std::vector<float> b = box_vector(in.boxes);
  for (float& v : b) v = static_cast<float>(v * r);
  return {out, boxes_tensor(b), in.labels};
}

Tensor unletterbox_boxes(const Tensor& boxes, double ratio, double pad_x, double pad_y) {
  SEEK_CHECK_VALUE(ratio > 0.0, "unletterbox_boxes: ratio must be positive, got ", ratio);
  SEEK_CHECK_SHAPE(boxes.defined() && boxes.dim() == 2 && boxes.size(1) == 4,
                   "unletterbox_boxes: boxes must be [n, 4] xyxy");
  std::vector<float> b = box_vector(boxes.cpu().to(kFloat32).contiguous());
  for (size_t k = 0; k < b.size(); k += 2) {
    b[k] = static_cast<float>((b[k] - pad_x) / ratio);
    b[k + 1] = static_cast<float>((b[k + 1] - pad_y) / ratio);
  }
  return boxes_tensor(b);
}

Matrix3 random_perspective_matrix(int64_t in_h, int64_t in_w, int64_t border, const PerspectiveOptions& o,
                                  Generator* g) {
  SEEK_CHECK_VALUE(o.degrees >= 0 && o.translate >= 0 && o.scale >= 0 && o.shear >= 0 && o.perspective >= 0,
                   "random_perspective: degrees, translate, scale, shear and perspective must be >= 0");
  SEEK_CHECK_VALUE(o.scale < 1.0, "random_perspective: scale must be < 1 (zoom in [1 - scale, 1 + scale]), got ",
                   o.scale);
  const double height = static_cast<double>(in_h + 2 * border), width = static_cast<double>(in_w + 2 * border);
  Matrix3 C = identity();
  C[2] = -static_cast<double>(in_w) / 2.0;
  C[5] = -static_cast<double>(in_h) / 2.0;
  Matrix3 P = identity();
  P[6] = draw_uniform(g, -o.perspective, o.perspective);
  P[7] = draw_uniform(g, -o.perspective, o.perspective);
  const double a = draw_uniform(g, -o.degrees, o.degrees) * kPi / 180.0;
  const double s = draw_uniform(g, 1.0 - o.scale, 1.0 + o.scale);
  // cv2.getRotationMatrix2D(center (0, 0), angle a, scale s) (counter-clockwise on screen).
  Matrix3 R = {s * std::cos(a), s * std::sin(a), 0, -s * std::sin(a), s * std::cos(a), 0, 0, 0, 1};
  Matrix3 S = identity();
  S[1] = std::tan(draw_uniform(g, -o.shear, o.shear) * kPi / 180.0);
  S[3] = std::tan(draw_uniform(g, -o.shear, o.shear) * kPi / 180.0);
  Matrix3 T = identity();
  T[2] = draw_uniform(g, 0.5 - o.translate, 0.5 + o.translate) * width;
  T[5] = draw_uniform(g, 0.5 - o.translate, 0.5 + o.translate) * height;
  return mul(T, mul(S, mul(R, mul(P, C))));
}

BoxedImage warp_perspective(const BoxedImage& input, const Matrix3& m, int64_t out_h, int64_t out_w,
                            const PerspectiveOptions& o) {
  SEEK_CHECK_VALUE(out_h > 0 && out_w > 0, "warp_perspective: output size must be positive, got ", out_h, "x", out_w);
  const BoxedImage in = checked_boxed_image(input, "warp_perspective");
  const int64_t c = in.image.size(0), h = in.image.size(1), w = in.image.size(2);
  const Matrix3 mi = inverse(m);
  const bool affine = m[6] == 0.0 && m[7] == 0.0;
  Tensor out = new_image(c, out_h, out_w, 0.0f);
  const float* src = in.image.data_ptr<float>();
  float* dst = out.data_ptr<float>();
  const float pad = static_cast<float>(o.pad_value);
  const int64_t plane = h * w, oplane = out_h * out_w;
  for (int64_t y = 0; y < out_h; ++y) {
    const double yc = static_cast<double>(y) + 0.5;
    for (int64_t x = 0; x < out_w; ++x) {
      const double xc = static_cast<double>(x) + 0.5;
      double sx = mi[0] * xc + mi[1] * yc + mi[2], sy = mi[3] * xc + mi[4] * yc + mi[5];
      if (!affine) {
        const double z = mi[6] * xc + mi[7] * yc + mi[8];
        sx /= z;
        sy /= z;
      }
      sx -= 0.5;  // to pixel-index coordinates (centre of pixel j at j)
      sy -= 0.5;
      const int64_t o_idx = y * out_w + x;
      if (!(sx > -1.0 && sy > -1.0 && sx < static_cast<double>(w) && sy < static_cast<double>(h))) {
        for (int64_t ch = 0; ch < c; ++ch) dst[ch * oplane + o_idx] = pad;
        continue;
      }
      const double fx = std::floor(sx), fy = std::floor(sy);
      const auto x0 = static_cast<int64_t>(fx), y0 = static_cast<int64_t>(fy);
      const auto ax = static_cast<float>(sx - fx), ay = static_cast<float>(sy - fy);
      const float w00 = (1 - ax) * (1 - ay), w01 = ax * (1 - ay), w10 = (1 - ax) * ay, w11 = ax * ay;
      const bool in_x0 = x0 >= 0, in_x1 = x0 + 1 < w, in_y0 = y0 >= 0, in_y1 = y0 + 1 < h;
      if (in_x0 && in_x1 && in_y0 && in_y1) {
        const float* p = src + y0 * w + x0;
        for (int64_t ch = 0; ch < c; ++ch, p += plane)
          dst[ch * oplane + o_idx] = w00 * p[0] + w01 * p[1] + w10 * p[w] + w11 * p[w + 1];
        continue;
      }
      // At the border: taps outside the image read pad_value (cv2's BORDER_CONSTANT).
      for (int64_t ch = 0; ch < c; ++ch) {
        const float* p = src + ch * plane;
        const float v00 = in_y0 && in_x0 ? p[y0 * w + x0] : pad;
        const float v01 = in_y0 && in_x1 ? p[y0 * w + x0 + 1] : pad;
        const float v10 = in_y1 && in_x0 ? p[(y0 + 1) * w + x0] : pad;
        const float v11 = in_y1 && in_x1 ? p[(y0 + 1) * w + x0 + 1] : pad;
        dst[ch * oplane + o_idx] = w00 * v00 + w01 * v01 + w10 * v10 + w11 * v11;
      }
    }
  }
  // Boxes: the mapped corners form a quadrilateral; it is clipped to the output
  // and its bounding box taken (YOLOv5 clips the corners' bounding box instead,
  // which overshoots when a rotated box is cut by the border). The zoom of the
  // affine part (sqrt |det|) scales the old box for box_candidates' area test.
  const std::vector<float> b = box_vector(in.boxes);
  const std::vector<int64_t> l = label_vector(in.labels);
  const double zoom = std::sqrt(std::abs(m[0] * m[4] - m[1] * m[3]));
  std::vector<float> before, after;
  for (size_t i = 0; i < l.size(); ++i) {
    const double xs[4] = {b[4 * i], b[4 * i + 2], b[4 * i + 2], b[4 * i]};
    const double ys[4] = {b[4 * i + 1], b[4 * i + 1], b[4 * i + 3], b[4 * i + 3]};
    std::vector<Point> poly;
    for (int k = 0; k < 4; ++k) {
      double px = m[0] * xs[k] + m[1] * ys[k] + m[2], py = m[3] * xs[k] + m[4] * ys[k] + m[5];
      if (!affine) {
        const double z = m[6] * xs[k] + m[7] * ys[k] + m[8];
        px /= z;
        py /= z;
      }
      poly.push_back({px, py});
    }
    const std::array<double, 4> box = clipped_bbox(poly, static_cast<double>(out_w), static_cast<double>(out_h));
    for (int k = 0; k < 4; ++k) after.push_back(static_cast<float>(box[static_cast<size_t>(k)]));
    for (int k = 0; k < 4; ++k) before.push_back(static_cast<float>(b[4 * i + k] * zoom));
  }
  const std::vector<bool> keep = box_candidates(before, after, o.min_box_size, 100.0, o.area_thr);
  std::vector<float> kb;
  std::vector<int64_t> kl;
  for (size_t i = 0; i < keep.size(); ++i) {
    if (!keep[i]) continue;
    kb.insert(kb.end(), after.begin() + static_cast<std::ptrdiff_t>(4 * i),
              after.begin() + static_cast<std::ptrdiff_t>(4 * i + 4));
    kl.push_back(l[i]);
  }
  return {out, boxes_tensor(kb), labels_tensor(kl)};
}

BoxedImage random_perspective(const BoxedImage& input, const PerspectiveOptions& o, int64_t border, Generator* g) {
  const BoxedImage in = checked_boxed_image(input, "random_perspective");
  const int64_t h = in.image.size(1), w = in.image.size(2);
  const int64_t out_h = h + 2 * border, out_w = w + 2 * border;
  SEEK_CHECK_VALUE(out_h > 0 && out_w > 0, "random_perspective: border ", border, " leaves no output for a ", h, "x", w,
                   " image");
  const Matrix3 m = random_perspective_matrix(h, w, border, o, g);
  return warp_perspective(in, m, out_h, out_w, o);
}

BoxedImage hflip(const BoxedImage& input) {
  const BoxedImage in = checked_boxed_image(input, "hflip");
  const int64_t c = in.image.size(0), h = in.image.size(1), w = in.image.size(2);
  Tensor out = new_image(c, h, w, 0.0f);
  const float* s = in.image.data_ptr<float>();
  float* d = out.data_ptr<float>();
  for (int64_t r = 0; r < c * h; ++r)
    for (int64_t x = 0; x < w; ++x) d[r * w + x] = s[r * w + (w - 1 - x)];
  std::vector<float> b = box_vector(in.boxes);
  for (size_t k = 0; k < b.size(); k += 4) {
    const float x1 = b[k], x2 = b[k + 2];
    b[k] = static_cast<float>(w) - x2;
    b[k + 2] = static_cast<float>(w) - x1;
  }
  return {out, boxes_tensor(b), in.labels};
}

BoxedImage vflip(const BoxedImage& input) {
  const BoxedImage in = checked_boxed_image(input, "vflip");
  const int64_t c = in.image.size(0), h = in.image.size(1), w = in.image.size(2);
  Tensor out = new_image(c, h, w, 0.0f);
  const float* s = in.image.data_ptr<float>();
  float* d = out.data_ptr<float>();
  for (int64_t ch = 0; ch < c; ++ch)
    for (int64_t y = 0; y < h; ++y)
      std::memcpy(d + (ch * h + y) * w, s + (ch * h + (h - 1 - y)) * w, static_cast<size_t>(w) * sizeof(float));
  std::vector<float> b = box_vector(in.boxes);
  for (size_t k = 0; k < b.size(); k += 4) {
    const float y1 = b[k + 1], y2 = b[k + 3];
    b[k + 1] = static_cast<float>(h) - y2;
    b[k + 3] = static_cast<float>(h) - y1;
  }
  return {out, boxes_tensor(b), in.labels};
}

BoxedImage adjust_hsv(const BoxedImage& input, double gain_h, double gain_s, double gain_v) {
  const BoxedImage in = checked_boxed_image(input, "adjust_hsv");
  SEEK_CHECK_SHAPE(in.image.size(0) == 3, "adjust_hsv: expected an RGB image [3, H, W], got ", in.image.size(0),
                   " channels");
  SEEK_CHECK_VALUE(gain_h >= 0 && gain_s >= 0 && gain_v >= 0, "adjust_hsv: gains must be >= 0, got ", gain_h, ", ",
                   gain_s, ", ", gain_v);
  const int64_t n = in.image.size(1) * in.image.size(2);
  Tensor out = new_image(3, in.image.size(1), in.image.size(2), 0.0f);
  const float* s = in.image.data_ptr<float>();
  float* d = out.data_ptr<float>();
  const auto gh = static_cast<float>(gain_h), gs = static_cast<float>(gain_s), gv = static_cast<float>(gain_v);
  for (int64_t i = 0; i < n; ++i) {
    const float r = s[i], g = s[n + i], b = s[2 * n + i];
    const float mx = std::max({r, g, b}), mn = std::min({r, g, b}), delta = mx - mn;
    float hue = 0.0f;  // in [0, 1)
    if (delta > 0.0f) {
      if (mx == r) {
        hue = (g - b) / delta;
        if (hue < 0.0f) hue += 6.0f;
      } else if (mx == g) {
        hue = (b - r) / delta + 2.0f;
      } else {
        hue = (r - g) / delta + 4.0f;
      }
      hue /= 6.0f;
    }
    const float sat = mx > 0.0f ? delta / mx : 0.0f;
    float h2 = hue * gh;
    h2 -= std::floor(h2);
    const float s2 = std::min(sat * gs, 1.0f), v2 = std::min(mx * gv, 1.0f);
    // HSV -> RGB.
    const float h6 = h2 * 6.0f;
    const auto sector = static_cast<int>(h6) % 6;
    const float f = h6 - std::floor(h6);
    const float p = v2 * (1.0f - s2), q = v2 * (1.0f - s2 * f), t = v2 * (1.0f - s2 * (1.0f - f));
    float rr, gg, bb;
    switch (sector) {
      case 0: rr = v2, gg = t, bb = p; break;
      case 1: rr = q, gg = v2, bb = p; break;
      case 2: rr = p, gg = v2, bb = t; break;
      case 3: rr = p, gg = q, bb = v2; break;
      case 4: rr = t, gg = p, bb = v2; break;
      default: rr = v2, gg = p, bb = q; break;
    }
    d[i] = rr, d[n + i] = gg, d[2 * n + i] = bb;
  }
  return {out, in.boxes, in.labels};
}

BoxedImage augment_hsv(const BoxedImage& in, double hgain, double sgain, double vgain, Generator* g) {
  SEEK_CHECK_VALUE(hgain >= 0 && sgain >= 0 && vgain >= 0 && hgain <= 1 && sgain <= 1 && vgain <= 1,
                   "augment_hsv: gains must be in [0, 1], got ", hgain, ", ", sgain, ", ", vgain);
  const double rh = 1.0 + draw_uniform(g, -1.0, 1.0) * hgain;
  const double rs = 1.0 + draw_uniform(g, -1.0, 1.0) * sgain;
  const double rv = 1.0 + draw_uniform(g, -1.0, 1.0) * vgain;
  return adjust_hsv(in, rh, rs, rv);
}

}  // namespace seek::data

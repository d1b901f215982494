// Drawing helpers (include/seek/vision/draw.h). All drawing goes through a Canvas: a contiguous
// uint8 CHW copy of the image on the host with clipped pixel writes, so boxes, text and plots may
// reach past the edges. Text comes from stb_easy_font, which describes glyphs as pixel quads: each
// quad is filled as a rectangle (scaled by an integer factor).
#include "seek/vision/draw.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

#include "seek/autograd/grad_mode.h"
#include "seek/core/error.h"
#include "seek/core/shape_util.h"
#include "seek/ops/creation.h"
#include "seek/ops/shape.h"

// stb_easy_font has only static functions (v1.1); some of them may be unused here.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#include <stb/stb_easy_font.h>
#pragma GCC diagnostic pop

namespace seek::vision {

namespace {

// A uint8 RGB image [3, H, W] being drawn on; writes outside the image are dropped.
struct Canvas {
  int64_t h = 0, w = 0;
  Tensor t;  // uint8 [3, h, w], contiguous, CPU
  uint8_t* p = nullptr;

  explicit Canvas(Tensor rgb) : h(rgb.size(1)), w(rgb.size(2)), t(std::move(rgb)), p(t.data_ptr<uint8_t>()) {}

  void set(int64_t x, int64_t y, Color c) {
    if (x < 0 || y < 0 || x >= w || y >= h) return;
    for (int64_t ch = 0; ch < 3; ++ch) p[(ch * h + y) * w + x] = c[static_cast<size_t>(ch)];
  }
  // Mixes colour c into the pixel with weight alpha.
  void blend(int64_t x, int64_t y, Color c, double alpha) {
    if (x < 0 || y < 0 || x >= w || y >= h) return;
    for (int64_t ch = 0; ch < 3; ++ch) {
      uint8_t& v = p[(ch * h + y) * w + x];
      v = static_cast<uint8_t>(std::lround((1 - alpha) * v + alpha * c[static_cast<size_t>(ch)]));
    }
  }
  // Fills [x0, x1) x [y0, y1) (clipped).
  void fill_rect(int64_t x0, int64_t y0, int64_t x1, int64_t y1, Color c) {
    x0 = std::max<int64_t>(x0, 0), y0 = std::max<int64_t>(y0, 0);
    x1 = std::min(x1, w), y1 = std::min(y1, h);
    for (int64_t y = y0; y < y1; ++y)
      for (int64_t x = x0; x < x1; ++x) set(x, y, c);
  }
  // A line from (x0, y0) to (x1, y1) (Bresenham), each point a `thick` x `thick` square.
  void line(int64_t x0, int64_t y0, int64_t x1, int64_t y1, Color c, int64_t thick = 1) {
    const int64_t dx = std::abs(x1 - x0), dy = -std::abs(y1 - y0);
    const int64_t sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
    int64_t err = dx + dy;
    const int64_t lo = -(thick - 1) / 2, hi = thick / 2;
    for (;;) {
      fill_rect(x0 + lo, y0 + lo, x0 + hi + 1, y0 + hi + 1, c);
      if (x0 == x1 && y0 == y1) break;
      const int64_t e2 = 2 * err;
      if (e2 >= dy) err += dy, x0 += sx;
      if (e2 <= dx) err += dx, y0 += sy;
    }
  }
  void text(int64_t x, int64_t y, const std::string& s, Color c, int64_t scale) {
    if (s.empty()) return;
    std::vector<char> buf(s.begin(), s.end());
    buf.push_back('\0');
    std::vector<char> vertices(buf.size() * 300 + 1024);  // ~270 bytes per character (stb's estimate)
    const int quads =
        stb_easy_font_print(0, 0, buf.data(), nullptr, vertices.data(), static_cast<int>(vertices.size()));
    for (int q = 0; q < quads; ++q) {
      float v[4][4];  // four vertices of x, y, z, colour (16 bytes each)
      std::memcpy(v, vertices.data() + static_cast<size_t>(q) * 64, sizeof v);
      const auto px0 = static_cast<int64_t>(std::lround(v[0][0])), py0 = static_cast<int64_t>(std::lround(v[0][1]));
      const auto px1 = static_cast<int64_t>(std::lround(v[2][0])), py1 = static_cast<int64_t>(std::lround(v[2][1]));
      fill_rect(x + px0 * scale, y + py0 * scale, x + px1 * scale, y + py1 * scale, c);
    }
  }
};

Canvas canvas_of(const Tensor& image, const char* fn) {
  SEEK_CHECK_SHAPE(image.defined() && image.dim() == 3 && (image.size(0) == 1 || image.size(0) == 3), fn,
                   ": image must be [1 or 3, H, W], got ",
                   image.defined() ? shape_str(image.sizes()) : std::string("an undefined tensor"));
  return Canvas(to_rgb_uint8(image).clone().contiguous());
}

// Black or white, whichever reads better on `bg`.
Color text_color_on(Color bg) {
  const double luma = 0.299 * bg[0] + 0.587 * bg[1] + 0.114 * bg[2];
  return luma > 140 ? Color{0, 0, 0} : Color{255, 255, 255};
}

// A short decimal form of an axis value.
std::string number_text(double v) {
  char buf[32];
  const double a = std::fabs(v);
  if (a != 0 && (a >= 1e5 || a < 1e-3))
    std::snprintf(buf, sizeof buf, "%.2e", v);
  else if (a >= 100)
    std::snprintf(buf, sizeof buf, "%.0f", v);
  else
    std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

}  // namespace

Color palette_color(int64_t index) {
  static const Color kPalette[20] = {{230, 25, 75},   {60, 180, 75},   {0, 130, 200},  {245, 130, 48},  {145, 30, 180},
                                     {70, 240, 240},  {240, 50, 230},  {210, 245, 60}, {250, 190, 212}, {0, 128, 128},
                                     {220, 190, 255}, {170, 110, 40},  {255, 225, 25}, {128, 0, 0},     {170, 255, 195},
                                     {128, 128, 0},   {255, 215, 180}, {0, 0, 128},    {128, 128, 128}, {30, 30, 30}};
  const int64_t n = 20;
  return kPalette[((index % n) + n) % n];
}

Tensor to_rgb_uint8(const Tensor& image) {
  SEEK_CHECK_SHAPE(image.defined() && image.dim() == 3 && (image.size(0) == 1 || image.size(0) == 3),
                   "to_rgb_uint8: image must be [1 or 3, H, W], got ",
                   image.defined() ? shape_str(image.sizes()) : std::string("an undefined tensor"));
  NoGradGuard no_grad;
  Tensor t = image.detach().cpu();
  if (t.dtype() != kUInt8) {
    SEEK_CHECK_DTYPE(t.is_floating_point(), "to_rgb_uint8: image must be uint8 or floating in [0, 1], got ",
                     dtype_name(t.dtype()));
    t = (t.to(kFloat32) * 255.0).round().clamp(0.0, 255.0).to(kUInt8);
  }
  if (t.size(0) == 1) t = t.expand({3, t.size(1), t.size(2)});
  return t.contiguous();
}

Tensor draw_bounding_boxes(const Tensor& image, const Tensor& boxes, const std::vector<std::string>& labels,
                           const std::vector<Color>& colors, int64_t width, bool fill) {
  Canvas cv = canvas_of(image, "draw_bounding_boxes");
  SEEK_CHECK_SHAPE(boxes.defined() && boxes.dim() == 2 && boxes.size(1) == 4,
                   "draw_bounding_boxes: boxes must be [N, 4] (x1, y1, x2, y2), got ",
                   boxes.defined() ? shape_str(boxes.sizes()) : std::string("an undefined tensor"));
  const int64_t n = boxes.size(0);
  SEEK_CHECK_VALUE(labels.empty() || static_cast<int64_t>(labels.size()) == n, "draw_bounding_boxes: ", n,
                   " boxes but ", labels.size(), " labels");
  SEEK_CHECK_VALUE(colors.size() <= 1 || static_cast<int64_t>(colors.size()) == n, "draw_bounding_boxes: ", n,
                   " boxes but ", colors.size(), " colors (give none, one, or one per box)");
  SEEK_CHECK_VALUE(width >= 1, "draw_bounding_boxes: width must be >= 1, got ", width);
  const Tensor b = boxes.detach().cpu().to(kFloat64).contiguous();
  const double* bp = b.data_ptr<double>();
  for (int64_t i = 0; i < n; ++i) {
    const double* r = bp + 4 * i;
    SEEK_CHECK_VALUE(std::isfinite(r[0]) && std::isfinite(r[1]) && std::isfinite(r[2]) && std::isfinite(r[3]),
                     "draw_bounding_boxes: box ", i, " is not finite");
    SEEK_CHECK_VALUE(r[2] >= r[0] && r[3] >= r[1], "draw_bounding_boxes: box ", i, " has x2 < x1 or y2 < y1 (", r[0],
                     ", ", r[1], ", ", r[2], ", ", r[3], ")");
  }
  for (int64_t i = 0; i < n; ++i) {
    const double* r = bp + 4 * i;
    const Color c = colors.empty() ? palette_color(i) : colors[colors.size() == 1 ? 0 : static_cast<size_t>(i)];
    // Pixel columns x1 .. x2 - 1 and rows y1 .. y2 - 1 belong to the box (at least one of each).
    const auto x0 = static_cast<int64_t>(std::floor(r[0])), y0 = static_cast<int64_t>(std::floor(r[1]));
    const int64_t x1 = std::max(x0 + 1, static_cast<int64_t>(std::ceil(r[2])));
    const int64_t y1 = std::max(y0 + 1, static_cast<int64_t>(std::ceil(r[3])));
    if (fill)
      for (int64_t y = std::max<int64_t>(y0, 0); y < std::min(y1, cv.h); ++y)
        for (int64_t x = std::max<int64_t>(x0, 0); x < std::min(x1, cv.w); ++x) cv.blend(x, y, c, 0.3);
    cv.fill_rect(x0, y0, x1, std::min(y1, y0 + width), c);  // top
    cv.fill_rect(x0, std::max(y0, y1 - width), x1, y1, c);  // bottom
    cv.fill_rect(x0, y0, std::min(x1, x0 + width), y1, c);  // left
    cv.fill_rect(std::max(x0, x1 - width), y0, x1, y1, c);  // right
    if (labels.empty() || labels[static_cast<size_t>(i)].empty()) continue;
    const std::string& text = labels[static_cast<size_t>(i)];
    const auto [tw, th] = text_size(text);
    const int64_t tag_h = th + 1, tag_w = tw + 2;
    // Above the box when it fits, else just inside its top edge.
    const int64_t ty = y0 - tag_h >= 0 ? y0 - tag_h : std::max<int64_t>(y0, 0);
    const int64_t tx = std::clamp<int64_t>(x0, 0, std::max<int64_t>(0, cv.w - tag_w));
    cv.fill_rect(tx, ty, tx + tag_w, ty + tag_h, c);
    cv.text(tx + 1, ty + 1, text, text_color_on(c), 1);
  }
  return cv.t;
}

std::array<int64_t, 2> text_size(const std::string& text) {
  if (text.empty()) return {0, 0};
  std::vector<char> buf(text.begin(), text.end());
  buf.push_back('\0');
  // stb_easy_font_height counts 12 per line including the gap below; glyphs (no descenders) fill 7 rows
  // and descenders reach row 9, so a line is 10 rows tall.
  int lines = 1;
  for (char ch : text) lines += ch == '\n';
  return {stb_easy_font_width(buf.data()), 12 * (lines - 1) + 10};
}

Tensor draw_text(const Tensor& image, int64_t x, int64_t y, const std::string& text, Color color, int64_t scale) {
  SEEK_CHECK_VALUE(scale >= 1, "draw_text: scale must be >= 1, got ", scale);
  Canvas cv = canvas_of(image, "draw_text");
  cv.text(x, y, text, color, scale);
  return cv.t;
}

Tensor make_grid(const Tensor& images, int64_t nrow, int64_t padding, double pad_value) {
  SEEK_CHECK_SHAPE(images.defined() && images.dim() == 4 && images.size(0) >= 1,
                   "make_grid: images must be [B, C, H, W] with B >= 1, got ",
                   images.defined() ? shape_str(images.sizes()) : std::string("an undefined tensor"));
  SEEK_CHECK_VALUE(nrow >= 1, "make_grid: nrow must be >= 1, got ", nrow);
  SEEK_CHECK_VALUE(padding >= 0, "make_grid: padding must be >= 0, got ", padding);
  NoGradGuard no_grad;
  const int64_t n = images.size(0), c = images.size(1), h = images.size(2), w = images.size(3);
  if (n == 1) return images.detach()[0];
  const int64_t cols = std::min(nrow, n), rows = (n + cols - 1) / cols;
  const int64_t cell_h = h + padding, cell_w = w + padding;
  Tensor grid = full({c, cell_h * rows + padding, cell_w * cols + padding}, pad_value,
                     TensorOptions(images.dtype()).device(images.device()));
  for (int64_t k = 0; k < n; ++k) {
    const int64_t y = (k / cols) * cell_h + padding, x = (k % cols) * cell_w + padding;
    grid.slice(1, y, y + h).slice(2, x, x + w).copy_(images.detach()[k]);
  }
  return grid;
}

Tensor make_grid(const std::vector<Tensor>& images, int64_t nrow, int64_t padding, double pad_value) {
  SEEK_CHECK_VALUE(!images.empty(), "make_grid: no images");
  for (size_t i = 0; i < images.size(); ++i)
    SEEK_CHECK_SHAPE(images[i].defined() && images[i].dim() == 3 && images[i].sizes() == images[0].sizes() &&
                         images[i].dtype() == images[0].dtype(),
                     "make_grid: image ", i, " must be [C, H, W] like image 0 (", shape_str(images[0].sizes()), ", ",
                     dtype_name(images[0].dtype()), ")");
  NoGradGuard no_grad;
  std::vector<Tensor> parts;
  for (const auto& im : images) parts.push_back(im.detach());
  return make_grid(stack(parts, 0), nrow, padding, pad_value);
}

Tensor plot_lines(const std::vector<PlotSeries>& series, const PlotOptions& options) {
  SEEK_CHECK_VALUE(!series.empty(), "plot_lines: no series");
  SEEK_CHECK_VALUE(options.width >= 120 && options.height >= 80,
                   "plot_lines: the picture must be at least 120 x 80, got ", options.width, " x ", options.height);
  double xmin = std::numeric_limits<double>::infinity(), xmax = -xmin, ymin = xmin, ymax = -xmin;
  for (const auto& s : series) {
    SEEK_CHECK_VALUE(s.x.size() == s.y.size(), "plot_lines: series '", s.name, "' has ", s.x.size(), " x values but ",
                     s.y.size(), " y values");
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      xmin = std::min(xmin, s.x[i]), xmax = std::max(xmax, s.x[i]);
      ymin = std::min(ymin, s.y[i]), ymax = std::max(ymax, s.y[i]);
    }
  }
  SEEK_CHECK_VALUE(std::isfinite(xmin) && std::isfinite(ymin), "plot_lines: no finite point in any series");
  if (xmax == xmin) xmin -= 0.5, xmax += 0.5;
  if (ymax == ymin) ymin -= 0.5, ymax += 0.5;

  const int64_t W = options.width, H = options.height;
  Canvas cv(full({3, H, W}, 255, TensorOptions(kUInt8)));
  const Color black{0, 0, 0}, grey{225, 225, 225};
  // The plot area: room on the left for the y values, above for the title, below for the x values.
  const int64_t left = std::max(text_size(number_text(ymin))[0], text_size(number_text(ymax))[0]) + 10;
  const int64_t top = options.title.empty() ? 10 : 24, bottom = H - (options.x_label.empty() ? 22 : 34);
  const int64_t right = W - 10;
  SEEK_CHECK_VALUE(right - left >= 40 && bottom - top >= 30, "plot_lines: the picture (", W, " x ", H,
                   ") is too small for its labels");
  auto px = [&](double x) {
    return left + static_cast<int64_t>(std::lround((x - xmin) / (xmax - xmin) * (right - left)));
  };
  auto py = [&](double y) {
    return bottom - static_cast<int64_t>(std::lround((y - ymin) / (ymax - ymin) * (bottom - top)));
  };
  for (int k = 1; k < 4; ++k) {  // a light grid at the quarters
    const int64_t gx = left + (right - left) * k / 4, gy = top + (bottom - top) * k / 4;
    cv.line(gx, top, gx, bottom, grey);
    cv.line(left, gy, right, gy, grey);
  }
  cv.line(left, top, left, bottom, black);
  cv.line(left, bottom, right, bottom, black);
  cv.text(2, top - 4, number_text(ymax), black, 1);
  cv.text(2, bottom - 6, number_text(ymin), black, 1);
  cv.text(left, bottom + 4, number_text(xmin), black, 1);
  const std::string xmax_text = number_text(xmax);
  cv.text(right - text_size(xmax_text)[0], bottom + 4, xmax_text, black, 1);
  if (!options.x_label.empty())
    cv.text((left + right - text_size(options.x_label)[0]) / 2, bottom + 16, options.x_label, black, 1);
  if (!options.title.empty()) cv.text((W - 2 * text_size(options.title)[0]) / 2, 2, options.title, black, 2);
  for (const auto& s : series) {
    bool have_prev = false;
    int64_t qx = 0, qy = 0;
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) {
        have_prev = false;
        continue;
      }
      const int64_t x = px(s.x[i]), y = py(s.y[i]);
      if (have_prev)
        cv.line(qx, qy, x, y, s.color, 2);
      else
        cv.fill_rect(x - 1, y - 1, x + 2, y + 2, s.color);  // a lone point stays visible
      qx = x, qy = y, have_prev = true;
    }
  }
  // The legend: a colour swatch and the name per series, top right of the plot area.
  int64_t legend_w = 0;
  for (const auto& s : series) legend_w = std::max(legend_w, text_size(s.name)[0]);
  int64_t ly = top + 4;
  const int64_t lx = right - legend_w - 22;
  // On a white panel with a grey frame, so curves under it do not cross the names.
  cv.fill_rect(lx - 4, ly - 3, right - 1, ly + 12 * static_cast<int64_t>(series.size()) + 1, Color{255, 255, 255});
  cv.line(lx - 4, ly - 3, right - 2, ly - 3, grey);
  cv.line(lx - 4, ly + 12 * static_cast<int64_t>(series.size()) + 1, right - 2,
          ly + 12 * static_cast<int64_t>(series.size()) + 1, grey);
  cv.line(lx - 4, ly - 3, lx - 4, ly + 12 * static_cast<int64_t>(series.size()) + 1, grey);
  for (const auto& s : series) {
    cv.fill_rect(lx, ly + 2, lx + 14, ly + 6, s.color);
    cv.text(lx + 18, ly, s.name, black, 1);
    ly += 12;
  }
  return cv.t;
}

}  // namespace seek::vision

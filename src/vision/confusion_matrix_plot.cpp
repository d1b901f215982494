// DetectionConfusionMatrix::plot: the heat map picture YOLOv5 saves as confusion_matrix.png (there drawn by
// seaborn), drawn here into a uint8 RGB tensor. Text comes from draw.h's draw_text, rendered into a small
// tile of the cell's colour and copied in; names under the columns are copied rotated by 90 degrees (read
// bottom to top) so that long names fit narrow columns. Shades follow matplotlib's "Blues" colour map
// (its nine anchor colours, linearly interpolated).
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>

#include "seek/core/error.h"
#include "seek/data/image_write.h"
#include "seek/ops/creation.h"
#include "seek/vision/confusion_matrix.h"
#include "seek/vision/draw.h"

namespace seek::vision {

namespace {

// v in [0, 1] -> white .. dark blue.
Color blues(double v) {
  static const Color kStops[9] = {{247, 251, 255}, {222, 235, 247}, {198, 219, 239}, {158, 202, 225}, {107, 174, 214},
                                  {66, 146, 198},  {33, 113, 181},  {8, 81, 156},    {8, 48, 107}};
  v = std::clamp(std::isfinite(v) ? v : 0.0, 0.0, 1.0) * 8.0;
  const int i = std::min(static_cast<int>(v), 7);
  const double f = v - i;
  Color c{};
  for (size_t k = 0; k < 3; ++k)
    c[k] = static_cast<uint8_t>(std::lround(kStops[i][k] * (1 - f) + kStops[i + 1][k] * f));
  return c;
}

Color ink_on(Color bg) {
  const double luma = 0.299 * bg[0] + 0.587 * bg[1] + 0.114 * bg[2];
  return luma > 140 ? Color{0, 0, 0} : Color{255, 255, 255};
}

// The picture being drawn: uint8 [3, h, w], contiguous; writes outside are dropped.
struct Picture {
  int64_t h, w;
  Tensor t;
  uint8_t* p;
  Picture(int64_t height, int64_t width)
      : h(height), w(width), t(full({3, height, width}, 255, TensorOptions(kUInt8))), p(t.data_ptr<uint8_t>()) {}

  void set(int64_t x, int64_t y, Color c) {
    if (x < 0 || y < 0 || x >= w || y >= h) return;
    for (int64_t ch = 0; ch < 3; ++ch) p[(ch * h + y) * w + x] = c[static_cast<size_t>(ch)];
  }
  void fill(int64_t x0, int64_t y0, int64_t x1, int64_t y1, Color c) {
    for (int64_t y = y0; y < y1; ++y)
      for (int64_t x = x0; x < x1; ++x) set(x, y, c);
  }
  // `text` in colour ink on bg at (x, y) (its top-left corner); rotated: turned 90 degrees counter-clockwise,
  // (x, y) then the top-left corner of the turned text.
  void text(int64_t x, int64_t y, const std::string& s, Color ink, Color bg, int64_t scale = 1, bool rotated = false) {
    if (s.empty()) return;
    const auto [tw, th] = text_size(s);
    const int64_t sw = tw * scale, sh = th * scale;
    Tensor tile = empty({3, sh, sw}, TensorOptions(kUInt8));
    uint8_t* b = tile.data_ptr<uint8_t>();
    for (int64_t ch = 0; ch < 3; ++ch) std::fill(b + ch * sh * sw, b + (ch + 1) * sh * sw, bg[static_cast<size_t>(ch)]);
    tile = draw_text(tile, 0, 0, s, ink, scale).contiguous();
    const uint8_t* q = tile.data_ptr<uint8_t>();
    for (int64_t ty = 0; ty < sh; ++ty)
      for (int64_t tx = 0; tx < sw; ++tx) {
        const Color c{q[(0 * sh + ty) * sw + tx], q[(1 * sh + ty) * sw + tx], q[(2 * sh + ty) * sw + tx]};
        if (rotated)
          set(x + ty, y + (sw - 1 - tx), c);
        else
          set(x + tx, y + ty, c);
      }
  }
};

std::string fraction_text(double v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

}  // namespace

Tensor DetectionConfusionMatrix::plot(const std::vector<std::string>& class_names,
                                      const ConfusionPlotOptions& options) const {
  check_names(class_names, "plot");
  SEEK_CHECK_VALUE(options.cell_width >= 30 && options.cell_height >= 14,
                   "DetectionConfusionMatrix.plot: cells must be at least 30 x 14 pixels, got ", options.cell_width,
                   " x ", options.cell_height);
  const int64_t n = nc_ + 1, cw = options.cell_width, ch = options.cell_height;
  std::vector<std::string> names;
  for (int64_t c = 0; c < nc_; ++c)
    names.push_back(class_names.empty() ? std::to_string(c) : class_names[static_cast<size_t>(c)]);
  names.emplace_back("background");

  // Cell values in [0, 1] and their text.
  std::vector<double> value(static_cast<size_t>(n * n), 0.0);
  std::vector<std::string> label(static_cast<size_t>(n * n));
  int64_t largest = 0;
  for (int64_t v : m_) largest = std::max(largest, v);
  for (int64_t t = 0; t < n; ++t) {
    int64_t column = 0;
    for (int64_t p = 0; p < n; ++p) column += count(p, t);
    for (int64_t p = 0; p < n; ++p) {
      const auto k = static_cast<size_t>(p * n + t);
      const int64_t c = count(p, t);
      if (options.normalize) {
        value[k] = column > 0 ? static_cast<double>(c) / static_cast<double>(column) : 0.0;
        if (value[k] >= 0.005) label[k] = fraction_text(value[k]);  // YOLOv5 leaves cells under 0.005 blank
      } else {
        value[k] = largest > 0 ? static_cast<double>(c) / static_cast<double>(largest) : 0.0;
        if (c > 0) label[k] = std::to_string(c);
      }
    }
  }

  // Layout: title on top; "Predicted" (turned) and the row names on the left; the grid; the column names
  // (turned) and "True" below; the colour bar on the right.
  int64_t name_w = 0;
  for (const auto& s : names) name_w = std::max(name_w, text_size(s)[0]);
  const int64_t line_h = text_size("0")[1];
  const std::string bar_max = options.normalize ? fraction_text(1.0) : std::to_string(largest);
  const int64_t bar_text_w = std::max(text_size(bar_max)[0], text_size("0")[0]);
  const int64_t grid_w = n * cw, grid_h = n * ch;
  const int64_t left = 4 + line_h + 8 + name_w + 6;
  const int64_t right_part = 12 + 12 + 4 + bar_text_w + 6;
  const int64_t width = left + grid_w + right_part;
  const auto [title_w, title_h] = text_size(options.title);
  const int64_t title_scale = 2 * title_w + 8 <= width ? 2 : 1;
  const int64_t top = options.title.empty() ? 8 : title_h * title_scale + 12;
  const int64_t height = top + grid_h + 6 + name_w + 8 + line_h + 6;
  Picture pic(height, width);
  const Color white{255, 255, 255}, black{0, 0, 0}, rule{90, 90, 90};

  if (!options.title.empty())
    pic.text(std::max<int64_t>(2, (width - title_w * title_scale) / 2), 4, options.title, black, white, title_scale);
  for (int64_t p = 0; p < n; ++p)
    for (int64_t t = 0; t < n; ++t) {
      const auto k = static_cast<size_t>(p * n + t);
      const Color bg = blues(value[k]);
      const int64_t x0 = left + t * cw, y0 = top + p * ch;
      pic.fill(x0, y0, x0 + cw, y0 + ch, bg);
      const auto [tw, th] = text_size(label[k]);
      pic.text(x0 + (cw - tw) / 2, y0 + (ch - th) / 2 + 1, label[k], ink_on(bg), bg);
    }
  // A rule before the background row and column, and a frame.
  pic.fill(left, top + nc_ * ch, left + grid_w, top + nc_ * ch + 1, rule);
  pic.fill(left + nc_ * cw, top, left + nc_ * cw + 1, top + grid_h, rule);
  pic.fill(left - 1, top - 1, left + grid_w + 1, top, rule);
  pic.fill(left - 1, top + grid_h, left + grid_w + 1, top + grid_h + 1, rule);
  pic.fill(left - 1, top, left, top + grid_h, rule);
  pic.fill(left + grid_w, top, left + grid_w + 1, top + grid_h, rule);

  for (int64_t p = 0; p < n; ++p) {  // row names, right-aligned against the grid
    const auto [tw, th] = text_size(names[static_cast<size_t>(p)]);
    pic.text(left - 6 - tw, top + p * ch + (ch - th) / 2 + 1, names[static_cast<size_t>(p)], black, white);
  }
  for (int64_t t = 0; t < n; ++t) {  // column names, turned, hanging from the grid
    const auto [tw, th] = text_size(names[static_cast<size_t>(t)]);
    pic.text(left + t * cw + (cw - th) / 2, top + grid_h + 6, names[static_cast<size_t>(t)], black, white, 1, true);
  }
  const int64_t pw = text_size("Predicted")[0];
  pic.text(4, top + (grid_h - pw) / 2, "Predicted", black, white, 1, true);
  const int64_t true_w = text_size("True")[0];
  pic.text(left + (grid_w - true_w) / 2, top + grid_h + 6 + name_w + 8, "True", black, white);

  // The colour bar: the top row is the largest value.
  const int64_t bx = left + grid_w + 12;
  for (int64_t y = 0; y < grid_h; ++y)
    pic.fill(bx, top + y, bx + 12, top + y + 1, blues(1.0 - static_cast<double>(y) / static_cast<double>(grid_h - 1)));
  pic.text(bx + 16, top, bar_max, black, white);
  pic.text(bx + 16, top + grid_h - line_h, "0", black, white);
  return pic.t;
}

void DetectionConfusionMatrix::save_plot(const std::string& path, const std::vector<std::string>& class_names,
                                         const ConfusionPlotOptions& options) const {
  data::write_image(path, plot(class_names, options));
}

}  // namespace seek::vision

#pragma once
// Drawing on images for detection results and training reports (torchvision.utils' names where it has
// one): bounding boxes with labelled tags, text (stb_easy_font's bitmap glyphs), a grid of a batch of
// images, and a line plot of training curves, all into uint8 [3, H, W] tensors that data::write_image
// saves as PNG. Everything runs on the host (the image is copied to the CPU first).
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "seek/core/tensor.h"

namespace seek::vision {

using Color = std::array<uint8_t, 3>;  // RGB

// A distinct colour per index (a fixed palette of 20, repeating).
Color palette_color(int64_t index);

// A float image in [0, 1] ([C, H, W], C = 1 or 3) as uint8 RGB [3, H, W] (rounded, clamped; grey
// replicated); a uint8 [1|3, H, W] image comes back as RGB as well.
Tensor to_rgb_uint8(const Tensor& image);

// torchvision.utils.draw_bounding_boxes: a copy of `image` (uint8 [3, H, W]; float in [0, 1] and
// grey images are converted by to_rgb_uint8) with every box of `boxes` (float [N, 4] xyxy pixels)
// outlined `width` pixels wide (inwards from the box edge), clipped to the image. labels: none, or
// one per box, written in a filled tag of the box colour above the box (inside it when the box
// touches the top edge); an empty label draws no tag. colors: none (palette by box index), one for
// all boxes, or one per box. fill: also tints the inside of the box (alpha 0.3).
// Throws ValueError / ShapeError naming the argument that does not fit.
Tensor draw_bounding_boxes(const Tensor& image, const Tensor& boxes, const std::vector<std::string>& labels = {},
                           const std::vector<Color>& colors = {}, int64_t width = 1, bool fill = false);

// Writes `text` (ASCII; '\n' starts a line) with its top-left corner at (x, y), each font pixel as
// scale x scale pixels, clipped to the image. Returns a copy of the image (uint8 [3, H, W]).
Tensor draw_text(const Tensor& image, int64_t x, int64_t y, const std::string& text, Color color, int64_t scale = 1);
// The size (width, height) in pixels that draw_text covers at scale 1.
std::array<int64_t, 2> text_size(const std::string& text);

// torchvision.utils.make_grid: images [B, C, H, W] (or a list of [C, H, W] of one size) tiled in rows
// of `nrow`, `padding` pixels between and around them filled with pad_value. A single image comes
// back as it is ([C, H, W]). Keeps the dtype.
Tensor make_grid(const Tensor& images, int64_t nrow = 8, int64_t padding = 2, double pad_value = 0.0);
Tensor make_grid(const std::vector<Tensor>& images, int64_t nrow = 8, int64_t padding = 2, double pad_value = 0.0);

// One curve of a line plot: points (x[i], y[i]) joined in order; non-finite points break the line.
struct PlotSeries {
  std::string name;  // in the legend
  std::vector<double> x, y;
  Color color{0, 0, 0};
};

struct PlotOptions {
  int64_t width = 640, height = 400;  // of the picture, in pixels (>= 120 x 80)
  std::string title;                  // above the plot area
  std::string x_label;                // under the x axis
};

// A white picture (uint8 [3, height, width]) with axes, their value range written at the ends,
// a light grid, every series drawn in its colour (2 px wide) and a legend of the names. The axes
// span the finite values of all series (a constant range is widened by one unit).
// Throws ValueError for no series, x and y of different lengths, no finite point, or a picture
// smaller than 120 x 80.
Tensor plot_lines(const std::vector<PlotSeries>& series, const PlotOptions& options = {});

}  // namespace seek::vision

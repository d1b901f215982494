// Drawing helpers: box outlines land on the box edges (width inwards, clipped at the image border,
// inside untouched), label tags, colours, text, torchvision's make_grid layout, the line plot's
// geometry, and errors naming the bad argument.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "seek/ops/creation.h"
#include "seek/ops/shape.h"
#include "seek/vision/draw.h"

namespace seek::vision {
namespace {

Tensor blank(int64_t h, int64_t w, uint8_t v = 0) { return full({3, h, w}, v, TensorOptions(kUInt8)); }

Color at(const Tensor& img, int64_t x, int64_t y) {
  const Tensor c = img.contiguous();
  const uint8_t* p = c.data_ptr<uint8_t>();
  const int64_t h = c.size(1), w = c.size(2);
  return {p[(0 * h + y) * w + x], p[(1 * h + y) * w + x], p[(2 * h + y) * w + x]};
}

// The number of pixels of exactly colour c.
int64_t count(const Tensor& img, Color c) {
  int64_t n = 0;
  for (int64_t y = 0; y < img.size(1); ++y)
    for (int64_t x = 0; x < img.size(2); ++x) n += at(img, x, y) == c;
  return n;
}

const Color kRed{255, 0, 0}, kBlack{0, 0, 0};

TEST(DrawBoundingBoxes, OutlineOnTheEdgesOnly) {
  const Tensor img = blank(20, 30);
  const Tensor out = draw_bounding_boxes(img, tensor<float>({5, 4, 15, 12}, Shape{1, 4}), {}, {kRed}, 1);
  EXPECT_EQ(out.dtype(), kUInt8);
  EXPECT_EQ(out.sizes(), (Shape{3, 20, 30}));
  // Columns 5..14 and rows 4..11 belong to the box; the outline is its border ring.
  for (int64_t x = 5; x < 15; ++x) EXPECT_EQ(at(out, x, 4), kRed) << x;
  for (int64_t x = 5; x < 15; ++x) EXPECT_EQ(at(out, x, 11), kRed) << x;
  for (int64_t y = 4; y < 12; ++y) EXPECT_EQ(at(out, 5, y), kRed) << y;
  for (int64_t y = 4; y < 12; ++y) EXPECT_EQ(at(out, 14, y), kRed) << y;
  EXPECT_EQ(count(out, kRed), 2 * 10 + 2 * 6);
  EXPECT_EQ(at(out, 10, 8), kBlack);  // inside
  EXPECT_EQ(at(img, 5, 4), kBlack);   // the input is not changed
}

TEST(DrawBoundingBoxes, WidthGoesInwardsAndClipsAtTheBorder) {
  const Tensor out = draw_bounding_boxes(blank(20, 20), tensor<float>({10, 10, 30, 30}, Shape{1, 4}), {}, {kRed}, 3);
  // Only the top and left sides are inside the image, 3 pixels thick.
  EXPECT_EQ(count(out, kRed), 3 * 10 + 3 * 7);
  EXPECT_EQ(at(out, 12, 15), kRed);
  EXPECT_EQ(at(out, 13, 15), kBlack);
  // Entirely outside: nothing drawn.
  EXPECT_EQ(count(draw_bounding_boxes(blank(10, 10), tensor<float>({20, 20, 25, 25}, Shape{1, 4}), {}, {kRed}), kRed),
            0);
}

TEST(DrawBoundingBoxes, ColorsPerBoxAndPalette) {
  const Tensor boxes = tensor<float>({1, 1, 5, 5, 10, 10, 15, 15}, Shape{2, 4});
  const Color blue{0, 0, 255};
  const Tensor out = draw_bounding_boxes(blank(20, 20), boxes, {}, {kRed, blue});
  EXPECT_EQ(at(out, 1, 1), kRed);
  EXPECT_EQ(at(out, 10, 10), blue);
  const Tensor pal = draw_bounding_boxes(blank(20, 20), boxes);
  EXPECT_EQ(at(pal, 1, 1), palette_color(0));
  EXPECT_EQ(at(pal, 10, 10), palette_color(1));
  EXPECT_NE(palette_color(0), palette_color(1));
  EXPECT_EQ(palette_color(20), palette_color(0));
}

TEST(DrawBoundingBoxes, LabelTagAboveTheBoxWithText) {
  const Tensor boxes = tensor<float>({10, 30, 50, 60}, Shape{1, 4});
  const Tensor plain = draw_bounding_boxes(blank(64, 64), boxes, {""}, {kRed});
  const Tensor tagged = draw_bounding_boxes(blank(64, 64), boxes, {"Bag 0.91"}, {kRed});
  EXPECT_EQ(count(plain, kRed), count(draw_bounding_boxes(blank(64, 64), boxes, {}, {kRed}), kRed));
  const auto [tw, th] = text_size("Bag 0.91");
  EXPECT_GT(tw, 20);
  EXPECT_EQ(th, 10);
  // The tag spans rows 30 - 11 .. 29 above the box: red background with white text (red is dark).
  int64_t red = 0, white = 0;
  for (int64_t y = 19; y < 30; ++y)
    for (int64_t x = 10; x < 10 + tw + 2; ++x) {
      red += at(tagged, x, y) == kRed;
      white += at(tagged, x, y) == Color{255, 255, 255};
    }
  EXPECT_GT(white, 10);
  EXPECT_EQ(red + white, 11 * (tw + 2));
  EXPECT_EQ(at(tagged, 10, 18), kBlack);  // nothing above the tag
  // A box at the top edge gets its tag inside.
  const Tensor top = draw_bounding_boxes(blank(64, 64), tensor<float>({10, 0, 50, 40}, Shape{1, 4}), {"x"}, {kRed});
  EXPECT_GT(count(top, Color{255, 255, 255}), 0);
}

TEST(DrawBoundingBoxes, FloatAndGreyImagesAndFill) {
  const Tensor grey = full({1, 8, 8}, 0.5, TensorOptions(kFloat32));
  const Tensor out = draw_bounding_boxes(grey, tensor<float>({0, 0, 8, 8}, Shape{1, 4}), {}, {kRed}, 1, true);
  EXPECT_EQ(out.sizes(), (Shape{3, 8, 8}));
  EXPECT_EQ(at(out, 0, 0), kRed);
  // Inside: 0.7 * 128 + 0.3 * colour.
  EXPECT_EQ(at(out, 4, 4), (Color{166, 90, 90}));
  EXPECT_EQ(to_rgb_uint8(grey).sizes(), (Shape{3, 8, 8}));
  EXPECT_EQ(at(to_rgb_uint8(grey), 3, 3), (Color{128, 128, 128}));
}

TEST(DrawBoundingBoxes, Errors) {
  const Tensor img = blank(10, 10), box = tensor<float>({1, 1, 5, 5}, Shape{1, 4});
  EXPECT_THROW(draw_bounding_boxes(blank(10, 10).view({30, 10}), box), ShapeError);
  EXPECT_THROW(draw_bounding_boxes(img, tensor<float>({1, 1, 5}, Shape{1, 3})), ShapeError);
  EXPECT_THROW(draw_bounding_boxes(img, box, {"a", "b"}), ValueError);
  EXPECT_THROW(draw_bounding_boxes(img, box.repeat({3, 1}), {}, {kRed, kRed}), ValueError);
  EXPECT_THROW(draw_bounding_boxes(img, box, {}, {}, 0), ValueError);
  EXPECT_THROW(draw_bounding_boxes(img, tensor<float>({5, 1, 1, 5}, Shape{1, 4})), ValueError);
  EXPECT_THROW(draw_bounding_boxes(full({3, 4, 4}, 1, TensorOptions(kInt32)), box), DTypeError);
  try {
    draw_bounding_boxes(img, box, {"a", "b"});
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("labels"), std::string::npos) << e.what();
  }
}

TEST(DrawText, DrawsClippedScaledGlyphs) {
  const Tensor one = draw_text(blank(20, 40), 2, 2, "Hi", kRed, 1);
  const Tensor two = draw_text(blank(40, 80), 4, 4, "Hi", kRed, 2);
  const int64_t n1 = count(one, kRed);
  EXPECT_GT(n1, 5);
  EXPECT_EQ(count(two, kRed), 4 * n1);
  // Glyph pixels stay within text_size from the origin.
  const auto [tw, th] = text_size("Hi");
  for (int64_t y = 0; y < 20; ++y)
    for (int64_t x = 0; x < 40; ++x)
      if (at(one, x, y) == kRed) {
        EXPECT_GE(x, 2);
        EXPECT_LT(x, 2 + tw);
        EXPECT_GE(y, 2);
        EXPECT_LT(y, 2 + th);
      }
  EXPECT_NO_THROW(draw_text(blank(5, 5), -10, 3, "clipped", kRed));
  EXPECT_THROW(draw_text(blank(5, 5), 0, 0, "x", kRed, 0), ValueError);
  EXPECT_EQ(text_size("a\nb")[1], 22);
}

TEST(MakeGrid, TorchvisionLayout) {
  std::vector<Tensor> ims;
  for (int v = 1; v <= 5; ++v) ims.push_back(full({1, 2, 3}, v, TensorOptions(kFloat32)));
  const Tensor g = make_grid(ims, 2, 1, -1.0);
  // 3 rows x 2 columns of (2 + 1) x (3 + 1) cells plus the outer padding.
  ASSERT_EQ(g.sizes(), (Shape{1, 3 * 3 + 1, 2 * 4 + 1}));
  auto v = [&](int64_t y, int64_t x) { return g[0][y][x].item<float>(); };
  EXPECT_EQ(v(0, 0), -1.0f);
  EXPECT_EQ(v(1, 1), 1.0f);
  EXPECT_EQ(v(2, 3), 1.0f);
  EXPECT_EQ(v(1, 4), -1.0f);
  EXPECT_EQ(v(1, 5), 2.0f);
  EXPECT_EQ(v(4, 1), 3.0f);
  EXPECT_EQ(v(7, 1), 5.0f);
  EXPECT_EQ(v(7, 5), -1.0f);  // the empty sixth cell
  EXPECT_EQ(make_grid(stack(ims, 0).slice(0, 0, 1)).sizes(), (Shape{1, 2, 3}));
  EXPECT_EQ(make_grid(stack(ims, 0), 8, 0).sizes(), (Shape{1, 2, 15}));
  EXPECT_THROW(make_grid(std::vector<Tensor>{ims[0], full({1, 3, 3}, 0)}), ShapeError);
  EXPECT_THROW(make_grid(std::vector<Tensor>{}), ValueError);
  EXPECT_THROW(make_grid(stack(ims, 0), 0), ValueError);
}

TEST(PlotLines, CurvesInTheirColoursWithTheRightSlope) {
  const Color blue{0, 0, 255};
  PlotSeries up{"loss", {0, 1, 2, 3}, {0, 1, 2, 3}, kRed};
  PlotSeries down{"mAP", {0, 3}, {3, 0}, blue};
  const Tensor img = plot_lines({up, down}, {.width = 200, .height = 120, .title = "curves", .x_label = "epoch"});
  ASSERT_EQ(img.sizes(), (Shape{3, 120, 200}));
  // The rising series is higher in the picture (smaller y) at x = 140 than at x = 60 (both inside the
  // plot area, away from the crossing of the two lines and from the legend at the top right).
  auto red_row = [&](int64_t x) {
    double sum = 0, n = 0;
    for (int64_t y = 0; y < 120; ++y)
      if (at(img, x, y) == kRed) sum += y, ++n;
    return n > 0 ? sum / n : -1.0;
  };
  const double left_y = red_row(60), right_y = red_row(140);
  ASSERT_GE(left_y, 0);
  ASSERT_GE(right_y, 0);
  EXPECT_GT(left_y, right_y + 20);
  EXPECT_GT(count(img, blue), 50);
  EXPECT_GT(count(img, Color{255, 255, 255}), 200 * 120 / 2);  // a white background
  // A non-finite value breaks the line but is fine.
  EXPECT_NO_THROW(plot_lines({PlotSeries{"a", {0, 1, 2}, {1, NAN, 2}, kRed}}));
  EXPECT_THROW(plot_lines({}), ValueError);
  EXPECT_THROW(plot_lines({PlotSeries{"a", {0, 1}, {1}, kRed}}), ValueError);
  EXPECT_THROW(plot_lines({PlotSeries{"a", {NAN}, {1}, kRed}}), ValueError);
  EXPECT_THROW(plot_lines({up}, {.width = 50, .height = 50}), ValueError);
}

}  // namespace
}  // namespace seek::vision

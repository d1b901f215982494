// The detection transforms one by one: each keeps a box on the solid-coloured
// rectangle it was drawn around, degenerate boxes go, letterbox inverts, the
// draws are reproducible, bad input errors.
#include <gtest/gtest.h>

#include <cmath>

#include "detection_test_util.h"
#include "seek/data/detection_transforms.h"
#include "seek/seek.h"

using namespace seek;
using namespace seek::data;
using seek::testing::boxed_scene;
using seek::testing::colour_bbox;
using seek::testing::expect_boxes_on_colour;
using seek::testing::Rect;

namespace {

std::vector<float> boxes_of(const BoxedImage& b) { return to_vector<float>(b.boxes); }

TEST(DetectionLetterbox, EnlargesWideImageAndPadsCentred) {
  // 60 x 100: ratio 1.28, resized 128 x 77 (round(76.8)), dh = 25.5 -> top = round(25.4) = 25.
  const BoxedImage in = boxed_scene(60, 100, {{10, 12, 40, 30, 0}, {60, 35, 95, 55, 2}});
  const Letterboxed lb = letterbox(in, 128);
  EXPECT_DOUBLE_EQ(lb.ratio, 1.28);
  EXPECT_EQ(lb.pad_x, 0.0);
  EXPECT_EQ(lb.pad_y, 25.0);
  EXPECT_EQ(lb.out.image.sizes(), (Shape{3, 128, 128}));
  const std::vector<float> b = boxes_of(lb.out);
  EXPECT_NEAR(b[0], 12.8, 1e-5);
  EXPECT_NEAR(b[1], 12 * 1.28 + 25, 1e-5);
  // The padding rows hold 114 / 255; the first image row is just below them.
  const std::vector<float> v = to_vector<float>(lb.out.image);
  EXPECT_NEAR(v[0], 114.0 / 255.0, 1e-6);
  EXPECT_NEAR(v[24 * 128 + 64], 114.0 / 255.0, 1e-6);
  EXPECT_NEAR(v[(25 + 102) * 128 + 64], 114.0 / 255.0, 1e-6);
  EXPECT_NEAR(v[26 * 128 + 64], 0.5, 1e-6);
  EXPECT_EQ(expect_boxes_on_colour(lb.out.image, lb.out.boxes, lb.out.labels, 1.0), 2);
}

TEST(DetectionLetterbox, ShrinksTallImageByAreaAveraging) {
  const BoxedImage in = boxed_scene(300, 200, {{20, 30, 120, 250, 1}, {150, 10, 190, 60, 0}});
  const Letterboxed lb = letterbox(in, 128);
  EXPECT_NEAR(lb.ratio, 128.0 / 300.0, 1e-12);
  EXPECT_EQ(lb.pad_y, 0.0);
  EXPECT_EQ(lb.pad_x, std::round((128 - 85) / 2.0 - 0.1));  // width round(85.33) = 85
  EXPECT_EQ(expect_boxes_on_colour(lb.out.image, lb.out.boxes, lb.out.labels, 1.0), 2);
  // Area averaging keeps the mean of a uniform region exactly.
  const std::vector<float> v = to_vector<float>(lb.out.image);
  EXPECT_NEAR(v[static_cast<size_t>(127 * 128 + 64)], 0.5, 1e-6);
}

TEST(DetectionLetterbox, MappingInverts) {
  for (auto [h, w] : {std::pair<int64_t, int64_t>{60, 100}, {300, 200}, {128, 128}, {37, 129}}) {
    const BoxedImage in = boxed_scene(h, w, {{1, 2, w / 2, h - 1, 0}, {w / 3, h / 4, w - 1, h / 2, 1}});
    const Letterboxed lb = letterbox(in, 96);
    const Tensor back = unletterbox_boxes(lb.out.boxes, lb.ratio, lb.pad_x, lb.pad_y);
    const std::vector<float> a = to_vector<float>(in.boxes), g = to_vector<float>(back);
    ASSERT_EQ(a.size(), g.size());
    for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(g[i], a[i], 1e-3) << h << "x" << w << " value " << i;
  }
}

TEST(DetectionLetterbox, NoScaleUpKeepsSmallImages) {
  const BoxedImage in = boxed_scene(40, 50, {{5, 5, 20, 30, 2}});
  const Letterboxed lb = letterbox(in, 64, 0.0, false);
  EXPECT_EQ(lb.ratio, 1.0);
  EXPECT_EQ(lb.pad_x, 7.0);  // round(7 - 0.1)
  EXPECT_EQ(lb.pad_y, 12.0);
  const std::vector<float> b = boxes_of(lb.out);
  EXPECT_EQ(b, (std::vector<float>{12, 17, 27, 42}));
  // No resampling at ratio 1: the pixels are copied.
  const std::vector<float> v = to_vector<float>(lb.out.image), s = to_vector<float>(in.image);
  EXPECT_EQ(v[static_cast<size_t>(2 * 64 * 64 + 17 * 64 + 12)], s[static_cast<size_t>(2 * 40 * 50 + 5 * 50 + 5)]);
  EXPECT_EQ(v[0], 0.0f);
}

TEST(DetectionPerspective, RandomWarpsKeepBoxesOnTheirColour) {
  PerspectiveOptions o;
  o.degrees = 30;
  o.shear = 10;
  o.scale = 0.5;
  o.translate = 0.1;
  int64_t checked = 0;
  for (uint64_t seed = 0; seed < 40; ++seed) {
    Generator g(seed);
    const BoxedImage in = boxed_scene(128, 128, {{20, 20, 60, 50, 0}, {70, 60, 110, 120, 1}, {30, 80, 55, 110, 2}});
    const BoxedImage out = random_perspective(in, o, 0, &g);
    EXPECT_EQ(out.image.sizes(), (Shape{3, 128, 128}));
    checked += expect_boxes_on_colour(out.image, out.boxes, out.labels, 1.5);
  }
  EXPECT_GT(checked, 80);  // most boxes survive
}

TEST(DetectionPerspective, ProjectiveWarpKeepsBoxesOnTheirColour) {
  PerspectiveOptions o;
  o.perspective = 0.0008;
  o.scale = 0.2;
  o.degrees = 5;
  for (uint64_t seed = 0; seed < 6; ++seed) {
    Generator g(seed + 100);
    const BoxedImage in = boxed_scene(128, 128, {{40, 40, 90, 80, 2}});
    const BoxedImage out = random_perspective(in, o, 0, &g);
    // The mapped box is the bounding box of the mapped corners, which bound the
    // (convex) projected rectangle.
    EXPECT_EQ(expect_boxes_on_colour(out.image, out.boxes, out.labels, 1.5), 1);
  }
}

TEST(DetectionPerspective, IntegerTranslationMovesPixelsExactly) {
  const BoxedImage in = boxed_scene(40, 50, {{5, 6, 20, 30, 0}});
  PerspectiveOptions o;
  o.pad_value = 0.25;
  const Matrix3 m = {1, 0, 10, 0, 1, -4, 0, 0, 1};
  const BoxedImage out = warp_perspective(in, m, 40, 50, o);
  EXPECT_EQ(boxes_of(out), (std::vector<float>{15, 2, 30, 26}));
  const std::vector<float> s = to_vector<float>(in.image), d = to_vector<float>(out.image);
  for (int64_t ch = 0; ch < 3; ++ch)
    for (int64_t y = 0; y < 40; ++y)
      for (int64_t x = 0; x < 50; ++x) {
        const int64_t sy = y + 4, sx = x - 10;
        const float want =
            sy < 40 && sx >= 0 ? s[static_cast<size_t>((ch * 40 + sy) * 50 + sx)] : 0.25f;  // pad outside
        ASSERT_FLOAT_EQ(d[static_cast<size_t>((ch * 40 + y) * 50 + x)], want) << ch << " " << y << " " << x;
      }
}

TEST(DetectionPerspective, SameSeedSameResultAndEightDraws) {
  PerspectiveOptions o;
  o.degrees = 10;
  const BoxedImage in = boxed_scene(64, 64, {{10, 10, 40, 40, 1}});
  Generator g1(5), g2(5);
  const BoxedImage a = random_perspective(in, o, 0, &g1), b = random_perspective(in, o, 0, &g2);
  EXPECT_TRUE(equal(a.image, b.image));
  EXPECT_EQ(boxes_of(a), boxes_of(b));
  EXPECT_EQ(g1.offset(), 8u);
  Generator g3(6);
  const BoxedImage c = random_perspective(in, o, 0, &g3);
  EXPECT_FALSE(equal(a.image, c.image));
}

TEST(DetectionPerspective, DropsDegenerateBoxes) {
  PerspectiveOptions o;
  // Zoom 0.05: a 30-pixel box becomes 1.5 pixels, below min_box_size 2; the
  // 64-pixel one becomes 3.2 pixels and stays.
  const BoxedImage in = boxed_scene(64, 64, {{10, 10, 40, 40, 0}, {0, 0, 64, 64, 1}});
  const BoxedImage small = warp_perspective(in, {0.05, 0, 0, 0, 0.05, 0, 0, 0, 1}, 64, 64, o);
  EXPECT_EQ(to_vector<int64_t>(small.labels), (std::vector<int64_t>{1}));
  // A 50 x 50 box moved up by 56 pixels keeps 50 x 4 inside: 8% of its area
  // (below area_thr 0.1) although 4 pixels exceed min_box_size; moved by 50 it
  // keeps 20% and stays.
  const BoxedImage big = boxed_scene(64, 64, {{10, 10, 60, 60, 2}});
  EXPECT_EQ(warp_perspective(big, {1, 0, 0, 0, 1, -56, 0, 0, 1}, 64, 64, o).boxes.size(0), 0);
  const BoxedImage kept = warp_perspective(big, {1, 0, 0, 0, 1, -50, 0, 0, 1}, 64, 64, o);
  EXPECT_EQ(boxes_of(kept), (std::vector<float>{10, 0, 60, 10}));
  EXPECT_EQ(expect_boxes_on_colour(kept.image, kept.boxes, kept.labels, 0.0), 1);
  // Entirely outside: dropped with its label.
  const BoxedImage gone = warp_perspective(in, {1, 0, 100, 0, 1, 0, 0, 0, 1}, 64, 64, o);
  EXPECT_EQ(gone.boxes.size(0), 0);
  EXPECT_EQ(gone.labels.size(0), 0);
}

TEST(DetectionBoxCandidates, YoloV5Rules) {
  // before (scaled), after: kept; too narrow; too little area left; aspect ratio >= 100.
  const std::vector<float> before = {0, 0, 10, 10, 0, 0, 10, 10, 0, 0, 100, 100, 0, 0, 1000, 10};
  const std::vector<float> after = {0, 0, 9, 9, 0, 0, 2, 10, 0, 0, 30, 30, 0, 0, 600, 5};
  const std::vector<bool> keep = box_candidates(before, after);
  EXPECT_EQ(keep, (std::vector<bool>{true, false, false, false}));
  EXPECT_EQ(box_candidates(before, after, 1.0, 200.0, 0.05), (std::vector<bool>{true, true, true, true}));
  EXPECT_THROW(box_candidates({0, 0, 1}, {0, 0, 1}), ShapeError);
}

TEST(DetectionFlip, HorizontalAndVerticalMoveBoxesWithPixels) {
  const BoxedImage in = boxed_scene(30, 40, {{3, 5, 13, 25, 0}, {20, 1, 39, 9, 2}});
  const BoxedImage h = hflip(in), v = vflip(in);
  EXPECT_EQ(boxes_of(h), (std::vector<float>{27, 5, 37, 25, 1, 1, 20, 9}));
  EXPECT_EQ(boxes_of(v), (std::vector<float>{3, 5, 13, 25, 20, 21, 39, 29}));
  EXPECT_TRUE(equal(h.image, in.image.flip({2})));
  EXPECT_TRUE(equal(v.image, in.image.flip({1})));
  EXPECT_EQ(expect_boxes_on_colour(h.image, h.boxes, h.labels, 0.0), 2);
  EXPECT_EQ(expect_boxes_on_colour(v.image, v.boxes, v.labels, 0.0), 2);
}

TEST(DetectionHsv, KnownColoursAndUnchangedBoxes) {
  // red, green, grey pixels in a 1 x 3 image.
  const Tensor img = tensor(std::vector<float>{1, 0, 0.5, 0, 1, 0.5, 0, 0, 0.5}, {3, 1, 3}, TensorOptions(kFloat32));
  const Tensor boxes = tensor(std::vector<float>{0, 0, 1, 1}, {1, 4}, TensorOptions(kFloat32));
  const Tensor labels = tensor(std::vector<int64_t>{2}, {1}, TensorOptions(kInt64));
  const BoxedImage same = adjust_hsv({img, boxes, labels}, 1, 1, 1);
  EXPECT_TRUE(allclose(same.image, img, 0, 1e-6));
  EXPECT_EQ(boxes_of(same), (std::vector<float>{0, 0, 1, 1}));
  // Half saturation: red -> (1, .5, .5); hue x1.5: green (1/3) -> cyan (1/2); value x0.5: grey -> .25.
  const BoxedImage s = adjust_hsv({img, boxes, labels}, 1, 0.5, 1);
  EXPECT_TRUE(allclose(s.image.select(2, 0).flatten(), tensor(std::vector<float>{1, 0.5, 0.5}, {3}), 0, 1e-6));
  const BoxedImage h = adjust_hsv({img, boxes, labels}, 1.5, 1, 1);
  EXPECT_TRUE(allclose(h.image.select(2, 1).flatten(), tensor(std::vector<float>{0, 1, 1}, {3}), 0, 1e-6));
  const BoxedImage v = adjust_hsv({img, boxes, labels}, 1, 1, 0.5);
  EXPECT_TRUE(allclose(v.image.select(2, 2).flatten(), tensor(std::vector<float>{0.25, 0.25, 0.25}, {3}), 0, 1e-6));
  // Values saturate at 1.
  const BoxedImage up = adjust_hsv({img, boxes, labels}, 1, 1, 3);
  EXPECT_FLOAT_EQ(to_vector<float>(up.image.select(2, 2))[0], 1.0f);
  // Random gains: 3 draws, boxes untouched.
  Generator g(1);
  const BoxedImage r = augment_hsv({img, boxes, labels}, 0.015, 0.7, 0.4, &g);
  EXPECT_EQ(g.offset(), 3u);
  EXPECT_EQ(boxes_of(r), (std::vector<float>{0, 0, 1, 1}));
}

TEST(DetectionMosaic, PiecesAroundTheCentreWithTheirBoxes) {
  std::array<BoxedImage, 4> p = {boxed_scene(64, 64, {{10, 10, 40, 30, 0}}), boxed_scene(50, 64, {{5, 20, 30, 45, 1}}),
                                 boxed_scene(64, 40, {{8, 8, 30, 50, 2}}), boxed_scene(60, 60, {{20, 15, 50, 40, 0}})};
  const int64_t xc = 70, yc = 60;
  const BoxedImage m = mosaic(p, 64, xc, yc);
  EXPECT_EQ(m.image.sizes(), (Shape{3, 128, 128}));
  // Piece 3 (bottom right) starts at the centre; piece 0 (top left) ends there.
  const std::vector<float> v = to_vector<float>(m.image), p3 = to_vector<float>(p[3].image),
                           p0 = to_vector<float>(p[0].image);
  for (int64_t ch = 0; ch < 3; ++ch)
    for (int64_t y = 0; y < 60 && yc + y < 128; ++y)
      for (int64_t x = 0; x < 58; ++x)
        ASSERT_EQ(v[static_cast<size_t>((ch * 128 + yc + y) * 128 + xc + x)],
                  p3[static_cast<size_t>((ch * 60 + y) * 60 + x)]);
  EXPECT_EQ(v[static_cast<size_t>((yc - 1) * 128 + xc - 1)], p0[static_cast<size_t>(63 * 64 + 63)]);
  // Outside every piece: the padding.
  EXPECT_NEAR(v[0], 114.0 / 255.0, 1e-7);
  const std::vector<float> b = boxes_of(m);
  ASSERT_EQ(b.size(), 16u);
  EXPECT_EQ((std::vector<float>(b.begin(), b.begin() + 4)), (std::vector<float>{16, 6, 46, 26}));        // + (6, -4)
  EXPECT_EQ((std::vector<float>(b.begin() + 4, b.begin() + 8)), (std::vector<float>{75, 30, 100, 55}));  // + (70, 10)
  EXPECT_EQ(expect_boxes_on_colour(m.image, m.boxes, m.labels, 0.0), 4);
}

TEST(DetectionMosaic, CanvasCutsClipAndDropBoxes) {
  // Centre near the top-left corner: piece 0 shows only its bottom-right 10 x 12
  // pixels, so its box at the top-left is gone and the one at the corner is clipped.
  std::array<BoxedImage, 4> p = {boxed_scene(64, 64, {{2, 2, 20, 20, 0}, {50, 48, 64, 64, 1}}), boxed_scene(64, 64, {}),
                                 boxed_scene(64, 64, {}), boxed_scene(64, 64, {})};
  const BoxedImage m = mosaic(p, 64, 10, 12);
  EXPECT_EQ(to_vector<int64_t>(m.labels), (std::vector<int64_t>{1}));
  EXPECT_EQ(boxes_of(m), (std::vector<float>{0, 0, 10, 12}));
  EXPECT_EQ(expect_boxes_on_colour(m.image, m.boxes, m.labels, 0.0), 1);
}

TEST(DetectionMosaic, RandomMosaicThenPerspectiveKeepsBoxes) {
  PerspectiveOptions o;
  o.degrees = 5;
  int64_t checked = 0;
  for (uint64_t seed = 0; seed < 10; ++seed) {
    Generator g(seed);
    std::array<BoxedImage, 4> p = {boxed_scene(64, 64, {{10, 10, 40, 30, 0}}),
                                   boxed_scene(64, 48, {{5, 20, 30, 45, 1}}), boxed_scene(48, 64, {{8, 8, 50, 40, 2}}),
                                   boxed_scene(64, 64, {{20, 15, 50, 40, 0}})};
    const auto c = random_mosaic_centre(64, &g);
    EXPECT_GE(c[0], 32);
    EXPECT_LT(c[0], 96);
    const BoxedImage out = random_perspective(mosaic(p, 64, c[0], c[1]), o, -32, &g);
    EXPECT_EQ(out.image.sizes(), (Shape{3, 64, 64}));
    checked += expect_boxes_on_colour(out.image, out.boxes, out.labels, 1.5);
  }
  EXPECT_GT(checked, 10);
}

TEST(DetectionTransforms, BadInputErrors) {
  const BoxedImage ok = boxed_scene(16, 16, {{1, 1, 5, 5, 0}});
  EXPECT_THROW(letterbox({ok.image.select(0, 0), ok.boxes, ok.labels}, 32), ShapeError);
  EXPECT_THROW(letterbox({ok.image, ok.boxes.narrow(1, 0, 3), ok.labels}, 32), ShapeError);
  EXPECT_THROW(letterbox({ok.image, ok.boxes, zeros({2}, TensorOptions(kInt64))}, 32), ShapeError);
  EXPECT_THROW(letterbox({ok.image, ok.boxes, zeros({1}, TensorOptions(kFloat32))}, 32), DTypeError);
  EXPECT_THROW(letterbox({ok.image.to(kInt64), ok.boxes, ok.labels}, 32), DTypeError);
  EXPECT_THROW(letterbox(ok, 0), ValueError);
  EXPECT_THROW(adjust_hsv({ok.image.narrow(0, 0, 1), ok.boxes, ok.labels}, 1, 1, 1), ShapeError);
  EXPECT_THROW(augment_hsv(ok, 2.0, 0, 0), ValueError);
  EXPECT_THROW(warp_perspective(ok, {1, 0, 0, 2, 0, 0, 0, 0, 1}, 16, 16, {}), ValueError);  // singular
  EXPECT_THROW(warp_perspective(ok, {1, 0, 0, 0, 1, 0, 0, 0, 1}, 0, 16, {}), ValueError);
  PerspectiveOptions neg;
  neg.degrees = -1;
  EXPECT_THROW(random_perspective(ok, neg), ValueError);
  EXPECT_THROW(random_perspective(ok, {}, -8), ValueError);  // nothing left
  std::array<BoxedImage, 4> p = {ok, ok, ok, ok};
  EXPECT_THROW(mosaic(p, 16, 40, 4), ValueError);
  p[2] = {ok.image.narrow(0, 0, 1), ok.boxes, ok.labels};
  EXPECT_THROW(mosaic(p, 16, 8, 8), ShapeError);
  try {
    letterbox({ok.image, ok.boxes, zeros({3}, TensorOptions(kInt64))}, 32);
    FAIL();
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("labels"), std::string::npos) << e.what();
  }
}

}  // namespace

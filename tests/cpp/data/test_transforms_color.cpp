// rgb_to_grayscale, adjust_brightness / contrast / saturation / hue and
// ColorJitter: hand-derived cases, float64 references (gen_transforms_ref.py:
// torchvision's formulas written with torch ops), the documented draws, errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "seek/seek.h"
#include "data/image_test_util.h"
#include "support/test_util.h"

using namespace seek;
using namespace seek::data::transforms;
using seek::testing::expect_near_all;
using seek::testing::ref_image;

namespace {

// One pixel per colour: [3, 1, n] from {r, g, b} triples.
Tensor pixels(const std::vector<std::vector<double>>& rgb) {
  const auto n = static_cast<int64_t>(rgb.size());
  std::vector<double> v(static_cast<size_t>(3 * n));
  for (int64_t p = 0; p < n; ++p)
    for (int64_t c = 0; c < 3; ++c)
      v[static_cast<size_t>(c * n + p)] = rgb[static_cast<size_t>(p)][static_cast<size_t>(c)];
  return tensor(v, {3, 1, n}, TensorOptions(kFloat64));
}

// Contrast: shape [3, 4, 5]
const std::vector<double> kContrast = {
    0.20047980000000001, 0.42247980000000002, 0.64447980000000005, 0.26047980000000004, 0.48247980000000001,
    0.70447979999999999, 0.32047979999999998, 0.54247979999999996, 0.76447979999999993, 0.38047980000000003,
    0.60247980000000001, 0.2184798,           0.44047979999999998, 0.66247979999999995, 0.2784798,
    0.50047980000000003, 0.72247980000000001, 0.3384798,           0.56047979999999997, 0.78247979999999995,
    0.39847980000000005, 0.62047980000000003, 0.23647980000000002, 0.45847979999999999, 0.68047979999999997,
    0.29647980000000002, 0.51847980000000005, 0.74047980000000002, 0.35647980000000001, 0.57847979999999999,
    0.80047979999999996, 0.41647980000000001, 0.63847980000000004, 0.25447980000000003, 0.47647980000000001,
    0.69847979999999998, 0.31447979999999998, 0.53647980000000006, 0.75847980000000004, 0.37447980000000003,
    0.5964798,           0.21247980000000002, 0.43447979999999997, 0.65647979999999995, 0.27247979999999999,
    0.49447980000000002, 0.7164798,           0.33247979999999999, 0.55447979999999997, 0.77647979999999994,
    0.39247980000000005, 0.61447980000000002, 0.23047980000000001, 0.45247979999999999, 0.67447979999999996,
    0.29047980000000001, 0.51247980000000004, 0.73447980000000002, 0.35047980000000001, 0.57247979999999998,
};
// Saturation: shape [3, 4, 5]
const std::vector<double> kSaturation = {
    0,
    0.26235890000000006,
    1,
    0,
    0.36236589999999991,
    1,
    0.011749000000000009,
    0.46237289999999986,
    1,
    0.11175600000000002,
    0.56237990000000004,
    0,
    0.29236100000000009,
    1,
    0,
    0.39236800000000011,
    1,
    0.041751100000000041,
    0.49237500000000012,
    1,
    0.37273500000000004,
    0.8233589,
    0,
    0.472742,
    0.92336590000000007,
    0,
    0.57274899999999995,
    1,
    0.091407800000000039,
    0.67275599999999991,
    1,
    0.40273710000000001,
    0.85336099999999993,
    0,
    0.50274410000000014,
    0.95336799999999999,
    0.021402900000000002,
    0.6027511000000001,
    1,
    0.12140990000000002,
    0.93373500000000009,
    0,
    0.45239380000000007,
    1,
    0,
    0.55240080000000003,
    1,
    0,
    0.65240779999999998,
    1,
    0,
    0.9637370999999999,
    0,
    0.48239589999999999,
    1,
    0,
    0.58240289999999995,
    1,
    0,
    0.68240990000000012,
};
// Hue: shape [3, 4, 5]
const std::vector<double> kHue = {
    0.66000000000000003,
    0.020000000000000004,
    0.52599999999999958,
    0.76000000000000001,
    0.12000000000000002,
    0.62599999999999956,
    0.85999999999999999,
    0.22000000000000003,
    0.72599999999999953,
    0.95999999999999996,
    0.32000000000000006,
    0.68999999999999995,
    0.050000000000000037,
    0.55599999999999949,
    0.79000000000000004,
    0.15000000000000002,
    0.65599999999999958,
    0.89000000000000001,
    0.25,
    0.75599999999999956,
    0,
    0.50599999999999978,
    0.73999999999999999,
    0.099999999999999978,
    0.60599999999999987,
    0.83999999999999997,
    0.20000000000000007,
    0.70599999999999985,
    0.93999999999999995,
    0.3000000000000001,
    0.80599999999999983,
    0.030000000000000054,
    0.5359999999999997,
    0.77000000000000002,
    0.13,
    0.63599999999999979,
    0.87,
    0.22999999999999998,
    0.73599999999999977,
    0.96999999999999997,
    0.46199999999999958,
    0.69999999999999996,
    0.060000000000000046,
    0.5619999999999995,
    0.80000000000000004,
    0.15999999999999998,
    0.66199999999999948,
    0.90000000000000002,
    0.26000000000000006,
    0.76199999999999946,
    1,
    0.49199999999999949,
    0.72999999999999998,
    0.089999999999999941,
    0.59199999999999953,
    0.82999999999999996,
    0.19000000000000006,
    0.6919999999999995,
    0.93000000000000005,
    0.29000000000000004,
};
// HueNeg: shape [3, 4, 5]
const std::vector<double> kHueNeg = {
    0.66000000000000003,
    0.55399999999999994,
    0.060000000000000046,
    0.76000000000000001,
    0.65399999999999991,
    0.15999999999999998,
    0.85999999999999999,
    0.754,
    0.26000000000000006,
    0.95999999999999996,
    0.85399999999999987,
    0.68999999999999995,
    0.58399999999999996,
    0.089999999999999941,
    0.79000000000000004,
    0.68399999999999983,
    0.19000000000000006,
    0.89000000000000001,
    0.78399999999999992,
    0.29000000000000004,
    0.52800000000000058,
    0.020000000000000004,
    0.73999999999999999,
    0.62800000000000056,
    0.12000000000000002,
    0.83999999999999997,
    0.72800000000000054,
    0.22000000000000003,
    0.93999999999999995,
    0.82800000000000051,
    0.32000000000000006,
    0.5580000000000005,
    0.050000000000000037,
    0.77000000000000002,
    0.65800000000000058,
    0.15000000000000002,
    0.87,
    0.75800000000000056,
    0.25,
    0.96999999999999997,
    0,
    0.69999999999999996,
    0.6140000000000001,
    0.099999999999999978,
    0.80000000000000004,
    0.71400000000000019,
    0.20000000000000007,
    0.90000000000000002,
    0.81400000000000017,
    0.3000000000000001,
    1,
    0.030000000000000054,
    0.72999999999999998,
    0.64400000000000013,
    0.13,
    0.82999999999999996,
    0.74400000000000011,
    0.22999999999999998,
    0.93000000000000005,
    0.84400000000000008,
};

}  // namespace

TEST(ColorFunctional, GrayscaleAndBrightnessByHand) {
  Tensor px = pixels({{1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {0.5, 0.5, 0.5}});
  expect_near_all(rgb_to_grayscale(px), {0.2989, 0.587, 0.114, 0.5 * (0.2989 + 0.587 + 0.114)}, 1e-15);
  EXPECT_EQ(rgb_to_grayscale(px).sizes(), (Shape{1, 1, 4}));
  // 2 * x, clamped to [0, 1].
  Tensor x = tensor<float>({0.2f, 0.6f, 0.0f, 0.45f}, {1, 2, 2});
  expect_near_all(adjust_brightness(x, 2.0), {0.4, 1.0, 0.0, 0.9}, 1e-6);
  expect_near_all(adjust_brightness(x, 1.0), to_vector<double>(x), 0.0);
  EXPECT_EQ(adjust_brightness(x, 0.5).dtype(), kFloat32);
}

TEST(ColorFunctional, ContrastByHandAndReference) {
  // One channel: mean 0.5; factor 0.5 halves the distance to it, factor 3 clamps.
  Tensor x = tensor<double>({0.0, 0.5, 1.0, 0.5}, {1, 2, 2});
  expect_near_all(adjust_contrast(x, 0.5), {0.25, 0.5, 0.75, 0.5}, 1e-15);
  expect_near_all(adjust_contrast(x, 3.0), {0.0, 0.5, 1.0, 0.5}, 1e-15);
  expect_near_all(adjust_contrast(x, 0.0), {0.5, 0.5, 0.5, 0.5}, 1e-15);
  expect_near_all(adjust_contrast(ref_image(3, 4, 5), 0.6), kContrast, 1e-12);
}

TEST(ColorFunctional, SaturationByHandAndReference) {
  // Factor 0: every channel becomes the pixel's luminance.
  Tensor px = pixels({{1, 0, 0}, {0.2, 0.4, 0.8}});
  const double g1 = 0.2989, g2 = 0.2989 * 0.2 + 0.587 * 0.4 + 0.114 * 0.8;
  expect_near_all(adjust_saturation(px, 0.0), {g1, g2, g1, g2, g1, g2}, 1e-15);
  expect_near_all(adjust_saturation(px, 1.0), to_vector<double>(px), 1e-15);
  expect_near_all(adjust_saturation(ref_image(3, 4, 5), 1.7), kSaturation, 1e-12);
}

TEST(ColorFunctional, HueByHandAndReference) {
  // Shifting pure red by +1/3 of the hue circle gives green, by -1/3 blue; grays
  // have no hue and stay.
  Tensor px = pixels({{1, 0, 0}, {0.3, 0.3, 0.3}});
  expect_near_all(adjust_hue(px, 1.0 / 3.0), {0, 0.3, 1, 0.3, 0, 0.3}, 1e-12);
  expect_near_all(adjust_hue(px, -1.0 / 3.0), {0, 0.3, 0, 0.3, 1, 0.3}, 1e-12);
  // Half a turn: (0.2, 0.4, 0.8) (hue 220 degrees) -> hue 40 degrees: (0.8, 0.6, 0.2).
  expect_near_all(adjust_hue(pixels({{0.2, 0.4, 0.8}}), 0.5), {0.8, 0.6, 0.2}, 1e-12);
  expect_near_all(adjust_hue(ref_image(3, 4, 5), 0.0), to_vector<double>(ref_image(3, 4, 5)), 1e-12);
  expect_near_all(adjust_hue(ref_image(3, 4, 5), 0.3), kHue, 1e-12);
  expect_near_all(adjust_hue(ref_image(3, 4, 5), -0.45), kHueNeg, 1e-12);
  expect_near_all(adjust_hue(ref_image(3, 4, 5, kFloat32), 0.3), kHue, 1e-6);
}

TEST(ColorFunctional, BadInput) {
  Tensor gray = zeros({1, 2, 2});
  EXPECT_SEEK_ERROR_ALL(adjust_saturation(gray, 0.5), ValueError, {"adjust_saturation", "RGB", "1 channel"});
  EXPECT_SEEK_ERROR_ALL(adjust_hue(gray, 0.1), ValueError, {"adjust_hue", "RGB"});
  EXPECT_SEEK_ERROR_ALL(adjust_hue(zeros({3, 2, 2}), 0.6), ValueError, {"adjust_hue", "[-0.5, 0.5]", "0.6"});
  EXPECT_SEEK_ERROR_ALL(adjust_brightness(zeros({2, 2, 2}), 1.0), ShapeError,
                        {"adjust_brightness", "1 or 3 channels", "got 2"});
  EXPECT_SEEK_ERROR_ALL(adjust_contrast(zeros({3, 2, 2}), -1.0), ValueError, {"adjust_contrast", ">= 0"});
  EXPECT_SEEK_ERROR(adjust_brightness(zeros({3, 2}), 1.0), ShapeError, "[C, H, W]");
  EXPECT_SEEK_ERROR(adjust_brightness(zeros({3, 2, 2}, TensorOptions(kInt64)), 1.0), DTypeError, "floating");
}

TEST(ColorJitter, ParamsAreDocumentedDraws) {
  ColorJitter jitter(0.4, 0.3, 0.2, 0.1);
  Generator g(17), replay(17);
  auto p = jitter.get_params(&g);
  EXPECT_EQ(p.order, to_vector<int64_t>(randperm(4, TensorOptions(kInt64), &replay)));
  auto u = to_vector<double>(rand({4}, TensorOptions(kFloat64), &replay));
  ASSERT_EQ(p.factors.size(), 4u);
  EXPECT_DOUBLE_EQ(p.factors[0], 0.6 + 0.8 * u[0]);
  EXPECT_DOUBLE_EQ(p.factors[1], 0.7 + 0.6 * u[1]);
  EXPECT_DOUBLE_EQ(p.factors[2], 0.8 + 0.4 * u[2]);
  EXPECT_DOUBLE_EQ(p.factors[3], -0.1 + 0.2 * u[3]);
  EXPECT_EQ(g.offset(), 8u);
}

TEST(ColorJitter, AppliesTheAdjustmentsInTheDrawnOrder) {
  ColorJitter jitter(0.5, 0.5, 0.5, 0.2);
  Tensor x = ref_image(3, 4, 5);
  std::set<std::vector<int64_t>> orders;
  for (uint64_t seed = 0; seed < 12; ++seed) {
    Generator g1(seed), g2(seed);
    Tensor y = jitter(x, &g1);
    auto p = jitter.get_params(&g2);
    orders.insert(p.order);
    Tensor want = x;
    for (int64_t k : p.order) {
      const double f = p.factors[static_cast<size_t>(k)];
      if (k == 0) want = adjust_brightness(want, f);
      if (k == 1) want = adjust_contrast(want, f);
      if (k == 2) want = adjust_saturation(want, f);
      if (k == 3) want = adjust_hue(want, f);
    }
    expect_near_all(y, to_vector<double>(want), 0.0);
  }
  EXPECT_GT(orders.size(), 3u);  // the order really varies
  // The order matters: brightness 1.5 then contrast 0.5 differs from the reverse.
  Tensor bc = adjust_contrast(adjust_brightness(x, 1.5), 0.5), cb = adjust_brightness(adjust_contrast(x, 0.5), 1.5);
  EXPECT_FALSE(allclose(bc, cb));
}

TEST(ColorJitter, RangesAndDisabledParts) {
  // Pairs give the ranges directly; {1, 1} (hue {0, 0}) turns a part off.
  ColorJitter only_brightness({0.5, 1.5}, {1, 1}, {1, 1}, {0, 0});
  Tensor gray = ref_image(1, 4, 5);
  Generator g1(4), g2(4);
  Tensor y = only_brightness(gray, &g1);  // saturation / hue off: 1 channel is fine
  auto p = only_brightness.get_params(&g2);
  expect_near_all(y, to_vector<double>(adjust_brightness(gray, p.factors[0])), 0.0);
  EXPECT_EQ(to_vector<double>(ColorJitter()(gray, &g1)), to_vector<double>(gray));
  // brightness 0.8 -> [0.2, 1.8]: every factor drawn lies inside.
  ColorJitter j(0.8);
  Generator g(2);
  for (int i = 0; i < 100; ++i) {
    double f = j.get_params(&g).factors[0];
    EXPECT_GE(f, 0.2);
    EXPECT_LT(f, 1.8);
  }
}

TEST(ColorJitter, BadArguments) {
  EXPECT_SEEK_ERROR_ALL(ColorJitter(-0.1), ValueError, {"ColorJitter", "brightness", ">= 0"});
  EXPECT_SEEK_ERROR_ALL(ColorJitter(0, 0, 0, 0.6), ValueError, {"ColorJitter", "hue", "0.5"});
  EXPECT_SEEK_ERROR_ALL(ColorJitter({1.5, 0.5}, {1, 1}, {1, 1}, {0, 0}), ValueError, {"ColorJitter", "brightness"});
  Generator g(1);
  EXPECT_SEEK_ERROR_ALL(ColorJitter(0.1, 0.1, 0.1)(zeros({1, 2, 2}), &g), ValueError,
                        {"ColorJitter", "saturation and hue", "RGB"});
  EXPECT_SEEK_ERROR_ALL(ColorJitter(0.1)(zeros({4, 2, 2}), &g), ShapeError, {"ColorJitter", "1 or 3 channels"});
  EXPECT_EQ(g.offset(), 0u);  // nothing drawn for bad input
}

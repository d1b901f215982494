// rotate, resized_crop, RandomRotation, RandomResizedCrop: hand-derived cases,
// float64 references (gen_transforms_ref.py: torch grid_sample / interpolate
// the way torchvision calls them), the documented draws, and bad input.
#include <gtest/gtest.h>

#include <cmath>

#include "seek/seek.h"
#include "data/image_test_util.h"
#include "support/test_util.h"

using namespace seek;
using namespace seek::data::transforms;
using seek::testing::expect_near_all;
using seek::testing::ref_image;

namespace {

Tensor nine() { return tensor<float>({1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 3, 3}); }

// RotateBilinear30: shape [3, 4, 5]
const std::vector<double> kRotateBilinear30 = {
    0.075690529273273618,  0.48861992867351584,  0.37806511291496342, 0.48060895330392744, 0.1376897890807221,
    0.2128675544824026,    0.41568275992143483,  0.65111215932167721, 0.76935590089963668, 0.19654242198323504,
    0.77345757801676496,   0.20064409910036343,  0.31888784067832276, 0.55431724007856509, 0.7571324455175974,
    0.36472092757746677,   0.48939104669607264,  0.59193488708503661, 0.19131310882012587, 0.11924250822036811,
    0.13836477965031849,   0.094108521228277883, 0.35407935628167569, 0.53876587736527404, 0.3086130225829925,
    0.51025336052119252,   0.57775422378250818,  0.72861215932167722, 0.20654155872191951, 0.44318534970538115,
    0.17802904187783811,   0.46420131959472427,  0.64888784067832272, 0.53154587502849648, 0.59783234670659247,
    0.43051522969679157,   0.7034197804570087,   0.31666352203496817, 0.42263053394682876, 0.18555993334707097,
    0.0053538662601039129, 0.24328326566034614,  0.6333364779650319,  0.6827086568709132,  0.47953625608526285,
    0.35216765329340743,   0.41845412497150353,  0.30111215932167729, 0.53654155872191955, 0.77197095812216177,
    0.50681465029461881,   0.74345844127808036,  0.22138784067832271, 0.37224577621749189, 0.43974663947880743,
    0.18343871022657385,   0.41123412263472592,  0.59592064371832432, 0.57180527837889694, 0.052549019956856381,
};
// RotateBilinearFill: shape [3, 4, 5]
const std::vector<double> kRotateBilinearFill = {
    0.47738111014414214, 0.4926618550357178,  0.46828764973864839, 0.30287849812822626, 0.17681679386345528,
    0.48371089736160217, 0.32045084380954103, 0.32830334097023672, 0.58827377812731096, 0.25042433592598617,
    0.16079713788114505, 0.38172622187268901, 0.64169665902976325, 0.64954915619045883, 0.10925532715174627,
    0.18261528756655321, 0.66712150187177366, 0.50171235026135153, 0.47733814496428223, 0.42728522340451813,
    0.76138215319682256, 0.79972444813512011, 0.39558468965499805, 0.60488046006778406, 0.43127558297794316,
    0.24385975344596397, 0.3983329038131625,  0.65830334097023668, 0.45176025134850373, 0.29464972667452294,
    0.3859563374531535,  0.62011609070018037, 0.48390411675378409, 0.3947037915785051,  0.36056167020708479,
    0.43932182559622102, 0.71384312460054322, 0.27508997708929017, 0.53506041424636441, 0.74220889409939506,
    0.18778738829982899, 0.4149395857536356,  0.67491002291070978, 0.23615687539945679, 0.73954305352266958,
    0.5251149446939114,  0.55529620842149485, 0.46609588324621598, 0.32988390929981964, 0.58267647635439812,
    0.67398308713302879, 0.49823974865149628, 0.29169665902976327, 0.55166709618683751, 0.64181686145503225,
    0.74758929614094738, 0.34511953993221589, 0.60508997708929013, 0.80952358992532214, 0.16861412920240107,
};
// RotateNearestFill: shape [3, 4, 5]
const std::vector<double> kRotateNearestFill = {
    0.25,
    0.10000000000000001,
    0.93999999999999995,
    0.29999999999999999,
    0.13,
    0.37,
    0.73999999999999999,
    0.56999999999999995,
    0.77000000000000002,
    0.96999999999999997,
    0,
    0.20000000000000001,
    0.40000000000000002,
    0.23000000000000001,
    0.59999999999999998,
    0.83999999999999997,
    0.67000000000000004,
    0.029999999999999999,
    0.87,
    0.25,
    0.25,
    0.42999999999999999,
    0.26000000000000001,
    0.63,
    0.46000000000000002,
    0.69999999999999996,
    0.059999999999999998,
    0.90000000000000002,
    0.089999999999999997,
    0.28999999999999998,
    0.33000000000000002,
    0.53000000000000003,
    0.72999999999999998,
    0.56000000000000005,
    0.93000000000000005,
    0.16,
    1,
    0.35999999999999999,
    0.19,
    0.25,
    0.25,
    0.76000000000000001,
    0.58999999999999997,
    0.95999999999999996,
    0.79000000000000004,
    0.02,
    0.39000000000000001,
    0.22,
    0.41999999999999998,
    0.62,
    0.66000000000000003,
    0.85999999999999999,
    0.050000000000000003,
    0.89000000000000001,
    0.25,
    0.48999999999999999,
    0.32000000000000001,
    0.68999999999999995,
    0.52000000000000002,
    0.25,
};
// ResizedCropBilinear: shape [3, 5, 7]
const std::vector<double> kResizedCropBilinear = {
    0.20000000000000001,
    0.33214285714285713,
    0.54357142857142859,
    0.75499999999999989,
    0.89428571428571435,
    0.52857142857142858,
    0.29999999999999999,
    0.13200000000000003,
    0.26414285714285718,
    0.47557142857142864,
    0.68699999999999994,
    0.8262857142857144,
    0.46057142857142863,
    0.23200000000000001,
    0.029999999999999999,
    0.16214285714285714,
    0.37357142857142861,
    0.58499999999999996,
    0.72428571428571442,
    0.3585714285714286,
    0.13,
    0.53399999999999992,
    0.44971428571428568,
    0.31485714285714289,
    0.48299999999999998,
    0.66557142857142859,
    0.64614285714285702,
    0.6339999999999999,
    0.87,
    0.64142857142857146,
    0.27571428571428575,
    0.41499999999999998,
    0.62642857142857133,
    0.83785714285714274,
    0.96999999999999997,
    0.53000000000000003,
    0.66214285714285714,
    0.87357142857142855,
    0.58000000000000007,
    0.28642857142857137,
    0.49785714285714283,
    0.63,
    0.46200000000000008,
    0.59414285714285719,
    0.8055714285714286,
    0.51200000000000012,
    0.21842857142857139,
    0.42985714285714288,
    0.56200000000000006,
    0.35999999999999999,
    0.4921428571428571,
    0.70357142857142851,
    0.40999999999999998,
    0.11642857142857134,
    0.32785714285714285,
    0.46000000000000002,
    0.25800000000000001,
    0.39014285714285712,
    0.60157142857142853,
    0.61099999999999999,
    0.57714285714285718,
    0.44228571428571423,
    0.35800000000000004,
    0.19,
    0.32214285714285712,
    0.53357142857142859,
    0.74500000000000011,
    0.88428571428571445,
    0.51857142857142857,
    0.28999999999999998,
    0.85999999999999999,
    0.63142857142857145,
    0.26571428571428574,
    0.40499999999999997,
    0.61642857142857133,
    0.82785714285714285,
    0.95999999999999996,
    0.79200000000000004,
    0.5634285714285715,
    0.19771428571428576,
    0.33700000000000002,
    0.54842857142857138,
    0.7598571428571429,
    0.89200000000000002,
    0.68999999999999995,
    0.46142857142857141,
    0.095714285714285766,
    0.23499999999999999,
    0.44642857142857134,
    0.65785714285714281,
    0.79000000000000004,
    0.58799999999999997,
    0.57585714285714285,
    0.55642857142857138,
    0.436,
    0.34442857142857136,
    0.55585714285714283,
    0.68800000000000006,
    0.52000000000000002,
    0.65214285714285714,
    0.86357142857142855,
    0.57000000000000006,
    0.27642857142857136,
    0.48785714285714282,
    0.62,
};
// ResizedCropDown: shape [3, 3, 2]
const std::vector<double> kResizedCropDown = {
    0.29124999999999995, 0.2904166666666666,  0.27500000000000002, 0.69499999999999995, 0.6795833333333331,
    0.67874999999999996, 0.57916666666666661, 0.49416666666666664, 0.47875000000000001, 0.26750000000000002,
    0.37833333333333335, 0.67208333333333325, 0.27791666666666665, 0.61375000000000002, 0.6825,
    0.59749999999999992, 0.45583333333333337, 0.3708333333333334,
};
// ResizedCropNearest: shape [3, 6, 5]
const std::vector<double> kResizedCropNearest = {
    0.37,
    0.37,
    0.73999999999999999,
    0.73999999999999999,
    0.10000000000000001,
    0.37,
    0.37,
    0.73999999999999999,
    0.73999999999999999,
    0.10000000000000001,
    0.20000000000000001,
    0.20000000000000001,
    0.56999999999999995,
    0.56999999999999995,
    0.93999999999999995,
    0.029999999999999999,
    0.029999999999999999,
    0.40000000000000002,
    0.40000000000000002,
    0.77000000000000002,
    0.029999999999999999,
    0.029999999999999999,
    0.40000000000000002,
    0.40000000000000002,
    0.77000000000000002,
    0.87,
    0.87,
    0.23000000000000001,
    0.23000000000000001,
    0.59999999999999998,
    0.69999999999999996,
    0.69999999999999996,
    0.059999999999999998,
    0.059999999999999998,
    0.42999999999999999,
    0.69999999999999996,
    0.69999999999999996,
    0.059999999999999998,
    0.059999999999999998,
    0.42999999999999999,
    0.53000000000000003,
    0.53000000000000003,
    0.90000000000000002,
    0.90000000000000002,
    0.26000000000000001,
    0.35999999999999999,
    0.35999999999999999,
    0.72999999999999998,
    0.72999999999999998,
    0.089999999999999997,
    0.35999999999999999,
    0.35999999999999999,
    0.72999999999999998,
    0.72999999999999998,
    0.089999999999999997,
    0.19,
    0.19,
    0.56000000000000005,
    0.56000000000000005,
    0.93000000000000005,
    0.02,
    0.02,
    0.39000000000000001,
    0.39000000000000001,
    0.76000000000000001,
    0.02,
    0.02,
    0.39000000000000001,
    0.39000000000000001,
    0.76000000000000001,
    0.85999999999999999,
    0.85999999999999999,
    0.22,
    0.22,
    0.58999999999999997,
    0.68999999999999995,
    0.68999999999999995,
    0.050000000000000003,
    0.050000000000000003,
    0.41999999999999998,
    0.68999999999999995,
    0.68999999999999995,
    0.050000000000000003,
    0.050000000000000003,
    0.41999999999999998,
    0.52000000000000002,
    0.52000000000000002,
    0.89000000000000001,
    0.89000000000000001,
    0.25,
};

}  // namespace

TEST(Rotate, QuarterTurnsAreExactPermutations) {
  // Counter-clockwise by 90 degrees: the right column becomes the top row.
  for (auto mode : {InterpolationMode::Nearest, InterpolationMode::Bilinear}) {
    expect_near_all(rotate(nine(), 90.0, mode), {3, 6, 9, 2, 5, 8, 1, 4, 7}, 1e-6);
    expect_near_all(rotate(nine(), -90.0, mode), {7, 4, 1, 8, 5, 2, 9, 6, 3}, 1e-6);
    expect_near_all(rotate(nine(), 180.0, mode), {9, 8, 7, 6, 5, 4, 3, 2, 1}, 1e-6);
    expect_near_all(rotate(nine(), 0.0, mode), {1, 2, 3, 4, 5, 6, 7, 8, 9}, 0.0);
  }
  // A 2x4 image turned by 90 degrees about its centre (1.5, 0.5): output pixel
  // (i, j) reads input column 1.5 - (i - 0.5) = 2 - i, row (j - 1.5) + 0.5 = j - 1;
  // only columns j = 1, 2 land inside, the rest are filled.
  Tensor x = tensor<float>({1, 2, 3, 4, 5, 6, 7, 8}, {1, 2, 4});
  expect_near_all(rotate(x, 90.0, InterpolationMode::Nearest, {-1.0}), {-1, 3, 7, -1, -1, 2, 6, -1}, 1e-6);
  expect_near_all(rotate(x, 90.0, InterpolationMode::Nearest), {0, 3, 7, 0, 0, 2, 6, 0}, 1e-6);
  EXPECT_EQ(rotate(x, 90.0).dtype(), kFloat32);
}

TEST(Rotate, BilinearMatchesFloat64Reference) {
  expect_near_all(rotate(ref_image(3, 4, 5), 30.0, InterpolationMode::Bilinear), kRotateBilinear30, 1e-12);
  expect_near_all(rotate(ref_image(3, 4, 5), -75.0, InterpolationMode::Bilinear, {0.2, 0.5, 0.9}), kRotateBilinearFill,
                  1e-12);
  // float32 in, float32 out, same values to float precision.
  Tensor y = rotate(ref_image(3, 4, 5, kFloat32), 30.0, InterpolationMode::Bilinear);
  EXPECT_EQ(y.dtype(), kFloat32);
  expect_near_all(y, kRotateBilinear30, 1e-6);
}

TEST(Rotate, NearestWithFillMatchesReference) {
  expect_near_all(rotate(ref_image(3, 4, 5), 50.0, InterpolationMode::Nearest, {0.25}), kRotateNearestFill, 1e-12);
}

TEST(Rotate, AcceptsNonContiguousInput) {
  Tensor x = ref_image(3, 5, 4).transpose(1, 2);  // [3, 4, 5] view, not contiguous
  ASSERT_FALSE(x.is_contiguous());
  expect_near_all(rotate(x, 30.0, InterpolationMode::Bilinear),
                  to_vector<double>(rotate(x.contiguous(), 30.0, InterpolationMode::Bilinear)), 0.0);
}

TEST(Rotate, BadInput) {
  EXPECT_SEEK_ERROR_ALL(rotate(zeros({3, 3}), 10.0), ShapeError, {"rotate", "[C, H, W]", "2-D"});
  EXPECT_SEEK_ERROR_ALL(rotate(zeros({1, 3, 3}, TensorOptions(kInt64)), 10.0), DTypeError, {"rotate", "floating"});
  EXPECT_SEEK_ERROR_ALL(rotate(zeros({3, 3, 3}), 10.0, InterpolationMode::Nearest, {1.0, 2.0}), ShapeError,
                        {"rotate", "fill has 2 values", "3 channels"});
}

TEST(RandomRotation, DrawsOneUniformAngle) {
  RandomRotation r(30.0, InterpolationMode::Bilinear);
  Tensor x = ref_image(3, 4, 5);
  Generator g1(5), g2(5), g3(5);
  // One f64 uniform u: angle = -30 + 60 u.
  const double u = rand({1}, TensorOptions(kFloat64), &g1).item<double>();
  EXPECT_DOUBLE_EQ(r.get_params(&g2), -30.0 + 60.0 * u);
  Tensor y = r(x, &g3);
  EXPECT_EQ(g3.offset(), 1u);
  expect_near_all(y, to_vector<double>(rotate(x, -30.0 + 60.0 * u, InterpolationMode::Bilinear, {0.0})), 1e-12);
  // Angles stay in range and vary.
  RandomRotation range({10.0, 20.0});
  Generator g(9);
  double lo = 1e9, hi = -1e9;
  for (int i = 0; i < 200; ++i) {
    double a = range.get_params(&g);
    lo = std::min(lo, a);
    hi = std::max(hi, a);
  }
  EXPECT_GE(lo, 10.0);
  EXPECT_LE(hi, 20.0);
  EXPECT_LT(lo, 11.0);
  EXPECT_GT(hi, 19.0);
}

TEST(RandomRotation, BadArguments) {
  EXPECT_SEEK_ERROR_ALL(RandomRotation(-5.0), ValueError, {"RandomRotation", ">= 0", "-5"});
  EXPECT_SEEK_ERROR_ALL(RandomRotation({10.0, -10.0}), ValueError, {"RandomRotation", "min <= max"});
  Generator g(1);
  EXPECT_SEEK_ERROR(RandomRotation(10.0)(zeros({4}), &g), ShapeError, "RandomRotation");
  EXPECT_EQ(g.offset(), 0u);  // nothing drawn for bad input
}

TEST(ResizedCrop, HandComputedBilinear) {
  // Width 2 -> 4: src = max((j + 0.5) / 2 - 0.5, 0) = 0, 0.25, 0.75, 1.25 (the
  // upper neighbour clamped), so [0, 1] becomes [0, 0.25, 0.75, 1].
  Tensor x = tensor<float>({0, 1}, {1, 1, 2});
  expect_near_all(resized_crop(x, 0, 0, 1, 2, {1, 4}), {0, 0.25, 0.75, 1}, 1e-7);
  // Same size: the crop itself; a crop reaching outside the image reads zeros.
  expect_near_all(resized_crop(nine(), 1, 1, 2, 2, {2, 2}), {5, 6, 8, 9}, 0.0);
  expect_near_all(resized_crop(nine(), 2, 2, 2, 2, {2, 2}), {9, 0, 0, 0}, 0.0);
  expect_near_all(resized_crop(nine(), -1, 0, 2, 1, {2, 1}, InterpolationMode::Nearest), {0, 1}, 0.0);
}

TEST(ResizedCrop, MatchesInterpolateReference) {
  expect_near_all(resized_crop(ref_image(3, 4, 5), 1, 1, 3, 4, {5, 7}), kResizedCropBilinear, 1e-12);
  expect_near_all(resized_crop(ref_image(3, 4, 5), 0, 0, 4, 5, {3, 2}), kResizedCropDown, 1e-12);
  expect_near_all(resized_crop(ref_image(3, 4, 5), 0, 1, 4, 3, {6, 5}, InterpolationMode::Nearest), kResizedCropNearest,
                  1e-12);
}

TEST(ResizedCrop, BadInput) {
  EXPECT_SEEK_ERROR_ALL(resized_crop(nine(), 0, 0, 0, 2, {2, 2}), ValueError, {"resized_crop", "crop size", "0x2"});
  EXPECT_SEEK_ERROR_ALL(resized_crop(nine(), 0, 0, 2, 2, {2, -1}), ValueError, {"resized_crop", "output size"});
  EXPECT_SEEK_ERROR(resized_crop(zeros({2, 2}), 0, 0, 1, 1, {1, 1}), ShapeError, "resized_crop");
}

TEST(RandomResizedCrop, GetParamsFollowsTheDocumentedDraws) {
  // Replays the documented draws for a 20x30 image with the default ranges.
  const double area = 20.0 * 30.0, lr0 = std::log(3.0 / 4.0), lr1 = std::log(4.0 / 3.0);
  for (uint64_t seed = 0; seed < 20; ++seed) {
    Generator g(seed), replay(seed);
    CropBox box = RandomResizedCrop::get_params(20, 30, {0.08, 1.0}, {3.0 / 4.0, 4.0 / 3.0}, &g);
    CropBox want{};
    bool found = false;
    for (int attempt = 0; attempt < 10 && !found; ++attempt) {
      auto u = to_vector<double>(rand({2}, TensorOptions(kFloat64), &replay));
      const double target = area * (0.08 + 0.92 * u[0]), r = std::exp(lr0 + (lr1 - lr0) * u[1]);
      const auto w = static_cast<int64_t>(std::nearbyint(std::sqrt(target * r)));
      const auto h = static_cast<int64_t>(std::nearbyint(std::sqrt(target / r)));
      if (w > 0 && w <= 30 && h > 0 && h <= 20) {
        auto v = to_vector<double>(rand({2}, TensorOptions(kFloat64), &replay));
        want = {static_cast<int64_t>(v[0] * static_cast<double>(20 - h + 1)),
                static_cast<int64_t>(v[1] * static_cast<double>(30 - w + 1)), h, w};
        found = true;
      }
    }
    ASSERT_TRUE(found);
    EXPECT_EQ(box, want) << "seed " << seed;
    EXPECT_EQ(g.offset(), replay.offset());
  }
}

TEST(RandomResizedCrop, BoxesStayInsideWithAreaAndRatioInRange) {
  Generator g(3);
  for (int i = 0; i < 300; ++i) {
    CropBox b = RandomResizedCrop::get_params(32, 48, {0.25, 0.5}, {0.5, 2.0}, &g);
    ASSERT_GE(b.top, 0);
    ASSERT_GE(b.left, 0);
    ASSERT_LE(b.top + b.height, 32);
    ASSERT_LE(b.left + b.width, 48);
    // Rounding w and h to integers moves the area and ratio a little.
    const double frac = static_cast<double>(b.height * b.width) / (32.0 * 48.0);
    EXPECT_GT(frac, 0.25 * 0.85);
    EXPECT_LT(frac, 0.5 * 1.15);
    const double ratio = static_cast<double>(b.width) / static_cast<double>(b.height);
    EXPECT_GT(ratio, 0.5 * 0.85);
    EXPECT_LT(ratio, 2.0 * 1.15);
  }
}

TEST(RandomResizedCrop, FallsBackToCentreCropAfterTenTries) {
  // scale > 1 never fits: 10 tries of one rand({2}) draw each, then the centre crop.
  Generator g(1);
  EXPECT_EQ(RandomResizedCrop::get_params(10, 40, {4.0, 5.0}, {0.75, 4.0 / 3.0}, &g), (CropBox{0, 13, 10, 13}));
  EXPECT_EQ(g.offset(), 20u);
  // Too tall: w = 10, h = round(10 / 0.75) = 13, centred.
  EXPECT_EQ(RandomResizedCrop::get_params(40, 10, {4.0, 5.0}, {0.75, 4.0 / 3.0}, &g), (CropBox{13, 0, 13, 10}));
  // Ratio in range: the whole image.
  EXPECT_EQ(RandomResizedCrop::get_params(10, 12, {4.0, 5.0}, {0.75, 4.0 / 3.0}, &g), (CropBox{0, 0, 10, 12}));
}

TEST(RandomResizedCrop, CallIsResizedCropOfTheDrawnBox) {
  RandomResizedCrop t({6, 4});
  Tensor x = ref_image(3, 10, 12, kFloat32);
  Generator g1(21), g2(21);
  Tensor y = t(x, &g1);
  EXPECT_EQ(y.sizes(), (Shape{3, 6, 4}));
  EXPECT_EQ(y.dtype(), kFloat32);
  CropBox b = RandomResizedCrop::get_params(10, 12, {0.08, 1.0}, {3.0 / 4.0, 4.0 / 3.0}, &g2);
  expect_near_all(y, to_vector<double>(resized_crop(x, b.top, b.left, b.height, b.width, {6, 4})), 0.0);
  EXPECT_EQ(RandomResizedCrop(5)(x, &g1).sizes(), (Shape{3, 5, 5}));
}

TEST(RandomResizedCrop, BadArguments) {
  EXPECT_SEEK_ERROR_ALL(RandomResizedCrop(0), ValueError, {"RandomResizedCrop", "size must be positive"});
  EXPECT_SEEK_ERROR_ALL(RandomResizedCrop(8, {0.9, 0.1}), ValueError, {"RandomResizedCrop", "scale", "0.9"});
  EXPECT_SEEK_ERROR_ALL(RandomResizedCrop(8, {0.1, 0.9}, {2.0, 1.0}), ValueError, {"RandomResizedCrop", "ratio"});
  EXPECT_SEEK_ERROR(RandomResizedCrop(8)(zeros({1, 8, 8}, TensorOptions(kInt64))), DTypeError, "RandomResizedCrop");
}

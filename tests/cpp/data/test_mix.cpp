// sample_gamma / sample_beta statistics, MixUp, CutMix, RandomMixUpCutMix, the
// mixing collate step in a DataLoader, and bad input.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "seek/seek.h"
#include "support/test_util.h"

using namespace seek;
using namespace seek::data;

namespace {

struct Moments {
  double mean, var;
};

template <typename F>
Moments moments(int n, F draw) {
  double s = 0, s2 = 0;
  for (int i = 0; i < n; ++i) {
    const double x = draw();
    s += x;
    s2 += x * x;
  }
  const double mean = s / n;
  return {mean, s2 / n - mean * mean};
}

// Batch of b images [C=2, 4, 4]; image i holds the value i + 1 everywhere.
Batch constant_images(int64_t b, std::vector<int64_t> labels) {
  std::vector<float> v;
  for (int64_t i = 0; i < b; ++i)
    for (int k = 0; k < 2 * 4 * 4; ++k) v.push_back(static_cast<float>(i + 1));
  return {tensor(v, {b, 2, 4, 4}), tensor(labels, {b})};
}

void expect_rows_sum_to_one(const Tensor& soft) {
  ASSERT_EQ(soft.dim(), 2);
  auto sums = to_vector<double>(soft.sum(1));
  for (size_t i = 0; i < sums.size(); ++i) EXPECT_NEAR(sums[i], 1.0, 1e-6) << "row " << i;
}

}  // namespace

TEST(SampleGamma, MomentsMatchShape) {
  // Gamma(a, 1) has mean a and variance a; 20000 draws: standard error sqrt(a / n).
  for (double a : {0.3, 1.0, 3.5}) {
    Generator g(11);
    Moments m = moments(20000, [&] { return sample_gamma(a, &g); });
    EXPECT_NEAR(m.mean, a, 5 * std::sqrt(a / 20000)) << "shape " << a;
    EXPECT_NEAR(m.var, a, 0.08 * a) << "shape " << a;
  }
}

TEST(SampleBeta, MomentsOverManyDraws) {
  // Beta(a, a): mean 1/2, variance 1 / (4 (2a + 1)); Beta(2, 5): mean 2/7,
  // variance 10 / (49 * 8).
  for (double a : {0.2, 1.0, 4.0}) {
    Generator g(5);
    Moments m = moments(20000, [&] { return sample_beta(a, a, &g); });
    EXPECT_NEAR(m.mean, 0.5, 0.012) << "alpha " << a;
    const double var = 1.0 / (4.0 * (2.0 * a + 1.0));
    EXPECT_NEAR(m.var, var, 0.06 * var) << "alpha " << a;
  }
  Generator g(6);
  Moments m = moments(20000, [&] { return sample_beta(2.0, 5.0, &g); });
  EXPECT_NEAR(m.mean, 2.0 / 7.0, 0.006);
  EXPECT_NEAR(m.var, 10.0 / 392.0, 0.06 * 10.0 / 392.0);
}

TEST(SampleBeta, TinyAlphaStaysInRangeAndReproduces) {
  Generator g1(1), g2(1);
  for (int i = 0; i < 2000; ++i) {
    const double x = sample_beta(0.01, 0.01, &g1);
    ASSERT_TRUE(x >= 0.0 && x <= 1.0) << x;
    EXPECT_EQ(x, sample_beta(0.01, 0.01, &g2));
  }
  EXPECT_EQ(g1.offset(), g2.offset());
  // Shape < 1 reserves one boost block, then two blocks per Marsaglia-Tsang attempt.
  Generator g(3);
  sample_gamma(0.5, &g);
  EXPECT_EQ(g.offset() % 2, 1u);
  Generator h(3);
  sample_gamma(2.0, &h);
  EXPECT_EQ(h.offset() % 2, 0u);
  EXPECT_SEEK_ERROR_ALL(sample_gamma(0.0), ValueError, {"sample_gamma", "> 0"});
  EXPECT_SEEK_ERROR_ALL(sample_beta(1.0, -2.0), ValueError, {"sample_beta", "-2"});
}

TEST(MixUp, ExactMixingForAFixedLambda) {
  // Partner of example i is example i - 1 (example 0 pairs with the last).
  Batch b{tensor<float>({1, 2, 10, 20, 100, 200}, {3, 2}), tensor<int64_t>({0, 2, 1}, {3})};
  MixUp mixup(1.0, 3);
  Batch out = mixup.mix(b, 0.7);
  std::vector<double> want{0.7 * 1 + 0.3 * 100, 0.7 * 2 + 0.3 * 200,  0.7 * 10 + 0.3 * 1,
                           0.7 * 20 + 0.3 * 2,  0.7 * 100 + 0.3 * 10, 0.7 * 200 + 0.3 * 20};
  auto d = to_vector<double>(out.data);
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(d[i], want[i], 1e-4);
  EXPECT_EQ(out.target.sizes(), (Shape{3, 3}));
  EXPECT_EQ(out.target.dtype(), kFloat32);
  // Row i: 0.7 one_hot(target[i]) + 0.3 one_hot(target[i - 1]); targets 0, 2, 1.
  std::vector<double> soft{0.7, 0.3, 0.0, 0.3, 0.0, 0.7, 0.0, 0.7, 0.3};
  auto t = to_vector<double>(out.target);
  for (size_t i = 0; i < soft.size(); ++i) EXPECT_NEAR(t[i], soft[i], 1e-6) << i;
}

TEST(MixUp, LabelSmoothingAndSoftTargets) {
  // Smoothing 0.3 over 3 classes: on = 0.8, off = 0.1; lambda 1 keeps the rows.
  Batch b{zeros({2, 1}), tensor<int64_t>({2, 0}, {2})};
  Batch out = MixUp(1.0, 3, 0.3).mix(b, 1.0);
  auto t = to_vector<double>(out.target);
  std::vector<double> want{0.1, 0.1, 0.8, 0.8, 0.1, 0.1};
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(t[i], want[i], 1e-6);
  // Soft [B, K] targets are mixed as given (float64 stays float64).
  Batch soft{zeros({2, 1}), tensor<double>({0.5, 0.5, 0.0, 1.0}, {2, 2})};
  Batch mixed = MixUp(1.0, 2).mix(soft, 0.25);
  EXPECT_EQ(mixed.target.dtype(), kFloat64);
  auto m = to_vector<double>(mixed.target);
  std::vector<double> want2{0.25 * 0.5 + 0.75 * 0.0, 0.25 * 0.5 + 0.75 * 1.0, 0.25 * 0.0 + 0.75 * 0.5,
                            0.25 * 1.0 + 0.75 * 0.5};
  for (size_t i = 0; i < 4; ++i) EXPECT_NEAR(m[i], want2[i], 1e-12);
}

TEST(MixUp, RandomLambdaIsTheBetaDraw) {
  Batch b = constant_images(4, {0, 1, 2, 3});
  MixUp mixup(0.4, 5, 0.1);
  for (uint64_t seed = 0; seed < 20; ++seed) {
    Generator g1(seed), g2(seed);
    Batch out = mixup(b, &g1);
    const double lambda = sample_beta(0.4, 0.4, &g2);
    EXPECT_EQ(g1.offset(), g2.offset());
    expect_rows_sum_to_one(out.target);
    // Image 1 (value 2) mixed with image 0 (value 1): 2 lambda + (1 - lambda).
    EXPECT_NEAR(to_vector<double>(out.data[1])[0], 1.0 + lambda, 1e-5);
  }
}

TEST(CutMix, BoxFollowsTorchvision) {
  // lambda 0.75: r = sqrt(0.25) / 2 = 0.25, half sizes floor(2.5) = 2.
  EXPECT_EQ(CutMix::box(10, 10, 0.75, 5, 5), (CutMixBox{3, 3, 7, 7}));
  // Clipped at the border: the box is smaller than (1 - lambda) H W.
  EXPECT_EQ(CutMix::box(10, 10, 0.75, 0, 9), (CutMixBox{0, 7, 2, 10}));
  // lambda 1: empty box; lambda 0 centred: the whole image.
  CutMixBox empty = CutMix::box(8, 6, 1.0, 3, 4);
  EXPECT_EQ((empty.x2 - empty.x1) * (empty.y2 - empty.y1), 0);
  EXPECT_EQ(CutMix::box(8, 6, 0.0, 3, 4), (CutMixBox{0, 0, 6, 8}));
  EXPECT_SEEK_ERROR_ALL(CutMix::box(8, 6, 0.5, 6, 0), ValueError, {"CutMix::box", "outside"});
}

TEST(CutMix, PastesThePartnersBoxAndMixesByArea) {
  Batch b = constant_images(3, {0, 1, 2});
  Batch out = CutMix(1.0, 3).mix(b, CutMixBox{1, 0, 3, 3});  // x in [1, 3), y in [0, 3): 6 of 16 pixels
  auto d = to_vector<float>(out.data);
  for (int64_t i = 0; i < 3; ++i)
    for (int64_t c = 0; c < 2; ++c)
      for (int64_t y = 0; y < 4; ++y)
        for (int64_t x = 0; x < 4; ++x) {
          const bool in = x >= 1 && x < 3 && y < 3;
          const float partner = static_cast<float>((i + 2) % 3 + 1), own = static_cast<float>(i + 1);
          EXPECT_EQ(d[static_cast<size_t>(((i * 2 + c) * 4 + y) * 4 + x)], in ? partner : own);
        }
  const double lambda = 1.0 - 6.0 / 16.0;
  auto t = to_vector<double>(out.target);
  std::vector<double> want{lambda, 0, 1 - lambda, 1 - lambda, lambda, 0, 0, 1 - lambda, lambda};
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(t[i], want[i], 1e-6);
}

TEST(CutMix, RandomBoxAreaMatchesTheTargets) {
  Batch b = constant_images(2, {0, 1});
  CutMix cutmix(1.0, 2);
  for (uint64_t seed = 0; seed < 40; ++seed) {
    Generator g1(seed), g2(seed);
    Batch out = cutmix(b, &g1);
    // The documented draws: lambda, then cx, cy.
    const double lambda = sample_beta(1.0, 1.0, &g2);
    const int64_t cx = randint(0, 4, {1}, TensorOptions(kInt64), &g2).item<int64_t>();
    const int64_t cy = randint(0, 4, {1}, TensorOptions(kInt64), &g2).item<int64_t>();
    CutMixBox box = CutMix::box(4, 4, lambda, cx, cy);
    EXPECT_TRUE(equal(out.data, cutmix.mix(b, box).data));
    // Pasted pixels of image 0 are its partner's (value 2); their share is 1 - target[0][0].
    auto d = to_vector<float>(out.data[0][0]);
    const double pasted = static_cast<double>(std::count(d.begin(), d.end(), 2.0f));
    const double area = static_cast<double>((box.x2 - box.x1) * (box.y2 - box.y1));
    EXPECT_EQ(pasted, area);
    EXPECT_NEAR(out.target[0][0].item<double>(), 1.0 - pasted / 16.0, 1e-6);
    EXPECT_LE(area, (1.0 - lambda) * 16.0 + 1e-9);  // clipping only shrinks the box
    expect_rows_sum_to_one(out.target);
  }
}

TEST(RandomMixUpCutMix, SwitchesAndSkipsAsDocumented) {
  Batch b = constant_images(3, {0, 1, 2});
  // prob 0: data untouched, targets one-hot (smoothed).
  Generator g(1);
  Batch none = RandomMixUpCutMix(1.0, 1.0, 3, 0.5, 0.0, 0.3)(b, &g);
  EXPECT_TRUE(equal(none.data, b.data));
  EXPECT_NEAR(none.target[1][1].item<double>(), 0.8, 1e-6);
  EXPECT_EQ(g.offset(), 2u);
  // switch_prob 1: always CutMix, switch_prob 0: always MixUp, after the rand({2}) draw.
  for (uint64_t seed = 0; seed < 10; ++seed) {
    Generator g1(seed), g2(seed), g3(seed), g4(seed);
    Batch cut = RandomMixUpCutMix(0.5, 1.0, 3, 1.0)(b, &g1);
    rand({2}, TensorOptions(kFloat64), &g2);
    EXPECT_TRUE(equal(cut.data, CutMix(1.0, 3)(b, &g2).data));
    Batch mix = RandomMixUpCutMix(0.5, 1.0, 3, 0.0)(b, &g3);
    rand({2}, TensorOptions(kFloat64), &g4);
    EXPECT_TRUE(equal(mix.data, MixUp(0.5, 3)(b, &g4).data));
  }
  // switch_prob 0.5 uses both over many batches.
  RandomMixUpCutMix both(1.0, 1.0, 3);
  Generator gb(8);
  int cutmix_like = 0;
  for (int i = 0; i < 40; ++i) {
    // CutMix keeps pixel values from {1, 2, 3}; MixUp blends them.
    auto d = to_vector<float>(both(b, &gb).data);
    bool integral = std::all_of(d.begin(), d.end(), [](float v) { return v == std::round(v); });
    cutmix_like += integral ? 1 : 0;
  }
  EXPECT_GT(cutmix_like, 5);
  EXPECT_LT(cutmix_like, 35);
}

TEST(Mix, BadInput) {
  EXPECT_SEEK_ERROR_ALL(MixUp(0.0, 3), ValueError, {"MixUp", "alpha", "> 0"});
  EXPECT_SEEK_ERROR_ALL(CutMix(1.0, 0), ValueError, {"CutMix", "num_classes"});
  EXPECT_SEEK_ERROR_ALL(MixUp(1.0, 3, 1.5), ValueError, {"MixUp", "label_smoothing"});
  EXPECT_SEEK_ERROR_ALL(RandomMixUpCutMix(1.0, 1.0, 3, 2.0), ValueError, {"RandomMixUpCutMix", "switch_prob"});
  MixUp mixup(1.0, 3);
  Batch b = constant_images(2, {0, 5});
  EXPECT_SEEK_ERROR_ALL(mixup.mix(b, 0.5), IndexError, {"MixUp", "target[1] = 5", "[0, 3)"});
  b.target = zeros({2, 4});
  EXPECT_SEEK_ERROR_ALL(mixup.mix(b, 0.5), ShapeError, {"MixUp", "[B, 3]", "[2, 4]"});
  b.target = tensor<int64_t>({0, 1, 2}, {3});
  EXPECT_SEEK_ERROR_ALL(mixup.mix(b, 0.5), ShapeError, {"MixUp", "batch size 2"});
  EXPECT_SEEK_ERROR_ALL(mixup.mix({zeros({2, 3}, TensorOptions(kInt64)), tensor<int64_t>({0, 1}, {2})}, 0.5),
                        DTypeError, {"MixUp", "floating"});
  EXPECT_SEEK_ERROR_ALL(mixup.mix(constant_images(2, {0, 1}), 1.5), ValueError, {"MixUp", "lambda"});
  Generator g(1);
  EXPECT_SEEK_ERROR_ALL(CutMix(1.0, 3)({zeros({2, 4, 4}), tensor<int64_t>({0, 1}, {2})}, &g), ShapeError,
                        {"CutMix", "at least 4"});
  EXPECT_EQ(g.offset(), 0u);  // nothing drawn for bad input
  EXPECT_SEEK_ERROR_ALL(CutMix(1.0, 3).mix(constant_images(2, {0, 1}), CutMixBox{0, 0, 5, 2}), ValueError,
                        {"CutMix", "not inside"});
}

TEST(MixCollate, SameBatchesForAnyWorkersAndOnResume) {
  // 12 images [1, 4, 4] of value i; batches of 4 mixed by RandomMixUpCutMix.
  std::vector<float> v;
  for (int i = 0; i < 12; ++i)
    for (int k = 0; k < 16; ++k) v.push_back(static_cast<float>(i));
  std::vector<int64_t> labels;
  for (int64_t i = 0; i < 12; ++i) labels.push_back(i % 3);
  auto ds = std::make_shared<TensorDataset>(tensor(v, {12, 1, 4, 4}), tensor(labels, {12}));
  auto collate = collate_with_transform(RandomMixUpCutMix(0.8, 1.0, 3), 1234);
  auto run = [&](size_t workers, uint64_t epoch, size_t start) {
    DataLoader loader(ds, {.batch_size = 4, .shuffle = true, .seed = 9, .num_workers = workers}, collate);
    loader.load_state({epoch, start});
    std::vector<Batch> out;
    for (const Batch& b : loader) out.push_back(b);
    return out;
  };
  auto serial = run(0, 0, 0), threaded = run(3, 0, 0), resumed = run(2, 0, 2), next = run(0, 1, 0);
  ASSERT_EQ(serial.size(), 3u);
  ASSERT_EQ(threaded.size(), 3u);
  ASSERT_EQ(resumed.size(), 1u);
  std::set<double> firsts;
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_TRUE(equal(serial[i].data, threaded[i].data)) << "batch " << i;
    EXPECT_TRUE(equal(serial[i].target, threaded[i].target)) << "batch " << i;
    expect_rows_sum_to_one(serial[i].target);
    EXPECT_EQ(serial[i].target.sizes(), (Shape{4, 3}));
    firsts.insert(serial[i].target[0][0].item<double>());
  }
  EXPECT_TRUE(equal(resumed[0].data, serial[2].data));
  EXPECT_TRUE(equal(resumed[0].target, serial[2].target));
  EXPECT_FALSE(equal(next[0].target, serial[0].target));  // epochs differ
  EXPECT_GT(firsts.size(), 1u);                           // batches differ
  // A transform using more than the 2^16 blocks of a batch is an error.
  auto greedy = collate_with_transform(
      [](const Batch& b, Generator* g) {
        rand({70000}, g);
        return b;
      },
      1);
  EXPECT_SEEK_ERROR_ALL(greedy({Example{zeros({1}), zeros({})}}, BatchInfo{0, 0}), Error,
                        {"collate_with_transform", "70000"});
}

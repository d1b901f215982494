// Random factories: the documented stream, reproducibility, statistics, bad input.
// Statistics use 1e5 samples and 5-sigma bounds.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "seek/seek.h"
#include "support/test_util.h"

using namespace seek;

namespace {

constexpr int64_t kN = 100000;

double mean_of(const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0) / v.size(); }
double var_of(const std::vector<double>& v) {
  double m = mean_of(v), s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return s / (v.size() - 1);
}

}  // namespace

TEST(Random, FollowsTheDocumentedStream) {
  Generator g(0);
  // Element 0 with seed 0 at offset 0 is the Philox known answer for counter 0, key 0:
  // x0 = 0x6627e8d5, so the f32 uniform is 0x6627e8 / 2^24.
  Tensor r = rand({3}, {}, &g);
  EXPECT_EQ(to_vector<float>(r)[0], static_cast<float>(0x6627e8) * 0x1p-24f);
  EXPECT_EQ(g.offset(), 3u);

  const uint64_t seed = 987654321;
  g.manual_seed(seed);
  g.set_offset(1000);
  std::vector<float> u32 = to_vector<float>(rand({5}, kFloat32, &g));
  std::vector<double> u64 = to_vector<double>(rand({5}, kFloat64, &g));
  std::vector<double> n64 = to_vector<double>(randn({5}, kFloat64, &g));
  std::vector<float> n32 = to_vector<float>(randn({5}, kFloat32, &g));
  std::vector<int64_t> ri = to_vector<int64_t>(randint(-7, 1000, {5}, kInt64, &g));
  std::vector<float> be = to_vector<float>(bernoulli({5}, 0.4, kFloat32, &g));
  for (uint64_t i = 0; i < 5; ++i) {
    EXPECT_EQ(u32[i], rng::uniform<float>(philox_block(seed, 1000 + i)));
    EXPECT_EQ(u64[i], rng::uniform<double>(philox_block(seed, 1005 + i)));
    EXPECT_EQ(n64[i], rng::normal<double>(philox_block(seed, 1010 + i)));
    EXPECT_EQ(n32[i], rng::normal<float>(philox_block(seed, 1015 + i)));
    EXPECT_EQ(ri[i], rng::randint(philox_block(seed, 1020 + i), -7, 1007));
    EXPECT_EQ(be[i], rng::bernoulli(philox_block(seed, 1025 + i), 0.4) ? 1.0f : 0.0f);
  }
  EXPECT_EQ(g.offset(), 1030u);

  // A draw large enough to run in parallel follows the same per-element formula.
  std::vector<double> big = to_vector<double>(randn({kN}, kFloat64, &g));
  for (uint64_t i : {uint64_t{0}, uint64_t{8191}, uint64_t{8192}, uint64_t{54321}, uint64_t{kN - 1}})
    EXPECT_EQ(big[i], rng::normal<double>(philox_block(seed, 1030 + i))) << i;
}

TEST(Random, ConsecutiveDrawsContinueTheStream) {
  Generator g(11);
  Tensor a = rand({5}, {}, &g), b = rand({2, 3}, {}, &g);
  g.manual_seed(11);
  std::vector<float> whole = to_vector<float>(rand({11}, {}, &g));
  std::vector<float> parts = to_vector<float>(a);
  for (float x : to_vector<float>(b)) parts.push_back(x);
  EXPECT_EQ(parts, whole);
}

TEST(Random, ReproducibleWithTheSameSeedAndDifferentOtherwise) {
  manual_seed(2024);
  std::vector<float> a = to_vector<float>(randn({64}));
  std::vector<float> a_next = to_vector<float>(randn({64}));
  manual_seed(2024);
  EXPECT_EQ(to_vector<float>(randn({64})), a);
  EXPECT_NE(a_next, a);  // the offset moved on
  manual_seed(2025);
  EXPECT_NE(to_vector<float>(randn({64})), a);
  // Tensor methods use the default generator too.
  manual_seed(2024);
  Tensor t = empty({64});
  t.normal_();
  EXPECT_EQ(to_vector<float>(t), a);
}

TEST(Random, WidthsShareTheirBits) {
  Generator g(5);
  std::vector<float> f = to_vector<float>(rand({1000}, kFloat32, &g));
  g.manual_seed(5);
  std::vector<double> d = to_vector<double>(rand({1000}, kFloat64, &g));
  g.manual_seed(5);
  std::vector<float> h = to_vector<float>(rand({1000}, kFloat16, &g));
  g.manual_seed(5);
  std::vector<float> bf = to_vector<float>(rand({1000}, kBFloat16, &g));
  for (size_t i = 0; i < f.size(); ++i) {
    EXPECT_EQ(static_cast<double>(f[i]), std::floor(d[i] * 0x1p24) * 0x1p-24);
    // f16/bf16: the f32 draw rounded, except a value rounding up to 1 wraps to 0.
    float hr = static_cast<float>(Half(f[i])), br = static_cast<float>(BFloat16(f[i]));
    EXPECT_EQ(h[i], hr == 1.0f ? 0.0f : hr);
    EXPECT_EQ(bf[i], br == 1.0f ? 0.0f : br);
    EXPECT_LT(h[i], 1.0f);
    EXPECT_LT(bf[i], 1.0f);
  }
}

TEST(Random, RandStatistics) {
  for (DType dt : {kFloat32, kFloat64}) {
    std::vector<double> v = to_vector<double>(rand({kN}, dt));
    for (double x : v) ASSERT_TRUE(x >= 0.0 && x < 1.0) << x;
    // mean sd = sqrt(1/12/N) = 9.1e-4; variance sd = sqrt((1/80 - 1/144)/N) = 2.4e-4.
    EXPECT_NEAR(mean_of(v), 0.5, 5 * 9.13e-4) << dt;
    EXPECT_NEAR(var_of(v), 1.0 / 12, 5 * 2.36e-4) << dt;
  }
  Tensor u = empty({kN}, kFloat64);
  Generator g(8);
  uniform_(u, -2.0, 6.0, &g);
  std::vector<double> v = to_vector<double>(u);
  for (double x : v) ASSERT_TRUE(x >= -2.0 && x < 6.0) << x;
  EXPECT_NEAR(mean_of(v), 2.0, 5 * 8 * 9.13e-4);
}

TEST(Random, RandnStatistics) {
  for (DType dt : {kFloat32, kFloat64, kBFloat16}) {
    std::vector<double> v = to_vector<double>(randn({kN}, dt));
    // mean sd = 1/sqrt(N) = 3.2e-3; variance sd = sqrt(2/N) = 4.5e-3 (bf16 rounding adds ~1e-5).
    EXPECT_NEAR(mean_of(v), 0.0, 5 * 3.17e-3) << dt;
    EXPECT_NEAR(var_of(v), 1.0, 5 * 4.48e-3) << dt;
  }
  std::vector<double> v = to_vector<double>(normal(3.0, 0.5, {kN}, kFloat64));
  EXPECT_NEAR(mean_of(v), 3.0, 5 * 0.5 * 3.17e-3);
  EXPECT_NEAR(std::sqrt(var_of(v)), 0.5, 5 * 0.5 * 2.24e-3);
  // A fraction 0.3173 of a normal lies beyond one sd.
  double beyond = 0;
  for (double x : v) beyond += std::fabs(x - 3.0) > 0.5;
  EXPECT_NEAR(beyond / kN, 0.3173, 5 * std::sqrt(0.3173 * 0.6827 / kN));
}

TEST(Random, RandintRangeAndCoverage) {
  Tensor t = randint(-3, 7, {kN});
  EXPECT_EQ(t.dtype(), kInt64);
  std::vector<int64_t> counts(10, 0);
  for (int64_t x : to_vector<int64_t>(t)) {
    ASSERT_TRUE(x >= -3 && x < 7) << x;
    ++counts[x + 3];
  }
  double sd = std::sqrt(kN * 0.1 * 0.9);
  for (int64_t c : counts) EXPECT_NEAR(static_cast<double>(c), kN * 0.1, 5 * sd);

  // randint(high, ...) starts at 0; other dtypes hold the values exactly.
  for (int64_t x : to_vector<int64_t>(randint(3, {1000}, kInt32))) EXPECT_TRUE(x >= 0 && x < 3);
  for (int64_t x : to_vector<int64_t>(randint(250, 256, {1000}, kUInt8))) EXPECT_TRUE(x >= 250 && x < 256);
  for (double x : to_vector<double>(randint(-4, 4, {1000}, kFloat32))) EXPECT_EQ(x, std::floor(x));
  std::vector<bool> bits = to_vector<bool>(randint(0, 2, {1000}, kBool));
  EXPECT_GT(std::count(bits.begin(), bits.end(), true), 400);
  EXPECT_GT(std::count(bits.begin(), bits.end(), false), 400);
  // A range wider than 2^32.
  for (int64_t x : to_vector<int64_t>(randint(-(int64_t{1} << 40), int64_t{1} << 40, {1000})))
    EXPECT_TRUE(x >= -(int64_t{1} << 40) && x < (int64_t{1} << 40));

  Tensor like = randint_like(zeros({4, 5}, kInt32), 10, 20);
  EXPECT_EQ(like.dtype(), kInt32);
  EXPECT_EQ(like.sizes(), (Shape{4, 5}));
  for (int64_t x : to_vector<int64_t>(like)) EXPECT_TRUE(x >= 10 && x < 20);
  for (int64_t x : to_vector<int64_t>(randint_like(zeros({50}), 2))) EXPECT_TRUE(x == 0 || x == 1);
}

TEST(Random, BernoulliFrequency) {
  std::vector<double> v = to_vector<double>(bernoulli({kN}, 0.3));
  double ones = 0;
  for (double x : v) {
    ASSERT_TRUE(x == 0.0 || x == 1.0);
    ones += x;
  }
  EXPECT_NEAR(ones / kN, 0.3, 5 * std::sqrt(0.3 * 0.7 / kN));
  EXPECT_EQ(to_vector<int64_t>(bernoulli({10}, 1.0, kInt64)), std::vector<int64_t>(10, 1));
  EXPECT_EQ(to_vector<int64_t>(bernoulli({10}, 0.0, kInt64)), std::vector<int64_t>(10, 0));

  // Tensor of probabilities: same draw as the scalar form at the same stream position.
  Generator g(77);
  Tensor probs = full({2, 500}, 0.25);
  std::vector<float> from_tensor = to_vector<float>(bernoulli(probs, &g));
  g.manual_seed(77);
  EXPECT_EQ(from_tensor, to_vector<float>(bernoulli({2, 500}, 0.25, kFloat32, &g)));
  // Per-element probabilities 0 and 1 are respected.
  Tensor p01 = tensor<double>({0, 1, 0, 1, 1, 0}, {2, 3});
  Tensor b = bernoulli(p01);
  EXPECT_EQ(b.dtype(), kFloat64);
  EXPECT_EQ(to_vector<double>(b), (std::vector<double>{0, 1, 0, 1, 1, 0}));

  Tensor t = zeros({kN}, kBool);
  t.bernoulli_(0.8);
  std::vector<bool> tb = to_vector<bool>(t);
  double frac = static_cast<double>(std::count(tb.begin(), tb.end(), true)) / kN;
  EXPECT_NEAR(frac, 0.8, 5 * std::sqrt(0.8 * 0.2 / kN));
}

TEST(Random, RandpermIsAReproduciblePermutation) {
  Generator g(99);
  Tensor p = randperm(1000, kInt64, &g);
  EXPECT_EQ(p.dtype(), kInt64);
  EXPECT_EQ(g.offset(), 1000u);
  std::vector<int64_t> v = to_vector<int64_t>(p), sorted = v;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int64_t> iota(1000);
  std::iota(iota.begin(), iota.end(), 0);
  EXPECT_EQ(sorted, iota);
  EXPECT_NE(v, iota);
  g.manual_seed(99);
  EXPECT_EQ(to_vector<int64_t>(randperm(1000, kInt64, &g)), v);
  // Fisher-Yates as documented: the first step swaps the last slot with j from block 0.
  std::vector<int64_t> small = to_vector<int64_t>(randperm(2, kInt64, &g));
  int64_t j = rng::randint(philox_block(99, 1000), 0, 2);
  EXPECT_EQ(small, j == 0 ? (std::vector<int64_t>{1, 0}) : (std::vector<int64_t>{0, 1}));

  EXPECT_TRUE(to_vector<int64_t>(randperm(0)).empty());
  EXPECT_EQ(to_vector<int64_t>(randperm(1)), std::vector<int64_t>{0});
  Tensor pf = randperm(50, kFloat32);
  EXPECT_EQ(pf.dtype(), kFloat32);
  std::vector<float> fv = to_vector<float>(pf);
  std::sort(fv.begin(), fv.end());
  for (int i = 0; i < 50; ++i) EXPECT_EQ(fv[i], static_cast<float>(i));
}

TEST(Random, FactoriesHonourOptions) {
  Tensor a = rand({2, 3}, TensorOptions(kFloat64).requires_grad());
  EXPECT_EQ(a.dtype(), kFloat64);
  EXPECT_EQ(a.sizes(), (Shape{2, 3}));
  EXPECT_TRUE(a.requires_grad());
  EXPECT_TRUE(a.is_leaf());
  Tensor b = randn_like(a);
  EXPECT_EQ(b.dtype(), kFloat64);
  EXPECT_FALSE(b.requires_grad());
  EXPECT_EQ(rand_like(a, kFloat16).dtype(), kFloat16);
  EXPECT_EQ(randn_like(a, kBFloat16).sizes(), (Shape{2, 3}));
  EXPECT_EQ(rand({0}).numel(), 0);
  Tensor s = rand({});
  EXPECT_EQ(s.dim(), 0);
}

TEST(Random, InPlaceFillsFollowRowMajorOrderOfViews) {
  Generator g(4);
  Tensor base = zeros({4, 3});
  Tensor view = base.t();  // 3x4, not contiguous
  uniform_(view, 0.0, 1.0, &g);
  g.manual_seed(4);
  EXPECT_EQ(to_vector<float>(view), to_vector<float>(rand({3, 4}, {}, &g)));
  // normal_ with mean and std.
  Tensor n = empty({kN}, kFloat64);
  normal_(n, -1.0, 2.0, &g);
  std::vector<double> v = to_vector<double>(n);
  EXPECT_NEAR(mean_of(v), -1.0, 5 * 2 * 3.17e-3);
}

TEST(Random, InPlaceUnderAutograd) {
  Tensor leaf = ones({3}, TensorOptions().requires_grad());
  EXPECT_SEEK_ERROR(leaf.uniform_(), AutogradError, "leaf");
  {
    NoGradGuard ng;
    leaf.normal_();  // how initialisers write parameters
  }
  Tensor x = leaf * 2.0;
  x.uniform_();
  ASSERT_TRUE(x.grad_fn() != nullptr);
  EXPECT_EQ(x.grad_fn()->name(), "UniformBackward");
  x.backward(ones({3}));
  EXPECT_EQ(to_vector<float>(leaf.grad()), (std::vector<float>{0, 0, 0}));
}

TEST(Random, BadInputNamesTheProblem) {
  EXPECT_SEEK_ERROR(randint(5, 5, {3}), ValueError, "expected low < high, got low=5 high=5");
  EXPECT_SEEK_ERROR(randint(0, 300, {3}, kInt8), ValueError, "does not fit dtype int8");
  EXPECT_SEEK_ERROR(randint(0, int64_t{1} << 60, {3}), ValueError, "2^53");
  EXPECT_SEEK_ERROR(bernoulli({3}, 1.5), ValueError, "0 <= p <= 1, got p=1.5");
  EXPECT_SEEK_ERROR(bernoulli({3}, -0.1), ValueError, "0 <= p <= 1");
  EXPECT_SEEK_ERROR(bernoulli(tensor<float>({0.5f, 2.0f})), ValueError, "got p=2");
  EXPECT_SEEK_ERROR(bernoulli(tensor<float>({NAN})), ValueError, "0 <= p <= 1");
  EXPECT_SEEK_ERROR(bernoulli(tensor<int64_t>({0, 1})), DTypeError, "floating");
  Tensor f = zeros({2});
  EXPECT_SEEK_ERROR(f.bernoulli_(2.0), ValueError, "bernoulli_");
  EXPECT_SEEK_ERROR(rand({2}, kInt64), DTypeError, "rand: expected a floating dtype");
  EXPECT_SEEK_ERROR(randn({2}, kInt32), DTypeError, "randn");
  EXPECT_SEEK_ERROR(normal(0.0, -1.0, {2}), ValueError, "std >= 0");
  EXPECT_SEEK_ERROR(f.normal_(0.0, -1.0), ValueError, "std=-1");
  EXPECT_SEEK_ERROR(f.uniform_(1.0, 0.0), ValueError, "from <= to, got from=1 to=0");
  Tensor i = zeros({2}, kInt64);
  EXPECT_SEEK_ERROR(i.uniform_(), DTypeError, "uniform_");
  EXPECT_SEEK_ERROR(randperm(-1), ValueError, "n >= 0");
  EXPECT_SEEK_ERROR(randperm(300, kInt8), ValueError, "too large for dtype int8");
  EXPECT_SEEK_ERROR(randperm(3, kBool), DTypeError, "bool");
  EXPECT_SEEK_ERROR(rand({-1}), ShapeError, "negative dimension");
  Generator gpu(1, kCUDA);
  EXPECT_SEEK_ERROR(rand({2}, {}, &gpu), DeviceError, "expected a generator for device cpu");
  EXPECT_SEEK_ERROR(rand_like(Tensor()), Error, "undefined");
}

TEST(Random, MultinomialDrawsFromTheWeightsOfEachRow) {
  Generator g(11);
  Tensor w = tensor<double>({0.0, 1.0, 3.0, 0.0, 2.0, 2.0}, {2, 3});
  Tensor with = multinomial(w, 6000, /*replacement=*/true, &g);
  ASSERT_EQ(with.shape(), (Shape{2, 6000}));
  std::vector<int64_t> v = to_vector<int64_t>(with);
  std::vector<int> counts(6, 0);
  for (int64_t r = 0; r < 2; ++r)
    for (int64_t k = 0; k < 6000; ++k) ++counts[static_cast<size_t>(r * 3 + v[static_cast<size_t>(r * 6000 + k)])];
  EXPECT_EQ(counts[0], 0);  // zero weight is never drawn
  EXPECT_NEAR(counts[1] / 6000.0, 0.25, 0.02);
  EXPECT_NEAR(counts[4] / 6000.0, 0.5, 0.02);
  Tensor without = multinomial(tensor<float>({1.0f, 0.0f, 1.0f, 1.0f}), 3, /*replacement=*/false, &g);
  std::vector<int64_t> picked = to_vector<int64_t>(without);
  std::sort(picked.begin(), picked.end());
  EXPECT_EQ(picked, (std::vector<int64_t>{0, 2, 3}));
  // the same seed replays the same draw
  Generator a(5), b(5);
  EXPECT_TRUE(equal(multinomial(w, 4, true, &a), multinomial(w, 4, true, &b)));
}

TEST(Random, MultinomialBadInputNamesTheProblem) {
  EXPECT_SEEK_ERROR(multinomial(tensor<float>({1.0f, -1.0f}), 1), ValueError, "non-negative");
  EXPECT_SEEK_ERROR(multinomial(tensor<float>({0.0f, 0.0f}), 1), ValueError, "sums to zero");
  EXPECT_SEEK_ERROR(multinomial(tensor<float>({1.0f, 0.0f}), 2), ValueError, "only 1 categories of positive weight");
  EXPECT_SEEK_ERROR(multinomial(tensor<float>({1.0f, 1.0f}), 3), ValueError, "without replacement from 2");
  EXPECT_SEEK_ERROR(multinomial(tensor<int64_t>({1, 1}), 1), DTypeError, "floating");
  EXPECT_SEEK_ERROR(multinomial(ones({2, 2, 2}), 1), ShapeError, "1-D or 2-D");
  EXPECT_SEEK_ERROR(multinomial(ones({2}), 0), ValueError, "num_samples must be positive");
  Generator gpu(1, kCUDA);
  EXPECT_SEEK_ERROR(multinomial(ones({2}), 1, true, &gpu), DeviceError, "expected a generator for device cpu");
}

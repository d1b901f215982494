// Dataset analysis: class distribution, size and pixel statistics, content hash, report.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "seek/seek.h"
#include "support/test_util.h"

using namespace seek;
using namespace seek::data;

namespace {

// Examples with data of any shape and 0-D int64 targets.
class ListDataset : public Dataset {
 public:
  explicit ListDataset(std::vector<Example> examples) : examples_(std::move(examples)) {}
  size_t size() const override { return examples_.size(); }
  Example get(size_t i) const override { return examples_.at(i); }

 private:
  std::vector<Example> examples_;
};

Tensor label(int64_t t) { return scalar_tensor(t, TensorOptions(kInt64)); }

// 6 examples [1, 2, 2] with labels {0, 2, 0, 1, 2, 0}: counts {3, 1, 2}.
TensorDataset six_examples() {
  return TensorDataset(seek::testing::uniform_tensor({6, 1, 2, 2}, 0, 1, kFloat32),
                       tensor<int64_t>({0, 2, 0, 1, 2, 0}, {6}));
}

}  // namespace

TEST(Fnv1a64, KnownVectors) {
  // The published FNV-1a 64 test vectors.
  EXPECT_EQ(fnv1a64("", 0), 0xcbf29ce484222325ull);
  EXPECT_EQ(fnv1a64("a", 1), 0xaf63dc4c8601ec8cull);
  EXPECT_EQ(fnv1a64("foobar", 6), 0x85944171f73967e8ull);
  // Continuing from a state equals hashing the concatenation.
  EXPECT_EQ(fnv1a64("bar", 3, fnv1a64("foo", 3)), fnv1a64("foobar", 6));
}

TEST(ContentHash, KnownValue) {
  // From tests/cpp/data/gen_analysis_hash_ref.py (the documented byte stream in Python).
  TensorDataset ds(tensor<uint8_t>({1, 2, 3, 4, 5, 6}, {2, 3}), tensor<int64_t>({5, 7}, {2}));
  EXPECT_EQ(content_hash(ds), 0x4eee120c8b7a4068ull);
  DatasetAnalysis a = analyze(ds);
  EXPECT_EQ(a.hash, 0x4eee120c8b7a4068ull);
  EXPECT_EQ(a.hash_hex(), "4eee120c8b7a4068");
}

TEST(ContentHash, SameDataSameHashAnyChangeDiffers) {
  Tensor data = seek::testing::uniform_tensor({5, 3, 4, 4}, 0, 1, kFloat32);
  Tensor labels = tensor<int64_t>({0, 1, 2, 1, 0}, {5});
  const uint64_t h = content_hash(TensorDataset(data, labels));
  // Equal values in fresh tensors (and a non-contiguous view of them) hash the same.
  EXPECT_EQ(content_hash(TensorDataset(data.clone(), labels.clone())), h);
  Tensor transposed = data.transpose(2, 3).contiguous().transpose(2, 3);
  ASSERT_FALSE(transposed.is_contiguous());
  EXPECT_EQ(content_hash(TensorDataset(transposed, labels)), h);

  Tensor pixel = data.clone();
  pixel.index_put_({2, 1, 3, 0}, pixel.index({2, 1, 3, 0}).item<float>() + 1.0f / 255.0f);
  EXPECT_NE(content_hash(TensorDataset(pixel, labels)), h);
  Tensor relabelled = labels.clone();
  relabelled.index_put_({4}, int64_t{2});
  EXPECT_NE(content_hash(TensorDataset(data, relabelled)), h);
  // The same values with another dtype, shape or order are other data.
  EXPECT_NE(content_hash(TensorDataset(data.to(kFloat64), labels)), h);
  EXPECT_NE(content_hash(TensorDataset(data.reshape({5, 3, 16}), labels)), h);
  Tensor swapped = data.index_select(0, tensor<int64_t>({1, 0, 2, 3, 4}, {5}));
  EXPECT_NE(content_hash(TensorDataset(swapped, labels.index_select(0, tensor<int64_t>({1, 0, 2, 3, 4}, {5})))), h);
  // A prefix of the dataset is different too.
  EXPECT_NE(content_hash(TensorDataset(data.narrow(0, 0, 4), labels.narrow(0, 0, 4))), h);
}

TEST(Analyze, ClassDistribution) {
  DatasetAnalysis a = analyze(six_examples());
  EXPECT_EQ(a.num_examples, 6);
  ASSERT_TRUE(a.has_classes);
  EXPECT_EQ(a.classes.counts, (std::vector<int64_t>{3, 1, 2}));
  ASSERT_EQ(a.classes.fractions.size(), 3u);
  EXPECT_DOUBLE_EQ(a.classes.fractions[0], 0.5);
  EXPECT_DOUBLE_EQ(a.classes.fractions[1], 1.0 / 6);
  EXPECT_DOUBLE_EQ(a.classes.fractions[2], 1.0 / 3);
  EXPECT_DOUBLE_EQ(a.classes.imbalance_ratio, 3.0);
  const double entropy = -(0.5 * std::log(0.5) + std::log(1.0 / 6) / 6 + std::log(1.0 / 3) / 3);
  EXPECT_NEAR(a.classes.entropy, entropy, 1e-12);
  EXPECT_NEAR(a.classes.balance, entropy / std::log(3.0), 1e-12);

  // A fourth, empty class: infinite imbalance, balance over log 4.
  AnalysisOptions opts;
  opts.num_classes = 4;
  DatasetAnalysis b = analyze(six_examples(), opts);
  EXPECT_EQ(b.classes.counts, (std::vector<int64_t>{3, 1, 2, 0}));
  EXPECT_TRUE(std::isinf(b.classes.imbalance_ratio));
  EXPECT_NEAR(b.classes.balance, entropy / std::log(4.0), 1e-12);

  // Perfect balance, and a single class.
  TensorDataset even(zeros({4, 2}), tensor<int64_t>({1, 0, 0, 1}, {4}));
  EXPECT_DOUBLE_EQ(analyze(even).classes.balance, 1.0);
  EXPECT_DOUBLE_EQ(analyze(even).classes.imbalance_ratio, 1.0);
  TensorDataset one(zeros({3, 2}), tensor<int64_t>({0, 0, 0}, {3}));
  EXPECT_DOUBLE_EQ(analyze(one).classes.balance, 1.0);
  EXPECT_DOUBLE_EQ(analyze(one).classes.imbalance_ratio, 1.0);
}

TEST(Analyze, NonClassTargets) {
  TensorDataset regression(zeros({3, 2}), tensor<float>({0.5f, 1.5f, 2.0f}, {3}));
  DatasetAnalysis a = analyze(regression);
  EXPECT_FALSE(a.has_classes);
  EXPECT_TRUE(a.classes.counts.empty());
  EXPECT_NE(a.report().find("classes: none"), std::string::npos) << a.report();
}

TEST(Analyze, BadTargetsAreValueErrors) {
  TensorDataset negative(zeros({3, 2}), tensor<int64_t>({0, -1, 2}, {3}));
  EXPECT_SEEK_ERROR_ALL(analyze(negative), ValueError, {"analyze", "example 1", "target -1", ">= 0"});
  AnalysisOptions opts;
  opts.num_classes = 2;
  EXPECT_SEEK_ERROR_ALL(analyze(six_examples(), opts), ValueError,
                        {"analyze", "example 1", "target 2", "num_classes 2"});
  opts.num_classes = -3;
  EXPECT_SEEK_ERROR_ALL(analyze(six_examples(), opts), ValueError, {"analyze", "num_classes", "-3"});
}

TEST(Analyze, SizeStatistics) {
  ListDataset ds({{zeros({1, 2, 3}), label(0)},
                  {zeros({3, 4, 5}), label(1)},
                  {zeros({2, 2}), label(1)},  // [H, W]: one channel
                  {zeros({4}), label(0)}});   // not an image
  DatasetAnalysis a = analyze(ds);
  EXPECT_EQ(a.channels.count, 3);
  EXPECT_EQ(a.non_image_examples, 1);
  EXPECT_DOUBLE_EQ(a.channels.min, 1);
  EXPECT_DOUBLE_EQ(a.channels.max, 3);
  EXPECT_DOUBLE_EQ(a.channels.mean, 5.0 / 3);
  EXPECT_DOUBLE_EQ(a.height.min, 2);
  EXPECT_DOUBLE_EQ(a.height.max, 4);
  EXPECT_DOUBLE_EQ(a.height.mean, 8.0 / 3);
  EXPECT_DOUBLE_EQ(a.width.min, 2);
  EXPECT_DOUBLE_EQ(a.width.max, 5);
  EXPECT_DOUBLE_EQ(a.width.mean, 10.0 / 3);
  // Channels 1 and 2 exist in one image only.
  ASSERT_EQ(a.pixels.size(), 3u);
  EXPECT_EQ(a.pixels[0].image_mean.count, 3);
  EXPECT_EQ(a.pixels[2].image_mean.count, 1);
}

TEST(Analyze, PixelStatistics) {
  // Two images [2, 1, 2]: channel 0 holds {0, 1} and {1, 1}, channel 1 {0.5, 0.5} and {0, 1}.
  ListDataset ds(
      {{tensor<float>({0, 1, 0.5f, 0.5f}, {2, 1, 2}), label(0)}, {tensor<float>({1, 1, 0, 1}, {2, 1, 2}), label(1)}});
  DatasetAnalysis a = analyze(ds);
  ASSERT_EQ(a.pixels.size(), 2u);
  const auto& c0 = a.pixels[0];
  EXPECT_DOUBLE_EQ(c0.mean, 0.75);
  EXPECT_NEAR(c0.std, std::sqrt(0.1875), 1e-12);
  EXPECT_DOUBLE_EQ(c0.min, 0);
  EXPECT_DOUBLE_EQ(c0.max, 1);
  EXPECT_DOUBLE_EQ(c0.image_mean.min, 0.5);
  EXPECT_DOUBLE_EQ(c0.image_mean.max, 1);
  EXPECT_DOUBLE_EQ(c0.image_mean.mean, 0.75);
  EXPECT_DOUBLE_EQ(c0.image_std.min, 0);
  EXPECT_DOUBLE_EQ(c0.image_std.max, 0.5);
  EXPECT_DOUBLE_EQ(c0.image_std.mean, 0.25);
  const auto& c1 = a.pixels[1];
  EXPECT_DOUBLE_EQ(c1.mean, 0.5);
  EXPECT_NEAR(c1.std, std::sqrt(0.125), 1e-12);
  EXPECT_DOUBLE_EQ(c1.image_mean.min, 0.5);
  EXPECT_DOUBLE_EQ(c1.image_mean.max, 0.5);
  EXPECT_DOUBLE_EQ(c1.image_std.max, 0.5);

  AnalysisOptions no_pixels;
  no_pixels.pixel_stats = false;
  DatasetAnalysis b = analyze(ds, no_pixels);
  EXPECT_TRUE(b.pixels.empty());
  EXPECT_EQ(b.hash, a.hash);
  EXPECT_EQ(b.channels.count, 2);
}

TEST(Analyze, ReportText) {
  AnalysisOptions opts;
  opts.num_classes = 4;
  opts.class_names = {"zero", "one", "two"};  // the fourth has no name
  TensorDataset six = six_examples();
  DatasetAnalysis a = analyze(six, opts);
  const std::string r = a.report();
  for (const std::string& want :
       {std::string("examples: 6\n"), "content hash (FNV-1a 64): " + a.hash_hex() + "\n",
        std::string("classes: 4  balance (entropy / log 4): 0.7296  imbalance ratio (max/min count): inf\n"),
        std::string("      0  zero           3    50.00%\n"), std::string("      1  one            1    16.67%\n"),
        std::string("      3  -              0     0.00%\n"), std::string("  channels 1.00 .. 1.00 (mean 1.00)\n"),
        std::string("  height   2.00 .. 2.00 (mean 2.00)\n"), std::string("channel 0: mean ")})
    EXPECT_NE(r.find(want), std::string::npos) << "'" << want << "' not in:\n" << r;
  EXPECT_EQ(r.find("channel 1:"), std::string::npos) << r;

  ListDataset ds(
      {{tensor<float>({0, 1, 0.5f, 0.5f}, {2, 1, 2}), label(0)}, {tensor<float>({1, 1, 0, 1}, {2, 1, 2}), label(1)}});
  const std::string p = analyze(ds).report();
  EXPECT_NE(p.find("channel 0: mean 0.7500  std 0.4330  min 0.0000  max 1.0000\n"), std::string::npos) << p;
  EXPECT_NE(p.find("  per-image mean 0.5000 .. 1.0000 (mean 0.7500)\n"), std::string::npos) << p;
  EXPECT_NE(p.find("imbalance ratio (max/min count): 1.00\n"), std::string::npos) << p;
}

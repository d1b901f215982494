// Normalize, RandomCrop, RandomHorizontalFlip, Compose on hand-made tensors.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "seek/seek.h"

using namespace seek;
using namespace seek::data;
using namespace seek::data::transforms;

namespace {
// [1, 2, 3] image with values 1..6.
Tensor small() { return tensor<float>({1, 2, 3, 4, 5, 6}, {1, 2, 3}); }
}  // namespace

TEST(Transforms, NormalizePerChannel) {
  Tensor x = tensor<float>({1, 2, 3, 4, 10, 20, 30, 40}, {2, 2, 2});
  Tensor y = Normalize({1, 10}, {2, 5})(x);
  EXPECT_EQ(y.sizes(), (Shape{2, 2, 2}));
  EXPECT_EQ(y.dtype(), kFloat32);
  auto v = to_vector<float>(y);
  std::vector<float> expect{0, 0.5f, 1, 1.5f, 0, 2, 4, 6};
  for (size_t i = 0; i < v.size(); ++i) EXPECT_FLOAT_EQ(v[i], expect[i]);
  EXPECT_THROW(Normalize({1, 2, 3}, {1, 1, 1})(x), ShapeError);
  EXPECT_THROW(Normalize({1}, {0}), ValueError);
  EXPECT_THROW(Normalize({1}, {1})(tensor<int64_t>({1, 2}, {1, 1, 2})), DTypeError);
  EXPECT_THROW(Normalize({1}, {1})(zeros({2, 2})), ShapeError);
}

TEST(Transforms, HorizontalFlip) {
  EXPECT_EQ(to_vector<float>(RandomHorizontalFlip(1.0)(small())), (std::vector<float>{3, 2, 1, 6, 5, 4}));
  EXPECT_EQ(to_vector<float>(RandomHorizontalFlip(0.0)(small())), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  EXPECT_THROW(RandomHorizontalFlip(1.5), ValueError);
}

TEST(Transforms, FlipIsReproducibleAndRandom) {
  RandomHorizontalFlip flip(0.5);
  auto run = [&](uint64_t seed) {
    Generator g(seed);
    std::vector<bool> flipped;
    for (int i = 0; i < 32; ++i) flipped.push_back(to_vector<float>(flip(small(), &g))[0] == 3.0f);
    return flipped;
  };
  auto a = run(5);
  EXPECT_EQ(a, run(5));
  EXPECT_NE(std::count(a.begin(), a.end(), true), 0);
  EXPECT_NE(std::count(a.begin(), a.end(), false), 0);
}

TEST(Transforms, RandomCropWithPadding) {
  // 3x3 crop of the zero-padded (p = 1) 4x5 image: every crop is a window of
  // the padded image, and over many draws every window position occurs.
  Tensor x = tensor<float>({1, 2, 3, 4, 5, 6}, {1, 2, 3});
  Tensor padded = zeros({1, 4, 5});
  std::vector<float> pv(20, 0);
  for (int r = 0; r < 2; ++r)
    for (int c = 0; c < 3; ++c) pv[(r + 1) * 5 + (c + 1)] = static_cast<float>(r * 3 + c + 1);
  RandomCrop crop(3, 1);
  Generator g(11);
  std::set<std::pair<int, int>> seen;
  for (int it = 0; it < 200; ++it) {
    Tensor y = crop(x, &g);
    ASSERT_EQ(y.sizes(), (Shape{1, 3, 3}));
    auto v = to_vector<float>(y);
    bool matched = false;
    for (int top = 0; top <= 1 && !matched; ++top)
      for (int left = 0; left <= 2 && !matched; ++left) {
        bool ok = true;
        for (int r = 0; r < 3; ++r)
          for (int c = 0; c < 3; ++c) ok = ok && v[r * 3 + c] == pv[(top + r) * 5 + left + c];
        if (ok) {
          matched = true;
          seen.insert({top, left});
        }
      }
    EXPECT_TRUE(matched) << "crop is not a window of the padded image";
  }
  EXPECT_EQ(seen.size(), 6u);
  // Same generator state -> same crop.
  Generator g1(3), g2(3);
  EXPECT_EQ(to_vector<float>(crop(x, &g1)), to_vector<float>(crop(x, &g2)));
}

TEST(Transforms, RandomCropFullSizeAndErrors) {
  // Crop of the padded size takes the whole padded image.
  Tensor y = RandomCrop(4, 5, 1)(small());
  EXPECT_EQ(to_vector<float>(y), (std::vector<float>{0, 0, 0, 0, 0, 0, 1, 2, 3, 0, 0, 4, 5, 6, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(to_vector<float>(RandomCrop(2, 3, 0)(small())), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  try {
    RandomCrop(5, 0)(small());
    FAIL() << "expected ShapeError";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("larger than the padded image"), std::string::npos) << e.what();
  }
  EXPECT_THROW(RandomCrop(0), ValueError);
  EXPECT_THROW(RandomCrop(2, -1), ValueError);
}

TEST(Transforms, ComposeAppliesInOrderWithOneGenerator) {
  Compose t({RandomHorizontalFlip(1.0), Normalize({1}, {2})});
  auto v = to_vector<float>(t(small()));
  std::vector<float> expect{1, 0.5f, 0, 2.5f, 2, 1.5f};
  for (size_t i = 0; i < v.size(); ++i) EXPECT_FLOAT_EQ(v[i], expect[i]);
  // With MapDataset and a seeded generator the augmented data is reproducible.
  auto ds = std::make_shared<TensorDataset>(rand({4, 1, 4, 4}), arange(4));
  Compose aug({RandomCrop(4, 2), RandomHorizontalFlip(0.5)});
  Generator g1(9), g2(9);
  MapDataset a(ds, aug, &g1), b(ds, aug, &g2);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(to_vector<float>(a.get(i).data), to_vector<float>(b.get(i).data));
}

// TensorDataset, Subset, MapDataset, random_split, stratified_split.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "seek/seek.h"
#include "support/test_util.h"

using namespace seek;
using namespace seek::data;

namespace {

// data[i] = {i, 2i}, target[i] = labels[i].
std::shared_ptr<TensorDataset> make_dataset(const std::vector<int64_t>& labels) {
  const auto n = static_cast<int64_t>(labels.size());
  std::vector<float> d;
  for (int64_t i = 0; i < n; ++i) {
    d.push_back(static_cast<float>(i));
    d.push_back(static_cast<float>(2 * i));
  }
  return std::make_shared<TensorDataset>(tensor(d, {n, 2}), tensor(labels, {n}));
}

std::vector<size_t> ids(const Dataset& ds) {
  std::vector<size_t> out;
  for (size_t i = 0; i < ds.size(); ++i) out.push_back(static_cast<size_t>(ds.get(i).data[0].item<float>()));
  return out;
}

}  // namespace

TEST(TensorDataset, IndexesFirstDimension) {
  auto ds = make_dataset({5, 6, 7});
  ASSERT_EQ(ds->size(), 3u);
  Example e = ds->get(2);
  EXPECT_EQ(to_vector<float>(e.data), (std::vector<float>{2, 4}));
  EXPECT_EQ(e.target.dim(), 0);
  EXPECT_EQ(e.target.item<int64_t>(), 7);
  try {
    ds->get(3);
    FAIL() << "expected IndexError";
  } catch (const IndexError& err) {
    EXPECT_NE(std::string(err.what()).find("index 3 out of range"), std::string::npos) << err.what();
  }
}

TEST(TensorDataset, MismatchedSizesThrow) {
  EXPECT_THROW(TensorDataset(zeros({3, 2}), zeros({4})), ShapeError);
  EXPECT_THROW(TensorDataset(scalar_tensor(1.0), zeros({1})), ShapeError);
}

TEST(Subset, MapsIndicesAndChecksThem) {
  auto ds = make_dataset({0, 1, 2, 3});
  Subset s(ds, {3, 1});
  EXPECT_EQ(ids(s), (std::vector<size_t>{3, 1}));
  EXPECT_THROW(s.get(2), IndexError);
  try {
    Subset bad(ds, {0, 4});
    FAIL() << "expected IndexError";
  } catch (const IndexError& err) {
    EXPECT_NE(std::string(err.what()).find("indices[1] = 4"), std::string::npos) << err.what();
  }
}

TEST(MapDataset, AppliesTransformToData) {
  auto ds = make_dataset({0, 1});
  MapDataset m(ds, [](const Tensor& x, Generator*) { return x * 10.0; });
  EXPECT_EQ(m.size(), 2u);
  Example e = m.get(1);
  EXPECT_EQ(to_vector<float>(e.data), (std::vector<float>{10, 20}));
  EXPECT_EQ(e.target.item<int64_t>(), 1);
}

TEST(MapDataset, SharedGeneratorModeDrawsInCallOrder) {
  // The Generator* constructor: every call draws from the one generator.
  auto ds = make_dataset({0, 1});
  Generator g(4);
  MapDataset m(
      ds, [](const Tensor& x, Generator* gen) { return x + rand({2}, gen); }, &g);
  EXPECT_FALSE(m.seeded());
  Tensor a = m.get(0).data, b = m.get(0).data;
  EXPECT_FALSE(equal(a, b));
  EXPECT_EQ(g.offset(), 4u);
}

namespace {
// Adds a uniform draw to the data (float32, one block per element).
Tensor add_noise(const Tensor& x, Generator* gen) { return x + rand(x.sizes(), gen); }
}  // namespace

TEST(MapDataset, SeededModeIsAFunctionOfEpochAndIndex) {
  auto ds = make_dataset({0, 1, 2});
  MapDataset m(ds, add_noise, uint64_t{77});
  EXPECT_TRUE(m.seeded());
  // Example i of epoch e draws at block offset (e * size + i) << 20 of Generator(77).
  for (uint64_t e : {0u, 3u}) {
    for (size_t i = 0; i < 3; ++i) {
      Generator g(77);
      g.set_offset((e * 3 + i) << 20);
      Tensor want = ds->get(i).data + rand({2}, &g);
      EXPECT_TRUE(equal(m.get(i, e).data, want)) << "epoch " << e << " index " << i;
    }
  }
  // Any call order gives the same data; get(i) is epoch 0; epochs differ.
  Tensor second = m.get(2, 1).data;
  m.get(0, 5);
  EXPECT_TRUE(equal(m.get(2, 1).data, second));
  EXPECT_TRUE(equal(m.get(1).data, m.get(1, 0).data));
  EXPECT_FALSE(equal(m.get(1, 0).data, m.get(1, 1).data));
  // Another seed, other data; a literal 0 is a seed, not a null Generator*.
  MapDataset zero(ds, add_noise, 0);
  EXPECT_TRUE(zero.seeded());
  EXPECT_FALSE(equal(zero.get(1).data, m.get(1).data));
}

TEST(MapDataset, SubsetAndNestedWrappersForwardTheEpoch) {
  auto ds = make_dataset({0, 1, 2, 3});
  auto inner = std::make_shared<MapDataset>(ds, add_noise, 5);
  Subset sub(inner, {3, 1});
  EXPECT_TRUE(equal(sub.get(0, 2).data, inner->get(3, 2).data));
  EXPECT_FALSE(equal(sub.get(0, 2).data, inner->get(3, 0).data));
  EXPECT_TRUE(equal(sub.get(1).data, inner->get(1, 0).data));
  EXPECT_SEEK_ERROR_ALL(sub.get(2, 1), IndexError, {"Subset", "index 2"});
  // A map over the subset forwards the epoch through both layers.
  MapDataset outer(std::make_shared<Subset>(inner, std::vector<size_t>{3, 1}),
                   [](const Tensor& x, Generator*) { return x * 2.0; });
  EXPECT_TRUE(equal(outer.get(0, 2).data, inner->get(3, 2).data * 2.0));
  // A plain dataset ignores the epoch.
  EXPECT_TRUE(equal(ds->get(2, 9).data, ds->get(2).data));
}

TEST(MapDataset, SeededTransformMustStayInItsBlockBudget) {
  auto ds = make_dataset({0});
  MapDataset greedy(
      ds, [](const Tensor& x, Generator* g) { return x + rand({(1 << 20) + 1}, g).sum(); }, 1);
  EXPECT_SEEK_ERROR_ALL(greedy.get(0), Error, {"MapDataset", "1048577", "2^20"});
  MapDataset fits(
      ds, [](const Tensor& x, Generator* g) { return x + rand({1 << 20}, g).sum(); }, 1);
  EXPECT_NO_THROW(fits.get(0));
}

TEST(RandomSplit, LengthsDisjointAndReproducible) {
  auto ds = make_dataset(std::vector<int64_t>(10, 0));
  auto parts = random_split(ds, std::vector<size_t>{3, 7}, 42);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0]->size(), 3u);
  EXPECT_EQ(parts[1]->size(), 7u);
  std::set<size_t> all;
  for (auto& p : parts)
    for (size_t i : ids(*p)) EXPECT_TRUE(all.insert(i).second) << "index " << i << " in two parts";
  EXPECT_EQ(all.size(), 10u);
  auto again = random_split(ds, std::vector<size_t>{3, 7}, 42);
  EXPECT_EQ(again[0]->indices(), parts[0]->indices());
  auto other = random_split(ds, std::vector<size_t>{3, 7}, 43);
  EXPECT_NE(other[1]->indices(), parts[1]->indices());
  EXPECT_THROW(random_split(ds, std::vector<size_t>{3, 6}, 0), ValueError);
}

TEST(RandomSplit, Fractions) {
  auto ds = make_dataset(std::vector<int64_t>(10, 0));
  // floor: 3, 3, 3 -> the remaining one goes to part 0.
  auto parts = random_split(ds, std::vector<double>{1.0 / 3, 1.0 / 3, 1.0 / 3}, 1);
  EXPECT_EQ(parts[0]->size(), 4u);
  EXPECT_EQ(parts[1]->size(), 3u);
  EXPECT_EQ(parts[2]->size(), 3u);
  EXPECT_THROW(random_split(ds, std::vector<double>{0.5, 0.4}, 0), ValueError);
  EXPECT_THROW(random_split(ds, std::vector<double>{1.5, -0.5}, 0), ValueError);
}

TEST(StratifiedSplit, KeepsClassProportions) {
  // 50 of class 0, 30 of class 1, 20 of class 2.
  std::vector<int64_t> labels;
  for (int c = 0, counts[] = {50, 30, 20}; c < 3; ++c)
    for (int k = 0; k < counts[c]; ++k) labels.push_back(c);
  std::reverse(labels.begin(), labels.end());
  auto ds = make_dataset(labels);
  auto parts = stratified_split(ds, {0.7, 0.1, 0.2}, 7);
  ASSERT_EQ(parts.size(), 3u);
  const int expected[3][3] = {{35, 21, 14}, {5, 3, 2}, {10, 6, 4}};  // [part][class]
  std::set<size_t> all;
  for (size_t p = 0; p < 3; ++p) {
    std::map<int64_t, int> count;
    for (size_t i = 0; i < parts[p]->size(); ++i) {
      Example e = parts[p]->get(i);
      ++count[e.target.item<int64_t>()];
      EXPECT_TRUE(all.insert(static_cast<size_t>(e.data[0].item<float>())).second);
    }
    for (int c = 0; c < 3; ++c) EXPECT_EQ(count[c], expected[p][c]) << "part " << p << " class " << c;
    EXPECT_TRUE(std::is_sorted(parts[p]->indices().begin(), parts[p]->indices().end()));
  }
  EXPECT_EQ(all.size(), 100u);
  EXPECT_EQ(stratified_split(ds, {0.7, 0.1, 0.2}, 7)[1]->indices(), parts[1]->indices());
  EXPECT_NE(stratified_split(ds, {0.7, 0.1, 0.2}, 8)[0]->indices(), parts[0]->indices());
}

TEST(StratifiedSplit, RemainderGoesToLargestFractionalParts) {
  // One class of 7: exact shares 4.9, 0.7, 1.4 -> floors 4, 0, 1 (sum 5); the two
  // left go to part 0 (.9) and part 1 (.7): 5, 1, 1.
  auto ds = make_dataset(std::vector<int64_t>(7, 3));
  auto parts = stratified_split(ds, {0.7, 0.1, 0.2}, 0);
  EXPECT_EQ(parts[0]->size(), 5u);
  EXPECT_EQ(parts[1]->size(), 1u);
  EXPECT_EQ(parts[2]->size(), 1u);
}

TEST(StratifiedSplit, BadInput) {
  auto ds = make_dataset({0, 1});
  EXPECT_THROW(stratified_split(ds, {0.5, 0.6}, 0), ValueError);
  auto multi = std::make_shared<TensorDataset>(zeros({2, 3}), zeros({2, 2}));
  try {
    stratified_split(multi, {1.0}, 0);
    FAIL() << "expected ShapeError";
  } catch (const ShapeError& err) {
    EXPECT_NE(std::string(err.what()).find("one-element class target"), std::string::npos) << err.what();
  }
}

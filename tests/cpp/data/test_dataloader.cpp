// DataLoader: batching, drop_last, shuffle order, workers, errors, resume.
#include <gtest/gtest.h>

#include <atomic>
#include <set>

#include "seek/seek.h"
#include "support/test_util.h"

using namespace seek;
using namespace seek::data;

namespace {

// Example i: data = [i, -i] (float), target = i (int64).
std::shared_ptr<TensorDataset> counting(int64_t n) {
  Tensor idx = arange(n, TensorOptions(kInt64));
  Tensor f = idx.to(kFloat32);
  return std::make_shared<TensorDataset>(stack({f, f * -1.0}, 1), idx);
}

std::vector<std::vector<int64_t>> targets_of(DataLoader& loader) {
  std::vector<std::vector<int64_t>> out;
  for (const Batch& b : loader) out.push_back(to_vector<int64_t>(b.target));
  return out;
}

// Throws in get() for one index.
class Failing : public Dataset {
 public:
  explicit Failing(size_t bad) : bad_(bad) {}
  size_t size() const override { return 10; }
  Example get(size_t i) const override {
    SEEK_CHECK_VALUE(i != bad_, "Failing: example ", i, " is broken");
    return {scalar_tensor(static_cast<double>(i)), scalar_tensor(static_cast<int64_t>(i), TensorOptions(kInt64))};
  }

 private:
  size_t bad_;
};

}  // namespace

TEST(DataLoader, BatchesInOrderWithDefaultCollate) {
  DataLoader loader(counting(7), {.batch_size = 3});
  EXPECT_EQ(loader.len(), 3u);
  std::vector<Batch> batches;
  for (const Batch& b : loader) batches.push_back(b);
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(batches[0].data.sizes(), (Shape{3, 2}));
  EXPECT_EQ(batches[0].target.sizes(), (Shape{3}));
  EXPECT_EQ(to_vector<float>(batches[1].data), (std::vector<float>{3, -3, 4, -4, 5, -5}));
  EXPECT_EQ(to_vector<int64_t>(batches[2].target), (std::vector<int64_t>{6}));
  EXPECT_EQ(batches[2].data.sizes(), (Shape{1, 2}));
}

TEST(DataLoader, DropLast) {
  DataLoader loader(counting(7), {.batch_size = 3, .drop_last = true});
  EXPECT_EQ(loader.len(), 2u);
  EXPECT_EQ(targets_of(loader), (std::vector<std::vector<int64_t>>{{0, 1, 2}, {3, 4, 5}}));
  DataLoader exact(counting(6), {.batch_size = 3, .drop_last = true});
  EXPECT_EQ(exact.len(), 2u);
  DataLoader tiny(counting(2), {.batch_size = 3, .drop_last = true});
  EXPECT_EQ(tiny.len(), 0u);
  EXPECT_TRUE(tiny.begin() == tiny.end());
}

TEST(DataLoader, ShuffleReproducibleAndEpochsDiffer) {
  DataLoaderOptions opt{.batch_size = 4, .shuffle = true, .seed = 123};
  DataLoader a(counting(20), opt), b(counting(20), opt);
  auto e0 = targets_of(a);
  EXPECT_EQ(e0, targets_of(b));
  EXPECT_EQ(targets_of(a), e0);  // same epoch again: same order
  std::set<int64_t> all;
  for (auto& batch : e0) all.insert(batch.begin(), batch.end());
  EXPECT_EQ(all.size(), 20u);
  std::vector<std::vector<int64_t>> identity;
  for (int64_t k = 0; k < 5; ++k) identity.push_back({4 * k, 4 * k + 1, 4 * k + 2, 4 * k + 3});
  EXPECT_NE(e0, identity);
  a.set_epoch(1);
  b.set_epoch(1);
  auto e1 = targets_of(a);
  EXPECT_NE(e1, e0);
  EXPECT_EQ(e1, targets_of(b));
  DataLoader c(counting(20), {.batch_size = 4, .shuffle = true, .seed = 124});
  EXPECT_NE(targets_of(c), e0);
  // epoch_indices matches what the loader yields.
  auto order = a.epoch_indices(1);
  EXPECT_EQ(static_cast<int64_t>(order[0]), e1[0][0]);
  EXPECT_EQ(static_cast<int64_t>(order[19]), e1[4][3]);
}

TEST(DataLoader, WorkersGiveTheSameBatches) {
  for (bool shuffle : {false, true}) {
    DataLoader serial(counting(53), {.batch_size = 5, .shuffle = shuffle, .seed = 9});
    auto expect = targets_of(serial);
    for (size_t workers : {1u, 2u, 4u}) {
      for (size_t prefetch : {1u, 3u}) {
        DataLoader par(
            counting(53),
            {.batch_size = 5, .shuffle = shuffle, .seed = 9, .num_workers = workers, .prefetch_factor = prefetch});
        EXPECT_EQ(targets_of(par), expect) << workers << " workers, prefetch " << prefetch;
        EXPECT_EQ(targets_of(par), expect) << "second pass";
      }
    }
  }
}

TEST(DataLoader, UserCollate) {
  std::atomic<int> calls{0};
  auto sum_collate = [&](const std::vector<Example>& ex) {
    ++calls;
    int64_t s = 0;
    for (auto& e : ex) s += e.target.item<int64_t>();
    return Batch{scalar_tensor(static_cast<int64_t>(ex.size()), TensorOptions(kInt64)),
                 scalar_tensor(s, TensorOptions(kInt64))};
  };
  DataLoader loader(counting(5), {.batch_size = 2, .num_workers = 2}, sum_collate);
  std::vector<int64_t> sums, sizes;
  for (const Batch& b : loader) {
    sizes.push_back(b.data.item<int64_t>());
    sums.push_back(b.target.item<int64_t>());
  }
  EXPECT_EQ(sizes, (std::vector<int64_t>{2, 2, 1}));
  EXPECT_EQ(sums, (std::vector<int64_t>{1, 5, 4}));
  EXPECT_EQ(calls.load(), 3);
}

TEST(DataLoader, WorkerExceptionsReachTheConsumer) {
  for (size_t workers : {0u, 1u, 3u}) {
    DataLoader loader(std::make_shared<Failing>(7), {.batch_size = 2, .num_workers = workers});
    std::vector<int64_t> seen;
    try {
      for (const Batch& b : loader)
        for (int64_t t : to_vector<int64_t>(b.target)) seen.push_back(t);
      FAIL() << "expected ValueError with " << workers << " workers";
    } catch (const ValueError& e) {
      EXPECT_NE(std::string(e.what()).find("example 7 is broken"), std::string::npos) << e.what();
    }
    // Batches before the failing one (batch 3 = {6, 7}) were delivered in order.
    EXPECT_EQ(seen, (std::vector<int64_t>{0, 1, 2, 3, 4, 5})) << workers << " workers";
    // The position points at the failing batch, so a retry starts there.
    EXPECT_EQ(loader.state().next_batch, 3u);
  }
}

TEST(DataLoader, ResumeMidEpochYieldsTheRemainingBatches) {
  for (size_t workers : {0u, 2u}) {
    DataLoaderOptions opt{.batch_size = 3, .shuffle = true, .seed = 77, .num_workers = workers};
    DataLoader full(counting(20), opt);
    full.set_epoch(2);
    auto expect = targets_of(full);
    ASSERT_EQ(expect.size(), 7u);

    DataLoader first(counting(20), opt);
    first.set_epoch(2);
    DataLoaderState saved;
    size_t k = 0;
    for (const Batch& b : first) {
      EXPECT_EQ(to_vector<int64_t>(b.target), expect[k]);
      saved = first.state();  // checkpoint after batch k
      if (++k == 3) break;    // stop mid-epoch
    }
    EXPECT_EQ(saved, (DataLoaderState{2, 3}));

    DataLoader resumed(counting(20), opt);
    resumed.load_state(saved);
    auto rest = targets_of(resumed);
    EXPECT_EQ(rest, std::vector<std::vector<int64_t>>(expect.begin() + 3, expect.end()));
    // After finishing, the next pass starts the epoch over.
    EXPECT_EQ(resumed.state(), (DataLoaderState{2, 0}));
    EXPECT_EQ(targets_of(resumed), expect);
  }
}

TEST(DataLoader, StateAtEndOfEpochAndErrors) {
  DataLoader loader(counting(6), {.batch_size = 2});
  loader.load_state({4, 3});  // epoch 4 done
  EXPECT_TRUE(loader.begin() == loader.end());
  EXPECT_EQ(loader.state(), (DataLoaderState{4, 0}));
  EXPECT_THROW(loader.load_state({0, 4}), IndexError);
  EXPECT_THROW(DataLoader(counting(3), {.batch_size = 0}), ValueError);
  EXPECT_THROW(DataLoader(nullptr), ValueError);
  EXPECT_THROW(DataLoader(counting(3), {.prefetch_factor = 0}), ValueError);
}

TEST(DataLoader, EarlyExitWithWorkersStopsCleanly) {
  DataLoader loader(counting(100), {.batch_size = 2, .num_workers = 3, .prefetch_factor = 2});
  int n = 0;
  for (const Batch& b : loader) {
    (void)b;
    if (++n == 2) break;
  }
  EXPECT_EQ(loader.state().next_batch, 2u);
  EXPECT_EQ(targets_of(loader).size(), 48u);
}

TEST(DataLoader, SplitMapDatasetAndLoaderCompose) {
  // MapDataset + stratified split + loader compose; 3 classes of 10 examples.
  std::vector<int64_t> labels;
  for (int64_t i = 0; i < 30; ++i) labels.push_back(i % 3);
  auto base = std::make_shared<TensorDataset>(arange(30, TensorOptions(kFloat32)).unsqueeze(1), tensor(labels, {30}));
  auto parts = stratified_split(std::make_shared<MapDataset>(base, [](const Tensor& x, Generator*) { return x; }),
                                {0.5, 0.5}, 3);
  DataLoader loader(parts[0], {.batch_size = 4, .shuffle = true, .seed = 1, .num_workers = 2});
  size_t total = 0;
  std::vector<int> per_class(3, 0);
  for (const Batch& b : loader) {
    EXPECT_EQ(b.data.sizes()[1], 1);
    for (int64_t t : to_vector<int64_t>(b.target)) ++per_class[static_cast<size_t>(t)];
    total += static_cast<size_t>(b.target.size(0));
  }
  EXPECT_EQ(total, 15u);
  EXPECT_EQ(per_class, (std::vector<int>{5, 5, 5}));
}

namespace {

// 10 images [3, 6, 6] with distinct values, under random augmentation in
// seeded mode (crop with padding, flip, rotation, colour jitter).
std::shared_ptr<MapDataset> augmented(uint64_t seed) {
  Generator g(3);
  Tensor images = rand({10, 3, 6, 6}, &g);
  auto base = std::make_shared<TensorDataset>(images, arange(10, TensorOptions(kInt64)));
  transforms::Compose aug({transforms::RandomCrop(6, 1), transforms::RandomHorizontalFlip(),
                           transforms::RandomRotation(20.0, transforms::InterpolationMode::Bilinear),
                           transforms::ColorJitter(0.3, 0.3, 0.3, 0.05)});
  return std::make_shared<MapDataset>(base, aug, seed);
}

std::vector<Batch> collect(DataLoader& loader) {
  std::vector<Batch> out;
  for (const Batch& b : loader) out.push_back(b);
  return out;
}

// Records the epoch each get(index, epoch) call receives.
class EpochEcho : public Dataset {
 public:
  size_t size() const override { return 4; }
  Example get(size_t i) const override { return get_for_epoch(i, 0); }

 protected:
  Example get_for_epoch(size_t i, uint64_t epoch) const override {
    return {scalar_tensor(static_cast<double>(epoch)), scalar_tensor(static_cast<int64_t>(i), TensorOptions(kInt64))};
  }
};

}  // namespace

TEST(DataLoader, PassesItsEpochToTheDataset) {
  DataLoader loader(std::make_shared<EpochEcho>(), {.batch_size = 2, .num_workers = 2});
  loader.set_epoch(7);
  for (const Batch& b : loader) EXPECT_EQ(to_vector<double>(b.data), (std::vector<double>{7, 7}));
}

TEST(DataLoader, IndexedCollateGetsEpochAndBatch) {
  IndexedCollateFn collate = [](const std::vector<Example>& ex, const BatchInfo& info) {
    Batch b = default_collate(ex);
    b.data = full({1}, static_cast<double>(info.epoch * 100 + info.batch), TensorOptions(kFloat64));
    return b;
  };
  DataLoader loader(counting(6), {.batch_size = 2, .num_workers = 2}, collate);
  loader.load_state({3, 1});
  std::vector<double> got;
  for (const Batch& b : loader) got.push_back(b.data.item<double>());
  EXPECT_EQ(got, (std::vector<double>{301, 302}));
}

TEST(DataLoader, SeededAugmentationIsTheSameForAnyWorkers) {
  auto ds = augmented(42);
  DataLoaderOptions opts{.batch_size = 3, .shuffle = true, .seed = 5};
  DataLoader serial(ds, opts);
  opts.num_workers = 3;
  DataLoader threaded(ds, opts);
  for (uint64_t epoch : {0u, 1u}) {
    serial.set_epoch(epoch);
    threaded.set_epoch(epoch);
    auto a = collect(serial), b = collect(threaded);
    ASSERT_EQ(a.size(), 4u);
    ASSERT_EQ(b.size(), 4u);
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_TRUE(equal(a[i].data, b[i].data)) << "epoch " << epoch << " batch " << i;
      EXPECT_TRUE(equal(a[i].target, b[i].target));
    }
  }
}

TEST(DataLoader, SeededAugmentationDiffersByEpochAndResumesExactly) {
  auto ds = augmented(42);
  // Without shuffle the same example sits at the same place each epoch, so any
  // difference between epochs is the augmentation.
  DataLoader loader(ds, {.batch_size = 4, .num_workers = 2});
  auto epoch0 = collect(loader);
  loader.set_epoch(1);
  auto epoch1 = collect(loader);
  ASSERT_EQ(epoch0.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_TRUE(equal(epoch0[i].target, epoch1[i].target));
    EXPECT_FALSE(allclose(epoch0[i].data, epoch1[i].data)) << "batch " << i;
  }
  // Resume at batch b of epoch 1 (other workers, a fresh loader): the rest of
  // the epoch equals the uninterrupted run's batches b, b + 1, ...
  for (size_t b = 0; b < 3; ++b) {
    DataLoader resumed(ds, {.batch_size = 4, .num_workers = b});
    resumed.load_state({1, b});
    auto rest = collect(resumed);
    ASSERT_EQ(rest.size(), 3 - b);
    for (size_t k = 0; k < rest.size(); ++k) EXPECT_TRUE(equal(rest[k].data, epoch1[b + k].data)) << b << "," << k;
  }
  // Another seed augments differently.
  DataLoader other(augmented(43), {.batch_size = 4});
  EXPECT_FALSE(allclose(collect(other)[0].data, epoch0[0].data));
}

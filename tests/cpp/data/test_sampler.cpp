// DistributedSampler: the partition rule (every rank computed here in one process), padding / drop_last, the
// epoch's reshuffle, agreement with the DataLoader's own shuffle for one replica, and the DataLoader's sampler
// option. tests/dist/test_sampler_dist.cpp checks the same across real ranks under mpirun.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "seek/seek.h"

using namespace seek;
using namespace seek::data;

namespace {

std::shared_ptr<TensorDataset> counting(int64_t n) {
  Tensor idx = arange(n, TensorOptions(kInt64));
  return std::make_shared<TensorDataset>(idx, idx);
}

}  // namespace

TEST(DistributedSampler, PartitionIsDisjointCoveringAndEqual) {
  for (int R : {1, 2, 3, 4}) {
    for (size_t n : {0, 1, 2, 5, 12, 13}) {
      for (bool drop_last : {false, true}) {
        for (bool shuffle : {false, true}) {
          std::map<size_t, int> seen;
          size_t per_rank = 0;
          for (int r = 0; r < R; ++r) {
            DistributedSampler s(n, R, r, {shuffle, 5, drop_last});
            const auto mine = s.indices(1);
            EXPECT_EQ(mine.size(), s.size());
            EXPECT_EQ(s.size(), drop_last ? n / R : (n + R - 1) / R);
            per_rank = mine.size();
            for (size_t i : mine) {
              ASSERT_LT(i, n);
              seen[i]++;
            }
          }
          const std::string ctx = str("R=", R, " n=", n, " drop_last=", drop_last, " shuffle=", shuffle);
          if (drop_last) {
            for (const auto& [i, c] : seen) EXPECT_EQ(c, 1) << ctx;  // disjoint
            EXPECT_EQ(seen.size(), per_rank * R) << ctx;
          } else {
            EXPECT_EQ(seen.size(), n) << ctx;  // covering; padding repeats at most ceil(R / n) times
            size_t total = 0;
            for (const auto& [i, c] : seen) total += c;
            EXPECT_EQ(total, per_rank * R) << ctx;
          }
        }
      }
    }
  }
}

TEST(DistributedSampler, OrderWithoutShuffleIsStridedAndPadded) {
  // 10 indices on 4 ranks: padded with 0 and 1 to 12, rank r takes r, r + 4, r + 8.
  EXPECT_EQ(DistributedSampler(10, 4, 0, {false}).indices(0), (std::vector<size_t>{0, 4, 8}));
  EXPECT_EQ(DistributedSampler(10, 4, 2, {false}).indices(0), (std::vector<size_t>{2, 6, 0}));
  EXPECT_EQ(DistributedSampler(10, 4, 3, {false}).indices(0), (std::vector<size_t>{3, 7, 1}));
  EXPECT_EQ(DistributedSampler(10, 4, 3, {false, 0, true}).indices(0), (std::vector<size_t>{3, 7}));
  // Fewer indices than replicas: the order repeats.
  EXPECT_EQ(DistributedSampler(2, 5, 4, {false}).indices(0), (std::vector<size_t>{0}));
}

TEST(DistributedSampler, EpochsReshuffleAndSeedsDiffer) {
  DistributedSampler s(50, 2, 1, {true, 7});
  EXPECT_NE(s.indices(0), s.indices(1));
  EXPECT_EQ(s.indices(3), s.indices(3));
  EXPECT_NE(s.indices(0), DistributedSampler(50, 2, 1, {true, 8}).indices(0));
  s.set_epoch(4);
  EXPECT_EQ(s.epoch(), 4u);
  EXPECT_EQ(s.indices(), s.indices(4));
}

TEST(DistributedSampler, OneReplicaMatchesTheDataLoadersShuffle) {
  DataLoaderOptions shuffled;
  shuffled.shuffle = true;
  shuffled.seed = 11;
  DataLoader plain(counting(23), shuffled);
  DistributedSampler s(23, 1, 0, {true, 11});
  for (uint64_t e = 0; e < 3; ++e) EXPECT_EQ(s.indices(e), plain.epoch_indices(e));
}

TEST(DistributedSampler, DataLoaderReadsTheSamplersIndices) {
  auto sampler = std::make_shared<DistributedSampler>(13, 3, 1, DistributedSamplerOptions{true, 2});
  DataLoaderOptions opts;
  opts.batch_size = 2;
  opts.sampler = sampler;
  opts.num_workers = 2;
  DataLoader loader(counting(13), opts);
  EXPECT_EQ(loader.len(), 3u);  // 5 indices in batches of 2
  loader.set_epoch(2);
  std::vector<size_t> read;
  for (const Batch& b : loader)
    for (int64_t v : to_vector<int64_t>(b.target)) read.push_back(static_cast<size_t>(v));
  EXPECT_EQ(read, sampler->indices(2));
  EXPECT_EQ(loader.epoch_indices(2), sampler->indices(2));
}

TEST(DistributedSampler, BadArguments) {
  EXPECT_THROW(DistributedSampler(10, 0, 0), ValueError);
  try {
    DistributedSampler(10, 2, 2);
    ADD_FAILURE() << "no error";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("invalid rank 2"), std::string::npos) << e.what();
  }
  DataLoaderOptions opts;
  opts.shuffle = true;
  opts.sampler = std::make_shared<DistributedSampler>(4, 1, 0);
  try {
    DataLoader loader(counting(4), opts);
    ADD_FAILURE() << "no error";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("mutually exclusive with shuffle"), std::string::npos) << e.what();
  }
  // A sampler made for a larger dataset than the loader's.
  DataLoaderOptions big;
  big.sampler = std::make_shared<DistributedSampler>(8, 1, 0, DistributedSamplerOptions{false});
  DataLoader loader(counting(4), big);
  EXPECT_THROW(loader.epoch_indices(0), IndexError);
}

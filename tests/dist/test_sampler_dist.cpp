// DistributedSampler across real ranks: each rank builds its sampler from its own rank, and the shares gathered
// from every rank are disjoint (but for the padding), cover the dataset and have equal sizes; a DataLoader over
// the sampler reads exactly the rank's share.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <sstream>

#include "seek/data/dataloader.h"
#include "seek/data/sampler.h"
#include "seek/dist/process_group.h"
#include "seek/ops/creation.h"

using namespace seek;

namespace {

std::vector<std::vector<size_t>> gather_shares(const std::vector<size_t>& mine) {
  std::ostringstream os;
  for (size_t i : mine) os << i << ' ';
  std::vector<std::vector<size_t>> shares;
  for (const auto& bytes : dist::all_gather_bytes(os.str())) {
    std::istringstream is(bytes);
    shares.emplace_back();
    for (size_t i; is >> i;) shares.back().push_back(i);
  }
  return shares;
}

}  // namespace

TEST(DistSampler, RanksShareTheDatasetEachEpoch) {
  const int R = dist::get_world_size(), r = dist::get_rank();
  for (size_t n : {0, 1, 9, 10}) {
    for (bool drop_last : {false, true}) {
      data::DistributedSampler sampler(n, R, r, {true, 42, drop_last});
      std::vector<size_t> previous;
      for (uint64_t epoch = 0; epoch < 3; ++epoch) {
        const auto shares = gather_shares(sampler.indices(epoch));
        std::multiset<size_t> all;
        for (const auto& s : shares) {
          EXPECT_EQ(s.size(), sampler.size());
          all.insert(s.begin(), s.end());
        }
        const std::set<size_t> distinct(all.begin(), all.end());
        EXPECT_EQ(all.size(), sampler.total_size());
        if (drop_last) {
          EXPECT_EQ(distinct.size(), all.size()) << "disjoint";
        } else {
          EXPECT_EQ(distinct.size(), n) << "covering";
        }
        for (size_t i : distinct) EXPECT_LT(i, n);
        if (n >= 9 && epoch > 0 && R == 1) EXPECT_NE(shares[0], previous) << "reshuffled each epoch";
        previous = shares[0];
      }
    }
  }
}

TEST(DistSampler, DataLoaderReadsTheRanksShare) {
  const int R = dist::get_world_size(), r = dist::get_rank();
  const int64_t n = 11;
  auto ds = std::make_shared<data::TensorDataset>(arange(n, TensorOptions(kInt64)), arange(n, TensorOptions(kInt64)));
  data::DataLoaderOptions opts;
  opts.batch_size = 2;
  auto sampler = std::make_shared<data::DistributedSampler>(n, R, r, data::DistributedSamplerOptions{true, 3, false});
  opts.sampler = sampler;
  data::DataLoader loader(ds, opts);
  for (uint64_t epoch = 0; epoch < 2; ++epoch) {
    loader.set_epoch(epoch);
    std::vector<size_t> read;
    for (const auto& batch : loader)
      for (int64_t v : to_vector<int64_t>(batch.data)) read.push_back(static_cast<size_t>(v));
    EXPECT_EQ(read, sampler->indices(epoch));
    // Every rank read as many batches: no rank waits for another in DDP's collectives.
    EXPECT_EQ(dist::all_reduce_value(static_cast<double>(loader.len()), dist::ReduceOp::Max),
              static_cast<double>(loader.len()));
  }
}

// DistributedSampler (see seek/data/sampler.h): the epoch's whole order, padded or cut to a multiple of the
// replicas, then every num_replicas-th element from rank.
#include "seek/data/sampler.h"

#include "seek/core/error.h"
#include "seek/core/generator.h"
#include "seek/ops/creation.h"
#include "seek/ops/random.h"

namespace seek::data {

DistributedSampler::DistributedSampler(size_t dataset_size, int num_replicas, int rank,
                                       DistributedSamplerOptions options)
    : dataset_size_(dataset_size), num_replicas_(num_replicas), rank_(rank), options_(options) {
  SEEK_CHECK_VALUE(num_replicas >= 1, "DistributedSampler: num_replicas must be positive, got ", num_replicas);
  SEEK_CHECK_VALUE(rank >= 0 && rank < num_replicas, "DistributedSampler: invalid rank ", rank,
                   ", rank should be in the interval [0, ", num_replicas - 1, "]");
  const auto r = static_cast<size_t>(num_replicas);
  num_samples_ = options.drop_last ? dataset_size / r : (dataset_size + r - 1) / r;
}

std::vector<size_t> DistributedSampler::indices(uint64_t epoch) const {
  const size_t n = dataset_size_, total = total_size();
  std::vector<size_t> order(n);
  if (options_.shuffle && n > 0) {
    Generator gen(options_.seed);
    gen.set_offset(epoch * static_cast<uint64_t>(n));
    const auto perm = to_vector<int64_t>(randperm(static_cast<int64_t>(n), TensorOptions(kInt64), &gen));
    for (size_t i = 0; i < n; ++i) order[i] = static_cast<size_t>(perm[i]);
  } else {
    for (size_t i = 0; i < n; ++i) order[i] = i;
  }
  // Padding repeats the order from its start (more than once when n < num_replicas), as torch does.
  for (size_t i = 0; n > 0 && order.size() < total; ++i) order.push_back(order[i % n]);
  order.resize(total);
  std::vector<size_t> mine;
  mine.reserve(num_samples_);
  for (size_t i = static_cast<size_t>(rank_); i < total; i += static_cast<size_t>(num_replicas_))
    mine.push_back(order[i]);
  return mine;
}

}  // namespace seek::data

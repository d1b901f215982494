#pragma once
// Samplers for the DataLoader: which dataset indices an epoch visits, in which order (torch.utils.data's
// Sampler, made epoch-explicit: the loader passes its epoch, so a loader resumed at {epoch, batch} reads the same
// indices). Without a sampler the DataLoader visits every index, shuffled or not (DataLoaderOptions).
// DistributedSampler: each of num_replicas processes reads its own equal share of the dataset (data parallel).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace seek::data {

class Sampler {
 public:
  virtual ~Sampler() = default;
  // The indices epoch `epoch` visits, in order; each is < the dataset size the sampler was made for.
  virtual std::vector<size_t> indices(uint64_t epoch) const = 0;
  // indices(e).size() for every epoch.
  virtual size_t size() const = 0;
};
using SamplerPtr = std::shared_ptr<const Sampler>;

struct DistributedSamplerOptions {
  bool shuffle = true;
  uint64_t seed = 0;  // the same on every rank
  // false: pad with indices from the start of the (shuffled) order so that every rank gets ceil(n / replicas);
  // true: leave out the tail so that every rank gets floor(n / replicas).
  bool drop_last = false;
};

// torch.utils.data.distributed.DistributedSampler. The epoch's order is the whole dataset's: with shuffle,
// randperm(n) from Generator(seed) at offset epoch * n (the DataLoader's own shuffle, so with one replica the two
// agree), else 0..n-1; padded or cut to a multiple of num_replicas as above; rank r takes elements r, r + R,
// r + 2R, ... of it. So the ranks' shares are disjoint (but for the padding), cover the dataset, have equal sizes,
// and change with the epoch. The permutation is seek's generator's, not torch's: the same seed gives a different
// order than torch (the partition rule is torch's).
class DistributedSampler final : public Sampler {
 public:
  DistributedSampler(size_t dataset_size, int num_replicas, int rank, DistributedSamplerOptions options = {});
  std::vector<size_t> indices(uint64_t epoch) const override;
  size_t size() const override { return num_samples_; }

  // torch's interface for standalone use: set_epoch(e), then indices() gives indices(e). A DataLoader passes
  // its own epoch instead (DataLoader::set_epoch).
  void set_epoch(uint64_t epoch) { epoch_ = epoch; }
  uint64_t epoch() const { return epoch_; }
  std::vector<size_t> indices() const { return indices(epoch_); }

  size_t total_size() const { return num_samples_ * static_cast<size_t>(num_replicas_); }
  int num_replicas() const { return num_replicas_; }
  int rank() const { return rank_; }
  const DistributedSamplerOptions& options() const { return options_; }

 private:
  size_t dataset_size_;
  int num_replicas_, rank_;
  DistributedSamplerOptions options_;
  size_t num_samples_;
  uint64_t epoch_ = 0;
};

}  // namespace seek::data

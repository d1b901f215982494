#pragma once
// DataLoader: batches of a map-style Dataset, optionally shuffled and produced
// by worker threads (torch.utils.data.DataLoader, with threads for processes).
//
// ORDER. With a sampler (DataLoaderOptions::sampler), epoch e visits sampler->indices(e). Otherwise
// epoch e visits the dataset in the order perm_e: the identity without
// shuffle, else randperm(n) drawn from Generator(seed) at offset e * n (randperm
// of n takes n blocks, so every epoch reads its own part of one Philox stream:
// epochs differ, and a given (seed, epoch) always gives the same order). Batch
// b holds perm_e[b * batch_size .. min((b + 1) * batch_size, n)); with drop_last
// a last, short batch is left out.
//
// WORKERS. With num_workers = 0 the iterating thread builds each batch when it
// gets there. With k > 0 workers, k threads build batches (each batch by one
// thread) at most k * prefetch_factor batches ahead of the consumer; the
// iterator still yields them in batch order, so the batches are the same as
// with 0 workers (as long as the dataset's get() is deterministic). An exception
// thrown while building batch b (by the dataset, a transform or the collate
// function) is re-thrown by the iterator when it reaches batch b.
//
// EPOCH-AWARE DATA. Every example is fetched as dataset->get(index, epoch) with
// the loader's current epoch (see Dataset), and a collate function may take the
// batch's {epoch, batch} too (IndexedCollateFn), so seeded random work in the
// dataset (MapDataset with a seed) or in the collate step (mix.h's
// collate_with_transform) gives the same batches for any num_workers and after
// a resume.
//
// POSITION. The loader remembers {epoch, next_batch}. begin() starts at
// next_batch; each batch the iterator fetches sets next_batch to its index + 1
// (so state() taken in the body of a range-for over the loader, after receiving
// batch b, resumes at b + 1; a state with next_batch == len() yields no batch).
// When an iterator steps past the last batch, next_batch goes back to 0; the
// epoch changes only by set_epoch() or load_state(). One iteration at a time per
// loader, and the loader must outlive its iterators; an iterator left before the
// end stops its workers when destroyed.
#include <cstdint>
#include <iterator>
#include <functional>
#include <memory>
#include <vector>

#include "seek/data/dataset.h"
#include "seek/data/sampler.h"

namespace seek::data {

// A batch: data [B, ...] and target [B, ...] (default collate).
using Batch = Example;
using CollateFn = std::function<Batch(const std::vector<Example>&)>;

// Where a batch is in the run: epoch and batch index within the epoch.
struct BatchInfo {
  uint64_t epoch = 0;
  size_t batch = 0;
};
using IndexedCollateFn = std::function<Batch(const std::vector<Example>&, const BatchInfo&)>;

// stack() of the data and of the targets along a new first dimension.
Batch default_collate(const std::vector<Example>& examples);

struct DataLoaderOptions {
  size_t batch_size = 1;
  bool shuffle = false;
  uint64_t seed = 0;
  bool drop_last = false;
  size_t num_workers = 0;      // threads building batches; 0: the iterating thread
  size_t prefetch_factor = 2;  // batches each worker may run ahead (>= 1)
  // Batches in pinned host memory (Tensor::pin_memory, by the thread that builds
  // them), so that .to(kCUDA, false, true) copies them without waiting. Without a
  // visible GPU the option is ignored with a warning, as in torch.
  bool pin_memory = false;
  // The indices each epoch visits (sampler->indices(epoch), e.g. a DistributedSampler's share) instead of the
  // whole dataset; then shuffle must be false (the sampler orders them), as in torch.
  SamplerPtr sampler = nullptr;
};

struct DataLoaderState {
  uint64_t epoch = 0;
  size_t next_batch = 0;
  bool operator==(const DataLoaderState& o) const { return epoch == o.epoch && next_batch == o.next_batch; }
};

class DataLoader {
  struct Run;

 public:
  DataLoader(DatasetPtr dataset, DataLoaderOptions options = {}, CollateFn collate = default_collate);
  // A collate function that also gets the batch's {epoch, batch index}.
  DataLoader(DatasetPtr dataset, DataLoaderOptions options, IndexedCollateFn collate);
  ~DataLoader();
  DataLoader(const DataLoader&) = delete;
  DataLoader& operator=(const DataLoader&) = delete;

  class Iterator {
   public:
    using value_type = Batch;
    using difference_type = std::ptrdiff_t;
    using reference = const Batch&;
    using pointer = const Batch*;
    using iterator_category = std::input_iterator_tag;

    Iterator() = default;
    const Batch& operator*() const { return current_; }
    const Batch* operator->() const { return &current_; }
    Iterator& operator++();
    bool operator==(const Iterator& o) const { return batch_ == o.batch_; }
    bool operator!=(const Iterator& o) const { return !(*this == o); }

   private:
    friend class DataLoader;
    Iterator(DataLoader* loader, std::shared_ptr<Run> run, size_t batch);
    void fetch();
    DataLoader* loader_ = nullptr;
    std::shared_ptr<Run> run_;
    size_t batch_ = 0;
    Batch current_;
  };

  Iterator begin();
  Iterator end();

  size_t len() const;  // number of batches per epoch
  size_t size() const { return len(); }
  const DataLoaderOptions& options() const { return options_; }

  void set_epoch(uint64_t epoch);  // also restarts at batch 0
  uint64_t epoch() const { return state_.epoch; }
  DataLoaderState state() const { return state_; }
  // Resume at {epoch, next_batch}; next_batch <= len() (len(): the epoch is done).
  void load_state(const DataLoaderState& state);

  // The dataset indices of epoch `epoch`, in visiting order.
  std::vector<size_t> epoch_indices(uint64_t epoch) const;

 private:
  DatasetPtr dataset_;
  DataLoaderOptions options_;
  IndexedCollateFn collate_;
  DataLoaderState state_;
};

}  // namespace seek::data

#pragma once
// Map-style datasets (torch.utils.data.Dataset): an indexable collection of
// examples {data, target}, plus TensorDataset, Subset, MapDataset and the
// random / stratified splits.
#include <cstdint>
#include <functional>
#include <memory>
#include <type_traits>
#include <vector>

#include "seek/core/generator.h"
#include "seek/core/tensor.h"

namespace seek::data {

struct Example {
  Tensor data;
  Tensor target;
};

// get() must be safe to call from several threads at once (DataLoader workers).
//
// EPOCHS. get(index, epoch) is what the DataLoader calls, with its current
// epoch; it lets a dataset whose examples are random (seeded augmentation, see
// MapDataset) make example `index` of epoch `epoch` a pure function of the two.
// It calls the protected get_for_epoch(), which by default ignores the epoch
// and returns get(index). Wrappers (Subset, MapDataset) forward the epoch.
// (A derived class that declares get(size_t) hides this overload for calls on
// the derived type itself; `using Dataset::get;` brings it back.)
class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual size_t size() const = 0;
  // Throws IndexError when index >= size().
  virtual Example get(size_t index) const = 0;
  Example get(size_t index, uint64_t epoch) const { return get_for_epoch(index, epoch); }

 protected:
  virtual Example get_for_epoch(size_t index, uint64_t /*epoch*/) const { return get(index); }
};

using DatasetPtr = std::shared_ptr<const Dataset>;

// Example i is {data[i], targets[i]} (first dimension indexed); both tensors
// need the same first-dimension size.
class TensorDataset : public Dataset {
 public:
  TensorDataset(Tensor data, Tensor targets);
  size_t size() const override;
  using Dataset::get;
  Example get(size_t index) const override;

 private:
  Tensor data_, targets_;
};

// The examples dataset[indices[i]]; every index must be < dataset->size().
class Subset : public Dataset {
 public:
  Subset(DatasetPtr dataset, std::vector<size_t> indices);
  size_t size() const override { return indices_.size(); }
  using Dataset::get;
  Example get(size_t index) const override;
  const std::vector<size_t>& indices() const { return indices_; }
  const DatasetPtr& dataset() const { return dataset_; }

 protected:
  Example get_for_epoch(size_t index, uint64_t epoch) const override;

 private:
  DatasetPtr dataset_;
  std::vector<size_t> indices_;
};

// Applies `transform` to the data of every example (the target is unchanged).
// The transform gets a Generator*. Two modes:
//
// SHARED GENERATOR: MapDataset(dataset, transform, generator) hands `generator`
// (nullptr: the default generator) to every call, so the draws depend on the
// order of the get() calls: reproducible with 0 DataLoader workers only, and not
// restorable mid-epoch.
//
// SEEDED: MapDataset(dataset, transform, seed) gives every call its own
// Generator(seed) positioned at block offset ((epoch * size() + index) << 20)
// (modulo 2^64), so the data of example `index` in epoch `epoch` depends only on
// (seed, epoch, index): the same for any number of workers and after resuming at
// any batch, and different from epoch to epoch. get(index) is get(index, 0). A
// transform may use at most 2^20 blocks per example (checked after it returns:
// seek::Error otherwise, since it would overlap the next example's stream).
using Transform = std::function<Tensor(const Tensor&, Generator*)>;
class MapDataset : public Dataset {
 public:
  static constexpr int kBlocksPerExampleLog2 = 20;

  MapDataset(DatasetPtr dataset, Transform transform, Generator* generator = nullptr);
  // Seeded mode (any integer seed; a template so that a literal 0 means seed 0,
  // not a null Generator*).
  template <typename I, std::enable_if_t<std::is_integral_v<I>, int> = 0>
  MapDataset(DatasetPtr dataset, Transform transform, I seed)
      : MapDataset(std::move(dataset), std::move(transform), nullptr) {
    seeded_ = true;
    seed_ = static_cast<uint64_t>(seed);
  }
  size_t size() const override { return dataset_->size(); }
  using Dataset::get;
  Example get(size_t index) const override;
  bool seeded() const { return seeded_; }

 protected:
  Example get_for_epoch(size_t index, uint64_t epoch) const override;

 private:
  DatasetPtr dataset_;
  Transform transform_;
  Generator* generator_;
  bool seeded_ = false;
  uint64_t seed_ = 0;
};

// Splits a random permutation of 0 .. size-1 (randperm with Generator(seed))
// into consecutive parts of the given lengths, which must sum to size().
std::vector<std::shared_ptr<Subset>> random_split(DatasetPtr dataset, const std::vector<size_t>& lengths,
                                                  uint64_t seed);
// Fractions (each in [0, 1], summing to 1 within 1e-6): part i gets
// floor(f_i * n) examples, then the remaining n - sum examples go one each to
// parts 0, 1, ... in order (as torch.utils.data.random_split does).
std::vector<std::shared_ptr<Subset>> random_split(DatasetPtr dataset, const std::vector<double>& fractions,
                                                  uint64_t seed);

// Splits so that each part keeps the class proportions of the whole dataset.
// The class of example i is targets(i) = get(i).target.item<int64_t>() (a 0-D or
// one-element target). For each class c with n_c examples (in a random order
// drawn from Generator(seed)), part i gets floor(f_i * n_c) of them, and the
// n_c - sum remainder goes one example each to the parts with the largest
// fractional parts f_i * n_c - floor(f_i * n_c) (ties: lower part index first).
// So each part gets its share of every class rounded down or up by at most one.
// (Tiny classes thus favour the early parts on ties: a class of one example
// with fractions {0.5, 0.5} always goes to part 0.)
// Indices in each part are in ascending order of the original index.
std::vector<std::shared_ptr<Subset>> stratified_split(DatasetPtr dataset, const std::vector<double>& fractions,
                                                      uint64_t seed);

}  // namespace seek::data

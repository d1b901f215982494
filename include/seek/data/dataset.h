#pragma once
// Map-style datasets (torch.utils.data.Dataset): an indexable collection of
// examples {data, target}, plus TensorDataset, Subset, MapDataset and the
// random / stratified splits.
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "seek/core/generator.h"
#include "seek/core/tensor.h"

namespace seek::data {

struct Example {
  Tensor data;
  Tensor target;
};

// get() must be safe to call from several threads at once (DataLoader workers).
class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual size_t size() const = 0;
  // Throws IndexError when index >= size().
  virtual Example get(size_t index) const = 0;
};

using DatasetPtr = std::shared_ptr<const Dataset>;

// Example i is {data[i], targets[i]} (first dimension indexed); both tensors
// need the same first-dimension size.
class TensorDataset : public Dataset {
 public:
  TensorDataset(Tensor data, Tensor targets);
  size_t size() const override;
  Example get(size_t index) const override;

 private:
  Tensor data_, targets_;
};

// The examples dataset[indices[i]]; every index must be < dataset->size().
class Subset : public Dataset {
 public:
  Subset(DatasetPtr dataset, std::vector<size_t> indices);
  size_t size() const override { return indices_.size(); }
  Example get(size_t index) const override;
  const std::vector<size_t>& indices() const { return indices_; }
  const DatasetPtr& dataset() const { return dataset_; }

 private:
  DatasetPtr dataset_;
  std::vector<size_t> indices_;
};

// Applies `transform` to the data of every example (the target is unchanged).
// The transform gets a Generator* (nullptr: the default generator).
using Transform = std::function<Tensor(const Tensor&, Generator*)>;
class MapDataset : public Dataset {
 public:
  MapDataset(DatasetPtr dataset, Transform transform, Generator* generator = nullptr);
  size_t size() const override { return dataset_->size(); }
  Example get(size_t index) const override;

 private:
  DatasetPtr dataset_;
  Transform transform_;
  Generator* generator_;
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

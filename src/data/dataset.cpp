// TensorDataset, Subset, MapDataset, random_split and stratified_split.
#include "seek/data/dataset.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <string>

#include "seek/core/error.h"
#include "seek/ops/creation.h"
#include "seek/ops/random.h"

namespace seek::data {

TensorDataset::TensorDataset(Tensor data, Tensor targets) : data_(std::move(data)), targets_(std::move(targets)) {
  SEEK_CHECK_SHAPE(data_.defined() && targets_.defined(), "TensorDataset: data and targets must be defined tensors");
  SEEK_CHECK_SHAPE(data_.dim() >= 1 && targets_.dim() >= 1,
                   "TensorDataset: data and targets need at least one dimension, got ", data_.dim(), "-D and ",
                   targets_.dim(), "-D");
  SEEK_CHECK_SHAPE(data_.size(0) == targets_.size(0), "TensorDataset: data has ", data_.size(0),
                   " examples but targets has ", targets_.size(0), " (first dimensions must match)");
}

size_t TensorDataset::size() const { return static_cast<size_t>(data_.size(0)); }

Example TensorDataset::get(size_t index) const {
  SEEK_CHECK_INDEX(index < size(), "TensorDataset: index ", index, " out of range for a dataset of size ", size());
  auto i = static_cast<int64_t>(index);
  return {data_.select(0, i), targets_.select(0, i)};
}

Subset::Subset(DatasetPtr dataset, std::vector<size_t> indices)
    : dataset_(std::move(dataset)), indices_(std::move(indices)) {
  SEEK_CHECK_VALUE(dataset_ != nullptr, "Subset: dataset is null");
  const size_t n = dataset_->size();
  for (size_t k = 0; k < indices_.size(); ++k)
    SEEK_CHECK_INDEX(indices_[k] < n, "Subset: indices[", k, "] = ", indices_[k],
                     " out of range for a dataset of size ", n);
}

Example Subset::get(size_t index) const {
  SEEK_CHECK_INDEX(index < indices_.size(), "Subset: index ", index, " out of range for a subset of size ",
                   indices_.size());
  return dataset_->get(indices_[index]);
}

Example Subset::get_for_epoch(size_t index, uint64_t epoch) const {
  SEEK_CHECK_INDEX(index < indices_.size(), "Subset: index ", index, " out of range for a subset of size ",
                   indices_.size());
  return dataset_->get(indices_[index], epoch);
}

MapDataset::MapDataset(DatasetPtr dataset, Transform transform, Generator* generator)
    : dataset_(std::move(dataset)), transform_(std::move(transform)), generator_(generator) {
  SEEK_CHECK_VALUE(dataset_ != nullptr, "MapDataset: dataset is null");
  SEEK_CHECK_VALUE(static_cast<bool>(transform_), "MapDataset: transform is empty");
}

Example MapDataset::get(size_t index) const {
  if (seeded_) return get_for_epoch(index, 0);
  Example e = dataset_->get(index);
  e.data = transform_(e.data, generator_);
  return e;
}

Example MapDataset::get_for_epoch(size_t index, uint64_t epoch) const {
  Example e = dataset_->get(index, epoch);
  if (!seeded_) {
    e.data = transform_(e.data, generator_);
    return e;
  }
  // A private stream position per (epoch, index); unsigned arithmetic wraps mod 2^64.
  const uint64_t start = (epoch * static_cast<uint64_t>(dataset_->size()) + index) << kBlocksPerExampleLog2;
  Generator gen(seed_);
  gen.set_offset(start);
  e.data = transform_(e.data, &gen);
  const uint64_t used = gen.offset() - start;
  SEEK_CHECK(used <= (uint64_t{1} << kBlocksPerExampleLog2), "MapDataset: the transform drew ", used,
             " random blocks for example ", index, " of epoch ", epoch, ", more than the 2^", kBlocksPerExampleLog2,
             " a seeded MapDataset reserves per example");
  return e;
}

namespace {

std::vector<size_t> permutation(size_t n, uint64_t seed) {
  if (n == 0) return {};
  Generator gen(seed);
  auto perm = to_vector<int64_t>(randperm(static_cast<int64_t>(n), TensorOptions(kInt64), &gen));
  return std::vector<size_t>(perm.begin(), perm.end());
}

void check_fractions(const char* op, const std::vector<double>& fractions) {
  SEEK_CHECK_VALUE(!fractions.empty(), op, ": needs at least one fraction");
  double sum = 0;
  for (size_t i = 0; i < fractions.size(); ++i) {
    SEEK_CHECK_VALUE(fractions[i] >= 0.0 && fractions[i] <= 1.0, op, ": fraction ", i, " = ", fractions[i],
                     " is not in [0, 1]");
    sum += fractions[i];
  }
  SEEK_CHECK_VALUE(std::abs(sum - 1.0) <= 1e-6, op, ": fractions sum to ", sum, ", expected 1");
}

}  // namespace

std::vector<std::shared_ptr<Subset>> random_split(DatasetPtr dataset, const std::vector<size_t>& lengths,
                                                  uint64_t seed) {
  SEEK_CHECK_VALUE(dataset != nullptr, "random_split: dataset is null");
  const size_t n = dataset->size();
  size_t total = std::accumulate(lengths.begin(), lengths.end(), size_t{0});
  SEEK_CHECK_VALUE(total == n, "random_split: lengths sum to ", total, " but the dataset has ", n, " examples");
  auto perm = permutation(n, seed);
  std::vector<std::shared_ptr<Subset>> parts;
  size_t start = 0;
  for (size_t len : lengths) {
    parts.push_back(std::make_shared<Subset>(
        dataset, std::vector<size_t>(perm.begin() + static_cast<std::ptrdiff_t>(start),
                                     perm.begin() + static_cast<std::ptrdiff_t>(start + len))));
    start += len;
  }
  return parts;
}

std::vector<std::shared_ptr<Subset>> random_split(DatasetPtr dataset, const std::vector<double>& fractions,
                                                  uint64_t seed) {
  SEEK_CHECK_VALUE(dataset != nullptr, "random_split: dataset is null");
  check_fractions("random_split", fractions);
  const size_t n = dataset->size();
  std::vector<size_t> lengths(fractions.size());
  size_t assigned = 0;
  for (size_t i = 0; i < fractions.size(); ++i) {
    lengths[i] = static_cast<size_t>(std::floor(fractions[i] * static_cast<double>(n)));
    assigned += lengths[i];
  }
  for (size_t i = 0; assigned < n; i = (i + 1) % lengths.size(), ++assigned) ++lengths[i];
  return random_split(std::move(dataset), lengths, seed);
}

std::vector<std::shared_ptr<Subset>> stratified_split(DatasetPtr dataset, const std::vector<double>& fractions,
                                                      uint64_t seed) {
  SEEK_CHECK_VALUE(dataset != nullptr, "stratified_split: dataset is null");
  check_fractions("stratified_split", fractions);
  const size_t n = dataset->size();
  // Visit the examples in a seeded random order so each class's members are shuffled.
  std::map<int64_t, std::vector<size_t>> by_class;
  for (size_t idx : permutation(n, seed)) {
    Tensor t = dataset->get(idx).target;
    SEEK_CHECK_SHAPE(t.defined() && t.numel() == 1, "stratified_split: example ", idx,
                     " needs a one-element class target, got ", t.defined() ? t.numel() : 0, " elements");
    by_class[t.item<int64_t>()].push_back(idx);
  }
  const size_t parts = fractions.size();
  std::vector<std::vector<size_t>> out(parts);
  for (auto& [cls, members] : by_class) {
    const double nc = static_cast<double>(members.size());
    std::vector<size_t> count(parts);
    std::vector<double> frac(parts);
    size_t assigned = 0;
    for (size_t i = 0; i < parts; ++i) {
      double exact = fractions[i] * nc;
      count[i] = static_cast<size_t>(std::floor(exact));
      frac[i] = exact - std::floor(exact);
      assigned += count[i];
    }
    std::vector<size_t> order(parts);
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return frac[a] > frac[b]; });
    for (size_t k = 0; assigned < members.size(); k = (k + 1) % parts, ++assigned) ++count[order[k]];
    size_t start = 0;
    for (size_t i = 0; i < parts; ++i) {
      out[i].insert(out[i].end(), members.begin() + static_cast<std::ptrdiff_t>(start),
                    members.begin() + static_cast<std::ptrdiff_t>(start + count[i]));
      start += count[i];
    }
  }
  std::vector<std::shared_ptr<Subset>> result;
  for (auto& idx : out) {
    std::sort(idx.begin(), idx.end());
    result.push_back(std::make_shared<Subset>(dataset, std::move(idx)));
  }
  return result;
}

}  // namespace seek::data

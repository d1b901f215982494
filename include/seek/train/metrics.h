#pragma once
// Classification metrics that accumulate over batches, like torchmetrics:
// update(output, target) per batch, compute() for the value so far, reset() to start over.
//
// output: logits (or probabilities) [N, C]. target: class indices (integer, [N]) or soft
// targets (floating, [N, C], e.g. from MixUp/CutMix), which count by their argmax.
// Accuracy values are fractions in [0, 1]. The sums (correct rows, loss * rows) are kept as
// float64 tensors on the batches' device, so update() makes no host synchronisation;
// compute() and state() read them back (see host_read.h). Row counts are kept on the host.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "seek/core/tensor.h"
#include "seek/train/host_read.h"

namespace seek::train {

// (output, target) -> a 0-dim loss (mean over the batch).
using LossFn = std::function<Tensor(const Tensor& output, const Tensor& target)>;

class Metric {
 public:
  virtual ~Metric() = default;
  virtual std::string name() const = 0;
  virtual void update(const Tensor& output, const Tensor& target) = 0;
  // The value over every update since the last reset(); ValueError before any update.
  virtual double compute() const = 0;
  virtual void reset() = 0;
  // The accumulated numbers, for checkpoints (resuming mid-epoch).
  virtual std::vector<double> state() const = 0;
  virtual void load_state(const std::vector<double>& state) = 0;
};

// Fraction of rows whose largest output is at the target class.
class Accuracy : public Metric {
 public:
  std::string name() const override { return "accuracy"; }
  void update(const Tensor& output, const Tensor& target) override;
  double compute() const override;
  void reset() override {
    correct_.set(0);
    total_ = 0;
  }
  std::vector<double> state() const override { return {correct_.value(), total_}; }
  void load_state(const std::vector<double>& state) override;

 private:
  detail::DeviceSum correct_;
  double total_ = 0;
};

// Fraction of rows whose target class is among the k largest outputs; name "top<k>_accuracy".
class TopKAccuracy : public Metric {
 public:
  explicit TopKAccuracy(int64_t k);
  std::string name() const override { return "top" + std::to_string(k_) + "_accuracy"; }
  void update(const Tensor& output, const Tensor& target) override;
  double compute() const override;
  void reset() override {
    correct_.set(0);
    total_ = 0;
  }
  std::vector<double> state() const override { return {correct_.value(), total_}; }
  void load_state(const std::vector<double>& state) override;
  int64_t k() const { return k_; }

 private:
  int64_t k_;
  detail::DeviceSum correct_;
  double total_ = 0;
};

// Mean loss per example: every update adds loss_fn(output, target) * N (N = output.size(0)).
// add(value, count) adds an already computed mean loss over `count` examples.
class LossMetric : public Metric {
 public:
  explicit LossMetric(LossFn loss_fn = nullptr);  // nullptr: cross_entropy
  std::string name() const override { return "loss"; }
  void update(const Tensor& output, const Tensor& target) override;
  void add(double value, double count);
  // The same with the mean loss as a one-element tensor, added on its device (no read-back).
  void add(const Tensor& value, double count);
  double compute() const override;
  void reset() override {
    sum_.set(0);
    count_ = 0;
  }
  std::vector<double> state() const override { return {sum_.value(), count_}; }
  void load_state(const std::vector<double>& state) override;

 private:
  LossFn loss_fn_;
  detail::DeviceSum sum_;  // of value * count
  double count_ = 0;
};

// "accuracy" or "top<k>_accuracy" (k >= 1); "loss" with the given loss function.
// Throws ValueError naming the unknown name and the accepted ones.
std::unique_ptr<Metric> make_metric(const std::string& name, LossFn loss_fn = nullptr);

}  // namespace seek::train

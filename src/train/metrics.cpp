#include "seek/train/metrics.h"

#include <string>

#include "seek/autograd/grad_mode.h"
#include "seek/core/error.h"
#include "seek/nn/loss.h"
#include "seek/core/shape_util.h"

namespace seek::train {
namespace {

// Checks output [N, C] and target [N] (indices) or [N, C] (soft); returns class indices [N].
Tensor target_classes(const char* metric, const Tensor& output, const Tensor& target) {
  SEEK_CHECK_SHAPE(output.dim() == 2, metric, ": expected output of shape [N, C], got ", shape_str(output.sizes()));
  if (target.is_floating_point()) {
    SEEK_CHECK_SHAPE(target.sizes() == output.sizes(), metric, ": soft targets must have the output's shape ",
                     shape_str(output.sizes()), ", got ", shape_str(target.sizes()));
    return target.argmax(1);
  }
  SEEK_CHECK_SHAPE(target.dim() == 1 && target.size(0) == output.size(0), metric,
                   ": class-index targets must have shape [", output.size(0), "], got ", shape_str(target.sizes()));
  return target.to(kInt64);
}

// The number of true elements, as a float64 0-dim tensor on the mask's device.
Tensor count_true(const Tensor& mask) { return mask.to(kFloat64).sum(); }

void load_pair(const char* metric, const std::vector<double>& state, detail::DeviceSum& a, double& b) {
  SEEK_CHECK_VALUE(state.size() == 2, metric, ": load_state expects 2 numbers, got ", state.size());
  a.set(state[0]);
  b = state[1];
}

}  // namespace

void Accuracy::update(const Tensor& output, const Tensor& target) {
  NoGradGuard no_grad;
  Tensor classes = target_classes("Accuracy", output, target);
  correct_.add(count_true(output.argmax(1).eq(classes)));
  total_ += static_cast<double>(output.size(0));
}

double Accuracy::compute() const {
  SEEK_CHECK_VALUE(total_ > 0, "Accuracy: compute() called before any update()");
  return correct_.value() / total_;
}

void Accuracy::load_state(const std::vector<double>& state) { load_pair("Accuracy", state, correct_, total_); }

TopKAccuracy::TopKAccuracy(int64_t k) : k_(k) { SEEK_CHECK_VALUE(k >= 1, "TopKAccuracy: k must be >= 1, got ", k); }

void TopKAccuracy::update(const Tensor& output, const Tensor& target) {
  NoGradGuard no_grad;
  Tensor classes = target_classes("TopKAccuracy", output, target);
  SEEK_CHECK_VALUE(k_ <= output.size(1), "TopKAccuracy: k = ", k_, " exceeds the number of classes ", output.size(1));
  Tensor top = std::get<1>(output.topk(k_, 1));                 // [N, k]
  Tensor hit = top.eq(classes.unsqueeze(1)).to(kInt64).sum(1);  // [N], 0 or 1
  correct_.add(count_true(hit.gt(0)));
  total_ += static_cast<double>(output.size(0));
}

double TopKAccuracy::compute() const {
  SEEK_CHECK_VALUE(total_ > 0, "TopKAccuracy: compute() called before any update()");
  return correct_.value() / total_;
}

void TopKAccuracy::load_state(const std::vector<double>& state) { load_pair("TopKAccuracy", state, correct_, total_); }

LossMetric::LossMetric(LossFn loss_fn) : loss_fn_(std::move(loss_fn)) {
  if (!loss_fn_) loss_fn_ = [](const Tensor& o, const Tensor& t) { return nn::functional::cross_entropy(o, t); };
}

void LossMetric::update(const Tensor& output, const Tensor& target) {
  NoGradGuard no_grad;
  SEEK_CHECK_SHAPE(output.dim() >= 1, "LossMetric: output must have a batch dimension, got a 0-dim tensor");
  add(loss_fn_(output, target), static_cast<double>(output.size(0)));
}

void LossMetric::add(double value, double count) {
  SEEK_CHECK_VALUE(count > 0, "LossMetric: add() needs count > 0, got ", count);
  sum_.add(value * count);
  count_ += count;
}

void LossMetric::add(const Tensor& value, double count) {
  SEEK_CHECK_VALUE(count > 0, "LossMetric: add() needs count > 0, got ", count);
  SEEK_CHECK_SHAPE(value.numel() == 1, "LossMetric: add() needs a one-element loss, got shape ",
                   shape_str(value.sizes()));
  NoGradGuard no_grad;
  sum_.add(value.detach().to(kFloat64).mul(count));  // value * count in float64, as add(double, double)
  count_ += count;
}

double LossMetric::compute() const {
  SEEK_CHECK_VALUE(count_ > 0, "LossMetric: compute() called before any update()");
  return sum_.value() / count_;
}

void LossMetric::load_state(const std::vector<double>& state) { load_pair("LossMetric", state, sum_, count_); }

std::unique_ptr<Metric> make_metric(const std::string& name, LossFn loss_fn) {
  if (name == "loss") return std::make_unique<LossMetric>(std::move(loss_fn));
  if (name == "accuracy") return std::make_unique<Accuracy>();
  const std::string prefix = "top", suffix = "_accuracy";
  if (name.size() > prefix.size() + suffix.size() && name.compare(0, prefix.size(), prefix) == 0 &&
      name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
    const std::string digits = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
    bool all_digits = !digits.empty() && digits.size() <= 6;
    for (char c : digits) all_digits = all_digits && c >= '0' && c <= '9';
    if (all_digits && std::stoll(digits) >= 1) return std::make_unique<TopKAccuracy>(std::stoll(digits));
  }
  SEEK_CHECK_VALUE(false, "make_metric: unknown metric '", name,
                   "' (expected loss, accuracy or top<k>_accuracy with k >= 1, e.g. top5_accuracy)");
  return nullptr;
}

}  // namespace seek::train

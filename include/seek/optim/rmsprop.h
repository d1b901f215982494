#pragma once
// RMSprop, exactly torch.optim.RMSprop:
//   g = grad (-grad when maximize) + weight_decay * p
//   v = alpha * v + (1 - alpha) * g * g
//   centered: ga = alpha * ga + (1 - alpha) * g;  avg = sqrt(v - ga * ga) + eps
//   else avg = sqrt(v) + eps
//   momentum > 0: buf = momentum * buf + g / avg;  p -= lr * buf
//   else p -= lr * g / avg
#include "seek/optim/optimizer.h"

namespace seek::optim {

struct RMSpropOptions : OptimizerOptions {
  double alpha = 0.99;
  double eps = 1e-8;
  double weight_decay = 0.0;
  double momentum = 0.0;
  bool centered = false;
  bool maximize = false;  // ascend: follow -grad

  explicit RMSpropOptions(double lr_ = 1e-2) : OptimizerOptions(lr_) {}
  RMSpropOptions& lr_(double v) {
    lr = v;
    return *this;
  }
  RMSpropOptions& alpha_(double v) {
    alpha = v;
    return *this;
  }
  RMSpropOptions& eps_(double v) {
    eps = v;
    return *this;
  }
  RMSpropOptions& weight_decay_(double v) {
    weight_decay = v;
    return *this;
  }
  RMSpropOptions& momentum_(double v) {
    momentum = v;
    return *this;
  }
  RMSpropOptions& centered_(bool v) {
    centered = v;
    return *this;
  }
  RMSpropOptions& maximize_(bool v) {
    maximize = v;
    return *this;
  }

  std::unique_ptr<OptimizerOptions> clone() const override { return std::make_unique<RMSpropOptions>(*this); }
  const OptionTable& table() const override;
};

class RMSprop : public Optimizer {
 public:
  RMSprop(std::vector<ParamGroup> groups, const RMSpropOptions& defaults);
  RMSprop(std::vector<Tensor> params, const RMSpropOptions& defaults);
  void step() override;

 private:
  bool fused_step(size_t group);
};

}  // namespace seek::optim

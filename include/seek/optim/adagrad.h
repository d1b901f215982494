#pragma once
// Adagrad, exactly torch.optim.Adagrad (single-tensor path):
//   g = grad (-grad when maximize) + weight_decay * p
//   clr = lr / (1 + (t - 1) * lr_decay)
//   sum += g * g   (sum starts at initial_accumulator_value)
//   p -= clr * g / (sqrt(sum) + eps)
#include "seek/optim/optimizer.h"

namespace seek::optim {

struct AdagradOptions : OptimizerOptions {
  double lr_decay = 0.0;
  double weight_decay = 0.0;
  double initial_accumulator_value = 0.0;
  double eps = 1e-10;
  bool maximize = false;

  explicit AdagradOptions(double lr_ = 1e-2) : OptimizerOptions(lr_) {}
  std::unique_ptr<OptimizerOptions> clone() const override { return std::make_unique<AdagradOptions>(*this); }
  const OptionTable& table() const override;
};

class Adagrad : public Optimizer {
 public:
  Adagrad(std::vector<ParamGroup> groups, const AdagradOptions& defaults);
  Adagrad(std::vector<Tensor> params, const AdagradOptions& defaults);
  void step() override;
};

}  // namespace seek::optim

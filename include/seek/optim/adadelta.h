#pragma once
// Adadelta, exactly torch.optim.Adadelta:
//   g = grad (-grad when maximize) + weight_decay * p
//   v = rho * v + (1 - rho) * g * g
//   delta = sqrt(u + eps) / sqrt(v + eps) * g
//   u = rho * u + (1 - rho) * delta * delta
//   p -= lr * delta
#include "seek/optim/optimizer.h"

namespace seek::optim {

struct AdadeltaOptions : OptimizerOptions {
  double rho = 0.9;
  double eps = 1e-6;
  double weight_decay = 0.0;
  bool maximize = false;

  explicit AdadeltaOptions(double lr_ = 1.0) : OptimizerOptions(lr_) {}
  std::unique_ptr<OptimizerOptions> clone() const override { return std::make_unique<AdadeltaOptions>(*this); }
  const OptionTable& table() const override;
};

class Adadelta : public Optimizer {
 public:
  Adadelta(std::vector<ParamGroup> groups, const AdadeltaOptions& defaults);
  Adadelta(std::vector<Tensor> params, const AdadeltaOptions& defaults);
  void step() override;
};

}  // namespace seek::optim

#pragma once
// Stochastic gradient descent with momentum, exactly torch.optim.SGD:
//   g = grad (-grad when maximize) + weight_decay * p
//   buf = g (first step) or momentum * buf + (1 - dampening) * g
//   g = nesterov ? g + momentum * buf : buf      (when momentum != 0)
//   p -= lr * g
#include "seek/optim/optimizer.h"

namespace seek::optim {

struct SGDOptions : OptimizerOptions {
  double momentum = 0.0;
  double dampening = 0.0;
  double weight_decay = 0.0;
  bool nesterov = false;
  bool maximize = false;  // ascend: follow -grad

  explicit SGDOptions(double lr_ = 1e-3) : OptimizerOptions(lr_) {}
  SGDOptions& lr_(double v) {
    lr = v;
    return *this;
  }
  SGDOptions& momentum_(double v) {
    momentum = v;
    return *this;
  }
  SGDOptions& dampening_(double v) {
    dampening = v;
    return *this;
  }
  SGDOptions& weight_decay_(double v) {
    weight_decay = v;
    return *this;
  }
  SGDOptions& nesterov_(bool v) {
    nesterov = v;
    return *this;
  }
  SGDOptions& maximize_(bool v) {
    maximize = v;
    return *this;
  }

  std::unique_ptr<OptimizerOptions> clone() const override { return std::make_unique<SGDOptions>(*this); }
  const OptionTable& table() const override;

 protected:
  void check(const std::string& optimizer) const override;  // nesterov needs momentum > 0, no dampening
};

class SGD : public Optimizer {
 public:
  SGD(std::vector<ParamGroup> groups, const SGDOptions& defaults);
  SGD(std::vector<Tensor> params, const SGDOptions& defaults);
  void step() override;

 private:
  bool fused_step(size_t group);
};

}  // namespace seek::optim

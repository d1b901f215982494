#pragma once
// Adam and AdamW, exactly torch.optim.Adam / AdamW (single-tensor path):
//   g = -grad when maximize, then
//   Adam:  g = grad + weight_decay * p            AdamW: p *= 1 - lr * weight_decay
//   m = beta1 * m + (1 - beta1) * g;  v = beta2 * v + (1 - beta2) * g * g
//   vmax = max(vmax, v) when amsgrad, used in place of v below
//   p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
// capturable (torch's capturable=True): the step count t lives on the parameter's device
// (state buffer "step_t") and the bias corrections are computed there, so the step can be
// captured into a CUDA graph and replayed; without it, capturing step() raises.
#include "seek/optim/optimizer.h"

namespace seek::optim {

struct AdamOptions : OptimizerOptions {
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;
  bool amsgrad = false;
  bool maximize = false;    // ascend: follow -grad
  bool capturable = false;  // step count on the device: the step may be captured in a CUDA graph

  explicit AdamOptions(double lr_ = 1e-3) : OptimizerOptions(lr_) {}
  AdamOptions& lr_(double v) {
    lr = v;
    return *this;
  }
  AdamOptions& betas(double b1, double b2) {
    beta1 = b1;
    beta2 = b2;
    return *this;
  }
  AdamOptions& eps_(double v) {
    eps = v;
    return *this;
  }
  AdamOptions& weight_decay_(double v) {
    weight_decay = v;
    return *this;
  }
  AdamOptions& amsgrad_(bool v) {
    amsgrad = v;
    return *this;
  }
  AdamOptions& maximize_(bool v) {
    maximize = v;
    return *this;
  }
  AdamOptions& capturable_(bool v) {
    capturable = v;
    return *this;
  }

  std::unique_ptr<OptimizerOptions> clone() const override { return std::make_unique<AdamOptions>(*this); }
  const OptionTable& table() const override;
};

// Same fields as AdamOptions; weight_decay defaults to 1e-2 as in torch.optim.AdamW.
struct AdamWOptions : AdamOptions {
  explicit AdamWOptions(double lr_ = 1e-3) : AdamOptions(lr_) { weight_decay = 1e-2; }
  AdamWOptions& lr_(double v) {
    lr = v;
    return *this;
  }
  AdamWOptions& betas(double b1, double b2) {
    beta1 = b1;
    beta2 = b2;
    return *this;
  }
  AdamWOptions& eps_(double v) {
    eps = v;
    return *this;
  }
  AdamWOptions& weight_decay_(double v) {
    weight_decay = v;
    return *this;
  }
  AdamWOptions& amsgrad_(bool v) {
    amsgrad = v;
    return *this;
  }
  AdamWOptions& maximize_(bool v) {
    maximize = v;
    return *this;
  }
  AdamWOptions& capturable_(bool v) {
    capturable = v;
    return *this;
  }
  std::unique_ptr<OptimizerOptions> clone() const override { return std::make_unique<AdamWOptions>(*this); }
};

class Adam : public Optimizer {
 public:
  Adam(std::vector<ParamGroup> groups, const AdamOptions& defaults);
  Adam(std::vector<Tensor> params, const AdamOptions& defaults);
  void step() override;

 protected:
  Adam(std::string name, std::vector<ParamGroup> groups, const AdamOptions& defaults, bool decoupled);

 private:
  bool fused_step(size_t group);
  void capturable_step(size_t group);
  bool decoupled_ = false;  // AdamW: decay the weights directly instead of adding to the gradient
};

class AdamW : public Adam {
 public:
  AdamW(std::vector<ParamGroup> groups, const AdamWOptions& defaults);
  AdamW(std::vector<Tensor> params, const AdamWOptions& defaults);
};

}  // namespace seek::optim

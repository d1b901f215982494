#pragma once
// Adamax, NAdam and RAdam: the Adam variants of torch.optim, exactly (single-tensor path).
//   Adamax: m = b1 * m + (1 - b1) * g;  u = max(b2 * u, |g| + eps);  p -= lr / (1 - b1^t) * m / u
//   NAdam:  mu_t = b1 * (1 - 0.5 * 0.96^(t * momentum_decay)), mu_prod = mu_1 * ... * mu_t;
//           m, v as Adam;  denom = sqrt(v / (1 - b2^t)) + eps;
//           p -= lr * (1 - mu_t) / (1 - mu_prod) * g / denom
//                + lr * mu_{t+1} / (1 - mu_prod * mu_{t+1}) * m / denom
//   RAdam:  m, v as Adam; rho_inf = 2 / (1 - b2) - 1, rho_t = rho_inf - 2 t b2^t / (1 - b2^t);
//           rho_t > 5: p -= lr * m / (1 - b1^t) * rect * sqrt(1 - b2^t) / (sqrt(v) + eps)
//           else       p -= lr * m / (1 - b1^t)
// g is grad (-grad when maximize) + weight_decay * p, or, with decoupled_weight_decay (NAdam,
// RAdam), p *= 1 - lr * weight_decay before the update (as AdamW).
#include "seek/optim/optimizer.h"

namespace seek::optim {

// The options of Adamax, NAdam and RAdam (each reads the fields it has; its table lists them).
struct AdamaxOptions : OptimizerOptions {
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;
  bool maximize = false;

  explicit AdamaxOptions(double lr_ = 2e-3) : OptimizerOptions(lr_) {}
  std::unique_ptr<OptimizerOptions> clone() const override { return std::make_unique<AdamaxOptions>(*this); }
  const OptionTable& table() const override;
};

struct NAdamOptions : AdamaxOptions {
  double momentum_decay = 4e-3;
  bool decoupled_weight_decay = false;

  explicit NAdamOptions(double lr_ = 2e-3) : AdamaxOptions(lr_) {}
  std::unique_ptr<OptimizerOptions> clone() const override { return std::make_unique<NAdamOptions>(*this); }
  const OptionTable& table() const override;
};

struct RAdamOptions : AdamaxOptions {
  bool decoupled_weight_decay = false;

  explicit RAdamOptions(double lr_ = 1e-3) : AdamaxOptions(lr_) {}
  std::unique_ptr<OptimizerOptions> clone() const override { return std::make_unique<RAdamOptions>(*this); }
  const OptionTable& table() const override;
};

class Adamax : public Optimizer {
 public:
  Adamax(std::vector<ParamGroup> groups, const AdamaxOptions& defaults);
  Adamax(std::vector<Tensor> params, const AdamaxOptions& defaults);
  void step() override;
};

class NAdam : public Optimizer {
 public:
  NAdam(std::vector<ParamGroup> groups, const NAdamOptions& defaults);
  NAdam(std::vector<Tensor> params, const NAdamOptions& defaults);
  void step() override;

 private:
  // mu_1 * ... * mu_t for a parameter whose step is t, remembered per parameter and recomputed
  // from the step when it does not follow on (after load_state_dict).
  double mu_product(size_t group, size_t index, int64_t step, double beta1, double momentum_decay);
  std::map<std::pair<size_t, size_t>, std::pair<int64_t, double>> mu_cache_;
};

class RAdam : public Optimizer {
 public:
  RAdam(std::vector<ParamGroup> groups, const RAdamOptions& defaults);
  RAdam(std::vector<Tensor> params, const RAdamOptions& defaults);
  void step() override;
};

}  // namespace seek::optim

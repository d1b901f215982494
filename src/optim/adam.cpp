#include "seek/optim/adam.h"

#include <cmath>

#include "seek/autograd/grad_mode.h"
#include "seek/ops/creation.h"

namespace seek::optim {

std::vector<std::pair<std::string, double>> AdamOptions::to_pairs() const {
  return {{"lr", lr}, {"beta1", beta1}, {"beta2", beta2}, {"eps", eps},
          {"weight_decay", weight_decay}, {"amsgrad", amsgrad ? 1.0 : 0.0}};
}

void AdamOptions::set(const std::string& name, double value) {
  if (name == "lr") lr = value;
  else if (name == "beta1") beta1 = value;
  else if (name == "beta2") beta2 = value;
  else if (name == "eps") eps = value;
  else if (name == "weight_decay") weight_decay = value;
  else if (name == "amsgrad") amsgrad = value != 0.0;
  else detail::unknown_option("Adam", name);
}

void AdamOptions::validate(const std::string& op) const {
  SEEK_CHECK_VALUE(lr >= 0.0, op, ": invalid learning rate ", lr, " (expected >= 0)");
  SEEK_CHECK_VALUE(eps >= 0.0, op, ": invalid epsilon ", eps, " (expected >= 0)");
  SEEK_CHECK_VALUE(beta1 >= 0.0 && beta1 < 1.0, op, ": invalid beta1 ", beta1, " (expected in [0, 1))");
  SEEK_CHECK_VALUE(beta2 >= 0.0 && beta2 < 1.0, op, ": invalid beta2 ", beta2, " (expected in [0, 1))");
  SEEK_CHECK_VALUE(weight_decay >= 0.0, op, ": invalid weight_decay ", weight_decay, " (expected >= 0)");
}

Adam::Adam(std::vector<ParamGroup> groups, const AdamOptions& defaults)
    : Adam("Adam", std::move(groups), defaults, false) {}
Adam::Adam(std::vector<Tensor> params, const AdamOptions& defaults)
    : Adam("Adam", {ParamGroup(std::move(params))}, defaults, false) {}
Adam::Adam(std::string name, std::vector<ParamGroup> groups, const AdamOptions& defaults, bool decoupled)
    : Optimizer(std::move(name), std::move(groups), defaults), decoupled_(decoupled) {}

AdamW::AdamW(std::vector<ParamGroup> groups, const AdamWOptions& defaults)
    : Adam("AdamW", std::move(groups), defaults, true) {}
AdamW::AdamW(std::vector<Tensor> params, const AdamWOptions& defaults)
    : Adam("AdamW", {ParamGroup(std::move(params))}, defaults, true) {}

void Adam::step() {
  NoGradGuard guard;
  for (size_t g = 0; g < param_groups().size(); ++g) {
    const auto& o = options<AdamOptions>(g);
    auto& params = param_groups()[g].params;
    for (size_t i = 0; i < params.size(); ++i) {
      Tensor& p = params[i];
      Tensor d = p.grad();
      if (!d.defined()) continue;
      ParamState& s = state(g, i);
      // Buffers start at zero on first use (also when amsgrad is switched on later).
      auto buffer = [&](const char* key) -> Tensor& {
        auto it = s.buffers.find(key);
        if (it == s.buffers.end()) it = s.buffers.emplace(key, zeros_like(p)).first;
        return it->second;
      };
      s.step += 1;
      if (o.weight_decay != 0.0) {
        if (decoupled_) p.mul_(1.0 - o.lr * o.weight_decay);
        else d = d.add(p, o.weight_decay);
      }
      Tensor& m = buffer("exp_avg");
      Tensor& v = buffer("exp_avg_sq");
      m.mul_(o.beta1).add_(d, 1.0 - o.beta1);
      v.mul_(o.beta2).addcmul_(d, d, 1.0 - o.beta2);
      const double t = static_cast<double>(s.step);
      const double bc1 = 1.0 - std::pow(o.beta1, t);
      const double bc2_sqrt = std::sqrt(1.0 - std::pow(o.beta2, t));
      Tensor denom;
      if (o.amsgrad) {
        Tensor& vmax = buffer("max_exp_avg_sq");
        vmax.copy_(vmax.maximum(v));
        denom = vmax.sqrt().div(bc2_sqrt).add_(o.eps);
      } else {
        denom = v.sqrt().div(bc2_sqrt).add_(o.eps);
      }
      p.addcdiv_(m, denom, -(o.lr / bc1));
    }
  }
}

}  // namespace seek::optim

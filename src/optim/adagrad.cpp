// Adagrad and Adadelta, op by op (see seek/optim/adagrad.h and adadelta.h for the rules).
#include "seek/optim/adagrad.h"

#include <limits>

#include "seek/autograd/grad_mode.h"
#include "seek/ops/creation.h"
#include "seek/optim/adadelta.h"

namespace seek::optim {

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();
}

const OptionTable& AdagradOptions::table() const {
  static const OptionTable t{
      "Adagrad",
      {SEEK_OPTIM_FIELD(AdagradOptions, lr, "learning rate", 0.0, kInf),
       SEEK_OPTIM_FIELD(AdagradOptions, lr_decay, "lr_decay", 0.0, kInf),
       SEEK_OPTIM_FIELD(AdagradOptions, weight_decay, "weight_decay", 0.0, kInf),
       SEEK_OPTIM_FIELD(AdagradOptions, initial_accumulator_value, "initial_accumulator_value", 0.0, kInf),
       SEEK_OPTIM_FIELD(AdagradOptions, eps, "epsilon", 0.0, kInf),
       SEEK_OPTIM_FIELD(AdagradOptions, maximize, "maximize", 0.0, 2.0)}};
  return t;
}

Adagrad::Adagrad(std::vector<ParamGroup> groups, const AdagradOptions& defaults)
    : Optimizer("Adagrad", std::move(groups), defaults) {}
Adagrad::Adagrad(std::vector<Tensor> params, const AdagradOptions& defaults)
    : Optimizer("Adagrad", {ParamGroup(std::move(params))}, defaults) {}

void Adagrad::step() {
  NoGradGuard guard;
  for (size_t g = 0; g < param_groups().size(); ++g) {
    const auto& o = options<AdagradOptions>(g);
    auto& params = param_groups()[g].params;
    for (size_t i = 0; i < params.size(); ++i) {
      Tensor& p = params[i];
      Tensor d = p.grad();
      if (!d.defined()) continue;
      if (o.maximize) d = d.neg();
      ParamState& s = state(g, i);
      auto it = s.buffers.find("sum");
      if (it == s.buffers.end()) it = s.buffers.emplace("sum", full_like(p, o.initial_accumulator_value)).first;
      Tensor& sum = it->second;
      s.step += 1;
      if (o.weight_decay != 0.0) d = d.add(p, o.weight_decay);
      const double clr = o.lr / (1.0 + static_cast<double>(s.step - 1) * o.lr_decay);
      sum.addcmul_(d, d, 1.0);
      p.addcdiv_(d, sum.sqrt().add_(o.eps), -clr);
    }
  }
}

const OptionTable& AdadeltaOptions::table() const {
  static const OptionTable t{"Adadelta",
                             {SEEK_OPTIM_FIELD(AdadeltaOptions, lr, "learning rate", 0.0, kInf),
                              SEEK_OPTIM_FIELD(AdadeltaOptions, rho, "rho value", 0.0, 1.0 + 1e-12),
                              SEEK_OPTIM_FIELD(AdadeltaOptions, eps, "epsilon value", 0.0, kInf),
                              SEEK_OPTIM_FIELD(AdadeltaOptions, weight_decay, "weight_decay value", 0.0, kInf),
                              SEEK_OPTIM_FIELD(AdadeltaOptions, maximize, "maximize", 0.0, 2.0)}};
  return t;
}

Adadelta::Adadelta(std::vector<ParamGroup> groups, const AdadeltaOptions& defaults)
    : Optimizer("Adadelta", std::move(groups), defaults) {}
Adadelta::Adadelta(std::vector<Tensor> params, const AdadeltaOptions& defaults)
    : Optimizer("Adadelta", {ParamGroup(std::move(params))}, defaults) {}

void Adadelta::step() {
  NoGradGuard guard;
  for (size_t g = 0; g < param_groups().size(); ++g) {
    const auto& o = options<AdadeltaOptions>(g);
    auto& params = param_groups()[g].params;
    for (size_t i = 0; i < params.size(); ++i) {
      Tensor& p = params[i];
      Tensor d = p.grad();
      if (!d.defined()) continue;
      if (o.maximize) d = d.neg();
      ParamState& s = state(g, i);
      Tensor& v = s.buffer("square_avg", p);
      Tensor& u = s.buffer("acc_delta", p);
      s.step += 1;
      if (o.weight_decay != 0.0) d = d.add(p, o.weight_decay);
      v.mul_(o.rho).addcmul_(d, d, 1.0 - o.rho);
      Tensor std_ = v.add(o.eps).sqrt_();
      Tensor delta = u.add(o.eps).sqrt_().div_(std_).mul_(d);
      u.mul_(o.rho).addcmul_(delta, delta, 1.0 - o.rho);
      p.add_(delta, -o.lr);
    }
  }
}

}  // namespace seek::optim

// Adamax, NAdam and RAdam, op by op (see seek/optim/adamax.h for the rules).
#include "seek/optim/adamax.h"

#include <cmath>
#include <limits>

#include "seek/autograd/grad_mode.h"
#include "seek/ops/creation.h"

namespace seek::optim {

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();

// The rows every Adam variant has (Python's 'betas' pair is beta1 and beta2, next to each other).
template <typename O>
std::vector<OptionField> adam_rows() {
  return {SEEK_OPTIM_FIELD(O, lr, "learning rate", 0.0, kInf), SEEK_OPTIM_FIELD(O, beta1, "beta1", 0.0, 1.0),
          SEEK_OPTIM_FIELD(O, beta2, "beta2", 0.0, 1.0), SEEK_OPTIM_FIELD(O, eps, "epsilon", 0.0, kInf),
          SEEK_OPTIM_FIELD(O, weight_decay, "weight_decay", 0.0, kInf)};
}

// The gradient as the update reads it: negated for maximize, plus coupled weight decay, or
// (decoupled) with the weights decayed in place first.
Tensor effective_grad(Tensor& p, const AdamaxOptions& o, bool decoupled) {
  Tensor d = p.grad();
  if (o.maximize) d = d.neg();
  if (o.weight_decay != 0.0) {
    if (decoupled)
      p.mul_(1.0 - o.lr * o.weight_decay);
    else
      d = d.add(p, o.weight_decay);
  }
  return d;
}
}  // namespace

const OptionTable& AdamaxOptions::table() const {
  static const OptionTable t = [] {
    OptionTable t{"Adamax", adam_rows<AdamaxOptions>()};
    t.fields.push_back(SEEK_OPTIM_FIELD(AdamaxOptions, maximize, "maximize", 0.0, 2.0));
    return t;
  }();
  return t;
}

const OptionTable& NAdamOptions::table() const {
  static const OptionTable t = [] {
    OptionTable t{"NAdam", adam_rows<NAdamOptions>()};
    t.fields.push_back(SEEK_OPTIM_FIELD(NAdamOptions, momentum_decay, "momentum_decay", 0.0, kInf));
    t.fields.push_back(SEEK_OPTIM_FIELD(NAdamOptions, decoupled_weight_decay, "decoupled_weight_decay", 0.0, 2.0));
    t.fields.push_back(SEEK_OPTIM_FIELD(NAdamOptions, maximize, "maximize", 0.0, 2.0));
    return t;
  }();
  return t;
}

const OptionTable& RAdamOptions::table() const {
  static const OptionTable t = [] {
    OptionTable t{"RAdam", adam_rows<RAdamOptions>()};
    t.fields.push_back(SEEK_OPTIM_FIELD(RAdamOptions, decoupled_weight_decay, "decoupled_weight_decay", 0.0, 2.0));
    t.fields.push_back(SEEK_OPTIM_FIELD(RAdamOptions, maximize, "maximize", 0.0, 2.0));
    return t;
  }();
  return t;
}

Adamax::Adamax(std::vector<ParamGroup> groups, const AdamaxOptions& defaults)
    : Optimizer("Adamax", std::move(groups), defaults) {}
Adamax::Adamax(std::vector<Tensor> params, const AdamaxOptions& defaults)
    : Optimizer("Adamax", {ParamGroup(std::move(params))}, defaults) {}

void Adamax::step() {
  NoGradGuard guard;
  for (size_t g = 0; g < param_groups().size(); ++g) {
    const auto& o = options<AdamaxOptions>(g);
    auto& params = param_groups()[g].params;
    for (size_t i = 0; i < params.size(); ++i) {
      Tensor& p = params[i];
      if (!p.grad().defined()) continue;
      ParamState& s = state(g, i);
      Tensor& m = s.buffer("exp_avg", p);
      Tensor& u = s.buffer("exp_inf", p);
      s.step += 1;
      Tensor d = effective_grad(p, o, false);
      m.mul_(o.beta1).add_(d, 1.0 - o.beta1);
      u.copy_(u.mul(o.beta2).maximum(d.abs().add_(o.eps)));
      const double clr = o.lr / (1.0 - std::pow(o.beta1, static_cast<double>(s.step)));
      p.addcdiv_(m, u, -clr);
    }
  }
}

NAdam::NAdam(std::vector<ParamGroup> groups, const NAdamOptions& defaults)
    : Optimizer("NAdam", std::move(groups), defaults) {}
NAdam::NAdam(std::vector<Tensor> params, const NAdamOptions& defaults)
    : Optimizer("NAdam", {ParamGroup(std::move(params))}, defaults) {}

double NAdam::mu_product(size_t g, size_t i, int64_t step, double beta1, double momentum_decay) {
  auto mu = [&](int64_t t) { return beta1 * (1.0 - 0.5 * std::pow(0.96, static_cast<double>(t) * momentum_decay)); };
  auto [it, fresh] = mu_cache_.try_emplace({g, i}, 0, 1.0);
  auto& [cached_step, product] = it->second;
  if (fresh || cached_step != step - 1) {
    product = 1.0;
    for (int64_t t = 1; t < step; ++t) product *= mu(t);
  }
  product *= mu(step);
  cached_step = step;
  return product;
}

void NAdam::step() {
  NoGradGuard guard;
  for (size_t g = 0; g < param_groups().size(); ++g) {
    const auto& o = options<NAdamOptions>(g);
    auto& params = param_groups()[g].params;
    for (size_t i = 0; i < params.size(); ++i) {
      Tensor& p = params[i];
      if (!p.grad().defined()) continue;
      ParamState& s = state(g, i);
      Tensor& m = s.buffer("exp_avg", p);
      Tensor& v = s.buffer("exp_avg_sq", p);
      s.step += 1;
      const double t = static_cast<double>(s.step);
      Tensor d = effective_grad(p, o, o.decoupled_weight_decay);
      const double bc2 = 1.0 - std::pow(o.beta2, t);
      const double mu = o.beta1 * (1.0 - 0.5 * std::pow(0.96, t * o.momentum_decay));
      const double mu_next = o.beta1 * (1.0 - 0.5 * std::pow(0.96, (t + 1.0) * o.momentum_decay));
      const double prod = mu_product(g, i, s.step, o.beta1, o.momentum_decay);
      const double prod_next = prod * mu_next;
      m.mul_(o.beta1).add_(d, 1.0 - o.beta1);
      v.mul_(o.beta2).addcmul_(d, d, 1.0 - o.beta2);
      Tensor denom = v.div(bc2).sqrt_().add_(o.eps);
      p.addcdiv_(d, denom, -o.lr * (1.0 - mu) / (1.0 - prod));
      p.addcdiv_(m, denom, -o.lr * mu_next / (1.0 - prod_next));
    }
  }
}

RAdam::RAdam(std::vector<ParamGroup> groups, const RAdamOptions& defaults)
    : Optimizer("RAdam", std::move(groups), defaults) {}
RAdam::RAdam(std::vector<Tensor> params, const RAdamOptions& defaults)
    : Optimizer("RAdam", {ParamGroup(std::move(params))}, defaults) {}

void RAdam::step() {
  NoGradGuard guard;
  for (size_t g = 0; g < param_groups().size(); ++g) {
    const auto& o = options<RAdamOptions>(g);
    auto& params = param_groups()[g].params;
    for (size_t i = 0; i < params.size(); ++i) {
      Tensor& p = params[i];
      if (!p.grad().defined()) continue;
      ParamState& s = state(g, i);
      Tensor& m = s.buffer("exp_avg", p);
      Tensor& v = s.buffer("exp_avg_sq", p);
      s.step += 1;
      const double t = static_cast<double>(s.step);
      Tensor d = effective_grad(p, o, o.decoupled_weight_decay);
      m.mul_(o.beta1).add_(d, 1.0 - o.beta1);
      v.mul_(o.beta2).addcmul_(d, d, 1.0 - o.beta2);
      const double bc1 = 1.0 - std::pow(o.beta1, t);
      const double bc2 = 1.0 - std::pow(o.beta2, t);
      const double rho_inf = 2.0 / (1.0 - o.beta2) - 1.0;
      const double rho_t = rho_inf - 2.0 * t * std::pow(o.beta2, t) / bc2;
      Tensor corrected = m.div(bc1);
      if (rho_t > 5.0) {
        const double rect =
            std::sqrt((rho_t - 4.0) * (rho_t - 2.0) * rho_inf / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t));
        Tensor adaptive = v.sqrt().add_(o.eps).reciprocal().mul_(std::sqrt(bc2));
        p.sub_(corrected.mul_(o.lr).mul_(adaptive).mul_(rect));
      } else {
        p.sub_(corrected.mul_(o.lr));
      }
    }
  }
}

}  // namespace seek::optim

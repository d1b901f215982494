#include "seek/optim/adam.h"

#include <cmath>
#include <limits>

#include "seek/autograd/grad_mode.h"
#include "seek/cuda/graph.h"
#include "seek/ops/creation.h"
#include "seek/ops/optim.h"

namespace seek::optim {

// Python's 'betas' pair is beta1 and beta2 here, in that order and next to each other
// (python/src/optim.cpp joins them).
const OptionTable& AdamOptions::table() const {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  static const OptionTable t{
      "Adam",
      {SEEK_OPTIM_FIELD(AdamOptions, lr, "learning rate", 0.0, kInf),
       SEEK_OPTIM_FIELD(AdamOptions, beta1, "beta1", 0.0, 1.0), SEEK_OPTIM_FIELD(AdamOptions, beta2, "beta2", 0.0, 1.0),
       SEEK_OPTIM_FIELD(AdamOptions, eps, "epsilon", 0.0, kInf),
       SEEK_OPTIM_FIELD(AdamOptions, weight_decay, "weight_decay", 0.0, kInf),
       SEEK_OPTIM_FIELD(AdamOptions, amsgrad, "amsgrad", 0.0, 2.0),
       SEEK_OPTIM_FIELD(AdamOptions, maximize, "maximize", 0.0, 2.0),
       SEEK_OPTIM_FIELD(AdamOptions, capturable, "capturable", 0.0, 2.0)}};
  return t;
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

// One fused call for the whole group (seek/ops/optim.h); false: the per-op path runs instead.
// Missing buffers are made (zeros) up front, as the per-op path makes them on first use.
bool Adam::fused_step(size_t g) {
  const auto& o = options<AdamOptions>(g);
  const auto& params = param_groups()[g].params;
  std::vector<size_t> index;
  std::vector<Tensor> ps, grads, m, v, vmax;
  std::vector<int64_t> steps;
  for (size_t i = 0; i < params.size(); ++i) {
    Tensor d = params[i].grad();
    if (!d.defined()) continue;
    ParamState& s = state(g, i);
    auto buffer = [&](const char* key) -> Tensor& { return s.buffer(key, params[i]); };
    index.push_back(i);
    ps.push_back(params[i]);
    grads.push_back(d);
    m.push_back(buffer("exp_avg"));
    v.push_back(buffer("exp_avg_sq"));
    if (o.amsgrad) vmax.push_back(buffer("max_exp_avg_sq"));
    steps.push_back(s.step + 1);
  }
  OptimHyper h;
  h.lr = o.lr;
  h.beta1 = o.beta1;
  h.beta2 = o.beta2;
  h.eps = o.eps;
  h.weight_decay = o.weight_decay;
  h.amsgrad = o.amsgrad;
  h.maximize = o.maximize;
  h.decoupled = decoupled_;
  if (!fused_adam_(ps, grads, m, v, vmax, steps, h)) return false;
  for (size_t i : index) state(g, i).step += 1;
  return true;
}

namespace {

// What both update forms (host step counts, capturable) share: the gradient (negated for maximize), weight
// decay (decoupled: on the parameter; L2: into the gradient), and the moment updates. Returns exp_avg and the
// second moment the denominator uses (exp_avg_sq, or its running maximum under amsgrad).
// (A template: Optimizer::ParamState is protected, its type is deduced at the call.)
template <typename ParamState>
std::pair<Tensor, Tensor> update_moments(Tensor& p, Tensor d, ParamState& s, const AdamOptions& o, bool decoupled) {
  if (o.maximize) d = d.neg();
  if (o.weight_decay != 0.0) {
    if (decoupled)
      p.mul_(1.0 - o.lr * o.weight_decay);
    else
      d = d.add(p, o.weight_decay);
  }
  Tensor& m = s.buffer("exp_avg", p);
  Tensor& v = s.buffer("exp_avg_sq", p);
  m.mul_(o.beta1).add_(d, 1.0 - o.beta1);
  v.mul_(o.beta2).addcmul_(d, d, 1.0 - o.beta2);
  if (!o.amsgrad) return {m, v};
  Tensor& vmax = s.buffer("max_exp_avg_sq", p);
  vmax.copy_(vmax.maximum(v));
  return {m, vmax};
}

}  // namespace

void Adam::step() {
  NoGradGuard guard;
  // Without `capturable` the bias corrections come from host-side step counts, which a CUDA
  // graph would freeze at their captured values: refuse to be captured.
  bool on_cuda = false;
  for (size_t g = 0; g < param_groups().size(); ++g)
    if (!options<AdamOptions>(g).capturable)
      for (const Tensor& p : param_groups()[g].params) on_cuda = on_cuda || p.is_cuda();
  if (on_cuda && cuda::is_current_stream_capturing())
    throw Error(str(name(), ".step: cannot be captured into a CUDA graph: its bias correction uses host-side step ",
                    "counts that a replay would not advance. Construct it with capturable=true (the step count then ",
                    "lives on the device), or run the optimizer step outside the graph"));
  for (size_t g = 0; g < param_groups().size(); ++g) {
    if (options<AdamOptions>(g).capturable) {
      capturable_step(g);
      continue;
    }
    if (fused_ && fused_step(g)) continue;
    const auto& o = options<AdamOptions>(g);
    auto& params = param_groups()[g].params;
    for (size_t i = 0; i < params.size(); ++i) {
      Tensor& p = params[i];
      Tensor d = p.grad();
      if (!d.defined()) continue;
      ParamState& s = state(g, i);
      s.step += 1;
      const auto [m, v_hat] = update_moments(p, d, s, o, decoupled_);
      const double t = static_cast<double>(s.step);
      const double bc1 = 1.0 - std::pow(o.beta1, t);
      const double bc2_sqrt = std::sqrt(1.0 - std::pow(o.beta2, t));
      p.addcdiv_(m, v_hat.sqrt().div(bc2_sqrt).add_(o.eps), -(o.lr / bc1));
    }
  }
}

// capturable: the same update with the step count t in a one-element f32 tensor on the
// parameter's device ("step_t"), and 1 - beta^t computed there, so every operation is device
// work that a CUDA graph records. (The host count s.step still advances, for state_dict.)
// step_t is 0-d, so it broadcasts against parameters of any shape.
void Adam::capturable_step(size_t g) {
  const auto& o = options<AdamOptions>(g);
  auto& params = param_groups()[g].params;
  for (size_t i = 0; i < params.size(); ++i) {
    Tensor& p = params[i];
    Tensor d = p.grad();
    if (!d.defined()) continue;
    ParamState& s = state(g, i);
    auto it = s.buffers.find("step_t");
    if (it == s.buffers.end())
      it =
          s.buffers
              .emplace("step_t", full(Shape{}, static_cast<double>(s.step), TensorOptions(kFloat32).device(p.device())))
              .first;
    Tensor& step_t = it->second;
    s.step += 1;
    step_t.add_(1.0);
    const auto [m, v_hat] = update_moments(p, d, s, o, decoupled_);
    const Tensor bc1 = full_like(step_t, o.beta1).pow(step_t).neg().add(1.0);
    const Tensor bc2_sqrt = full_like(step_t, o.beta2).pow(step_t).neg().add(1.0).sqrt();
    const Tensor denom = v_hat.sqrt().div(bc2_sqrt.to(p.dtype())).add_(o.eps);
    p.sub_(m.div(denom).mul(bc1.reciprocal().mul(o.lr).to(p.dtype())));
  }
}

}  // namespace seek::optim

#include "seek/optim/rmsprop.h"

#include <limits>

#include "seek/autograd/grad_mode.h"
#include "seek/ops/creation.h"
#include "seek/ops/optim.h"

namespace seek::optim {

const OptionTable& RMSpropOptions::table() const {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  static const OptionTable t{"RMSprop",
                             {SEEK_OPTIM_FIELD(RMSpropOptions, lr, "learning rate", 0.0, kInf),
                              SEEK_OPTIM_FIELD(RMSpropOptions, alpha, "alpha", 0.0, kInf),
                              SEEK_OPTIM_FIELD(RMSpropOptions, eps, "epsilon", 0.0, kInf),
                              SEEK_OPTIM_FIELD(RMSpropOptions, weight_decay, "weight_decay", 0.0, kInf),
                              SEEK_OPTIM_FIELD(RMSpropOptions, momentum, "momentum", 0.0, kInf),
                              SEEK_OPTIM_FIELD(RMSpropOptions, centered, "centered", 0.0, 2.0),
                              SEEK_OPTIM_FIELD(RMSpropOptions, maximize, "maximize", 0.0, 2.0)}};
  return t;
}

RMSprop::RMSprop(std::vector<ParamGroup> groups, const RMSpropOptions& defaults)
    : Optimizer("RMSprop", std::move(groups), defaults) {}
RMSprop::RMSprop(std::vector<Tensor> params, const RMSpropOptions& defaults)
    : Optimizer("RMSprop", {ParamGroup(std::move(params))}, defaults) {}

// One fused call for the whole group (seek/ops/optim.h); false: the per-op path runs instead.
// Missing buffers are made (zeros) up front, as the per-op path makes them on first use.
bool RMSprop::fused_step(size_t g) {
  const auto& o = options<RMSpropOptions>(g);
  const auto& params = param_groups()[g].params;
  std::vector<size_t> index;
  std::vector<Tensor> ps, grads, v, ga, buf;
  for (size_t i = 0; i < params.size(); ++i) {
    Tensor d = params[i].grad();
    if (!d.defined()) continue;
    ParamState& s = state(g, i);
    auto buffer = [&](const char* key) -> Tensor& { return s.buffer(key, params[i]); };
    index.push_back(i);
    ps.push_back(params[i]);
    grads.push_back(d);
    v.push_back(buffer("square_avg"));
    if (o.centered) ga.push_back(buffer("grad_avg"));
    if (o.momentum > 0.0) buf.push_back(buffer("momentum_buffer"));
  }
  OptimHyper h;
  h.lr = o.lr;
  h.alpha = o.alpha;
  h.eps = o.eps;
  h.weight_decay = o.weight_decay;
  h.momentum = o.momentum;
  h.centered = o.centered;
  h.maximize = o.maximize;
  if (!fused_rmsprop_(ps, grads, v, ga, buf, h)) return false;
  for (size_t i : index) state(g, i).step += 1;
  return true;
}

void RMSprop::step() {
  NoGradGuard guard;
  for (size_t g = 0; g < param_groups().size(); ++g) {
    if (fused_ && fused_step(g)) continue;
    const auto& o = options<RMSpropOptions>(g);
    auto& params = param_groups()[g].params;
    for (size_t i = 0; i < params.size(); ++i) {
      Tensor& p = params[i];
      Tensor d = p.grad();
      if (!d.defined()) continue;
      if (o.maximize) d = d.neg();
      ParamState& s = state(g, i);
      auto buffer = [&](const char* key) -> Tensor& { return s.buffer(key, p); };
      s.step += 1;
      if (o.weight_decay != 0.0) d = d.add(p, o.weight_decay);
      Tensor& v = buffer("square_avg");
      v.mul_(o.alpha).addcmul_(d, d, 1.0 - o.alpha);
      Tensor avg;
      if (o.centered) {
        Tensor& ga = buffer("grad_avg");
        ga.mul_(o.alpha).add_(d, 1.0 - o.alpha);
        avg = v.addcmul(ga, ga, -1.0).sqrt_().add_(o.eps);
      } else {
        avg = v.sqrt().add_(o.eps);
      }
      if (o.momentum > 0.0) {
        Tensor& buf = buffer("momentum_buffer");
        buf.mul_(o.momentum).addcdiv_(d, avg);
        p.add_(buf, -o.lr);
      } else {
        p.addcdiv_(d, avg, -o.lr);
      }
    }
  }
}

}  // namespace seek::optim

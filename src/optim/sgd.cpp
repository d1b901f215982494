#include "seek/optim/sgd.h"

#include <limits>

#include "seek/autograd/grad_mode.h"
#include "seek/ops/creation.h"
#include "seek/ops/optim.h"

namespace seek::optim {

const OptionTable& SGDOptions::table() const {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  static const OptionTable t{"SGD",
                             {SEEK_OPTIM_FIELD(SGDOptions, lr, "learning rate", 0.0, kInf),
                              SEEK_OPTIM_FIELD(SGDOptions, momentum, "momentum", 0.0, kInf),
                              SEEK_OPTIM_FIELD(SGDOptions, dampening, "dampening", -kInf, kInf),
                              SEEK_OPTIM_FIELD(SGDOptions, weight_decay, "weight_decay", 0.0, kInf),
                              SEEK_OPTIM_FIELD(SGDOptions, nesterov, "nesterov", 0.0, 2.0),
                              SEEK_OPTIM_FIELD(SGDOptions, maximize, "maximize", 0.0, 2.0)}};
  return t;
}

void SGDOptions::check(const std::string& op) const {
  SEEK_CHECK_VALUE(!nesterov || (momentum > 0.0 && dampening == 0.0), op,
                   ": nesterov momentum requires a momentum > 0 and zero dampening (got momentum ", momentum,
                   ", dampening ", dampening, ")");
}

SGD::SGD(std::vector<ParamGroup> groups, const SGDOptions& defaults) : Optimizer("SGD", std::move(groups), defaults) {}
SGD::SGD(std::vector<Tensor> params, const SGDOptions& defaults)
    : Optimizer("SGD", {ParamGroup(std::move(params))}, defaults) {}

// One fused call for the whole group (seek/ops/optim.h); false: the per-op path runs instead.
bool SGD::fused_step(size_t g) {
  const auto& o = options<SGDOptions>(g);
  const auto& params = param_groups()[g].params;
  std::vector<size_t> index;
  std::vector<Tensor> ps, grads, bufs;
  std::vector<uint8_t> fresh;
  for (size_t i = 0; i < params.size(); ++i) {
    Tensor d = params[i].grad();
    if (!d.defined()) continue;
    index.push_back(i);
    ps.push_back(params[i]);
    grads.push_back(d);
    if (o.momentum != 0.0) {
      auto& buffers = state(g, i).buffers;
      auto it = buffers.find("momentum_buffer");
      fresh.push_back(it == buffers.end());
      bufs.push_back(it == buffers.end() ? empty_like(params[i]) : it->second);
    }
  }
  OptimHyper h;
  h.lr = o.lr;
  h.momentum = o.momentum;
  h.dampening = o.dampening;
  h.weight_decay = o.weight_decay;
  h.nesterov = o.nesterov;
  h.maximize = o.maximize;
  if (!fused_sgd_(ps, grads, bufs, fresh, h)) return false;
  for (size_t k = 0; k < index.size(); ++k) {
    ParamState& s = state(g, index[k]);
    s.step += 1;
    if (o.momentum != 0.0 && fresh[k]) s.buffers.emplace("momentum_buffer", bufs[k]);
  }
  return true;
}

void SGD::step() {
  NoGradGuard guard;
  for (size_t g = 0; g < param_groups().size(); ++g) {
    if (fused_ && fused_step(g)) continue;
    const auto& o = options<SGDOptions>(g);
    auto& params = param_groups()[g].params;
    for (size_t i = 0; i < params.size(); ++i) {
      Tensor& p = params[i];
      Tensor d = p.grad();
      if (!d.defined()) continue;
      if (o.maximize) d = d.neg();
      if (o.weight_decay != 0.0) d = d.add(p, o.weight_decay);
      ParamState& s = state(g, i);
      s.step += 1;
      if (o.momentum != 0.0) {
        auto it = s.buffers.find("momentum_buffer");
        if (it == s.buffers.end()) {
          it = s.buffers.emplace("momentum_buffer", d.clone()).first;
        } else {
          it->second.mul_(o.momentum).add_(d, 1.0 - o.dampening);
        }
        d = o.nesterov ? d.add(it->second, o.momentum) : it->second;
      }
      p.add_(d, -o.lr);
    }
  }
}

}  // namespace seek::optim

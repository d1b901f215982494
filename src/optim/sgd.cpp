#include "seek/optim/sgd.h"

#include "seek/autograd/grad_mode.h"

namespace seek::optim {

std::vector<std::pair<std::string, double>> SGDOptions::to_pairs() const {
  return {{"lr", lr}, {"momentum", momentum}, {"dampening", dampening},
          {"weight_decay", weight_decay}, {"nesterov", nesterov ? 1.0 : 0.0}};
}

void SGDOptions::set(const std::string& name, double value) {
  if (name == "lr") lr = value;
  else if (name == "momentum") momentum = value;
  else if (name == "dampening") dampening = value;
  else if (name == "weight_decay") weight_decay = value;
  else if (name == "nesterov") nesterov = value != 0.0;
  else detail::unknown_option("SGD", name);
}

void SGDOptions::validate(const std::string& op) const {
  SEEK_CHECK_VALUE(lr >= 0.0, op, ": invalid learning rate ", lr, " (expected >= 0)");
  SEEK_CHECK_VALUE(momentum >= 0.0, op, ": invalid momentum ", momentum, " (expected >= 0)");
  SEEK_CHECK_VALUE(weight_decay >= 0.0, op, ": invalid weight_decay ", weight_decay, " (expected >= 0)");
  SEEK_CHECK_VALUE(!nesterov || (momentum > 0.0 && dampening == 0.0), op,
                   ": nesterov momentum requires a momentum > 0 and zero dampening (got momentum ", momentum,
                   ", dampening ", dampening, ")");
}

SGD::SGD(std::vector<ParamGroup> groups, const SGDOptions& defaults)
    : Optimizer("SGD", std::move(groups), defaults) {}
SGD::SGD(std::vector<Tensor> params, const SGDOptions& defaults)
    : Optimizer("SGD", {ParamGroup(std::move(params))}, defaults) {}

void SGD::step() {
  NoGradGuard guard;
  for (size_t g = 0; g < param_groups().size(); ++g) {
    const auto& o = options<SGDOptions>(g);
    auto& params = param_groups()[g].params;
    for (size_t i = 0; i < params.size(); ++i) {
      Tensor& p = params[i];
      Tensor d = p.grad();
      if (!d.defined()) continue;
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

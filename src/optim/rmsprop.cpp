#include "seek/optim/rmsprop.h"

#include "seek/autograd/grad_mode.h"
#include "seek/ops/creation.h"

namespace seek::optim {

std::vector<std::pair<std::string, double>> RMSpropOptions::to_pairs() const {
  return {{"lr", lr}, {"alpha", alpha}, {"eps", eps}, {"weight_decay", weight_decay},
          {"momentum", momentum}, {"centered", centered ? 1.0 : 0.0}};
}

void RMSpropOptions::set(const std::string& name, double value) {
  if (name == "lr") lr = value;
  else if (name == "alpha") alpha = value;
  else if (name == "eps") eps = value;
  else if (name == "weight_decay") weight_decay = value;
  else if (name == "momentum") momentum = value;
  else if (name == "centered") centered = value != 0.0;
  else detail::unknown_option("RMSprop", name);
}

void RMSpropOptions::validate(const std::string& op) const {
  SEEK_CHECK_VALUE(lr >= 0.0, op, ": invalid learning rate ", lr, " (expected >= 0)");
  SEEK_CHECK_VALUE(eps >= 0.0, op, ": invalid epsilon ", eps, " (expected >= 0)");
  SEEK_CHECK_VALUE(alpha >= 0.0, op, ": invalid alpha ", alpha, " (expected >= 0)");
  SEEK_CHECK_VALUE(momentum >= 0.0, op, ": invalid momentum ", momentum, " (expected >= 0)");
  SEEK_CHECK_VALUE(weight_decay >= 0.0, op, ": invalid weight_decay ", weight_decay, " (expected >= 0)");
}

RMSprop::RMSprop(std::vector<ParamGroup> groups, const RMSpropOptions& defaults)
    : Optimizer("RMSprop", std::move(groups), defaults) {}
RMSprop::RMSprop(std::vector<Tensor> params, const RMSpropOptions& defaults)
    : Optimizer("RMSprop", {ParamGroup(std::move(params))}, defaults) {}

void RMSprop::step() {
  NoGradGuard guard;
  for (size_t g = 0; g < param_groups().size(); ++g) {
    const auto& o = options<RMSpropOptions>(g);
    auto& params = param_groups()[g].params;
    for (size_t i = 0; i < params.size(); ++i) {
      Tensor& p = params[i];
      Tensor d = p.grad();
      if (!d.defined()) continue;
      ParamState& s = state(g, i);
      // Buffers are created on first use, so options switched on later work too.
      auto buffer = [&](const char* key) -> Tensor& {
        auto it = s.buffers.find(key);
        if (it == s.buffers.end()) it = s.buffers.emplace(key, zeros_like(p)).first;
        return it->second;
      };
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

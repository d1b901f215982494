#include "seek/optim/optimizer.h"

#include <cmath>
#include <set>
#include <typeinfo>

#include "seek/autograd/grad_mode.h"
#include "seek/ops/creation.h"

namespace seek::optim {

std::vector<std::pair<std::string, double>> OptimizerOptions::to_pairs() const {
  std::vector<std::pair<std::string, double>> pairs;
  for (const auto& f : table().fields) pairs.emplace_back(f.name, f.get(*this));
  return pairs;
}

void OptimizerOptions::set(const std::string& name, double value) {
  for (const auto& f : table().fields) {
    if (name == f.name) {
      f.put(*this, f.is_bool ? (value != 0.0 ? 1.0 : 0.0) : value);
      return;
    }
  }
  SEEK_CHECK_VALUE(false, table().optimizer, ": unknown option '", name, "'");
}

void OptimizerOptions::validate(const std::string& op) const {
  for (const auto& f : table().fields) {
    if (f.is_bool || (std::isinf(f.min) && std::isinf(f.max))) continue;  // no range to check
    const double v = f.get(*this);
    if (std::isinf(f.max)) {
      SEEK_CHECK_VALUE(v >= f.min, op, ": invalid ", f.what, " ", v, " (expected >= ", f.min, ")");
    } else {
      SEEK_CHECK_VALUE(v >= f.min && v < f.max, op, ": invalid ", f.what, " ", v, " (expected in [", f.min, ", ", f.max,
                       "))");
    }
  }
  check(op);
}

Tensor& Optimizer::ParamState::buffer(const char* key, const Tensor& param) {
  auto it = buffers.find(key);
  if (it == buffers.end()) it = buffers.emplace(key, zeros_like(param)).first;
  return it->second;
}

Optimizer::Optimizer(std::string name, std::vector<ParamGroup> groups, const OptimizerOptions& defaults)
    : name_(std::move(name)), defaults_(defaults.clone()) {
  defaults_->validate(name_);
  SEEK_CHECK_VALUE(!groups.empty(), name_, ": got an empty list of parameter groups");
  for (auto& g : groups) add_param_group(std::move(g));
}

void Optimizer::add_param_group(ParamGroup group) {
  const size_t g = groups_.size();
  SEEK_CHECK_VALUE(!group.params.empty(), name_, ": parameter group ", g, " has no parameters");
  if (group.options) {
    SEEK_CHECK_VALUE(typeid(*group.options) == typeid(*defaults_), name_, ": parameter group ", g,
                     " has options of another optimizer");
    group.options = std::shared_ptr<OptimizerOptions>(group.options->clone());
  } else {
    group.options = std::shared_ptr<OptimizerOptions>(defaults_->clone());
  }
  group.options->validate(name_);
  std::set<const TensorImpl*> seen;
  for (const auto& old : groups_)
    for (const auto& p : old.params) seen.insert(p.impl());
  for (size_t i = 0; i < group.params.size(); ++i) {
    const Tensor& p = group.params[i];
    SEEK_CHECK_VALUE(p.defined(), name_, ": parameter ", i, " of group ", g, " is undefined");
    SEEK_CHECK_VALUE(p.is_floating_point(), name_, ": parameter ", i, " of group ", g, " must be floating point, got ",
                     dtype_name(p.dtype()));
    SEEK_CHECK_VALUE(p.is_leaf(), name_, ": can only optimize leaf tensors (parameter ", i, " of group ", g, ")");
    SEEK_CHECK_VALUE(seen.insert(p.impl()).second, name_, ": parameter ", i, " of group ", g,
                     " appears in more than one place");
  }
  state_.emplace_back(group.params.size());
  groups_.push_back(std::move(group));
}

void Optimizer::zero_grad(bool set_to_none) {
  NoGradGuard guard;
  for (auto& group : groups_) {
    for (auto& p : group.params) {
      Tensor g = p.grad();
      if (!g.defined()) continue;
      if (set_to_none)
        p.set_grad(Tensor());
      else
        g.zero_();
    }
  }
}

namespace {
Tensor scalar_f64(double v) { return full({}, v, kFloat64); }

// "a.b.c" -> {"a", "b", "c"}
std::vector<std::string> split_key(const std::string& key) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t dot = key.find('.', start);
    parts.push_back(key.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return parts;
}

size_t parse_index(const std::string& s, const std::string& opt, const std::string& key) {
  bool ok = !s.empty() && s.size() < 10;
  for (char c : s) ok = ok && c >= '0' && c <= '9';
  SEEK_CHECK_VALUE(ok, opt, ".load_state_dict: bad index '", s, "' in key '", key, "'");
  return static_cast<size_t>(std::stoul(s));
}

double scalar_value(const Tensor& t, const std::string& opt, const std::string& key) {
  SEEK_CHECK_VALUE(t.defined() && t.numel() == 1, opt, ".load_state_dict: '", key, "' must hold one number");
  return t.item<double>();
}
}  // namespace

OptimizerStateDict Optimizer::state_dict() const {
  OptimizerStateDict d;
  for (size_t g = 0; g < groups_.size(); ++g) {
    const std::string pre = str("param_groups.", g, ".");
    d.emplace_back(pre + "num_params", scalar_f64(static_cast<double>(groups_[g].params.size())));
    for (const auto& [k, v] : groups_[g].options->to_pairs()) d.emplace_back(pre + k, scalar_f64(v));
  }
  for (size_t g = 0; g < groups_.size(); ++g) {
    for (size_t i = 0; i < state_[g].size(); ++i) {
      const ParamState& s = state_[g][i];
      if (s.step == 0 && s.buffers.empty()) continue;
      const std::string pre = str("state.", g, ".", i, ".");
      d.emplace_back(pre + "step", scalar_f64(static_cast<double>(s.step)));
      for (const auto& [k, t] : s.buffers) d.emplace_back(pre + k, t.detach().clone());
    }
  }
  return d;
}

void Optimizer::load_state_dict(const OptimizerStateDict& dict) {
  const std::string op = name_;
  // Build the new options and state aside, then swap them in, so that a bad dict changes nothing.
  std::vector<std::unique_ptr<OptimizerOptions>> opts;
  for (const auto& g : groups_) opts.push_back(g.options->clone());
  std::vector<std::vector<ParamState>> state(groups_.size());
  for (size_t g = 0; g < groups_.size(); ++g) state[g].resize(groups_[g].params.size());
  std::vector<bool> seen_count(groups_.size(), false);
  std::vector<std::vector<bool>> has_step(groups_.size());
  for (size_t g = 0; g < groups_.size(); ++g) has_step[g].assign(groups_[g].params.size(), false);

  for (const auto& [key, t] : dict) {
    auto parts = split_key(key);
    if (parts.size() == 3 && parts[0] == "param_groups") {
      size_t g = parse_index(parts[1], op, key);
      SEEK_CHECK_VALUE(g < groups_.size(), op, ".load_state_dict: the dict has parameter group ", g,
                       " but this optimizer has ", groups_.size(), " groups");
      double v = scalar_value(t, op, key);
      if (parts[2] == "num_params") {
        SEEK_CHECK_VALUE(static_cast<size_t>(v) == groups_[g].params.size(), op, ".load_state_dict: group ", g, " has ",
                         groups_[g].params.size(), " parameters but the dict has ", v);
        seen_count[g] = true;
      } else {
        opts[g]->set(parts[2], v);
      }
    } else if (parts.size() == 4 && parts[0] == "state") {
      size_t g = parse_index(parts[1], op, key);
      size_t i = parse_index(parts[2], op, key);
      SEEK_CHECK_VALUE(g < groups_.size() && i < groups_[g].params.size(), op, ".load_state_dict: state for parameter ",
                       i, " of group ", g, ", which this optimizer does not have");
      if (parts[3] == "step") {
        state[g][i].step = static_cast<int64_t>(scalar_value(t, op, key));
        has_step[g][i] = true;
      } else {
        const Tensor& p = groups_[g].params[i];
        SEEK_CHECK_VALUE(t.defined() && t.sizes() == p.sizes(), op, ".load_state_dict: '", key, "' has shape ",
                         t.defined() ? shape_str(t.sizes()) : std::string("undefined"), " but the parameter has shape ",
                         shape_str(p.sizes()));
        state[g][i].buffers[parts[3]] = t.detach().to(p.device(), p.dtype(), /*copy=*/true);
      }
    } else {
      SEEK_CHECK_VALUE(false, op, ".load_state_dict: unexpected key '", key, "'");
    }
  }
  for (size_t g = 0; g < groups_.size(); ++g) {
    SEEK_CHECK_VALUE(seen_count[g], op, ".load_state_dict: the dict has no parameter group ", g);
    for (size_t i = 0; i < state[g].size(); ++i)
      SEEK_CHECK_VALUE(has_step[g][i] || state[g][i].buffers.empty(), op, ".load_state_dict: state of parameter ", i,
                       " of group ", g, " has buffers but no step");
    opts[g]->validate(op);
  }
  for (size_t g = 0; g < groups_.size(); ++g)
    groups_[g].options = std::shared_ptr<OptimizerOptions>(std::move(opts[g]));
  state_ = std::move(state);
}

}  // namespace seek::optim

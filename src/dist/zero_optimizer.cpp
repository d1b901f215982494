// ZeroRedundancyOptimizer (see zero_optimizer.h): a partition, a local optimizer over this rank's shard, and
// broadcasts from each parameter's owner after the step. state_dict() exchanges the shards' state entries:
// first their names and shapes (all_gather_bytes), then each tensor broadcast from its owner.
#include "seek/dist/zero_optimizer.h"

#include <algorithm>
#include <numeric>
#include <sstream>

#include "seek/autograd/grad_mode.h"
#include "seek/core/error.h"
#include "seek/ops/creation.h"

namespace seek::optim {

namespace {
std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}
}  // namespace

ZeroRedundancyOptimizer::ZeroRedundancyOptimizer(std::vector<ParamGroup> groups, const OptimizerOptions& defaults,
                                                 Factory factory, dist::ProcessGroup* process_group)
    : Optimizer("ZeroRedundancyOptimizer", std::move(groups), defaults),
      group_(process_group ? process_group : &dist::default_group()) {
  SEEK_CHECK_VALUE(static_cast<bool>(factory), "ZeroRedundancyOptimizer: the optimizer factory is empty");
  const int world = group_->size(), me = group_->rank();
  std::vector<int64_t> load(static_cast<size_t>(world), 0);
  std::vector<ParamGroup> local_groups;
  for (size_t g = 0; g < param_groups().size(); ++g) {
    const auto& params = param_groups()[g].params;
    std::vector<size_t> order(params.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return params[a].numel() > params[b].numel(); });
    owner_.emplace_back(params.size(), 0);
    for (size_t i : order) {
      int r = static_cast<int>(std::min_element(load.begin(), load.end()) - load.begin());
      owner_[g][i] = r;
      load[static_cast<size_t>(r)] += params[i].numel();
    }
    std::vector<Tensor> mine;
    local_index_.emplace_back(params.size(), 0);
    for (size_t i = 0; i < params.size(); ++i) {
      if (owner_[g][i] != me) continue;
      local_index_[g][i] = mine.size();
      mine.push_back(params[i]);
    }
    if (mine.empty()) {
      local_group_.push_back(-1);
    } else {
      local_group_.push_back(static_cast<int>(local_groups.size()));
      local_groups.emplace_back(std::move(mine), std::shared_ptr<OptimizerOptions>(param_groups()[g].options->clone()));
    }
  }
  if (!local_groups.empty()) local_ = factory(std::move(local_groups));
}

void ZeroRedundancyOptimizer::sync_local_options() {
  if (!local_) return;
  for (size_t g = 0; g < param_groups().size(); ++g) {
    if (local_group_[g] < 0) continue;
    auto& opts = *local_->param_groups()[static_cast<size_t>(local_group_[g])].options;
    for (const auto& [k, v] : param_groups()[g].options->to_pairs()) opts.set(k, v);
  }
}

void ZeroRedundancyOptimizer::step() {
  sync_local_options();
  if (local_) local_->set_fused(fused());
  if (local_) local_->step();
  // Every rank broadcasts every parameter from its owner, in the same order.
  NoGradGuard no_grad;
  std::vector<dist::WorkPtr> works;
  for (size_t g = 0; g < param_groups().size(); ++g) {
    for (size_t i = 0; i < param_groups()[g].params.size(); ++i) {
      Tensor p = param_groups()[g].params[i].detach();
      works.push_back(group_->broadcast(p, owner_[g][i], /*async_op=*/true));
    }
  }
  for (auto& w : works) w->wait();
}

OptimizerStateDict ZeroRedundancyOptimizer::state_dict() const {
  OptimizerStateDict out = Optimizer::state_dict();  // the full groups' options; the base holds no state
  // This rank's entries under their global (group, index), then everyone's in rank order.
  std::vector<std::pair<std::string, Tensor>> mine;
  if (local_) {
    std::vector<std::vector<size_t>> global_of(local_->param_groups().size());
    for (size_t g = 0; g < owner_.size(); ++g) {
      if (local_group_[g] < 0) continue;
      auto& v = global_of[static_cast<size_t>(local_group_[g])];
      for (size_t i = 0; i < owner_[g].size(); ++i)
        if (owner_[g][i] == group_->rank()) v.push_back(i);
    }
    std::vector<size_t> group_of(local_->param_groups().size());
    for (size_t g = 0; g < local_group_.size(); ++g)
      if (local_group_[g] >= 0) group_of[static_cast<size_t>(local_group_[g])] = g;
    for (auto& [key, t] : local_->state_dict()) {
      auto parts = split(key, '.');
      if (parts.size() != 4 || parts[0] != "state") continue;
      size_t lg = std::stoul(parts[1]), li = std::stoul(parts[2]);
      mine.emplace_back(str("state.", group_of[lg], ".", global_of[lg][li], ".", parts[3]), t.contiguous());
    }
  }
  std::ostringstream meta;
  for (auto& [key, t] : mine) {
    meta << key << ' ' << static_cast<int>(t.dtype());
    for (int64_t s : t.sizes()) meta << ' ' << s;
    meta << '\n';
  }
  std::vector<std::string> all = group_->all_gather_bytes(meta.str());
  NoGradGuard no_grad;
  std::vector<std::pair<std::string, Tensor>> state;
  std::vector<dist::WorkPtr> works;
  for (size_t r = 0; r < all.size(); ++r) {
    size_t k = 0;
    for (const std::string& line : split(all[r], '\n')) {
      if (line.empty()) continue;
      auto f = split(line, ' ');
      Tensor t;
      if (static_cast<int>(r) == group_->rank()) {
        t = mine[k++].second;
      } else {
        Shape shape;
        for (size_t j = 2; j < f.size(); ++j) shape.push_back(std::stoll(f[j]));
        // The state lives on the parameters' device.
        const Tensor& p0 = param_groups()[0].params[0];
        t = empty(
            shape,
            TensorOptions(static_cast<DType>(std::stoi(f[1]))).device(shape.empty() ? Device(kCPU) : p0.device()));
      }
      works.push_back(group_->broadcast(t, static_cast<int>(r), /*async_op=*/true));
      state.emplace_back(f[0], t);
    }
  }
  for (auto& w : works) w->wait();
  // Ordered by (group, index) as the wrapped optimizer's own state_dict, "step" first within a parameter.
  auto rank_key = [](const std::string& key) {
    auto p = split(key, '.');
    return std::make_tuple(std::stoul(p[1]), std::stoul(p[2]), p[3] == "step" ? std::string() : p[3]);
  };
  std::stable_sort(state.begin(), state.end(),
                   [&](const auto& a, const auto& b) { return rank_key(a.first) < rank_key(b.first); });
  for (auto& e : state) out.push_back(std::move(e));
  return out;
}

void ZeroRedundancyOptimizer::load_state_dict(const OptimizerStateDict& dict) {
  OptimizerStateDict groups_only, local;
  for (const auto& [key, t] : dict) {
    auto p = split(key, '.');
    if (p.size() == 3 && p[0] == "param_groups") {
      groups_only.emplace_back(key, t);
      size_t g = std::stoul(p[1]);
      if (g < local_group_.size() && local_group_[g] >= 0 && p[2] != "num_params")
        local.emplace_back(str("param_groups.", local_group_[g], ".", p[2]), t);
    } else if (p.size() == 4 && p[0] == "state") {
      size_t g = std::stoul(p[1]), i = std::stoul(p[2]);
      SEEK_CHECK_VALUE(g < owner_.size() && i < owner_[g].size(), "ZeroRedundancyOptimizer.load_state_dict: state for ",
                       "parameter ", i, " of group ", g, ", which this optimizer does not have");
      if (owner_[g][i] == group_->rank())
        local.emplace_back(str("state.", local_group_[g], ".", local_index_[g][i], ".", p[3]), t);
    } else {
      SEEK_CHECK_VALUE(false, "ZeroRedundancyOptimizer.load_state_dict: unexpected key '", key, "'");
    }
  }
  if (local_) {
    for (size_t g = 0; g < local_group_.size(); ++g)
      if (local_group_[g] >= 0)
        local.emplace_back(str("param_groups.", local_group_[g], ".num_params"),
                           full({}, static_cast<double>(local_->param_groups()[local_group_[g]].params.size()),
                                TensorOptions(kFloat64)));
    local_->load_state_dict(local);
  }
  Optimizer::load_state_dict(groups_only);
}

int64_t ZeroRedundancyOptimizer::local_state_bytes() const {
  if (!local_) return 0;
  int64_t bytes = 0;
  for (auto& [key, t] : local_->state_dict())
    if (key.rfind("state.", 0) == 0) bytes += static_cast<int64_t>(t.nbytes());
  return bytes;
}

}  // namespace seek::optim

#pragma once
// seek::optim::ZeroRedundancyOptimizer: ZeRO stage 1 (torch.distributed.optim.ZeroRedundancyOptimizer).
//
//   optim::ZeroRedundancyOptimizer opt(model->parameters(), optim::ZeroRedundancyOptimizer::make<optim::AdamW>(
//       optim::AdamWOptions(1e-3)));
//
// The parameters are partitioned over the ranks (per group, largest first, each to the rank that holds the
// fewest elements so far, as torch does). Each rank builds the wrapped optimizer over its own shard only, so it
// keeps the state (Adam's moments) of its shard; step() updates the shard and then broadcasts every parameter
// from the rank that owns it. The gradients must be the same on every rank (DDP's). The result equals the
// wrapped optimizer on all parameters.
//
// param_groups() are the full groups (learning-rate schedulers change them; step() copies the options into the
// local optimizer). state_dict() is a collective (call it on every rank): it gathers every rank's shard state
// into the wrapped optimizer's own format for all parameters, so a checkpoint loads into a plain optimizer, or
// into a ZeroRedundancyOptimizer on any number of ranks (load_state_dict keeps this rank's shard).
#include <functional>
#include <memory>
#include <vector>

#include "seek/dist/process_group.h"
#include "seek/optim/optimizer.h"

namespace seek::optim {

class ZeroRedundancyOptimizer : public Optimizer {
 public:
  // Builds the wrapped optimizer over the given groups (the shard of this rank).
  using Factory = std::function<std::unique_ptr<Optimizer>(std::vector<ParamGroup> groups)>;
  template <typename Opt, typename Options>
  static Factory make(const Options& defaults) {
    return [defaults](std::vector<ParamGroup> groups) -> std::unique_ptr<Optimizer> {
      return std::make_unique<Opt>(std::move(groups), defaults);
    };
  }

  // `defaults`: the wrapped optimizer's options (for param_groups() and state_dict()).
  ZeroRedundancyOptimizer(std::vector<ParamGroup> groups, const OptimizerOptions& defaults, Factory factory,
                          dist::ProcessGroup* process_group = nullptr);
  template <typename Opt, typename Options>
  static std::unique_ptr<ZeroRedundancyOptimizer> create(std::vector<Tensor> params, const Options& defaults,
                                                         dist::ProcessGroup* process_group = nullptr) {
    std::vector<ParamGroup> groups;
    groups.emplace_back(std::move(params));
    return std::make_unique<ZeroRedundancyOptimizer>(std::move(groups), defaults, make<Opt>(defaults), process_group);
  }

  void step() override;
  OptimizerStateDict state_dict() const override;
  void load_state_dict(const OptimizerStateDict& dict) override;
  // torch's name; state_dict() already consolidates, on every rank.
  void consolidate_state_dict(int to = 0) { (void)to; }

  // The rank that owns parameter `index` of group `group`.
  int owner(size_t group, size_t index) const { return owner_[group][index]; }
  // Bytes of optimizer state (all tensors) this rank holds.
  int64_t local_state_bytes() const;
  Optimizer* local_optimizer() { return local_.get(); }

 private:
  void sync_local_options();
  dist::ProcessGroup* group_;
  std::vector<std::vector<int>> owner_;           // [group][param] -> rank
  std::vector<std::vector<size_t>> local_index_;  // [group][param] -> index in the local group (if owned)
  std::vector<int> local_group_;                  // [group] -> local group index, -1 when this rank owns none
  std::unique_ptr<Optimizer> local_;
};

}  // namespace seek::optim

#pragma once
// seek::optim::Optimizer: the base of every optimizer, after libtorch's design.
// Parameters live in groups; each group carries its own options (lr, betas, ...)
// so that schedulers and users can change them per group. Updates are written with
// seek ops only, so an optimizer works on any device its parameters live on.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "seek/core/tensor.h"

namespace seek::optim {

// Options shared by every optimizer; each optimizer derives its own (SGDOptions, ...).
struct OptimizerOptions {
  double lr = 1e-3;
  explicit OptimizerOptions(double lr_ = 1e-3) : lr(lr_) {}
  virtual ~OptimizerOptions() = default;
  virtual std::unique_ptr<OptimizerOptions> clone() const = 0;
  // The options as (name, value) pairs, "lr" first (bools as 0/1), for state_dict().
  virtual std::vector<std::pair<std::string, double>> to_pairs() const = 0;
  // Sets one option by name; throws ValueError for a name this optimizer does not have.
  virtual void set(const std::string& name, double value) = 0;
  // Throws ValueError naming `optimizer` and the bad value.
  virtual void validate(const std::string& optimizer) const = 0;
};

struct ParamGroup {
  std::vector<Tensor> params;
  // nullptr: the optimizer's defaults. The optimizer keeps its own copy.
  std::shared_ptr<OptimizerOptions> options;

  ParamGroup(std::vector<Tensor> p, std::shared_ptr<OptimizerOptions> o = nullptr)
      : params(std::move(p)), options(std::move(o)) {}
  template <typename O>
  ParamGroup(std::vector<Tensor> p, const O& o) : params(std::move(p)), options(o.clone()) {}

  double lr() const { return options->lr; }
  void set_lr(double lr) { options->lr = lr; }
};

// Checkpoint form: ("param_groups.<g>.<option>", 0-dim f64), ("param_groups.<g>.num_params", ...),
// ("state.<g>.<i>.step", 0-dim f64) and ("state.<g>.<i>.<buffer>", tensor like the parameter).
using OptimizerStateDict = std::vector<std::pair<std::string, Tensor>>;

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // One update of every parameter that has a gradient (others are skipped).
  virtual void step() = 0;
  // Drops (set_to_none) or zeroes the gradients of all parameters.
  void zero_grad(bool set_to_none = true);

  std::vector<ParamGroup>& param_groups() { return groups_; }
  const std::vector<ParamGroup>& param_groups() const { return groups_; }
  // Adds a group (options nullptr: the defaults); its parameters must be new to this optimizer.
  void add_param_group(ParamGroup group);
  const OptimizerOptions& defaults() const { return *defaults_; }
  const std::string& name() const { return name_; }

  OptimizerStateDict state_dict() const;
  // Throws ValueError when the dict does not fit this optimizer's groups and parameters;
  // nothing changes in that case.
  void load_state_dict(const OptimizerStateDict& dict);

 protected:
  struct ParamState {
    int64_t step = 0;
    std::map<std::string, Tensor> buffers;
  };
  Optimizer(std::string name, std::vector<ParamGroup> groups, const OptimizerOptions& defaults);
  ParamState& state(size_t group, size_t index) { return state_[group][index]; }
  template <typename O>
  const O& options(size_t group) const { return static_cast<const O&>(*groups_[group].options); }

 private:
  std::string name_;
  std::unique_ptr<OptimizerOptions> defaults_;
  std::vector<ParamGroup> groups_;
  std::vector<std::vector<ParamState>> state_;  // [group][param]
};

namespace detail {
// Throws the ValueError of OptimizerOptions::set for an option name it does not know.
void unknown_option(const std::string& optimizer, const std::string& name);
}  // namespace detail

}  // namespace seek::optim

#pragma once
// seek::optim::Optimizer: the base of every optimizer, after libtorch's design.
// Parameters live in groups; each group carries its own options (lr, betas, ...)
// so that schedulers and users can change them per group. Updates are written with
// seek ops only, so an optimizer works on any device its parameters live on.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "seek/core/tensor.h"

namespace seek::optim {

struct OptimizerOptions;

// One row of an options struct's field table: the option's name (its state_dict key and Python
// keyword), whether it is a bool, how to read and write it (as a double; bools as 0/1), and the
// range validate() checks: min <= value < max (max infinite: no upper bound), else a ValueError
// "invalid <what> <value> (expected ...)". Rows are written with SEEK_OPTIM_FIELD below.
struct OptionField {
  const char* name;
  bool is_bool;
  double (*get)(const OptimizerOptions&);
  void (*put)(OptimizerOptions&, double);
  const char* what;
  double min;
  double max;
};

// The field table of one options struct: the optimizer's name (for messages) and its rows, "lr" first.
struct OptionTable {
  const char* optimizer;
  std::vector<OptionField> fields;
};

// Options shared by every optimizer; each optimizer derives its own (SGDOptions, ...) and lists
// its fields once, in table(); to_pairs, set, validate and the Python keyword arguments
// (python/src/optim.cpp) all come from that table.
struct OptimizerOptions {
  double lr = 1e-3;
  explicit OptimizerOptions(double lr_ = 1e-3) : lr(lr_) {}
  virtual ~OptimizerOptions() = default;
  virtual std::unique_ptr<OptimizerOptions> clone() const = 0;
  virtual const OptionTable& table() const = 0;
  // The options as (name, value) pairs in table order, "lr" first (bools as 0/1), for state_dict().
  std::vector<std::pair<std::string, double>> to_pairs() const;
  // Sets one option by name; throws ValueError for a name this optimizer does not have.
  void set(const std::string& name, double value);
  // Throws ValueError naming `optimizer` and the bad value: each field's range, then check().
  void validate(const std::string& optimizer) const;

 protected:
  // Rules that involve more than one field (SGD's nesterov); throws ValueError naming `optimizer`.
  virtual void check(const std::string& optimizer) const { (void)optimizer; }
};

// A row of a field table for member `member` of `Options` (double or bool); `what` names it in
// error messages, [min, max) is its valid range (bools: pass 0, 2).
#define SEEK_OPTIM_FIELD(Options, member, what, min, max)                                                \
  ::seek::optim::OptionField {                                                                           \
#member, std::is_same_v<decltype(Options::member), bool>,                                              \
        [](const ::seek::optim::OptimizerOptions& o) {                                                     \
          return static_cast<double>(static_cast<const Options&>(o).member);                               \
        },                                                                                                 \
        [](::seek::optim::OptimizerOptions& o, double v) {                                                 \
          static_cast<Options&>(o).member = static_cast<decltype(Options::member)>(v);                     \
        },                                                                                                 \
        what, min, max \
  }

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
  // Whether step() updates each group with one fused kernel call (seek/ops/optim.h) where the
  // parameters' device has one (the default), or op by op (the reference the fused step equals).
  bool fused() const { return fused_; }
  void set_fused(bool enabled) { fused_ = enabled; }

  // Virtual so that a wrapper (ZeroRedundancyOptimizer, which shards the state) gives the full state.
  virtual OptimizerStateDict state_dict() const;
  // Throws ValueError when the dict does not fit this optimizer's groups and parameters;
  // nothing changes in that case.
  virtual void load_state_dict(const OptimizerStateDict& dict);

 protected:
  struct ParamState {
    int64_t step = 0;
    std::map<std::string, Tensor> buffers;
    // The buffer named `key`, made as zeros like `param` on first use (also when an option
    // that needs it is switched on later).
    Tensor& buffer(const char* key, const Tensor& param);
  };
  Optimizer(std::string name, std::vector<ParamGroup> groups, const OptimizerOptions& defaults);
  ParamState& state(size_t group, size_t index) { return state_[group][index]; }
  template <typename O>
  const O& options(size_t group) const {
    return static_cast<const O&>(*groups_[group].options);
  }
  bool fused_ = true;

 private:
  std::string name_;
  std::unique_ptr<OptimizerOptions> defaults_;
  std::vector<ParamGroup> groups_;
  std::vector<std::vector<ParamState>> state_;  // [group][param]
};

}  // namespace seek::optim

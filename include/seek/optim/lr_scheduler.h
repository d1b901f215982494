#pragma once
// Learning-rate schedulers, like torch.optim.lr_scheduler. A scheduler remembers each
// group's lr at construction (base_lrs) and, on every step(), advances last_epoch and
// writes the closed-form lr for that step into the optimizer's groups (so an lr set by hand
// lasts until the next step()). Construction performs the first step (last_epoch 0), as in torch.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "seek/optim/optimizer.h"

namespace seek::optim {

// (name, value) pairs: "last_epoch", "base_lr.<g>", "last_lr.<g>", plus scheduler-specific ones.
using SchedulerStateDict = std::vector<std::pair<std::string, double>>;

class LRScheduler {
 public:
  virtual ~LRScheduler() = default;
  LRScheduler(const LRScheduler&) = delete;
  LRScheduler& operator=(const LRScheduler&) = delete;

  void step();
  const std::vector<double>& get_last_lr() const { return last_lr_; }
  const std::vector<double>& base_lrs() const { return base_lrs_; }
  int64_t last_epoch() const { return last_epoch_; }
  Optimizer& optimizer() { return opt_; }

  SchedulerStateDict state_dict() const;
  // Restores last_epoch and the lrs and writes last_lr into the optimizer.
  // Throws ValueError for a dict of another group count or with missing/unknown keys.
  void load_state_dict(const SchedulerStateDict& dict);

 protected:
  LRScheduler(Optimizer& opt, std::string name);
  void initial_step();  // the constructor's step(); called by the subclass once it is set up
  // The lr of every group at step last_epoch().
  virtual std::vector<double> compute_lr() const = 0;
  // Runs after step() and load_state_dict() have written the lrs (OneCycleLR sets momentum here).
  virtual void after_step() {}
  const std::string& name() const { return name_; }

 private:
  Optimizer& opt_;
  std::string name_;
  std::vector<double> base_lrs_;
  std::vector<double> last_lr_;
  int64_t last_epoch_ = -1;
};

// Linear warmup from 0 to the base lr over warmup_steps, then cosine from the base lr
// down to min_lr at total_steps; min_lr after that.
class WarmupCosineLR : public LRScheduler {
 public:
  WarmupCosineLR(Optimizer& opt, int64_t warmup_steps, int64_t total_steps, double min_lr = 0.0);

 protected:
  std::vector<double> compute_lr() const override;

 private:
  int64_t warmup_, total_;
  double min_lr_;
};

// Linear warmup from 0 to the base lr over warmup_steps, then linear decay to
// base lr * end_factor at total_steps; base lr * end_factor after that.
class LinearWarmupDecayLR : public LRScheduler {
 public:
  LinearWarmupDecayLR(Optimizer& opt, int64_t warmup_steps, int64_t total_steps, double end_factor = 0.0);

 protected:
  std::vector<double> compute_lr() const override;

 private:
  int64_t warmup_, total_;
  double end_factor_;
};

// lr = base * gamma^(epoch / step_size)   (integer division)
class StepLR : public LRScheduler {
 public:
  StepLR(Optimizer& opt, int64_t step_size, double gamma = 0.1);

 protected:
  std::vector<double> compute_lr() const override;

 private:
  int64_t step_size_;
  double gamma_;
};

// lr = base * gamma^(number of milestones <= epoch); milestones must increase.
class MultiStepLR : public LRScheduler {
 public:
  MultiStepLR(Optimizer& opt, std::vector<int64_t> milestones, double gamma = 0.1);

 protected:
  std::vector<double> compute_lr() const override;

 private:
  std::vector<int64_t> milestones_;
  double gamma_;
};

// lr = base * gamma^epoch
class ExponentialLR : public LRScheduler {
 public:
  ExponentialLR(Optimizer& opt, double gamma);

 protected:
  std::vector<double> compute_lr() const override;

 private:
  double gamma_;
};

// torch's OneCycleLR with cosine annealing, two phases (three_phase = false):
// from max_lr / div_factor up to max_lr over pct_start * total_steps - 1 steps, then down
// to max_lr / div_factor / final_div_factor at step total_steps - 1. Stepping past
// total_steps throws ValueError. The constructor sets every group's lr to max_lr / div_factor.
// cycle_momentum (torch's default): the groups' momentum (SGD, RMSprop) or beta1 (Adam, AdamW)
// goes the other way, from max_momentum down to base_momentum and back, on the same schedule.
class OneCycleLR : public LRScheduler {
 public:
  OneCycleLR(Optimizer& opt, double max_lr, int64_t total_steps, double pct_start = 0.3, double div_factor = 25.0,
             double final_div_factor = 1e4, bool cycle_momentum = true, double base_momentum = 0.85,
             double max_momentum = 0.95);
  OneCycleLR(Optimizer& opt, std::vector<double> max_lrs, int64_t total_steps, double pct_start = 0.3,
             double div_factor = 25.0, double final_div_factor = 1e4, bool cycle_momentum = true,
             double base_momentum = 0.85, double max_momentum = 0.95);

 protected:
  std::vector<double> compute_lr() const override;
  void after_step() override;

 private:
  // Cosine annealing between the two phases' (start, end) values at step last_epoch().
  double anneal(double phase1_start, double peak, double phase2_end) const;
  std::vector<double> max_lrs_;
  int64_t total_;
  double pct_start_, div_factor_, final_div_factor_;
  bool cycle_momentum_;
  double base_momentum_, max_momentum_;
  std::string momentum_key_;  // "momentum" or "beta1"
};

// Reduces every group's lr by `factor` when the metric passed to step(metric) has not
// improved for more than `patience` steps, then waits `cooldown` steps; never below min_lr.
// Improvement: mode "min": metric < best * (1 - threshold) ("rel") or best - threshold ("abs");
// mode "max": metric > best * (1 + threshold) or best + threshold.
struct ReduceLROnPlateauOptions {
  std::string mode = "min";
  double factor = 0.1;
  int64_t patience = 10;
  double threshold = 1e-4;
  std::string threshold_mode = "rel";
  int64_t cooldown = 0;
  double min_lr = 0.0;
  double eps = 1e-8;  // changes smaller than this are ignored
};

class ReduceLROnPlateau {
 public:
  using Options = ReduceLROnPlateauOptions;
  explicit ReduceLROnPlateau(Optimizer& opt, Options options = {});

  void step(double metric);
  const std::vector<double>& get_last_lr() const { return last_lr_; }
  int64_t last_epoch() const { return last_epoch_; }
  int64_t num_bad_epochs() const { return num_bad_epochs_; }
  double best() const { return best_; }

  // "last_epoch", "best", "num_bad_epochs", "cooldown_counter", "last_lr.<g>"
  SchedulerStateDict state_dict() const;
  void load_state_dict(const SchedulerStateDict& dict);

 private:
  bool is_better(double a) const;
  Optimizer& opt_;
  Options o_;
  std::vector<double> last_lr_;
  double best_;
  int64_t num_bad_epochs_ = 0;
  int64_t cooldown_counter_ = 0;
  int64_t last_epoch_ = 0;
};

}  // namespace seek::optim

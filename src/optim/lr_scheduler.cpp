#include "seek/optim/lr_scheduler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numbers>

namespace seek::optim {

namespace {
std::map<std::string, double> to_map(const SchedulerStateDict& d, const std::string& op) {
  std::map<std::string, double> m;
  for (const auto& [k, v] : d)
    SEEK_CHECK_VALUE(m.emplace(k, v).second, op, ".load_state_dict: key '", k, "' appears twice");
  return m;
}
double take(std::map<std::string, double>& m, const std::string& key, const std::string& op) {
  auto it = m.find(key);
  SEEK_CHECK_VALUE(it != m.end(), op, ".load_state_dict: missing key '", key, "'");
  double v = it->second;
  m.erase(it);
  return v;
}
void check_all_used(const std::map<std::string, double>& m, const std::string& op) {
  SEEK_CHECK_VALUE(m.empty(), op, ".load_state_dict: unexpected key '", m.empty() ? "" : m.begin()->first, "'");
}
}  // namespace

// ---- LRScheduler ----

LRScheduler::LRScheduler(Optimizer& opt, std::string name) : opt_(opt), name_(std::move(name)) {
  for (const auto& g : opt_.param_groups()) base_lrs_.push_back(g.lr());
}

void LRScheduler::initial_step() { step(); }

void LRScheduler::step() {
  ++last_epoch_;
  last_lr_ = compute_lr();
  auto& groups = opt_.param_groups();
  SEEK_CHECK_VALUE(groups.size() == last_lr_.size(), name_, ": the optimizer has ", groups.size(),
                   " parameter groups but the scheduler was made for ", last_lr_.size());
  for (size_t g = 0; g < groups.size(); ++g) groups[g].set_lr(last_lr_[g]);
  after_step();
}

SchedulerStateDict LRScheduler::state_dict() const {
  SchedulerStateDict d{{"last_epoch", static_cast<double>(last_epoch_)}};
  for (size_t g = 0; g < base_lrs_.size(); ++g) d.emplace_back(str("base_lr.", g), base_lrs_[g]);
  for (size_t g = 0; g < last_lr_.size(); ++g) d.emplace_back(str("last_lr.", g), last_lr_[g]);
  return d;
}

void LRScheduler::load_state_dict(const SchedulerStateDict& dict) {
  auto m = to_map(dict, name_);
  const size_t n = base_lrs_.size();
  std::vector<double> base(n), last(n);
  const double epoch = take(m, "last_epoch", name_);
  for (size_t g = 0; g < n; ++g) {
    base[g] = take(m, str("base_lr.", g), name_);
    last[g] = take(m, str("last_lr.", g), name_);
  }
  SEEK_CHECK_VALUE(m.empty(), name_, ".load_state_dict: unexpected key '", m.empty() ? "" : m.begin()->first,
                   "' (the scheduler has ", n, " parameter groups)");
  SEEK_CHECK_VALUE(opt_.param_groups().size() == n, name_, ": the optimizer has ", opt_.param_groups().size(),
                   " parameter groups but the scheduler was made for ", n);
  last_epoch_ = static_cast<int64_t>(epoch);
  base_lrs_ = std::move(base);
  last_lr_ = std::move(last);
  for (size_t g = 0; g < n; ++g) opt_.param_groups()[g].set_lr(last_lr_[g]);
  after_step();
}

// ---- warmup schedules ----

WarmupCosineLR::WarmupCosineLR(Optimizer& opt, int64_t warmup_steps, int64_t total_steps, double min_lr)
    : LRScheduler(opt, "WarmupCosineLR"), warmup_(warmup_steps), total_(total_steps), min_lr_(min_lr) {
  SEEK_CHECK_VALUE(warmup_steps >= 0 && total_steps > warmup_steps,
                   "WarmupCosineLR: expected 0 <= warmup_steps < "
                   "total_steps, got warmup_steps ",
                   warmup_steps, ", total_steps ", total_steps);
  SEEK_CHECK_VALUE(min_lr >= 0, "WarmupCosineLR: min_lr must be >= 0, got ", min_lr);
  initial_step();
}

std::vector<double> WarmupCosineLR::compute_lr() const {
  const int64_t s = last_epoch();
  std::vector<double> lrs;
  for (double base : base_lrs()) {
    if (s < warmup_)
      lrs.push_back(base * static_cast<double>(s) / static_cast<double>(warmup_));
    else if (s >= total_)
      lrs.push_back(min_lr_);
    else {
      const double pct = static_cast<double>(s - warmup_) / static_cast<double>(total_ - warmup_);
      lrs.push_back(min_lr_ + (base - min_lr_) * 0.5 * (1.0 + std::cos(std::numbers::pi * pct)));
    }
  }
  return lrs;
}

LinearWarmupDecayLR::LinearWarmupDecayLR(Optimizer& opt, int64_t warmup_steps, int64_t total_steps, double end_factor)
    : LRScheduler(opt, "LinearWarmupDecayLR"), warmup_(warmup_steps), total_(total_steps), end_factor_(end_factor) {
  SEEK_CHECK_VALUE(warmup_steps >= 0 && total_steps > warmup_steps,
                   "LinearWarmupDecayLR: expected 0 <= "
                   "warmup_steps < total_steps, got warmup_steps ",
                   warmup_steps, ", total_steps ", total_steps);
  SEEK_CHECK_VALUE(end_factor >= 0 && end_factor <= 1, "LinearWarmupDecayLR: end_factor must be in [0, 1], got ",
                   end_factor);
  initial_step();
}

std::vector<double> LinearWarmupDecayLR::compute_lr() const {
  const int64_t s = last_epoch();
  std::vector<double> lrs;
  for (double base : base_lrs()) {
    if (s < warmup_)
      lrs.push_back(base * static_cast<double>(s) / static_cast<double>(warmup_));
    else if (s >= total_)
      lrs.push_back(base * end_factor_);
    else {
      const double rest = static_cast<double>(total_ - s) / static_cast<double>(total_ - warmup_);
      lrs.push_back(base * (end_factor_ + (1.0 - end_factor_) * rest));
    }
  }
  return lrs;
}

// ---- step / multistep / exponential ----

StepLR::StepLR(Optimizer& opt, int64_t step_size, double gamma)
    : LRScheduler(opt, "StepLR"), step_size_(step_size), gamma_(gamma) {
  SEEK_CHECK_VALUE(step_size > 0, "StepLR: step_size must be > 0, got ", step_size);
  initial_step();
}

std::vector<double> StepLR::compute_lr() const {
  std::vector<double> lrs;
  const double k = static_cast<double>(last_epoch() / step_size_);
  for (double base : base_lrs()) lrs.push_back(base * std::pow(gamma_, k));
  return lrs;
}

MultiStepLR::MultiStepLR(Optimizer& opt, std::vector<int64_t> milestones, double gamma)
    : LRScheduler(opt, "MultiStepLR"), milestones_(std::move(milestones)), gamma_(gamma) {
  for (size_t i = 1; i < milestones_.size(); ++i)
    SEEK_CHECK_VALUE(milestones_[i - 1] < milestones_[i], "MultiStepLR: milestones must increase, got ",
                     milestones_[i - 1], " before ", milestones_[i]);
  initial_step();
}

std::vector<double> MultiStepLR::compute_lr() const {
  const auto passed = std::upper_bound(milestones_.begin(), milestones_.end(), last_epoch()) - milestones_.begin();
  std::vector<double> lrs;
  for (double base : base_lrs()) lrs.push_back(base * std::pow(gamma_, static_cast<double>(passed)));
  return lrs;
}

ExponentialLR::ExponentialLR(Optimizer& opt, double gamma) : LRScheduler(opt, "ExponentialLR"), gamma_(gamma) {
  SEEK_CHECK_VALUE(gamma > 0, "ExponentialLR: gamma must be > 0, got ", gamma);
  initial_step();
}

std::vector<double> ExponentialLR::compute_lr() const {
  std::vector<double> lrs;
  for (double base : base_lrs()) lrs.push_back(base * std::pow(gamma_, static_cast<double>(last_epoch())));
  return lrs;
}

// ---- OneCycleLR ----

namespace {
// Checks the arguments, then sets every group's lr to max_lr / div_factor (before the base
// class reads the groups' lrs).
Optimizer& one_cycle_prepare(Optimizer& opt, const std::vector<double>& max_lrs, int64_t total, double pct_start,
                             double div_factor, double final_div_factor) {
  auto& groups = opt.param_groups();
  SEEK_CHECK_VALUE(max_lrs.size() == groups.size(), "OneCycleLR: expected ", groups.size(),
                   " max_lr values (one per parameter group), got ", max_lrs.size());
  SEEK_CHECK_VALUE(total > 0, "OneCycleLR: total_steps must be > 0, got ", total);
  const double end1 = pct_start * static_cast<double>(total) - 1.0;
  SEEK_CHECK_VALUE(pct_start >= 0 && pct_start <= 1 && end1 > 0 && end1 < static_cast<double>(total) - 1.0,
                   "OneCycleLR: pct_start * total_steps - 1 must lie strictly between 0 and total_steps - 1, got "
                   "pct_start ",
                   pct_start, " and total_steps ", total);
  SEEK_CHECK_VALUE(div_factor > 0 && final_div_factor > 0,
                   "OneCycleLR: div_factor and final_div_factor must be "
                   "> 0, got ",
                   div_factor, " and ", final_div_factor);
  for (double m : max_lrs) SEEK_CHECK_VALUE(m >= 0, "OneCycleLR: max_lr must be >= 0, got ", m);
  for (size_t g = 0; g < groups.size(); ++g) groups[g].set_lr(max_lrs[g] / div_factor);
  return opt;
}
}  // namespace

OneCycleLR::OneCycleLR(Optimizer& opt, double max_lr, int64_t total_steps, double pct_start, double div_factor,
                       double final_div_factor, bool cycle_momentum, double base_momentum, double max_momentum)
    : OneCycleLR(opt, std::vector<double>(opt.param_groups().size(), max_lr), total_steps, pct_start, div_factor,
                 final_div_factor, cycle_momentum, base_momentum, max_momentum) {}

OneCycleLR::OneCycleLR(Optimizer& opt, std::vector<double> max_lrs, int64_t total_steps, double pct_start,
                       double div_factor, double final_div_factor, bool cycle_momentum, double base_momentum,
                       double max_momentum)
    : LRScheduler(one_cycle_prepare(opt, max_lrs, total_steps, pct_start, div_factor, final_div_factor), "OneCycleLR"),
      max_lrs_(std::move(max_lrs)),
      total_(total_steps),
      pct_start_(pct_start),
      div_factor_(div_factor),
      final_div_factor_(final_div_factor),
      cycle_momentum_(cycle_momentum),
      base_momentum_(base_momentum),
      max_momentum_(max_momentum) {
  if (cycle_momentum_) {
    for (const auto& [k, v] : opt.defaults().to_pairs())
      if (k == "beta1" || (k == "momentum" && momentum_key_.empty())) momentum_key_ = k;
    SEEK_CHECK_VALUE(!momentum_key_.empty(),
                     "OneCycleLR: cycle_momentum needs an optimizer with momentum or "
                     "beta1, ",
                     opt.name(), " has neither (pass cycle_momentum = false)");
    SEEK_CHECK_VALUE(base_momentum >= 0 && base_momentum <= max_momentum && max_momentum < 1,
                     "OneCycleLR: expected 0 <= base_momentum <= max_momentum < 1, got ", base_momentum, " and ",
                     max_momentum);
  }
  initial_step();
}

double OneCycleLR::anneal(double phase1_start, double peak, double phase2_end) const {
  const int64_t s = last_epoch();
  SEEK_CHECK_VALUE(s < total_, "OneCycleLR: tried to step ", s + 1, " times, but total_steps is ", total_);
  // Phase ends as in torch: pct_start * total - 1, then total - 1.
  const double end1 = pct_start_ * static_cast<double>(total_) - 1.0;
  const double end2 = static_cast<double>(total_) - 1.0;
  auto cos_anneal = [](double start, double end, double pct) {
    return end + (start - end) / 2.0 * (std::cos(std::numbers::pi * pct) + 1.0);
  };
  const double x = static_cast<double>(s);
  if (x <= end1) return cos_anneal(phase1_start, peak, x / end1);
  return cos_anneal(peak, phase2_end, (x - end1) / (end2 - end1));
}

std::vector<double> OneCycleLR::compute_lr() const {
  std::vector<double> lrs;
  for (double max_lr : max_lrs_) {
    const double initial = max_lr / div_factor_;
    lrs.push_back(anneal(initial, max_lr, initial / final_div_factor_));
  }
  return lrs;
}

void OneCycleLR::after_step() {
  if (!cycle_momentum_) return;
  const double m = anneal(max_momentum_, base_momentum_, max_momentum_);
  for (auto& g : optimizer().param_groups()) g.options->set(momentum_key_, m);
}

// ---- ReduceLROnPlateau ----

ReduceLROnPlateau::ReduceLROnPlateau(Optimizer& opt, Options options) : opt_(opt), o_(std::move(options)) {
  const char* op = "ReduceLROnPlateau";
  SEEK_CHECK_VALUE(o_.mode == "min" || o_.mode == "max", op, ": mode must be 'min' or 'max', got '", o_.mode, "'");
  SEEK_CHECK_VALUE(o_.threshold_mode == "rel" || o_.threshold_mode == "abs", op,
                   ": threshold_mode must be 'rel' or 'abs', got '", o_.threshold_mode, "'");
  SEEK_CHECK_VALUE(o_.factor >= 0 && o_.factor < 1, op, ": factor must be in [0, 1), got ", o_.factor);
  SEEK_CHECK_VALUE(o_.patience >= 0 && o_.cooldown >= 0, op, ": patience and cooldown must be >= 0, got ", o_.patience,
                   " and ", o_.cooldown);
  SEEK_CHECK_VALUE(o_.min_lr >= 0, op, ": min_lr must be >= 0, got ", o_.min_lr);
  best_ = o_.mode == "min" ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity();
  for (const auto& g : opt_.param_groups()) last_lr_.push_back(g.lr());
}

bool ReduceLROnPlateau::is_better(double a) const {
  const bool rel = o_.threshold_mode == "rel";
  if (o_.mode == "min") return a < (rel ? best_ * (1.0 - o_.threshold) : best_ - o_.threshold);
  return a > (rel ? best_ * (1.0 + o_.threshold) : best_ + o_.threshold);
}

void ReduceLROnPlateau::step(double metric) {
  ++last_epoch_;
  if (is_better(metric)) {
    best_ = metric;
    num_bad_epochs_ = 0;
  } else {
    ++num_bad_epochs_;
  }
  if (cooldown_counter_ > 0) {
    --cooldown_counter_;
    num_bad_epochs_ = 0;  // bad epochs in cooldown do not count
  }
  auto& groups = opt_.param_groups();
  if (num_bad_epochs_ > o_.patience) {
    for (auto& g : groups) {
      const double old_lr = g.lr();
      const double new_lr = std::max(old_lr * o_.factor, o_.min_lr);
      if (old_lr - new_lr > o_.eps) g.set_lr(new_lr);
    }
    cooldown_counter_ = o_.cooldown;
    num_bad_epochs_ = 0;
  }
  last_lr_.clear();
  for (const auto& g : groups) last_lr_.push_back(g.lr());
}

SchedulerStateDict ReduceLROnPlateau::state_dict() const {
  SchedulerStateDict d{{"last_epoch", static_cast<double>(last_epoch_)},
                       {"best", best_},
                       {"num_bad_epochs", static_cast<double>(num_bad_epochs_)},
                       {"cooldown_counter", static_cast<double>(cooldown_counter_)}};
  for (size_t g = 0; g < last_lr_.size(); ++g) d.emplace_back(str("last_lr.", g), last_lr_[g]);
  return d;
}

void ReduceLROnPlateau::load_state_dict(const SchedulerStateDict& dict) {
  const std::string op = "ReduceLROnPlateau";
  auto m = to_map(dict, op);
  const double epoch = take(m, "last_epoch", op), best = take(m, "best", op);
  const double bad = take(m, "num_bad_epochs", op), cool = take(m, "cooldown_counter", op);
  std::vector<double> last(opt_.param_groups().size());
  for (size_t g = 0; g < last.size(); ++g) last[g] = take(m, str("last_lr.", g), op);
  check_all_used(m, op);
  last_epoch_ = static_cast<int64_t>(epoch);
  best_ = best;
  num_bad_epochs_ = static_cast<int64_t>(bad);
  cooldown_counter_ = static_cast<int64_t>(cool);
  last_lr_ = std::move(last);
  for (size_t g = 0; g < last_lr_.size(); ++g) opt_.param_groups()[g].set_lr(last_lr_[g]);
}

}  // namespace seek::optim

// seek::amp::GradScaler (seek/amp/grad_scaler.h), with torch.amp.GradScaler's semantics.
//
// unscale_ multiplies and checks all gradients of a device in one fused pass
// (fused_mul_check_finite_, seek/ops/optim.h) where the device has the kernel; otherwise
// through ops:: per gradient: x * 0 is 0 for every finite x and NaN for inf and NaN, so
// `x * 0 != 0` marks exactly the non-finite elements. Either way one flag per device stays on
// the device until step() (or update()) reads it back once, as torch's step() does: unscale_
// itself queues work without a host sync, so clipping between unscale_ and step stays async.
#include "seek/amp/grad_scaler.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "seek/autograd/grad_mode.h"
#include "seek/core/error.h"
#include "seek/ops/creation.h"
#include "seek/ops/optim.h"

namespace seek::amp {
namespace {

void check_growth_factor(double v, const char* where) {
  SEEK_CHECK_VALUE(std::isfinite(v) && v > 1.0, where, ": growth_factor must be a finite number > 1, got ", v);
}
void check_backoff_factor(double v, const char* where) {
  SEEK_CHECK_VALUE(v > 0.0 && v < 1.0, where, ": backoff_factor must be in (0, 1), got ", v);
}
void check_growth_interval(int64_t v, const char* where) {
  SEEK_CHECK_VALUE(v > 0, where, ": growth_interval must be > 0, got ", v);
}
void check_scale(double v, const char* where, const char* name) {
  SEEK_CHECK_VALUE(std::isfinite(v) && v > 0.0, where, ": ", name, " must be a finite number > 0, got ", v);
}

// A state_dict value that must be a whole number in [lo, hi].
int64_t whole_number(double v, const char* key, double lo, double hi) {
  SEEK_CHECK_VALUE(std::isfinite(v) && v == std::floor(v) && v >= lo && v <= hi, "GradScaler::load_state_dict: \"", key,
                   "\" must be a whole number in [", lo, ", ", hi, "], got ", v);
  return static_cast<int64_t>(v);
}

}  // namespace

GradScaler::GradScaler(GradScalerOptions options) : options_(options), scale_(options.init_scale) {
  check_scale(options_.init_scale, "GradScaler", "init_scale");
  check_growth_factor(options_.growth_factor, "GradScaler");
  check_backoff_factor(options_.backoff_factor, "GradScaler");
  check_growth_interval(options_.growth_interval, "GradScaler");
}

GradScaler::PerOptimizer& GradScaler::record(optim::Optimizer& optimizer) { return per_optimizer_[&optimizer]; }

Tensor GradScaler::scale(const Tensor& loss) {
  SEEK_CHECK_VALUE(loss.defined(), "GradScaler::scale: the loss is an undefined tensor");
  if (!options_.enabled) return loss;
  SEEK_CHECK_VALUE(loss.is_floating_point(), "GradScaler::scale: expected a floating-point loss, got ",
                   dtype_name(loss.dtype()));
  return loss.mul(scale_);
}

void GradScaler::unscale_(optim::Optimizer& optimizer) {
  if (!options_.enabled) return;
  PerOptimizer& rec = record(optimizer);
  SEEK_CHECK(rec.stage != Stage::Unscaled,
             "GradScaler::unscale_: unscale_() has already been called on this optimizer since the last update()");
  SEEK_CHECK(rec.stage != Stage::Stepped,
             "GradScaler::unscale_: unscale_() is being called after step() (call "
             "update() first, then start the next iteration)");
  NoGradGuard no_grad;
  // The reciprocal in double, rounded to float, as PyTorch computes it; a power-of-two scale
  // makes the division exact.
  const double inv_scale = static_cast<double>(static_cast<float>(1.0 / scale_));
  // The gradients of each device in one fused pass (seek/ops/optim.h) where it can take them;
  // the rest op by op below.
  std::vector<std::pair<Device, std::vector<Tensor>>> by_device;
  for (const auto& group : optimizer.param_groups()) {
    for (const Tensor& p : group.params) {
      Tensor g = p.grad();
      if (!g.defined()) continue;
      auto it = by_device.begin();
      while (it != by_device.end() && it->first != g.device()) ++it;
      if (it == by_device.end())
        by_device.emplace_back(g.device(), std::vector<Tensor>{g});
      else
        it->second.push_back(g);
    }
  }
  std::vector<std::pair<Device, Tensor>> found;  // one accumulated flag per device
  for (const auto& [device, grads] : by_device) {
    const Tensor scale = full({}, inv_scale, TensorOptions(kFloat32).device(device));
    const Tensor flag = zeros({}, TensorOptions(kFloat32).device(device));
    if (!fused_mul_check_finite_(grads, scale, flag)) continue;
    found.emplace_back(device, flag.ne(0.0));
  }
  for (const auto& [device, grads] : by_device) {
    bool done = false;
    for (const auto& f : found) done = done || f.first == device;
    for (Tensor g : done ? std::vector<Tensor>{} : grads) {
      Tensor unscaled;
      if (g.dtype() == kFloat16 || g.dtype() == kBFloat16) {
        // f16 / bf16 gradients: multiply in f32, check in f32, write back rounded.
        unscaled = g.to(kFloat32).mul(inv_scale);
        g.copy_(unscaled);
      } else {
        g.mul_(inv_scale);
        unscaled = g;
      }
      const Tensor bad = unscaled.mul(0.0).ne(0.0).any();
      auto it = found.begin();
      while (it != found.end() && it->first != g.device()) ++it;
      if (it == found.end())
        found.emplace_back(g.device(), bad);
      else
        it->second = it->second.logical_or(bad);
    }
  }
  rec.pending.clear();
  for (const auto& [device, flag] : found) rec.pending.push_back(flag);
  rec.found_inf = false;
  rec.stage = Stage::Unscaled;
}

bool GradScaler::resolve_found_inf(PerOptimizer& rec) {
  bool any_bad = rec.found_inf;
  for (const Tensor& flag : rec.pending) any_bad = any_bad || flag.item<bool>();  // the host sync
  rec.pending.clear();
  rec.found_inf = any_bad;
  return any_bad;
}

bool GradScaler::step(optim::Optimizer& optimizer) {
  if (!options_.enabled) {
    optimizer.step();
    return true;
  }
  PerOptimizer& rec = record(optimizer);
  SEEK_CHECK(rec.stage != Stage::Stepped, "GradScaler::step: step() has already been called since the last update()");
  if (rec.stage == Stage::Ready) unscale_(optimizer);
  const bool run = !resolve_found_inf(rec);
  if (run) optimizer.step();
  rec.stage = Stage::Stepped;
  return run;
}

void GradScaler::update(std::optional<double> new_scale) {
  if (!options_.enabled) return;
  if (new_scale) {
    check_scale(*new_scale, "GradScaler::update", "new_scale");
    scale_ = *new_scale;
  } else {
    SEEK_CHECK(!per_optimizer_.empty() && std::any_of(per_optimizer_.begin(), per_optimizer_.end(),
                                                      [](const auto& kv) { return kv.second.stage != Stage::Ready; }),
               "GradScaler::update: no inf checks were recorded prior to update() (call unscale_() or step() "
               "for an optimizer first)");
    bool any_inf = false;
    for (auto& [opt, rec] : per_optimizer_) any_inf = resolve_found_inf(rec) || any_inf;
    if (any_inf) {
      scale_ *= options_.backoff_factor;
      growth_tracker_ = 0;
    } else if (++growth_tracker_ >= options_.growth_interval) {  // >=: the interval may have been lowered
      // As in PyTorch, the scale grows only while the grown value stays finite.
      const double grown = scale_ * options_.growth_factor;
      if (std::isfinite(static_cast<float>(grown))) scale_ = grown;
      growth_tracker_ = 0;
    }
  }
  per_optimizer_.clear();
}

double GradScaler::get_scale() const { return options_.enabled ? scale_ : 1.0; }

bool GradScaler::found_inf() const {
  for (const auto& [opt, rec] : per_optimizer_)
    if (rec.stage == Stage::Stepped && rec.found_inf) return true;
  return false;
}

void GradScaler::set_growth_factor(double v) {
  check_growth_factor(v, "GradScaler::set_growth_factor");
  options_.growth_factor = v;
}
void GradScaler::set_backoff_factor(double v) {
  check_backoff_factor(v, "GradScaler::set_backoff_factor");
  options_.backoff_factor = v;
}
void GradScaler::set_growth_interval(int64_t v) {
  check_growth_interval(v, "GradScaler::set_growth_interval");
  options_.growth_interval = v;
}

GradScalerState GradScaler::state_dict() const {
  if (!options_.enabled) return {};
  return {{"scale", scale_},
          {"growth_factor", options_.growth_factor},
          {"backoff_factor", options_.backoff_factor},
          {"growth_interval", static_cast<double>(options_.growth_interval)},
          {"_growth_tracker", static_cast<double>(growth_tracker_)}};
}

void GradScaler::load_state_dict(const GradScalerState& state) {
  if (!options_.enabled) return;
  constexpr const char* kWhere = "GradScaler::load_state_dict";
  SEEK_CHECK_VALUE(!state.empty(), kWhere,
                   ": the state dict is empty, possibly because it was saved from a disabled GradScaler");
  auto get = [&](const char* key) {
    auto it = state.find(key);
    SEEK_CHECK_VALUE(it != state.end(), kWhere, ": missing key \"", key, "\"");
    return it->second;
  };
  // Everything is checked before anything changes.
  const double scale = get("scale");
  check_scale(scale, kWhere, "scale");
  const double growth_factor = get("growth_factor");
  check_growth_factor(growth_factor, kWhere);
  const double backoff_factor = get("backoff_factor");
  check_backoff_factor(backoff_factor, kWhere);
  const int64_t growth_interval = whole_number(get("growth_interval"), "growth_interval", 1, 9.0e15);
  const int64_t tracker = whole_number(get("_growth_tracker"), "_growth_tracker", 0, 9.0e15);
  scale_ = scale;
  options_.growth_factor = growth_factor;
  options_.backoff_factor = backoff_factor;
  options_.growth_interval = growth_interval;
  growth_tracker_ = tracker;
}

}  // namespace seek::amp

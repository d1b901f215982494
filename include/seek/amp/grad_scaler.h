#pragma once
// seek::amp::GradScaler: loss scaling for float16 training, like torch.amp.GradScaler.
//
//   amp::GradScaler scaler;                     // scale 65536, x2 every 2000 clean steps, x0.5 on inf/NaN
//   optimizer.zero_grad();
//   { amp::AutocastGuard ac(DeviceType::CPU, kFloat16); loss = loss_fn(model.forward(x), y); }
//   scaler.scale(loss).backward();
//   scaler.unscale_(optimizer);                 // optional: before gradient clipping
//   optim::clip_grad_norm_(model.parameters(), 1.0);
//   scaler.step(optimizer);                     // skipped when any gradient is inf or NaN
//   scaler.update();
//
// scale(loss) multiplies by the current scale. unscale_(opt) divides the gradients of opt's
// parameters by the scale in place (in f32 arithmetic, whatever the gradient dtype) and records
// whether any of them is inf/NaN; calling it twice for one optimizer before update() is a
// RuntimeError. step(opt) unscales if that has not been done, then runs opt.step() unless an
// inf/NaN was found, and returns whether it ran. update() multiplies the scale by
// backoff_factor if any optimizer stepped over inf/NaN since the last update (and resets the
// growth tracker), else counts a clean step and multiplies by growth_factor after
// growth_interval clean steps in a row; update(new_scale) sets the scale directly.
// A disabled scaler (enabled = false) passes everything through: scale() returns the loss,
// step() just steps, update() does nothing.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "seek/core/tensor.h"
#include "seek/optim/optimizer.h"

namespace seek::amp {

struct GradScalerOptions {
  double init_scale = 65536.0;     // 2^16
  double growth_factor = 2.0;      // > 1
  double backoff_factor = 0.5;     // in (0, 1)
  int64_t growth_interval = 2000;  // > 0
  bool enabled = true;
};

// PyTorch's state_dict keys and values: "scale", "growth_factor", "backoff_factor",
// "growth_interval", "_growth_tracker". Empty for a disabled scaler.
using GradScalerState = std::map<std::string, double>;

class GradScaler {
 public:
  // ValueError naming the option for init_scale <= 0, growth_factor <= 1, backoff_factor outside
  // (0, 1) or growth_interval <= 0.
  explicit GradScaler(GradScalerOptions options = {});

  // loss * scale (same dtype and device as loss); ValueError for a non-floating loss.
  Tensor scale(const Tensor& loss);
  void unscale_(optim::Optimizer& optimizer);
  bool step(optim::Optimizer& optimizer);
  void update(std::optional<double> new_scale = std::nullopt);

  double get_scale() const;  // 1.0 when disabled
  bool is_enabled() const { return options_.enabled; }
  int64_t growth_tracker() const { return growth_tracker_; }
  // Whether the latest step() of any optimizer since the last update() was skipped.
  bool found_inf() const;

  double growth_factor() const { return options_.growth_factor; }
  double backoff_factor() const { return options_.backoff_factor; }
  int64_t growth_interval() const { return options_.growth_interval; }
  void set_growth_factor(double v);
  void set_backoff_factor(double v);
  void set_growth_interval(int64_t v);

  GradScalerState state_dict() const;
  // ValueError for missing keys or bad values (nothing changes then); an empty dict for an
  // enabled scaler is a ValueError too, as in PyTorch.
  void load_state_dict(const GradScalerState& state);

 private:
  enum class Stage { Ready, Unscaled, Stepped };
  struct PerOptimizer {
    Stage stage = Stage::Ready;
    bool found_inf = false;       // valid once `pending` has been read
    std::vector<Tensor> pending;  // unscale_'s per-device flags, still on their devices (no host sync yet)
  };
  // Reads rec's pending flags into rec.found_inf (the one host sync of a step, as torch's step()).
  static bool resolve_found_inf(PerOptimizer& rec);
  PerOptimizer& record(optim::Optimizer& optimizer);

  GradScalerOptions options_;
  double scale_;
  int64_t growth_tracker_ = 0;
  std::map<const optim::Optimizer*, PerOptimizer> per_optimizer_;
};

}  // namespace seek::amp

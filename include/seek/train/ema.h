#pragma once
// ModelEMA: an exponential moving average of a model's weights, as YOLOv5 keeps (utils/torch_utils.py):
//
//   updates += 1;  d = decay * (1 - exp(-updates / tau))
//   ema_v = d * ema_v + (1 - d) * model_v     for every floating-point parameter and buffer
//
// The ramp (1 - exp(-updates / tau)) makes the average follow the model closely early in training,
// when the weights move fast, and settle to `decay` later. Integer buffers (BatchNorm's
// num_batches_tracked) are copied, not averaged.
//
// C++ cannot deep-copy an arbitrary Module, so the caller builds a second instance of the same
// architecture (`ema_model`); ModelEMA copies the model's state into it, switches it to eval mode and
// switches off its gradients, and from then on updates it in place. Evaluate or export `module()`.
// The updates counter is part of state_dict() ("ema.updates"), so a resumed run continues the ramp
// exactly.
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "seek/nn/module.h"

namespace seek::train {

struct ModelEMAOptions {
  double decay = 0.9999;  // the final decay, in [0, 1)
  double tau = 2000.0;    // ramp time constant in updates (> 0)
  int64_t updates = 0;    // updates already done (a resumed run)
};

class ModelEMA {
 public:
  // Copies `model`'s state into `ema_model` (which must have the same state_dict keys, shapes and
  // dtypes: ValueError naming the first difference). Throws ValueError for a bad decay or tau or a
  // null ema_model.
  ModelEMA(std::shared_ptr<nn::Module> ema_model, const nn::Module& model, ModelEMAOptions options = {});

  // One EMA step towards `model`'s current weights (no autograd history is recorded).
  void update(const nn::Module& model);
  // decay_at(n): the d of the n-th update (0 for n = 0); current_decay(): that of the latest update.
  double decay_at(int64_t updates) const;
  double current_decay() const { return decay_at(updates_); }

  nn::Module& module() { return *ema_; }
  const nn::Module& module() const { return *ema_; }
  std::shared_ptr<nn::Module> module_ptr() const { return ema_; }
  int64_t updates() const { return updates_; }
  // Sets the counter (a resumed run whose EMA weights were restored with the model's checkpoint).
  void set_updates(int64_t updates);
  const ModelEMAOptions& options() const { return options_; }

  // The averaged weights (the EMA module's state_dict) plus "ema.updates" (an int64 0-dim tensor).
  nn::StateDict state_dict() const;
  // Restores both; ValueError when "ema.updates" is missing or a weight does not fit.
  void load_state_dict(const nn::StateDict& state);

 private:
  // The (model tensor, ema tensor) pairs update() averages or copies, matched by name.
  std::vector<std::pair<Tensor, Tensor>> pairs_with(const nn::Module& model) const;

  std::shared_ptr<nn::Module> ema_;
  ModelEMAOptions options_;
  int64_t updates_ = 0;
};

}  // namespace seek::train

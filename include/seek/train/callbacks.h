#pragma once
// Trainer callbacks (Keras / Lightning style). Each hook gets the Trainer, which a
// callback may read (epoch(), global_step(), last_metrics()) or ask to stop
// (trainer.request_stop(reason): the run ends after the current optimizer step, once that
// step's evaluation and checkpoint are done).
//
// Order within a run:
//   on_train_begin
//   per epoch: on_epoch_begin, per optimizer step: on_step_end [, on_evaluate],
//              [on_evaluate], on_epoch_end
//   on_train_end (also after a stop request)
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "seek/core/tensor.h"

namespace seek::train {

class Trainer;

// The loss of one optimizer step: a float64 0-dim tensor on the batches' device. Reading its
// value (item(), or the conversion to double) copies it to the host, a synchronisation with the
// device, the first time only; a callback that does not read it costs the step nothing.
class StepLoss {
 public:
  StepLoss() = default;
  explicit StepLoss(Tensor value) : value_(std::move(value)) {}
  const Tensor& tensor() const { return value_; }
  double item() const;
  operator double() const { return item(); }  // NOLINT: reads like the double it replaces

 private:
  Tensor value_;
  mutable std::optional<double> cached_;
};

// Metric values by name: "train_loss", "val_accuracy", "lr", "epoch", "step", ...
using MetricValues = std::map<std::string, double>;

class Callback {
 public:
  virtual ~Callback() = default;
  virtual void on_train_begin(Trainer&) {}
  virtual void on_train_end(Trainer&) {}
  // epoch: 0-based index of the epoch starting / ending.
  virtual void on_epoch_begin(Trainer&, int64_t /*epoch*/) {}
  // metrics: the epoch's training metrics (and the validation ones when it evaluated).
  virtual void on_epoch_end(Trainer&, int64_t /*epoch*/, const MetricValues& /*metrics*/) {}
  // step: optimizer steps done so far (1 after the first); loss: the mean unscaled loss of the
  // step's micro-batches, read back from the device only if the callback reads it.
  virtual void on_step_end(Trainer&, int64_t /*step*/, const StepLoss& /*loss*/) {}
  // metrics: "val_*" values of this evaluation.
  virtual void on_evaluate(Trainer&, const MetricValues& /*metrics*/) {}
};

}  // namespace seek::train

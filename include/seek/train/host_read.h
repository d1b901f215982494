#pragma once
// Read-backs from the device to the host in the train layer.
//
// The Trainer and the metrics keep their running numbers (loss sums, correct counts, a step's
// loss) as float64 tensors on the batches' device and read them back only where a number is
// needed on the host: at log points (progress lines, log_every_steps, evaluations, epoch ends),
// checkpoints, and when the user asks (Metric::compute(), StepLoss::item(), step_losses()).
// Every such read goes through read_scalar() / read_vector(), which count it, so that tests
// can check that training steps between log points make no host synchronisation.
#include <cstdint>
#include <vector>

#include "seek/core/tensor.h"

namespace seek::train::detail {

// The number of read-backs the train layer has made in this process.
int64_t host_reads();
// Reads a one-element tensor back to the host (one counted read).
double read_scalar(const Tensor& t);
// Reads a tensor's elements back to the host as float64 (one counted read).
std::vector<double> read_vector(const Tensor& t);

// A float64 running sum kept on the device of the tensors added to it. The terms are added in
// order, one by one, so the sum is the same double as adding their values on the host.
// value() reads it back when it changed since the last read.
class DeviceSum {
 public:
  void add(const Tensor& term);  // a one-element tensor, converted to float64 on its device
  void add(double term);         // a host number (added on the device once the sum lives there)
  double value() const;
  void set(double value);  // e.g. from a checkpoint; the next add() moves it to the device
  bool on_device() const { return device_.defined(); }

 private:
  mutable double host_ = 0;
  Tensor device_;  // when defined, the sum (host_ is its value if !stale_)
  mutable bool stale_ = false;
};

}  // namespace seek::train::detail

// Counted device-to-host read-backs and the on-device running sum of the train layer.
#include "seek/train/host_read.h"

#include <atomic>

#include "seek/autograd/grad_mode.h"
#include "seek/core/error.h"
#include "seek/ops/creation.h"
#include "seek/train/callbacks.h"

namespace seek::train::detail {
namespace {

std::atomic<int64_t> g_host_reads{0};

}  // namespace

int64_t host_reads() { return g_host_reads.load(std::memory_order_relaxed); }

double read_scalar(const Tensor& t) {
  g_host_reads.fetch_add(1, std::memory_order_relaxed);
  return t.item<double>();
}

std::vector<double> read_vector(const Tensor& t) {
  g_host_reads.fetch_add(1, std::memory_order_relaxed);
  return to_vector<double>(t);
}

void DeviceSum::add(const Tensor& term) {
  NoGradGuard no_grad;
  const Tensor t = term.detach().to(kFloat64).reshape(Shape{});
  // host_ + t: the same double as the host sum (an IEEE add commutes).
  device_ = device_.defined() ? device_.add(t) : t.add(host_);
  stale_ = true;
}

void DeviceSum::add(double term) {
  if (device_.defined()) {
    NoGradGuard no_grad;
    device_ = device_.add(term);
    stale_ = true;
  } else {
    host_ += term;
  }
}

double DeviceSum::value() const {
  if (stale_) {
    host_ = read_scalar(device_);
    stale_ = false;
  }
  return host_;
}

void DeviceSum::set(double value) {
  host_ = value;
  device_ = Tensor();
  stale_ = false;
}

}  // namespace seek::train::detail

namespace seek::train {

double StepLoss::item() const {
  SEEK_CHECK_VALUE(value_.defined(), "StepLoss: item() on an empty step loss");
  if (!cached_) cached_ = detail::read_scalar(value_);
  return *cached_;
}

}  // namespace seek::train

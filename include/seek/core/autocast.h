#pragma once
// Autocast (automatic mixed precision), like torch.autocast.
//
//   {
//     seek::amp::AutocastGuard guard(seek::DeviceType::CPU, seek::kBFloat16);
//     Tensor logits = model.forward(x);          // conv / matmul / linear run in bf16
//     Tensor loss = nn::functional::cross_entropy(logits, y);  // losses, norms, softmax in f32
//   }
//   loss.backward();                             // outside the scope, as PyTorch recommends
//
// The state is thread-local and per device type. Ops consult it through autocast_lower() and
// autocast_fp32() below (the op lists are in docs/mixed_precision.md): while autocast is on for
// a tensor's device,
//   - lower-precision ops (matmul, mm, bmm, addmm, linear, conv2d, conv_transpose2d, the
//     attention products) cast their f32 / f16 / bf16 floating inputs to the autocast dtype;
//   - fp32 ops (softmax, log_softmax, losses, batch/layer/group norm, sum/mean/prod/cumsum,
//     exp/log/pow, logsumexp) cast f16 / bf16 inputs to f32;
//   - float64, integer and bool tensors are never cast; other ops run in their inputs' dtypes
//     (binary ops promote as usual).
// The casts are differentiable, so gradients reach the f32 parameters ("master weights") in
// f32. Casts of leaf tensors that require grad (parameters) are cached for the lifetime of the
// outermost enabled scope (and re-made when the parameter's version changes), so a weight used
// twice is cast once. Backward never autocasts: the engine turns autocast off while it runs.
#include <optional>

#include "seek/core/device.h"
#include "seek/core/dtype.h"
#include "seek/core/tensor.h"

namespace seek::amp {

// Thread-local state, per device type.
bool is_autocast_enabled(DeviceType device_type);
void set_autocast_enabled(DeviceType device_type, bool enabled);
// The dtype lower-precision ops use: bf16 for the CPU and f16 for CUDA unless set (PyTorch's
// defaults). Only kFloat16 and kBFloat16 are accepted (DTypeError otherwise).
DType get_autocast_dtype(DeviceType device_type);
void set_autocast_dtype(DeviceType device_type, DType dtype);
bool is_autocast_cache_enabled();
void set_autocast_cache_enabled(bool enabled);
// Drops the cached casts of this thread (the outermost guard does this on exit).
void clear_autocast_cache();

// Enables (or, with enabled = false, disables) autocast for one device type for its lifetime
// and restores the previous state on exit, like `with torch.autocast(device_type, dtype)`.
// dtype nullopt keeps the current autocast dtype of that device type.
class AutocastGuard {
 public:
  explicit AutocastGuard(DeviceType device_type, std::optional<DType> dtype = std::nullopt, bool enabled = true,
                         bool cache_enabled = true);
  ~AutocastGuard();
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

 private:
  DeviceType device_type_;
  bool prev_enabled_;
  DType prev_dtype_;
  bool prev_cache_enabled_;
};

// For ops. When autocast is on for t's device: t cast to the autocast dtype if t is f32, f16 or
// bf16 (autocast_lower), or to f32 if t is f16 or bf16 (autocast_fp32). Otherwise (undefined,
// autocast off, other dtypes) t itself.
Tensor autocast_lower(const Tensor& t);
Tensor autocast_fp32(const Tensor& t);
// True when any device type has autocast on in this thread (one cheap check for the op paths).
bool any_autocast_enabled();

}  // namespace seek::amp

// Autocast state (thread-local, per device type) and the casts ops apply under it.
#include "seek/core/autocast.h"

#include <unordered_map>

#include "seek/core/error.h"

namespace seek::amp {
namespace {

constexpr int kDeviceTypes = 2;  // DeviceType::CPU, DeviceType::CUDA

int slot(DeviceType t) { return t == DeviceType::CUDA ? 1 : 0; }

struct CachedCast {
  Tensor source;  // held so that its address cannot be reused while cached
  uint64_t version;
  Tensor cast;
};

// Device types with autocast on in this thread. Kept outside State as a constant-initialised
// thread_local, so any_autocast_enabled() (on every hooked op's path) is one plain TLS read with
// no lazy-initialisation guard.
thread_local int t_enabled_count = 0;

struct State {
  bool enabled[kDeviceTypes] = {false, false};
  DType dtype[kDeviceTypes] = {kBFloat16, kFloat16};
  bool cache_enabled = true;
  int guard_depth = 0;  // guards alive (the outermost one clears the cache on exit)
  std::unordered_map<const TensorImpl*, CachedCast> cache;
};

State& state() {
  thread_local State s;
  return s;
}

void check_low_dtype(DType dtype, const char* where) {
  SEEK_CHECK_DTYPE(dtype == kFloat16 || dtype == kBFloat16, where,
                   ": autocast supports float16 and bfloat16 only, got ", dtype_name(dtype));
}

// t cast to dtype; leaf tensors that require grad (parameters) are cached while enabled.
Tensor cached_cast(const Tensor& t, DType dtype) {
  State& s = state();
  const bool cacheable = s.cache_enabled && t.is_leaf() && t.requires_grad();
  if (cacheable) {
    auto it = s.cache.find(t.impl());
    if (it != s.cache.end() && it->second.version == t.version() && it->second.cast.dtype() == dtype)
      return it->second.cast;
  }
  Tensor out = t.to(dtype);
  // Only casts that recorded history are reused: one made under no_grad has no edge to t.
  if (cacheable && out.requires_grad()) s.cache[t.impl()] = CachedCast{t, t.version(), out};
  return out;
}

}  // namespace

bool is_autocast_enabled(DeviceType device_type) { return state().enabled[slot(device_type)]; }

void set_autocast_enabled(DeviceType device_type, bool enabled) {
  State& s = state();
  bool& flag = s.enabled[slot(device_type)];
  if (flag != enabled) t_enabled_count += enabled ? 1 : -1;
  flag = enabled;
}

DType get_autocast_dtype(DeviceType device_type) { return state().dtype[slot(device_type)]; }

void set_autocast_dtype(DeviceType device_type, DType dtype) {
  check_low_dtype(dtype, "set_autocast_dtype");
  state().dtype[slot(device_type)] = dtype;
}

bool is_autocast_cache_enabled() { return state().cache_enabled; }
void set_autocast_cache_enabled(bool enabled) { state().cache_enabled = enabled; }
void clear_autocast_cache() { state().cache.clear(); }
bool any_autocast_enabled() { return t_enabled_count > 0; }

AutocastGuard::AutocastGuard(DeviceType device_type, std::optional<DType> dtype, bool enabled, bool cache_enabled)
    : device_type_(device_type),
      prev_enabled_(is_autocast_enabled(device_type)),
      prev_dtype_(get_autocast_dtype(device_type)),
      prev_cache_enabled_(is_autocast_cache_enabled()) {
  if (dtype) set_autocast_dtype(device_type, *dtype);  // checks the dtype first
  set_autocast_enabled(device_type, enabled);
  set_autocast_cache_enabled(cache_enabled);
  ++state().guard_depth;
}

AutocastGuard::~AutocastGuard() {
  State& s = state();
  set_autocast_enabled(device_type_, prev_enabled_);
  s.dtype[slot(device_type_)] = prev_dtype_;
  s.cache_enabled = prev_cache_enabled_;
  // Leaving the outermost scope drops the cached casts (parameters change between steps).
  if (--s.guard_depth == 0) s.cache.clear();
}

Tensor autocast_lower(const Tensor& t) {
  if (!any_autocast_enabled() || !t.defined()) return t;
  const DeviceType dt = t.device().type;
  if (!is_autocast_enabled(dt)) return t;
  const DType low = get_autocast_dtype(dt);
  const DType cur = t.dtype();
  if (cur == low || !(cur == kFloat32 || cur == kFloat16 || cur == kBFloat16)) return t;
  return cached_cast(t, low);
}

Tensor autocast_fp32(const Tensor& t) {
  if (!any_autocast_enabled() || !t.defined()) return t;
  if (!is_autocast_enabled(t.device().type)) return t;
  if (t.dtype() != kFloat16 && t.dtype() != kBFloat16) return t;
  return t.to(kFloat32);
}

}  // namespace seek::amp

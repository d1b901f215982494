// Streams, events and the current stream per device per thread (seek/cuda/stream.h).
// Stream(device, priority) takes the next stream of a fixed per-device pool
// (kPoolSize of normal and of high priority, created on first use and never
// destroyed, as torch's pool is), so stream handles live for the whole process:
// the caching allocator keys its pools by them. Pool streams are created with
// cudaStreamNonBlocking, so they do not serialise with the legacy default stream.
// The current stream is a thread_local handle per device (null: the default).
#include <array>
#include <atomic>
#include <mutex>
#include <vector>

#include "backend/cuda/cuda_backend.h"
#include "backend/cuda/cuda_check.h"
#include "seek/cuda.h"

namespace seek::cuda {

namespace {
constexpr size_t kPoolSize = 32;

int resolve(int device, const char* fn) {
  if (device_count() == 0) throw DeviceError(str("cuda::", fn, ": ", no_gpu_reason()));
  if (device < 0) return current_device();
  SEEK_CHECK_T(DeviceError, device < device_count(), "cuda::", fn, ": device ", device, " is not a visible GPU (",
               device_count(), " visible)");
  return device;
}

struct DevicePool {
  std::once_flag created;
  std::array<cudaStream_t, kPoolSize> normal{};
  std::array<cudaStream_t, kPoolSize> high{};
  int high_priority = 0;
  std::atomic<size_t> next_normal{0};
  std::atomic<size_t> next_high{0};
};

DevicePool& pool(int device) {
  static auto* pools = [] {
    auto* v = new std::vector<DevicePool>(static_cast<size_t>(device_count()));
    return v;
  }();
  DevicePool& p = (*pools)[static_cast<size_t>(device)];
  std::call_once(p.created, [&] {
    DeviceGuard guard(device, "Stream");
    int least = 0, greatest = 0;
    SEEK_CUDA_CHECK(cudaDeviceGetStreamPriorityRange(&least, &greatest));
    p.high_priority = greatest;
    for (size_t i = 0; i < kPoolSize; ++i) {
      SEEK_CUDA_CHECK(cudaStreamCreateWithPriority(&p.normal[i], cudaStreamNonBlocking, least));
      SEEK_CUDA_CHECK(cudaStreamCreateWithPriority(&p.high[i], cudaStreamNonBlocking, greatest));
    }
  });
  return p;
}

// This thread's current stream per device (handle null: the default stream).
struct Current {
  cudaStream_t handle = nullptr;
  int priority = 0;
};
std::vector<Current>& thread_streams() {
  thread_local std::vector<Current> s;
  return s;
}

Current thread_stream(int device) {
  auto& s = thread_streams();
  const auto d = static_cast<size_t>(device);
  return d < s.size() && s[d].handle ? s[d] : Current{cudaStreamLegacy, 0};
}

void set_thread_stream(int device, cudaStream_t handle, int priority) {
  auto& s = thread_streams();
  const auto d = static_cast<size_t>(device);
  if (s.size() <= d) s.resize(d + 1);
  s[d] = handle == cudaStreamLegacy ? Current{} : Current{handle, priority};
}
}  // namespace

// ---- Stream ----

Stream::Stream(int device, int priority) {
  device_ = resolve(device, "Stream");
  DevicePool& p = pool(device_);
  if (priority < 0) {
    handle_ = p.high[p.next_high++ % kPoolSize];
    priority_ = p.high_priority;
  } else {
    handle_ = p.normal[p.next_normal++ % kPoolSize];
    priority_ = 0;
  }
}

Stream Stream::default_stream(int device) {
  return Stream(Raw{}, resolve(device, "default_stream"), cudaStreamLegacy, 0);
}

bool Stream::is_default() const { return handle_ == cudaStreamLegacy; }

bool Stream::query() const {
  DeviceGuard guard(device_, "Stream::query");
  const cudaError_t err = cudaStreamQuery(handle_);
  if (err == cudaErrorNotReady) {
    cudaGetLastError();
    return false;
  }
  SEEK_CUDA_CHECK(err);
  return true;
}

void Stream::synchronize() const {
  DeviceGuard guard(device_, "Stream::synchronize");
  SEEK_CUDA_CHECK(cudaStreamSynchronize(handle_));
}

void Stream::wait_event(const Event& event) const {
  if (!event.is_recorded()) return;  // nothing to wait for, as in torch
  DeviceGuard guard(device_, "Stream::wait_event");
  SEEK_CUDA_CHECK(cudaStreamWaitEvent(handle_, event.handle(), 0));
}

void Stream::wait_stream(const Stream& other) const {
  if (other == *this) return;
  Event e;
  e.record(other);
  wait_event(e);
}

Event Stream::record_event() const {
  Event e;
  e.record(*this);
  return e;
}

void Stream::record_event(Event& event) const { event.record(*this); }

// ---- Event ----

Event::Event(bool enable_timing) : timing_(enable_timing) {}

Event::~Event() {
  if (event_) cudaEventDestroy(event_);  // never throws from a destructor
}

Event::Event(Event&& o) noexcept : event_(o.event_), device_(o.device_), timing_(o.timing_), recorded_(o.recorded_) {
  o.event_ = nullptr;
  o.recorded_ = false;
}

Event& Event::operator=(Event&& o) noexcept {
  if (this != &o) {
    if (event_) cudaEventDestroy(event_);
    event_ = o.event_;
    device_ = o.device_;
    timing_ = o.timing_;
    recorded_ = o.recorded_;
    o.event_ = nullptr;
    o.recorded_ = false;
  }
  return *this;
}

void Event::record() { record(current_stream()); }

void Event::record(const Stream& stream) {
  DeviceGuard guard(stream.device(), "Event::record");
  if (!event_) {
    SEEK_CUDA_CHECK(cudaEventCreateWithFlags(&event_, timing_ ? cudaEventDefault : cudaEventDisableTiming));
    device_ = stream.device();
  }
  SEEK_CHECK_T(DeviceError, device_ == stream.device(), "Event::record: the event belongs to cuda:", device_,
               " but the stream to cuda:", stream.device());
  SEEK_CUDA_CHECK(cudaEventRecord(event_, stream.handle()));
  recorded_ = true;
}

bool Event::query() const {
  if (!recorded_) return true;
  DeviceGuard guard(device_, "Event::query");
  const cudaError_t err = cudaEventQuery(event_);
  if (err == cudaErrorNotReady) {
    cudaGetLastError();
    return false;
  }
  SEEK_CUDA_CHECK(err);
  return true;
}

void Event::synchronize() const {
  if (!recorded_) return;
  DeviceGuard guard(device_, "Event::synchronize");
  SEEK_CUDA_CHECK(cudaEventSynchronize(event_));
}

float Event::elapsed_time(const Event& end) const {
  SEEK_CHECK_VALUE(timing_ && end.timing_, "Event::elapsed_time: both events need enable_timing=true");
  SEEK_CHECK_VALUE(recorded_ && end.recorded_, "Event::elapsed_time: both events must be recorded first");
  synchronize();
  end.synchronize();
  DeviceGuard guard(device_, "Event::elapsed_time");
  float ms = 0;
  SEEK_CUDA_CHECK(cudaEventElapsedTime(&ms, event_, end.event_));
  return ms;
}

void Event::wait(const Stream& stream) const { stream.wait_event(*this); }
void Event::wait() const {
  if (recorded_) current_stream(device_).wait_event(*this);
}

// ---- the current stream ----

Stream current_stream(int device) {
  const int d = device < 0 ? current_device() : resolve(device, "current_stream");
  const Current c = thread_stream(d);
  return Stream(Stream::Raw{}, d, c.handle, c.priority);
}

Stream default_stream(int device) { return Stream::default_stream(device); }

void set_stream(const Stream& stream) { set_thread_stream(stream.device(), stream.handle(), stream.priority()); }

StreamGuard::StreamGuard(const Stream& stream) : device_(stream.device()) {
  prev_device_ = current_device();
  const Current prev = thread_stream(device_);
  prev_stream_ = prev.handle;
  prev_priority_ = prev.priority;
  if (prev_device_ != device_) set_device(device_);
  set_stream(stream);
}

StreamGuard::~StreamGuard() {
  set_thread_stream(device_, prev_stream_, prev_priority_);
  if (prev_device_ != device_) cudaSetDevice(prev_device_);  // never throws from a destructor
}

void synchronize(int device) {
  DeviceGuard guard(resolve(device, "synchronize"), "synchronize");
  SEEK_CUDA_CHECK(cudaDeviceSynchronize());
}

}  // namespace seek::cuda

#pragma once
// Streams and events, like torch.cuda.Stream / torch.cuda.Event, and a current
// stream per device per thread (torch.cuda.current_stream / torch.cuda.stream).
// No CUDA header is needed: the handles are the runtime's own opaque types,
// declared here by name only (cudaStream_t is CUstream_st*, cudaEvent_t is
// CUevent_st*), so a Stream converts to a cudaStream_t wherever one is due,
// as c10::cuda::CUDAStream does. In a build without CUDA every function that
// needs a GPU throws DeviceError.
//
// Streams are cheap value handles. Stream(device, priority) hands out one of a
// fixed pool of streams per device and priority (round robin, created on first
// use and never destroyed, as torch's pool does), so a Stream stays valid for
// the whole process and the caching allocator may key blocks by it.
#include <cstdint>

struct CUstream_st;
struct CUevent_st;

namespace seek::cuda {

class Event;

class Stream {
 public:
  // A stream of `device` (-1: the current device) from its pool: priority 0 is
  // normal, a negative priority a higher one (as in torch; clamped to what the
  // device supports). Pool streams do not synchronise with the default stream.
  explicit Stream(int device = -1, int priority = 0);
  // The default (legacy) stream of `device`, which seek uses unless told otherwise.
  static Stream default_stream(int device = -1);

  int device() const { return device_; }
  int priority() const { return priority_; }
  CUstream_st* handle() const { return handle_; }
  operator CUstream_st*() const { return handle_; }  // NOLINT: usable as a cudaStream_t
  bool is_default() const;
  // A number naming the stream (its handle), as torch's stream.cuda_stream.
  uintptr_t id() const { return reinterpret_cast<uintptr_t>(handle_); }

  bool query() const;        // true when all work queued so far has finished
  void synchronize() const;  // blocks the host until it has
  // Work queued on this stream after the call waits for `event` / for all work
  // queued on `other` so far.
  void wait_event(const Event& event) const;
  void wait_stream(const Stream& other) const;
  Event record_event() const;  // a new event recorded on this stream
  void record_event(Event& event) const;

  bool operator==(const Stream& o) const { return handle_ == o.handle_ && device_ == o.device_; }
  bool operator!=(const Stream& o) const { return !(*this == o); }

 private:
  struct Raw {};
  Stream(Raw, int device, CUstream_st* handle, int priority) : handle_(handle), device_(device), priority_(priority) {}
  friend Stream current_stream(int device);
  CUstream_st* handle_ = nullptr;
  int device_ = 0;
  int priority_ = 0;
};

// An event on a device's timeline. Created on the device of the first stream it
// is recorded on; query() is true and synchronize() returns at once before that.
class Event {
 public:
  explicit Event(bool enable_timing = false);
  ~Event();
  Event(Event&& o) noexcept;
  Event& operator=(Event&& o) noexcept;
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  void record();  // on the current stream of the current device
  void record(const Stream& stream);
  bool query() const;        // true when the work before the record has finished
  void synchronize() const;  // blocks the host until it has
  // Milliseconds from this event to `end`; both recorded with enable_timing.
  // Waits for both to complete first.
  float elapsed_time(const Event& end) const;
  void wait(const Stream& stream) const;  // stream.wait_event(*this)
  void wait() const;                      // on the current stream

  bool is_recorded() const { return recorded_; }
  bool enable_timing() const { return timing_; }
  int device() const { return device_; }
  CUevent_st* handle() const { return event_; }

 private:
  CUevent_st* event_ = nullptr;
  int device_ = -1;
  bool timing_ = false;
  bool recorded_ = false;
};

// The stream seek queues work on for `device` (-1: the current device) in this
// thread: the default stream unless set_stream/StreamGuard chose another.
Stream current_stream(int device = -1);
Stream default_stream(int device = -1);
// Makes `stream` the current stream of its device in this thread.
void set_stream(const Stream& stream);

// Like `with torch.cuda.stream(s)`: makes s's device current and s its current
// stream for the guard's lifetime, then restores both.
class StreamGuard {
 public:
  explicit StreamGuard(const Stream& stream);
  ~StreamGuard();
  StreamGuard(const StreamGuard&) = delete;
  StreamGuard& operator=(const StreamGuard&) = delete;

 private:
  CUstream_st* prev_stream_ = nullptr;
  int prev_priority_ = 0;
  int prev_device_ = -1;
  int device_ = -1;
};

}  // namespace seek::cuda

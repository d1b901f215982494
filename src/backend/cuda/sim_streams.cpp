// Streams and events of the simulated device (SEEK_CUDA_SIM builds), with a
// faithful asynchronous-completion model. Work itself runs when it is queued
// (sim_runtime.cpp), but completion is bookkeeping, as a GPU would allow it:
// an event recorded on a non-default stream reports cudaErrorNotReady until
// the host synchronises with it: cudaEventSynchronize, cudaStreamSynchronize of
// its stream (or of a stream that waited for it), cudaDeviceSynchronize, or a
// synchronisation of the legacy default stream when the stream is a blocking one.
// Code that must not reuse memory before another stream is done with it (the
// caching allocator's cross-stream frees, pinned host buffers of async copies)
// is therefore tested on the simulator. Events on the default stream complete
// at once (the default stream is the synchronous one here).
//
// Each stream counts the events recorded on it (`recorded`) and how many of
// them the host knows complete (`completed`); an event is its (stream, seq).
// cudaStreamWaitEvent records (position, other stream, seq): completing the
// waiting stream past that position completes the awaited event too.
#include <set>
#include <vector>

#include "backend/cuda/sim_streams.h"
#include "seek/core/error.h"

using Wait = CUstream_st::Wait;

namespace seek::cuda::sim_detail {
namespace {

constexpr int kLeastPriority = 0;
constexpr int kGreatestPriority = -5;  // as an H100 reports

std::mutex& mu = sim_stream_mutex();
std::set<const void*>& handles() {
  static auto* h = new std::set<const void*>;  // never destroyed: handles may be released after main()
  return *h;
}
std::vector<CUstream_st*>& streams() {
  static auto* s = new std::vector<CUstream_st*>;
  return *s;
}
// Events the legacy stream of each device waited for (cudaStreamWaitEvent on it).
std::vector<std::vector<Wait>>& legacy_waits() {
  static auto* w = new std::vector<std::vector<Wait>>;
  return *w;
}

bool is_default(cudaStream_t s) { return s == nullptr || s == cudaStreamLegacy || s == cudaStreamPerThread; }
bool live(const void* h) { return handles().count(h) > 0; }

void complete(CUstream_st* s, uint64_t upto);
void complete_waits(std::vector<Wait>& waits, uint64_t upto) {
  std::vector<Wait> due;
  for (size_t i = 0; i < waits.size();) {
    if (waits[i].at < upto) {
      due.push_back(waits[i]);
      waits.erase(waits.begin() + static_cast<std::ptrdiff_t>(i));
    } else {
      ++i;
    }
  }
  for (const Wait& w : due) complete(w.other, w.seq);
}

// The host knows every event up to `upto` on `s` is complete (and what s waited for before them).
void complete(CUstream_st* s, uint64_t upto) {
  if (upto > s->recorded) upto = s->recorded;
  if (upto > s->completed) s->completed = upto;
  complete_waits(s->waits, upto);  // the waits queued before event `upto + 1`
}
void complete_all(CUstream_st* s) {
  s->completed = s->recorded;
  complete_waits(s->waits, UINT64_MAX);
}

bool event_done(const CUevent_st* e) { return !e->recorded || !e->stream || e->seq <= e->stream->completed; }
bool stream_done(const CUstream_st* s) {
  if (s->completed < s->recorded) return false;
  for (const Wait& w : s->waits)
    if (w.seq > w.other->completed) return false;
  return true;
}

cudaError_t fail(cudaError_t e, std::string d) { return sim_fail(e, std::move(d)); }

cudaError_t create_stream(cudaStream_t* s, unsigned flags, int priority, const char* call) {
  if (!s) return fail(cudaErrorInvalidValue, seek::str(call, ": null stream pointer"));
  if (sim_device_count() == 0) return fail(cudaErrorNoDevice, "no simulated device is visible");
  auto* st = new CUstream_st;
  st->device = sim_current_device();
  st->flags = flags;
  st->priority = priority > kLeastPriority      ? kLeastPriority
                 : priority < kGreatestPriority ? kGreatestPriority
                                                : priority;
  std::lock_guard<std::mutex> lock(mu);
  handles().insert(st);
  streams().push_back(st);
  *s = st;
  return cudaSuccess;
}

// At replay: records `e` on the stream the graph runs on, unless the event is gone.
void record_at_replay(cudaEvent_t e, cudaStream_t launch_stream) {
  {
    std::lock_guard<std::mutex> lock(mu);
    if (!live(e)) return;
  }
  cudaEventRecord(e, launch_stream);
}

}  // namespace

std::mutex& sim_stream_mutex() {
  static auto* m = new std::mutex;
  return *m;
}

bool sim_valid_stream(cudaStream_t s) {
  if (is_default(s)) return true;
  std::lock_guard<std::mutex> lock(mu);
  return live(s);
}

void sim_complete_device(int device) {
  std::lock_guard<std::mutex> lock(mu);
  for (CUstream_st* s : streams())
    if (s->device == device) complete_all(s);
  if (static_cast<size_t>(device) < legacy_waits().size()) legacy_waits()[static_cast<size_t>(device)].clear();
}

}  // namespace seek::cuda::sim_detail

using namespace seek::cuda::sim_detail;
using seek::str;

// ---- streams ----
cudaError_t cudaStreamCreateWithPriority(cudaStream_t* s, unsigned int flags, int priority) {
  return create_stream(s, flags, priority, "cudaStreamCreateWithPriority");
}
cudaError_t cudaStreamCreateWithFlags(cudaStream_t* s, unsigned int flags) {
  return create_stream(s, flags, 0, "cudaStreamCreateWithFlags");
}
cudaError_t cudaStreamCreate(cudaStream_t* s) { return create_stream(s, 0, 0, "cudaStreamCreate"); }

cudaError_t cudaStreamDestroy(cudaStream_t s) {
  std::lock_guard<std::mutex> lock(mu);
  if (is_default(s) || !handles().erase(s))
    return fail(cudaErrorInvalidResourceHandle, "cudaStreamDestroy: unknown stream");
  complete_all(s);  // the runtime finishes a destroyed stream's work
  auto& all = streams();
  for (size_t i = 0; i < all.size(); ++i)
    if (all[i] == s) all.erase(all.begin() + static_cast<std::ptrdiff_t>(i));
  // Events recorded on it and waits on it keep the pointer: leave the object alive (as a completed stream).
  return cudaSuccess;
}

cudaError_t cudaDeviceGetStreamPriorityRange(int* least, int* greatest) {
  if (least) *least = kLeastPriority;
  if (greatest) *greatest = kGreatestPriority;
  return cudaSuccess;
}

cudaError_t cudaStreamGetPriority(cudaStream_t s, int* priority) {
  if (!priority) return fail(cudaErrorInvalidValue, "cudaStreamGetPriority: null pointer");
  std::lock_guard<std::mutex> lock(mu);
  if (is_default(s)) {
    *priority = 0;
    return cudaSuccess;
  }
  if (!live(s)) return fail(cudaErrorInvalidResourceHandle, "cudaStreamGetPriority: unknown stream");
  *priority = s->priority;
  return cudaSuccess;
}

cudaError_t cudaStreamSynchronize(cudaStream_t s) {
  if (cudaError_t err = sim_check_sync(s, "cudaStreamSynchronize", s == nullptr || s == cudaStreamLegacy);
      err != cudaSuccess)
    return err;
  std::lock_guard<std::mutex> lock(mu);
  if (s == nullptr || s == cudaStreamLegacy) {
    // The legacy stream synchronises with every blocking stream of the device.
    const int dev = sim_current_device();
    for (CUstream_st* st : streams())
      if (st->device == dev && !(st->flags & cudaStreamNonBlocking)) complete_all(st);
    if (static_cast<size_t>(dev) < legacy_waits().size())
      complete_waits(legacy_waits()[static_cast<size_t>(dev)], UINT64_MAX);
    return cudaSuccess;
  }
  if (s == cudaStreamPerThread) return cudaSuccess;
  if (!live(s)) return fail(cudaErrorInvalidResourceHandle, "cudaStreamSynchronize: unknown stream");
  complete_all(s);
  return cudaSuccess;
}

cudaError_t cudaStreamQuery(cudaStream_t s) {
  if (cudaError_t err = sim_check_sync(s, "cudaStreamQuery", false); err != cudaSuccess) return err;
  std::lock_guard<std::mutex> lock(mu);
  if (is_default(s)) return cudaSuccess;
  if (!live(s)) return fail(cudaErrorInvalidResourceHandle, "cudaStreamQuery: unknown stream");
  return stream_done(s) ? cudaSuccess : cudaErrorNotReady;  // not-ready is not an error: no sticky state
}

// ---- events ----
cudaError_t cudaEventCreateWithFlags(cudaEvent_t* e, unsigned int flags) {
  if (!e) return fail(cudaErrorInvalidValue, "cudaEventCreate: null event pointer");
  auto* ev = new CUevent_st;
  ev->device = sim_current_device();
  ev->flags = flags;
  std::lock_guard<std::mutex> lock(mu);
  handles().insert(ev);
  *e = ev;
  return cudaSuccess;
}
cudaError_t cudaEventCreate(cudaEvent_t* e) { return cudaEventCreateWithFlags(e, 0); }

cudaError_t cudaEventDestroy(cudaEvent_t e) {
  {
    std::lock_guard<std::mutex> lock(mu);
    if (!handles().erase(e)) return fail(cudaErrorInvalidResourceHandle, "cudaEventDestroy: unknown event");
  }
  delete e;
  return cudaSuccess;
}

cudaError_t cudaEventRecord(cudaEvent_t e, cudaStream_t s) {
  std::lock_guard<std::mutex> lock(mu);
  if (!live(e)) return fail(cudaErrorInvalidResourceHandle, "cudaEventRecord: unknown event");
  if (!is_default(s) && !live(s)) return fail(cudaErrorInvalidResourceHandle, "cudaEventRecord: unknown stream");
  const int stream_device = is_default(s) ? sim_current_device() : s->device;
  if (stream_device != e->device)
    return fail(cudaErrorInvalidResourceHandle,
                str("cudaEventRecord: event of device ", e->device, " recorded on a stream of device ", stream_device));
  bool captured = false;
  if (cudaError_t err = sim_enqueue_locked(
          s, "cudaEventRecord", [e](cudaStream_t launch) { record_at_replay(e, launch); }, &captured);
      err != cudaSuccess)
    return err;
  if (captured) {  // an event of the capture: streams that wait for it fork from / join into it
    e->capture = s->capture;
    e->capture_stream = s;
    e->capture_mark = s->capture_nodes;  // the stream is joined where it waited for nothing queued later
    return cudaSuccess;
  }
  e->capture.reset();
  e->recorded = true;
  e->when = std::chrono::steady_clock::now();
  if (is_default(s)) {
    e->stream = nullptr;
  } else {
    e->stream = s;
    e->seq = ++s->recorded;
  }
  return cudaSuccess;
}

// Querying or waiting for an event recorded in a capture under way is cudaErrorCapturedEvent.
static bool captured_event(const CUevent_st* e) { return e->capture && !e->capture->ended; }

cudaError_t cudaEventQuery(cudaEvent_t e) {
  if (cudaError_t err = sim_check_unsafe("cudaEventQuery"); err != cudaSuccess) return err;
  std::lock_guard<std::mutex> lock(mu);
  if (!live(e)) return fail(cudaErrorInvalidResourceHandle, "cudaEventQuery: unknown event");
  if (captured_event(e))
    return fail(cudaErrorCapturedEvent, "cudaEventQuery: the event was recorded in a stream capture under way");
  return event_done(e) ? cudaSuccess : cudaErrorNotReady;
}

cudaError_t cudaEventSynchronize(cudaEvent_t e) {
  if (cudaError_t err = sim_check_unsafe("cudaEventSynchronize"); err != cudaSuccess) return err;
  std::lock_guard<std::mutex> lock(mu);
  if (!live(e)) return fail(cudaErrorInvalidResourceHandle, "cudaEventSynchronize: unknown event");
  if (captured_event(e))
    return fail(cudaErrorCapturedEvent, "cudaEventSynchronize: the event was recorded in a stream capture under way");
  if (e->recorded && e->stream) complete(e->stream, e->seq);
  return cudaSuccess;
}

cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t a, cudaEvent_t b) {
  std::lock_guard<std::mutex> lock(mu);
  if (!ms) return fail(cudaErrorInvalidValue, "cudaEventElapsedTime: null pointer");
  if (!live(a) || !live(b)) return fail(cudaErrorInvalidResourceHandle, "cudaEventElapsedTime: unknown event");
  if ((a->flags | b->flags) & cudaEventDisableTiming)
    return fail(cudaErrorInvalidResourceHandle, "cudaEventElapsedTime: an event was created with timing disabled");
  if (!a->recorded || !b->recorded)
    return fail(cudaErrorInvalidResourceHandle, "cudaEventElapsedTime: an event was not recorded");
  if (!event_done(a) || !event_done(b)) return cudaErrorNotReady;
  *ms = std::chrono::duration<float, std::milli>(b->when - a->when).count();
  return cudaSuccess;
}

cudaError_t cudaStreamWaitEvent(cudaStream_t s, cudaEvent_t e, unsigned int) {
  std::lock_guard<std::mutex> lock(mu);
  if (!live(e) || (!is_default(s) && !live(s)))
    return fail(cudaErrorInvalidResourceHandle, "cudaStreamWaitEvent: unknown stream or event");
  bool in_capture = false;
  if (cudaError_t err = sim_capture_wait_locked(s, e, &in_capture); err != cudaSuccess || in_capture) return err;
  if (event_done(e) || e->stream == s) return cudaSuccess;  // nothing to wait for / stream order
  if (is_default(s)) {
    auto& w = legacy_waits();
    const auto dev = static_cast<size_t>(sim_current_device());
    if (w.size() <= dev) w.resize(dev + 1);
    w[dev].push_back(Wait{0, e->stream, e->seq});
  } else {
    s->waits.push_back(Wait{s->recorded, e->stream, e->seq});
  }
  return cudaSuccess;
}

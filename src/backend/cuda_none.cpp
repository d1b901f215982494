// seek/cuda.h for a build without CUDA (SEEK_CUDA=OFF or no toolkit): nothing
// is available, memory figures are 0, and anything that needs a GPU throws
// DeviceError. With CUDA, src/backend/cuda/ defines these functions instead
// (and the Tensor members pin_memory / is_pinned / record_stream).
#include "seek/core/error.h"
#include "seek/core/tensor.h"
#include "seek/cuda.h"
#include "seek/cuda/graph.h"

namespace seek::cuda {

namespace {
[[noreturn]] void no_cuda(const char* fn) {
  throw DeviceError(str("cuda::", fn, ": seek was built without CUDA (rebuild with -DSEEK_CUDA=ON)"));
}
}  // namespace

bool is_available() { return false; }
int device_count() { return 0; }
int current_device() { no_cuda("current_device"); }
void set_device(int) { no_cuda("set_device"); }
void synchronize() { no_cuda("synchronize"); }
void synchronize(int) { no_cuda("synchronize"); }
DeviceProperties get_device_properties(int) { no_cuda("get_device_properties"); }

// -1 (the current device) reads as "nothing allocated"; a named device does not exist.
MemoryStats memory_stats(int device) {
  if (device >= 0) no_cuda("memory_stats");
  return {};
}
size_t memory_allocated(int device) { return memory_stats(device).allocated; }
size_t memory_reserved(int device) { return memory_stats(device).reserved; }
size_t max_memory_allocated(int device) { return memory_stats(device).peak_allocated; }
size_t max_memory_reserved(int device) { return memory_stats(device).peak_reserved; }
void reset_peak_memory_stats(int device) { memory_stats(device); }
void reset_accumulated_memory_stats(int device) { memory_stats(device); }
std::string memory_summary(int device) {
  memory_stats(device);
  return "seek CUDA memory summary: seek was built without CUDA (no device memory)\n";
}
void empty_cache() {}

BuildConfig build_config() { return {}; }
std::string build_info() { return "seek built without CUDA"; }
int cudnn_version() { return 0; }

// ---- streams and events: none without CUDA ----
Stream::Stream(int, int) { no_cuda("Stream"); }
Stream Stream::default_stream(int) { no_cuda("default_stream"); }
bool Stream::is_default() const { no_cuda("Stream::is_default"); }
bool Stream::query() const { no_cuda("Stream::query"); }
void Stream::synchronize() const { no_cuda("Stream::synchronize"); }
void Stream::wait_event(const Event&) const { no_cuda("Stream::wait_event"); }
void Stream::wait_stream(const Stream&) const { no_cuda("Stream::wait_stream"); }
Event Stream::record_event() const { no_cuda("Stream::record_event"); }
void Stream::record_event(Event&) const { no_cuda("Stream::record_event"); }

// An Event can be made (torch allows it too); using it needs a GPU.
Event::Event(bool enable_timing) : timing_(enable_timing) {}
Event::~Event() = default;
Event::Event(Event&& o) noexcept : event_(o.event_), device_(o.device_), timing_(o.timing_), recorded_(o.recorded_) {}
Event& Event::operator=(Event&& o) noexcept {
  timing_ = o.timing_;
  return *this;
}
void Event::record() { no_cuda("Event::record"); }
void Event::record(const Stream&) { no_cuda("Event::record"); }
bool Event::query() const { return true; }  // never recorded: nothing to wait for
void Event::synchronize() const {}
float Event::elapsed_time(const Event&) const { no_cuda("Event::elapsed_time"); }
void Event::wait(const Stream&) const { no_cuda("Event::wait"); }
void Event::wait() const { no_cuda("Event::wait"); }

Stream current_stream(int) { no_cuda("current_stream"); }
Stream default_stream(int) { no_cuda("default_stream"); }
void set_stream(const Stream&) { no_cuda("set_stream"); }
StreamGuard::StreamGuard(const Stream&) { no_cuda("StreamGuard"); }
StreamGuard::~StreamGuard() = default;

}  // namespace seek::cuda

namespace seek {

// Like torch without CUDA: pinning needs a GPU runtime; nothing is ever pinned.
Tensor Tensor::pin_memory() const {
  throw DeviceError(
      "pin_memory: pinned memory needs CUDA, and seek was built without CUDA "
      "(rebuild with -DSEEK_CUDA=ON)");
}
bool Tensor::is_pinned() const { return false; }
void Tensor::record_stream(const cuda::Stream&) const {
  throw DeviceError("record_stream: seek was built without CUDA (rebuild with -DSEEK_CUDA=ON)");
}

}  // namespace seek

// CUDA graphs (seek/cuda/graph.h): nothing ever captures without CUDA.

namespace seek::cuda {
MempoolId graph_pool_handle() { no_cuda("graph_pool_handle"); }
bool is_current_stream_capturing() { return false; }
void check_not_capturing(const char*) {}
CUDAGraph::~CUDAGraph() = default;
void CUDAGraph::capture_begin(MempoolId, CaptureErrorMode) { no_cuda("CUDAGraph::capture_begin"); }
void CUDAGraph::capture_end() { no_cuda("CUDAGraph::capture_end"); }
void CUDAGraph::replay() { no_cuda("CUDAGraph::replay"); }
void CUDAGraph::reset() {}
void CUDAGraph::abandon_capture() noexcept {}
GraphCapture::GraphCapture(CUDAGraph& graph, MempoolId, std::optional<Stream>, CaptureErrorMode) : graph_(graph) {
  no_cuda("GraphCapture");
}
GraphCapture::~GraphCapture() noexcept(false) = default;
void GraphCapture::end() {}
}  // namespace seek::cuda

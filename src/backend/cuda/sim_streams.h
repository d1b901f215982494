#pragma once
// Shared between the simulated runtime's files (SEEK_CUDA_SIM builds only).
#include <cuda_runtime_api.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace seek::cuda::sim_detail {

// sim_runtime.cpp: the per-thread error state and the current device.
cudaError_t sim_fail(cudaError_t err, std::string detail);
int sim_current_device();
int sim_device_count();

// sim_streams.cpp: whether `s` is a live stream (or a default one), and
// cudaDeviceSynchronize's effect on the event model.
bool sim_valid_stream(cudaStream_t s);
void sim_complete_device(int device);

// ---- stream capture (sim_graph.cpp) ----
// A captured piece of work, run at replay with the stream the graph is launched on.
using SimNode = std::function<void(cudaStream_t launch_stream)>;

// One capture sequence (cudaStreamBeginCapture .. cudaStreamEndCapture): the
// work of every stream that joined it, in the order it was queued. The
// simulator runs everything in queue order, so one list is a valid schedule
// of the graph's dependencies.
struct SimCapture {
  unsigned long long id = 0;
  cudaStreamCaptureMode mode = cudaStreamCaptureModeGlobal;
  std::thread::id thread;  // the thread that began it
  CUstream_st* origin = nullptr;
  int device = 0;
  bool invalidated = false;
  bool ended = false;
  std::vector<SimNode> nodes;
  std::vector<CUstream_st*> streams;  // every stream in the capture, the origin first
};

// Queues `node` on stream `s`: when `s` is being captured the node is kept for
// the graph (*captured = true); otherwise the caller runs the work now. Fails
// (invalidating the capture) where CUDA would: work on an invalidated capture,
// work on the legacy stream that would implicitly synchronise with a capturing
// blocking stream. `what` names the call in error messages.
cudaError_t sim_enqueue(cudaStream_t s, const char* what, SimNode node, bool* captured);
// A call that may not run while this thread is prohibited from "unsafe" calls
// (a global-mode capture anywhere, or a non-relaxed capture begun by this
// thread): cudaMemcpy/cudaMemset (synchronous), cudaFree, event queries...
// Fails with cudaErrorStreamCaptureUnsupported and invalidates those captures.
cudaError_t sim_check_unsafe(const char* what);
// A host synchronisation with stream `s` (null: the whole current device):
// fails with cudaErrorStreamCaptureUnsupported when it would wait for a
// capturing stream, and invalidates that capture.
cudaError_t sim_check_sync(cudaStream_t s, const char* what, bool whole_device);
// Number of captures under way in the process (a cheap test for the launch path).
bool sim_any_capture();
// The same two with the stream mutex held (sim_streams.cpp's event calls).
cudaError_t sim_enqueue_locked(cudaStream_t s, const char* what, SimNode node, bool* captured);
// cudaStreamWaitEvent's capture rules (fork, join, isolation); *handled when it involved a capture.
cudaError_t sim_capture_wait_locked(CUstream_st* s, CUevent_st* e, bool* handled);

std::mutex& sim_stream_mutex();  // guards every stream, event and capture

}  // namespace seek::cuda::sim_detail

// The runtime's opaque handle types, defined by the simulator.
struct CUstream_st {
  int device = 0;
  int priority = 0;
  unsigned flags = 0;
  uint64_t recorded = 0;
  uint64_t completed = 0;
  struct Wait {
    uint64_t at;  // the waiting stream's `recorded` when it waited
    CUstream_st* other;
    uint64_t seq;
  };
  std::vector<Wait> waits;
  // Stream capture: the capture this stream takes part in (null: none), the
  // nodes it queued into it, and whether its latest work has been joined back
  // into the origin stream (through an event the origin or a joined stream waited for).
  std::shared_ptr<seek::cuda::sim_detail::SimCapture> capture;
  uint64_t capture_nodes = 0;
  bool unjoined = false;
};
struct CUevent_st {
  int device = 0;
  unsigned flags = 0;
  bool recorded = false;
  CUstream_st* stream = nullptr;  // null: recorded on a default stream (complete)
  uint64_t seq = 0;
  std::chrono::steady_clock::time_point when;
  // Last recorded in a capture: that capture, the stream, and its capture_nodes then.
  std::shared_ptr<seek::cuda::sim_detail::SimCapture> capture;
  CUstream_st* capture_stream = nullptr;
  uint64_t capture_mark = 0;
};
struct CUgraph_st {
  std::vector<seek::cuda::sim_detail::SimNode> nodes;
};
struct CUgraphExec_st {
  std::vector<seek::cuda::sim_detail::SimNode> nodes;
};

// Stream capture and CUDA graphs on the simulated device (SEEK_CUDA_SIM builds),
// with the runtime's API and error semantics so that the same seek code runs on
// a GPU. While a stream captures, the work queued on it (kernel launches from
// kernels/launch.cuh, cudaMemcpyAsync/cudaMemsetAsync, event records) becomes
// a node instead of running: a closure holding copies of the kernel arguments,
// as CUDA copies them at capture. A graph is the capture's node list; the
// simulator runs all work in queue order, so that list is a valid order of
// the graph's dependencies, and cudaGraphLaunch runs it node by node.
//
// Streams join a capture by waiting for an event recorded in it (fork) and
// must be joined back into the origin stream (an event recorded after their
// last work, waited for by a stream of the capture) before cudaStreamEndCapture,
// else cudaErrorStreamCaptureUnjoined. What CUDA forbids during a capture fails
// with CUDA's error and invalidates the capture: synchronising with a capturing
// stream (cudaErrorStreamCaptureUnsupported), "unsafe" calls (synchronous
// copies, cudaFree, event queries) from a thread that a capture's mode
// prohibits them in, legacy-stream work that would depend on a capturing
// blocking stream (cudaErrorStreamCaptureImplicit), and dependencies across
// the capture's boundary (cudaErrorStreamCaptureIsolation).
#include <atomic>
#include <set>
#include <source_location>

#include "backend/cuda/cuda_check.h"
#include "backend/cuda/sim_streams.h"
#include "seek/core/error.h"

namespace seek::cuda::sim_detail {
namespace {

std::atomic<int> active_captures{0};
std::atomic<unsigned long long> next_capture_id{1};
thread_local cudaStreamCaptureMode thread_mode = cudaStreamCaptureModeGlobal;

std::vector<std::shared_ptr<SimCapture>>& captures() {  // under way (not yet ended)
  static auto* c = new std::vector<std::shared_ptr<SimCapture>>;
  return *c;
}
std::set<const void*>& graph_handles() {
  static auto* h = new std::set<const void*>;
  return *h;
}

bool is_legacy(cudaStream_t s) { return s == nullptr || s == cudaStreamLegacy; }
bool is_default(cudaStream_t s) { return is_legacy(s) || s == cudaStreamPerThread; }

cudaError_t invalidate(SimCapture& c, cudaError_t err, std::string detail) {
  c.invalidated = true;
  return sim_fail(err, detail + " (the stream capture is invalidated)");
}

// Whether this thread may not make "unsafe" calls now (cudaThreadExchangeStreamCaptureMode's rules).
bool prohibits(const SimCapture& c) {
  if (thread_mode == cudaStreamCaptureModeRelaxed) return false;
  if (c.thread == std::this_thread::get_id()) return c.mode != cudaStreamCaptureModeRelaxed;
  return thread_mode == cudaStreamCaptureModeGlobal && c.mode == cudaStreamCaptureModeGlobal;
}

// The caller holds the stream mutex.
cudaError_t check_unsafe_locked(const char* what) {
  cudaError_t err = cudaSuccess;
  for (auto& c : captures())
    if (prohibits(*c))
      err = invalidate(*c, cudaErrorStreamCaptureUnsupported,
                       seek::str(what, " is not allowed while a stream capture is under way (capture mode ",
                                 c->mode == cudaStreamCaptureModeGlobal ? "global" : "thread-local", ")"));
  return err;
}

cudaError_t enqueue_locked(cudaStream_t s, const char* what, SimNode& node, bool* captured) {
  *captured = false;
  if (is_legacy(s)) {
    const int dev = sim_current_device();
    cudaError_t err = cudaSuccess;
    for (auto& c : captures()) {
      if (c->device != dev) continue;
      for (CUstream_st* st : c->streams)
        if (!(st->flags & cudaStreamNonBlocking)) {
          err =
              invalidate(*c, cudaErrorStreamCaptureImplicit,
                         seek::str(what, " on the legacy default stream would depend on a capturing blocking stream"));
          break;
        }
    }
    if (err != cudaSuccess) return err;
    return check_unsafe_locked(seek::str(what, " on the legacy default stream").c_str());
  }
  if (is_default(s) || !s->capture) return cudaSuccess;
  SimCapture& c = *s->capture;
  if (c.invalidated)
    return sim_fail(cudaErrorStreamCaptureInvalidated,
                    seek::str(what, ": the stream's capture was invalidated by an earlier error"));
  c.nodes.push_back(std::move(node));
  ++s->capture_nodes;
  s->unjoined = s != c.origin;
  *captured = true;
  return cudaSuccess;
}

void end_locked(const std::shared_ptr<SimCapture>& c) {
  for (CUstream_st* st : c->streams) {
    st->capture.reset();
    st->capture_nodes = 0;
    st->unjoined = false;
  }
  auto& all = captures();
  for (size_t i = 0; i < all.size(); ++i)
    if (all[i] == c) {
      all.erase(all.begin() + static_cast<std::ptrdiff_t>(i));
      --active_captures;
      break;
    }
}

bool live_graph(const void* g) { return graph_handles().count(g) > 0; }

}  // namespace

bool sim_any_capture() { return active_captures.load(std::memory_order_relaxed) > 0; }

cudaError_t sim_enqueue(cudaStream_t s, const char* what, SimNode node, bool* captured) {
  *captured = false;
  if (!sim_any_capture()) return cudaSuccess;
  std::lock_guard<std::mutex> lock(sim_stream_mutex());
  return enqueue_locked(s, what, node, captured);
}

cudaError_t sim_enqueue_locked(cudaStream_t s, const char* what, SimNode node, bool* captured) {
  return enqueue_locked(s, what, node, captured);
}

cudaError_t sim_check_unsafe(const char* what) {
  if (!sim_any_capture()) return cudaSuccess;
  std::lock_guard<std::mutex> lock(sim_stream_mutex());
  return check_unsafe_locked(what);
}

cudaError_t sim_check_sync(cudaStream_t s, const char* what, bool whole_device) {
  if (!sim_any_capture()) return cudaSuccess;
  std::lock_guard<std::mutex> lock(sim_stream_mutex());
  cudaError_t err = cudaSuccess;
  if (whole_device) {
    const int dev = sim_current_device();
    for (auto& c : captures())
      if (c->device == dev)
        err = invalidate(*c, cudaErrorStreamCaptureUnsupported,
                         seek::str(what, " would wait for a stream that is being captured"));
    return err;
  }
  if (!is_default(s) && s->capture)
    return invalidate(*s->capture, cudaErrorStreamCaptureUnsupported,
                      seek::str(what, " of a stream that is being captured"));
  return cudaSuccess;
}

// launch.cuh's hook: queues a kernel launch (or captures it); throws as the nvcc build's launch check does.
bool capture_launch(cudaStream_t stream, std::function<void()> run, const std::source_location& where) {
  bool captured = false;
  const cudaError_t err = sim_enqueue(
      stream, "kernel launch", [run = std::move(run)](cudaStream_t) { run(); }, &captured);
  if (err != cudaSuccess)
    detail::throw_cuda_error(err, "kernel launch", where.file_name(), static_cast<int>(where.line()));
  return captured;
}

// Joins, forks and boundary checks of cudaStreamWaitEvent; the caller holds the mutex.
// Returns cudaSuccess with *handled = true when the event belongs to a capture.
cudaError_t sim_capture_wait_locked(CUstream_st* s, CUevent_st* e, bool* handled) {
  *handled = false;
  const bool event_captured = e->capture && !e->capture->ended;
  const bool stream_captures = s && s != cudaStreamLegacy && s != cudaStreamPerThread && s->capture;
  if (!event_captured) {
    if (stream_captures && e->recorded && e->stream != s) {
      *handled = true;
      return invalidate(*s->capture, cudaErrorStreamCaptureIsolation,
                        "cudaStreamWaitEvent: a capturing stream waits for an event recorded outside the capture");
    }
    return cudaSuccess;
  }
  *handled = true;
  SimCapture& c = *e->capture;
  if (is_default(s))
    return invalidate(c, cudaErrorStreamCaptureImplicit,
                      "cudaStreamWaitEvent: a default stream waits for an event recorded in a capture");
  if (!s->capture) {  // fork: s joins the capture
    s->capture = e->capture;
    s->capture_nodes = 0;
    s->unjoined = false;
    c.streams.push_back(s);
    return cudaSuccess;
  }
  if (s->capture != e->capture) {
    invalidate(*s->capture, cudaErrorStreamCaptureIsolation, "");
    return invalidate(c, cudaErrorStreamCaptureIsolation,
                      "cudaStreamWaitEvent: a stream of one capture waits for an event of another capture");
  }
  if (e->capture_stream != s && e->capture_mark == e->capture_stream->capture_nodes)
    e->capture_stream->unjoined = false;  // join: all of that stream's work so far is before this point
  return cudaSuccess;
}

}  // namespace seek::cuda::sim_detail

using namespace seek::cuda::sim_detail;
using seek::str;

cudaError_t cudaStreamBeginCapture(cudaStream_t s, enum cudaStreamCaptureMode mode) {
  if (mode != cudaStreamCaptureModeGlobal && mode != cudaStreamCaptureModeThreadLocal &&
      mode != cudaStreamCaptureModeRelaxed)
    return sim_fail(cudaErrorInvalidValue, str("cudaStreamBeginCapture: unknown mode ", static_cast<int>(mode)));
  if (is_default(s))
    return sim_fail(cudaErrorStreamCaptureUnsupported,
                    "cudaStreamBeginCapture: a default stream cannot be captured (capture on a created stream)");
  if (!sim_valid_stream(s)) return sim_fail(cudaErrorInvalidResourceHandle, "cudaStreamBeginCapture: unknown stream");
  std::lock_guard<std::mutex> lock(sim_stream_mutex());
  if (s->capture) return sim_fail(cudaErrorIllegalState, "cudaStreamBeginCapture: the stream is already capturing");
  auto c = std::make_shared<SimCapture>();
  c->id = next_capture_id++;
  c->mode = mode;
  c->thread = std::this_thread::get_id();
  c->origin = s;
  c->device = s->device;
  c->streams.push_back(s);
  s->capture = c;
  s->capture_nodes = 0;
  s->unjoined = false;
  captures().push_back(c);
  ++active_captures;
  return cudaSuccess;
}

cudaError_t cudaStreamEndCapture(cudaStream_t s, cudaGraph_t* graph) {
  if (!graph) return sim_fail(cudaErrorInvalidValue, "cudaStreamEndCapture: null graph pointer");
  *graph = nullptr;
  if (is_default(s) || !sim_valid_stream(s))
    return sim_fail(cudaErrorIllegalState, "cudaStreamEndCapture: the stream is not capturing");
  std::lock_guard<std::mutex> lock(sim_stream_mutex());
  if (!s->capture) return sim_fail(cudaErrorIllegalState, "cudaStreamEndCapture: the stream is not capturing");
  std::shared_ptr<SimCapture> c = s->capture;
  if (c->origin != s)
    return invalidate(*c, cudaErrorStreamCaptureUnmatched,
                      "cudaStreamEndCapture: called on a stream that joined the capture, not on the one that began it");
  if (c->mode != cudaStreamCaptureModeRelaxed && c->thread != std::this_thread::get_id())
    return sim_fail(cudaErrorStreamCaptureWrongThread,
                    "cudaStreamEndCapture: called from another thread than cudaStreamBeginCapture");
  bool unjoined = false;
  for (CUstream_st* st : c->streams) unjoined = unjoined || st->unjoined;
  c->ended = true;
  end_locked(c);
  if (c->invalidated)
    return sim_fail(cudaErrorStreamCaptureInvalidated,
                    "cudaStreamEndCapture: the capture was invalidated by an operation not allowed during capture");
  if (unjoined)
    return sim_fail(cudaErrorStreamCaptureUnjoined,
                    "cudaStreamEndCapture: a stream forked into the capture has work not joined back into the origin");
  auto* g = new CUgraph_st;
  g->nodes = std::move(c->nodes);
  graph_handles().insert(g);
  *graph = g;
  return cudaSuccess;
}

cudaError_t cudaStreamIsCapturing(cudaStream_t s, enum cudaStreamCaptureStatus* status) {
  return cudaStreamGetCaptureInfo(s, status, nullptr, nullptr, nullptr, nullptr, nullptr);
}

cudaError_t cudaStreamGetCaptureInfo(cudaStream_t s, enum cudaStreamCaptureStatus* status, unsigned long long* id,
                                     cudaGraph_t* graph, const cudaGraphNode_t** deps, const cudaGraphEdgeData** edges,
                                     size_t* num_deps) {
  if (!status) return sim_fail(cudaErrorInvalidValue, "cudaStreamGetCaptureInfo: null status pointer");
  if (graph) *graph = nullptr;  // the graph under construction is not exposed by the simulator
  if (deps) *deps = nullptr;
  if (edges) *edges = nullptr;
  if (num_deps) *num_deps = 0;
  if (!is_default(s) && !sim_valid_stream(s))
    return sim_fail(cudaErrorInvalidResourceHandle, "cudaStreamGetCaptureInfo: unknown stream");
  std::lock_guard<std::mutex> lock(sim_stream_mutex());
  if (is_legacy(s)) {
    // The legacy stream never captures; asking while a blocking stream captures is an implicit dependency.
    const int dev = sim_current_device();
    for (auto& c : captures())
      if (c->device == dev)
        for (CUstream_st* st : c->streams)
          if (!(st->flags & cudaStreamNonBlocking))
            return invalidate(*c, cudaErrorStreamCaptureImplicit,
                              "cudaStreamIsCapturing: the legacy stream while a blocking stream captures");
  }
  if (is_default(s) || !s->capture) {
    *status = cudaStreamCaptureStatusNone;
    return cudaSuccess;
  }
  *status = s->capture->invalidated ? cudaStreamCaptureStatusInvalidated : cudaStreamCaptureStatusActive;
  if (id) *id = s->capture->id;
  return cudaSuccess;
}

cudaError_t cudaThreadExchangeStreamCaptureMode(enum cudaStreamCaptureMode* mode) {
  if (!mode) return sim_fail(cudaErrorInvalidValue, "cudaThreadExchangeStreamCaptureMode: null pointer");
  if (*mode != cudaStreamCaptureModeGlobal && *mode != cudaStreamCaptureModeThreadLocal &&
      *mode != cudaStreamCaptureModeRelaxed)
    return sim_fail(cudaErrorInvalidValue, "cudaThreadExchangeStreamCaptureMode: unknown mode");
  std::swap(*mode, thread_mode);
  return cudaSuccess;
}

// ---- graphs ----
cudaError_t cudaGraphInstantiate(cudaGraphExec_t* exec, cudaGraph_t graph, unsigned long long) {
  if (!exec) return sim_fail(cudaErrorInvalidValue, "cudaGraphInstantiate: null pointer");
  std::lock_guard<std::mutex> lock(sim_stream_mutex());
  if (!live_graph(graph)) return sim_fail(cudaErrorInvalidValue, "cudaGraphInstantiate: unknown graph");
  auto* x = new CUgraphExec_st;
  x->nodes = graph->nodes;  // the closures are immutable: sharing their captured state is safe
  graph_handles().insert(x);
  *exec = x;
  return cudaSuccess;
}
cudaError_t cudaGraphInstantiateWithFlags(cudaGraphExec_t* exec, cudaGraph_t graph, unsigned long long flags) {
  return cudaGraphInstantiate(exec, graph, flags);
}

cudaError_t cudaGraphLaunch(cudaGraphExec_t exec, cudaStream_t s) {
  if (!is_default(s) && !sim_valid_stream(s))
    return sim_fail(cudaErrorInvalidResourceHandle, "cudaGraphLaunch: unknown stream");
  std::vector<SimNode> nodes;
  {
    std::lock_guard<std::mutex> lock(sim_stream_mutex());
    if (!live_graph(exec)) return sim_fail(cudaErrorInvalidValue, "cudaGraphLaunch: unknown graph exec");
    nodes = exec->nodes;
  }
  bool captured = false;
  // Launched into a capture: the graph's work becomes part of that capture (as a child graph would).
  auto run_all = [nodes](cudaStream_t launch_stream) {
    for (const SimNode& n : nodes) n(launch_stream);
  };
  if (cudaError_t err = sim_enqueue(s, "cudaGraphLaunch", run_all, &captured); err != cudaSuccess) return err;
  if (captured) return cudaSuccess;
  try {
    run_all(s);
  } catch (const std::exception& e) {
    return sim_fail(cudaErrorLaunchFailure, str("cudaGraphLaunch: a node failed: ", e.what()));
  }
  return cudaSuccess;
}

cudaError_t cudaGraphExecDestroy(cudaGraphExec_t exec) {
  std::lock_guard<std::mutex> lock(sim_stream_mutex());
  if (!graph_handles().erase(exec)) return sim_fail(cudaErrorInvalidValue, "cudaGraphExecDestroy: unknown graph exec");
  delete exec;
  return cudaSuccess;
}

cudaError_t cudaGraphDestroy(cudaGraph_t graph) {
  std::lock_guard<std::mutex> lock(sim_stream_mutex());
  if (!graph_handles().erase(graph)) return sim_fail(cudaErrorInvalidValue, "cudaGraphDestroy: unknown graph");
  delete graph;
  return cudaSuccess;
}

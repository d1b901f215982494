// CUDAGraph and GraphCapture (seek/cuda/graph.h) over the runtime's stream
// capture: cudaStreamBeginCapture on the current stream, the caching
// allocator told which capture id draws from which private pool
// (cuda_graph_pool.h), cudaStreamEndCapture + cudaGraphInstantiate, and
// cudaGraphLaunch for a replay. The same code runs on a GPU and on the
// simulated device (src/backend/cuda/sim_graph.cpp implements the calls there).
#include <atomic>
#include <exception>

#include "backend/cuda/cuda_backend.h"
#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_graph_pool.h"
#include "seek/cuda.h"
#include "seek/cuda/graph.h"

namespace seek::cuda {

namespace {
cudaStreamCaptureMode to_cuda(CaptureErrorMode m) {
  switch (m) {
    case CaptureErrorMode::ThreadLocal: return cudaStreamCaptureModeThreadLocal;
    case CaptureErrorMode::Relaxed: return cudaStreamCaptureModeRelaxed;
    default: return cudaStreamCaptureModeGlobal;
  }
}

bool stream_capturing(cudaStream_t s) {
  cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
  SEEK_CUDA_CHECK(cudaStreamIsCapturing(s, &status));
  return status != cudaStreamCaptureStatusNone;
}
}  // namespace

MempoolId graph_pool_handle() {
  static std::atomic<MempoolId> next{1};
  return next++;
}

bool is_current_stream_capturing() {
  if (!is_available()) return false;
  return stream_capturing(current_stream().handle());
}

void check_not_capturing(const char* what) {
  if (!is_current_stream_capturing()) return;
  throw Error(str(what,
                  " is not allowed while the current CUDA stream is being captured into a CUDA graph: it waits for "
                  "the device from the host (as item(), .cpu() and printing do), which a graph cannot record. Read "
                  "tensors on the host before capture_begin() or after capture_end()"));
}

// ---- CUDAGraph ----

CUDAGraph::~CUDAGraph() {
  if (capturing_) abandon_capture();
  try {
    reset();
  } catch (...) {  // never throws from a destructor
  }
}

void CUDAGraph::capture_begin(MempoolId pool, CaptureErrorMode mode) {
  SEEK_CHECK(!capturing_, "CUDAGraph::capture_begin: this graph is already capturing");
  SEEK_CHECK(!exec_,
             "CUDAGraph::capture_begin: this graph already holds a captured graph; call reset() first or "
             "use a new CUDAGraph");
  const Stream stream = current_stream();
  SEEK_CHECK(!stream.is_default(),
             "CUDAGraph::capture_begin: CUDA graphs cannot be captured on the default stream; make a side stream "
             "current first (seek::cuda::StreamGuard, or use seek::cuda::GraphCapture, which does)");
  DeviceGuard guard(stream.device(), "CUDAGraph::capture_begin");
  SEEK_CHECK(!stream_capturing(stream.handle()), "CUDAGraph::capture_begin: the current stream is already capturing");
  device_ = stream.device();
  pool_ = pool != 0 ? pool : graph_pool_handle();
  SEEK_CUDA_CHECK(cudaStreamBeginCapture(stream.handle(), to_cuda(mode)));
  cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
  SEEK_CUDA_CHECK(cudaStreamGetCaptureInfo(stream.handle(), &status, &capture_id_));
  allocator_retain_pool(device_, pool_);
  holds_pool_ = true;
  allocator_begin_capture(device_, pool_, capture_id_);
  capture_stream_ = stream.handle();
  capturing_ = true;
}

void CUDAGraph::capture_end() {
  SEEK_CHECK(capturing_, "CUDAGraph::capture_end: the graph is not capturing (call capture_begin first)");
  DeviceGuard guard(device_, "CUDAGraph::capture_end");
  cudaGraph_t graph = nullptr;
  const cudaError_t err = cudaStreamEndCapture(capture_stream_, &graph);
  allocator_end_capture(device_, capture_id_);
  capturing_ = false;
  if (err != cudaSuccess) {
    if (graph) cudaGraphDestroy(graph);
    cudaGetLastError();
    const bool invalidated = err == cudaErrorStreamCaptureInvalidated;
    throw Error(str("CUDAGraph::capture_end: the capture failed (", cudaGetErrorName(err), ": ",
                    cudaGetErrorString(err), ")",
                    invalidated ? "; an operation not allowed during capture invalidated it (a synchronisation, a "
                                  "host read, a synchronous copy, or work on the default stream)"
                                : ""));
  }
  graph_ = graph;
  SEEK_CUDA_CHECK(cudaGraphInstantiate(&exec_, graph_, 0));
}

void CUDAGraph::replay() {
  SEEK_CHECK(exec_, "CUDAGraph::replay: nothing captured (capture_begin/capture_end first)");
  DeviceGuard guard(device_, "CUDAGraph::replay");
  SEEK_CUDA_CHECK(cudaGraphLaunch(exec_, current_stream(device_).handle()));
}

void CUDAGraph::reset() {
  SEEK_CHECK(!capturing_, "CUDAGraph::reset: the graph is capturing (call capture_end first)");
  if (exec_) {
    DeviceGuard guard(device_, "CUDAGraph::reset");
    SEEK_CUDA_CHECK(cudaGraphExecDestroy(exec_));
    exec_ = nullptr;
  }
  if (graph_) {
    SEEK_CUDA_CHECK(cudaGraphDestroy(graph_));
    graph_ = nullptr;
  }
  if (holds_pool_) {
    allocator_release_pool(device_, pool_);
    holds_pool_ = false;
  }
}

void CUDAGraph::abandon_capture() noexcept {
  if (!capturing_) return;
  cudaSetDevice(device_);
  cudaGraph_t graph = nullptr;
  cudaStreamEndCapture(capture_stream_, &graph);
  if (graph) cudaGraphDestroy(graph);
  cudaGetLastError();
  allocator_end_capture(device_, capture_id_);
  capturing_ = false;
  if (holds_pool_) {
    allocator_release_pool(device_, pool_);
    holds_pool_ = false;
  }
}

// ---- GraphCapture ----

GraphCapture::GraphCapture(CUDAGraph& graph, MempoolId pool, std::optional<Stream> stream, CaptureErrorMode mode)
    : graph_(graph), exceptions_(std::uncaught_exceptions()) {
  const Stream s = stream ? *stream : Stream();
  synchronize(s.device());  // as torch.cuda.graph: eager work before the capture is done
  guard_.emplace(s);
  graph_.capture_begin(pool, mode);
}

void GraphCapture::end() {
  if (ended_) return;
  ended_ = true;
  graph_.capture_end();
}

GraphCapture::~GraphCapture() noexcept(false) {
  if (ended_) return;
  if (std::uncaught_exceptions() > exceptions_) {
    ended_ = true;
    graph_.abandon_capture();  // the scope failed: drop the capture, let the exception go on
    return;
  }
  end();
}

}  // namespace seek::cuda

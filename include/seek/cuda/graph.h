#pragma once
// CUDA graphs, like torch.cuda.CUDAGraph / torch.cuda.graph: capture the work a
// piece of seek code queues on a stream once, then replay it with one launch.
//
//   seek::cuda::CUDAGraph g;
//   {
//     seek::cuda::GraphCapture capture(g);  // on a side stream, like `with torch.cuda.graph(g):`
//     static_out = model->forward(static_in);
//   }
//   static_in.copy_(next_batch);  // fill the static inputs...
//   g.replay();                   // ...and rerun the captured kernels on them
//
// A replay reruns the captured kernels and copies with the arguments they were
// captured with: the same device addresses, the same scalars. So inputs and
// outputs are "static" tensors whose memory the graph keeps, and host-side
// values (Python numbers, a learning rate changed on the host, a random seed)
// are frozen at capture. Memory allocated during the capture comes from the
// graph's private pool of the caching allocator and is not handed to other
// code until reset() (or the graph's destruction). Host reads (item(), .cpu(),
// printing) and synchronisations are not allowed during a capture.
// No CUDA header is needed to include this file.
#include <cstdint>
#include <optional>

#include "seek/cuda/stream.h"

struct CUgraph_st;
struct CUgraphExec_st;

namespace seek::cuda {

// Names a private memory pool of the caching allocator (torch's graph pool handle);
// graphs captured with the same pool share its memory (only safe when they are
// replayed in the order they were captured). 0 means "a new pool for this graph".
using MempoolId = uint64_t;
MempoolId graph_pool_handle();

// What a capture forbids other code to do, as cudaStreamCaptureMode: global (any
// thread's unsafe calls, the default), thread_local (only this thread's), relaxed (none).
enum class CaptureErrorMode { Global, ThreadLocal, Relaxed };

// Whether the current stream (of the current device) is being captured.
bool is_current_stream_capturing();
// Throws seek::Error naming `what` when the current stream is being captured:
// for operations that wait for the device from the host (item(), .cpu(), printing).
void check_not_capturing(const char* what);

class CUDAGraph {
 public:
  CUDAGraph() = default;
  ~CUDAGraph();
  CUDAGraph(const CUDAGraph&) = delete;
  CUDAGraph& operator=(const CUDAGraph&) = delete;

  // Begins capturing the current stream, which must not be the default stream
  // (GraphCapture picks a side stream). `pool`: share another graph's pool
  // (other.pool() or graph_pool_handle()); 0: a new one.
  void capture_begin(MempoolId pool = 0, CaptureErrorMode mode = CaptureErrorMode::Global);
  // Ends the capture and instantiates the graph. Throws if the capture failed
  // (an operation not allowed during capture invalidated it).
  void capture_end();
  // Launches the graph on the current stream.
  void replay();
  // Frees the graph and releases its pool (its memory serves other code again).
  void reset();
  MempoolId pool() const { return pool_; }
  bool captured() const { return exec_ != nullptr; }
  bool capturing() const { return capturing_; }
  // Ends a capture that failed (an exception left the captured code), dropping
  // what was captured; nothing happens when the graph is not capturing.
  void abandon_capture() noexcept;

 private:
  CUgraph_st* graph_ = nullptr;
  CUgraphExec_st* exec_ = nullptr;
  MempoolId pool_ = 0;
  int device_ = -1;
  bool capturing_ = false;
  bool holds_pool_ = false;
  unsigned long long capture_id_ = 0;
  CUstream_st* capture_stream_ = nullptr;
};

// `with torch.cuda.graph(g, pool, stream):` as a scope: synchronises the device,
// makes `stream` (default: a stream of the pool) current, and begins capturing
// into `graph`; the destructor ends the capture and restores the current stream.
// When the scope is left by an exception the capture is abandoned (the graph
// stays empty) and the exception goes on.
class GraphCapture {
 public:
  explicit GraphCapture(CUDAGraph& graph, MempoolId pool = 0, std::optional<Stream> stream = std::nullopt,
                        CaptureErrorMode mode = CaptureErrorMode::Global);
  ~GraphCapture() noexcept(false);
  GraphCapture(const GraphCapture&) = delete;
  GraphCapture& operator=(const GraphCapture&) = delete;
  // Ends the capture now (the destructor then does nothing more than restore the stream).
  void end();

 private:
  CUDAGraph& graph_;
  std::optional<StreamGuard> guard_;
  int exceptions_ = 0;
  bool ended_ = false;
};

}  // namespace seek::cuda

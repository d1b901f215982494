// seek._C.cuda's streams, events and memory statistics (seek.cuda wraps them):
// Stream and Event as torch.cuda.Stream / torch.cuda.Event, current_stream,
// set_stream, memory_stats as torch's flat dict ("allocated_bytes.all.current",
// ...), memory_summary and build_config; CUDAGraph, graph_pool_handle and
// is_current_stream_capturing as torch.cuda's (seek.cuda.graph wraps them). init_cuda_runtime is called by
// init_tensor (tensor_types.cpp) on the seek._C.cuda submodule.
#include <map>

#include "common.h"

#include "seek/cuda.h"
#include "seek/cuda/graph.h"

namespace seek::python {

namespace {
using seek::cuda::Event;
using seek::cuda::Stream;

// A device argument: None / -1 (the current device), an index, "cuda:N" or a seek.device.
int device_index(const py::object& device) {
  if (device.is_none()) return -1;
  if (py::isinstance<py::int_>(device)) return device.cast<int>();
  Device d = to_device(device);
  if (!d.is_cuda()) throw ValueError(str("expected a cuda device, got ", d.str()));
  return d.index;
}

py::dict stats_dict(const seek::cuda::MemoryStats& s) {
  std::map<std::string, int64_t> flat;  // sorted keys, as torch's OrderedDict
  const std::pair<const char*, const seek::cuda::StatGroup*> groups[] = {{"allocated_bytes", &s.allocated_bytes},
                                                                         {"reserved_bytes", &s.reserved_bytes},
                                                                         {"active_bytes", &s.active_bytes},
                                                                         {"allocation", &s.allocation},
                                                                         {"segment", &s.segment},
                                                                         {"active", &s.active}};
  for (const auto& [name, g] : groups) {
    const std::pair<const char*, const seek::cuda::Stat*> pools[] = {
        {"all", &g->all}, {"small_pool", &g->small_pool}, {"large_pool", &g->large_pool}};
    for (const auto& [pool, st] : pools) {
      const std::string k = str(name, ".", pool, ".");
      flat[k + "current"] = st->current;
      flat[k + "peak"] = st->peak;
      flat[k + "allocated"] = st->allocated;
      flat[k + "freed"] = st->freed;
    }
  }
  flat["num_alloc_retries"] = s.num_alloc_retries;
  flat["num_ooms"] = s.num_ooms;
  flat["num_cache_hits"] = s.num_cache_hits;
  flat["num_cross_stream_frees"] = s.num_cross_stream_frees;
  flat["num_sync_all_streams"] = s.num_sync_all_streams;
  flat["num_device_alloc"] = s.segment.all.allocated;
  flat["num_device_free"] = s.segment.all.freed;
  py::dict d;
  for (const auto& [k, v] : flat) d[py::str(k)] = v;
  return d;
}
}  // namespace

void init_cuda_runtime(py::module_& cuda) {
  py::class_<Stream>(cuda, "Stream",
                     "A CUDA stream (torch.cuda.Stream): Stream(device=None, priority=0) takes one from the "
                     "device's pool; a negative priority is a higher one.")
      .def(py::init([](const py::object& device, int priority) { return Stream(device_index(device), priority); }),
           py::arg("device") = py::none(), py::arg("priority") = 0)
      .def_property_readonly("device", [](const Stream& s) { return Device(DeviceType::CUDA, s.device()); })
      .def_property_readonly("device_index", &Stream::device)
      .def_property_readonly("priority", &Stream::priority)
      .def_property_readonly("cuda_stream", &Stream::id, "The cudaStream_t as an integer.")
      .def("query", &Stream::query, "True when all work queued on the stream has finished.")
      .def("synchronize", &Stream::synchronize, py::call_guard<py::gil_scoped_release>())
      .def("wait_event", &Stream::wait_event, py::arg("event"))
      .def("wait_stream", &Stream::wait_stream, py::arg("stream"))
      .def(
          "record_event",
          [](const Stream& s, py::object event) -> py::object {
            if (event.is_none()) return py::cast(s.record_event());
            s.record_event(event.cast<Event&>());
            return event;
          },
          py::arg("event") = py::none(), "Records `event` (a new one by default) on the stream and returns it.")
      .def("__eq__",
           [](const Stream& a, const py::object& b) { return py::isinstance<Stream>(b) && a == b.cast<Stream>(); })
      .def("__hash__", [](const Stream& s) { return py::hash(py::make_tuple(s.id(), s.device())); })
      .def("__repr__", [](const Stream& s) {
        return str("<seek.cuda.Stream device=cuda:", s.device(), " cuda_stream=0x", std::hex, s.id(), ">");
      });

  py::class_<Event>(cuda, "Event", "A CUDA event (torch.cuda.Event): Event(enable_timing=False).")
      .def(py::init<bool>(), py::arg("enable_timing") = false)
      .def(
          "record",
          [](Event& e, const std::optional<Stream>& s) {
            if (s)
              e.record(*s);
            else
              e.record();
          },
          py::arg("stream") = py::none(), "Records the event on `stream` (default: the current stream).")
      .def("query", &Event::query)
      .def("synchronize", &Event::synchronize, py::call_guard<py::gil_scoped_release>())
      .def("elapsed_time", &Event::elapsed_time, py::arg("end_event"), py::call_guard<py::gil_scoped_release>(),
           "Milliseconds between this event and end_event (both with enable_timing=True).")
      .def(
          "wait",
          [](const Event& e, const std::optional<Stream>& s) {
            if (s)
              e.wait(*s);
            else
              e.wait();
          },
          py::arg("stream") = py::none(), "Makes `stream` (default: the current one) wait for the event.")
      .def_property_readonly("enable_timing", &Event::enable_timing)
      .def_property_readonly("is_recorded", &Event::is_recorded);

  cuda.def(
      "current_stream", [](const py::object& d) { return seek::cuda::current_stream(device_index(d)); },
      py::arg("device") = py::none());
  cuda.def(
      "default_stream", [](const py::object& d) { return seek::cuda::default_stream(device_index(d)); },
      py::arg("device") = py::none());
  cuda.def("set_stream", &seek::cuda::set_stream, py::arg("stream"));
  cuda.def(
      "synchronize_device", [](int d) { seek::cuda::synchronize(d); }, py::arg("device"),
      py::call_guard<py::gil_scoped_release>());

  cuda.def(
      "memory_stats", [](int device) { return stats_dict(seek::cuda::memory_stats(device)); }, py::arg("device") = -1);
  cuda.def("memory_summary", &seek::cuda::memory_summary, py::arg("device") = -1);
  cuda.def("max_memory_reserved", &seek::cuda::max_memory_reserved, py::arg("device") = -1);
  cuda.def("reset_accumulated_memory_stats", &seek::cuda::reset_accumulated_memory_stats, py::arg("device") = -1);
  cuda.def("cudnn_version", &seek::cuda::cudnn_version);
  cuda.def("build_config", [] {
    const seek::cuda::BuildConfig c = seek::cuda::build_config();
    py::dict d;
    d["cuda"] = c.cuda;
    d["simulated"] = c.simulated;
    d["cuda_version"] = c.cuda_version;
    d["runtime_version"] = c.runtime_version;
    d["driver_version"] = c.driver_version;
    d["cudnn_version"] = c.cudnn_version;
    d["cudnn_runtime_version"] = c.cudnn_runtime_version;
    d["nccl_version"] = c.nccl_version;
    d["architectures"] = c.architectures;
    d["device_count"] = c.device_count;
    return d;
  });

  // CUDA graphs (seek/cuda/graph.h); seek.cuda.graph is the context manager over these.
  using seek::cuda::CUDAGraph;
  py::class_<CUDAGraph>(cuda, "CUDAGraph",
                        "A CUDA graph (torch.cuda.CUDAGraph): capture the work queued on the current stream once "
                        "(capture_begin / capture_end, or `with seek.cuda.graph(g):`), then replay() it.")
      .def(py::init<>())
      .def(
          "capture_begin",
          [](CUDAGraph& g, const std::optional<uint64_t>& pool, const std::string& mode) {
            auto m = seek::cuda::CaptureErrorMode::Global;
            if (mode == "thread_local")
              m = seek::cuda::CaptureErrorMode::ThreadLocal;
            else if (mode == "relaxed")
              m = seek::cuda::CaptureErrorMode::Relaxed;
            else if (mode != "global")
              throw ValueError(
                  str("capture_error_mode must be 'global', 'thread_local' or 'relaxed', got '", mode, "'"));
            g.capture_begin(pool.value_or(0), m);
          },
          py::arg("pool") = py::none(), py::arg("capture_error_mode") = "global",
          "Begins capturing the current stream (not the default stream) into this graph; `pool` shares "
          "another graph's memory pool (other.pool() or graph_pool_handle()).")
      .def("capture_end", &CUDAGraph::capture_end, "Ends the capture and instantiates the graph.")
      .def("replay", &CUDAGraph::replay, py::call_guard<py::gil_scoped_release>(),
           "Launches the captured work on the current stream.")
      .def("reset", &CUDAGraph::reset, "Frees the graph and releases its memory pool.")
      .def("pool", &CUDAGraph::pool, "The graph's memory pool handle (pass it to share the pool).")
      .def("_abandon_capture", &CUDAGraph::abandon_capture, "Ends a failed capture, dropping what it captured.");
  cuda.def("graph_pool_handle", &seek::cuda::graph_pool_handle,
           "A new memory pool handle for graphs that share memory (torch.cuda.graph_pool_handle).");
  cuda.def("is_current_stream_capturing", &seek::cuda::is_current_stream_capturing,
           "Whether the current stream of the current device is being captured into a CUDA graph.");
}

}  // namespace seek::python

// _C._distributed: seek/dist/process_group.h for python/seek/distributed.py (torch.distributed's API), and the
// DistributedSampler's index rule (seek/data/sampler.h) for seek.utils.data.DistributedSampler.
// Every collective releases the GIL while it waits, so that other Python threads (a DataLoader's, DDP hooks')
// run meanwhile.
#include <pybind11/chrono.h>
#include <pybind11/stl.h>

#include "bind.h"
#include "seek/core/tensor.h"
#include "seek/data/sampler.h"
#include "seek/dist/process_group.h"

namespace seek::python {

void init_dist_store(py::module_& d);  // dist_store.cpp

void init_distributed(py::module_& m) {
  namespace dist = seek::dist;
  py::module_ d = m.def_submodule("_distributed", "seek/dist/process_group.h: process groups and collectives");

  py::enum_<dist::ReduceOp>(d, "ReduceOp", "torch.distributed.ReduceOp: SUM, AVG, MAX, MIN")
      .value("SUM", dist::ReduceOp::Sum)
      .value("AVG", dist::ReduceOp::Avg)
      .value("MAX", dist::ReduceOp::Max)
      .value("MIN", dist::ReduceOp::Min);

  py::class_<dist::Work, std::shared_ptr<dist::Work>>(d, "Work", "The handle of an asynchronous collective")
      .def(
          "wait",
          [](dist::Work& w) {
            py::gil_scoped_release release;
            w.wait();
            return true;
          },
          "Blocks until the collective completed (its outputs hold the result); raises its error (a timeout "
          "included). Returns True, as torch's Work.wait().")
      .def("is_completed", [](dist::Work& w) { return w.is_completed(); });

  d.def(
      "init_process_group",
      [](const std::string& backend, std::chrono::milliseconds timeout) {
        dist::InitOptions o;
        o.backend = backend;
        o.timeout = timeout;
        py::gil_scoped_release release;
        dist::init_process_group(o);
      },
      py::arg("backend"), py::arg("timeout"));
  d.def("is_initialized", &dist::is_initialized);
  d.def("is_mpi_available", &dist::is_mpi_available);
  d.def("is_nccl_available", &dist::is_nccl_available);
  d.def("destroy_process_group", [] {
    py::gil_scoped_release release;
    dist::destroy_process_group();
  });
  d.def("get_rank", &dist::get_rank);
  d.def("get_world_size", &dist::get_world_size);
  d.def("get_backend", [] { return dist::default_group().backend_name(); });
  d.def("barrier", [] {
    py::gil_scoped_release release;
    dist::barrier();
  });
  d.def(
      "all_reduce",
      [](Tensor& t, dist::ReduceOp op, bool async_op) {
        py::gil_scoped_release release;
        return dist::all_reduce(t, op, async_op);
      },
      py::arg("tensor"), py::arg("op"), py::arg("async_op"));
  d.def(
      "broadcast",
      [](Tensor& t, int src, bool async_op) {
        py::gil_scoped_release release;
        return dist::broadcast(t, src, async_op);
      },
      py::arg("tensor"), py::arg("src"), py::arg("async_op"));
  d.def(
      "all_gather",
      [](std::vector<Tensor> out, const Tensor& in, bool async_op) {
        py::gil_scoped_release release;  // the handles in `out` share the caller's tensors
        return dist::all_gather(out, in, async_op);
      },
      py::arg("tensor_list"), py::arg("tensor"), py::arg("async_op"));
  d.def(
      "all_gather_into_tensor",
      [](Tensor& out, const Tensor& in, bool async_op) {
        py::gil_scoped_release release;
        return dist::all_gather_into_tensor(out, in, async_op);
      },
      py::arg("output_tensor"), py::arg("input_tensor"), py::arg("async_op"));
  d.def(
      "reduce_scatter_tensor",
      [](Tensor& out, const Tensor& in, dist::ReduceOp op, bool async_op) {
        py::gil_scoped_release release;
        return dist::reduce_scatter_tensor(out, in, op, async_op);
      },
      py::arg("output"), py::arg("input"), py::arg("op"), py::arg("async_op"));
  d.def(
      "all_gather_bytes",
      [](const py::bytes& mine) {
        std::string s = mine;
        std::vector<std::string> all;
        {
          py::gil_scoped_release release;
          all = dist::all_gather_bytes(s);
        }
        py::list out;
        for (const auto& b : all) out.append(py::bytes(b));
        return out;
      },
      py::arg("data"));
  d.def(
      "broadcast_bytes",
      [](const py::bytes& data, int src) {
        std::string s = data, r;
        {
          py::gil_scoped_release release;
          r = dist::broadcast_bytes(s, src);
        }
        return py::bytes(r);
      },
      py::arg("data"), py::arg("src"));
  d.def(
      "sampler_indices",
      [](size_t n, int num_replicas, int rank, bool shuffle, uint64_t seed, bool drop_last, uint64_t epoch) {
        return data::DistributedSampler(n, num_replicas, rank, {shuffle, seed, drop_last}).indices(epoch);
      },
      py::arg("n"), py::arg("num_replicas"), py::arg("rank"), py::arg("shuffle"), py::arg("seed"), py::arg("drop_last"),
      py::arg("epoch"), "The indices rank `rank` of num_replicas reads in `epoch` (seek::data::DistributedSampler)");
  init_dist_store(d);
}

}  // namespace seek::python

// issue 16: _C._ddp (the Reducer and module-state sync that seek.nn.parallel.DistributedDataParallel, a Python
// module, drives; the same classes as the C++ DistributedDataParallel) and _C.nn.SyncBatchNorm.
#include <pybind11/stl.h>

#include "bind.h"
#include "common.h"
#include "seek/dist/ddp.h"
#include "seek/dist/sync_batch_norm.h"
#include "seek/autograd/grad_mode.h"
#include "seek/nn/module.h"

namespace seek::python {

namespace {
// process_group=None: the default group; otherwise a bound seek ProcessGroup.
dist::ProcessGroup& group_of(const py::object& pg) {
  if (pg.is_none()) return dist::default_group();
  return *pg.cast<dist::ProcessGroup*>();
}
}  // namespace

void init_dist_ddp(py::module_& m) {
  py::module_ d = m.def_submodule("_ddp", "DistributedDataParallel's C++ parts (seek.nn.parallel wraps them)");
  py::class_<dist::Reducer, std::shared_ptr<dist::Reducer>>(d, "Reducer",
                                                            "Buckets gradients and all-reduces them during backward.")
      .def(py::init([](std::vector<Tensor> params, std::vector<std::string> names, double bucket_cap_mb,
                       bool find_unused_parameters, const py::object& pg) {
             return std::make_shared<dist::Reducer>(std::move(params), std::move(names), group_of(pg),
                                                    dist::ReducerOptions{bucket_cap_mb, find_unused_parameters});
           }),
           py::arg("params"), py::arg("names"), py::arg("bucket_cap_mb") = 25.0,
           py::arg("find_unused_parameters") = false, py::arg("process_group") = py::none())
      .def("prepare_for_backward", &dist::Reducer::prepare_for_backward, py::arg("outputs"))
      .def_property_readonly("bucket_indices", &dist::Reducer::bucket_indices)
      .def_property_readonly("num_synced_backwards", &dist::Reducer::num_synced_backwards);
  d.def(
      "sync_module_states",
      [](const std::vector<std::pair<std::string, Tensor>>& named, int src, const py::object& pg) {
        dist::sync_module_states(named, group_of(pg), src);
      },
      py::arg("named_tensors"), py::arg("src") = 0, py::arg("process_group") = py::none(),
      "Checks that every rank has the same names and shapes, then broadcasts rank src's values in place.");
  d.def(
      "broadcast_tensors",
      [](const std::vector<Tensor>& tensors, int src, const py::object& pg) {
        dist::ProcessGroup& g = group_of(pg);
        if (g.size() == 1) return;
        NoGradGuard no_grad;
        std::vector<dist::WorkPtr> works;
        for (const Tensor& t : tensors) {
          Tensor x = t.detach();
          works.push_back(g.broadcast(x, src, true));
        }
        for (auto& w : works) w->wait();
      },
      py::arg("tensors"), py::arg("src") = 0, py::arg("process_group") = py::none(),
      py::call_guard<py::gil_scoped_release>());

  py::module_ nn_m = m.attr("nn").cast<py::module_>();
  py::class_<nn::SyncBatchNorm, nn::Module, std::shared_ptr<nn::SyncBatchNorm>>(
      nn_m, "SyncBatchNorm", "Batch normalisation over the batches of every rank, like torch.nn.SyncBatchNorm.")
      .def(py::init([](int64_t n, double eps, std::optional<double> momentum, bool affine, bool track,
                       const py::object& pg, std::optional<DType> dtype, const py::object& device) {
             dist::ProcessGroup* g = pg.is_none() ? nullptr : pg.cast<dist::ProcessGroup*>();
             return std::make_shared<nn::SyncBatchNorm>(n, eps, momentum, affine, track, g,
                                                        make_options(dtype, device, false));
           }),
           py::arg("num_features"), py::arg("eps") = 1e-5, py::arg("momentum") = 0.1, py::arg("affine") = true,
           py::arg("track_running_stats") = true, py::arg("process_group") = py::none(), py::kw_only(),
           py::arg("dtype") = py::none(), py::arg("device") = py::none())
      .def(
          "forward", [](nn::SyncBatchNorm& s, const Tensor& x) { return s.forward(x); }, py::arg("input"),
          py::call_guard<py::gil_scoped_release>())
      .def_property_readonly("num_features", &nn::SyncBatchNorm::num_features)
      .def_property_readonly("eps", &nn::SyncBatchNorm::eps)
      .def_property_readonly("momentum", &nn::SyncBatchNorm::momentum)
      .def_property_readonly("affine", &nn::SyncBatchNorm::affine)
      .def_property_readonly("track_running_stats", &nn::SyncBatchNorm::track_running_stats)
      .def_static(
          "convert_sync_batchnorm",
          [](std::shared_ptr<nn::Module> module, const py::object& pg) {
            dist::ProcessGroup* g = pg.is_none() ? nullptr : pg.cast<dist::ProcessGroup*>();
            return nn::SyncBatchNorm::convert_sync_batchnorm(std::move(module), g);
          },
          py::arg("module"), py::arg("process_group") = py::none(),
          "Replaces every BatchNorm1d/2d inside module by a SyncBatchNorm holding the same tensors.");
}

}  // namespace seek::python

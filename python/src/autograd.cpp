// Autograd from Python: grad mode, seek.autograd.grad / backward, and the C++ half of
// custom functions (seek.autograd.Function): a graph node whose backward calls back
// into Python with the GIL held.
#include "common.h"

#include "seek/autograd/engine.h"
#include "seek/autograd/function.h"
#include "seek/autograd/grad_mode.h"
#include "seek/ops/creation.h"

namespace seek::python {

namespace {

std::vector<Tensor> optional_list(const std::optional<std::vector<std::optional<Tensor>>>& v) {
  std::vector<Tensor> out;
  if (!v) return out;
  for (const auto& t : *v) out.push_back(t.value_or(Tensor()));
  return out;
}

// Records `outputs` as produced from `inputs` by a Python function whose backward is
// `backward(grads) -> list` (one entry per input, a Tensor or None).
void record_function(const std::string& name, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
                     py::function backward) {
  if (!autograd::needs_grad(inputs)) return;
  std::vector<autograd::OutputInfo> infos;
  for (const Tensor& o : outputs) infos.push_back({o.sizes(), o.dtype(), o.device()});
  // The callable is dropped by the engine, possibly without the GIL.
  auto fn = std::shared_ptr<py::function>(new py::function(std::move(backward)), [](py::function* p) {
    if (!Py_IsInitialized()) return;
    py::gil_scoped_acquire g;
    delete p;
  });
  size_t n_inputs = inputs.size();
  autograd::record(name, inputs, outputs,
                   [fn, infos, n_inputs, name](const autograd::variable_list& grads, const std::vector<bool>&) {
                     py::gil_scoped_acquire gil;
                     py::list py_grads;
                     for (size_t i = 0; i < grads.size(); ++i) {
                       if (grads[i].defined())
                         py_grads.append(grads[i]);
                       else
                         py_grads.append(zeros(infos[i].shape, TensorOptions(infos[i].dtype).device(infos[i].device)));
                     }
                     py::object result;
                     try {
                       result = (*fn)(py_grads);
                     } catch (py::error_already_set& e) {
                       throw seek::AutogradError(name + ".backward raised " + e.what());
                     }
                     autograd::variable_list out;
                     for (const auto& r : result) out.push_back(r.is_none() ? Tensor() : r.cast<Tensor>());
                     SEEK_CHECK_T(AutogradError, out.size() == n_inputs, name, ".backward returned ", out.size(),
                                  " gradients for ", n_inputs, " tensor inputs");
                     return out;
                   });
}

}  // namespace

void init_autograd(py::module_& m) {
  m.def("is_grad_enabled", &GradMode::is_enabled, "Whether autograd records operations (on this thread).");
  m.def("set_grad_enabled", &GradMode::set_enabled, py::arg("mode"), "Turns autograd recording on or off.");

  py::module_ ag = m.def_submodule("autograd", "Autograd internals (seek.autograd wraps these).");
  ag.def(
      "grad",
      [](const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
         const std::optional<std::vector<std::optional<Tensor>>>& grad_outputs, bool retain_graph, bool allow_unused) {
        std::vector<Tensor> go = optional_list(grad_outputs);
        std::vector<Tensor> res;
        {
          py::gil_scoped_release nogil;
          res = autograd::grad(outputs, inputs, go, retain_graph, allow_unused);
        }
        py::list out;
        for (const Tensor& t : res) out.append(t.defined() ? py::cast(t) : py::none());
        return out;
      },
      py::arg("outputs"), py::arg("inputs"), py::arg("grad_outputs") = py::none(), py::arg("retain_graph") = false,
      py::arg("allow_unused") = false);
  ag.def(
      "backward",
      [](const std::vector<Tensor>& tensors, const std::optional<std::vector<std::optional<Tensor>>>& grad_tensors,
         bool retain_graph) {
        std::vector<Tensor> go = optional_list(grad_tensors);
        py::gil_scoped_release nogil;
        autograd::backward(tensors, go, retain_graph);
      },
      py::arg("tensors"), py::arg("grad_tensors") = py::none(), py::arg("retain_graph") = false);
  ag.def("_record_function", &record_function, py::arg("name"), py::arg("inputs"), py::arg("outputs"),
         py::arg("backward"));
}

}  // namespace seek::python

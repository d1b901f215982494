// The Python state of a module (its hooks: forward pre-hooks, forward hooks, backward hooks; and how
// it was made, for copy.deepcopy and pickle), kept on the C++ module in its call hook
// (nn::Module::set_call_hook), so that it lives as long as the module (not its Python wrapper) and
// the hooks run also when a C++ parent (Sequential, a ResNet block) calls the child. While hooks are
// active the call hook calls the module's Python __call__ (python/seek/nn/_module_ext.py), which
// runs them around forward(); otherwise it calls forward() directly, without the GIL.
// Adds to seek._C.nn.Module:
//   _hook_state()                 the state object given to _set_hook_state, or None
//   _set_hook_state(s, active)    sets (None: removes) the state and the call hook
//   _set_hooks_active(active)     whether calls go through Python
#include "nn_common.h"

namespace seek::python {

namespace {

// The call hook: holds the Python state (released with the GIL held) and calls the module from C++.
struct PyCallHook {
  std::shared_ptr<py::object> state;
  std::shared_ptr<bool> active;
  Tensor operator()(nn::Module& m, const Tensor& input) const {
    if (!*active) return m.forward(input);
    py::gil_scoped_acquire gil;
    py::object self = py::cast(m.shared_from_this());
    py::object out = self(input);
    if (!py::isinstance<Tensor>(out))
      throw py::type_error(m.type_name() + ": called from a C++ parent, the module (with its forward hooks) must " +
                           "return a seek.Tensor, got " +
                           std::string(py::str(py::type::handle_of(out).attr("__name__"))));
    return out.cast<Tensor>();
  }
};

std::shared_ptr<py::object> hold(py::object state) {
  return std::shared_ptr<py::object>(new py::object(std::move(state)), [](py::object* o) {
    if (Py_IsInitialized()) {
      py::gil_scoped_acquire gil;
      delete o;
    }
  });
}

}  // namespace

void init_nn_hooks(py::module_& m) {
  py::object cls = m.attr("nn").attr("Module");
  cls.attr("_hook_state") = py::cpp_function(
      [](nn::Module& m) -> py::object {
        const auto* hook = m.call_hook().target<PyCallHook>();
        return hook ? *hook->state : py::none();
      },
      py::is_method(cls), py::name("_hook_state"));
  cls.attr("_set_hook_state") = py::cpp_function(
      [](nn::Module& m, const py::object& state, bool active) {
        if (state.is_none())
          m.set_call_hook(nullptr);
        else
          m.set_call_hook(PyCallHook{hold(state), std::make_shared<bool>(active)});
      },
      py::is_method(cls), py::name("_set_hook_state"), py::arg("state"), py::arg("active") = false);
  cls.attr("_set_hooks_active") = py::cpp_function(
      [](nn::Module& m, bool active) {
        const auto* hook = m.call_hook().target<PyCallHook>();
        if (hook == nullptr) throw py::value_error("_set_hooks_active: the module has no hook state");
        *hook->active = active;
      },
      py::is_method(cls), py::name("_set_hooks_active"), py::arg("active"));
}

}  // namespace seek::python

// seek._C.amp: autocast state and scopes (seek/core/autocast.h) and the GradScaler
// (seek/amp/grad_scaler.h). The Python package (seek/amp.py) wraps them in torch's API:
// seek.amp.autocast (context manager and decorator) and seek.amp.GradScaler.
//
// An autocast scope is an _AutocastScope object: enter() makes a C++ AutocastGuard,
// exit() destroys it (restoring the previous state). Each `with` / decorated call makes
// its own scope, so one autocast object can be entered recursively.
#include "nn_common.h"

#include <memory>

#include "seek/amp/grad_scaler.h"
#include "seek/core/autocast.h"
#include "seek/core/error.h"

namespace seek::python {

namespace {

// "cpu" / "cuda" as a DeviceType; ValueError for anything else.
DeviceType device_type_of(const std::string& s, const char* who) {
  if (s == "cpu") return DeviceType::CPU;
  if (s == "cuda") return DeviceType::CUDA;
  throw py::value_error(std::string(who) + ": device_type must be 'cpu' or 'cuda', got '" + s + "'");
}

struct AutocastScope {
  DeviceType device_type;
  std::optional<DType> dtype;
  bool enabled;
  bool cache_enabled;
  std::unique_ptr<amp::AutocastGuard> guard;
};

// The C++ optimizer of a Python optimizer (seek.optim.SGD wraps one in ._impl) or of a _C one.
optim::Optimizer& optimizer_of(const py::handle& obj, const char* who) {
  py::object impl = py::reinterpret_borrow<py::object>(obj);
  if (!py::isinstance<optim::Optimizer>(impl) && py::hasattr(impl, "_impl")) impl = impl.attr("_impl");
  if (!py::isinstance<optim::Optimizer>(impl))
    throw py::type_error(std::string(who) + ": expected a seek.optim optimizer (SGD, Adam, AdamW, RMSprop), got " +
                         std::string(py::str(py::type::handle_of(obj).attr("__name__"))));
  return impl.cast<optim::Optimizer&>();
}

void init_autocast(py::module_& a) {
  a.def(
      "is_autocast_enabled",
      [](const std::string& d) { return amp::is_autocast_enabled(device_type_of(d, "is_autocast_enabled")); },
      py::arg("device_type"));
  a.def(
      "set_autocast_enabled",
      [](const std::string& d, bool enabled) {
        amp::set_autocast_enabled(device_type_of(d, "set_autocast_enabled"), enabled);
      },
      py::arg("device_type"), py::arg("enabled"));
  a.def(
      "get_autocast_dtype",
      [](const std::string& d) { return amp::get_autocast_dtype(device_type_of(d, "get_autocast_dtype")); },
      py::arg("device_type"));
  a.def(
      "set_autocast_dtype",
      [](const std::string& d, DType dtype) {
        amp::set_autocast_dtype(device_type_of(d, "set_autocast_dtype"), dtype);
      },
      py::arg("device_type"), py::arg("dtype"));
  a.def("is_autocast_cache_enabled", &amp::is_autocast_cache_enabled);
  a.def("set_autocast_cache_enabled", &amp::set_autocast_cache_enabled, py::arg("enabled"));
  a.def("clear_autocast_cache", &amp::clear_autocast_cache);

  py::class_<AutocastScope>(a, "_AutocastScope", "One entered autocast scope (a C++ AutocastGuard).")
      .def(py::init([](const std::string& d, std::optional<DType> dtype, bool enabled, bool cache_enabled) {
             return AutocastScope{device_type_of(d, "autocast"), dtype, enabled, cache_enabled, nullptr};
           }),
           py::arg("device_type"), py::arg("dtype"), py::arg("enabled"), py::arg("cache_enabled"))
      .def("enter",
           [](AutocastScope& s) {
             if (s.guard) throw py::value_error("autocast: this scope is already entered");
             s.guard = std::make_unique<amp::AutocastGuard>(s.device_type, s.dtype, s.enabled, s.cache_enabled);
           })
      .def("exit", [](AutocastScope& s) { s.guard.reset(); });
}

void init_grad_scaler(py::module_& a) {
  using amp::GradScaler;
  py::class_<GradScaler>(a, "GradScaler", "Loss scaling for float16 training (see seek.amp.GradScaler).")
      .def(py::init([](double init_scale, double growth_factor, double backoff_factor, int64_t growth_interval,
                       bool enabled) {
             amp::GradScalerOptions o;
             o.init_scale = init_scale;
             o.growth_factor = growth_factor;
             o.backoff_factor = backoff_factor;
             o.growth_interval = growth_interval;
             o.enabled = enabled;
             return std::make_unique<GradScaler>(o);
           }),
           py::arg("init_scale") = 65536.0, py::arg("growth_factor") = 2.0, py::arg("backoff_factor") = 0.5,
           py::arg("growth_interval") = 2000, py::arg("enabled") = true)
      .def("scale", &GradScaler::scale, py::arg("outputs"))
      .def(
          "unscale_",
          [](GradScaler& s, const py::handle& opt) {
            optim::Optimizer& o = optimizer_of(opt, "GradScaler.unscale_");
            py::gil_scoped_release g;
            s.unscale_(o);
          },
          py::arg("optimizer"))
      .def(
          "step",
          [](GradScaler& s, const py::handle& opt) {
            optim::Optimizer& o = optimizer_of(opt, "GradScaler.step");
            py::gil_scoped_release g;
            return s.step(o);
          },
          py::arg("optimizer"), "Unscales if needed, then steps unless a gradient is inf/NaN; True when it stepped.")
      .def("update", &GradScaler::update, py::arg("new_scale") = py::none())
      .def("get_scale", &GradScaler::get_scale)
      .def("is_enabled", &GradScaler::is_enabled)
      .def("found_inf", &GradScaler::found_inf)
      .def_property_readonly("growth_tracker", &GradScaler::growth_tracker)
      .def("get_growth_factor", &GradScaler::growth_factor)
      .def("set_growth_factor", &GradScaler::set_growth_factor, py::arg("new_factor"))
      .def("get_backoff_factor", &GradScaler::backoff_factor)
      .def("set_backoff_factor", &GradScaler::set_backoff_factor, py::arg("new_factor"))
      .def("get_growth_interval", &GradScaler::growth_interval)
      .def("set_growth_interval", &GradScaler::set_growth_interval, py::arg("new_interval"))
      .def("state_dict",
           [](const GradScaler& s) {
             py::dict d;
             for (const auto& [k, v] : s.state_dict()) {
               // torch's types: the interval and the tracker are ints
               if (k == "growth_interval" || k == "_growth_tracker")
                 d[py::str(k)] = static_cast<int64_t>(v);
               else
                 d[py::str(k)] = v;
             }
             return d;
           })
      .def(
          "load_state_dict",
          [](GradScaler& s, const py::dict& d) {
            amp::GradScalerState state;
            for (auto [k, v] : d) {
              if (!py::isinstance<py::str>(k))
                throw py::type_error("GradScaler.load_state_dict: keys must be str, got " +
                                     std::string(py::str(py::type::handle_of(k).attr("__name__"))));
              state[k.cast<std::string>()] = v.cast<double>();
            }
            s.load_state_dict(state);
          },
          py::arg("state_dict"));
}

}  // namespace

void init_amp(py::module_& m) {
  py::module_ a = m.def_submodule("amp", "Autocast and GradScaler (wrapped by seek.amp)");
  init_autocast(a);
  init_grad_scaler(a);
}

}  // namespace seek::python

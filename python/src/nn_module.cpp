// seek._C.nn.Module: nn::Module bound with a trampoline so that a Python subclass can
// override forward() (also when a C++ container such as Sequential calls it), and with
// __setattr__ / __getattr__ that register and find parameters, buffers and submodules
// the way torch.nn.Module does:
//
//     class Net(seek.nn.Module):
//         def __init__(self):
//             super().__init__()
//             self.fc = seek.nn.Linear(4, 2)             # submodule "fc"
//             self.w = seek.nn.Parameter(seek.randn(3))  # parameter "w"
//
// Parameters, buffers and children live in the C++ module, so parameters(), state_dict()
// and to() see them. A C++ parent holds a Python-defined child through module_ptr(), which
// keeps the child's Python object alive too (C++ alone would hold only its C++ part).
// Assigning a module to an existing child's name (resnet.fc = seek.nn.Linear(64, 5))
// replaces it, for C++ modules too: their forward() reaches children through the registry.
#include "nn_common.h"

#include <set>
#include <sstream>

namespace seek::python {

namespace {

class PyModule : public nn::Module {
 public:
  using nn::Module::Module;
  Tensor forward(const Tensor& input) override { PYBIND11_OVERRIDE(Tensor, nn::Module, forward, input); }
  std::string extra_repr() const override { PYBIND11_OVERRIDE(std::string, nn::Module, extra_repr, ); }
};

// Exposes the protected add_child to the bindings.
struct ModuleAccess : nn::Module {
  static void add(nn::Module& m, const std::string& name, std::shared_ptr<nn::Module> child) {
    (m.*(&ModuleAccess::add_child))(name, std::move(child));
  }
};

template <typename List>
bool has_name(const List& list, const std::string& name) {
  for (const auto& e : list)
    if (e.first == name) return true;
  return false;
}

py::object find_child(nn::Module& m, const std::string& name) {
  for (auto& [n, c] : m.named_children())
    if (n == name) return py::cast(c);
  return py::object();
}

bool is_parameter(const py::handle& value) {
  if (!py::isinstance<Tensor>(value)) return false;
  return py::bool_(py::getattr(value, "_is_param", py::bool_(false)));
}

// Drops a plain attribute that would shadow a registered one of the same name.
void drop_plain_attribute(const py::object& self, const py::str& name) {
  py::object dict = py::getattr(self, "__dict__", py::none());
  if (!dict.is_none() && dict.contains(name)) PyDict_DelItem(dict.ptr(), name.ptr());
}

// The C++ module of `self`, or nullptr before Module.__init__() has run.
nn::Module* initialized(const py::handle& self) {
  auto* inst = reinterpret_cast<py::detail::instance*>(self.ptr());
  // The instance's first (only) C++ part; its holder exists once __init__ has run.
  auto vh = inst->get_value_and_holder(nullptr, false);
  if (!vh || !vh.holder_constructed()) return nullptr;
  return &self.cast<nn::Module&>();
}

void generic_setattr(const py::object& self, const py::str& name, const py::object& value) {
  if (PyObject_GenericSetAttr(self.ptr(), name.ptr(), value.ptr()) != 0) throw py::error_already_set();
}

void module_setattr(const py::object& self, const py::str& name_obj, const py::object& value) {
  const std::string name = name_obj;
  nn::Module* mp = initialized(self);
  if (mp == nullptr) {
    if (py::isinstance<nn::Module>(value) || is_parameter(value))
      throw py::attribute_error("cannot assign '" + name + "' before Module.__init__() call");
    generic_setattr(self, name_obj, value);
    return;
  }
  nn::Module& m = *mp;
  if (py::isinstance<nn::Module>(value) || is_parameter(value)) drop_plain_attribute(self, name_obj);
  const bool is_child = has_name(m.named_children(), name);
  if (py::isinstance<nn::Module>(value)) {
    if (!is_child) {
      ModuleAccess::add(m, name, module_ptr(value));
      return;
    }
    // As torch: assigning a module to a submodule's name swaps the submodule (same place).
    // A Python-defined module finds its children through __getattr__, a C++ one through its
    // nn::Child handles: both use the new one from the next forward on.
    m.replace_module(name, module_ptr(value));
    return;
  }
  if (is_child)  // torch's TypeError; seek keeps no empty (None) submodule slots
    throw py::type_error("cannot assign '" + std::string(py::str(py::type::handle_of(value).attr("__name__"))) +
                         "' as child module '" + name +
                         "' (seek.nn.Module expected; use seek.nn.Identity() "
                         "to drop a submodule)");
  if (is_parameter(value)) {
    if (has_name(m.named_parameters(false), name))
      m.param(name) = value.cast<Tensor>();
    else
      m.register_parameter(name, value.cast<Tensor>(), value.cast<const Tensor&>().requires_grad());
    return;
  }
  if (py::isinstance<Tensor>(value) || value.is_none()) {
    Tensor t = value.is_none() ? Tensor() : value.cast<Tensor>();
    if (has_name(m.named_parameters(false), name)) {
      if (t.defined() && !t.is_leaf())
        throw py::type_error(m.type_name() + ": cannot assign a non-leaf tensor to parameter '" + name +
                             "' (use seek.nn.Parameter(t))");
      m.param(name) = t;
      return;
    }
    if (has_name(m.named_buffers(false), name)) {
      m.buffer(name) = t;
      return;
    }
  }
  generic_setattr(self, name_obj, value);
}

py::object module_getattr(const py::object& self, const std::string& name) {
  nn::Module* mp = initialized(self);
  if (mp == nullptr)
    throw py::attribute_error("'" + std::string(py::str(py::type::handle_of(self).attr("__name__"))) +
                              "' object has no attribute '" + name + "' (Module.__init__() not called yet)");
  nn::Module& m = *mp;
  for (auto& [n, t] : m.named_parameters(false))
    if (n == name) return t.defined() ? py::cast(t) : py::none();
  for (auto& [n, t] : m.named_buffers(false))
    if (n == name) return t.defined() ? py::cast(t) : py::none();
  py::object c = find_child(m, name);
  if (c) return c;
  throw py::attribute_error("'" + m.type_name() + "' object has no attribute '" + name + "'");
}

// torch's printout, with each module's Python class name (so Python subclasses show theirs).
std::string module_repr(const py::handle& obj, int indent) {
  nn::Module& m = obj.cast<nn::Module&>();
  std::string name = py::str(py::type::handle_of(obj).attr("__name__"));
  std::string extra = py::str(obj.attr("extra_repr")());
  auto children = m.named_children();
  if (children.empty()) return name + "(" + extra + ")";
  std::ostringstream os;
  std::string pad(static_cast<size_t>(indent + 2), ' ');
  os << name << "(";
  if (!extra.empty()) os << "\n" << pad << extra;
  for (auto& [n, c] : children) os << "\n" << pad << "(" << n << "): " << module_repr(py::cast(c), indent + 2);
  os << "\n" << std::string(static_cast<size_t>(indent), ' ') << ")";
  return os.str();
}

py::object state_dict_to_python(const nn::StateDict& sd) {
  py::object od = py::module_::import("collections").attr("OrderedDict")();
  for (const auto& [k, v] : sd) od[py::str(k)] = v;
  return od;
}

py::tuple named_list(const std::vector<std::pair<std::string, Tensor>>& items) {
  py::list l;
  for (const auto& [k, v] : items) l.append(py::make_tuple(k, v));
  return py::tuple(l);
}

}  // namespace

std::shared_ptr<nn::Module> module_ptr(const py::handle& obj) {
  if (!py::isinstance<nn::Module>(obj))
    throw py::type_error("expected a seek.nn.Module, got " +
                         std::string(py::str(py::type::handle_of(obj).attr("__name__"))));
  auto ptr = obj.cast<std::shared_ptr<nn::Module>>();
  if (dynamic_cast<PyModule*>(ptr.get()) == nullptr) return ptr;
  return holding_python_object(std::move(ptr), obj);
}

nn::StateDict state_dict_from_python(const py::handle& mapping) {
  nn::StateDict sd;
  py::object items = mapping.attr("items")();
  for (auto kv : items) {
    auto pair = kv.cast<py::tuple>();
    if (!py::isinstance<py::str>(pair[0]))
      throw py::type_error("load_state_dict: keys must be str, got " + py::repr(pair[0]).cast<std::string>());
    std::string key = pair[0].cast<std::string>();
    if (!py::isinstance<Tensor>(pair[1])) {  // PyTorch's words; numpy arrays and numbers are not tensors
      throw seek::Error("Error(s) in loading state_dict: while copying the parameter named \"" + key +
                        "\", expected seek.Tensor from checkpoint but received " +
                        py::repr(py::type::handle_of(pair[1])).cast<std::string>() +
                        "; convert it with seek.as_tensor(value)");
    }
    sd.emplace_back(std::move(key), pair[1].cast<Tensor>());
  }
  return sd;
}

void init_nn_module(py::module_& nn_m) {
  py::class_<nn::Module, PyModule, std::shared_ptr<nn::Module>> cls(
      nn_m, "Module", py::dynamic_attr(),
      "Base of every layer and model, like torch.nn.Module. Subclass it in Python, call super().__init__() "
      "first, assign submodules and seek.nn.Parameter tensors as attributes, and define forward().");
  cls.def(py::init([]() { return std::make_shared<PyModule>("Module"); }))
      .def("forward", &nn::Module::forward, py::arg("input"), py::call_guard<py::gil_scoped_release>(),
           "The computation of the module (override it in a subclass).")
      .def(
          "__call__",
          [](const py::object& self, const py::args& args, const py::kwargs& kwargs) {
            return self.attr("forward")(*args, **kwargs);
          },
          "Runs forward(*args, **kwargs).")
      .def("__setattr__", &module_setattr)
      .def("__getattr__", &module_getattr)
      .def("__delattr__",
           [](const py::object& self, const py::str& name) {
             nn::Module& m = self.cast<nn::Module&>();
             std::string n = name;
             if (has_name(m.named_parameters(false), n) || has_name(m.named_buffers(false), n) || find_child(m, n))
               throw py::attribute_error(m.type_name() + ": registered attribute '" + n + "' cannot be deleted");
             if (PyObject_GenericSetAttr(self.ptr(), name.ptr(), nullptr) != 0) throw py::error_already_set();
           })
      .def(
          "register_parameter",
          [](nn::Module& m, const std::string& name, const py::object& value) {
            m.register_parameter(name, value.is_none() ? Tensor() : value.cast<Tensor>(),
                                 value.is_none()       ? true
                                 : is_parameter(value) ? value.cast<const Tensor&>().requires_grad()
                                                       : true);
          },
          py::arg("name"), py::arg("param"), "Adds a parameter (a leaf that requires grad when floating).")
      .def(
          "register_buffer",
          [](nn::Module& m, const std::string& name, const py::object& value, bool persistent) {
            m.register_buffer(name, value.is_none() ? Tensor() : value.cast<Tensor>(), persistent);
          },
          py::arg("name"), py::arg("tensor"), py::arg("persistent") = true,
          "Adds a buffer (state that is not trained); non-persistent buffers stay out of state_dict().")
      .def(
          "add_module",
          [](const py::object& self, const std::string& name, const py::object& module) {
            module_setattr(self, py::str(name), module);
          },
          py::arg("name"), py::arg("module"), "Adds a submodule.")
      .def(
          "register_module",
          [](const py::object& self, const std::string& name, const py::object& module) {
            module_setattr(self, py::str(name), module);
          },
          py::arg("name"), py::arg("module"))
      .def(
          "parameters", [](const nn::Module& m, bool recurse) { return m.parameters(recurse); },
          py::arg("recurse") = true, "The parameters, in registration order (a list).")
      .def(
          "named_parameters", [](const nn::Module& m, bool recurse) { return named_list(m.named_parameters(recurse)); },
          py::arg("recurse") = true, "(dotted name, parameter) pairs.")
      .def(
          "buffers", [](const nn::Module& m, bool recurse) { return m.buffers(recurse); }, py::arg("recurse") = true)
      .def(
          "named_buffers", [](const nn::Module& m, bool recurse) { return named_list(m.named_buffers(recurse)); },
          py::arg("recurse") = true)
      .def("children", &nn::Module::children)
      .def("named_children", &nn::Module::named_children)
      .def(
          "modules",
          [](nn::Module& m) {
            py::list l;
            for (auto& [n, c] : m.named_modules()) l.append(py::cast(c));
            return l;
          },
          "This module, then every descendant.")
      .def("named_modules", &nn::Module::named_modules)
      .def(
          "apply",
          [](const py::object& self, const py::function& fn) {
            // Children first, then the module itself, as torch.
            auto mods = self.cast<nn::Module&>().named_modules();
            for (size_t i = mods.size(); i-- > 1;) fn(py::cast(mods[i].second));
            fn(self);
            return self;
          },
          py::arg("fn"), "Calls fn on every submodule and then on this module; returns self.")
      .def(
          "get_submodule",
          [](nn::Module& m, const std::string& target) -> py::object {
            if (target.empty()) return py::cast(m.shared_from_this());
            for (auto& [n, c] : m.named_modules())
              if (n == target) return py::cast(c);
            throw py::attribute_error(m.type_name() + " has no submodule '" + target + "'");
          },
          py::arg("target"))
      .def(
          "train",
          [](const py::object& self, bool mode) {
            self.cast<nn::Module&>().train(mode);
            return self;
          },
          py::arg("mode") = true, "Training mode for this module and its descendants; returns self.")
      .def(
          "eval",
          [](const py::object& self) {
            self.cast<nn::Module&>().eval();
            return self;
          },
          "Evaluation mode (train(False)); returns self.")
      .def_property("training", &nn::Module::is_training, [](nn::Module& m, bool on) { m.train(on); })
      .def(
          "to",
          [](const py::object& self, const py::args& args, const py::kwargs& kwargs) {
            std::optional<DType> dtype;
            std::optional<Device> device;
            std::optional<MemoryFormat> memory_format;
            auto take = [&](const py::handle& a) {
              if (a.is_none()) return;
              if (py::isinstance<DType>(a))
                dtype = a.cast<DType>();
              else if (py::isinstance<Tensor>(a)) {
                dtype = a.cast<const Tensor&>().dtype();
                device = a.cast<const Tensor&>().device();
              } else
                device = to_device(a);
            };
            for (const auto& a : args) take(a);
            for (const auto& [k, v] : kwargs) {
              std::string key = k.cast<std::string>();
              if (key == "dtype" || key == "device" || key == "tensor")
                take(v);
              else if (key == "memory_format")
                memory_format = v.cast<MemoryFormat>();
              else if (key != "non_blocking")
                throw py::type_error("Module.to() got an unexpected keyword argument '" + key + "'");
            }
            nn::Module& m = self.cast<nn::Module&>();
            {
              py::gil_scoped_release nogil;
              if (device && dtype)
                m.to(*device, *dtype);
              else if (device)
                m.to(*device);
              else if (dtype)
                m.to(*dtype);
              if (memory_format) m.to(*memory_format);  // in place: parameters keep their identity
            }
            return self;
          },
          "Moves and/or casts the parameters and buffers in place (floating ones for a dtype), and lays 4-D ones out "
          "in "
          "memory_format (seek.channels_last); returns self.")
      .def("cpu",
           [](const py::object& self) {
             self.cast<nn::Module&>().to(Device(kCPU));
             return self;
           })
      .def(
          "cuda",
          [](const py::object& self, const py::object& device) {
            self.cast<nn::Module&>().to(device.is_none() ? Device("cuda") : to_device(device));
            return self;
          },
          py::arg("device") = py::none())
      .def("float",
           [](const py::object& self) {
             self.cast<nn::Module&>().to(kFloat32);
             return self;
           })
      .def("double",
           [](const py::object& self) {
             self.cast<nn::Module&>().to(kFloat64);
             return self;
           })
      .def("half",
           [](const py::object& self) {
             self.cast<nn::Module&>().to(kFloat16);
             return self;
           })
      .def("zero_grad", &nn::Module::zero_grad, py::arg("set_to_none") = true,
           "Drops (set_to_none) or zeroes every parameter's gradient.")
      .def(
          "requires_grad_",
          [](const py::object& self, bool on) {
            for (Tensor& p : self.cast<nn::Module&>().parameters()) p.requires_grad_(on);
            return self;
          },
          py::arg("requires_grad") = true)
      .def("num_parameters", &nn::Module::num_parameters, py::arg("trainable_only") = false,
           "The number of parameter elements.")
      .def(
          "state_dict", [](const nn::Module& m) { return state_dict_to_python(m.state_dict()); },
          "OrderedDict of dotted name -> tensor: parameters and persistent buffers.")
      .def(
          "load_state_dict",
          [](nn::Module& m, const py::handle& state, bool strict) {
            nn::StateDict sd = state_dict_from_python(state);
            {
              py::gil_scoped_release nogil;
              m.load_state_dict(sd, strict);
            }
            // (missing_keys, unexpected_keys), as torch's return value.
            std::set<std::string> given, own;
            for (const auto& [k, v] : sd) given.insert(k);
            py::list missing, unexpected;
            for (const auto& [k, v] : m.state_dict()) {
              own.insert(k);
              if (!given.count(k)) missing.append(k);
            }
            for (const auto& [k, v] : sd)
              if (!own.count(k)) unexpected.append(k);
            py::object keys =
                py::module_::import("collections")
                    .attr("namedtuple")("IncompatibleKeys", py::make_tuple("missing_keys", "unexpected_keys"));
            return keys(missing, unexpected);
          },
          py::arg("state_dict"), py::arg("strict") = true,
          "Copies values in. strict: missing or unexpected keys are a ValueError; a shape mismatch always is. "
          "Returns (missing_keys, unexpected_keys).")
      .def("extra_repr", &nn::Module::extra_repr, "The module's own settings, shown by repr().")
      .def("__repr__", [](const py::object& self) { return module_repr(self, 0); })
      .def("__dir__", [](const py::object& self) {
        py::list names = py::module_::import("builtins").attr("object").attr("__dir__")(self);
        nn::Module& m = self.cast<nn::Module&>();
        for (auto& [n, t] : m.named_parameters(false)) names.append(n);
        for (auto& [n, t] : m.named_buffers(false)) names.append(n);
        for (auto& [n, c] : m.named_children()) names.append(n);
        return names;
      });
}

}  // namespace seek::python

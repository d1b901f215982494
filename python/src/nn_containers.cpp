// seek._C.nn containers: Sequential, ModuleList and ModuleDict, like torch.nn's.
// Children are named "0", "1", ... (or by key). Modules are taken through module_ptr(),
// so Python-defined modules survive inside them.
#include "nn_common.h"

#include "seek/nn/container.h"

namespace seek::python {

namespace {

using nn::Module;
using nn::ModulePtr;

int64_t wrap_index(int64_t i, size_t n, const char* who) {
  int64_t size = static_cast<int64_t>(n);
  if (i < 0) i += size;
  if (i < 0 || i >= size)
    throw py::index_error(std::string(who) + ": index " + std::to_string(i) + " is out of range for " +
                          std::to_string(size) + " modules");
  return i;
}

template <typename C>
void push(const py::object& self, const py::handle& module) {
  self.cast<C&>().push_back(module_ptr(module));
}

template <typename C>
py::list items_of(const C& c) {
  py::list l;
  for (size_t i = 0; i < c.size(); ++i) l.append(py::cast(c[static_cast<int64_t>(i)]));
  return l;
}

}  // namespace

void init_nn_containers(py::module_& m) {
  py::class_<nn::Sequential, Module, std::shared_ptr<nn::Sequential>>(
      m, "Sequential", "Runs its modules in order, each on the previous one's output: Sequential(m0, m1, ...).")
      .def(py::init([](const py::args& modules) {
        auto s = std::make_shared<nn::Sequential>();
        for (auto mod : modules) {
          if (!py::isinstance<Module>(mod))
            throw py::type_error("Sequential: every argument must be a seek.nn.Module, got " +
                                 std::string(py::str(py::type::handle_of(mod).attr("__name__"))));
          s->push_back(module_ptr(mod));
        }
        return s;
      }))
      .def(
          "forward", [](nn::Sequential& s, const Tensor& x) { return s.forward(x); }, py::arg("input"),
          py::call_guard<py::gil_scoped_release>())
      .def(
          "append",
          [](const py::object& self, const py::object& mod) {
            push<nn::Sequential>(self, mod);
            return self;
          },
          py::arg("module"))
      .def("__len__", &nn::Sequential::size)
      .def("__getitem__", [](const nn::Sequential& s, int64_t i) { return s[wrap_index(i, s.size(), "Sequential")]; })
      .def(
          "__setitem__",
          [](nn::Sequential& s, int64_t i, const py::object& mod) {
            s.set(wrap_index(i, s.size(), "Sequential"), module_ptr(mod));
          },
          py::arg("index"), py::arg("module"), "Replaces the module at index (forward uses the new one).")
      .def("__iter__", [](const nn::Sequential& s) { return py::iter(items_of(s)); });

  py::class_<nn::ModuleList, Module, std::shared_ptr<nn::ModuleList>>(
      m, "ModuleList", "Holds submodules in a list (registered, unlike a Python list); no forward of its own.")
      .def(py::init([](const py::object& modules) {
             auto l = std::make_shared<nn::ModuleList>();
             if (!modules.is_none())
               for (auto mod : modules) l->push_back(module_ptr(mod));
             return l;
           }),
           py::arg("modules") = py::none())
      .def(
          "append",
          [](const py::object& self, const py::object& mod) {
            push<nn::ModuleList>(self, mod);
            return self;
          },
          py::arg("module"))
      .def(
          "extend",
          [](const py::object& self, const py::iterable& mods) {
            for (auto mod : mods) push<nn::ModuleList>(self, mod);
            return self;
          },
          py::arg("modules"))
      .def("__len__", &nn::ModuleList::size)
      .def("__getitem__", [](const nn::ModuleList& l, int64_t i) { return l[wrap_index(i, l.size(), "ModuleList")]; })
      .def(
          "__setitem__",
          [](nn::ModuleList& l, int64_t i, const py::object& mod) {
            l.set(wrap_index(i, l.size(), "ModuleList"), module_ptr(mod));
          },
          py::arg("index"), py::arg("module"), "Replaces the module at index.")
      .def("__iter__", [](const nn::ModuleList& l) { return py::iter(items_of(l)); });

  py::class_<nn::ModuleDict, Module, std::shared_ptr<nn::ModuleDict>>(
      m, "ModuleDict", "Holds submodules by key in insertion order; no forward of its own.")
      .def(py::init([](const py::object& modules) {
             auto d = std::make_shared<nn::ModuleDict>();
             if (!modules.is_none()) {
               py::object items = py::hasattr(modules, "items") ? modules.attr("items")() : modules;
               for (auto kv : items) {
                 auto pair = kv.cast<py::tuple>();
                 d->insert(pair[0].cast<std::string>(), module_ptr(pair[1]));
               }
             }
             return d;
           }),
           py::arg("modules") = py::none())
      .def(
          "__setitem__",
          [](const py::object& self, const std::string& key, const py::object& mod) {
            auto& d = self.cast<nn::ModuleDict&>();
            if (d.contains(key))
              d.replace_module(key, module_ptr(mod));  // as torch: a known key is replaced
            else
              d.insert(key, module_ptr(mod));
          },
          py::arg("key"), py::arg("module"))
      .def("__getitem__",
           [](const nn::ModuleDict& d, const std::string& key) {
             if (!d.contains(key)) throw py::key_error(key);
             return d[key];
           })
      .def("__contains__", &nn::ModuleDict::contains)
      .def("__len__", &nn::ModuleDict::size)
      .def("__iter__", [](const nn::ModuleDict& d) { return py::iter(py::cast(d.keys())); })
      .def("keys", [](const nn::ModuleDict& d) { return d.keys(); })
      .def("values",
           [](const nn::ModuleDict& d) {
             py::list l;
             for (const auto& k : d.keys()) l.append(py::cast(d[k]));
             return l;
           })
      .def("items", [](const nn::ModuleDict& d) {
        py::list l;
        for (const auto& k : d.keys()) l.append(py::make_tuple(k, d[k]));
        return l;
      });
}

}  // namespace seek::python

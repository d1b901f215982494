#pragma once
// Internals shared by the nn / optim / data / models binding files.
#include <pybind11/functional.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common.h"
#include "seek/backend/conv_params.h"
#include "seek/nn/module.h"

// Int2 (a kernel size, stride, ...) from an int or a pair, as torch accepts.
namespace pybind11::detail {

template <>
struct type_caster<seek::Int2> {
  PYBIND11_TYPE_CASTER(seek::Int2, const_name("Union[int, Tuple[int, int]]"));

  bool load(handle src, bool) {
    if (PyLong_Check(src.ptr())) {
      value = seek::Int2(PyLong_AsLongLong(src.ptr()));
      return !PyErr_Occurred();
    }
    if (!PySequence_Check(src.ptr()) || PyUnicode_Check(src.ptr())) return false;
    auto seq = reinterpret_borrow<sequence>(src);
    if (seq.size() == 1) {
      value = seek::Int2(seq[0].cast<int64_t>());
      return true;
    }
    if (seq.size() != 2) return false;
    value = seek::Int2(seq[0].cast<int64_t>(), seq[1].cast<int64_t>());
    return true;
  }

  static handle cast(const seek::Int2& v, return_value_policy, handle) { return make_tuple(v.h, v.w).release(); }
};

}  // namespace pybind11::detail

namespace seek::python {

// The C++ module of a Python object, for a C++ parent to hold. For a Python subclass of
// seek.nn.Module the pointer also owns a reference to the Python object, so that its
// Python forward (and attributes) live as long as any C++ parent holds it.
std::shared_ptr<nn::Module> module_ptr(const py::handle& obj);

// An OrderedDict / dict / iterable of (name, tensor) pairs as a C++ state dict.
nn::StateDict state_dict_from_python(const py::handle& mapping);

// None, an int or a sequence of ints (a size or scale_factor argument) as an optional list.
inline std::optional<std::vector<int64_t>> int_list(const py::object& o) {
  if (o.is_none()) return std::nullopt;
  if (py::isinstance<py::int_>(o)) return std::vector<int64_t>{o.cast<int64_t>()};
  return o.cast<std::vector<int64_t>>();
}

// None, a number or a sequence of numbers as an optional list of doubles.
inline std::optional<std::vector<double>> float_list(const py::object& o) {
  if (o.is_none()) return std::nullopt;
  if (py::isinstance<py::int_>(o) || py::isinstance<py::float_>(o)) return std::vector<double>{o.cast<double>()};
  return o.cast<std::vector<double>>();
}

// The same object as ptr, but the returned pointer's deleter also holds a reference to the
// Python object obj (a Python subclass instance), so that its Python side lives as long as any
// C++ owner. The reference is dropped under the GIL; after interpreter shutdown it is leaked
// rather than crash.
template <typename T>
std::shared_ptr<T> holding_python_object(std::shared_ptr<T> ptr, const py::handle& obj) {
  auto keep = std::make_shared<py::object>(py::reinterpret_borrow<py::object>(obj));
  T* raw = ptr.get();
  return std::shared_ptr<T>(raw, [ptr = std::move(ptr), keep](T*) mutable {
    if (!Py_IsInitialized()) {
      new std::shared_ptr<py::object>(std::move(keep));  // interpreter gone: leak rather than crash
      return;
    }
    py::gil_scoped_acquire g;
    keep.reset();
    ptr.reset();
  });
}

void init_nn_module(py::module_& nn_m);      // nn_module.cpp
void init_nn_layers(py::module_& nn_m);      // nn_layers.cpp
void init_nn_containers(py::module_& nn_m);  // nn_containers.cpp
void init_nn_functional(py::module_& f);     // nn_functional.cpp
void init_nn_init(py::module_& i);           // nn_functional.cpp

}  // namespace seek::python

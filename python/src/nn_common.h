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

  static handle cast(const seek::Int2& v, return_value_policy, handle) {
    return make_tuple(v.h, v.w).release();
  }
};

}  // namespace pybind11::detail

namespace seek::python {

// The C++ module of a Python object, for a C++ parent to hold. For a Python subclass of
// seek.nn.Module the pointer also owns a reference to the Python object, so that its
// Python forward (and attributes) live as long as any C++ parent holds it.
std::shared_ptr<nn::Module> module_ptr(const py::handle& obj);

// An OrderedDict / dict / iterable of (name, tensor) pairs as a C++ state dict.
nn::StateDict state_dict_from_python(const py::handle& mapping);

void init_nn_module(py::module_& nn_m);      // nn_module.cpp
void init_nn_layers(py::module_& nn_m);      // nn_layers.cpp
void init_nn_containers(py::module_& nn_m);  // nn_containers.cpp
void init_nn_functional(py::module_& f);     // nn_functional.cpp
void init_nn_init(py::module_& i);           // nn_functional.cpp

}  // namespace seek::python

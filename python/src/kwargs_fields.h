#pragma once
// Options structs from Python keyword arguments: the struct is bound with def_readwrite fields, and
// each keyword is set through that binding (so the field's own type conversion applies). An unknown
// keyword is a TypeError naming the struct and the keyword, as Python's own calls report it.
#include <pybind11/pybind11.h>

#include <string>

namespace seek::python {

namespace py = pybind11;

template <typename T>
void set_fields_from_kwargs(T& target, const py::dict& kwargs, const char* what) {
  py::object self = py::cast(&target, py::return_value_policy::reference);
  for (auto& [key, value] : kwargs) {
    std::string k = py::str(key);
    if (k.rfind("_", 0) == 0 || !py::hasattr(self, k.c_str()) || py::isinstance<py::function>(self.attr(k.c_str())) ||
        py::hasattr(self.attr(k.c_str()), "__func__"))
      throw py::type_error(std::string(what) + ": unexpected keyword argument '" + k + "'");
    self.attr(k.c_str()) = value;
  }
}

}  // namespace seek::python

namespace seek::python {

// A getter returning a member by value. Tensor fields are exposed through these rather than def_readonly:
// a Tensor instance that merely refers to a C++ member (reference_internal) is not taken by Tensor's fast
// number slots (tensor_ops.cpp), so `a - b` on it raised TypeError; a copy (a shared handle) is an owned
// instance and behaves like any other tensor.
template <typename C, typename T>
auto by_value(T C::*member) {
  return [member](const C& c) -> T { return c.*member; };
}

template <typename C, typename T>
auto setter(T C::*member) {
  return [member](C& c, T value) { c.*member = std::move(value); };
}

}  // namespace seek::python

#pragma once
// Internals shared by the tensor and autograd binding files: the Python <-> seek::Scalar
// conversion, dtype/device parsing helpers and the per-file init functions that
// init_tensor (tensor_types.cpp) calls.
#include <pybind11/pybind11.h>
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <optional>
#include <string>
#include <vector>

#include "bind.h"
#include "seek/core/tensor.h"
#include "seek/ops/creation.h"

// ---- seek::Scalar from / to Python numbers (bool, int, float, numpy scalars) ----
namespace pybind11::detail {

template <>
struct type_caster<seek::Scalar> {
  PYBIND11_TYPE_CASTER(seek::Scalar, const_name("Union[bool, int, float]"));

  bool load(handle src, bool convert) {
    PyObject* o = src.ptr();
    if (PyBool_Check(o)) {
      value = seek::Scalar(o == Py_True);
      return true;
    }
    if (PyLong_Check(o)) {
      int overflow = 0;
      long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
      if (overflow != 0) return false;
      value = seek::Scalar(static_cast<int64_t>(v));
      return true;
    }
    if (PyFloat_Check(o)) {
      value = seek::Scalar(PyFloat_AsDouble(o));
      return true;
    }
    if (!convert) return false;
    // numpy scalars and other number-likes (never a seek Tensor: those have their own overloads)
    std::string tname = Py_TYPE(o)->tp_name;
    if (tname.rfind("numpy.", 0) != 0) return false;
    if (tname == "numpy.bool_") {
      value = seek::Scalar(PyObject_IsTrue(o) == 1);
      return true;
    }
    if (PyIndex_Check(o)) {
      object i = reinterpret_steal<object>(PyNumber_Index(o));
      if (!i) {
        PyErr_Clear();
        return false;
      }
      value = seek::Scalar(static_cast<int64_t>(PyLong_AsLongLong(i.ptr())));
      return true;
    }
    double d = PyFloat_AsDouble(o);
    if (d == -1.0 && PyErr_Occurred()) {
      PyErr_Clear();
      return false;
    }
    value = seek::Scalar(d);
    return true;
  }

  static handle cast(const seek::Scalar& s, return_value_policy, handle) {
    if (s.is_bool()) return pybind11::bool_(s.to_bool()).release();
    if (s.is_integral()) return PyLong_FromLongLong(s.to_int());
    return PyFloat_FromDouble(s.to_double());
  }
};

}  // namespace pybind11::detail

namespace seek::python {

// A device given as seek.device or a string ("cpu", "cuda", "cuda:1").
Device to_device(const py::handle& obj);
// Tensor options from the dtype / device / requires_grad keywords of a factory.
TensorOptions make_options(std::optional<DType> dtype, const py::object& device, bool requires_grad,
                           DType default_dtype = kFloat32);
// A Python object (Tensor, number, nested list/tuple, numpy array) as a tensor on `device`.
Tensor to_tensor(const py::handle& obj, std::optional<DType> dtype = std::nullopt, Device device = kCPU);
// Shape from either f(2, 3) or f((2, 3)) / f([2, 3]).
Shape shape_from_args(const py::args& args);
// Tensor.tolist() / item conversion helpers.
py::object tensor_tolist(const Tensor& t);
// numpy's dtype for a seek dtype (throws DTypeError for bfloat16).
py::dtype numpy_dtype(DType d);
DType dtype_from_numpy(const py::dtype& d);
// A numpy array sharing the tensor's memory (CPU only).
py::array tensor_to_numpy(const Tensor& t, bool force);

void init_errors(py::module_& m);                            // errors.cpp
void init_dtypes(py::module_& m);                            // tensor_types.cpp
void init_tensor_class(py::class_<Tensor>& cls);             // tensor_class.cpp
void init_tensor_ops(py::class_<Tensor>& cls);               // tensor_ops.cpp
void def_floor_ops(py::module_& m);                          // tensor_ops.cpp (seek.floor_divide, seek.remainder)
void init_tensor_reduce(py::class_<Tensor>& cls);            // tensor_reduce.cpp
void init_tensor_math(py::module_& m);                       // tensor_math.cpp (free functions)
void init_tensor_index(py::class_<Tensor>& cls);             // tensor_index.cpp
void init_factories(py::module_& m);                         // tensor_factories.cpp
void init_random(py::module_& m, py::class_<Tensor>& cls);   // tensor_random.cpp (Generator, random ops)
void init_interop(py::module_& m, py::class_<Tensor>& cls);  // tensor_interop.cpp (numpy, DLPack)
void init_tensor_core_extra(py::module_& m, py::class_<Tensor>& cls);  // tensor_core_extra.cpp (seek.Size, flags)
// A dtype= argument: None, or a seek.dtype; anything else raises TypeError naming `fn` and the value.
std::optional<DType> dtype_arg(const py::handle& obj, const char* fn);
// type(obj).__name__
py::object python_type_name(const py::handle& obj);

// tensor_math_extra.cpp: the hand-bound elementwise and reduction ops of issue 12 (div rounding_mode, median, ...)
void init_tensor_math_extra(py::module_& m, py::class_<Tensor>& cls);

}  // namespace seek::python

// Free functions of the seek module that are not Tensor methods in disguise:
// cat, stack, where, allclose, isclose, equal, matmul, floor_divide, remainder.
// (The unary/binary/reduction functions seek.exp(t), seek.sum(t, ...) are the
// Tensor methods, re-exported by python/seek/__init__.py.)
#include "common.h"

#include "seek/ops/binary.h"
#include "seek/ops/compare.h"
#include "seek/ops/linalg.h"
#include "seek/ops/shape.h"
#include "seek/ops/ternary.h"
#include "seek/ops/unary.h"

namespace seek::python {

void init_tensor_math(py::module_& m) {
  using GilFree = py::call_guard<py::gil_scoped_release>;
  m.def("cat", &seek::cat, py::arg("tensors"), py::arg("dim") = 0, "Concatenates tensors along an existing dim.");
  m.def("concat", &seek::cat, py::arg("tensors"), py::arg("dim") = 0);
  m.def("stack", &seek::stack, py::arg("tensors"), py::arg("dim") = 0, "Stacks tensors along a new dim.");
  m.def("where", py::overload_cast<const Tensor&, const Tensor&, const Tensor&>(&seek::where), py::arg("condition"),
        py::arg("input"), py::arg("other"), "Elements of input where condition holds, else of other.");
  m.def("where", py::overload_cast<const Tensor&, const Tensor&, Scalar>(&seek::where), py::arg("condition"),
        py::arg("input"), py::arg("other"));
  m.def("where", py::overload_cast<const Tensor&, Scalar, const Tensor&>(&seek::where), py::arg("condition"),
        py::arg("input"), py::arg("other"));
  m.def("where", py::overload_cast<const Tensor&, Scalar, Scalar>(&seek::where), py::arg("condition"), py::arg("input"),
        py::arg("other"));
  m.def("isclose", &seek::isclose, py::arg("input"), py::arg("other"), py::arg("rtol") = 1e-5, py::arg("atol") = 1e-8,
        py::arg("equal_nan") = false);
  m.def("allclose", &seek::allclose, py::arg("input"), py::arg("other"), py::arg("rtol") = 1e-5, py::arg("atol") = 1e-8,
        py::arg("equal_nan") = false);
  m.def("equal", &seek::equal, py::arg("input"), py::arg("other"));
  m.def("matmul", &seek::matmul, py::arg("input"), py::arg("other"), GilFree());
  m.def("addmm", &seek::addmm, py::arg("input"), py::arg("mat1"), py::arg("mat2"), py::kw_only(), py::arg("beta") = 1,
        py::arg("alpha") = 1, GilFree());
  m.def("pow", py::overload_cast<Scalar, const Tensor&>(&seek::pow), py::arg("input"), py::arg("exponent"));
  def_floor_ops(m);
  // Names of the generated (non-Custom) rows of the unary and binary tables: python/seek
  // makes seek.<name>(input, ...) of each from the Tensor method.
  py::list table_ops;
#define SEEK_PY_TABLE_Plain(name) table_ops.append(#name);
#define SEEK_PY_TABLE_Fp32(name) table_ops.append(#name);
#define SEEK_PY_TABLE_OptDouble(name) table_ops.append(#name);
#define SEEK_PY_TABLE_Custom(name)
#define SEEK_PY_TABLE_UNARY(E, name, kind, saves, form, ...) SEEK_PY_TABLE_##form(name)
#define SEEK_PY_TABLE_BINARY(E, name, kind, saves, form, ...) SEEK_PY_TABLE_##form(name)
  SEEK_UNARY_OPS(SEEK_PY_TABLE_UNARY)
  SEEK_BINARY_OPS(SEEK_PY_TABLE_BINARY)
#undef SEEK_PY_TABLE_UNARY
#undef SEEK_PY_TABLE_BINARY
#undef SEEK_PY_TABLE_Plain
#undef SEEK_PY_TABLE_Fp32
#undef SEEK_PY_TABLE_OptDouble
#undef SEEK_PY_TABLE_Custom
  m.attr("_table_functions") = py::tuple(table_ops);
}

}  // namespace seek::python

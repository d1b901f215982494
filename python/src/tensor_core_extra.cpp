// Tensor API details a PyTorch script touches: seek.Size for .shape / .size(), the device flags
// (is_xpu, is_meta, ...), .short(), seek.promote_types / seek.result_type, and the checked
// conversions of Python values (dtype arguments, tensor data, hook results, .grad) that name what
// was wrong instead of pybind's generic cast error.
#include "common.h"

namespace seek::python {

namespace {

// seek.Size (python/seek/_size.py), looked up once.
const py::object& size_type() {
  static py::object* type = new py::object(py::module_::import("seek._size").attr("Size"));
  return *type;
}

// tuple.__new__(Size, values): skips Size.__new__'s checks, which ints from C++ need not pass.
py::object make_size(const Shape& s) {
  static py::object* tuple_new = new py::object(py::module_::import("builtins").attr("tuple").attr("__new__"));
  py::tuple t(s.size());
  for (size_t i = 0; i < s.size(); ++i) t[i] = py::int_(s[i]);
  return (*tuple_new)(size_type(), t);
}

// PyTorch's categories for result_type: bool < integer < floating.
int category(DType t) { return t == kBool ? 0 : is_floating(t) ? 2 : 1; }

struct Operand {
  DType dtype;
  int priority;  // 2: a tensor with dims, 1: a 0-dim tensor, 0: a Python number
};

Operand operand(const py::handle& h, const char* fn) {
  if (py::isinstance<Tensor>(h)) {
    const Tensor& t = h.cast<const Tensor&>();
    return {t.dtype(), t.dim() > 0 ? 2 : 1};
  }
  if (PyBool_Check(h.ptr())) return {kBool, 0};
  if (PyLong_Check(h.ptr())) return {kInt64, 0};
  if (PyFloat_Check(h.ptr())) return {kFloat32, 0};  // the default dtype
  throw py::type_error(str(fn, "(): expected a Tensor or a Python number, got ",
                           py::str(py::type::handle_of(h).attr("__name__")).cast<std::string>()));
}

// PyTorch's result_type: the operands of the highest priority class decide, unless an operand of
// a lower class has a higher category (then its default dtype joins in).
DType result_type(const py::handle& a, const py::handle& b) {
  Operand x = operand(a, "result_type"), y = operand(b, "result_type");
  if (x.priority == y.priority) {
    if (x.priority == 0 && category(x.dtype) == category(y.dtype)) return x.dtype;
    return promote_types(x.dtype, y.dtype);
  }
  const Operand& hi = x.priority > y.priority ? x : y;
  const Operand& lo = x.priority > y.priority ? y : x;
  if (category(lo.dtype) <= category(hi.dtype)) return hi.dtype;
  // A float number or 0-dim float tensor with an integer tensor: the number's dtype (0-dim tensors
  // keep their own dtype; Python floats give the default float32).
  return promote_types(hi.dtype, lo.dtype);
}

}  // namespace

std::optional<DType> dtype_arg(const py::handle& obj, const char* fn) {
  if (obj.is_none()) return std::nullopt;
  if (py::isinstance<DType>(obj)) return obj.cast<DType>();
  throw py::type_error(str(fn, "(): argument 'dtype' must be seek.dtype, not ",
                           py::str(py::type::handle_of(obj).attr("__name__")).cast<std::string>(), " (",
                           py::repr(obj).cast<std::string>(), "); use e.g. dtype=seek.float32"));
}

py::object python_type_name(const py::handle& obj) { return py::type::handle_of(obj).attr("__name__"); }

void init_tensor_core_extra(py::module_& m, py::class_<Tensor>& cls) {
  // Replaces the tuple-returning size() of tensor_class.cpp (a second def would only add an overload
  // that the first one shadows).
  if (py::hasattr(cls, "size")) py::delattr(cls, "size");
  cls.def_property_readonly(
         "shape", [](const Tensor& t) { return make_size(t.sizes()); }, "The sizes, as a seek.Size (a tuple).")
      .def(
          "size",
          [](const Tensor& t, std::optional<int64_t> dim) -> py::object {
            if (dim) return py::int_(t.size(*dim));
            return make_size(t.sizes());
          },
          py::arg("dim") = py::none(), "The sizes as a seek.Size (a tuple), or the size of one dimension.")
      .def_property_readonly(
          "is_xpu", [](const Tensor&) { return false; }, "Always False: seek has no XPU backend.")
      .def_property_readonly(
          "is_meta", [](const Tensor&) { return false; }, "Always False: seek has no meta tensors.")
      .def_property_readonly(
          "is_quantized", [](const Tensor&) { return false; }, "Always False.")
      .def_property_readonly(
          "is_sparse", [](const Tensor&) { return false; }, "Always False: seek tensors are dense.")
      .def_property_readonly(
          "is_mkldnn", [](const Tensor&) { return false; }, "Always False.")
      .def(
          "short", [](const Tensor& t) { return t.to(kInt16); }, "A copy as int16 (self when it is int16).");
  m.def(
      "promote_types", [](DType a, DType b) { return promote_types(a, b); }, py::arg("type1"), py::arg("type2"),
      "The smallest dtype both dtypes convert to without losing range or kind, as torch.promote_types.");
  m.def(
      "result_type", [](const py::object& a, const py::object& b) { return result_type(a, b); }, py::arg("tensor1"),
      py::arg("tensor2"),
      "The dtype of an arithmetic op on the two operands (tensors or Python numbers), as torch.result_type.");
}

}  // namespace seek::python

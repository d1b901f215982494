// Tensor operators (+ - * / @ ** // % comparisons, unary, in-place and reflected forms)
// and the element-wise methods (add, exp, relu, clamp, ...).
#include "common.h"

#include "seek/ops/binary.h"
#include "seek/ops/ternary.h"
#include "seek/ops/unary.h"

namespace seek::python {

namespace {

using GilFree = py::call_guard<py::gil_scoped_release>;

// The dtype of `t op s` for a Python scalar s (PyTorch's rule: a scalar of a higher
// category - float over int over bool - lifts the result to that category's default).
DType result_dtype(const Tensor& t, Scalar s) {
  if (s.is_floating() && !is_floating(t.dtype())) return kFloat32;
  if (s.is_integral() && t.dtype() == kBool) return kInt64;
  return t.dtype();
}

Tensor scalar_like(Scalar s, const Tensor& t) {
  return scalar_tensor(s, TensorOptions(result_dtype(t, s)).device(t.device()));
}

// Python's a // b and a % b are seek::floor_divide and seek::remainder (rows DivFloor and
// Remainder of the binary table).

// ---- fast number slots for Tensor (op) Tensor ----
// `a + b` through pybind11 goes: CPython's slot wrapper looks up __add__, pybind11's
// dispatcher builds its argument vectors, finds Tensor's type_info by hashing its type name
// (for each argument and for the result) and only then calls Tensor::add; that costs more
// than the add of a small tensor. These slots serve the common Tensor-Tensor case directly,
// with the type_info looked up once, and hand every other case (a Python number, a
// non-Tensor, an error, whose exception must go through the registered translators) to the
// __add__ / __radd__ methods bound below, so the behaviour is the same.
const py::detail::type_info* g_tensor_info = nullptr;

const Tensor* tensor_in(PyObject* obj) {
  if (!PyObject_TypeCheck(obj, g_tensor_info->type)) return nullptr;
  auto vh = reinterpret_cast<py::detail::instance*>(obj)->get_value_and_holder(g_tensor_info, false);
  // A Tensor that pybind11 returned by reference (def_readonly fields, reference_internal) has a value but no
  // holder of its own; only an instance whose __init__ has not run yet has no value.
  if (!vh || vh.value_ptr() == nullptr) return nullptr;
  return vh.value_ptr<Tensor>();
}

void* move_tensor(const void* src) {
  return new Tensor(std::move(*const_cast<Tensor*>(static_cast<const Tensor*>(src))));
}

// type(self).<name>(self, other), or NotImplemented when the type has no such method.
PyObject* call_method(PyObject* self, const char* name, PyObject* other) {
  PyObject* meth = PyObject_GetAttrString(reinterpret_cast<PyObject*>(Py_TYPE(self)), name);
  if (meth == nullptr) {
    PyErr_Clear();
    Py_RETURN_NOTIMPLEMENTED;
  }
  PyObject* out = PyObject_CallFunctionObjArgs(meth, self, other, nullptr);
  Py_DECREF(meth);
  return out;
}

template <int Slot>
struct FastBinary {
  static constexpr const char* names[4][2] = {
      {"__add__", "__radd__"}, {"__sub__", "__rsub__"}, {"__mul__", "__rmul__"}, {"__truediv__", "__rtruediv__"}};
  // CPython calls the slot with the operands in order, for either operand being a Tensor.
  static PyObject* fallback(PyObject* a, PyObject* b, bool a_is_tensor) {
    if (a_is_tensor) return call_method(a, names[Slot][0], b);
    return call_method(b, names[Slot][1], a);
  }
  static PyObject* call(PyObject* a, PyObject* b) {
    const Tensor* x = tensor_in(a);
    const Tensor* y = x ? tensor_in(b) : nullptr;
    if (y == nullptr) return fallback(a, b, x != nullptr);
    Tensor out;
    try {
      if constexpr (Slot == 0)
        out = x->add(*y);
      else if constexpr (Slot == 1)
        out = x->sub(*y);
      else if constexpr (Slot == 2)
        out = x->mul(*y);
      else
        out = x->div(*y);
    } catch (...) {
      return fallback(a, b, true);  // raises the error the way pybind11 translates it
    }
    return py::detail::type_caster_generic::cast(&out, py::return_value_policy::move, py::handle(), g_tensor_info,
                                                 nullptr, &move_tensor)
        .ptr();
  }
};

void install_fast_number_slots(py::class_<Tensor>& cls) {
  g_tensor_info = py::detail::get_type_info(typeid(Tensor));
  auto* type = reinterpret_cast<PyTypeObject*>(cls.ptr());
  if (g_tensor_info == nullptr || type->tp_as_number == nullptr) return;
  PyNumberMethods* nb = type->tp_as_number;
  nb->nb_add = &FastBinary<0>::call;
  nb->nb_subtract = &FastBinary<1>::call;
  nb->nb_multiply = &FastBinary<2>::call;
  nb->nb_true_divide = &FastBinary<3>::call;
  PyType_Modified(type);
}

}  // namespace

// Tensor-or-scalar method/operator pairs: NAME(Tensor) and NAME(Scalar).
#define SEEK_BIN(NAME, EXPR_T, EXPR_S, ...)                                          \
  cls.def(                                                                           \
      NAME, [](const Tensor& a, const Tensor& b) { return EXPR_T; }, ##__VA_ARGS__); \
  cls.def(                                                                           \
      NAME, [](const Tensor& a, Scalar b) { return EXPR_S; }, ##__VA_ARGS__)
// In-place forms return the same Python object (x += y keeps x's identity).
#define SEEK_IBIN(NAME, STMT_T, STMT_S, ...) \
  cls.def(                                   \
      NAME,                                  \
      [](py::object self, const Tensor& b) { \
        Tensor& a = self.cast<Tensor&>();    \
        STMT_T;                              \
        return self;                         \
      },                                     \
      ##__VA_ARGS__);                        \
  cls.def(                                   \
      NAME,                                  \
      [](py::object self, Scalar b) {        \
        Tensor& a = self.cast<Tensor&>();    \
        STMT_S;                              \
        return self;                         \
      },                                     \
      ##__VA_ARGS__)
#define SEEK_UNARY(NAME) \
  cls.def(               \
      #NAME, [](const Tensor& a) { return a.NAME(); }, "Element-wise " #NAME " (a new tensor).")
#define SEEK_IUNARY(NAME)            \
  cls.def(                           \
      #NAME,                         \
      [](py::object self) {          \
        self.cast<Tensor&>().NAME(); \
        return self;                 \
      },                             \
      "In-place " #NAME "; returns self.")

void init_tensor_ops(py::class_<Tensor>& cls) {
  auto op = py::is_operator();
  // ---- arithmetic operators ----
  SEEK_BIN("__add__", a.add(b), a.add(b), op);
  SEEK_BIN("__sub__", a.sub(b), a.sub(b), op);
  SEEK_BIN("__mul__", a.mul(b), a.mul(b), op);
  SEEK_BIN("__truediv__", a.div(b), a.div(b), op);
  SEEK_BIN("__pow__", a.pow(b), a.pow(b), op);
  SEEK_BIN("__floordiv__", floor_divide(a, b), floor_divide(a, scalar_like(b, a)), op);
  SEEK_BIN("__mod__", remainder(a, b), remainder(a, scalar_like(b, a)), op);
  cls.def(
      "__radd__", [](const Tensor& a, Scalar b) { return a.add(b); }, op);
  cls.def(
      "__rsub__", [](const Tensor& a, Scalar b) { return b - a; }, op);
  cls.def(
      "__rmul__", [](const Tensor& a, Scalar b) { return a.mul(b); }, op);
  cls.def(
      "__rtruediv__", [](const Tensor& a, Scalar b) { return b / a; }, op);
  cls.def(
      "__rpow__", [](const Tensor& a, Scalar b) { return seek::pow(b, a); }, op);
  cls.def(
      "__rfloordiv__", [](const Tensor& a, Scalar b) { return floor_divide(scalar_like(b, a), a); }, op);
  cls.def(
      "__rmod__", [](const Tensor& a, Scalar b) { return remainder(scalar_like(b, a), a); }, op);
  cls.def(
      "__matmul__", [](const Tensor& a, const Tensor& b) { return a.matmul(b); }, op, GilFree());
  cls.def("__neg__", [](const Tensor& a) { return a.neg(); });
  cls.def("__pos__", [](const Tensor& a) { return a; });
  cls.def("__abs__", [](const Tensor& a) { return a.abs(); });
  cls.def("__invert__", [](const Tensor& a) {
    SEEK_CHECK_DTYPE(a.dtype() == kBool, "~: only bool tensors are supported, got ", a.dtype());
    return a.logical_not();
  });
  cls.def(
      "__and__", [](const Tensor& a, const Tensor& b) { return a.logical_and(b); }, op);
  cls.def(
      "__or__", [](const Tensor& a, const Tensor& b) { return a.logical_or(b); }, op);
  cls.def(
      "__xor__", [](const Tensor& a, const Tensor& b) { return a.logical_xor(b); }, op);
  // ---- comparisons ----
  SEEK_BIN("__eq__", a.eq(b), a.eq(b), op);
  SEEK_BIN("__ne__", a.ne(b), a.ne(b), op);
  SEEK_BIN("__lt__", a.lt(b), a.lt(b), op);
  SEEK_BIN("__le__", a.le(b), a.le(b), op);
  SEEK_BIN("__gt__", a.gt(b), a.gt(b), op);
  SEEK_BIN("__ge__", a.ge(b), a.ge(b), op);
  SEEK_BIN("eq", a.eq(b), a.eq(b));
  SEEK_BIN("ne", a.ne(b), a.ne(b));
  SEEK_BIN("lt", a.lt(b), a.lt(b));
  SEEK_BIN("le", a.le(b), a.le(b));
  SEEK_BIN("gt", a.gt(b), a.gt(b));
  SEEK_BIN("ge", a.ge(b), a.ge(b));
  // ---- in-place operators ----
  SEEK_IBIN("__iadd__", a.add_(b), a.add_(b), op);
  SEEK_IBIN("__isub__", a.sub_(b), a.sub_(b), op);
  SEEK_IBIN("__imul__", a.mul_(b), a.mul_(b), op);
  SEEK_IBIN("__itruediv__", a.div_(b), a.div_(b), op);
  cls.def(
      "__ipow__",
      [](py::object self, Scalar b) {
        self.cast<Tensor&>().pow_(b);
        return self;
      },
      op);
  // ---- named binary methods ----
  cls.def(
      "add", [](const Tensor& a, const Tensor& b, Scalar alpha) { return a.add(b, alpha); }, py::arg("other"),
      py::kw_only(), py::arg("alpha") = 1, "self + alpha * other");
  cls.def(
      "add", [](const Tensor& a, Scalar b) { return a.add(b); }, py::arg("other"));
  cls.def(
      "sub", [](const Tensor& a, const Tensor& b, Scalar alpha) { return a.sub(b, alpha); }, py::arg("other"),
      py::kw_only(), py::arg("alpha") = 1, "self - alpha * other");
  cls.def(
      "sub", [](const Tensor& a, Scalar b) { return a.sub(b); }, py::arg("other"));
  SEEK_BIN("mul", a.mul(b), a.mul(b), py::arg("other"), "self * other (broadcasting).");
  SEEK_BIN("div", a.div(b), a.div(b), py::arg("other"), "self / other: true division (integers give float32).");
  SEEK_BIN("pow", a.pow(b), a.pow(b), py::arg("exponent"), "self ** exponent.");
  SEEK_BIN("floor_divide", floor_divide(a, b), floor_divide(a, scalar_like(b, a)), py::arg("other"),
           "Python's self // other (floor of the quotient).");
  // the Plain rows of SEEK_BINARY_OPS: maximum, minimum, logical_and, ... (other: a tensor or a number)
#define SEEK_PY_BINARY_Plain(name)                                                         \
  cls.def(                                                                                 \
      #name, [](const Tensor& a, const Tensor& b) { return a.name(b); }, py::arg("other"), \
      "Element-wise " #name " of self and other (broadcasting).");                         \
  cls.def(                                                                                 \
      #name, [](const Tensor& a, Scalar b) { return a.name(scalar_like(b, a)); }, py::arg("other"));
#define SEEK_PY_BINARY_Custom(name)
#define SEEK_PY_BINARY(E, name, kind, saves, form, ...) SEEK_PY_BINARY_##form(name)
  SEEK_BINARY_OPS(SEEK_PY_BINARY)
#undef SEEK_PY_BINARY
#undef SEEK_PY_BINARY_Plain
#undef SEEK_PY_BINARY_Custom
  cls.def(
      "add_",
      [](py::object self, const Tensor& b, Scalar alpha) {
        self.cast<Tensor&>().add_(b, alpha);
        return self;
      },
      py::arg("other"), py::kw_only(), py::arg("alpha") = 1);
  cls.def(
      "add_",
      [](py::object self, Scalar b) {
        self.cast<Tensor&>().add_(b);
        return self;
      },
      py::arg("other"));
  cls.def(
      "sub_",
      [](py::object self, const Tensor& b, Scalar alpha) {
        self.cast<Tensor&>().sub_(b, alpha);
        return self;
      },
      py::arg("other"), py::kw_only(), py::arg("alpha") = 1);
  cls.def(
      "sub_",
      [](py::object self, Scalar b) {
        self.cast<Tensor&>().sub_(b);
        return self;
      },
      py::arg("other"));
  SEEK_IBIN("mul_", a.mul_(b), a.mul_(b), py::arg("other"));
  SEEK_IBIN("div_", a.div_(b), a.div_(b), py::arg("other"));
  cls.def(
      "pow_",
      [](py::object self, Scalar e) {
        self.cast<Tensor&>().pow_(e);
        return self;
      },
      py::arg("exponent"));
  // ---- unary ----
  // the Plain / Fp32 / OptDouble rows of SEEK_UNARY_OPS
#define SEEK_PY_UNARY_Plain(name, param) SEEK_UNARY(name);
#define SEEK_PY_UNARY_Fp32(name, param) SEEK_UNARY(name);
#define SEEK_PY_UNARY_OptDouble(name, param)                                                                   \
  cls.def(                                                                                                     \
      #name, [](const Tensor& a, std::optional<double> v) { return a.name(v); }, py::arg(#param) = py::none(), \
      "Element-wise " #name " (a new tensor); " #param " as in torch." #name ".");
#define SEEK_PY_UNARY_Custom(name, param)
#define SEEK_PY_UNARY(E, name, kind, saves, form, param, ...) SEEK_PY_UNARY_##form(name, param)
  SEEK_UNARY_OPS(SEEK_PY_UNARY)
#undef SEEK_PY_UNARY
#undef SEEK_PY_UNARY_Plain
#undef SEEK_PY_UNARY_Fp32
#undef SEEK_PY_UNARY_OptDouble
#undef SEEK_PY_UNARY_Custom
  cls.def("negative", [](const Tensor& a) { return a.neg(); });
  cls.def("gelu", &Tensor::gelu, py::arg("approximate") = "none");
  cls.def("softplus", &Tensor::softplus, py::arg("beta") = 1.0, py::arg("threshold") = 20.0);
  SEEK_IUNARY(neg_);
  SEEK_IUNARY(abs_);
  SEEK_IUNARY(exp_);
  SEEK_IUNARY(log_);
  SEEK_IUNARY(sqrt_);
  SEEK_IUNARY(sigmoid_);
  SEEK_IUNARY(tanh_);
  SEEK_IUNARY(relu_);
  SEEK_IUNARY(floor_);
  SEEK_IUNARY(ceil_);
  SEEK_IUNARY(round_);
  SEEK_IUNARY(reciprocal_);
  // ---- ternary family ----
  cls.def(
      "clamp", [](const Tensor& a, std::optional<Scalar> min, std::optional<Scalar> max) { return a.clamp(min, max); },
      py::arg("min") = py::none(), py::arg("max") = py::none());
  cls.def(
      "clip", [](const Tensor& a, std::optional<Scalar> min, std::optional<Scalar> max) { return a.clamp(min, max); },
      py::arg("min") = py::none(), py::arg("max") = py::none());
  cls.def(
      "clamp_",
      [](py::object self, std::optional<Scalar> min, std::optional<Scalar> max) {
        self.cast<Tensor&>().clamp_(min, max);
        return self;
      },
      py::arg("min") = py::none(), py::arg("max") = py::none());
  cls.def("clamp_min", &Tensor::clamp_min, py::arg("min"));
  cls.def("clamp_max", &Tensor::clamp_max, py::arg("max"));
  cls.def(
      "lerp", [](const Tensor& a, const Tensor& end, Scalar w) { return a.lerp(end, w); }, py::arg("end"),
      py::arg("weight"));
  cls.def(
      "lerp", [](const Tensor& a, const Tensor& end, const Tensor& w) { return a.lerp(end, w); }, py::arg("end"),
      py::arg("weight"));
  cls.def("addcmul", &Tensor::addcmul, py::arg("tensor1"), py::arg("tensor2"), py::kw_only(), py::arg("value") = 1);
  cls.def("addcdiv", &Tensor::addcdiv, py::arg("tensor1"), py::arg("tensor2"), py::kw_only(), py::arg("value") = 1);
  cls.def(
      "lerp_",
      [](py::object self, const Tensor& end, Scalar w) {
        self.cast<Tensor&>().lerp_(end, w);
        return self;
      },
      py::arg("end"), py::arg("weight"));
  cls.def(
      "addcmul_",
      [](py::object self, const Tensor& t1, const Tensor& t2, Scalar v) {
        self.cast<Tensor&>().addcmul_(t1, t2, v);
        return self;
      },
      py::arg("tensor1"), py::arg("tensor2"), py::kw_only(), py::arg("value") = 1);
  cls.def(
      "addcdiv_",
      [](py::object self, const Tensor& t1, const Tensor& t2, Scalar v) {
        self.cast<Tensor&>().addcdiv_(t1, t2, v);
        return self;
      },
      py::arg("tensor1"), py::arg("tensor2"), py::kw_only(), py::arg("value") = 1);
  cls.def("masked_fill", py::overload_cast<const Tensor&, Scalar>(&Tensor::masked_fill, py::const_), py::arg("mask"),
          py::arg("value"));
  cls.def(
      "masked_fill_",
      [](py::object self, const Tensor& mask, Scalar v) {
        self.cast<Tensor&>().masked_fill_(mask, v);
        return self;
      },
      py::arg("mask"), py::arg("value"));
  cls.def(
      "where", [](const Tensor& a, const Tensor& cond, const Tensor& other) { return seek::where(cond, a, other); },
      py::arg("condition"), py::arg("other"));
  cls.def(
      "where", [](const Tensor& a, const Tensor& cond, Scalar other) { return seek::where(cond, a, other); },
      py::arg("condition"), py::arg("other"));
  install_fast_number_slots(cls);
}

#undef SEEK_BIN
#undef SEEK_IBIN
#undef SEEK_UNARY
#undef SEEK_IUNARY

// seek.floor_divide / seek.remainder as free functions (the rest are in tensor_math.cpp).
void def_floor_ops(py::module_& m) {
  m.def("floor_divide", [](const Tensor& a, const Tensor& b) { return floor_divide(a, b); });
  m.def("floor_divide", [](const Tensor& a, Scalar b) { return floor_divide(a, scalar_like(b, a)); });
  m.def("remainder", [](const Tensor& a, const Tensor& b) { return remainder(a, b); });
  m.def("remainder", [](const Tensor& a, Scalar b) { return remainder(a, scalar_like(b, a)); });
}

}  // namespace seek::python

// Tensor factories: seek.tensor (nested lists with dtype inference), zeros / ones / full /
// empty / arange / linspace / eye and the *_like forms (the random factories with generator= are in
// tensor_random.cpp).
#include "common.h"

#include "seek/autograd/grad_mode.h"
#include "seek/ops/creation.h"
#include "seek/ops/random.h"

namespace seek::python {

namespace {

// Reads nested sequences (lists, tuples, numpy arrays, ranges, ...) of numbers: the shape comes from
// the first element at each depth, every other element is checked against it, leaves are kept in
// row-major order. The dtype is inferred as PyTorch does: bool, int64 or the default float32 for
// Python values, the numpy dtype for numpy scalars, promoted over all leaves.
struct NestedReader {
  Shape shape;
  std::vector<Scalar> values;
  Scalar::Kind kind = Scalar::Kind::Bool;  // the widest kind seen (bool < int < float)
  std::optional<DType> inferred;           // promoted over the leaves
  std::vector<int64_t> index;              // where the reader is, for messages

  static py::object plain(const py::handle& h) {
    if (py::isinstance<Tensor>(h)) return tensor_tolist(h.cast<const Tensor&>());
    return py::reinterpret_borrow<py::object>(h);
  }
  static bool is_seq(const py::handle& h) {
    if (py::isinstance<py::list>(h) || py::isinstance<py::tuple>(h)) return true;
    if (py::isinstance<py::array>(h)) return py::reinterpret_borrow<py::array>(h).ndim() > 0;
    if (py::isinstance<py::str>(h) || py::isinstance<py::bytes>(h) || py::isinstance<py::dict>(h)) return false;
    return PySequence_Check(h.ptr()) == 1;  // range, array.array, user sequences
  }
  std::string where() const {
    if (index.empty()) return "";
    return " at index " + shape_str(index);
  }

  void read_all(const py::handle& obj) {
    py::object h = plain(obj);
    while (is_seq(h)) {
      auto n = static_cast<int64_t>(py::len(h));
      shape.push_back(n);
      if (n == 0) break;
      h = plain(h[py::int_(0)]);
    }
    read(plain(obj), 0);
  }

  void leaf(const py::object& h) {
    PyObject* o = h.ptr();
    DType d;
    Scalar s;
    // numpy first: np.float64 subclasses Python float, and its dtype must survive
    if (py::isinstance<py::array>(h) || std::string(Py_TYPE(o)->tp_name).rfind("numpy.", 0) == 0) {
      // a numpy scalar or 0-d array: its dtype joins the inference
      py::array a = py::module_::import("numpy").attr("asarray")(h);
      d = dtype_from_numpy(a.dtype());
      py::object item = a.attr("item")();
      s = PyBool_Check(item.ptr())   ? Scalar(item.ptr() == Py_True)
          : PyLong_Check(item.ptr()) ? Scalar(item.cast<int64_t>())
                                     : Scalar(item.cast<double>());
    } else if (PyBool_Check(o)) {
      s = Scalar(o == Py_True);
      d = kBool;
    } else if (PyLong_Check(o)) {
      int overflow = 0;
      long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
      if (overflow != 0) {
        throw seek::Error(str("Overflow when unpacking long: tensor() got the integer ",
                              py::repr(h).cast<std::string>(), where(), ", which does not fit in int64"));
      }
      s = Scalar(static_cast<int64_t>(v));
      d = kInt64;
    } else if (PyFloat_Check(o)) {
      s = Scalar(PyFloat_AsDouble(o));
      d = kFloat32;  // the default dtype
    } else if (py::isinstance<py::str>(h) || py::isinstance<py::bytes>(h)) {
      throw py::type_error(str("tensor(): invalid data type '", python_type_name(h).cast<std::string>(), "' (",
                               py::repr(h).cast<std::string>(), where(), "): expected numbers"));
    } else {
      throw py::type_error(str("tensor(): could not infer dtype of ", python_type_name(h).cast<std::string>(), " (",
                               py::repr(h).cast<std::string>(), where(), "): expected numbers or sequences of them"));
    }
    Scalar::Kind k = is_floating(d) ? Scalar::Kind::Float : d == kBool ? Scalar::Kind::Bool : Scalar::Kind::Int;
    if (static_cast<int>(k) > static_cast<int>(kind)) kind = k;
    inferred = inferred ? promote_types(*inferred, d) : d;
    values.push_back(s);
  }

  void read(const py::object& h, size_t depth) {
    if (depth == shape.size()) {
      if (is_seq(h)) throw seek::ValueError(str("tensor: found a sequence", where(), " where a number was expected"));
      leaf(h);
      return;
    }
    if (!is_seq(h))
      throw seek::ValueError(
          str("tensor: expected a sequence of length ", shape[depth], " at dim ", depth, where(), ", got a number"));
    auto n = static_cast<int64_t>(py::len(h));
    if (n != shape[depth])
      throw seek::ValueError(
          str("tensor: expected sequence of length ", shape[depth], " at dim ", depth, " (got ", n, ")", where()));
    index.push_back(0);
    for (const auto& item : h) {
      read(plain(item), depth + 1);
      ++index.back();
    }
    index.pop_back();
  }
};

template <typename T>
Tensor build(const NestedReader& r, DType dtype) {
  std::vector<T> v;
  v.reserve(r.values.size());
  for (const Scalar& s : r.values) v.push_back(s.to<T>());
  return tensor<T>(v, r.shape, TensorOptions(dtype));
}

Tensor apply_grad(Tensor t, bool requires_grad) {
  if (requires_grad) t.requires_grad_(true);
  return t;
}

// For f(*size, dtype=None, device=None, requires_grad=False).
#define SEEK_SIZE_FACTORY(NAME, CALL, DOC)                                                                            \
  m.def(                                                                                                              \
      NAME,                                                                                                           \
      [](const py::args& size, const py::object& dtype_obj, const py::object& device, bool rg) {                      \
        std::optional<DType> dtype = dtype_arg(dtype_obj, NAME);                                                      \
        TensorOptions o = make_options(dtype, device, false);                                                         \
        Shape shape = shape_from_args(size);                                                                          \
        return apply_grad(CALL, rg);                                                                                  \
      },                                                                                                              \
      py::kw_only(), py::arg("dtype") = py::none(), py::arg("device") = py::none(), py::arg("requires_grad") = false, \
      DOC)
// For f_like(t, dtype=None, device=None, requires_grad=False).
#define SEEK_LIKE_FACTORY(NAME, CALL)                                                                           \
  m.def(                                                                                                        \
      NAME,                                                                                                     \
      [](const Tensor& t, const py::object& dtype_obj, const py::object& device, bool rg, MemoryFormat fmt) {   \
        std::optional<DType> dtype = dtype_arg(dtype_obj, NAME);                                                \
        TensorOptions o =                                                                                       \
            TensorOptions(dtype.value_or(t.dtype())).device(device.is_none() ? t.device() : to_device(device)); \
        return apply_grad(CALL, rg);                                                                            \
      },                                                                                                        \
      py::arg("input"), py::kw_only(), py::arg("dtype") = py::none(), py::arg("device") = py::none(),           \
      py::arg("requires_grad") = false, py::arg("memory_format") = MemoryFormat::Preserve)

// values (a fresh row-major tensor) copied into a tensor like t in memory_format, with no history.
Tensor laid_out_like(const Tensor& values, const Tensor& t, TensorOptions o, MemoryFormat fmt) {
  Tensor out = empty_like(t, o, fmt);
  if (out.strides() == values.strides()) return values;
  NoGradGuard g;
  out.copy_(values);
  return out;
}

}  // namespace

Tensor to_tensor(const py::handle& obj, std::optional<DType> dtype, Device device) {
  if (py::isinstance<Tensor>(obj)) {
    const Tensor& t = obj.cast<const Tensor&>();
    return t.detach().to(device, dtype.value_or(t.dtype()), /*copy=*/true);
  }
  if (py::isinstance<py::array>(obj)) {
    py::module_ np = py::module_::import("numpy");
    py::array a = np.attr("ascontiguousarray")(obj);
    Tensor t = py::module_::import("seek").attr("from_numpy")(a).cast<Tensor>();
    // ascontiguousarray makes a 0-d array 1-d: a 0-d array gives a 0-d tensor, as in PyTorch
    if (py::reinterpret_borrow<py::array>(obj).ndim() == 0) t = t.reshape({});
    return t.to(device, dtype.value_or(t.dtype()), /*copy=*/true);
  }
  NestedReader r;
  r.read_all(obj);
  DType inferred = r.inferred.value_or(kFloat32);  // [] is float32, as in PyTorch
  DType d = dtype.value_or(inferred);
  Tensor t;
  if (r.kind == Scalar::Kind::Float || is_floating(d))
    t = build<double>(r, d);
  else if (r.kind == Scalar::Kind::Int || d != kBool)
    t = build<int64_t>(r, d);
  else
    t = build<bool>(r, d);
  return device.is_cpu() ? t : t.to(device);
}

void init_factories(py::module_& m) {
  m.def(
      "tensor",
      [](const py::object& data, const py::object& dtype_obj, const py::object& device, bool rg) {
        std::optional<DType> dtype = dtype_arg(dtype_obj, "tensor");
        return apply_grad(to_tensor(data, dtype, device.is_none() ? kCPU : to_device(device)), rg);
      },
      py::arg("data"), py::kw_only(), py::arg("dtype") = py::none(), py::arg("device") = py::none(),
      py::arg("requires_grad") = false,
      "A new tensor (a copy) from a number, nested lists/tuples, a numpy array or a tensor. The dtype is inferred "
      "as in PyTorch: bool, int64 or float32.");
  m.def(
      "as_tensor",
      [](const py::object& data, const py::object& dtype_obj, const py::object& device) -> Tensor {
        std::optional<DType> dtype = dtype_arg(dtype_obj, "as_tensor");
        Device dev = device.is_none() ? kCPU : to_device(device);
        if (py::isinstance<Tensor>(data))
          return data.cast<const Tensor&>().to(dev, dtype.value_or(data.cast<const Tensor&>().dtype()));
        if (py::isinstance<py::array>(data)) {
          Tensor t = py::module_::import("seek").attr("from_numpy")(data).cast<Tensor>();
          return t.to(dev, dtype.value_or(t.dtype()));
        }
        return to_tensor(data, dtype, dev);
      },
      py::arg("data"), py::arg("dtype") = py::none(), py::arg("device") = py::none(),
      "Like tensor(), but shares memory with a tensor or numpy array when dtype and device allow.");
  m.def(
      "scalar_tensor",
      [](Scalar v, const py::object& dtype_obj, const py::object& device, bool rg) {
        std::optional<DType> dtype = dtype_arg(dtype_obj, "scalar_tensor");
        return apply_grad(scalar_tensor(v, make_options(dtype, device, false, kFloat32)), rg);
      },
      py::arg("s"), py::kw_only(), py::arg("dtype") = py::none(), py::arg("device") = py::none(),
      py::arg("requires_grad") = false);
  SEEK_SIZE_FACTORY("zeros", zeros(shape, o), "A tensor of zeros: zeros(2, 3) or zeros((2, 3)).");
  SEEK_SIZE_FACTORY("ones", ones(shape, o), "A tensor of ones.");
  m.def(
      "empty",
      [](const py::args& size, const py::object& dtype_obj, const py::object& device, bool rg, MemoryFormat fmt) {
        std::optional<DType> dtype = dtype_arg(dtype_obj, "empty");
        TensorOptions o = make_options(dtype, device, false);
        Shape shape = shape_from_args(size);
        return apply_grad(fmt == MemoryFormat::Preserve ? empty(shape, o) : empty(shape, o, fmt), rg);
      },
      py::kw_only(), py::arg("dtype") = py::none(), py::arg("device") = py::none(), py::arg("requires_grad") = false,
      py::arg("memory_format") = MemoryFormat::Contiguous, "An uninitialised tensor (laid out in memory_format).");
  m.def(
      "full",
      [](const Shape& size, Scalar value, const py::object& dtype_obj, const py::object& device, bool rg) {
        std::optional<DType> dtype = dtype_arg(dtype_obj, "full");
        return apply_grad(full(size, value, make_options(dtype, device, false, value.default_dtype())), rg);
      },
      py::arg("size"), py::arg("fill_value"), py::kw_only(), py::arg("dtype") = py::none(),
      py::arg("device") = py::none(), py::arg("requires_grad") = false,
      "A tensor filled with fill_value (dtype inferred from it: bool, int64 or float32).");
  m.def(
      "arange",
      [](Scalar start, std::optional<Scalar> end, Scalar step, const py::object& dtype_obj, const py::object& device,
         bool rg) {
        std::optional<DType> dtype = dtype_arg(dtype_obj, "arange");
        std::optional<TensorOptions> o;
        if (dtype || !device.is_none()) {
          bool all_int = !start.is_floating() && !(end && end->is_floating()) && !step.is_floating();
          o = make_options(dtype, device, false, all_int ? kInt64 : kFloat32);
        }
        Tensor t = end ? arange(start, *end, step, o) : arange(start, o);
        return apply_grad(t, rg);
      },
      py::arg("start"), py::arg("end") = py::none(), py::arg("step") = 1, py::kw_only(), py::arg("dtype") = py::none(),
      py::arg("device") = py::none(), py::arg("requires_grad") = false,
      "[start, end) in steps of step; arange(end) starts at 0. int64 when all arguments are integers.");
  m.def(
      "linspace",
      [](double start, double end, int64_t steps, const py::object& dtype_obj, const py::object& device, bool rg) {
        std::optional<DType> dtype = dtype_arg(dtype_obj, "linspace");
        return apply_grad(linspace(start, end, steps, make_options(dtype, device, false)), rg);
      },
      py::arg("start"), py::arg("end"), py::arg("steps"), py::kw_only(), py::arg("dtype") = py::none(),
      py::arg("device") = py::none(), py::arg("requires_grad") = false);
  m.def(
      "eye",
      [](int64_t n, std::optional<int64_t> mm, const py::object& dtype_obj, const py::object& device, bool rg) {
        std::optional<DType> dtype = dtype_arg(dtype_obj, "eye");
        return apply_grad(eye(n, mm, make_options(dtype, device, false)), rg);
      },
      py::arg("n"), py::arg("m") = py::none(), py::kw_only(), py::arg("dtype") = py::none(),
      py::arg("device") = py::none(), py::arg("requires_grad") = false);
  SEEK_LIKE_FACTORY("zeros_like", zeros_like(t, o, fmt));
  SEEK_LIKE_FACTORY("ones_like", ones_like(t, o, fmt));
  SEEK_LIKE_FACTORY("empty_like", empty_like(t, o, fmt));
  // random values in row-major order (the same stream whatever the layout), stored in the layout
  SEEK_LIKE_FACTORY("rand_like", laid_out_like(rand_like(t, o), t, o, fmt));
  SEEK_LIKE_FACTORY("randn_like", laid_out_like(randn_like(t, o), t, o, fmt));
  m.def(
      "full_like",
      [](const Tensor& t, Scalar v, const py::object& dtype_obj, const py::object& device, bool rg, MemoryFormat fmt) {
        std::optional<DType> dtype = dtype_arg(dtype_obj, "full_like");
        TensorOptions o =
            TensorOptions(dtype.value_or(t.dtype())).device(device.is_none() ? t.device() : to_device(device));
        return apply_grad(full_like(t, v, o, fmt), rg);
      },
      py::arg("input"), py::arg("fill_value"), py::kw_only(), py::arg("dtype") = py::none(),
      py::arg("device") = py::none(), py::arg("requires_grad") = false,
      py::arg("memory_format") = MemoryFormat::Preserve);
}

#undef SEEK_SIZE_FACTORY
#undef SEEK_LIKE_FACTORY

}  // namespace seek::python

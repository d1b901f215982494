// Tensor factories: seek.tensor (nested lists with dtype inference), zeros / ones / full /
// empty / arange / linspace / eye and the *_like forms (the random factories with generator= are in
// tensor_random.cpp).
#include "common.h"

#include "seek/ops/creation.h"
#include "seek/ops/random.h"

namespace seek::python {

namespace {

// Reads nested lists/tuples of numbers: the shape comes from the first element at each
// depth, every other element is checked against it, leaves are kept in row-major order.
struct NestedReader {
  Shape shape;
  std::vector<Scalar> values;
  Scalar::Kind kind = Scalar::Kind::Bool;  // the widest kind seen (bool < int < float)

  static py::object plain(const py::handle& h) {
    if (py::isinstance<Tensor>(h)) return tensor_tolist(h.cast<const Tensor&>());
    return py::reinterpret_borrow<py::object>(h);
  }
  static bool is_seq(const py::handle& h) {
    return py::isinstance<py::list>(h) || py::isinstance<py::tuple>(h) ||
           (py::isinstance<py::array>(h) && py::array(py::reinterpret_borrow<py::array>(h)).ndim() > 0);
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

  void read(const py::object& h, size_t depth) {
    if (depth == shape.size()) {
      if (is_seq(h))
        throw seek::ValueError(str("tensor: found a sequence at dim ", depth, " where a number was expected"));
      Scalar s = h.cast<Scalar>();
      if (static_cast<int>(s.kind()) > static_cast<int>(kind)) kind = s.kind();
      values.push_back(s);
      return;
    }
    if (!is_seq(h))
      throw seek::ValueError(
          str("tensor: expected a sequence of length ", shape[depth], " at dim ", depth, ", got a number"));
    auto n = static_cast<int64_t>(py::len(h));
    if (n != shape[depth])
      throw seek::ValueError(
          str("tensor: expected sequence of length ", shape[depth], " at dim ", depth, " (got ", n, ")"));
    for (const auto& item : h) read(plain(item), depth + 1);
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
      [](const py::args& size, std::optional<DType> dtype, const py::object& device, bool rg) {                       \
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
      [](const Tensor& t, std::optional<DType> dtype, const py::object& device, bool rg) {                      \
        TensorOptions o =                                                                                       \
            TensorOptions(dtype.value_or(t.dtype())).device(device.is_none() ? t.device() : to_device(device)); \
        return apply_grad(CALL, rg);                                                                            \
      },                                                                                                        \
      py::arg("input"), py::kw_only(), py::arg("dtype") = py::none(), py::arg("device") = py::none(),           \
      py::arg("requires_grad") = false)

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
    return t.to(device, dtype.value_or(t.dtype()), /*copy=*/true);
  }
  NestedReader r;
  r.read_all(obj);
  DType inferred = r.kind == Scalar::Kind::Float ? kFloat32 : r.kind == Scalar::Kind::Int ? kInt64 : kBool;
  if (r.values.empty() && r.kind == Scalar::Kind::Bool) inferred = kFloat32;  // [] is float32, as in PyTorch
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
      [](const py::object& data, std::optional<DType> dtype, const py::object& device, bool rg) {
        return apply_grad(to_tensor(data, dtype, device.is_none() ? kCPU : to_device(device)), rg);
      },
      py::arg("data"), py::kw_only(), py::arg("dtype") = py::none(), py::arg("device") = py::none(),
      py::arg("requires_grad") = false,
      "A new tensor (a copy) from a number, nested lists/tuples, a numpy array or a tensor. The dtype is inferred "
      "as in PyTorch: bool, int64 or float32.");
  m.def(
      "as_tensor",
      [](const py::object& data, std::optional<DType> dtype, const py::object& device) -> Tensor {
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
      [](Scalar v, std::optional<DType> dtype, const py::object& device, bool rg) {
        return apply_grad(scalar_tensor(v, make_options(dtype, device, false, kFloat32)), rg);
      },
      py::arg("s"), py::kw_only(), py::arg("dtype") = py::none(), py::arg("device") = py::none(),
      py::arg("requires_grad") = false);
  SEEK_SIZE_FACTORY("zeros", zeros(shape, o), "A tensor of zeros: zeros(2, 3) or zeros((2, 3)).");
  SEEK_SIZE_FACTORY("ones", ones(shape, o), "A tensor of ones.");
  SEEK_SIZE_FACTORY("empty", empty(shape, o), "An uninitialised tensor.");
  m.def(
      "full",
      [](const Shape& size, Scalar value, std::optional<DType> dtype, const py::object& device, bool rg) {
        return apply_grad(full(size, value, make_options(dtype, device, false, value.default_dtype())), rg);
      },
      py::arg("size"), py::arg("fill_value"), py::kw_only(), py::arg("dtype") = py::none(),
      py::arg("device") = py::none(), py::arg("requires_grad") = false,
      "A tensor filled with fill_value (dtype inferred from it: bool, int64 or float32).");
  m.def(
      "arange",
      [](Scalar start, std::optional<Scalar> end, Scalar step, std::optional<DType> dtype, const py::object& device,
         bool rg) {
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
      [](double start, double end, int64_t steps, std::optional<DType> dtype, const py::object& device, bool rg) {
        return apply_grad(linspace(start, end, steps, make_options(dtype, device, false)), rg);
      },
      py::arg("start"), py::arg("end"), py::arg("steps"), py::kw_only(), py::arg("dtype") = py::none(),
      py::arg("device") = py::none(), py::arg("requires_grad") = false);
  m.def(
      "eye",
      [](int64_t n, std::optional<int64_t> mm, std::optional<DType> dtype, const py::object& device, bool rg) {
        return apply_grad(eye(n, mm, make_options(dtype, device, false)), rg);
      },
      py::arg("n"), py::arg("m") = py::none(), py::kw_only(), py::arg("dtype") = py::none(),
      py::arg("device") = py::none(), py::arg("requires_grad") = false);
  SEEK_LIKE_FACTORY("zeros_like", zeros_like(t, o));
  SEEK_LIKE_FACTORY("ones_like", ones_like(t, o));
  SEEK_LIKE_FACTORY("empty_like", empty_like(t, o));
  SEEK_LIKE_FACTORY("rand_like", rand_like(t, o));
  SEEK_LIKE_FACTORY("randn_like", randn_like(t, o));
  m.def(
      "full_like",
      [](const Tensor& t, Scalar v, std::optional<DType> dtype, const py::object& device, bool rg) {
        TensorOptions o =
            TensorOptions(dtype.value_or(t.dtype())).device(device.is_none() ? t.device() : to_device(device));
        return apply_grad(full_like(t, v, o), rg);
      },
      py::arg("input"), py::arg("fill_value"), py::kw_only(), py::arg("dtype") = py::none(),
      py::arg("device") = py::none(), py::arg("requires_grad") = false);
}

#undef SEEK_SIZE_FACTORY
#undef SEEK_LIKE_FACTORY

}  // namespace seek::python

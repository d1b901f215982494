// Tensor methods for reductions, shapes and views, linear algebra, gather/scatter and sorting.
#include "common.h"

#include "seek/ops/reduce.h"
#include "seek/ops/softmax.h"

namespace seek::python {

namespace {

using GilFree = py::call_guard<py::gil_scoped_release>;

// dim=None -> all dims ({}), an int -> {d}, a tuple/list -> its entries.
std::vector<int64_t> dims_arg(const py::object& dim) {
  if (dim.is_none()) return {};
  if (py::isinstance<py::int_>(dim)) return {dim.cast<int64_t>()};
  return dim.cast<std::vector<int64_t>>();
}

// (values, indices) results as a named tuple, like torch.return_types.
py::object values_indices(const Tensor& v, const Tensor& i) {
  static py::object* type = new py::object(
      py::module_::import("collections").attr("namedtuple")("values_indices", py::make_tuple("values", "indices")));
  return (*type)(v, i);
}

int64_t correction_arg(const py::object& unbiased, const py::object& correction) {
  if (!correction.is_none()) return correction.cast<int64_t>();
  if (!unbiased.is_none()) return unbiased.cast<bool>() ? 1 : 0;
  return 1;
}

py::tuple tensors_tuple(const std::vector<Tensor>& v) { return py::tuple(py::cast(v)); }

}  // namespace

void init_tensor_reduce(py::class_<Tensor>& cls) {
  // ---- reductions ----
  cls.def(
      "sum",
      [](const Tensor& t, const py::object& dim, bool keepdim, std::optional<DType> dtype) {
        return seek::sum(t, dims_arg(dim), keepdim, dtype);
      },
      py::arg("dim") = py::none(), py::arg("keepdim") = false, py::kw_only(), py::arg("dtype") = py::none(),
      "Sum over all elements or over dim (an int or a tuple of ints).");
  cls.def(
      "mean",
      [](const Tensor& t, const py::object& dim, bool keepdim, std::optional<DType> dtype) {
        return seek::mean(t, dims_arg(dim), keepdim, dtype);
      },
      py::arg("dim") = py::none(), py::arg("keepdim") = false, py::kw_only(), py::arg("dtype") = py::none());
  cls.def(
      "prod",
      [](const Tensor& t, std::optional<int64_t> dim, bool keepdim, std::optional<DType> dtype) {
        return seek::prod(t, dim, keepdim, dtype);
      },
      py::arg("dim") = py::none(), py::arg("keepdim") = false, py::kw_only(), py::arg("dtype") = py::none());
  for (const char* name : {"max", "min"}) {
    bool is_max = std::string(name) == "max";
    cls.def(
        name,
        [is_max](const Tensor& t, const py::object& dim, bool keepdim) -> py::object {
          if (dim.is_none()) return py::cast(is_max ? t.max() : t.min());
          if (py::isinstance<Tensor>(dim)) {
            const Tensor& o = dim.cast<const Tensor&>();
            return py::cast(is_max ? t.maximum(o) : t.minimum(o));
          }
          auto [v, i] = is_max ? t.max(dim.cast<int64_t>(), keepdim) : t.min(dim.cast<int64_t>(), keepdim);
          return values_indices(v, i);
        },
        py::arg("dim") = py::none(), py::arg("keepdim") = false,
        "Over all elements, or (values, indices) along dim, or the element-wise extreme with another tensor.");
  }
  cls.def(
      "amax", [](const Tensor& t, const py::object& dim, bool keepdim) { return t.amax(dims_arg(dim), keepdim); },
      py::arg("dim") = py::none(), py::arg("keepdim") = false);
  cls.def(
      "amin", [](const Tensor& t, const py::object& dim, bool keepdim) { return t.amin(dims_arg(dim), keepdim); },
      py::arg("dim") = py::none(), py::arg("keepdim") = false);
  cls.def("argmax", &Tensor::argmax, py::arg("dim") = py::none(), py::arg("keepdim") = false);
  cls.def("argmin", &Tensor::argmin, py::arg("dim") = py::none(), py::arg("keepdim") = false);
  cls.def(
      "var",
      [](const Tensor& t, const py::object& dim, const py::object& unbiased, bool keepdim,
         const py::object& correction) { return t.var(dims_arg(dim), correction_arg(unbiased, correction), keepdim); },
      py::arg("dim") = py::none(), py::arg("unbiased") = py::none(), py::arg("keepdim") = false, py::kw_only(),
      py::arg("correction") = py::none());
  cls.def(
      "std",
      [](const Tensor& t, const py::object& dim, const py::object& unbiased, bool keepdim,
         const py::object& correction) { return t.std(dims_arg(dim), correction_arg(unbiased, correction), keepdim); },
      py::arg("dim") = py::none(), py::arg("unbiased") = py::none(), py::arg("keepdim") = false, py::kw_only(),
      py::arg("correction") = py::none());
  cls.def(
      "norm",
      [](const Tensor& t, double p, const py::object& dim, bool keepdim) { return t.norm(p, dims_arg(dim), keepdim); },
      py::arg("p") = 2.0, py::arg("dim") = py::none(), py::arg("keepdim") = false);
  cls.def(
      "logsumexp",
      [](const Tensor& t, const py::object& dim, bool keepdim) { return t.logsumexp(dims_arg(dim), keepdim); },
      py::arg("dim"), py::arg("keepdim") = false);
  cls.def(
      "cumsum", [](const Tensor& t, int64_t dim, std::optional<DType> dtype) { return seek::cumsum(t, dim, dtype); },
      py::arg("dim"), py::kw_only(), py::arg("dtype") = py::none());
  cls.def(
      "all",
      [](const Tensor& t, std::optional<int64_t> dim, bool keepdim) { return dim ? t.all(*dim, keepdim) : t.all(); },
      py::arg("dim") = py::none(), py::arg("keepdim") = false);
  cls.def(
      "any",
      [](const Tensor& t, std::optional<int64_t> dim, bool keepdim) { return dim ? t.any(*dim, keepdim) : t.any(); },
      py::arg("dim") = py::none(), py::arg("keepdim") = false);
  cls.def(
      "softmax", [](const Tensor& t, int64_t dim, std::optional<DType> dtype) { return seek::softmax(t, dim, dtype); },
      py::arg("dim"), py::arg("dtype") = py::none());
  cls.def(
      "log_softmax",
      [](const Tensor& t, int64_t dim, std::optional<DType> dtype) { return seek::log_softmax(t, dim, dtype); },
      py::arg("dim"), py::arg("dtype") = py::none());
  // ---- views and shapes ----
  cls.def(
      "view", [](const Tensor& t, const py::args& shape) { return t.view(shape_from_args(shape)); },
      "A view with a new shape (one -1 allowed); needs compatible strides.");
  cls.def(
      "reshape", [](const Tensor& t, const py::args& shape) { return t.reshape(shape_from_args(shape)); },
      "A view when the strides allow, else a copy, with the new shape.");
  cls.def("view_as", &Tensor::view_as, py::arg("other"));
  cls.def("reshape_as", &Tensor::reshape_as, py::arg("other"));
  cls.def("expand", [](const Tensor& t, const py::args& shape) { return t.expand(shape_from_args(shape)); });
  cls.def("expand_as", &Tensor::expand_as, py::arg("other"));
  cls.def("permute", [](const Tensor& t, const py::args& dims) { return t.permute(shape_from_args(dims)); });
  cls.def("transpose", &Tensor::transpose, py::arg("dim0"), py::arg("dim1"));
  cls.def("swapaxes", &Tensor::transpose, py::arg("axis0"), py::arg("axis1"));
  cls.def("t", &Tensor::t);
  cls.def_property_readonly("T", [](const Tensor& t) {
    std::vector<int64_t> dims(static_cast<size_t>(t.dim()));
    for (int64_t i = 0; i < t.dim(); ++i) dims[static_cast<size_t>(i)] = t.dim() - 1 - i;
    return t.permute(dims);
  });
  cls.def_property_readonly("mT", &Tensor::mT);
  cls.def("narrow", &Tensor::narrow, py::arg("dim"), py::arg("start"), py::arg("length"));
  cls.def("select", &Tensor::select, py::arg("dim"), py::arg("index"));
  cls.def(
      "squeeze", [](const Tensor& t, std::optional<int64_t> dim) { return dim ? t.squeeze(*dim) : t.squeeze(); },
      py::arg("dim") = py::none());
  cls.def("unsqueeze", &Tensor::unsqueeze, py::arg("dim"));
  cls.def("flatten", &Tensor::flatten, py::arg("start_dim") = 0, py::arg("end_dim") = -1);
  cls.def("unflatten", &Tensor::unflatten, py::arg("dim"), py::arg("sizes"));
  cls.def("movedim", py::overload_cast<int64_t, int64_t>(&Tensor::movedim, py::const_), py::arg("source"),
          py::arg("destination"));  // tuples of dims: tensor_shape_extra.cpp
  cls.def("as_strided", &Tensor::as_strided, py::arg("size"), py::arg("stride"),
          py::arg("storage_offset") = py::none());
  cls.def(
      "split",
      [](const Tensor& t, const py::object& size, int64_t dim) {
        if (py::isinstance<py::int_>(size)) return tensors_tuple(t.split(size.cast<int64_t>(), dim));
        return tensors_tuple(t.split(size.cast<std::vector<int64_t>>(), dim));
      },
      py::arg("split_size_or_sections"), py::arg("dim") = 0);
  cls.def(
      "chunk", [](const Tensor& t, int64_t n, int64_t dim) { return tensors_tuple(t.chunk(n, dim)); },
      py::arg("chunks"), py::arg("dim") = 0);
  cls.def(
      "unbind", [](const Tensor& t, int64_t dim) { return tensors_tuple(t.unbind(dim)); }, py::arg("dim") = 0);
  // ---- linear algebra (GIL released: these can be long) ----
  cls.def("matmul", &Tensor::matmul, py::arg("other"), GilFree());
  cls.def("mm", &Tensor::mm, py::arg("mat2"), GilFree());
  cls.def("bmm", &Tensor::bmm, py::arg("mat2"), GilFree());
  cls.def("mv", &Tensor::mv, py::arg("vec"), GilFree());
  cls.def("dot", &Tensor::dot, py::arg("other"), GilFree());
  cls.def("outer", &Tensor::outer, py::arg("vec2"), GilFree());
  // ---- gather / scatter / sort ----
  cls.def("gather", &Tensor::gather, py::arg("dim"), py::arg("index"));
  cls.def("scatter", py::overload_cast<int64_t, const Tensor&, const Tensor&>(&Tensor::scatter, py::const_),
          py::arg("dim"), py::arg("index"), py::arg("src"));
  cls.def("scatter", py::overload_cast<int64_t, const Tensor&, Scalar>(&Tensor::scatter, py::const_), py::arg("dim"),
          py::arg("index"), py::arg("value"));
  cls.def("scatter_add", &Tensor::scatter_add, py::arg("dim"), py::arg("index"), py::arg("src"));
  cls.def(
      "scatter_",
      [](py::object self, int64_t dim, const Tensor& index, const Tensor& src) {
        self.cast<Tensor&>().scatter_(dim, index, src);
        return self;
      },
      py::arg("dim"), py::arg("index"), py::arg("src"));
  cls.def(
      "scatter_add_",
      [](py::object self, int64_t dim, const Tensor& index, const Tensor& src) {
        self.cast<Tensor&>().scatter_add_(dim, index, src);
        return self;
      },
      py::arg("dim"), py::arg("index"), py::arg("src"));
  cls.def("index_select", &Tensor::index_select, py::arg("dim"), py::arg("index"));
  cls.def("index_add", &Tensor::index_add, py::arg("dim"), py::arg("index"), py::arg("source"), py::kw_only(),
          py::arg("alpha") = 1);
  cls.def(
      "index_add_",
      [](py::object self, int64_t dim, const Tensor& index, const Tensor& source, Scalar alpha) {
        self.cast<Tensor&>().index_add_(dim, index, source, alpha);
        return self;
      },
      py::arg("dim"), py::arg("index"), py::arg("source"), py::kw_only(), py::arg("alpha") = 1);
  cls.def("masked_select", &Tensor::masked_select, py::arg("mask"));
  cls.def(
      "topk",
      [](const Tensor& t, int64_t k, int64_t dim, bool largest, bool sorted) {
        auto [v, i] = t.topk(k, dim, largest, sorted);
        return values_indices(v, i);
      },
      py::arg("k"), py::arg("dim") = -1, py::arg("largest") = true, py::arg("sorted") = true);
  cls.def(
      "sort",
      [](const Tensor& t, int64_t dim, bool descending, bool stable) {
        auto [v, i] = t.sort(dim, descending, stable);
        return values_indices(v, i);
      },
      py::arg("dim") = -1, py::arg("descending") = false, py::kw_only(), py::arg("stable") = true);
  cls.def("argsort", &Tensor::argsort, py::arg("dim") = -1, py::arg("descending") = false, py::kw_only(),
          py::arg("stable") = true);
}

}  // namespace seek::python

// Hand-written bindings of the elementwise and reduction ops of issue 12 whose signatures
// the op tables do not generate: div(rounding_mode=), round(decimals=), nan_to_num, clamp /
// clip and masked_fill with tensor arguments, median, nanmedian, cumprod, count_nonzero,
// aminmax, unique, unique_consecutive, std_mean, var_mean, and PyTorch's aliases (fix,
// arcsin, ...). The table rows (log2, atan2, fmod, isnan, ...) are bound in tensor_ops.cpp.
#include "common.h"

#include "seek/ops/binary.h"
#include "seek/ops/creation.h"
#include "seek/ops/reduce.h"
#include "seek/ops/ternary.h"
#include "seek/ops/unary.h"

namespace seek::python {

namespace {

// dim=None -> all dims ({}), an int -> {d}, a tuple/list -> its entries.
std::vector<int64_t> dims_of(const py::object& dim) {
  if (dim.is_none()) return {};
  if (py::isinstance<py::int_>(dim)) return {dim.cast<int64_t>()};
  return dim.cast<std::vector<int64_t>>();
}

py::object named_pair(const char* type_name, const char* first, const char* second, const Tensor& a, const Tensor& b) {
  py::object type = py::module_::import("collections").attr("namedtuple")(type_name, py::make_tuple(first, second));
  return type(a, b);
}

// A clamp bound or masked_fill value: None (undefined), a Tensor, or a number (a 0-dim tensor,
// which takes part in type promotion as a number does).
Tensor bound_of(const py::object& o, const Tensor& like, const char* what) {
  if (o.is_none()) return Tensor();
  if (py::isinstance<Tensor>(o)) return o.cast<Tensor>();
  try {
    Scalar s = o.cast<Scalar>();
    return scalar_tensor(
        s, TensorOptions(s.is_floating() ? kFloat64 : (s.is_bool() ? kBool : kInt64)).device(like.device()));
  } catch (const py::cast_error&) {
    throw DTypeError(
        str(what, " must be a Tensor, a number or None, not ", py::str(py::type::of(o)).cast<std::string>()));
  }
}

int64_t correction_of(const py::object& unbiased, const py::object& correction) {
  if (!correction.is_none()) return correction.cast<int64_t>();
  if (!unbiased.is_none()) return unbiased.cast<bool>() ? 1 : 0;
  return 1;
}

// unique's result: the values alone, or a tuple with the inverse and / or counts.
py::object unique_result(const std::tuple<Tensor, Tensor, Tensor>& r, bool return_inverse, bool return_counts) {
  const auto& [values, inverse, counts] = r;
  if (!return_inverse && !return_counts) return py::cast(values);
  py::list out;
  out.append(values);
  if (return_inverse) out.append(inverse);
  if (return_counts) out.append(counts);
  return py::tuple(out);
}

std::optional<int64_t> dim_or_none(const py::object& dim, const char* name) {
  if (dim.is_none()) return std::nullopt;
  if (!py::isinstance<py::int_>(dim)) throw DTypeError(str(name, ": dim must be an int or None"));
  return dim.cast<int64_t>();
}

}  // namespace

void init_tensor_math_extra(py::module_& m, py::class_<Tensor>& cls) {
  // ---- division with rounding ----
  for (const char* name : {"div", "divide"}) {
    cls.def(
        name,
        [](const Tensor& a, const Tensor& b, const std::optional<std::string>& mode) { return seek::div(a, b, mode); },
        py::arg("other"), py::kw_only(), py::arg("rounding_mode") = py::none(),
        "self / other; rounding_mode None (true division), 'trunc' or 'floor'.");
    cls.def(
        name, [](const Tensor& a, Scalar b, const std::optional<std::string>& mode) { return a.div(b, mode); },
        py::arg("other"), py::kw_only(), py::arg("rounding_mode") = py::none());
  }
  cls.def(
      "true_divide", [](const Tensor& a, const Tensor& b) { return seek::true_divide(a, b); }, py::arg("other"));
  cls.def(
      "true_divide", [](const Tensor& a, Scalar b) { return a.div(b); }, py::arg("other"));
  cls.def(
      "fmod", [](const Tensor& a, Scalar b) { return a.fmod(b); }, py::arg("other"));
  // ---- rounding and special values ----
  cls.def(
      "round", [](const Tensor& a, int64_t decimals) { return a.round(decimals); }, py::kw_only(),
      py::arg("decimals") = 0, "Rounds half to even, at `decimals` decimal places (negative: tens, hundreds, ...).");
  cls.def("fix", &Tensor::fix, "trunc: rounds toward zero.");
  cls.def(
      "nan_to_num",
      [](const Tensor& a, std::optional<double> nan, std::optional<double> posinf, std::optional<double> neginf) {
        return a.nan_to_num(nan.value_or(0.0), posinf, neginf);
      },
      py::arg("nan") = 0.0, py::arg("posinf") = py::none(), py::arg("neginf") = py::none(),
      "NaN, +inf and -inf replaced (by default 0 and the dtype's largest and lowest values).");
  // Aliases PyTorch has.
  const std::pair<const char*, const char*> aliases[] = {
      {"arcsin", "asin"},   {"arccos", "acos"},   {"arctan", "atan"},  {"arcsinh", "asinh"},
      {"arccosh", "acosh"}, {"arctanh", "atanh"}, {"arctan2", "atan2"}};
  for (const auto& [alias, name] : aliases) cls.attr(alias) = cls.attr(name);
  // ---- clamp / clip with tensor bounds, masked_fill with a tensor value ----
  for (const char* name : {"clamp", "clip"}) {
    cls.def(
        name,
        [](const Tensor& a, const py::object& min, const py::object& max) {
          return a.clamp(bound_of(min, a, "clamp: min"), bound_of(max, a, "clamp: max"));
        },
        py::arg("min") = py::none(), py::arg("max") = py::none(),
        "min(max(self, min), max) with tensor bounds (broadcast); the gradient reaches each bound.");
  }
  // In place with tensor bounds: the clamped copy of a clone, copied back (copy_ records the history).
  for (const char* name : {"clamp_", "clip_"}) {
    cls.def(
        name,
        [](py::object self, const py::object& min, const py::object& max) {
          Tensor& a = self.cast<Tensor&>();
          a.copy_(a.clone().clamp(bound_of(min, a, "clamp_: min"), bound_of(max, a, "clamp_: max")));
          return self;
        },
        py::arg("min") = py::none(), py::arg("max") = py::none());
  }
  cls.def(
      "masked_fill",
      [](const Tensor& a, const Tensor& mask, const Tensor& value) { return a.masked_fill(mask, value); },
      py::arg("mask"), py::arg("value"), "self with a 0-dim tensor `value` where mask is true.");
  cls.def(
      "masked_fill_",
      [](py::object self, const Tensor& mask, const Tensor& value) {
        self.cast<Tensor&>().masked_fill_(mask, value);
        return self;
      },
      py::arg("mask"), py::arg("value"));
  // ---- reductions ----
  for (const char* name : {"median", "nanmedian"}) {
    const bool nan = std::string(name) == "nanmedian";
    cls.def(
        name,
        [nan, name](const Tensor& t, const py::object& dim, bool keepdim) -> py::object {
          if (dim.is_none()) return py::cast(nan ? t.nanmedian() : t.median());
          auto [v, i] = nan ? t.nanmedian(dim.cast<int64_t>(), keepdim) : t.median(dim.cast<int64_t>(), keepdim);
          return named_pair(name, "values", "indices", v, i);
        },
        py::arg("dim") = py::none(), py::arg("keepdim") = false,
        "The median (the lower of the two middle values) of all elements, or (values, indices) along dim.");
  }
  cls.def(
      "cumprod", [](const Tensor& t, int64_t dim, std::optional<DType> dtype) { return seek::cumprod(t, dim, dtype); },
      py::arg("dim"), py::kw_only(), py::arg("dtype") = py::none(), "Running product along dim.");
  cls.def(
      "count_nonzero", [](const Tensor& t, const py::object& dim) { return t.count_nonzero(dims_of(dim)); },
      py::arg("dim") = py::none(), "Number of non-zero elements over dim (an int or a tuple; all when None).");
  cls.def(
      "aminmax",
      [](const Tensor& t, const py::object& dim, bool keepdim) {
        auto [lo, hi] = t.aminmax(dim_or_none(dim, "aminmax"), keepdim);
        return named_pair("aminmax", "min", "max", lo, hi);
      },
      py::kw_only(), py::arg("dim") = py::none(), py::arg("keepdim") = false, "(min, max) over all elements or dim.");
  cls.def(
      "unique",
      [](const Tensor& t, bool sorted, bool return_inverse, bool return_counts, const py::object& dim) {
        return unique_result(t.unique(sorted, return_inverse, return_counts, dim_or_none(dim, "unique")),
                             return_inverse, return_counts);
      },
      py::arg("sorted") = true, py::arg("return_inverse") = false, py::arg("return_counts") = false,
      py::arg("dim") = py::none(),
      "The unique values (ascending), with the inverse indices and the counts when asked for.");
  cls.def(
      "unique_consecutive",
      [](const Tensor& t, bool return_inverse, bool return_counts, const py::object& dim) {
        return unique_result(
            t.unique_consecutive(return_inverse, return_counts, dim_or_none(dim, "unique_consecutive")), return_inverse,
            return_counts);
      },
      py::arg("return_inverse") = false, py::arg("return_counts") = false, py::arg("dim") = py::none(),
      "One value per run of equal consecutive values, with the inverse indices and run lengths when asked for.");
  // ---- module functions that are no Tensor methods ----
  for (const char* name : {"std_mean", "var_mean"}) {
    const bool is_std = std::string(name) == "std_mean";
    m.def(
        name,
        [is_std](const Tensor& t, const py::object& dim, const py::object& unbiased, bool keepdim,
                 const py::object& correction) {
          auto r = is_std ? seek::std_mean(t, dims_of(dim), correction_of(unbiased, correction), keepdim)
                          : seek::var_mean(t, dims_of(dim), correction_of(unbiased, correction), keepdim);
          return py::make_tuple(std::get<0>(r), std::get<1>(r));
        },
        py::arg("input"), py::arg("dim") = py::none(), py::arg("unbiased") = py::none(), py::arg("keepdim") = false,
        py::kw_only(), py::arg("correction") = py::none(),
        is_std ? "(std, mean) over dim with sum((x - mean)^2) / (N - correction)."
               : "(var, mean) over dim with sum((x - mean)^2) / (N - correction).");
  }
  // Tensor methods that python/seek also makes seek.<name>(input, ...) of.
  m.attr("_extra_functions") =
      py::make_tuple("div", "divide", "true_divide", "fix", "nan_to_num", "arcsin", "arccos", "arctan", "arcsinh",
                     "arccosh", "arctanh", "arctan2", "median", "nanmedian", "cumprod", "count_nonzero", "aminmax",
                     "unique", "unique_consecutive");
}

}  // namespace seek::python

// Tensor methods and seek.* functions for the shape, indexing and linalg ops of
// seek/ops/{shape,index,linalg}_extra.h: flip, roll, repeat, tile, tril/triu,
// repeat_interleave, diagonal/diag/diag_embed, unfold, rot90, movedim with tuples,
// tensor_split, meshgrid, einsum, baddbmm, tensordot, kron, nonzero, scatter_reduce,
// take_along_dim, index_fill, index_put, masked_scatter. Argument names are PyTorch's.
// The seek.<name>(input, ...) forms of the methods come from python/seek/__init__.py.
#include "common.h"

#include "seek/ops/index_extra.h"
#include "seek/ops/linalg_extra.h"
#include "seek/ops/shape_extra.h"

namespace seek::python {

namespace {

using GilFree = py::call_guard<py::gil_scoped_release>;

// An int or a sequence of ints (dims=, shifts=, ...), naming the argument when it is neither.
std::vector<int64_t> ints_arg(const py::handle& obj, const char* op, const char* name) {
  if (PyLong_Check(obj.ptr()) && !PyBool_Check(obj.ptr())) return {obj.cast<int64_t>()};
  if (py::isinstance<py::tuple>(obj) || py::isinstance<py::list>(obj)) {
    std::vector<int64_t> out;
    for (const auto& h : obj) {
      if (!PyIndex_Check(h.ptr()) || PyBool_Check(h.ptr()))
        throw py::type_error(std::string(op) + "(): argument '" + name + "' must be an int or a tuple of ints, got " +
                             py::repr(obj).cast<std::string>());
      out.push_back(py::reinterpret_borrow<py::object>(h).cast<int64_t>());
    }
    return out;
  }
  throw py::type_error(std::string(op) + "(): argument '" + name + "' must be an int or a tuple of ints, got " +
                       std::string(py::str(py::type::of(obj))));
}

// f(*ints) or f(ints): the ints of a varargs call such as t.flip(0, 1) or t.flip((0, 1)).
std::vector<int64_t> varargs_ints(const py::args& args, const char* op, const char* name) {
  if (args.size() == 1) return ints_arg(args[0], op, name);
  return ints_arg(py::tuple(args), op, name);
}

py::tuple tensors_tuple(const std::vector<Tensor>& v) { return py::tuple(py::cast(v)); }

// Tensors given as f(a, b, c) or f([a, b, c]).
std::vector<Tensor> tensors_arg(const py::args& args, const char* op) {
  py::sequence seq = args;
  if (args.size() == 1 && (py::isinstance<py::list>(args[0]) || py::isinstance<py::tuple>(args[0])))
    seq = args[0].cast<py::sequence>();
  std::vector<Tensor> out;
  for (const auto& h : seq) {
    if (!py::isinstance<Tensor>(h))
      throw py::type_error(std::string(op) + "(): expected Tensors, got " + std::string(py::str(py::type::of(h))));
    out.push_back(h.cast<Tensor>());
  }
  return out;
}

// A 0-dim tensor given where a number is expected (index_fill's value) becomes that number.
Scalar scalar_arg(const py::handle& v, const char* op) {
  if (py::isinstance<Tensor>(v)) {
    const Tensor& t = v.cast<const Tensor&>();
    SEEK_CHECK_VALUE(t.dim() == 0, op, ": only supports a 0-dimensional value tensor, got shape ",
                     shape_str(t.sizes()));
    return t.item();
  }
  try {
    return v.cast<Scalar>();
  } catch (const py::cast_error&) {
    throw py::type_error(std::string(op) + "(): value must be a number or a 0-dim tensor, got " +
                         std::string(py::str(py::type::of(v))));
  }
}

void init_shape_methods(py::class_<Tensor>& cls) {
  cls.def(
      "flip", [](const Tensor& t, const py::args& dims) { return t.flip(varargs_ints(dims, "flip", "dims")); },
      "Reverses the order of elements along the given dims (a new tensor).");
  cls.def("fliplr", &Tensor::fliplr, "flip(1): left/right for >= 2-D tensors.");
  cls.def("flipud", &Tensor::flipud, "flip(0): up/down for >= 1-D tensors.");
  cls.def(
      "roll",
      [](const Tensor& t, const py::object& shifts, const py::object& dims) {
        return t.roll(ints_arg(shifts, "roll", "shifts"),
                      dims.is_none() ? std::vector<int64_t>{} : ints_arg(dims, "roll", "dims"));
      },
      py::arg("shifts"), py::arg("dims") = py::none(),
      "Rolls elements along dims (the flattened tensor without dims).");
  cls.def(
      "repeat", [](const Tensor& t, const py::args& sizes) { return t.repeat(varargs_ints(sizes, "repeat", "sizes")); },
      "Tiles the tensor repeats[i] times along dim i (leading dims are added).");
  cls.def(
      "tile", [](const Tensor& t, const py::args& dims) { return t.tile(varargs_ints(dims, "tile", "dims")); },
      "Like repeat, with fewer entries than dims padded by leading 1s.");
  cls.def("tril", &Tensor::tril, py::arg("diagonal") = 0, "Lower triangle of the last two dims; the rest is 0.");
  cls.def("triu", &Tensor::triu, py::arg("diagonal") = 0, "Upper triangle of the last two dims; the rest is 0.");
  cls.def(
      "tril_",
      [](py::object self, int64_t diagonal) {
        self.cast<Tensor&>().tril_(diagonal);
        return self;
      },
      py::arg("diagonal") = 0);
  cls.def(
      "triu_",
      [](py::object self, int64_t diagonal) {
        self.cast<Tensor&>().triu_(diagonal);
        return self;
      },
      py::arg("diagonal") = 0);
  cls.def(
      "repeat_interleave",
      [](const Tensor& t, const py::object& repeats, std::optional<int64_t> dim, std::optional<int64_t> output_size) {
        Tensor out;
        if (repeats.is_none()) {
          out = seek::repeat_interleave(t);  // torch.repeat_interleave(repeats)
        } else if (py::isinstance<Tensor>(repeats)) {
          out = t.repeat_interleave(repeats.cast<const Tensor&>(), dim);
        } else if (PyLong_Check(repeats.ptr())) {
          out = t.repeat_interleave(repeats.cast<int64_t>(), dim);
        } else {
          throw py::type_error("repeat_interleave(): repeats must be an int or a Tensor, got " +
                               std::string(py::str(py::type::of(repeats))));
        }
        if (output_size) {
          const int64_t n = dim ? out.size(*dim) : out.numel();
          SEEK_CHECK_VALUE(n == *output_size, "repeat_interleave: output_size is ", *output_size,
                           " but the repeats add up to ", n);
        }
        return out;
      },
      py::arg("repeats") = py::none(), py::arg("dim") = py::none(), py::kw_only(), py::arg("output_size") = py::none(),
      "Repeats each element (or each slice along dim) repeats times.");
  cls.def(
      "broadcast_to",
      [](const Tensor& t, const py::object& size) { return t.broadcast_to(ints_arg(size, "broadcast_to", "size")); },
      py::arg("size"));
  cls.def("diagonal", &Tensor::diagonal, py::arg("offset") = 0, py::arg("dim1") = 0, py::arg("dim2") = 1,
          "The diagonal of dims (dim1, dim2) as the last dim (a view).");
  cls.def("diag", &Tensor::diag, py::arg("diagonal") = 0,
          "1-D: a matrix with this on a diagonal; 2-D: that diagonal (a copy).");
  cls.def("diag_embed", &Tensor::diag_embed, py::arg("offset") = 0, py::arg("dim1") = -2, py::arg("dim2") = -1);
  cls.def("unfold", &Tensor::unfold, py::arg("dimension"), py::arg("size"), py::arg("step"),
          "Every window of `size` elements along dimension, `step` apart, as a new last dim (a view).");
  cls.def(
      "rot90",
      [](const Tensor& t, int64_t k, const py::object& dims) { return t.rot90(k, ints_arg(dims, "rot90", "dims")); },
      py::arg("k") = 1, py::arg("dims") = py::make_tuple(0, 1));
  auto movedim = [](const Tensor& t, const py::object& source, const py::object& destination) {
    return t.movedim(ints_arg(source, "movedim", "source"), ints_arg(destination, "movedim", "destination"));
  };
  cls.def("movedim", movedim, py::arg("source"), py::arg("destination"));
  cls.def("moveaxis", movedim, py::arg("source"), py::arg("destination"));
  cls.def(
      "tensor_split",
      [](const Tensor& t, const py::object& indices_or_sections, int64_t dim) {
        if (PyLong_Check(indices_or_sections.ptr()))
          return tensors_tuple(t.tensor_split(indices_or_sections.cast<int64_t>(), dim));
        if (py::isinstance<Tensor>(indices_or_sections)) {
          const Tensor& s = indices_or_sections.cast<const Tensor&>();
          if (s.dim() == 0) return tensors_tuple(t.tensor_split(s.item().to_int(), dim));
          return tensors_tuple(t.tensor_split(to_vector<int64_t>(s.to(kCPU, kInt64).contiguous()), dim));
        }
        return tensors_tuple(t.tensor_split(ints_arg(indices_or_sections, "tensor_split", "indices_or_sections"), dim));
      },
      py::arg("indices_or_sections"), py::arg("dim") = 0);
}

void init_linalg_methods(py::class_<Tensor>& cls) {
  cls.def("baddbmm", &Tensor::baddbmm, py::arg("batch1"), py::arg("batch2"), py::kw_only(), py::arg("beta") = 1,
          py::arg("alpha") = 1, GilFree(), "beta * self + alpha * (batch1 @ batch2)");
  cls.def(
      "baddbmm_",
      [](py::object self, const Tensor& b1, const Tensor& b2, Scalar beta, Scalar alpha) {
        self.cast<Tensor&>().baddbmm_(b1, b2, beta, alpha);
        return self;
      },
      py::arg("batch1"), py::arg("batch2"), py::kw_only(), py::arg("beta") = 1, py::arg("alpha") = 1);
  cls.def("addbmm", &Tensor::addbmm, py::arg("batch1"), py::arg("batch2"), py::kw_only(), py::arg("beta") = 1,
          py::arg("alpha") = 1, GilFree(), "beta * self + alpha * sum_i (batch1[i] @ batch2[i])");
  cls.def("kron", &Tensor::kron, py::arg("other"), "Kronecker product.");
  cls.def("vdot", &Tensor::vdot, py::arg("other"));
  cls.def("ger", &Tensor::ger, py::arg("vec2"), "The old name of outer.");
}

void init_index_methods(py::class_<Tensor>& cls) {
  cls.def(
      "nonzero",
      [](const Tensor& t, bool as_tuple) -> py::object {
        if (as_tuple) return tensors_tuple(t.nonzero_as_tuple());
        return py::cast(t.nonzero());
      },
      py::kw_only(), py::arg("as_tuple") = false, "Coordinates of the non-zero elements ([n, dim] int64).");
  cls.def("argwhere", &Tensor::argwhere);
  cls.def("scatter_reduce", &Tensor::scatter_reduce, py::arg("dim"), py::arg("index"), py::arg("src"),
          py::arg("reduce"), py::kw_only(), py::arg("include_self") = true,
          "A copy with src reduced (sum, prod, mean, amax, amin) into the positions index names along dim.");
  cls.def(
      "scatter_reduce_",
      [](py::object self, int64_t dim, const Tensor& index, const Tensor& src, const std::string& reduce,
         bool include_self) {
        self.cast<Tensor&>().scatter_reduce_(dim, index, src, reduce, include_self);
        return self;
      },
      py::arg("dim"), py::arg("index"), py::arg("src"), py::arg("reduce"), py::kw_only(),
      py::arg("include_self") = true);
  cls.def("take_along_dim", &Tensor::take_along_dim, py::arg("indices"), py::arg("dim") = py::none());
  cls.def(
      "index_fill",
      [](const Tensor& t, int64_t dim, const Tensor& index, const py::object& value) {
        return t.index_fill(dim, index, scalar_arg(value, "index_fill"));
      },
      py::arg("dim"), py::arg("index"), py::arg("value"));
  cls.def(
      "index_fill_",
      [](py::object self, int64_t dim, const Tensor& index, const py::object& value) {
        self.cast<Tensor&>().index_fill_(dim, index, scalar_arg(value, "index_fill_"));
        return self;
      },
      py::arg("dim"), py::arg("index"), py::arg("value"));
  cls.def("masked_scatter", &Tensor::masked_scatter, py::arg("mask"), py::arg("source"));
  cls.def(
      "masked_scatter_",
      [](py::object self, const Tensor& mask, const Tensor& source) {
        self.cast<Tensor&>().masked_scatter_(mask, source);
        return self;
      },
      py::arg("mask"), py::arg("source"));
}

void init_functions(py::module_& m) {
  m.def(
      "meshgrid",
      [](const py::args& tensors, const std::optional<std::string>& indexing) {
        return tensors_tuple(seek::meshgrid(tensors_arg(tensors, "meshgrid"), indexing.value_or("ij")));
      },
      py::kw_only(), py::arg("indexing") = py::none(),
      "Coordinate grids from 1-D tensors; indexing 'ij' (the default) or 'xy'.");
  m.def(
      "broadcast_tensors",
      [](const py::args& tensors) {
        return tensors_tuple(seek::broadcast_tensors(tensors_arg(tensors, "broadcast_tensors")));
      },
      "The tensors expanded to their common shape (views).");
  m.def(
      "einsum",
      [](const std::string& equation, const py::args& operands) {
        std::vector<Tensor> ops = tensors_arg(operands, "einsum");
        py::gil_scoped_release release;
        return seek::einsum(equation, ops);
      },
      py::arg("equation"), "Einstein summation over the operands (contractions run as bmm).");
  m.def(
      "tensordot",
      [](const Tensor& a, const Tensor& b, const py::object& dims) {
        if (PyLong_Check(dims.ptr())) return seek::tensordot(a, b, dims.cast<int64_t>());
        py::object d = dims;
        if (py::isinstance<Tensor>(dims)) d = tensor_tolist(dims.cast<const Tensor&>());
        if ((py::isinstance<py::list>(d) || py::isinstance<py::tuple>(d)) && py::len(d) == 2) {
          py::sequence pair = d.cast<py::sequence>();
          return seek::tensordot(a, b, ints_arg(pair[0], "tensordot", "dims"), ints_arg(pair[1], "tensordot", "dims"));
        }
        throw py::type_error("tensordot(): dims must be an int or a pair of lists of dims, got " +
                             py::repr(dims).cast<std::string>());
      },
      py::arg("a"), py::arg("b"), py::arg("dims") = 2);
}

}  // namespace

void init_tensor_shape_extra(py::module_& m) {
  auto cls = py::reinterpret_borrow<py::class_<Tensor>>(m.attr("Tensor"));
  init_shape_methods(cls);
  init_linalg_methods(cls);
  init_index_methods(cls);
  init_functions(m);
}

}  // namespace seek::python

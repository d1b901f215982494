// t[...] and t[...] = v with ints, slices (with steps), None, Ellipsis, bools,
// boolean masks, index tensors and lists, through Tensor::index / index_put_.
#include "common.h"

#include <limits>

namespace seek::python {

namespace {

// A Python int as int64; beyond int64 PyTorch's RuntimeError naming the value (never pybind's cast error).
int64_t index_int(const py::handle& h) {
  int overflow = 0;
  long long v = PyLong_AsLongLongAndOverflow(h.ptr(), &overflow);
  if (overflow != 0)
    throw seek::Error("Overflow when unpacking long: the index " + py::repr(h).cast<std::string>() +
                      " does not fit in int64");
  if (v == -1 && PyErr_Occurred()) throw py::error_already_set();
  return v;
}

// Slice bounds clamp as Python's do: t[:2**70] is t[:].
std::optional<int64_t> slice_bound(const py::object& o) {
  if (o.is_none()) return std::nullopt;
  py::object i = py::reinterpret_steal<py::object>(PyNumber_Index(o.ptr()));
  if (!i) throw py::error_already_set();
  int overflow = 0;
  long long v = PyLong_AsLongLongAndOverflow(i.ptr(), &overflow);
  if (overflow > 0) return std::numeric_limits<int64_t>::max();
  if (overflow < 0) return std::numeric_limits<int64_t>::min() + 1;
  return v;
}

TensorIndex one_index(const py::handle& h) {
  PyObject* o = h.ptr();
  if (PyBool_Check(o)) return TensorIndex(o == Py_True);
  if (PyLong_Check(o)) return TensorIndex(index_int(h));
  if (o == Py_None) return TensorIndex(None);
  if (o == Py_Ellipsis) return TensorIndex(Ellipsis);
  if (PySlice_Check(o)) {
    py::object start = h.attr("start"), stop = h.attr("stop"), step = h.attr("step");
    return TensorIndex(seek::Slice(slice_bound(start), slice_bound(stop), step.is_none() ? 1 : step.cast<int64_t>()));
  }
  if (py::isinstance<Tensor>(h)) return TensorIndex(h.cast<Tensor>());
  if (py::isinstance<py::list>(h) || py::isinstance<py::array>(h)) return TensorIndex(to_tensor(h));
  if (PyIndex_Check(o)) return TensorIndex(py::reinterpret_borrow<py::object>(h).cast<int64_t>());  // numpy integers
  throw py::index_error(
      "only integers, slices (`:`), ellipsis (`...`), None, booleans and integer or boolean "
      "tensors are valid indices, got " +
      std::string(py::str(py::type::of(h))));
}

std::vector<TensorIndex> to_indices(const py::handle& index) {
  std::vector<TensorIndex> out;
  if (py::isinstance<py::tuple>(index)) {
    for (const auto& h : index) out.push_back(one_index(h));
  } else {
    out.push_back(one_index(index));
  }
  return out;
}

}  // namespace

void init_tensor_index(py::class_<Tensor>& cls) {
  cls.def("__getitem__", [](const Tensor& t, const py::handle& index) {
    PyObject* o = index.ptr();
    if (PyLong_Check(o) && !PyBool_Check(o)) return t.select(0, index_int(index));  // fast path
    return t.index(to_indices(index));
  });
  cls.def("__setitem__", [](Tensor& t, const py::handle& index, const py::handle& value) {
    std::vector<TensorIndex> indices = to_indices(index);
    if (py::isinstance<Tensor>(value)) {
      t.index_put_(indices, value.cast<const Tensor&>());
      return;
    }
    PyObject* v = value.ptr();
    if (PyLong_Check(v) && !PyBool_Check(v)) {
      int overflow = 0;
      PyLong_AsLongLongAndOverflow(v, &overflow);
      if (overflow != 0)
        throw seek::Error("Overflow when unpacking long: cannot assign " + py::repr(value).cast<std::string>() +
                          " to a tensor element (beyond int64)");
    }
    if (PyBool_Check(v) || PyLong_Check(v) || PyFloat_Check(v)) {
      t.index_put_(indices, value.cast<Scalar>());
      return;
    }
    t.index_put_(indices, to_tensor(value, t.dtype(), t.device()));
  });
  // accumulate=True adds values at the indices (duplicates sum up); t[i] = v always writes.
  cls.def(
      "index_put_",
      [](py::object self, const py::tuple& indices, const Tensor& values, bool accumulate) {
        self.cast<Tensor&>().index_put_(to_indices(indices), values, accumulate);
        return self;
      },
      py::arg("indices"), py::arg("values"), py::arg("accumulate") = false);
  cls.def(
      "index_put",
      [](const Tensor& t, const py::tuple& indices, const Tensor& values, bool accumulate) {
        return t.index_put(to_indices(indices), values, accumulate);
      },
      py::arg("indices"), py::arg("values"), py::arg("accumulate") = false);
}

}  // namespace seek::python

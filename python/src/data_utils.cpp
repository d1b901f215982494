// seek._C.data helpers for the Python seek.utils.data package:
//   _draw(kind, n, seed=None, offset=None) -> (tensor, next offset): a random draw from the Philox
//     stream (seed, offset) that a seek.Generator keeps in Python, or from the default CPU generator
//     (seed None). kind: "randperm" (int64 permutation of n), "rand" (n float64 in [0, 1)),
//     "seed" (n int64 in [0, 2^53)).
//   duck_dataset(obj): a C++ dataset over any Python object with __getitem__ and __len__ (as
//     torch's DataLoader takes them), so MapDataset, Subset and analyze() accept them too.
#include <climits>

#include "data_common.h"

#include "seek/core/generator.h"
#include "seek/ops/random.h"

namespace seek::python {

namespace {

std::string type_name(const py::handle& o) { return py::str(py::type::handle_of(o).attr("__name__")); }

// obj[i] must be a (data, target) pair for C++ consumers (the C++ DataLoader, MapDataset, analyze).
class DuckDataset : public data::Dataset {
 public:
  explicit DuckDataset(py::object obj) : obj_(gil_safe(std::move(obj))) {}
  size_t size() const override {
    py::gil_scoped_acquire g;
    return checked_len(*obj_);
  }
  data::Example get(size_t index) const override {
    py::gil_scoped_acquire g;
    const std::string who = type_name(*obj_) + "[" + std::to_string(index) + "]";
    return example_from((*obj_)[py::int_(index)], who.c_str());
  }

 private:
  std::shared_ptr<py::object> obj_;
};

Tensor draw(const std::string& kind, int64_t n, Generator* g) {
  if (n < 0) throw py::value_error("_draw: n must be >= 0, got " + std::to_string(n));
  if (kind == "randperm") return randperm(n, TensorOptions(kInt64), g);
  if (kind == "rand") return rand(Shape{n}, TensorOptions(kFloat64), g);
  if (kind == "seed") return randint(0, int64_t{1} << 53, Shape{n}, TensorOptions(kInt64), g);
  throw py::value_error("_draw: kind must be 'randperm', 'rand' or 'seed', got '" + kind + "'");
}

}  // namespace

size_t checked_len(const py::handle& obj) {
  py::object n = obj.attr("__len__")();
  if (!py::isinstance<py::int_>(n) || py::isinstance<py::bool_>(n))
    throw py::type_error(type_name(obj) + ".__len__() must return an int, got " + type_name(n) + " (" +
                         std::string(py::repr(n)) + ")");
  if (n < py::int_(0))
    throw py::value_error(type_name(obj) + ".__len__() returned " + std::string(py::repr(n)) +
                          "; a dataset's length must be >= 0");
  if (n > py::int_(static_cast<int64_t>(INT64_MAX)))
    throw py::value_error(type_name(obj) + ".__len__() returned " + std::string(py::repr(n)) + ", beyond int64");
  return n.cast<size_t>();
}

data::DatasetPtr duck_dataset(const py::handle& obj) {
  if (!py::hasattr(obj, "__getitem__") || !py::hasattr(obj, "__len__"))
    throw py::type_error("expected a dataset (an object with __getitem__ and __len__), got " + type_name(obj));
  return std::make_shared<DuckDataset>(py::reinterpret_borrow<py::object>(obj));
}

void init_data_utils(py::module_& d) {
  d.def(
      "_draw",
      [](const std::string& kind, int64_t n, std::optional<uint64_t> seed, uint64_t offset) {
        if (!seed) {
          Tensor t = draw(kind, n, nullptr);
          return py::make_tuple(t, 0);
        }
        Generator g(*seed);
        g.set_offset(offset);
        Tensor t = draw(kind, n, &g);
        return py::make_tuple(t, g.offset());
      },
      py::arg("kind"), py::arg("n"), py::arg("seed") = py::none(), py::arg("offset") = 0,
      "A draw from the stream (seed, offset), or from the default CPU generator when seed is None; returns "
      "(tensor, next offset).");
  d.def(
      "duck_dataset", [](const py::object& obj) { return duck_dataset(obj); }, py::arg("obj"),
      "A C++ dataset over an object with __getitem__ (returning (data, target)) and __len__.");
}

}  // namespace seek::python

// seek._C.data: datasets (subclassable from Python), the DataLoader and image transforms.
//
// GIL: the DataLoader builds batches with the GIL released, in the iterating thread or in
// worker threads. Whatever calls back into Python from there (a Python Dataset's
// __getitem__, a Python transform or collate_fn) takes the GIL for just that call, and
// the Python callables are dropped under the GIL (gil_safe). An iterator is destroyed
// with the GIL released, so workers blocked on the GIL can finish and be joined.
#include "data_common.h"

#include "seek/core/error.h"
#include "seek/core/generator.h"
#include "seek/data/dataloader.h"
#include "seek/data/dataset.h"
#include "seek/data/idx.h"
#include "seek/data/transforms.h"

namespace seek::python {

using data::Dataset;
using data::Example;
namespace T = data::transforms;

std::shared_ptr<py::object> gil_safe(py::object f) {
  return std::shared_ptr<py::object>(new py::object(std::move(f)), [](py::object* p) {
    if (!Py_IsInitialized()) return;
    py::gil_scoped_acquire g;
    delete p;
  });
}

Tensor as_tensor(const py::handle& o) {
  if (py::isinstance<Tensor>(o)) return o.cast<Tensor>();
  return to_tensor(o);
}

// (data, target) from what a Python __getitem__ or collate_fn returned.
Example example_from(const py::handle& r, const char* who) {
  if (!(py::isinstance<py::tuple>(r) || py::isinstance<py::list>(r)) || py::len(r) != 2)
    throw py::type_error(std::string(who) + " must return a (data, target) pair, got " +
                         std::string(py::str(py::type::handle_of(r).attr("__name__"))));
  auto seq = py::reinterpret_borrow<py::sequence>(r);
  Tensor parts[2];
  for (size_t k = 0; k < 2; ++k) {
    py::object v = seq[k];
    auto cannot_become = [&](const std::string& why) {
      return py::type_error(std::string(who) + " returned a " +
                            std::string(py::str(py::type::handle_of(v).attr("__name__"))) + " at [" +
                            std::to_string(k) + "], which cannot become a tensor" + (why.empty() ? "" : ": " + why));
    };
    try {
      parts[k] = as_tensor(v);
    } catch (py::error_already_set& e) {
      if (!e.matches(PyExc_TypeError) && !e.matches(PyExc_ValueError)) throw;
      throw cannot_become(e.what());
    } catch (const py::cast_error&) {
      throw cannot_become("");
    } catch (const py::builtin_exception& e) {  // seek.tensor's own TypeError / ValueError for the value
      throw cannot_become(e.what());
    } catch (const seek::Error& e) {
      throw cannot_become(e.what());
    }
  }
  return {parts[0], parts[1]};
}

namespace {

std::string type_name_of(const py::handle& o) { return py::str(py::type::handle_of(o).attr("__name__")); }

class PyDataset : public Dataset {
 public:
  size_t size() const override {
    py::gil_scoped_acquire g;
    py::function f = py::get_override(static_cast<const Dataset*>(this), "__len__");
    if (!f) throw py::type_error("Dataset subclass must define __len__");
    return checked_len(py::cast(static_cast<const Dataset*>(this)));
  }
  Example get(size_t index) const override {
    py::gil_scoped_acquire g;
    py::function f = py::get_override(static_cast<const Dataset*>(this), "__getitem__");
    if (!f) throw py::type_error("Dataset subclass must define __getitem__");
    const std::string who =
        type_name_of(py::cast(static_cast<const Dataset*>(this))) + ".__getitem__(" + std::to_string(index) + ")";
    return example_from(f(index), who.c_str());
  }
};

}  // namespace

// For a Python subclass the pointer also owns a reference to the Python object, so that its
// __len__ / __getitem__ live as long as C++ holds it.
// A Python dataset with a C++ equivalent (seek.utils.data.TensorDataset, Subset, ...) names it in
// _cpp_dataset; any other object with __getitem__ and __len__ is read through Python (duck_dataset).
data::DatasetPtr dataset_ptr(const py::handle& obj) {
  py::object cpp = py::getattr(obj, "_cpp_dataset", py::none());
  if (!cpp.is_none() && !cpp.is(obj) && py::isinstance<Dataset>(cpp)) return dataset_ptr(cpp);
  if (!py::isinstance<Dataset>(obj)) return duck_dataset(obj);
  auto ptr = obj.cast<std::shared_ptr<Dataset>>();
  if (dynamic_cast<PyDataset*>(ptr.get()) == nullptr) return ptr;
  return holding_python_object(std::move(ptr), obj);
}

data::Transform transform_of(const py::handle& t) {
  if (py::isinstance<TransformObj>(t)) return t.cast<const TransformObj&>().fn;
  if (!PyCallable_Check(t.ptr())) throw py::type_error("transform must be callable");
  auto f = gil_safe(py::reinterpret_borrow<py::object>(t));
  return [f](const Tensor& x, Generator*) {
    py::gil_scoped_acquire g;
    return as_tensor((*f)(x));
  };
}

data::CollateFn collate_of(const py::object& collate_fn) {
  auto f = gil_safe(collate_fn);
  return [f](const std::vector<Example>& examples) {
    py::gil_scoped_acquire g;
    py::list l;
    for (const auto& e : examples) l.append(py::make_tuple(e.data, e.target));
    return example_from((*f)(l), "collate_fn");
  };
}

namespace {

template <typename C>
py::class_<C, TransformObj> transform_class(py::module_& m, const char* name, const char* doc) {
  return py::class_<C, TransformObj>(m, name, doc);
}

struct Normalize : TransformObj {};
struct RandomCrop : TransformObj {};
struct RandomHorizontalFlip : TransformObj {};
struct Compose : TransformObj {};
struct RandomRotation : TransformObj {};
struct RandomResizedCrop : TransformObj {};
struct ColorJitter : TransformObj {};
struct Lambda : TransformObj {};

template <typename C, typename Op>
C make_transform(Op op, std::string repr) {
  C c;
  c.fn = [op](const Tensor& x, Generator* g) { return op(x, g); };
  c.repr = std::move(repr);
  return c;
}

std::string fmt_list(const std::vector<double>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::string(py::str(py::float_(v[i])));
  return s + "]";
}

T::InterpolationMode interpolation(const std::string& s) {
  if (s == "nearest") return T::InterpolationMode::Nearest;
  if (s == "bilinear") return T::InterpolationMode::Bilinear;
  throw py::value_error("interpolation must be 'nearest' or 'bilinear', got '" + s + "'");
}

std::pair<double, double> range_of(const py::handle& v) {
  if (py::isinstance<py::float_>(v) || py::isinstance<py::int_>(v)) {
    double x = v.cast<double>();
    return {x, x};
  }
  return v.cast<std::pair<double, double>>();
}

void init_transforms(py::module_& m) {
  py::class_<TransformObj>(m, "Transform", "A C++ image transform: t(x) on a [C, H, W] tensor.")
      .def(
          "__call__", [](const TransformObj& t, const Tensor& x) { return t.fn(x, nullptr); }, py::arg("img"),
          py::call_guard<py::gil_scoped_release>())
      .def("__repr__", [](const TransformObj& t) { return t.repr; });
  transform_class<Normalize>(m, "Normalize", "out[c] = (x[c] - mean[c]) / std[c].")
      .def(py::init([](std::vector<double> mean, std::vector<double> std) {
             return make_transform<Normalize>(T::Normalize(mean, std),
                                              "Normalize(mean=" + fmt_list(mean) + ", std=" + fmt_list(std) + ")");
           }),
           py::arg("mean"), py::arg("std"));
  transform_class<RandomCrop>(m, "RandomCrop", "Zero-pads by padding, then takes a random size crop.")
      .def(py::init([](const py::object& size, int64_t padding) {
             Int2 s = size.cast<Int2>();
             return make_transform<RandomCrop>(T::RandomCrop(s.h, s.w, padding),
                                               "RandomCrop(size=(" + std::to_string(s.h) + ", " + std::to_string(s.w) +
                                                   "), padding=" + std::to_string(padding) + ")");
           }),
           py::arg("size"), py::arg("padding") = 0);
  transform_class<RandomHorizontalFlip>(m, "RandomHorizontalFlip", "Reverses W with probability p.")
      .def(py::init([](double p) {
             return make_transform<RandomHorizontalFlip>(
                 T::RandomHorizontalFlip(p), "RandomHorizontalFlip(p=" + std::string(py::str(py::float_(p))) + ")");
           }),
           py::arg("p") = 0.5);
  transform_class<RandomRotation>(m, "RandomRotation", "Rotates by a random angle in degrees.")
      .def(py::init([](const py::object& degrees, const std::string& interp, std::vector<double> fill) {
             std::pair<double, double> d = (py::isinstance<py::float_>(degrees) || py::isinstance<py::int_>(degrees))
                                               ? std::make_pair(-degrees.cast<double>(), degrees.cast<double>())
                                               : degrees.cast<std::pair<double, double>>();
             return make_transform<RandomRotation>(T::RandomRotation(d, interpolation(interp), fill),
                                                   "RandomRotation()");
           }),
           py::arg("degrees"), py::arg("interpolation") = "nearest", py::arg("fill") = std::vector<double>{0.0});
  transform_class<RandomResizedCrop>(m, "RandomResizedCrop", "A crop of random area and aspect ratio, resized.")
      .def(py::init([](const py::object& size, std::pair<double, double> scale, std::pair<double, double> ratio,
                       const std::string& interp) {
             Int2 s = size.cast<Int2>();
             return make_transform<RandomResizedCrop>(
                 T::RandomResizedCrop(std::make_pair(s.h, s.w), scale, ratio, interpolation(interp)),
                 "RandomResizedCrop()");
           }),
           py::arg("size"), py::arg("scale") = std::make_pair(0.08, 1.0),
           py::arg("ratio") = std::make_pair(3.0 / 4.0, 4.0 / 3.0), py::arg("interpolation") = "bilinear");
  transform_class<ColorJitter>(m, "ColorJitter", "Random brightness, contrast, saturation and hue.")
      .def(py::init([](const py::object& b, const py::object& c, const py::object& s, const py::object& h) {
             auto around1 = [](const py::handle& v) -> std::pair<double, double> {
               if (py::isinstance<py::float_>(v) || py::isinstance<py::int_>(v)) {
                 double x = v.cast<double>();
                 if (x < 0)
                   throw py::value_error("ColorJitter: a factor spread must be >= 0, got " + std::to_string(x));
                 return {std::max(0.0, 1.0 - x), 1.0 + x};
               }
               return v.cast<std::pair<double, double>>();
             };
             std::pair<double, double> hue = range_of(h);
             if (py::isinstance<py::float_>(h) || py::isinstance<py::int_>(h)) hue = {-hue.first, hue.first};
             return make_transform<ColorJitter>(T::ColorJitter(around1(b), around1(c), around1(s), hue),
                                                "ColorJitter()");
           }),
           py::arg("brightness") = 0, py::arg("contrast") = 0, py::arg("saturation") = 0, py::arg("hue") = 0);
  transform_class<Compose>(m, "Compose", "Applies the transforms in order (C++ ones or Python callables).")
      .def(py::init([](const py::sequence& ts) {
             std::vector<data::Transform> fns;
             std::string repr = "Compose(\n";
             for (auto t : ts) {
               fns.push_back(transform_of(t));
               repr += "    " + std::string(py::repr(t)) + "\n";
             }
             return make_transform<Compose>(T::Compose(fns), repr + ")");
           }),
           py::arg("transforms"));
  transform_class<Lambda>(m, "Lambda", "Applies a Python callable (it takes the GIL inside data workers).")
      .def(py::init([](const py::object& fn) {
             Lambda l;
             l.fn = transform_of(fn);
             l.repr = "Lambda()";
             return l;
           }),
           py::arg("lambd"));
  m.def("hflip", &T::hflip, py::arg("img"), py::call_guard<py::gil_scoped_release>());
}

// Keeps the Generator a shared-generator MapDataset draws from.
struct GeneratorHolder {
  std::unique_ptr<Generator> gen;
};
struct OwningMapDataset : GeneratorHolder, data::MapDataset {
  OwningMapDataset(data::DatasetPtr ds, data::Transform fn, uint64_t generator_seed)
      : GeneratorHolder{std::make_unique<Generator>(generator_seed)},
        data::MapDataset(std::move(ds), std::move(fn), gen.get()) {}
};

void init_datasets(py::module_& m) {
  py::class_<Dataset, PyDataset, std::shared_ptr<Dataset>>(
      m, "Dataset", "Map-style dataset. Subclass it in Python with __len__ and __getitem__ returning (data, target).")
      .def(py::init<>())
      .def("__len__", [](const Dataset& d) { return d.size(); })
      .def(
          "__getitem__",
          [](const Dataset& d, int64_t i) {
            int64_t n = static_cast<int64_t>(d.size());
            if (i < 0) i += n;
            if (i < 0 || i >= n)
              throw py::index_error("Dataset: index " + std::to_string(i) + " is out of range for " +
                                    std::to_string(n) + " examples");
            Example e;
            {
              py::gil_scoped_release g;
              e = d.get(static_cast<size_t>(i));
            }
            return py::make_tuple(e.data, e.target);
          },
          py::arg("index"));
  py::class_<data::TensorDataset, Dataset, std::shared_ptr<data::TensorDataset>>(m, "TensorDataset",
                                                                                 "Example i is (data[i], targets[i]).")
      .def(py::init<Tensor, Tensor>(), py::arg("data"), py::arg("targets"));
  py::class_<data::Subset, Dataset, std::shared_ptr<data::Subset>>(m, "Subset", "The examples dataset[indices[i]].")
      .def(py::init([](const py::object& ds, std::vector<size_t> indices) {
             return std::make_shared<data::Subset>(dataset_ptr(ds), std::move(indices));
           }),
           py::arg("dataset"), py::arg("indices"))
      .def_property_readonly("indices", &data::Subset::indices)
      .def_property_readonly("dataset",
                             [](const data::Subset& s) { return std::const_pointer_cast<Dataset>(s.dataset()); });
  py::class_<data::MapDataset, Dataset, std::shared_ptr<data::MapDataset>>(
      m, "MapDataset",
      "Applies transform to every example's data. seed: seeded mode (example i of epoch e depends only on "
      "(seed, e, i), for any number of workers); generator_seed: one shared Generator(generator_seed) drawn in "
      "call order (as examples/resnet); neither: the default generator.")
      .def(py::init([](const py::object& dataset, const py::object& transform, std::optional<uint64_t> seed,
                       std::optional<uint64_t> generator_seed) -> std::shared_ptr<data::MapDataset> {
             data::DatasetPtr ds = dataset_ptr(dataset);
             if (seed && generator_seed) throw py::value_error("MapDataset: give seed or generator_seed, not both");
             data::Transform fn = transform_of(transform);
             if (seed) return std::make_shared<data::MapDataset>(std::move(ds), std::move(fn), *seed);
             if (generator_seed)
               return std::make_shared<OwningMapDataset>(std::move(ds), std::move(fn), *generator_seed);
             return std::make_shared<data::MapDataset>(std::move(ds), std::move(fn), static_cast<Generator*>(nullptr));
           }),
           py::arg("dataset"), py::arg("transform"), py::kw_only(), py::arg("seed") = py::none(),
           py::arg("generator_seed") = py::none());
  py::class_<data::MNIST, Dataset, std::shared_ptr<data::MNIST>>(
      m, "MNIST", "MNIST-layout IDX files under root (also Fashion-MNIST): float32 [1, 28, 28] in [0, 1], int64 label.")
      .def(py::init<const std::string&, bool>(), py::arg("root"), py::arg("train") = true,
           py::call_guard<py::gil_scoped_release>())
      .def_property_readonly("data", &data::MNIST::images, "uint8 [N, rows, cols]")
      .def_property_readonly("targets", &data::MNIST::labels, "int64 [N]");
  m.def("read_idx_images", &data::read_idx_images, py::arg("path"));
  m.def("read_idx_labels", &data::read_idx_labels, py::arg("path"));

  auto to_py = [](const std::vector<std::shared_ptr<data::Subset>>& parts) {
    py::list l;
    for (const auto& p : parts) l.append(py::cast(p));
    return l;
  };
  m.def(
      "random_split",
      [to_py](const py::object& ds, const py::sequence& lengths, uint64_t seed) {
        auto base = dataset_ptr(ds);
        bool fractions = false;
        for (auto v : lengths) fractions |= py::isinstance<py::float_>(v);
        auto parts = fractions ? data::random_split(base, lengths.cast<std::vector<double>>(), seed)
                               : data::random_split(base, lengths.cast<std::vector<size_t>>(), seed);
        return to_py(parts);
      },
      py::arg("dataset"), py::arg("lengths"), py::arg("seed") = 0,
      "Random parts of the given lengths (or fractions) from a permutation drawn with Generator(seed).");
}

// A Python-side iteration over a DataLoader.
struct LoaderIter {
  std::shared_ptr<data::DataLoader> loader;
  std::optional<data::DataLoader::Iterator> it;
  bool done = false;

  ~LoaderIter() {
    if (!it) return;
    py::gil_scoped_release g;  // workers may be waiting for the GIL
    it.reset();
  }
  py::tuple next() {
    if (done) throw py::stop_iteration();
    bool at_end = false;
    Example batch;
    {
      py::gil_scoped_release g;
      if (!it)
        it.emplace(loader->begin());
      else
        ++*it;
      at_end = (*it == loader->end());
      if (at_end)
        it.reset();
      else
        batch = **it;
    }
    if (at_end) {
      done = true;
      throw py::stop_iteration();
    }
    return py::make_tuple(batch.data, batch.target);
  }
};

void init_loader(py::module_& m) {
  py::class_<LoaderIter>(m, "_DataLoaderIter")
      .def("__iter__", [](LoaderIter& it) -> LoaderIter& { return it; })
      .def("__next__", &LoaderIter::next);
  py::class_<data::DataLoader, std::shared_ptr<data::DataLoader>>(
      m, "DataLoader",
      "Batches of a dataset as (data, target) tuples, like torch.utils.data.DataLoader with threads for "
      "processes. shuffle draws each epoch's order from Generator(seed); num_workers threads build batches "
      "ahead with the GIL released.")
      .def(py::init([](const py::object& dataset, size_t batch_size, bool shuffle, size_t num_workers,
                       const py::object& collate_fn, bool drop_last, uint64_t seed, size_t prefetch_factor,
                       bool pin_memory) {
             data::DatasetPtr ds = dataset_ptr(dataset);
             data::DataLoaderOptions o;
             o.batch_size = batch_size;
             o.shuffle = shuffle;
             o.num_workers = num_workers;
             o.drop_last = drop_last;
             o.seed = seed;
             o.prefetch_factor = prefetch_factor;
             o.pin_memory = pin_memory;
             if (collate_fn.is_none()) return std::make_shared<data::DataLoader>(std::move(ds), o);
             if (py::isinstance<IndexedCollateObj>(collate_fn))  // seek.data.collate_with_transform
               return std::make_shared<data::DataLoader>(std::move(ds), o,
                                                         collate_fn.cast<const IndexedCollateObj&>().fn);
             return std::make_shared<data::DataLoader>(std::move(ds), o, collate_of(collate_fn));
           }),
           py::arg("dataset"), py::arg("batch_size") = 1, py::arg("shuffle") = false, py::arg("num_workers") = 0,
           py::arg("collate_fn") = py::none(), py::arg("drop_last") = false, py::arg("seed") = 0,
           py::arg("prefetch_factor") = 2, py::arg("pin_memory") = false)
      .def(
          "__iter__",
          [](const std::shared_ptr<data::DataLoader>& l) {
            auto it = std::make_unique<LoaderIter>();
            it->loader = l;
            return it;
          },
          py::keep_alive<0, 1>())
      .def("__len__", &data::DataLoader::len)
      .def_property_readonly("batch_size", [](const data::DataLoader& l) { return l.options().batch_size; })
      .def_property_readonly("num_workers", [](const data::DataLoader& l) { return l.options().num_workers; })
      .def_property_readonly("pin_memory", [](const data::DataLoader& l) { return l.options().pin_memory; })
      .def_property_readonly("epoch", &data::DataLoader::epoch)
      .def("set_epoch", &data::DataLoader::set_epoch, py::arg("epoch"),
           "Selects the epoch (its order) and restarts at batch 0.")
      .def("state_dict",
           [](const data::DataLoader& l) {
             py::dict d;
             d["epoch"] = l.state().epoch;
             d["next_batch"] = l.state().next_batch;
             return d;
           })
      .def(
          "load_state_dict",
          [](data::DataLoader& l, const py::dict& d) {
            data::DataLoaderState s;
            s.epoch = d["epoch"].cast<uint64_t>();
            s.next_batch = d["next_batch"].cast<size_t>();
            l.load_state(s);
          },
          py::arg("state_dict"));
}

}  // namespace

void init_data(py::module_& m) {
  py::module_ d = m.def_submodule("data", "Datasets, DataLoader and transforms (wrapped by seek.data)");
  init_datasets(d);
  init_loader(d);
  py::module_ t = d.def_submodule("transforms", "Image transforms on [C, H, W] tensors");
  init_transforms(t);
  init_data_extra(d, t);
  init_data_utils(d);
}

}  // namespace seek::python

// seek.Generator and the random factories and in-place fills that take generator=, as in
// PyTorch: torch.Generator().manual_seed(s) gives an independent Philox stream
// (seek/core/generator.h) that rand / randn / randint / randperm / normal / bernoulli /
// multinomial, Tensor.uniform_ / normal_ / bernoulli_ / random_ / exponential_ draw from
// instead of the default generator of the device.
#include <random>

#include "common.h"

#include "seek/autograd/grad_mode.h"
#include "seek/ops/creation.h"
#include "seek/ops/random.h"
#include "seek/ops/unary.h"

namespace seek::python {

namespace {

using GeneratorPtr = std::shared_ptr<Generator>;

// The default generator of a device as a Python object that does not own it.
GeneratorPtr default_generator_ptr(Device d) {
  return GeneratorPtr(&default_generator(d), [](Generator*) {});
}

Tensor apply_grad(Tensor t, bool requires_grad) {
  if (requires_grad) t.requires_grad_(true);
  return t;
}

Generator* gen_arg(const std::optional<GeneratorPtr>& g) { return g ? g->get() : nullptr; }

// torch.Generator.manual_seed accepts any Python int in [-2^63, 2^64); negative seeds wrap.
uint64_t seed_arg(const py::int_& seed) {
  int overflow = 0;
  long long v = PyLong_AsLongLongAndOverflow(seed.ptr(), &overflow);
  if (overflow == 0 && !PyErr_Occurred()) return static_cast<uint64_t>(v);
  PyErr_Clear();
  if (overflow > 0) {
    unsigned long long u = PyLong_AsUnsignedLongLong(seed.ptr());
    if (!PyErr_Occurred()) return u;
    PyErr_Clear();
  }
  throw py::value_error("manual_seed: seed must be within [-2**63, 2**64), got " + py::repr(seed).cast<std::string>());
}

uint64_t nondeterministic_seed() {
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32) ^ rd();
}

// Integers for random_(): [from, to), or [0, from) when only one bound is given, or the
// dtype's default range (floating: [0, 2^mantissa], integers: [0, max]) when none.
void random_range(DType dt, int64_t from, const std::optional<int64_t>& to, bool from_given, int64_t& lo, int64_t& hi) {
  if (to) {
    lo = from;
    hi = *to;
    return;
  }
  if (from_given) {
    lo = 0;
    hi = from;
    return;
  }
  lo = 0;
  switch (dt) {
    case kBool: hi = 2; break;
    case kUInt8: hi = 256; break;
    case kInt8: hi = 128; break;
    case kInt32: hi = int64_t{1} << 31; break;
    case kFloat16: hi = (1 << 11) + 1; break;
    case kBFloat16: hi = (1 << 8) + 1; break;
    case kFloat32: hi = (1 << 24) + 1; break;
    default: hi = (int64_t{1} << 53) + 1; break;  // int64, float64: what a double holds exactly
  }
}

}  // namespace

void init_random(py::module_& m, py::class_<Tensor>& cls) {
  py::class_<Generator, GeneratorPtr>(m, "Generator",
                                      "A random number generator (a Philox stream: seed and offset), like "
                                      "torch.Generator: pass it as generator= to random ops.")
      .def(py::init([](const py::object& device) {
             return std::make_shared<Generator>(Generator::kDefaultSeed, device.is_none() ? kCPU : to_device(device));
           }),
           py::arg("device") = "cpu")
      .def(
          "manual_seed",
          [](const GeneratorPtr& g, const py::int_& seed) {
            g->manual_seed(seed_arg(seed));
            return g;
          },
          py::arg("seed"), "Restarts the stream from seed; returns the generator.")
      .def(
          "seed",
          [](const GeneratorPtr& g) {
            uint64_t s = nondeterministic_seed();
            g->manual_seed(s);
            return s;
          },
          "Seeds from a non-deterministic source and returns the seed.")
      .def("initial_seed", &Generator::seed, "The seed the stream started from.")
      .def("get_state", &Generator::get_state,
           "The state as an int64 tensor [seed, offset] (set_state restores it; torch's is a byte tensor).")
      .def(
          "set_state",
          [](const GeneratorPtr& g, const Tensor& state) {
            g->set_state(state);
            return g;
          },
          py::arg("new_state"))
      .def_property_readonly("device", &Generator::device)
      .def("__repr__", [](const Generator& g) {
        return str("<seek.Generator device=", g.device().str(), " seed=", g.seed(), " offset=", g.offset(), ">");
      });
  m.attr("default_generator") = default_generator_ptr(kCPU);
  m.def(
      "manual_seed",
      [](const py::int_& seed) {
        seek::manual_seed(seed_arg(seed));
        return default_generator_ptr(kCPU);
      },
      py::arg("seed"), "Seeds the default random generator of every device; returns the CPU one (as torch does).");
  m.def(
      "seed",
      []() {
        uint64_t s = nondeterministic_seed();
        seek::manual_seed(s);
        return s;
      },
      "Seeds every default generator from a non-deterministic source and returns the seed.");
  m.def(
      "get_rng_state", []() { return default_generator(kCPU).get_state(); },
      "The default CPU generator's state (set_rng_state restores it).");
  m.def(
      "set_rng_state", [](const Tensor& state) { default_generator(kCPU).set_state(state); }, py::arg("new_state"));

  auto size_factory = [&m](const char* name, auto fn, const char* doc) {
    m.def(
        name,
        [fn, name](const py::args& size, const std::optional<GeneratorPtr>& g, const py::object& dtype_obj,
                   const py::object& device, bool rg) {
          std::optional<DType> dtype = dtype_arg(dtype_obj, name);
          TensorOptions o = make_options(dtype, device, false);
          return apply_grad(fn(shape_from_args(size), o, gen_arg(g)), rg);
        },
        py::kw_only(), py::arg("generator") = py::none(), py::arg("dtype") = py::none(), py::arg("device") = py::none(),
        py::arg("requires_grad") = false, doc);
  };
  size_factory(
      "rand", [](const Shape& s, TensorOptions o, Generator* g) { return rand(s, o, g); }, "Uniform on [0, 1).");
  size_factory(
      "randn", [](const Shape& s, TensorOptions o, Generator* g) { return randn(s, o, g); }, "Standard normal.");
  m.def(
      "randint",
      [](const py::args& args, const py::object& size_kw, const std::optional<GeneratorPtr>& g,
         const py::object& dtype_obj, const py::object& device, bool rg) {
        std::optional<DType> dtype = dtype_arg(dtype_obj, "randint");
        // randint(high, size), randint(low, high, size), or the bounds positional and size=...
        std::vector<py::object> a;
        for (const auto& h : args) a.push_back(py::reinterpret_borrow<py::object>(h));
        if (!size_kw.is_none()) a.push_back(size_kw);
        if (a.size() != 2 && a.size() != 3)
          throw py::type_error("randint(low=0, high, size) takes 2 or 3 arguments (size may be given as size=)");
        auto as_int = [](const py::object& o, const char* what) {
          if (!py::isinstance<py::int_>(o) && !py::isinstance<Tensor>(o))
            throw py::type_error(str("randint: ", what, " must be an int, got ", std::string(py::repr(o))));
          return o.cast<int64_t>();
        };
        int64_t low = a.size() == 3 ? as_int(a[0], "low") : 0;
        int64_t high = as_int(a[a.size() - 2], "high");
        Shape size = a.back().cast<Shape>();
        return apply_grad(randint(low, high, size, make_options(dtype, device, false, kInt64), gen_arg(g)), rg);
      },
      py::kw_only(), py::arg("size") = py::none(), py::arg("generator") = py::none(), py::arg("dtype") = py::none(),
      py::arg("device") = py::none(), py::arg("requires_grad") = false,
      "Integers uniform on [low, high): randint(high, size) or randint(low, high, size).");
  m.def(
      "randperm",
      [](int64_t n, const std::optional<GeneratorPtr>& g, const py::object& dtype_obj, const py::object& device) {
        std::optional<DType> dtype = dtype_arg(dtype_obj, "randperm");
        return randperm(n, make_options(dtype, device, false, kInt64), gen_arg(g));
      },
      py::arg("n"), py::kw_only(), py::arg("generator") = py::none(), py::arg("dtype") = py::none(),
      py::arg("device") = py::none());
  m.def(
      "normal",
      [](const py::object& mean, const py::object& std, const py::object& size, const std::optional<GeneratorPtr>& g,
         const py::object& dtype_obj, const py::object& device) -> Tensor {
        std::optional<DType> dtype = dtype_arg(dtype_obj, "normal");
        bool mean_t = py::isinstance<Tensor>(mean), std_t = py::isinstance<Tensor>(std);
        if (!mean_t && !std_t) {
          if (size.is_none())
            throw py::type_error("normal(mean, std, size): size is needed when mean and std are numbers");
          return normal(mean.cast<double>(), std.cast<double>(), size.cast<Shape>(), make_options(dtype, device, false),
                        gen_arg(g));
        }
        // Tensor mean and/or std: one draw per element of their broadcast shape.
        Tensor mt = mean_t ? mean.cast<Tensor>() : Tensor();
        Tensor st = std_t ? std.cast<Tensor>() : Tensor();
        const Tensor& like = mean_t ? mt : st;
        Shape shape = mean_t && std_t ? broadcast_shapes(mt.shape(), st.shape(), "normal") : like.shape();
        Tensor z = randn(shape, TensorOptions(like.dtype()).device(like.device()), gen_arg(g));
        Tensor scaled = std_t ? z * st : z * std.cast<double>();
        return mean_t ? scaled + mt : scaled + mean.cast<double>();
      },
      py::arg("mean"), py::arg("std"), py::arg("size") = py::none(), py::kw_only(), py::arg("generator") = py::none(),
      py::arg("dtype") = py::none(), py::arg("device") = py::none(),
      "normal(mean, std, size) with numbers, or one draw per element when mean and/or std are tensors.");
  m.def(
      "bernoulli", [](const Tensor& p, const std::optional<GeneratorPtr>& g) { return bernoulli(p, gen_arg(g)); },
      py::arg("input"), py::kw_only(), py::arg("generator") = py::none());
  m.def(
      "multinomial",
      [](const Tensor& input, int64_t n, bool replacement, const std::optional<GeneratorPtr>& g) {
        return multinomial(input, n, replacement, gen_arg(g));
      },
      py::arg("input"), py::arg("num_samples"), py::arg("replacement") = false, py::kw_only(),
      py::arg("generator") = py::none(),
      "Indices drawn from rows of non-negative weights, with or without replacement, like torch.multinomial.");

  cls.def(
         "uniform_",
         [](py::object self, double a, double b, const std::optional<GeneratorPtr>& g) {
           uniform_(self.cast<Tensor&>(), a, b, gen_arg(g));
           return self;
         },
         py::arg("from") = 0.0, py::arg("to") = 1.0, py::kw_only(), py::arg("generator") = py::none())
      .def(
          "normal_",
          [](py::object self, double mean, double std, const std::optional<GeneratorPtr>& g) {
            normal_(self.cast<Tensor&>(), mean, std, gen_arg(g));
            return self;
          },
          py::arg("mean") = 0.0, py::arg("std") = 1.0, py::kw_only(), py::arg("generator") = py::none())
      .def(
          "bernoulli_",
          [](py::object self, double p, const std::optional<GeneratorPtr>& g) {
            bernoulli_(self.cast<Tensor&>(), p, gen_arg(g));
            return self;
          },
          py::arg("p") = 0.5, py::kw_only(), py::arg("generator") = py::none())
      .def(
          "bernoulli",
          [](const Tensor& self, const std::optional<GeneratorPtr>& g) { return bernoulli(self, gen_arg(g)); },
          py::kw_only(), py::arg("generator") = py::none())
      .def(
          "random_",
          [](py::object self, const std::optional<int64_t>& from, const std::optional<int64_t>& to,
             const std::optional<GeneratorPtr>& g) {
            Tensor& t = self.cast<Tensor&>();
            int64_t lo = 0, hi = 0;
            random_range(t.dtype(), from.value_or(0), to, from.has_value(), lo, hi);
            NoGradGuard guard;
            t.copy_(randint(lo, hi, t.shape(), TensorOptions(kInt64).device(t.device()), gen_arg(g)));
            return self;
          },
          py::arg("from") = py::none(), py::arg("to") = py::none(), py::kw_only(), py::arg("generator") = py::none(),
          "Integers uniform on [from, to); random_(to) is [0, to); random_() spans what the dtype holds exactly.")
      .def(
          "exponential_",
          [](py::object self, double lambd, const std::optional<GeneratorPtr>& g) {
            Tensor& t = self.cast<Tensor&>();
            if (!(lambd > 0)) throw py::value_error(str("exponential_: expected lambd > 0, got ", lambd));
            NoGradGuard guard;
            Tensor u = rand(t.shape(), TensorOptions(kFloat64).device(t.device()), gen_arg(g));
            t.copy_(u.neg().log1p().neg() / lambd);
            return self;
          },
          py::arg("lambd") = 1.0, py::kw_only(), py::arg("generator") = py::none())
      .def(
          "multinomial",
          [](const Tensor& self, int64_t n, bool replacement, const std::optional<GeneratorPtr>& g) {
            return multinomial(self, n, replacement, gen_arg(g));
          },
          py::arg("num_samples"), py::arg("replacement") = false, py::kw_only(), py::arg("generator") = py::none());
}

}  // namespace seek::python

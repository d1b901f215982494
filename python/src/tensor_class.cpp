// Tensor metadata, autograd attributes, conversions, printing and the Python protocols
// (len, iter, bool, float, int, hash).
#include "common.h"

#include "seek/autograd/engine.h"
#include "seek/autograd/node.h"
#include "seek/core/autograd_meta.h"
#include "seek/cuda.h"

namespace seek::python {

namespace {

py::tuple shape_tuple(const Shape& s) {
  py::tuple t(s.size());
  for (size_t i = 0; i < s.size(); ++i) t[i] = py::int_(s[i]);
  return t;
}

// .to(dtype), .to(device), .to(device, dtype), .to(other), with dtype= / device= / copy= keywords.
Tensor tensor_to(const Tensor& t, const py::args& args, const py::kwargs& kwargs) {
  std::optional<DType> dtype;
  std::optional<Device> device;
  bool copy = false, non_blocking = false;
  MemoryFormat memory_format = MemoryFormat::Preserve;
  for (const auto& a : args) {
    if (py::isinstance<DType>(a))
      dtype = a.cast<DType>();
    else if (py::isinstance<Tensor>(a)) {
      const Tensor& o = a.cast<const Tensor&>();
      dtype = o.dtype();
      device = o.device();
    } else if (a.is_none())
      continue;
    else
      device = to_device(a);
  }
  for (const auto& [k, v] : kwargs) {
    std::string key = k.cast<std::string>();
    if (key == "dtype") {
      if (!v.is_none()) dtype = v.cast<DType>();
    } else if (key == "device") {
      if (!v.is_none()) device = to_device(v);
    } else if (key == "copy")
      copy = v.cast<bool>();
    else if (key == "memory_format")
      memory_format = v.cast<MemoryFormat>();
    else if (key == "non_blocking")
      non_blocking = v.cast<bool>();
    else
      throw py::type_error("to() got an unexpected keyword argument '" + key + "'");
  }
  py::gil_scoped_release nogil;
  return t.to(device.value_or(t.device()), dtype.value_or(t.dtype()), copy, non_blocking, memory_format);
}

// Holds a Python callable for C++ code that may call or drop it without the GIL.
std::shared_ptr<py::function> gil_safe(py::function f) {
  return std::shared_ptr<py::function>(new py::function(std::move(f)), [](py::function* p) {
    if (!Py_IsInitialized()) return;  // interpreter gone: leak rather than crash
    py::gil_scoped_acquire g;
    delete p;
  });
}

}  // namespace

void init_tensor_class(py::class_<Tensor>& cls) {
  py::class_<autograd::Node, std::shared_ptr<autograd::Node>>(cls, "Node", "A node of the autograd graph (grad_fn).")
      .def("name", &autograd::Node::name)
      .def_property_readonly("next_functions",
                             [](const autograd::Node& n) {
                               py::list l;
                               for (const auto& e : n.next_edges)
                                 l.append(py::make_tuple(e.fn ? py::cast(e.fn) : py::none(), e.input_nr));
                               return py::tuple(l);
                             })
      .def("__repr__", [](const autograd::Node& n) { return "<" + n.name() + " object>"; });

  cls.def_property_readonly(
         "shape", [](const Tensor& t) { return shape_tuple(t.sizes()); }, "The sizes, as a tuple.")
      .def(
          "size",
          [](const Tensor& t, std::optional<int64_t> dim) -> py::object {
            if (dim) return py::int_(t.size(*dim));
            return shape_tuple(t.sizes());
          },
          py::arg("dim") = py::none(), "The sizes as a tuple, or the size of one dimension.")
      .def(
          "stride",
          [](const Tensor& t, std::optional<int64_t> dim) -> py::object {
            if (dim) return py::int_(t.stride(*dim));
            return shape_tuple(t.strides());
          },
          py::arg("dim") = py::none(), "Strides in elements.")
      .def("dim", &Tensor::dim, "Number of dimensions.")
      .def_property_readonly("ndim", &Tensor::dim)
      .def("numel", &Tensor::numel, "Number of elements.")
      .def("nelement", &Tensor::numel)
      .def("element_size", &Tensor::element_size)
      .def_property_readonly("itemsize", &Tensor::element_size)
      .def_property_readonly("nbytes", &Tensor::nbytes)
      .def_property_readonly("dtype", &Tensor::dtype)
      .def_property_readonly("device", &Tensor::device)
      .def_property_readonly("is_cuda", &Tensor::is_cuda)
      .def_property_readonly("is_cpu", &Tensor::is_cpu)
      .def("is_floating_point", &Tensor::is_floating_point)
      .def(
          "is_contiguous", [](const Tensor& t, MemoryFormat f) { return t.is_contiguous(f); }, py::kw_only(),
          py::arg("memory_format") = MemoryFormat::Contiguous,
          "Whether the tensor is dense in memory_format's dim order (seek.contiguous_format, seek.channels_last).")
      .def("storage_offset", &Tensor::storage_offset)
      .def(
          "data_ptr", [](const Tensor& t) { return reinterpret_cast<uintptr_t>(t.data_ptr()); },
          "Address of the first element.")
      .def("__repr__", &Tensor::to_string)
      .def("__str__", &Tensor::to_string)
      .def("__hash__", [](py::object self) { return py::hash(py::int_(reinterpret_cast<uintptr_t>(self.ptr()))); })
      .def("__len__",
           [](const Tensor& t) {
             if (t.dim() == 0) throw py::type_error("len() of a 0-d tensor");
             return t.size(0);
           })
      .def("__iter__",
           [](const Tensor& t) {
             if (t.dim() == 0) throw py::type_error("iteration over a 0-d tensor");
             return py::iter(py::cast(t.unbind(0)));
           })
      .def("__bool__",
           [](const Tensor& t) {
             if (t.numel() != 1)
               throw std::runtime_error("Boolean value of Tensor with " + std::to_string(t.numel()) +
                                        " values is ambiguous");
             return t.item().to_bool();
           })
      .def("__float__", [](const Tensor& t) { return t.item().to_double(); })
      .def("__int__", [](const Tensor& t) { return t.item().to_int(); })
      .def("__index__",
           [](const Tensor& t) {
             if (is_floating(t.dtype()) || t.numel() != 1)
               throw py::type_error("only integer tensors of a single element can be converted to an index");
             return t.item().to_int();
           })
      .def(
          "item", [](const Tensor& t) { return t.item(); }, "The value of a one-element tensor as a Python number.")
      .def("tolist", &tensor_tolist, "The elements as (nested) Python lists of numbers.")
      // ---- autograd ----
      .def_property(
          "requires_grad", &Tensor::requires_grad, [](Tensor& t, bool r) { t.requires_grad_(r); },
          "Whether autograd records ops on this tensor.")
      .def(
          "requires_grad_",
          [](py::object self, bool r) {
            self.cast<Tensor&>().requires_grad_(r);
            return self;
          },
          py::arg("requires_grad") = true, "Sets requires_grad in place and returns self.")
      .def_property(
          "grad",
          [](const Tensor& t) -> std::optional<Tensor> {
            Tensor g = t.grad();
            if (!g.defined()) return std::nullopt;
            return g;
          },
          [](const Tensor& t, const py::object& g) {
            if (!g.is_none() && !py::isinstance<Tensor>(g))
              throw py::type_error("assigned grad expected to be a Tensor or None but got grad of type " +
                                   python_type_name(g).cast<std::string>());
            t.set_grad(g.is_none() ? Tensor() : g.cast<Tensor>());
          },
          "The gradient accumulated by backward(), or None.")
      .def_property_readonly(
          "grad_fn", [](const Tensor& t) { return t.grad_fn(); },
          "The autograd node that produced this tensor, or None for leaves.")
      .def_property_readonly("is_leaf", &Tensor::is_leaf)
      .def_property_readonly("output_nr", &Tensor::output_nr)
      .def_property_readonly("_version", &Tensor::version)
      .def_property_readonly("data", &Tensor::detach, "The tensor without autograd history (shares memory).")
      .def(
          "backward",
          [](const Tensor& t, std::optional<Tensor> gradient, std::optional<bool> retain_graph, bool create_graph) {
            if (create_graph) throw py::value_error("backward: create_graph=True is not supported by seek");
            py::gil_scoped_release nogil;
            t.backward(gradient.value_or(Tensor()), retain_graph.value_or(false));
          },
          py::arg("gradient") = py::none(), py::arg("retain_graph") = py::none(), py::arg("create_graph") = false,
          "Computes the gradient of this tensor with respect to the graph leaves (accumulates into .grad).")
      .def("detach", &Tensor::detach, "A view of the same data with no autograd history.")
      .def("detach_",
           [](py::object self) {
             self.cast<Tensor&>().detach_();
             return self;
           })
      .def("retain_grad", &Tensor::retain_grad, "Keeps .grad on a non-leaf tensor after backward().")
      .def(
          "register_hook",
          [](const Tensor& t, py::function fn) {
            std::string name = py::str(py::getattr(fn, "__name__", py::repr(fn)));
            auto f = gil_safe(std::move(fn));
            t.register_hook([f, name](const Tensor& g) -> Tensor {
              py::gil_scoped_acquire gil;
              py::object r = (*f)(g);
              if (r.is_none()) return Tensor();
              if (!py::isinstance<Tensor>(r))
                throw py::type_error("expected Tensor, but hook '" + name + "' returned '" +
                                     python_type_name(r).cast<std::string>() + "'");
              Tensor out = r.cast<Tensor>();
              SEEK_CHECK_T(AutogradError, out.sizes() == g.sizes(), "hook '", name,
                           "' has changed the size of value (was ", shape_str(g.sizes()), " got ",
                           shape_str(out.sizes()), ")");
              SEEK_CHECK_T(AutogradError, out.dtype() == g.dtype(), "hook '", name,
                           "' has changed the type of value (was ", g.dtype(), " got ", out.dtype(), ")");
              return out;
            });
          },
          py::arg("hook"), "hook(grad) runs during backward; it may return a replacement gradient.")
      // ---- conversions and copies ----
      .def("to", &tensor_to,
           "Converts dtype and/or device: to(dtype), to(device), to(device, dtype), to(other); "
           "memory_format=seek.channels_last "
           "lays the result out so.")
      .def("cpu",
           [](const Tensor& t) {
             py::gil_scoped_release g;
             return t.cpu();
           })
      .def(
          "cuda",
          [](const Tensor& t, const py::object& device, bool non_blocking) {
            // Like torch: an index, "cuda:N" or a device; none means the current device.
            Device d(DeviceType::CUDA, 0);
            if (device.is_none())  // (without a GPU the copy fails with the allocator's reason)
              d.index = seek::cuda::device_count() > 0 ? seek::cuda::current_device() : 0;
            else if (py::isinstance<py::int_>(device))
              d.index = device.cast<int>();
            else
              d = to_device(device);
            if (!d.is_cuda()) throw ValueError(str("Tensor.cuda: expected a cuda device, got ", d.str()));
            py::gil_scoped_release g;
            return t.to(d, false, non_blocking);
          },
          py::arg("device") = py::none(), py::arg("non_blocking") = false,
          "A copy on a GPU (the current one by default); self when it is already there. non_blocking: a copy "
          "from pinned memory is queued on the current stream without waiting.")
      .def(
          "pin_memory",
          [](const Tensor& t) {
            py::gil_scoped_release g;
            return t.pin_memory();
          },
          "A copy of this CPU tensor in page-locked (pinned) host memory; self when already pinned.")
      .def("is_pinned", &Tensor::is_pinned, "Whether this CPU tensor is in pinned host memory.")
      .def("record_stream", &Tensor::record_stream, py::arg("stream"),
           "Marks this CUDA tensor as used on `stream`: its memory is reused only after that stream's work.")
      .def(
          "get_device", [](const Tensor& t) { return t.device().is_cuda() ? t.device().index : -1; },
          "The GPU index of a CUDA tensor; -1 for a CPU tensor (torch.Tensor.get_device).")
      .def("float", [](const Tensor& t) { return t.to(kFloat32); })
      .def("double", [](const Tensor& t) { return t.to(kFloat64); })
      .def("half", [](const Tensor& t) { return t.to(kFloat16); })
      .def("bfloat16", [](const Tensor& t) { return t.to(kBFloat16); })
      .def("long", [](const Tensor& t) { return t.to(kInt64); })
      .def("int", [](const Tensor& t) { return t.to(kInt32); })
      .def("byte", [](const Tensor& t) { return t.to(kUInt8); })
      .def("char", [](const Tensor& t) { return t.to(kInt8); })
      .def("bool", [](const Tensor& t) { return t.to(kBool); })
      .def(
          "type",
          [](const Tensor& t, std::optional<DType> d) -> py::object {
            if (d) return py::cast(t.to(*d));
            return py::str(std::string("seek.") + dtype_name(t.dtype()));
          },
          py::arg("dtype") = py::none())
      .def(
          "clone", [](const Tensor& t, MemoryFormat f) { return t.clone(f); }, py::kw_only(),
          py::arg("memory_format") = MemoryFormat::Preserve,
          "A copy with history; preserve_format keeps the strides of a dense tensor.")
      .def(
          "contiguous", [](const Tensor& t, MemoryFormat f) { return t.contiguous(f); }, py::kw_only(),
          py::arg("memory_format") = MemoryFormat::Contiguous,
          "The tensor itself when it is dense in memory_format, else a copy laid out so.")
      .def(
          "copy_",
          [](py::object self, const Tensor& src) {
            Tensor& t = self.cast<Tensor&>();
            py::gil_scoped_release g;
            t.copy_(src);
            return self;
          },
          py::arg("src"))
      .def(
          "fill_",
          [](py::object self, Scalar v) {
            self.cast<Tensor&>().fill_(v);
            return self;
          },
          py::arg("value"))
      .def("zero_", [](py::object self) {
        self.cast<Tensor&>().zero_();
        return self;
      });
}

py::object tensor_tolist(const Tensor& t) {
  Tensor c = t.detach().cpu();
  DType target = is_floating(c.dtype()) ? kFloat64 : c.dtype() == kBool ? kBool : kInt64;
  c = c.to(target).contiguous();
  const Shape& s = c.sizes();
  const char* base = static_cast<const char*>(c.data_ptr());
  std::function<py::object(size_t, int64_t)> rec = [&](size_t d, int64_t off) -> py::object {
    if (d == s.size()) {
      if (target == kFloat64) return py::float_(reinterpret_cast<const double*>(base)[off]);
      if (target == kBool) return py::bool_(reinterpret_cast<const bool*>(base)[off]);
      return py::int_(reinterpret_cast<const int64_t*>(base)[off]);
    }
    py::list l(s[d]);
    int64_t step = c.stride(static_cast<int64_t>(d));
    for (int64_t i = 0; i < s[d]; ++i) l[i] = rec(d + 1, off + i * step);
    return l;
  };
  return rec(0, 0);
}

}  // namespace seek::python

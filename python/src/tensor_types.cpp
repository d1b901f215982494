// seek.dtype objects (seek.float32, ...), seek.device, manual_seed, and init_tensor,
// which registers the Tensor class and calls the other tensor_*.cpp init functions.
#include "common.h"

#include "seek/core/generator.h"
#include "seek/cuda.h"

namespace seek::python {

void init_cuda_runtime(py::module_& cuda);  // cuda_runtime.cpp

Device to_device(const py::handle& obj) {
  if (py::isinstance<Device>(obj)) return obj.cast<Device>();
  if (py::isinstance<py::str>(obj)) return Device(obj.cast<std::string>());
  throw py::type_error("expected a seek.device or a string such as 'cpu' or 'cuda:0', got " +
                       std::string(py::str(py::type::of(obj))));
}

TensorOptions make_options(std::optional<DType> dtype, const py::object& device, bool requires_grad,
                           DType default_dtype) {
  TensorOptions o(dtype.value_or(default_dtype));
  if (!device.is_none()) o = o.device(to_device(device));
  return o.requires_grad(requires_grad);
}

Shape shape_from_args(const py::args& args) {
  try {
    if (args.size() == 1 && (py::isinstance<py::tuple>(args[0]) || py::isinstance<py::list>(args[0])))
      return args[0].cast<Shape>();
    return args.cast<Shape>();
  } catch (const py::cast_error&) {
    throw py::type_error("expected a shape as integers or a tuple/list of integers, got " +
                         py::repr(args).cast<std::string>());
  }
}

namespace {

std::string dtype_repr(DType d) { return std::string("seek.") + dtype_name(d); }

}  // namespace

void init_dtypes(py::module_& m) {
  py::class_<DType> dt(m, "dtype", "The element type of a tensor (seek.float32, seek.int64, ...).");
  dt.def("__repr__", &dtype_repr)
      .def("__str__", &dtype_repr)
      .def("__eq__", [](DType a, const py::object& b) { return py::isinstance<DType>(b) && a == b.cast<DType>(); })
      .def("__hash__", [](DType a) { return static_cast<int>(a); })
      .def_property_readonly(
          "is_floating_point", [](DType a) { return is_floating(a); },
          "True for float16, bfloat16, float32 and float64.")
      .def_property_readonly(
          "itemsize", [](DType a) { return dtype_size(a); }, "Bytes per element.");
  const std::pair<const char*, DType> names[] = {
      {"float32", kFloat32}, {"float", kFloat32}, {"float64", kFloat64},   {"double", kFloat64},
      {"float16", kFloat16}, {"half", kFloat16},  {"bfloat16", kBFloat16}, {"int64", kInt64},
      {"long", kInt64},      {"int32", kInt32},   {"int", kInt32},         {"int8", kInt8},
      {"int16", kInt16},     {"short", kInt16},   {"uint8", kUInt8},       {"bool", kBool}};
  for (const auto& [name, d] : names) m.attr(name) = d;

  // seek.memory_format objects (seek.channels_last, ...) as torch's
  py::class_<MemoryFormat> mf(m, "memory_format", "A tensor's dim order in memory (seek.channels_last, ...).");
  mf.def("__repr__", [](MemoryFormat f) { return std::string("seek.") + memory_format_name(f); })
      .def("__str__", [](MemoryFormat f) { return std::string("seek.") + memory_format_name(f); })
      .def("__eq__", [](MemoryFormat a,
                        const py::object& b) { return py::isinstance<MemoryFormat>(b) && a == b.cast<MemoryFormat>(); })
      .def("__hash__", [](MemoryFormat f) { return static_cast<int>(f); });
  for (MemoryFormat f :
       {MemoryFormat::Contiguous, MemoryFormat::ChannelsLast, MemoryFormat::ChannelsLast3d, MemoryFormat::Preserve})
    m.attr(memory_format_name(f)) = f;

  py::class_<Device> dev(m, "device", "Where a tensor lives: seek.device('cpu'), seek.device('cuda:0').");
  dev.def(py::init([](const std::string& spec) { return Device(spec); }), py::arg("spec"))
      .def(py::init([](const std::string& type, int index) { return Device(type + ":" + std::to_string(index)); }),
           py::arg("type"), py::arg("index"))
      .def_property_readonly("type", [](const Device& d) { return d.is_cpu() ? "cpu" : "cuda"; })
      .def_property_readonly("index",
                             [](const Device& d) -> py::object {
                               return d.is_cpu() ? py::object(py::none()) : py::object(py::int_(d.index));
                             })
      .def("__str__", &Device::str)
      .def("__repr__",
           [](const Device& d) {
             return d.is_cpu() ? std::string("device(type='cpu')")
                               : "device(type='cuda', index=" + std::to_string(d.index) + ")";
           })
      .def("__eq__",
           [](const Device& a, const py::object& b) {
             if (py::isinstance<py::str>(b)) return a == Device(b.cast<std::string>());
             return py::isinstance<Device>(b) && a == b.cast<Device>();
           })
      .def("__hash__", [](const Device& d) { return d.is_cpu() ? 1000 : d.index; });
  py::implicitly_convertible<py::str, Device>();

  m.def(
      "initial_seed", []() { return default_generator(kCPU).seed(); }, "The seed of the default CPU generator.");

  py::module_ cuda = m.def_submodule("cuda", "CUDA device queries (seek.cuda wraps these).");
  cuda.def("is_available", &seek::cuda::is_available, "True when seek was built with CUDA and a GPU is visible.");
  cuda.def("device_count", &seek::cuda::device_count, "Number of visible GPUs.");
  cuda.def("current_device", &seek::cuda::current_device);
  cuda.def("set_device", &seek::cuda::set_device, py::arg("device"));
  cuda.def(
      "synchronize", [] { seek::cuda::synchronize(); }, py::call_guard<py::gil_scoped_release>());
  cuda.def("memory_allocated", &seek::cuda::memory_allocated, py::arg("device") = -1);
  cuda.def("memory_reserved", &seek::cuda::memory_reserved, py::arg("device") = -1);
  cuda.def("max_memory_allocated", &seek::cuda::max_memory_allocated, py::arg("device") = -1);
  cuda.def("reset_peak_memory_stats", &seek::cuda::reset_peak_memory_stats, py::arg("device") = -1);
  cuda.def("empty_cache", &seek::cuda::empty_cache);
  cuda.def("build_info", &seek::cuda::build_info);
  cuda.def(
      "get_device_name", [](int d) { return seek::cuda::get_device_properties(d).name; }, py::arg("device") = 0);
  // torch.cuda.get_device_properties' object: name, total_memory (bytes), major, minor, multi_processor_count.
  py::class_<seek::cuda::DeviceProperties>(cuda, "_CudaDeviceProperties")
      .def_readonly("name", &seek::cuda::DeviceProperties::name)
      .def_readonly("total_memory", &seek::cuda::DeviceProperties::total_memory)
      .def_readonly("major", &seek::cuda::DeviceProperties::major)
      .def_readonly("minor", &seek::cuda::DeviceProperties::minor)
      .def_readonly("multi_processor_count", &seek::cuda::DeviceProperties::multi_processor_count)
      .def("__repr__", [](const seek::cuda::DeviceProperties& p) {
        return str("_CudaDeviceProperties(name='", p.name, "', major=", p.major, ", minor=", p.minor,
                   ", total_memory=", p.total_memory >> 20, "MB, multi_processor_count=", p.multi_processor_count, ")");
      });
  cuda.def("get_device_properties", &seek::cuda::get_device_properties, py::arg("device"));
  init_cuda_runtime(cuda);  // streams, events, memory_stats (cuda_runtime.cpp)
}

void init_tensor(py::module_& m) {
  init_errors(m);
  init_dtypes(m);
  py::class_<Tensor> cls(m, "Tensor", py::dynamic_attr(), py::buffer_protocol(),
                         "A multi-dimensional array with autograd, like torch.Tensor.");
  init_tensor_class(cls);
  init_tensor_ops(cls);
  init_tensor_reduce(cls);
  init_tensor_index(cls);
  init_interop(m, cls);
  init_factories(m);
  init_random(m, cls);
  init_tensor_math(m);
  init_tensor_core_extra(m, cls);
  init_tensor_math_extra(m, cls);
}

}  // namespace seek::python

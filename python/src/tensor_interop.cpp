// numpy and DLPack without copies: the buffer protocol and __array__ on CPU tensors,
// Tensor.numpy(), seek.from_numpy, __dlpack__ / __dlpack_device__ and seek.from_dlpack.
#include "common.h"

#include "dlpack.h"
#include "seek/cuda.h"

namespace seek::python {

namespace {

// A Python reference that C++ may drop without the GIL (storage deleters run anywhere).
std::function<void(void*)> keep_alive(py::object owner) {
  auto holder = std::shared_ptr<py::object>(new py::object(std::move(owner)), [](py::object* p) {
    if (!Py_IsInitialized()) return;
    py::gil_scoped_acquire g;
    delete p;
  });
  return [holder](void*) mutable { holder.reset(); };
}

const char* buffer_format(DType d) {
  switch (d) {
    case kBool: return "?";
    case kUInt8: return "B";
    case kInt8: return "b";
    case kInt16: return "h";
    case kInt32: return "i";
    case kInt64: return "q";
    case kFloat16: return "e";
    case kFloat32: return "f";
    case kFloat64: return "d";
    default: return nullptr;  // bfloat16 has no buffer format
  }
}

// What a Py_buffer points at: the shape and strides arrays must outlive the view.
struct BufferInfo {
  std::vector<Py_ssize_t> shape, strides;
};

// Our own getbuffer (pybind11's cannot report failure): CPU tensors of a numpy dtype.
int tensor_getbuffer(PyObject* obj, Py_buffer* view, int flags) {
  try {
    const Tensor& t = py::handle(obj).cast<const Tensor&>();
    const char* fmt = buffer_format(t.dtype());
    if (!t.is_cpu() || fmt == nullptr || t.requires_grad()) {
      PyErr_SetString(PyExc_BufferError, t.requires_grad()
                                             ? "a tensor that requires grad exposes no buffer; use detach()"
                                             : "only CPU tensors of a numpy dtype expose a buffer");
      view->obj = nullptr;
      return -1;
    }
    auto* info = new BufferInfo;
    auto item = static_cast<Py_ssize_t>(t.element_size());
    for (int64_t d = 0; d < t.dim(); ++d) {
      info->shape.push_back(static_cast<Py_ssize_t>(t.size(d)));
      info->strides.push_back(static_cast<Py_ssize_t>(t.stride(d)) * item);
    }
    view->buf = t.data_ptr();
    view->obj = obj;
    Py_INCREF(obj);
    view->len = static_cast<Py_ssize_t>(t.nbytes());
    view->itemsize = item;
    view->readonly = 0;
    view->ndim = static_cast<int>(t.dim());
    view->format = (flags & PyBUF_FORMAT) ? const_cast<char*>(fmt) : nullptr;
    // Per the buffer protocol, shape and strides are given only when asked for.
    view->shape = (flags & PyBUF_ND) == PyBUF_ND ? info->shape.data() : nullptr;
    view->strides = (flags & PyBUF_STRIDES) == PyBUF_STRIDES ? info->strides.data() : nullptr;
    view->suboffsets = nullptr;
    view->internal = info;
    bool wants_contiguous =
        (flags & PyBUF_STRIDES) != PyBUF_STRIDES || (flags & PyBUF_C_CONTIGUOUS) == PyBUF_C_CONTIGUOUS ||
        (flags & PyBUF_F_CONTIGUOUS) == PyBUF_F_CONTIGUOUS || (flags & PyBUF_ANY_CONTIGUOUS) == PyBUF_ANY_CONTIGUOUS;
    if (wants_contiguous && !t.is_contiguous()) {
      Py_DECREF(obj);
      delete info;
      view->obj = nullptr;
      PyErr_SetString(PyExc_BufferError, "a non-contiguous tensor exposes only a strided buffer");
      return -1;
    }
    return 0;
  } catch (const std::exception& e) {
    PyErr_SetString(PyExc_BufferError, e.what());
    view->obj = nullptr;
    return -1;
  }
}

void tensor_releasebuffer(PyObject*, Py_buffer* view) { delete static_cast<BufferInfo*>(view->internal); }

// ---- DLPack ----
struct DLPackExport {
  Tensor tensor;
  std::vector<int64_t> shape, strides;
  dl::ManagedTensor managed{};
};

void delete_export(dl::ManagedTensor* m) { delete static_cast<DLPackExport*>(m->manager_ctx); }

void capsule_destructor(PyObject* capsule) {
  // A consumer renames the capsule to "used_dltensor" and owns it; only unused ones are ours to free.
  if (PyCapsule_IsValid(capsule, "dltensor")) {
    auto* m = static_cast<dl::ManagedTensor*>(PyCapsule_GetPointer(capsule, "dltensor"));
    if (m && m->deleter) m->deleter(m);
  } else {
    PyErr_Clear();
  }
}

dl::DataType to_dl_dtype(DType d) {
  auto bits = static_cast<uint8_t>(dtype_size(d) * 8);
  switch (d) {
    case kBool: return {dl::kBool, 8, 1};
    case kUInt8: return {dl::kUInt, bits, 1};
    case kInt8:
    case kInt16:
    case kInt32:
    case kInt64: return {dl::kInt, bits, 1};
    case kBFloat16: return {dl::kBfloat, 16, 1};
    default: return {dl::kFloat, bits, 1};
  }
}

DType from_dl_dtype(dl::DataType t) {
  SEEK_CHECK_DTYPE(t.lanes == 1, "from_dlpack: vector dtypes (lanes = ", t.lanes, ") are not supported");
  switch (t.code) {
    case dl::kBool:
      if (t.bits == 8) return kBool;
      break;
    case dl::kUInt:
      if (t.bits == 8) return kUInt8;
      break;
    case dl::kInt:
      if (t.bits == 8) return kInt8;
      if (t.bits == 16) return kInt16;
      if (t.bits == 32) return kInt32;
      if (t.bits == 64) return kInt64;
      break;
    case dl::kFloat:
      if (t.bits == 16) return kFloat16;
      if (t.bits == 32) return kFloat32;
      if (t.bits == 64) return kFloat64;
      break;
    case dl::kBfloat:
      if (t.bits == 16) return kBFloat16;
      break;
    default: break;
  }
  throw seek::DTypeError(str("from_dlpack: unsupported DLPack dtype (code ", int(t.code), ", ", int(t.bits), " bits)"));
}

py::capsule to_dlpack(const Tensor& t) {
  SEEK_CHECK(!t.requires_grad(), "__dlpack__: a tensor that requires grad cannot be exported; use detach()");
  auto* e = new DLPackExport{t, t.sizes(), t.strides(), {}};
  dl::Tensor& d = e->managed.dl_tensor;
  d.data = t.data_ptr();  // points at the first element; byte_offset stays 0
  d.device = {t.is_cuda() ? dl::kCUDA : dl::kCPU, t.is_cuda() ? t.device().index : 0};
  d.ndim = static_cast<int32_t>(t.dim());
  d.dtype = to_dl_dtype(t.dtype());
  d.shape = e->shape.data();
  d.strides = e->strides.data();
  d.byte_offset = 0;
  e->managed.manager_ctx = e;
  e->managed.deleter = &delete_export;
  return py::capsule(&e->managed, "dltensor", &capsule_destructor);
}

Tensor from_dlpack(const py::object& obj) {
  py::object capsule = obj;
  if (py::hasattr(obj, "__dlpack__")) capsule = obj.attr("__dlpack__")();
  if (!PyCapsule_IsValid(capsule.ptr(), "dltensor"))
    throw py::type_error("from_dlpack: expected an object with __dlpack__ or an unused 'dltensor' capsule");
  auto* m = static_cast<dl::ManagedTensor*>(PyCapsule_GetPointer(capsule.ptr(), "dltensor"));
  const dl::Tensor& d = m->dl_tensor;
  DType dtype = from_dl_dtype(d.dtype);
  Device device;
  if (d.device.device_type == dl::kCPU || d.device.device_type == dl::kCUDAHost)
    device = kCPU;
  else if (d.device.device_type == dl::kCUDA)
    device = Device(DeviceType::CUDA, d.device.device_id);
  else
    throw seek::DeviceError(str("from_dlpack: unsupported DLPack device type ", d.device.device_type));
  Shape shape(d.shape, d.shape + d.ndim);
  std::vector<int64_t> strides;
  if (d.strides) strides.assign(d.strides, d.strides + d.ndim);
  void* data = static_cast<char*>(d.data) + d.byte_offset;
  // The producer's deleter may touch Python objects (numpy's does): run it with the GIL.
  auto release = [m](void*) {
    if (!m->deleter || !Py_IsInitialized()) return;
    py::gil_scoped_acquire g;
    m->deleter(m);
  };
  Tensor t = from_blob(data, shape, strides, dtype, release, device);
  PyCapsule_SetName(capsule.ptr(), "used_dltensor");  // ownership moved to the tensor
  return t;
}

}  // namespace

py::dtype numpy_dtype(DType d) {
  const char* fmt = buffer_format(d);
  SEEK_CHECK_DTYPE(fmt != nullptr, "numpy: numpy has no ", dtype_name(d), " dtype; convert with .float() first");
  return py::dtype(fmt);
}

DType dtype_from_numpy(const py::dtype& dt) {
  char kind = dt.kind();
  auto size = dt.itemsize();
  if (kind == 'b') return kBool;
  if (kind == 'u' && size == 1) return kUInt8;
  if (kind == 'i' && size == 1) return kInt8;
  if (kind == 'i' && size == 2) return kInt16;
  if (kind == 'i' && size == 4) return kInt32;
  if (kind == 'i' && size == 8) return kInt64;
  if (kind == 'f' && size == 2) return kFloat16;
  if (kind == 'f' && size == 4) return kFloat32;
  if (kind == 'f' && size == 8) return kFloat64;
  throw seek::DTypeError(seek::str("from_numpy: unsupported numpy dtype ", dt.attr("name").cast<std::string>(),
                                   "; supported: bool, uint8, int8, int32, int64, float16, float32, float64"));
}

py::array tensor_to_numpy(const Tensor& t, bool force) {
  Tensor src = t;
  if (force) src = t.detach().cpu();
  if (!src.is_cpu())
    throw py::type_error("can't convert " + src.device().str() +
                         " device type tensor to numpy. Use Tensor.cpu() to copy the tensor to host memory first.");
  if (src.requires_grad())
    throw std::runtime_error("Can't call numpy() on a tensor that requires grad; use tensor.detach().numpy()");
  py::dtype dt = numpy_dtype(src.dtype());
  std::vector<py::ssize_t> shape, strides;
  for (int64_t d = 0; d < src.dim(); ++d) {
    shape.push_back(src.size(d));
    strides.push_back(src.stride(d) * static_cast<int64_t>(src.element_size()));
  }
  return py::array(dt, shape, strides, src.data_ptr(), py::cast(src));  // the array keeps the tensor alive
}

void init_interop(py::module_& m, py::class_<Tensor>& cls) {
  auto* heap = reinterpret_cast<PyHeapTypeObject*>(cls.ptr());
  heap->as_buffer.bf_getbuffer = &tensor_getbuffer;
  heap->as_buffer.bf_releasebuffer = &tensor_releasebuffer;

  cls.def("numpy", &tensor_to_numpy, py::kw_only(), py::arg("force") = false,
          "A numpy array sharing this CPU tensor's memory (force=True detaches and copies to the CPU first).");
  cls.def(
      "__array__",
      [](const Tensor& t, const py::object& dtype) -> py::object {
        py::array a = tensor_to_numpy(t, false);
        if (dtype.is_none()) return a;
        return a.attr("astype")(dtype, py::arg("copy") = false);
      },
      py::arg("dtype") = py::none());
  cls.def(
      "__dlpack__",
      [](const Tensor& t, const py::object& stream) {
        if (t.is_cuda()) seek::cuda::synchronize();  // a consumer stream then sees finished data
        return to_dlpack(t);
      },
      py::kw_only(), py::arg("stream") = py::none(), "Exports the tensor as a DLPack capsule (no copy).");
  cls.def("__dlpack_device__", [](const Tensor& t) {
    return py::make_tuple(t.is_cuda() ? int(dl::kCUDA) : int(dl::kCPU), t.is_cuda() ? t.device().index : 0);
  });
  m.def("from_dlpack", &from_dlpack, py::arg("ext_tensor"),
        "A tensor sharing memory with a DLPack producer (numpy, PyTorch, ...) or a 'dltensor' capsule.");
  m.def("to_dlpack", &to_dlpack, py::arg("tensor"), "A DLPack capsule for the tensor (no copy).");
  m.def(
      "from_numpy",
      [](const py::array& a) {
        DType dtype = dtype_from_numpy(a.dtype());
        SEEK_CHECK_DTYPE(a.dtype().byteorder() != '>', "from_numpy: big-endian arrays are not supported");
        auto item = static_cast<int64_t>(a.itemsize());
        Shape shape;
        std::vector<int64_t> strides;
        for (py::ssize_t d = 0; d < a.ndim(); ++d) {
          shape.push_back(a.shape(d));
          SEEK_CHECK_VALUE(a.strides(d) >= 0 && a.strides(d) % item == 0, "from_numpy: strides ", a.strides(d),
                           " bytes at dim ", d,
                           " are negative or not a multiple of the element size; use a.copy() first");
          strides.push_back(a.strides(d) / item);
        }
        return from_blob(const_cast<void*>(a.data()), shape, strides, dtype, keep_alive(a), kCPU);
      },
      py::arg("ndarray"), "A CPU tensor sharing memory with a numpy array (which stays alive while the tensor does).");
}

}  // namespace seek::python

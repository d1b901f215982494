// Tensor metadata accessors, empty() and from_blob() (the factories that fill values are ops: src/ops/creation.cpp).
#include "seek/core/tensor.h"

#include <cstring>

#include "seek/core/autograd_meta.h"
#include "seek/core/convert.h"
#include "seek/core/shape_util.h"

namespace seek {

TensorImpl::TensorImpl() = default;
TensorImpl::~TensorImpl() = default;

namespace {
const TensorImpl& checked(const std::shared_ptr<TensorImpl>& impl) {
  if (!impl) throw Error("Tensor: this tensor is undefined (default-constructed); it has no data or shape");
  return *impl;
}
}  // namespace

int64_t Tensor::dim() const { return static_cast<int64_t>(checked(impl_).sizes.size()); }
const Shape& Tensor::sizes() const { return checked(impl_).sizes; }
int64_t Tensor::size(int64_t d) const { return sizes()[wrap_dim(d, dim(), "size")]; }
const std::vector<int64_t>& Tensor::strides() const { return checked(impl_).strides; }
int64_t Tensor::stride(int64_t d) const { return strides()[wrap_dim(d, dim(), "stride")]; }
int64_t Tensor::numel() const { return shape_numel(sizes()); }
DType Tensor::dtype() const { return checked(impl_).dtype; }
Device Tensor::device() const { return checked(impl_).storage->device(); }
int64_t Tensor::storage_offset() const { return checked(impl_).offset; }
const std::shared_ptr<Storage>& Tensor::storage() const { return checked(impl_).storage; }
bool Tensor::is_view() const { return checked(impl_).view_base != nullptr; }
uint64_t Tensor::version() const { return checked(impl_).version->load(); }
void Tensor::bump_version() const { checked(impl_).version->fetch_add(1); }

bool Tensor::is_contiguous() const {
  const TensorImpl& t = checked(impl_);
  if (shape_numel(t.sizes) == 0) return true;  // as PyTorch: nothing to address, and no product may overflow
  int64_t expected = 1;
  for (int64_t i = static_cast<int64_t>(t.sizes.size()) - 1; i >= 0; --i) {
    if (t.sizes[i] == 1) continue;
    if (t.strides[i] != expected) return false;
    expected *= t.sizes[i];
  }
  return true;
}

bool Tensor::is_contiguous(MemoryFormat memory_format) const {
  const TensorImpl& t = checked(impl_);
  return is_contiguous_as(t.sizes, t.strides, memory_format);
}

MemoryFormat Tensor::suggest_memory_format() const {
  const TensorImpl& t = checked(impl_);
  return seek::suggest_memory_format(t.sizes, t.strides);
}

void* Tensor::data_ptr() const {
  const TensorImpl& t = checked(impl_);
  char* base = static_cast<char*>(t.storage->data());
  return base ? base + t.offset * static_cast<int64_t>(dtype_size(t.dtype)) : nullptr;
}

template <typename T>
T* Tensor::data_ptr() const {
  SEEK_CHECK_DTYPE(dtype() == dtype_of<T>::value, "data_ptr: tensor has dtype ", dtype(), " but ",
                   dtype_name(dtype_of<T>::value), " was requested");
  return static_cast<T*>(data_ptr());
}
template bool* Tensor::data_ptr<bool>() const;
template uint8_t* Tensor::data_ptr<uint8_t>() const;
template int8_t* Tensor::data_ptr<int8_t>() const;
template int16_t* Tensor::data_ptr<int16_t>() const;
template int32_t* Tensor::data_ptr<int32_t>() const;
template int64_t* Tensor::data_ptr<int64_t>() const;
template Half* Tensor::data_ptr<Half>() const;
template BFloat16* Tensor::data_ptr<BFloat16>() const;
template float* Tensor::data_ptr<float>() const;
template double* Tensor::data_ptr<double>() const;

Scalar Tensor::item() const {
  SEEK_CHECK_VALUE(numel() == 1, "item: a Tensor with ", numel(), " elements cannot be converted to a Scalar");
  Tensor host = is_cpu() ? *this : to(kCPU);
  Scalar out;
  SEEK_DISPATCH_ALL(host.dtype(), "item", [&] {
    scalar_t v = *static_cast<const scalar_t*>(host.data_ptr());
    if constexpr (std::is_same_v<scalar_t, bool>)
      out = Scalar(v);
    else if constexpr (std::is_integral_v<scalar_t>)
      out = Scalar(static_cast<int64_t>(v));
    else
      out = Scalar(static_cast<double>(convert<double>(v)));
  });
  return out;
}

AutogradMeta& autograd_meta(const Tensor& t) {
  TensorImpl& impl = const_cast<TensorImpl&>(checked(t.impl_ptr()));
  if (!impl.autograd) impl.autograd = std::make_unique<AutogradMeta>();
  return *impl.autograd;
}

Tensor empty(const Shape& shape, TensorOptions options) {
  for (int64_t s : shape) SEEK_CHECK_SHAPE(s >= 0, "empty: negative dimension in shape ", shape_str(shape));
  auto impl = std::make_shared<TensorImpl>();
  impl->sizes = shape;
  impl->strides = contiguous_strides(shape);
  impl->dtype = options.dtype_;
  impl->storage =
      std::make_shared<Storage>(storage_nbytes(shape, dtype_size(options.dtype_), "empty"), options.device_);
  Tensor t(std::move(impl));
  if (options.requires_grad_) t.requires_grad_(true);
  return t;
}

Tensor empty(const Shape& shape, TensorOptions options, MemoryFormat memory_format) {
  for (int64_t s : shape) SEEK_CHECK_SHAPE(s >= 0, "empty: negative dimension in shape ", shape_str(shape));
  return empty_strided(shape, memory_format_strides(shape, memory_format, "empty"), options);
}

Tensor empty_strided(const Shape& shape, const std::vector<int64_t>& strides, TensorOptions options) {
  for (int64_t s : shape) SEEK_CHECK_SHAPE(s >= 0, "empty_strided: negative dimension in shape ", shape_str(shape));
  SEEK_CHECK_SHAPE(strides.size() == shape.size(), "empty_strided: ", strides.size(), " strides for a shape of ",
                   shape.size(), " dims");
  SEEK_CHECK(is_non_overlapping_and_dense(shape, strides), "empty_strided: strides ", shape_str(strides),
             " do not address each element of shape ", shape_str(shape), " exactly once without gaps");
  auto impl = std::make_shared<TensorImpl>();
  impl->sizes = shape;
  impl->strides = strides;
  impl->dtype = options.dtype_;
  impl->storage =
      std::make_shared<Storage>(storage_nbytes(shape, dtype_size(options.dtype_), "empty_strided"), options.device_);
  Tensor t(std::move(impl));
  if (options.requires_grad_) t.requires_grad_(true);
  return t;
}

Tensor from_blob(void* data, const Shape& shape, const std::vector<int64_t>& strides, DType dtype,
                 std::function<void(void*)> deleter, Device device) {
  SEEK_CHECK_SHAPE(strides.empty() || strides.size() == shape.size(), "from_blob: ", strides.size(),
                   " strides for a shape of ", shape.size(), " dims");
  auto impl = std::make_shared<TensorImpl>();
  impl->sizes = shape;
  impl->strides = strides.empty() ? contiguous_strides(shape) : strides;
  impl->dtype = dtype;
  for (int64_t s : shape) SEEK_CHECK_SHAPE(s >= 0, "from_blob: negative dimension in shape ", shape_str(shape));
  int64_t span = shape_numel(shape) == 0 ? 0 : 1;
  for (size_t i = 0; i < shape.size() && span; ++i)
    span = checked_add(span, checked_mul(shape[i] - 1, impl->strides[i], "from_blob"), "from_blob");
  impl->storage = std::make_shared<Storage>(
      data, static_cast<size_t>(checked_mul(span, static_cast<int64_t>(dtype_size(dtype)), "from_blob")), device,
      std::move(deleter));
  return Tensor(std::move(impl));
}

}  // namespace seek

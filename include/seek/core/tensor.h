#pragma once
// seek::Tensor: a cheap, shared handle to a TensorImpl (PyTorch semantics:
// copying a Tensor copies the handle, not the data).
//
// The methods are declared here and defined next to the op family they belong
// to (src/ops/<family>.cpp); the free-function forms live in seek/ops/*.h.
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "seek/core/device.h"
#include "seek/core/dtype.h"
#include "seek/core/error.h"
#include "seek/core/memory_format.h"
#include "seek/core/op_rows.h"  // the table rows that generate the elementwise methods
#include "seek/core/scalar.h"
#include "seek/core/shape_util.h"
#include "seek/core/tensor_impl.h"

namespace seek {

using Shape = std::vector<int64_t>;
namespace autograd {
struct Node;
}
struct TensorIndex;  // seek/core/tensor_index.h

// Options for factories: seek::zeros({2, 3}, kFloat64), or
// TensorOptions().dtype(kF16).device(kCUDA).requires_grad(true).
struct TensorOptions {
  DType dtype_ = kFloat32;
  Device device_ = kCPU;
  bool requires_grad_ = false;
  TensorOptions() = default;
  TensorOptions(DType d) : dtype_(d) {}
  TensorOptions(Device d) : device_(d) {}
  TensorOptions dtype(DType d) const {
    auto o = *this;
    o.dtype_ = d;
    return o;
  }
  TensorOptions device(Device d) const {
    auto o = *this;
    o.device_ = d;
    return o;
  }
  TensorOptions requires_grad(bool r = true) const {
    auto o = *this;
    o.requires_grad_ = r;
    return o;
  }
};

namespace cuda {
class Stream;
}

class Tensor {
 public:
  Tensor() = default;  // undefined tensor (like an empty optional)
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // ---- metadata (src/core/tensor.cpp) ----
  bool defined() const { return impl_ != nullptr; }
  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  int64_t dim() const;
  int64_t ndim() const { return dim(); }
  const Shape& sizes() const;
  const Shape& shape() const { return sizes(); }
  int64_t size(int64_t d) const;  // negative d counts from the end
  const std::vector<int64_t>& strides() const;
  int64_t stride(int64_t d) const;
  int64_t numel() const;
  DType dtype() const;
  Device device() const;
  bool is_cuda() const { return device().is_cuda(); }
  bool is_cpu() const { return device().is_cpu(); }
  bool is_floating_point() const { return is_floating(dtype()); }
  bool is_contiguous() const;
  // Dense in the format's dim order (size-1 dims ignored); Preserve is an error (src/ops/copy.cpp).
  bool is_contiguous(MemoryFormat memory_format) const;
  MemoryFormat suggest_memory_format() const;  // ChannelsLast(3d) when the strides order dims like it
  int64_t storage_offset() const;
  size_t element_size() const { return dtype_size(dtype()); }
  size_t nbytes() const { return static_cast<size_t>(numel()) * element_size(); }
  const std::shared_ptr<Storage>& storage() const;
  void* data_ptr() const;  // address of the first element (storage + offset)
  template <typename T>
  T* data_ptr() const;  // checks that T matches dtype()
  bool is_same(const Tensor& o) const { return impl_ == o.impl_; }
  bool is_view() const;
  uint64_t version() const;
  void bump_version() const;  // called by every in-place write
  Scalar item() const;        // one-element tensor -> value (copies to host)
  template <typename T>
  T item() const {
    return item().to<T>();
  }
  std::string to_string() const;  // PyTorch-like printing (src/ops/print.cpp)

  // ---- autograd (src/autograd/tensor_autograd.cpp) ----
  bool requires_grad() const;
  Tensor& requires_grad_(bool r = true);
  Tensor& set_requires_grad(bool r) { return requires_grad_(r); }
  Tensor grad() const;  // undefined when none
  void set_grad(const Tensor& g) const;
  std::shared_ptr<autograd::Node> grad_fn() const;
  int output_nr() const;
  bool is_leaf() const;
  void backward(const Tensor& gradient = Tensor(), bool retain_graph = false) const;
  // fn(grad) may return a replacement gradient or an undefined tensor to keep it.
  void register_hook(std::function<Tensor(const Tensor&)> fn) const;
  void retain_grad() const;  // keep .grad on a non-leaf after backward
  Tensor detach() const;     // shares data and version counter, no history
  Tensor& detach_();

  // ---- conversion and copies (src/ops/copy.cpp) ----
  // non_blocking: a host-to-device copy from pinned memory is queued on the current
  // stream and not waited for (as torch); every other copy returns when it is done.
  // memory_format as PyTorch: Preserve keeps the strides of a dense tensor (else its dim order), a named format
  // lays the result out in it; the tensor itself comes back when nothing changes and copy is false.
  Tensor to(DType dtype, bool copy = false, MemoryFormat memory_format = MemoryFormat::Preserve) const;
  Tensor to(Device device, bool copy = false, bool non_blocking = false,
            MemoryFormat memory_format = MemoryFormat::Preserve) const;
  Tensor to(Device device, DType dtype, bool copy = false, bool non_blocking = false,
            MemoryFormat memory_format = MemoryFormat::Preserve) const;
  Tensor to(MemoryFormat memory_format, bool copy = false) const;
  Tensor cpu() const { return to(kCPU); }
  Tensor cuda(bool non_blocking = false) const { return to(kCUDA, false, non_blocking); }
  Tensor clone(MemoryFormat memory_format = MemoryFormat::Preserve) const;
  Tensor contiguous() const;
  Tensor contiguous(MemoryFormat memory_format) const;  // itself when already laid out so
  Tensor& copy_(const Tensor& src);                     // broadcasting, casting, differentiable
  Tensor& fill_(Scalar value);
  Tensor& zero_() { return fill_(0); }

  // ---- CUDA memory (src/backend/cuda/cuda_pinned.cpp; src/backend/cuda_none.cpp without CUDA) ----
  Tensor pin_memory() const;  // a copy in page-locked host memory (this tensor when already pinned)
  bool is_pinned() const;
  // Marks this CUDA tensor's memory as used on `stream` too: the caching allocator
  // reuses it only after the work queued there before the tensor died has finished.
  void record_stream(const cuda::Stream& stream) const;

  // ---- views and shape (src/ops/view.cpp) ----
  Tensor view(const Shape& shape) const;  // one -1 allowed; needs compatible strides
  Tensor reshape(const Shape& shape) const;
  Tensor view_as(const Tensor& o) const { return view(o.sizes()); }
  Tensor reshape_as(const Tensor& o) const { return reshape(o.sizes()); }
  Tensor permute(const std::vector<int64_t>& dims) const;
  Tensor transpose(int64_t d0, int64_t d1) const;
  Tensor t() const;  // 2-D transpose (0-D and 1-D unchanged)
  Tensor mT() const { return transpose(-2, -1); }
  Tensor narrow(int64_t dim, int64_t start, int64_t length) const;
  // Python's t[start:end:step] along dim, with clamping and negative indices.
  Tensor slice(int64_t dim, std::optional<int64_t> start = std::nullopt, std::optional<int64_t> end = std::nullopt,
               int64_t step = 1) const;
  Tensor select(int64_t dim, int64_t index) const;
  Tensor operator[](int64_t index) const { return select(0, index); }
  Tensor expand(const Shape& shape) const;  // -1 keeps a size
  Tensor expand_as(const Tensor& o) const { return expand(o.sizes()); }
  Tensor squeeze() const;
  Tensor squeeze(int64_t dim) const;
  Tensor unsqueeze(int64_t dim) const;
  Tensor flatten(int64_t start_dim = 0, int64_t end_dim = -1) const;
  Tensor unflatten(int64_t dim, const Shape& sizes) const;
  Tensor movedim(int64_t src, int64_t dst) const;
  // as_strided is the primitive all views use.
  Tensor as_strided(const Shape& sizes, const std::vector<int64_t>& strides,
                    std::optional<int64_t> storage_offset = std::nullopt) const;

  // ---- advanced indexing (src/ops/indexing.cpp) ----
  Tensor index(const std::vector<TensorIndex>& indices) const;
  // accumulate: add value at the indexed positions instead of writing it (duplicates sum up).
  Tensor& index_put_(const std::vector<TensorIndex>& indices, const Tensor& value, bool accumulate = false);
  Tensor& index_put_(const std::vector<TensorIndex>& indices, Scalar value, bool accumulate = false);
  Tensor index_put(const std::vector<TensorIndex>& indices, const Tensor& value, bool accumulate = false) const;
  std::vector<Tensor> split(int64_t split_size, int64_t dim = 0) const;
  std::vector<Tensor> split(const std::vector<int64_t>& sizes, int64_t dim = 0) const;
  std::vector<Tensor> chunk(int64_t chunks, int64_t dim = 0) const;
  std::vector<Tensor> unbind(int64_t dim = 0) const;

  // ---- binary (src/ops/binary.cpp) ----
  Tensor add(const Tensor& o, Scalar alpha = 1) const;
  Tensor add(Scalar o) const;
  Tensor sub(const Tensor& o, Scalar alpha = 1) const;
  Tensor sub(Scalar o) const;
  Tensor mul(const Tensor& o) const;
  Tensor mul(Scalar o) const;
  Tensor div(const Tensor& o) const;
  Tensor div(Scalar o) const;
  Tensor pow(const Tensor& e) const;
  Tensor pow(Scalar e) const;
  // one method per Plain row of SEEK_BINARY_OPS (seek/core/op_rows.h): maximum, logical_and, ...
#define SEEK_BINARY_METHOD_Plain(name) Tensor name(const Tensor& other) const;
#define SEEK_BINARY_METHOD_Custom(name)
#define SEEK_BINARY_METHOD(E, name, kind, saves, form, ...) SEEK_BINARY_METHOD_##form(name)
  SEEK_BINARY_OPS(SEEK_BINARY_METHOD)
#undef SEEK_BINARY_METHOD
#undef SEEK_BINARY_METHOD_Plain
#undef SEEK_BINARY_METHOD_Custom
  Tensor eq(const Tensor& o) const;
  Tensor eq(Scalar o) const;
  Tensor ne(const Tensor& o) const;
  Tensor ne(Scalar o) const;
  Tensor lt(const Tensor& o) const;
  Tensor lt(Scalar o) const;
  Tensor le(const Tensor& o) const;
  Tensor le(Scalar o) const;
  Tensor gt(const Tensor& o) const;
  Tensor gt(Scalar o) const;
  Tensor ge(const Tensor& o) const;
  Tensor ge(Scalar o) const;
  Tensor& add_(const Tensor& o, Scalar alpha = 1);
  Tensor& add_(Scalar o);
  Tensor& sub_(const Tensor& o, Scalar alpha = 1);
  Tensor& sub_(Scalar o);
  Tensor& mul_(const Tensor& o);
  Tensor& mul_(Scalar o);
  Tensor& div_(const Tensor& o);
  Tensor& div_(Scalar o);
  Tensor& pow_(Scalar e);

  // ---- unary (src/ops/unary.cpp) ----
  // one method per Plain / Fp32 / OptDouble row of SEEK_UNARY_OPS (seek/core/op_rows.h)
#define SEEK_UNARY_METHOD_Plain(name, arg) Tensor name() const;
#define SEEK_UNARY_METHOD_Fp32(name, arg) Tensor name() const;
#define SEEK_UNARY_METHOD_OptDouble(name, arg) Tensor name(std::optional<double> arg = std::nullopt) const;
#define SEEK_UNARY_METHOD_Custom(name, arg)
#define SEEK_UNARY_METHOD(E, name, kind, saves, form, arg, ...) SEEK_UNARY_METHOD_##form(name, arg)
  SEEK_UNARY_OPS(SEEK_UNARY_METHOD)
#undef SEEK_UNARY_METHOD
#undef SEEK_UNARY_METHOD_Plain
#undef SEEK_UNARY_METHOD_Fp32
#undef SEEK_UNARY_METHOD_OptDouble
#undef SEEK_UNARY_METHOD_Custom
  Tensor gelu(const std::string& approximate = "none") const;  // "none" (erf) or "tanh"
  Tensor softplus(double beta = 1.0, double threshold = 20.0) const;
  Tensor& neg_();
  Tensor& abs_();
  Tensor& exp_();
  Tensor& log_();
  Tensor& sqrt_();
  Tensor& sigmoid_();
  Tensor& tanh_();
  Tensor& relu_();
  Tensor& floor_();
  Tensor& ceil_();
  Tensor& round_();
  Tensor& reciprocal_();
  // ternary family (src/ops/ternary.cpp)
  Tensor clamp(std::optional<Scalar> min, std::optional<Scalar> max = std::nullopt) const;
  Tensor clamp_min(Scalar min) const { return clamp(min, std::nullopt); }
  Tensor clamp_max(Scalar max) const { return clamp(std::nullopt, max); }
  Tensor& clamp_(std::optional<Scalar> min, std::optional<Scalar> max = std::nullopt);
  Tensor lerp(const Tensor& end, Scalar weight) const;
  Tensor lerp(const Tensor& end, const Tensor& weight) const;
  Tensor addcmul(const Tensor& t1, const Tensor& t2, Scalar value = 1) const;
  Tensor addcdiv(const Tensor& t1, const Tensor& t2, Scalar value = 1) const;
  Tensor& lerp_(const Tensor& end, Scalar weight);
  Tensor& addcmul_(const Tensor& t1, const Tensor& t2, Scalar value = 1);
  Tensor& addcdiv_(const Tensor& t1, const Tensor& t2, Scalar value = 1);
  Tensor& masked_fill_(const Tensor& mask, Scalar value);
  Tensor masked_fill(const Tensor& mask, Scalar value) const;

  // ---- reductions (src/ops/reduce.cpp) ----
  Tensor sum() const;
  Tensor sum(const std::vector<int64_t>& dims, bool keepdim = false) const;
  template <typename I, std::enable_if_t<std::is_integral_v<I>, int> = 0>  // so that sum({}) means all dims
  Tensor sum(I dim, bool keepdim = false) const {
    return sum(std::vector<int64_t>{static_cast<int64_t>(dim)}, keepdim);
  }
  Tensor mean() const;
  Tensor mean(const std::vector<int64_t>& dims, bool keepdim = false) const;
  template <typename I, std::enable_if_t<std::is_integral_v<I>, int> = 0>  // so that mean({}) means all dims
  Tensor mean(I dim, bool keepdim = false) const {
    return mean(std::vector<int64_t>{static_cast<int64_t>(dim)}, keepdim);
  }
  Tensor prod() const;
  Tensor prod(int64_t dim, bool keepdim = false) const;
  Tensor max() const;  // over all elements
  Tensor min() const;
  std::tuple<Tensor, Tensor> max(int64_t dim, bool keepdim = false) const;  // values, indices
  std::tuple<Tensor, Tensor> min(int64_t dim, bool keepdim = false) const;
  Tensor amax(const std::vector<int64_t>& dims = {}, bool keepdim = false) const;
  Tensor amin(const std::vector<int64_t>& dims = {}, bool keepdim = false) const;
  Tensor argmax(std::optional<int64_t> dim = std::nullopt, bool keepdim = false) const;
  Tensor argmin(std::optional<int64_t> dim = std::nullopt, bool keepdim = false) const;
  Tensor var(const std::vector<int64_t>& dims = {}, int64_t correction = 1, bool keepdim = false) const;
  Tensor std(const std::vector<int64_t>& dims = {}, int64_t correction = 1, bool keepdim = false) const;
  Tensor norm(double p = 2.0, const std::vector<int64_t>& dims = {}, bool keepdim = false) const;
  Tensor logsumexp(const std::vector<int64_t>& dims, bool keepdim = false) const;
  template <typename I, std::enable_if_t<std::is_integral_v<I>, int> = 0>  // so that logsumexp({}) means all dims
  Tensor logsumexp(I dim, bool keepdim = false) const {
    return logsumexp(std::vector<int64_t>{static_cast<int64_t>(dim)}, keepdim);
  }
  Tensor cumsum(int64_t dim) const;
  Tensor all() const;
  Tensor all(int64_t dim, bool keepdim = false) const;
  Tensor any() const;
  Tensor any(int64_t dim, bool keepdim = false) const;
  // ---- issue 12: elementwise (src/ops/elementwise_extra.cpp) and reductions (src/ops/reduce_order.cpp) ----
  Tensor round(int64_t decimals = 0) const;  // half to even, at `decimals` decimal places
  Tensor fix() const { return trunc(); }
  // rounding_mode: none (true division), "trunc" or "floor"
  Tensor div(const Tensor& o, const std::optional<std::string>& rounding_mode) const;
  Tensor div(Scalar o, const std::optional<std::string>& rounding_mode) const;
  Tensor true_divide(const Tensor& o) const { return div(o); }
  Tensor floor_divide(const Tensor& o) const;
  Tensor floor_divide(Scalar o) const;
  Tensor fmod(Scalar o) const;
  Tensor remainder(Scalar o) const;
  Tensor nan_to_num(std::optional<double> nan = 0.0, std::optional<double> posinf = std::nullopt,
                    std::optional<double> neginf = std::nullopt) const;
  Tensor clamp(const Tensor& min, const Tensor& max = Tensor()) const;  // an undefined bound is no bound
  Tensor masked_fill(const Tensor& mask, const Tensor& value) const;    // value: a 0-dim tensor
  Tensor& masked_fill_(const Tensor& mask, const Tensor& value);
  Tensor median() const;
  std::tuple<Tensor, Tensor> median(int64_t dim, bool keepdim = false) const;  // values, indices
  Tensor nanmedian() const;
  std::tuple<Tensor, Tensor> nanmedian(int64_t dim, bool keepdim = false) const;
  Tensor cumprod(int64_t dim) const;
  Tensor count_nonzero(const std::vector<int64_t>& dims = {}) const;
  std::tuple<Tensor, Tensor> aminmax(std::optional<int64_t> dim = std::nullopt, bool keepdim = false) const;
  // (values, inverse, counts); inverse and counts are undefined unless asked for
  std::tuple<Tensor, Tensor, Tensor> unique(bool sorted = true, bool return_inverse = false, bool return_counts = false,
                                            std::optional<int64_t> dim = std::nullopt) const;
  std::tuple<Tensor, Tensor, Tensor> unique_consecutive(bool return_inverse = false, bool return_counts = false,
                                                        std::optional<int64_t> dim = std::nullopt) const;
  // softmax family (src/ops/softmax.cpp)
  Tensor softmax(int64_t dim) const;
  Tensor log_softmax(int64_t dim) const;

  // ---- linear algebra (src/ops/linalg.cpp) ----
  Tensor matmul(const Tensor& o) const;
  Tensor mm(const Tensor& o) const;
  Tensor bmm(const Tensor& o) const;
  Tensor mv(const Tensor& v) const;
  Tensor dot(const Tensor& o) const;
  Tensor outer(const Tensor& o) const;

  // ---- gather / scatter / sort (src/ops/index.cpp, src/ops/sort.cpp) ----
  Tensor gather(int64_t dim, const Tensor& index) const;
  Tensor scatter(int64_t dim, const Tensor& index, const Tensor& src) const;
  Tensor scatter(int64_t dim, const Tensor& index, Scalar value) const;
  Tensor scatter_add(int64_t dim, const Tensor& index, const Tensor& src) const;
  Tensor& scatter_(int64_t dim, const Tensor& index, const Tensor& src);
  Tensor& scatter_(int64_t dim, const Tensor& index, Scalar value);
  Tensor& scatter_add_(int64_t dim, const Tensor& index, const Tensor& src);
  Tensor index_select(int64_t dim, const Tensor& index) const;
  Tensor index_add(int64_t dim, const Tensor& index, const Tensor& source, Scalar alpha = 1) const;
  Tensor& index_add_(int64_t dim, const Tensor& index, const Tensor& source, Scalar alpha = 1);
  Tensor masked_select(const Tensor& mask) const;
  std::tuple<Tensor, Tensor> topk(int64_t k, int64_t dim = -1, bool largest = true, bool sorted = true) const;
  std::tuple<Tensor, Tensor> sort(int64_t dim = -1, bool descending = false, bool stable = true) const;
  Tensor argsort(int64_t dim = -1, bool descending = false, bool stable = true) const;

  // ---- in-place random fills (src/ops/random.cpp) ----
  Tensor& uniform_(double from = 0.0, double to = 1.0);
  Tensor& normal_(double mean = 0.0, double std = 1.0);
  Tensor& bernoulli_(double p);

  // ---- more shape ops (src/ops/shape_extra.cpp, src/ops/shape_diag.cpp) ----
  Tensor flip(const std::vector<int64_t>& dims) const;
  Tensor fliplr() const;
  Tensor flipud() const;
  Tensor roll(const std::vector<int64_t>& shifts, const std::vector<int64_t>& dims = {}) const;
  Tensor repeat(const Shape& repeats) const;
  Tensor tile(const Shape& dims) const;
  Tensor tril(int64_t diagonal = 0) const;
  Tensor triu(int64_t diagonal = 0) const;
  Tensor& tril_(int64_t diagonal = 0);
  Tensor& triu_(int64_t diagonal = 0);
  Tensor repeat_interleave(int64_t repeats, std::optional<int64_t> dim = std::nullopt) const;
  Tensor repeat_interleave(const Tensor& repeats, std::optional<int64_t> dim = std::nullopt) const;
  Tensor broadcast_to(const Shape& shape) const;
  Tensor diagonal(int64_t offset = 0, int64_t dim1 = 0, int64_t dim2 = 1) const;  // a view
  Tensor diag(int64_t diagonal = 0) const;
  Tensor diag_embed(int64_t offset = 0, int64_t dim1 = -2, int64_t dim2 = -1) const;
  Tensor unfold(int64_t dimension, int64_t size, int64_t step) const;  // a view
  Tensor rot90(int64_t k = 1, const std::vector<int64_t>& dims = {0, 1}) const;
  Tensor movedim(const std::vector<int64_t>& src, const std::vector<int64_t>& dst) const;
  Tensor moveaxis(int64_t src, int64_t dst) const { return movedim(src, dst); }
  std::vector<Tensor> tensor_split(int64_t sections, int64_t dim = 0) const;
  std::vector<Tensor> tensor_split(const std::vector<int64_t>& indices, int64_t dim = 0) const;

  // ---- more linear algebra (src/ops/linalg_extra.cpp) ----
  Tensor baddbmm(const Tensor& batch1, const Tensor& batch2, Scalar beta = 1, Scalar alpha = 1) const;
  Tensor& baddbmm_(const Tensor& batch1, const Tensor& batch2, Scalar beta = 1, Scalar alpha = 1);
  Tensor addbmm(const Tensor& batch1, const Tensor& batch2, Scalar beta = 1, Scalar alpha = 1) const;
  Tensor kron(const Tensor& o) const;
  Tensor vdot(const Tensor& o) const;
  Tensor ger(const Tensor& o) const { return outer(o); }

  // ---- more indexing (src/ops/scatter.cpp, src/ops/index_extra.cpp) ----
  Tensor nonzero() const;                        // [n, dim()] int64 coordinates
  std::vector<Tensor> nonzero_as_tuple() const;  // one int64 vector per dim
  Tensor argwhere() const { return nonzero(); }
  // reduce: "sum", "prod", "mean", "amax" or "amin"
  Tensor scatter_reduce(int64_t dim, const Tensor& index, const Tensor& src, const std::string& reduce,
                        bool include_self = true) const;
  Tensor& scatter_reduce_(int64_t dim, const Tensor& index, const Tensor& src, const std::string& reduce,
                          bool include_self = true);
  Tensor take_along_dim(const Tensor& indices, std::optional<int64_t> dim = std::nullopt) const;
  Tensor index_fill(int64_t dim, const Tensor& index, Scalar value) const;
  Tensor& index_fill_(int64_t dim, const Tensor& index, Scalar value);
  Tensor masked_scatter(const Tensor& mask, const Tensor& source) const;
  Tensor& masked_scatter_(const Tensor& mask, const Tensor& source);

 private:
  std::shared_ptr<TensorImpl> impl_;
};

// ---- operators (src/ops/binary.cpp) ----
Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator+(const Tensor& a, Scalar b);
Tensor operator+(Scalar a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, Scalar b);
Tensor operator-(Scalar a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, Scalar b);
Tensor operator*(Scalar a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, Scalar b);
Tensor operator/(Scalar a, const Tensor& b);
Tensor operator-(const Tensor& a);
Tensor operator==(const Tensor& a, const Tensor& b);
Tensor operator==(const Tensor& a, Scalar b);
Tensor operator!=(const Tensor& a, const Tensor& b);
Tensor operator!=(const Tensor& a, Scalar b);
Tensor operator<(const Tensor& a, const Tensor& b);
Tensor operator<(const Tensor& a, Scalar b);
Tensor operator<=(const Tensor& a, const Tensor& b);
Tensor operator<=(const Tensor& a, Scalar b);
Tensor operator>(const Tensor& a, const Tensor& b);
Tensor operator>(const Tensor& a, Scalar b);
Tensor operator>=(const Tensor& a, const Tensor& b);
Tensor operator>=(const Tensor& a, Scalar b);
Tensor operator&&(const Tensor& a, const Tensor& b);
Tensor operator||(const Tensor& a, const Tensor& b);
Tensor operator!(const Tensor& a);
Tensor& operator+=(Tensor& a, const Tensor& b);
Tensor& operator+=(Tensor& a, Scalar b);
Tensor& operator-=(Tensor& a, const Tensor& b);
Tensor& operator-=(Tensor& a, Scalar b);
Tensor& operator*=(Tensor& a, const Tensor& b);
Tensor& operator*=(Tensor& a, Scalar b);
Tensor& operator/=(Tensor& a, const Tensor& b);
Tensor& operator/=(Tensor& a, Scalar b);

std::ostream& operator<<(std::ostream& os, const Tensor& t);  // src/ops/print.cpp

// ---- creating tensors from raw data (src/core/tensor.cpp; tensor(), scalar_tensor() and to_vector() are in
// seek/ops/creation.h) ----
// A fresh uninitialised contiguous tensor.
Tensor empty(const Shape& shape, TensorOptions options = {});
// The same laid out in memory_format (Contiguous, ChannelsLast for 4-D, ChannelsLast3d for 5-D).
Tensor empty(const Shape& shape, TensorOptions options, MemoryFormat memory_format);
// A fresh uninitialised tensor with the given strides (which must address each element once, densely).
Tensor empty_strided(const Shape& shape, const std::vector<int64_t>& strides, TensorOptions options = {});
// Wraps external memory without copying; `deleter` (may be empty) runs when released.
Tensor from_blob(void* data, const Shape& shape, const std::vector<int64_t>& strides, DType dtype,
                 std::function<void(void*)> deleter = {}, Device device = kCPU);

}  // namespace seek

#include "seek/core/tensor_index.h"

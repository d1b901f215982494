#pragma once
// Helpers every ops:: family uses: argument checks, type promotion, allocation.
#include <initializer_list>

#include "seek/backend/backend.h"
#include "seek/core/shape_util.h"
#include "seek/core/tensor.h"

namespace seek::ops_detail {

// Throws Error naming `op` when t is undefined.
void check_defined(const Tensor& t, const char* op, const char* arg = "input");
// Throws DeviceError naming `op` when the tensors live on different devices.
void check_same_device(const char* op, std::initializer_list<Tensor> tensors);
// Throws DTypeError unless t has a floating dtype.
void check_floating(const Tensor& t, const char* op);

// PyTorch's result_type for two tensors (0-dim tensors count like scalars) and
// for a tensor with a plain number.
DType result_type(const Tensor& a, const Tensor& b);
DType result_type(const Tensor& a, Scalar s);
// Whether a value of dtype `from` may be written into `to` by an in-place op.
bool can_cast(DType from, DType to);

// A contiguous tensor of `shape` on `device`.
Tensor alloc(const Shape& shape, DType dtype, Device device);
// A tensor of t's shape laid out in memory_format; Preserve keeps t's strides when t is dense and
// non-overlapping, and t's dim order otherwise (PyTorch's preserve_format).
Tensor alloc_like(const Tensor& t, DType dtype, Device device, MemoryFormat memory_format = MemoryFormat::Preserve);
// The output of an elementwise op over `operands` (already broadcast to `shape`): laid out channels-last when
// the operands' strides order the dims so (the first operand that orders two dims decides, as in PyTorch's
// TensorIterator; a broadcast operand defers), contiguous otherwise.
Tensor alloc_elementwise(const Shape& shape, DType dtype, Device device, std::initializer_list<Tensor> operands);
// The dims of `out` from slowest to fastest in memory ({0, 2, 3, 1} for a channels_last 4-D tensor) when it
// is channels_last and not also contiguous, else empty. Elementwise ops hand the backend their operands
// permuted so (results do not depend on the visiting order): dense channels_last operands are then one
// linear run for the loops' vector paths instead of a strided walk.
std::vector<int64_t> memory_order(const Tensor& out);
inline Tensor permuted(const Tensor& t, const std::vector<int64_t>& order) {
  return order.empty() || !t.defined() ? t : t.permute(order);
}
// The layout an NCHW kernel's output and input gradient take: t's suggested format (channels-last when t's
// strides order the dims so, as PyTorch), Contiguous for other ranks or an undefined t.
MemoryFormat layout_of(const Tensor& t);
// An uninitialised tensor of `shape` laid out in f (Contiguous, or ChannelsLast(3d) for 4-D (5-D) shapes): the
// output of an NCHW-indexed op that the backend writes through its strides.
Tensor alloc_in(const Shape& shape, DType dtype, Device device, MemoryFormat f);
// A contiguous result of a backend (which writes NCHW) laid out in f, with no history recorded.
Tensor in_format(const Tensor& t, MemoryFormat f);
// `t` converted to dtype with no history recorded (returns t itself when equal).
Tensor cast_nograd(const Tensor& t, DType dtype);
// A view of base's storage with the given geometry (no checks, no history; view.cpp).
Tensor make_view(const Tensor& base, Shape sizes, std::vector<int64_t> strides, int64_t offset);
// A 0-dim tensor holding s, of `dtype` on `device`.
Tensor scalar_like(Scalar s, DType dtype, Device device);

}  // namespace seek::ops_detail

#pragma once
// Shape arithmetic shared by every op: strides, dim wrapping, broadcasting.
#include <cstdint>
#include <string>
#include <vector>

namespace seek {

using Shape = std::vector<int64_t>;

// Row-major strides. A zero-size shape never overflows: its strides past the overflow saturate
// (they address no element); otherwise an overflow of int64 throws seek::Error naming the sizes.
std::vector<int64_t> contiguous_strides(const Shape& shape);
// Product of the sizes: 0 when any size is 0 (whatever the others), else an overflow of int64
// throws seek::Error naming the sizes ("numel: integer multiplication overflow").
int64_t shape_numel(const Shape& shape);
// Bytes of a contiguous tensor of `shape` (numel * element_size); throws seek::Error naming `op` and
// the sizes when that overflows or exceeds what an allocation can address.
size_t storage_nbytes(const Shape& shape, size_t element_size, const char* op);
// a * b and a + b on int64, throwing seek::Error naming `op` on overflow.
int64_t checked_mul(int64_t a, int64_t b, const char* op);
int64_t checked_add(int64_t a, int64_t b, const char* op);
// "[2, 3, 4]"
std::string shape_str(const Shape& shape);
// Maps dim in [-ndim, ndim) to [0, ndim); throws IndexError naming `op` otherwise.
// A 0-dim tensor accepts dims -1 and 0, as in PyTorch.
int64_t wrap_dim(int64_t dim, int64_t ndim, const char* op);
// Wraps and de-duplicates a dim list; empty means all dims.
std::vector<int64_t> wrap_dims(const std::vector<int64_t>& dims, int64_t ndim, const char* op);
// NumPy/PyTorch broadcasting of two shapes; throws ShapeError naming `op`.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);

}  // namespace seek

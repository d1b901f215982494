#pragma once
// Shape arithmetic shared by every op: strides, dim wrapping, broadcasting.
#include <cstdint>
#include <string>
#include <vector>

namespace seek {

using Shape = std::vector<int64_t>;

std::vector<int64_t> contiguous_strides(const Shape& shape);
int64_t shape_numel(const Shape& shape);
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

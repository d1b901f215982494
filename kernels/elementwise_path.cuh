#pragma once
// Which of three loops an elementwise kernel (unary.cu, binary.cu, ternary.cu) runs
// for a collapsed operand set, chosen once on the host so the branch is uniform
// across the grid:
//   Vector   one linear dim, the output dense, each input dense or one repeated value
//            (stride 0), every dense pointer aligned to its vector: 16-byte loads and
//            stores of `width` elements, then a scalar tail of numel % width
//   Linear   one linear dim with any strides: offset = i * stride, no div/mod
//   Strided  the general StridedLayout offsets (div/mod per collapsed dim)
// Host code only (tests/cuda check the choice); the loops are in elementwise.cuh.
#include <array>
#include <cstdint>

#include "common.cuh"

namespace seek::cuda {

constexpr int kVectorBytes = 16;

enum class ElementwisePath : int { Vector, Linear, Strided };

// Elements per vector: 16 bytes of the widest operand type.
constexpr int vector_width(size_t widest_bytes) { return static_cast<int>(kVectorBytes / widest_bytes); }

// ptrs/elem_bytes: the operands in layout order (the output first).
template <int K>
ElementwisePath choose_path(const StridedLayout<K>& layout, const std::array<const void*, K>& ptrs,
                            const std::array<size_t, K>& elem_bytes) {
  if (layout.ndim > 1) return ElementwisePath::Strided;
  size_t widest = 1;
  for (size_t b : elem_bytes) widest = b > widest ? b : widest;
  const int width = vector_width(widest);
  if (layout.ndim == 0 || layout.numel < width || layout.strides[0][0] != 1) return ElementwisePath::Linear;
  for (int k = 0; k < K; ++k) {
    const int64_t s = layout.strides[k][0];
    if (s == 0 && k > 0) continue;  // a repeated value: loaded once
    const auto addr = reinterpret_cast<uintptr_t>(ptrs[k]);
    if (s != 1 || addr % (elem_bytes[k] * width) != 0) return ElementwisePath::Linear;
  }
  return ElementwisePath::Vector;
}

// Blocks for `path` over `numel` elements: one thread per vector on the Vector path.
inline unsigned elementwise_grid(ElementwisePath path, int64_t numel, size_t widest_bytes) {
  return grid_size(path == ElementwisePath::Vector ? numel / vector_width(widest_bytes) : numel);
}

}  // namespace seek::cuda

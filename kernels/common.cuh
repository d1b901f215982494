#pragma once
// Shared by every kernels/*.cu: the launch check, the grid-stride loop and
// StridedLayout, the sizes/strides of up to N same-shaped operands passed to a
// kernel by value. Trick: the host collapses the operands to the fewest dims
// first (backend/dim_collapse.h, the same collapse as the CPU for_each), so a contiguous operand
// set is indexed linearly and a transpose pays div/mod for two dims only.
#include <cuda_runtime.h>

#include <array>
#include <vector>

#include "backend/cuda/cuda_check.h"
#include "backend/dim_collapse.h"
#include "kernels/launch.cuh"
#include "seek/core/macros.h"
#include "seek/core/tensor.h"

// for (i = global thread index; i < n; i += total threads), in int64.
#define SEEK_GRID_STRIDE_LOOP(i, n)                                                      \
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < (n); \
       i += static_cast<int64_t>(blockDim.x) * gridDim.x)

// #pragma unroll for the device pass only (the host compiler would warn).
#if defined(__CUDA_ARCH__)
#define SEEK_UNROLL _Pragma("unroll")
#else
#define SEEK_UNROLL
#endif

namespace seek::cuda {

constexpr int kMaxDims = 16;  // after collapsing
constexpr int kBlockThreads = 256;

// Blocks for a grid-stride loop over n elements (capped: threads loop instead).
inline unsigned grid_size(int64_t n, int threads = kBlockThreads) {
  const int64_t blocks = (n + threads - 1) / threads;
  return static_cast<unsigned>(blocks < 65536 ? (blocks > 0 ? blocks : 1) : 65536);
}

// A fixed-size array that travels to the kernel by value.
template <typename T, int N>
struct Array {
  T v[N];
  SEEK_HOST_DEVICE T& operator[](int i) { return v[i]; }
  SEEK_HOST_DEVICE const T& operator[](int i) const { return v[i]; }
};

// Sizes innermost first; strides in elements of each operand's own dtype.
template <int N>
struct StridedLayout {
  int ndim = 0;
  bool contiguous = true;  // every operand is dense in row-major order: offset == linear index
  int64_t numel = 1;
  Array<int64_t, kMaxDims> sizes{};
  Array<Array<int64_t, kMaxDims>, N> strides{};

  // Element offsets of linear (row-major) index i in each operand.
  SEEK_HOST_DEVICE Array<int64_t, N> offsets(int64_t i) const {
    Array<int64_t, N> off{};
    SEEK_UNROLL
    for (int d = 0; d < kMaxDims; ++d) {
      if (d == ndim) break;
      const int64_t idx = i % sizes[d];
      i /= sizes[d];
      SEEK_UNROLL
      for (int k = 0; k < N; ++k) off[k] += idx * strides[k][d];
    }
    return off;
  }
};

// Layout of same-shaped operands (ops[0] gives the shape); throws ShapeError
// naming `op` when more than kMaxDims dims remain after collapsing.
template <int N>
StridedLayout<N> make_layout(const std::array<const Tensor*, N>& ops, const char* op) {
  const Shape& s = ops[0]->sizes();
  backend_detail::CollapsedDims<N> c = backend_detail::collapse_dims<N>(ops);  // strides in elements
  const std::vector<int64_t>& shape = c.shape;
  const std::array<std::vector<int64_t>, N>& st = c.strides;
  StridedLayout<N> L;
  L.numel = c.numel;
  SEEK_CHECK_SHAPE(shape.size() <= static_cast<size_t>(kMaxDims), op, ": CUDA kernels index at most ", kMaxDims,
                   " dims after merging contiguous ones, got ", shape.size(), " for shape ", shape_str(s));
  L.ndim = static_cast<int>(shape.size());
  for (int d = 0; d < L.ndim; ++d) {
    const int src = L.ndim - 1 - d;
    L.sizes[d] = shape[src];
    for (int k = 0; k < N; ++k) L.strides[k][d] = st[k][src];
  }
  for (int k = 0; k < N; ++k) L.contiguous = L.contiguous && (L.ndim == 0 || (L.ndim == 1 && L.strides[k][0] == 1));
  return L;
}

}  // namespace seek::cuda

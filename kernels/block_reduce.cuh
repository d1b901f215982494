#pragma once
// Warp- and block-level combining of any trivially copyable state (a number, a
// Welford or log-sum-exp struct, a (value, index) pair) with a combine functor,
// shared by kernels/reduce.cu and kernels/softmax.cu. Trick: a state is moved
// between lanes as 32-bit words, so one shuffle helper serves every reducer's
// state; the tree order is fixed by the launch configuration (lane l always
// combines with lane l + offset, warps in warp order), so results are
// deterministic, and the left operand of every combine covers lower lanes.
#include <cstring>
#include <type_traits>

#include "kernels/common.cuh"

namespace seek::cuda {

constexpr unsigned kFullMask = 0xffffffffu;
constexpr int kWarpSize = 32;

enum class Shuffle { Down, Up, Index };

// __shfl_{down,up,}_sync over the whole warp for any trivially copyable T, as 32-bit words
// (CUDA shuffles only take arithmetic types; bool and structs travel as words).
template <Shuffle kind, typename T>
__device__ SEEK_INLINE T shuffle(T v, int arg, int width = kWarpSize) {
  static_assert(std::is_trivially_copyable_v<T>, "shuffle: the state must be trivially copyable");
  constexpr int kWords = (static_cast<int>(sizeof(T)) + 3) / 4;
  unsigned w[kWords] = {};
  memcpy(w, &v, sizeof(T));
  SEEK_UNROLL
  for (int k = 0; k < kWords; ++k) {
    if constexpr (kind == Shuffle::Down)
      w[k] = __shfl_down_sync(kFullMask, w[k], static_cast<unsigned>(arg), width);
    else if constexpr (kind == Shuffle::Up)
      w[k] = __shfl_up_sync(kFullMask, w[k], static_cast<unsigned>(arg), width);
    else
      w[k] = __shfl_sync(kFullMask, w[k], arg, width);
  }
  memcpy(&v, w, sizeof(T));
  return v;
}

// Tree-combines the states of `width` adjacent lanes (a power of two <= 32, groups aligned
// to it); the result is valid in the first lane of each group. Every lane of the warp calls it.
template <typename T, typename Combine>
__device__ SEEK_INLINE T warp_reduce(T v, const Combine& combine, int width = kWarpSize) {
  for (int off = width / 2; off > 0; off /= 2) v = combine(v, shuffle<Shuffle::Down>(v, off));
  return v;
}

// Combines the states of the blockDim.x threads of each row (threadIdx.y) of the block;
// blockDim.x is a power of two. The result is valid at threadIdx.x == 0, or in every
// thread of the row when `broadcast`. `smem` holds blockDim.y * max(1, blockDim.x / 32)
// states; every thread of the block calls it (it has barriers when blockDim.x > 32).
template <typename T, typename Combine>
__device__ T row_reduce(T v, const Combine& combine, T identity, T* smem, bool broadcast) {
  const int lanes = static_cast<int>(blockDim.x), tx = static_cast<int>(threadIdx.x);
  v = warp_reduce(v, combine, lanes < kWarpSize ? lanes : kWarpSize);
  if (lanes > kWarpSize) {
    const int warps = lanes / kWarpSize;
    T* row = smem + threadIdx.y * warps;
    if (tx % kWarpSize == 0) row[tx / kWarpSize] = v;
    __syncthreads();
    if (tx < kWarpSize) v = warp_reduce(tx < warps ? row[tx] : identity, combine);
    if (broadcast) {
      __syncthreads();  // every warp has read its row's partials
      if (tx == 0) row[0] = v;
      __syncthreads();
      v = row[0];
    }
    __syncthreads();  // smem is free for the caller's next call
  } else if (broadcast) {
    v = shuffle<Shuffle::Index>(v, 0, lanes);
  }
  return v;
}

// Combines the states of the blockDim.y threads of each column (threadIdx.x) through a
// shared-memory tree; blockDim.y is a power of two; the result is in every thread of the
// column. `smem` holds blockDim.x * blockDim.y states; every thread of the block calls it.
template <typename T, typename Combine>
__device__ T column_reduce(T v, const Combine& combine, T* smem) {
  const unsigned bx = blockDim.x, tx = threadIdx.x, ty = threadIdx.y;
  smem[ty * bx + tx] = v;
  __syncthreads();
  for (unsigned s = blockDim.y / 2; s > 0; s /= 2) {
    if (ty < s) smem[ty * bx + tx] = combine(smem[ty * bx + tx], smem[(ty + s) * bx + tx]);
    __syncthreads();
  }
  v = smem[tx];
  __syncthreads();  // smem is free for the caller's next call
  return v;
}

}  // namespace seek::cuda

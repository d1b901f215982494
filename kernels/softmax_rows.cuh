#pragma once
// What the softmax kernels (softmax.cu) and the fused softmax cross-entropy kernels
// (softmax_cross_entropy.cu) share: how rows are spread over threads (one warp per row up to
// kWarpRowMax elements, one block of kBlockRowThreads per row beyond), and the combiners the
// block reductions use (a running log-sum-exp state, a plain sum).
#include <cstdint>

#include "block_reduce.cuh"
#include "seek/backend/reduce_op.h"

namespace seek::cuda::softmax_rows {

constexpr int64_t kWarpRowMax = 1024;       // longest row a single warp handles
constexpr unsigned kBlockRowThreads = 512;  // threads per row beyond that
constexpr unsigned kMaxBlocks = 65535;

template <typename C>
struct LseCombine {
  __device__ SEEK_INLINE reducers::LseState<C> operator()(const reducers::LseState<C>& a,
                                                          const reducers::LseState<C>& b) const {
    return reducers::LogSumExp<C>{}.combine(a, b);
  }
};
template <typename C>
struct SumCombine {
  __device__ SEEK_INLINE C operator()(C a, C b) const { return a + b; }
};

}  // namespace seek::cuda::softmax_rows

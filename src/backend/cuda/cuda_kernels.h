#pragma once
// Host launchers of the kernels in kernels/*.cu (compiled by nvcc), callable
// from the host C++ of the CUDA backend. One section per kernel family. Every
// launcher queues work on `stream` on the current device and returns without
// waiting; its operands already live on that device.
#include <cuda_runtime_api.h>

#include "seek/core/scalar.h"
#include "seek/core/tensor.h"

namespace seek::cuda {

// ---- memory (kernels/copy.cu) ----
// dst[i] = convert<dst dtype>(src[i]); same shape, any dtypes, any strides.
void copy_forward(const Tensor& src, const Tensor& dst, cudaStream_t stream);
// out[i] = value converted to out's dtype; any strides.
void fill_forward(const Tensor& out, Scalar value, cudaStream_t stream);

}  // namespace seek::cuda

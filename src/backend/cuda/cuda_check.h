#pragma once
// SEEK_CUDA_CHECK(expr): every CUDA runtime call goes through it. On failure it
// clears the (non-sticky) error state and throws, naming the call, the CUDA
// error and the file and line:
//   OutOfMemoryError  for cudaErrorMemoryAllocation,
//   DeviceError       when there is no usable device (no driver, no GPU, bad index),
//   Error             otherwise.
#include <cuda_runtime_api.h>

#include "seek/core/error.h"

namespace seek::cuda::detail {

[[noreturn]] inline void throw_cuda_error(cudaError_t err, const char* expr, const char* file, int line) {
  cudaGetLastError();  // reset the per-thread error so that later calls are not blamed for it
  std::string msg =
      str("CUDA error ", cudaGetErrorName(err), " (", cudaGetErrorString(err), ") in ", expr, " at ", file, ":", line);
  switch (err) {
    case cudaErrorMemoryAllocation: throw OutOfMemoryError(msg);
    case cudaErrorNoDevice:
    case cudaErrorInsufficientDriver:
    case cudaErrorInvalidDevice:
    case cudaErrorDevicesUnavailable: throw DeviceError(msg);
    default: throw Error(msg);
  }
}

inline void check_cuda(cudaError_t err, const char* expr, const char* file, int line) {
  if (err != cudaSuccess) throw_cuda_error(err, expr, file, line);
}

}  // namespace seek::cuda::detail

#define SEEK_CUDA_CHECK(expr) ::seek::cuda::detail::check_cuda((expr), #expr, __FILE__, __LINE__)

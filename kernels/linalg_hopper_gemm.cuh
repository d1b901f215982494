#pragma once
// Host API of the Hopper mixed-precision GEMM (kernels/linalg_hopper_gemm.cu: TMA, mbarriers,
// warp-specialised wgmma; design in docs/kernels.md). Semantics: src/backend/mp_gemm.h
// (MpGemmArgs), the same as seek::cuda::mp_gemm (its mma.sync sibling) and the CPU twin.
#include <cuda_runtime_api.h>

#include <string>

#include "backend/mp_gemm.h"

namespace seek::cuda {

// Why the Hopper path cannot take these arguments (TMA needs 16-byte aligned bases, leading
// dimensions and batch strides that are multiples of 8 elements, batch levels that do not
// overlap, sizes below 2^31), or ""
// when it can. The arguments must already pass check_mp_gemm_args.
std::string hopper_gemm_unsupported(const MpGemmArgs& args);

// Whether the current device can run the kernel: always on the simulated device; in the nvcc
// build an sm_90 GPU (cached per device).
bool hopper_gemm_device_ok();

// Queues the GEMM on `stream` (arguments checked; pointers must be device memory). Throws
// seek::Error when hopper_gemm_unsupported says why not, or, in the nvcc build, when the
// device is not sm_90 (the kernel is compiled for sm_90a only).
void hopper_gemm(const MpGemmArgs& args, cudaStream_t stream);

}  // namespace seek::cuda

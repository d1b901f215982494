#pragma once
// Host API of the tensor-core mixed-precision GEMM (kernels/linalg_mp_gemm.cu; design in
// docs/kernels.md). Arguments and semantics: src/backend/mp_gemm.h (MpGemmArgs; the CPU
// twin seek::cpu::mp_gemm is the reference).
#include <cuda_runtime_api.h>

#include "backend/mp_gemm.h"
#include "kernels/linalg.cuh"

namespace seek::cuda {

// Queues the GEMM on `stream`. Every pointer must be device memory (checked); any M, N, K,
// layout and alignment (operands whose rows are 16-byte aligned take the cp.async path,
// others a predicated element-wise load into the same pipeline). Throws seek::Error naming
// the bad argument.
void mp_gemm(const MpGemmArgs& args, cudaStream_t stream);

// Whether gemm_forward routes f16/bf16 products here: always on the simulated device; in the
// nvcc build when the environment sets SEEK_CUDA_GEMM=mp (cuBLAS stays the default there).
bool mp_gemm_selected();

// gemm_forward's hook: runs out = alpha * a @ b + beta * out through mp_gemm when dtype is
// f16/bf16 and a and b are each row- or column-major (any other strides: returns false and
// queues nothing).
bool mp_gemm_stack(DType dtype, const GemmShape& s, const MatrixStack& a, const MatrixStack& b, const MatrixStack& out,
                   double alpha, double beta, cudaStream_t stream);

}  // namespace seek::cuda

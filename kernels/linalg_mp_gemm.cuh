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

// gemm_forward's adapter: the MpGemmArgs of out = alpha * a @ b + beta * out when dtype is
// f16/bf16 and a and b are each row- or column-major (false otherwise: any other strides).
bool mp_gemm_args_from_stack(DType dtype, const GemmShape& s, const MatrixStack& a, const MatrixStack& b,
                             const MatrixStack& out, double alpha, double beta, MpGemmArgs* g);

}  // namespace seek::cuda

#pragma once
// The GEMM of kernels/linalg.cu as other kernel files call it (conv.cu's im2col
// products): a stack of matrices with two batch levels, any strides, so that a
// convolution's images x groups are one launch without copies.
#include <cuda_runtime_api.h>

#include <cstdint>

#include "seek/core/dtype.h"

namespace seek::cuda {

// Element (b0, b1, r, c) of a strided stack of matrices lives at
// p + b0 * sb0 + b1 * sb1 + r * sr + c * sc (in elements). A batch stride may be 0 (broadcast).
struct MatrixStack {
  const void* p = nullptr;
  int64_t sb0 = 0, sb1 = 0, sr = 0, sc = 1;
};

// B0 x B1 products of [M, K] @ [K, N].
struct GemmShape {
  int64_t B0 = 1, B1 = 1, M = 0, N = 0, K = 0;
};

// out[b0, b1] = alpha * a[b0, b1] @ b[b0, b1] + beta * out[b0, b1] on `stream`, for the floating
// dtypes (f16/bf16 accumulate in f32, f64 in f64). out's columns must be contiguous (sc == 1);
// with beta == 0 out is not read. cuBLAS in the nvcc build where the layouts allow it (unless
// gemm_impl() says Own), seek's tiled kernel otherwise. Queues work and returns.
void gemm_forward(DType dtype, const GemmShape& s, MatrixStack a, MatrixStack b, MatrixStack out, double alpha,
                  double beta, cudaStream_t stream);

// The epilogue of a single (unbatched) product, applied to z = alpha * a @ b + beta * out +
// bias[n] in the accumulation type before the one rounding: aux[m, n] = z (when aux is set),
// out[m, n] = act(z). GeluTanh is gelu(z, approximate="tanh"), as cuBLASLt's GELU epilogue.
enum class GemmAct { None, Relu, GeluTanh };
struct GemmEpilogueArgs {
  const void* bias = nullptr;  // [N], element n at bias[n * bias_stride]; nullptr: no bias
  int64_t bias_stride = 1;
  void* aux = nullptr;  // [M, N], row stride ld_aux; nullptr: not written
  int64_t ld_aux = 0;
  GemmAct act = GemmAct::None;
};
// gemm_forward with an epilogue, for B0 == B1 == 1: cuBLASLt's fused epilogue in the nvcc build
// where it takes the operands (unless gemm_impl() says Own), seek's GEMM kernel with the same
// epilogue in its store otherwise.
void gemm_epilogue_forward(DType dtype, const GemmShape& s, MatrixStack a, MatrixStack b, MatrixStack out,
                           const GemmEpilogueArgs& ep, cudaStream_t stream);

#if !defined(SEEK_CUDA_SIM)
// cuBLASLt (kernels/linalg_lt.cu, the nvcc build): f32 (TF32 where backends::cuda::matmul::allow_tf32
// says so), f16 and bf16 with f32 accumulation, strided batches, and the BIAS / RELU_BIAS /
// GELU_BIAS (GELU_AUX_BIAS with aux) epilogues for one product. Returns false, having queued
// nothing, where the dtype, layouts or sizes do not fit cuBLASLt.
bool lt_gemm(DType dtype, const GemmShape& s, const MatrixStack& a, const MatrixStack& b, const MatrixStack& out,
             double alpha, double beta, const GemmEpilogueArgs* ep, cudaStream_t stream);
#endif

// Which GEMM gemm_forward uses: the library's (cuBLAS; the nvcc build only) or seek's own
// tiled kernel. Starts as Own when the environment sets SEEK_CUDA_GEMM=own, else Library; in
// the simulator build it is always Own. The GPU check compares the two.
enum class GemmImpl { Library, Own };
void set_gemm_impl(GemmImpl impl);
GemmImpl gemm_impl();

}  // namespace seek::cuda

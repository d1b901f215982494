#pragma once
// The mixed-precision GEMM's arguments and epilogue, shared by its two implementations:
// the tensor-core kernel (kernels/linalg_mp_gemm.cu, seek::cuda::mp_gemm) and its CPU twin
// (src/backend/cpu/cpu_linalg_mp_gemm.cpp, seek::cpu::mp_gemm), which is the reference.
//
//   out[z] = round_out( act( alpha * (a[z] @ b[z]) + beta * c[z] + bias ) + residual[z] )
//
// a [M, K] and b [K, N] are f16 or bf16 (one dtype), each row- or column-major; the product
// accumulates in f32. out, c, bias and residual have the output dtype (f32, f16 or bf16),
// out/c/residual row-major. z runs over batch x batch_inner matrices (two strided batch
// levels; a batch stride of 0 broadcasts). The epilogue is one scalar function
// (mp_epilogue), so both implementations round and activate identically; only the f32
// summation order of the products differs.
#include <cstdint>

#include "seek/backend/unary_op.h"
#include "seek/core/dtype.h"
#include "seek/core/macros.h"

namespace seek {

enum class MpActivation : int {
  None,
  Relu,
  GeluTanh,  // torch.nn.functional.gelu(x, approximate="tanh")
  GeluErf,   // torch.nn.functional.gelu(x) (the exact, erf form)
};

// One stack of matrices: element (z0, z1, r, c) of it lives at
// data + z0 * batch_stride + z1 * batch_stride_inner + (col_major ? r + c * ld : r * ld + c)
// (in elements).
struct MpOperand {
  const void* data = nullptr;
  int64_t ld = 0;
  int64_t batch_stride = 0;
  int64_t batch_stride_inner = 0;
  bool col_major = false;  // a and b only; out, c and residual are row-major
};

struct MpGemmArgs {
  int64_t M = 0, N = 0, K = 0;
  int64_t batch = 1;        // outer batch level
  int64_t batch_inner = 1;  // inner batch level (linalg's second level; 1 for a plain strided batch)
  DType in_dtype = DType::BFloat16;
  DType out_dtype = DType::Float32;
  MpOperand a, b;  // [M, K] and [K, N], in_dtype
  MpOperand out;   // [M, N], out_dtype, written (data is written through)
  float alpha = 1.0f;
  float beta = 0.0f;           // with beta == 0, c is not read
  MpOperand c;                 // [M, N], out_dtype; may be out itself (in-place update)
  const void* bias = nullptr;  // [N] (one per column), out_dtype; optional
  MpActivation act = MpActivation::None;
  MpOperand residual;  // [M, N], out_dtype, added after the activation; optional (data null)
};

// The epilogue of one element: v = act(alpha * acc + beta * c + bias) + residual.
SEEK_HOST_DEVICE SEEK_INLINE float mp_epilogue(float acc, float alpha, float beta, float c, float bias,
                                               MpActivation act, float residual) {
  float v = alpha * acc;
  if (beta != 0.0f) v += beta * c;
  v += bias;
  switch (act) {
    case MpActivation::Relu: v = functors::relu_fn(v); break;
    case MpActivation::GeluTanh: v = functors::gelu_tanh_fn(v); break;
    case MpActivation::GeluErf: v = functors::gelu_erf_fn(v); break;
    default: break;
  }
  return v + residual;
}

// Throws seek::Error naming the bad field (`who` prefixes the message): sizes, dtypes,
// null or misaligned (not a multiple of the element size) pointers, leading dimensions that
// are too small, col_major on out/c/residual. Any alignment beyond the element's is allowed.
void check_mp_gemm_args(const MpGemmArgs& args, const char* who);

namespace cpu {
// The CPU twin on host memory: f32 products summed in k order, then mp_epilogue, then
// rounding to the output dtype. Checks its arguments first.
void mp_gemm(const MpGemmArgs& args);
}  // namespace cpu

}  // namespace seek

#pragma once
// The operand checks of Backend::gemm_epilogue, shared by the default (composed) implementation
// in gemm_epilogue.cpp and the CUDA one in kernels/linalg.cu, so both reject the same inputs
// with the same messages. Host code; it compiles in a .cu file too.
#include "seek/core/error.h"
#include "seek/core/tensor.h"

namespace seek::backend_detail {

// a [M, K], b [K, N], bias [N], out [M, N] contiguous, aux undefined or like out; one dtype; one device.
inline void check_gemm_epilogue(const Tensor& a, const Tensor& b, const Tensor& bias, const Tensor& out,
                                const Tensor& aux) {
  SEEK_CHECK(a.defined() && b.defined() && bias.defined() && out.defined(),
             "gemm_epilogue: a, b, bias and out must be defined");
  SEEK_CHECK_SHAPE(a.dim() == 2 && b.dim() == 2 && bias.dim() == 1 && out.dim() == 2,
                   "gemm_epilogue: expected a [M, K], b [K, N], bias [N] and out [M, N], got ", shape_str(a.sizes()),
                   ", ", shape_str(b.sizes()), ", ", shape_str(bias.sizes()), " and ", shape_str(out.sizes()));
  const int64_t M = out.size(0), N = out.size(1);
  SEEK_CHECK_SHAPE(a.size(0) == M && b.size(1) == N && a.size(1) == b.size(0) && bias.size(0) == N,
                   "gemm_epilogue: shapes ", shape_str(a.sizes()), " @ ", shape_str(b.sizes()), " + ",
                   shape_str(bias.sizes()), " -> ", shape_str(out.sizes()),
                   " do not match [M, K] @ [K, N] + [N] -> [M, N]");
  SEEK_CHECK_SHAPE(!aux.defined() || aux.sizes() == out.sizes(), "gemm_epilogue: aux ", shape_str(aux.sizes()),
                   " should be ", shape_str(out.sizes()));
  const DType dt = out.dtype();
  SEEK_CHECK_DTYPE(is_floating(dt), "gemm_epilogue: expected a floating dtype, got ", dt);
  SEEK_CHECK_DTYPE(a.dtype() == dt && b.dtype() == dt && bias.dtype() == dt && (!aux.defined() || aux.dtype() == dt),
                   "gemm_epilogue: expected one dtype, got a ", a.dtype(), ", b ", b.dtype(), ", bias ", bias.dtype(),
                   " and out ", dt);
  const Device d = out.device();
  SEEK_CHECK_T(DeviceError,
               a.device() == d && b.device() == d && bias.device() == d && (!aux.defined() || aux.device() == d),
               "gemm_epilogue: expected operands on one device, got a ", a.device().str(), ", b ", b.device().str(),
               ", bias ", bias.device().str(), " and out ", d.str());
  SEEK_CHECK(out.is_contiguous() && (!aux.defined() || aux.is_contiguous()),
             "gemm_epilogue: out and aux must be contiguous");
}

}  // namespace seek::backend_detail

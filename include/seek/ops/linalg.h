#pragma once
// Matrix products with PyTorch's shape rules. All of them need operands of one
// dtype (no promotion, as in torch, except outer), and none supports bool
// (except outer, which is a logical and there).
#include "seek/core/tensor.h"

namespace seek {

// torch.matmul: 1-D @ 1-D is a dot product, 2-D @ 2-D a matrix product, a 1-D
// operand gets a dim prepended (left) or appended (right) that is removed from
// the result, and N-D operands are stacks of matrices whose batch dims broadcast:
// [j, 1, n, m] @ [k, m, p] -> [j, k, n, p].
Tensor matmul(const Tensor& a, const Tensor& b);
Tensor mm(const Tensor& a, const Tensor& b);     // [n, m] @ [m, p] -> [n, p]
Tensor bmm(const Tensor& a, const Tensor& b);    // [b, n, m] @ [b, m, p] -> [b, n, p], no broadcasting
Tensor mv(const Tensor& a, const Tensor& v);     // [n, m] @ [m] -> [n]
Tensor dot(const Tensor& a, const Tensor& b);    // [n] . [n] -> 0-dim
Tensor outer(const Tensor& a, const Tensor& b);  // [n] x [m] -> [n, m], promotes dtypes
// beta * bias + alpha * (a @ b), bias broadcastable to [n, p]; with beta == 0
// bias is not read (NaNs in it do not propagate), as in torch.addmm.
Tensor addmm(const Tensor& bias, const Tensor& a, const Tensor& b, Scalar beta = 1, Scalar alpha = 1);

}  // namespace seek

#include "seek/backend/backend.h"  // GemmEpilogue

namespace seek {
// issue 14: the fused linear layer. act(input @ weight^T + bias) for input [..., in], weight
// [out, in] and bias [out] of one floating dtype, computed by Backend::gemm_epilogue (cuBLASLt's
// BIAS / RELU_BIAS / GELU_BIAS epilogues on a GPU): BiasGelu is gelu(approximate="tanh"). The
// gradients are those of the unfused ops (addmm, then relu or gelu(tanh)). Autocast: a
// lower-precision op, like linear.
Tensor fused_linear(const Tensor& input, const Tensor& weight, const Tensor& bias,
                    GemmEpilogue epilogue = GemmEpilogue::Bias);
}  // namespace seek

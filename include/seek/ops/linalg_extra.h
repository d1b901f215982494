#pragma once
// More products with PyTorch's semantics: einsum (contractions planned onto permute,
// reshape and bmm), baddbmm, addbmm, tensordot, kron, vdot. All differentiable.
#include <string>
#include <vector>

#include "seek/core/tensor.h"

namespace seek {

// Einstein summation, as torch.einsum: "ij,jk->ik", "bhqd,bhkd->bhqk", "ii" (trace),
// "ii->i" (diagonal), "...ij,...jk" (ellipsis dims broadcast), an implicit output (the
// labels that occur once, in alphabetical order, after the ellipsis dims). Three or
// more operands are contracted left to right. Operands share one dtype.
Tensor einsum(const std::string& equation, const std::vector<Tensor>& operands);
// beta * input + alpha * (batch1 @ batch2): batch1 [b, n, m], batch2 [b, m, p], input
// broadcastable to [b, n, p]; with beta == 0 input is not read.
Tensor baddbmm(const Tensor& input, const Tensor& batch1, const Tensor& batch2, Scalar beta = 1, Scalar alpha = 1);
// beta * input + alpha * sum_i (batch1[i] @ batch2[i]); input broadcastable to [n, p].
Tensor addbmm(const Tensor& input, const Tensor& batch1, const Tensor& batch2, Scalar beta = 1, Scalar alpha = 1);
// Contracts the last `dims` dims of a with the first `dims` of b.
Tensor tensordot(const Tensor& a, const Tensor& b, int64_t dims = 2);
// Contracts dims_a[i] of a with dims_b[i] of b; the result has a's free dims, then b's.
Tensor tensordot(const Tensor& a, const Tensor& b, const std::vector<int64_t>& dims_a,
                 const std::vector<int64_t>& dims_b);
// Kronecker product: out[i*b0 + k, j*b1 + l, ...] = a[i, j, ...] * b[k, l, ...] (dims are
// aligned at the right, missing leading dims count as 1).
Tensor kron(const Tensor& a, const Tensor& b);
// Dot product of two 1-D tensors (real tensors: the same as dot).
Tensor vdot(const Tensor& a, const Tensor& b);
// torch.ger, the old name of outer.
Tensor ger(const Tensor& a, const Tensor& b);

}  // namespace seek

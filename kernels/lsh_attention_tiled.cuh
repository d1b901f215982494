#pragma once
// The tiled LSH attention kernels (kernels/lsh_attention_tiled.cu): one thread block per
// (batch*head, hash round, chunk), Q.K^T and P.V on tensor cores (mma.sync m16n8k16, f32
// accumulate) for f16/bf16 operands. kernels/lsh_attention.cu's CudaBackend entries call
// them when lsh_tiled_supported() says yes and fall back to the one-thread-per-query
// kernels otherwise.
#include "seek/backend/backend.h"
#include "seek/core/tensor.h"

namespace seek::cuda {

// Whether the tiled kernels take these operands: f16/bf16, head dims D and Dv multiples of 16
// and at most 64, chunk_size >= 16, every operand 16-byte aligned.
bool lsh_tiled_supported(const Tensor& q, const Tensor& k, const Tensor& v, const LshAttentionParams& p);

// The f32 forward and backward on SIMT cores (the same blocks; one thread per query, per key): f32
// operands, D and Dv at most 64, chunk_size >= 16; lse f32.
bool lsh_simt_forward_supported(const Tensor& q, const Tensor& v, const LshAttentionParams& p);
void lsh_simt_forward(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& q_order, const Tensor& k_order,
                      const Tensor& key_pad, const LshAttentionParams& p, const Tensor& out, const Tensor& lse);

void lsh_simt_backward(const Tensor& grad_out, const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& q_order,
                       const Tensor& k_order, const Tensor& key_pad, const Tensor& out, const Tensor& lse,
                       const LshAttentionParams& p, const Tensor& grad_q, const Tensor& grad_k, const Tensor& grad_v);

// The same contracts as Backend::lsh_attention_forward / _backward (out, grads in q's dtype;
// lse f32 or q's dtype).
void lsh_tiled_forward(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& q_order, const Tensor& k_order,
                       const Tensor& key_pad, const LshAttentionParams& p, const Tensor& out, const Tensor& lse);
void lsh_tiled_backward(const Tensor& grad_out, const Tensor& q, const Tensor& k, const Tensor& v,
                        const Tensor& q_order, const Tensor& k_order, const Tensor& key_pad, const Tensor& out,
                        const Tensor& lse, const LshAttentionParams& p, const Tensor& grad_q, const Tensor& grad_k,
                        const Tensor& grad_v);

}  // namespace seek::cuda

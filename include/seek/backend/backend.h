#pragma once
// One Backend per device type, with one virtual entry per kernel family (not
// per op). ops:: functions check arguments, compute shapes and dtypes, allocate
// outputs and then call backend(device).<family>(...).
//
// Contract for every entry: outputs are allocated by the caller with the right
// shape and dtype; inputs are already on this backend's device, have the
// dtype the family documents and, for elementwise families, are broadcast
// (expanded views) to the output shape. Strides are arbitrary unless noted.
// A backend that lacks a family inherits the default, which throws DeviceError,
// and says so through supports(family, dtype).
//
// Backends register themselves at library load (a BackendRegistrar in the
// backend's own file), so a simulated device or a third device type plugs in
// without touching this registry.
#include <cstdint>
#include <vector>

#include "seek/backend/binary_op.h"
#include "seek/backend/conv_params.h"
#include "seek/backend/optim_op.h"
#include "seek/backend/cross_entropy_op.h"
#include "seek/backend/reduce_op.h"
#include "seek/backend/ternary_op.h"
#include "seek/backend/unary_op.h"
#include "seek/core/device.h"
#include "seek/core/scalar.h"
#include "seek/core/tensor.h"

namespace seek {

enum class RandomOp { Uniform, Normal, Bernoulli, RandInt };
// How scatter combines a source value with the element it lands on: write it, add it, multiply
// by it, or keep the larger / smaller of the two (Max / Min propagate NaN, as torch.maximum).
enum class ScatterMode { Assign, Add, Multiply, Max, Min };
// What Backend::gemm_epilogue applies to z = a @ b + bias: nothing, relu, or GELU's tanh
// approximation (the one cuBLASLt's epilogue computes, = gelu(z, approximate="tanh")).
enum class GemmEpilogue { Bias, BiasRelu, BiasGelu };

// The kernel families of the Backend interface, for Backend::supports: each
// names one group of entries below (Copy: copy and fill; Conv: conv2d forward
// and backward; Pool: max/avg/adaptive pooling; Norm: batch norm; Index:
// gather, scatter, index_select, index_add; Sort: sort and topk; Optim: the fused
// optimizer steps, gradient norm and unscale-and-check of seek/backend/optim_op.h;
// Attention: the LSH attention forward and backward of seek/ops/lsh_attention.h).
// LSH attention's chunk attention (Backend::lsh_attention_*): the window of a
// query in sorted order is its chunk of chunk_size and the previous chunk
// (cyclically, when there are two chunks or more). causal masks keys after the
// query's position; self_mask replaces the score of a position with itself by
// kSelfScore (shared-QK: a token attends to itself only when nothing else).
struct LshAttentionParams {
  static constexpr double kSelfScore = -1e5;
  int64_t chunk_size = 64;
  bool causal = false;
  bool self_mask = false;
  double scale = 1.0;
};

enum class BackendFamily {
  Copy,
  Unary,
  Binary,
  Ternary,
  Reduce,
  ArgReduce,
  Cumsum,
  Softmax,
  Gemm,
  Conv,
  Pool,
  Norm,
  Index,
  Sort,
  Random,
  Optim,
  Attention,
};
inline constexpr BackendFamily kBackendFamilies[] = {
    BackendFamily::Copy,      BackendFamily::Unary,     BackendFamily::Binary, BackendFamily::Ternary,
    BackendFamily::Reduce,    BackendFamily::ArgReduce, BackendFamily::Cumsum, BackendFamily::Softmax,
    BackendFamily::Gemm,      BackendFamily::Conv,      BackendFamily::Pool,   BackendFamily::Norm,
    BackendFamily::Index,     BackendFamily::Sort,      BackendFamily::Random, BackendFamily::Optim,
    BackendFamily::Attention,
};
const char* backend_family_name(BackendFamily family);  // "copy", "unary", "arg_reduce", ...

class Backend {
 public:
  virtual ~Backend() = default;
  virtual DeviceType type() const = 0;
  // Whether this backend implements `family` for tensors of `dtype` (the dtype
  // the family's contract names: the input's, or the output's for copy/fill and
  // random). Ops of a family may still reject dtypes one by one (exp of an
  // integer tensor). The default says false.
  virtual bool supports(BackendFamily family, DType dtype) const;

  // ---- memory: copy with dtype cast between same-shaped tensors (strided) ----
  // src may live on the host or on this device; dst on this device or the host.
  virtual void copy(const Tensor& src, const Tensor& dst);
  // copy() that may return before the copy is done (Tensor::to(..., non_blocking)).
  virtual void copy_non_blocking(const Tensor& src, const Tensor& dst) { copy(src, dst); }
  virtual void fill(const Tensor& out, Scalar value);

  // ---- elementwise ----
  // in and out have the same dtype except for LogicalNot (out bool).
  virtual void unary(UnaryOp op, const Tensor& in, const Tensor& out, const UnaryParams& p);
  // a and b share one dtype; out has it too, or bool for comparisons/logical ops.
  virtual void binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out);
  // Where: a bool, b/c/out share a dtype. Others: all four share a dtype.
  virtual void ternary(TernaryOp op, const Tensor& a, const Tensor& b, const Tensor& c, const Tensor& out,
                       const TernaryParams& p);

  // ---- reductions ----
  // out has in's shape with `dims` set to 1 (keepdim form). Sum/Prod of
  // integers use int64 out; All/Any write bool.
  virtual void reduce(ReduceOp op, const Tensor& in, const std::vector<int64_t>& dims, const Tensor& out,
                      const ReduceParams& p);
  // values and indices (int64) have in's shape with dim set to 1; first index wins ties.
  virtual void arg_reduce(bool is_max, const Tensor& in, int64_t dim, const Tensor& values, const Tensor& indices);
  virtual void cumsum(const Tensor& in, int64_t dim, const Tensor& out);
  virtual void softmax(const Tensor& in, int64_t dim, bool log, const Tensor& out);
  // grad_in = softmax'(out) applied to grad, along dim.
  virtual void softmax_backward(const Tensor& grad, const Tensor& out, int64_t dim, bool log, const Tensor& grad_in);
  // Fused softmax cross-entropy over class indices (seek/backend/cross_entropy_op.h; Softmax family).
  // logits: contiguous, classes along class_dim; target: int64 of logits' shape less class_dim, each in
  // [0, C) or ignore_index (checked by the caller); weight: [C] or undefined. loss, lse and weight_t
  // (w_t per row) have the target's shape, contiguous; they and weight have the compute dtype
  // (float32 for f16/bf16/f32 logits, float64 for f64).
  virtual void cross_entropy_forward(const Tensor& logits, const Tensor& target, const Tensor& weight,
                                     int64_t class_dim, const CrossEntropyParams& p, const Tensor& loss,
                                     const Tensor& lse, const Tensor& weight_t);
  // grad_logits (logits' shape and dtype, contiguous) = d loss_row / d logits * grad_loss[row].
  virtual void cross_entropy_backward(const Tensor& grad_loss, const Tensor& logits, const Tensor& target,
                                      const Tensor& weight, const Tensor& lse, int64_t class_dim,
                                      const CrossEntropyParams& p, const Tensor& grad_logits);

  // ---- linear algebra ----
  // out[i] = alpha * a[i] @ b[i] + beta * out[i]; a [B,M,K], b [B,K,N], out [B,M,N].
  // a and b may have any strides (transposes are views); out is contiguous.
  virtual void gemm(const Tensor& a, const Tensor& b, const Tensor& out, double alpha, double beta);

  // ---- conv: input [N, C, H, W], weight [O, C/groups, kH, kW], bias [O] or undefined,
  // out [N, O, OH, OW]. One floating dtype throughout. Outputs and gradients may have any strides
  // (the ops pass NCHW or channels_last ones, written in place; CUDA computes NHWC natively).
  virtual void conv2d_forward(const Tensor& input, const Tensor& weight, const Tensor& bias, const Conv2dParams& p,
                              const Tensor& out);
  // Writes (overwrites) each defined gradient; input may be undefined when grad_weight is.
  virtual void conv2d_backward(const Tensor& grad_out, const Tensor& input, const Tensor& weight, const Conv2dParams& p,
                               const Tensor& grad_input, const Tensor& grad_weight, const Tensor& grad_bias);

  // ---- pool: input [N, C, H, W], outputs [N, C, OH, OW] of any strides (NCHW or channels_last) ----
  // indices (int64) hold the flat h * W + w position of each max (first wins ties).
  virtual void max_pool2d_forward(const Tensor& input, const PoolParams& p, const Tensor& out, const Tensor& indices);
  // grad_input (any strides) is overwritten.
  virtual void max_pool2d_backward(const Tensor& grad_out, const Tensor& indices, const Tensor& grad_input);
  virtual void avg_pool2d_forward(const Tensor& input, const PoolParams& p, const Tensor& out);
  virtual void avg_pool2d_backward(const Tensor& grad_out, const PoolParams& p, const Tensor& grad_input);
  virtual void adaptive_avg_pool2d_forward(const Tensor& input, const Tensor& out);
  virtual void adaptive_avg_pool2d_backward(const Tensor& grad_out, const Tensor& grad_input);

  // ---- norm: batch norm over [N, C, *] (any strides), per channel c over N and the trailing dims ----
  // weight/bias ([C], input's dtype) may be undefined (no affine). save_mean, save_invstd and
  // save_var ([C], contiguous) have the accumulation dtype: f64 for f64 input, f32 otherwise.
  // Training forward: mean and biased variance of the batch; out (any strides, input's dtype)
  // = (x - mean) * invstd * weight + bias with invstd = 1 / sqrt(var + eps). save_var may be
  // undefined. Results do not depend on the thread count or scheduling.
  virtual void batch_norm_forward_train(const Tensor& input, const Tensor& weight, const Tensor& bias, double eps,
                                        const Tensor& out, const Tensor& save_mean, const Tensor& save_invstd,
                                        const Tensor& save_var);
  // With xhat = (x - save_mean) * save_invstd and n values per channel, writes each defined output:
  // grad_input (any strides, input's dtype) = weight * invstd * (gy - sum(gy) / n - xhat * sum(gy * xhat) / n),
  // grad_weight = sum(gy * xhat), grad_bias = sum(gy) ([C], input's dtype).
  virtual void batch_norm_backward(const Tensor& grad_out, const Tensor& input, const Tensor& weight,
                                   const Tensor& save_mean, const Tensor& save_invstd, const Tensor& grad_input,
                                   const Tensor& grad_weight, const Tensor& grad_bias);
  // Eval forward with given statistics (running_mean/running_var [C], any floating dtype):
  // out (any strides) = (x - running_mean) / sqrt(running_var + eps) * weight + bias.
  virtual void batch_norm_forward_eval(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                                       const Tensor& weight, const Tensor& bias, double eps, const Tensor& out);

  // ---- indexing ----
  virtual void gather(const Tensor& in, int64_t dim, const Tensor& index, const Tensor& out);
  // out already holds the base values; writes src (or value when src is undefined) at index.
  virtual void scatter(ScatterMode mode, const Tensor& out, int64_t dim, const Tensor& index, const Tensor& src,
                       Scalar value);
  virtual void index_select(const Tensor& in, int64_t dim, const Tensor& index, const Tensor& out);
  // out.index_select(dim, index) += alpha * source (duplicates accumulate)
  virtual void index_add(const Tensor& out, int64_t dim, const Tensor& index, const Tensor& source, Scalar alpha);
  // values/indices have in's shape; sorted along dim.
  virtual void sort(const Tensor& in, int64_t dim, bool descending, bool stable, const Tensor& values,
                    const Tensor& indices);
  virtual void topk(const Tensor& in, int64_t k, int64_t dim, bool largest, bool sorted, const Tensor& values,
                    const Tensor& indices);

  // ---- random: element i of `out` (row-major) draws from Philox counter (offset + i) ----
  // Uniform [a, b); Normal mean a std b; Bernoulli p = a; RandInt [a, b).
  virtual void random(RandomOp op, const Tensor& out, uint64_t seed, uint64_t offset, double a, double b);

  // ---- optim: one call updates (or measures) a whole list of tensors; see optim_op.h ----
  virtual void optim(OptimOp op, const OptimArgs& args);

  // ---- attention: LSH (Reformer) chunk attention over hash-sorted orders; see ops/lsh_attention.h ----
  // Contiguous f32/f64 operands: q, k [N, L, D], v [N, L, Dv]; q_order, k_order int64 [N, R, L] (round r's
  // positions sorted by bucket); key_pad bool [N, L] (true = ignore) or undefined. Every round's window
  // scores of query i join one softmax: out [N, L, Dv] and its log-sum-exp lse [N, L] (-inf and out 0 for a
  // query with no key). The backward recomputes the scores from q, k and lse (no L x L matrix either).
  virtual void lsh_attention_forward(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& q_order,
                                     const Tensor& k_order, const Tensor& key_pad, const LshAttentionParams& p,
                                     const Tensor& out, const Tensor& lse);
  virtual void lsh_attention_backward(const Tensor& grad_out, const Tensor& q, const Tensor& k, const Tensor& v,
                                      const Tensor& q_order, const Tensor& k_order, const Tensor& key_pad,
                                      const Tensor& out, const Tensor& lse, const LshAttentionParams& p,
                                      const Tensor& grad_q, const Tensor& grad_k, const Tensor& grad_v);
  // ---- linear algebra with a fused epilogue (part of the Gemm family; Linear layers) ----
  // out [M, N] (contiguous) = act(z), z = a @ b + bias[n], for a [M, K] and b [K, N] of any
  // strides, bias [N] of any stride, one floating dtype. aux, when defined ([M, N], contiguous),
  // receives z itself (what the GELU backward needs). The default runs this backend's copy, gemm
  // (beta 1 over the broadcast bias) and unary entries: what the CPU uses.
  virtual void gemm_epilogue(GemmEpilogue ep, const Tensor& a, const Tensor& b, const Tensor& bias, const Tensor& out,
                             const Tensor& aux);

 protected:
  [[noreturn]] void unsupported(const char* family) const;
};

// The backend for a device; throws DeviceError when none is registered
// (for instance CUDA in a build without it).
Backend& backend(Device device);
// Registers (or replaces, or with nullptr removes) the backend of a device type.
void register_backend(DeviceType type, Backend* b);
bool has_backend(DeviceType type);
// The device types with a backend, in DeviceType order (the CPU first).
std::vector<DeviceType> registered_backends();

// Runs a backend's registration at library load: one namespace-scope object in
// the backend's own file,
//   [[gnu::init_priority(101)]] const BackendRegistrar registrar([] { register_backend(...); });
// The priority runs it before the library's other static initialisers, which
// may already call backend().
struct BackendRegistrar {
  explicit BackendRegistrar(void (*registration)()) { registration(); }
};

}  // namespace seek

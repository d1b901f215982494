#pragma once
// The CPU backend: one class, its families implemented in one file each
// (cpu_<family>.cpp). A family not overridden here throws DeviceError.
// cpu_backend.cpp says which families and dtypes it implements and registers
// it for DeviceType::CPU at library load.
#include "seek/backend/backend.h"

namespace seek::cpu {

class CpuBackend final : public Backend {
 public:
  DeviceType type() const override { return DeviceType::CPU; }
  bool supports(BackendFamily family, DType dtype) const override;

  // memory (cpu_copy.cpp)
  void copy(const Tensor& src, const Tensor& dst) override;
  void fill(const Tensor& out, Scalar value) override;

  // binary (cpu_binary.cpp)
  void binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) override;

  // unary (cpu_unary.cpp)
  void unary(UnaryOp op, const Tensor& in, const Tensor& out, const UnaryParams& p) override;

  // ternary (cpu_ternary.cpp)
  void ternary(TernaryOp op, const Tensor& a, const Tensor& b, const Tensor& c, const Tensor& out,
               const TernaryParams& p) override;

  // reductions and softmax (cpu_reduce.cpp, cpu_softmax.cpp)
  void reduce(ReduceOp op, const Tensor& in, const std::vector<int64_t>& dims, const Tensor& out,
              const ReduceParams& p) override;
  void arg_reduce(bool is_max, const Tensor& in, int64_t dim, const Tensor& values, const Tensor& indices) override;
  void cumsum(const Tensor& in, int64_t dim, const Tensor& out) override;
  void softmax(const Tensor& in, int64_t dim, bool log, const Tensor& out) override;
  void softmax_backward(const Tensor& grad, const Tensor& out, int64_t dim, bool log, const Tensor& grad_in) override;
  // fused softmax cross-entropy (cpu_softmax_cross_entropy.cpp)
  void cross_entropy_forward(const Tensor& logits, const Tensor& target, const Tensor& weight, int64_t class_dim,
                             const CrossEntropyParams& p, const Tensor& loss, const Tensor& lse,
                             const Tensor& weight_t) override;
  void cross_entropy_backward(const Tensor& grad_loss, const Tensor& logits, const Tensor& target, const Tensor& weight,
                              const Tensor& lse, int64_t class_dim, const CrossEntropyParams& p,
                              const Tensor& grad_logits) override;

  // linear algebra (cpu_linalg.cpp)
  void gemm(const Tensor& a, const Tensor& b, const Tensor& out, double alpha, double beta) override;

  // conv and pool (cpu_conv.cpp, cpu_pool.cpp)
  void conv2d_forward(const Tensor& input, const Tensor& weight, const Tensor& bias, const Conv2dParams& p,
                      const Tensor& out) override;
  void conv2d_backward(const Tensor& grad_out, const Tensor& input, const Tensor& weight, const Conv2dParams& p,
                       const Tensor& grad_input, const Tensor& grad_weight, const Tensor& grad_bias) override;
  void max_pool2d_forward(const Tensor& input, const PoolParams& p, const Tensor& out, const Tensor& indices) override;
  void max_pool2d_backward(const Tensor& grad_out, const Tensor& indices, const Tensor& grad_input) override;
  void avg_pool2d_forward(const Tensor& input, const PoolParams& p, const Tensor& out) override;
  void avg_pool2d_backward(const Tensor& grad_out, const PoolParams& p, const Tensor& grad_input) override;
  void adaptive_avg_pool2d_forward(const Tensor& input, const Tensor& out) override;
  void adaptive_avg_pool2d_backward(const Tensor& grad_out, const Tensor& grad_input) override;

  // norm (cpu_norm.cpp): contiguous NCHW loops, parallel over (channel, batch block) tasks
  void batch_norm_forward_train(const Tensor& input, const Tensor& weight, const Tensor& bias, double eps,
                                const Tensor& out, const Tensor& save_mean, const Tensor& save_invstd,
                                const Tensor& save_var) override;
  void batch_norm_backward(const Tensor& grad_out, const Tensor& input, const Tensor& weight, const Tensor& save_mean,
                           const Tensor& save_invstd, const Tensor& grad_input, const Tensor& grad_weight,
                           const Tensor& grad_bias) override;
  void batch_norm_forward_eval(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                               const Tensor& weight, const Tensor& bias, double eps, const Tensor& out) override;

  // indexing and sorting (cpu_index.cpp, cpu_sort.cpp)
  // index family (cpu_index.cpp). Index values: gather/scatter [0, size);
  // index_select/index_add also [-size, 0), counted from the end. Out of range: IndexError.
  void gather(const Tensor& in, int64_t dim, const Tensor& index, const Tensor& out) override;
  void scatter(ScatterMode mode, const Tensor& out, int64_t dim, const Tensor& index, const Tensor& src,
               Scalar value) override;
  void index_select(const Tensor& in, int64_t dim, const Tensor& index, const Tensor& out) override;
  void index_add(const Tensor& out, int64_t dim, const Tensor& index, const Tensor& source, Scalar alpha) override;
  // sort family (cpu_sort.cpp)
  void sort(const Tensor& in, int64_t dim, bool descending, bool stable, const Tensor& values,
            const Tensor& indices) override;
  void topk(const Tensor& in, int64_t k, int64_t dim, bool largest, bool sorted, const Tensor& values,
            const Tensor& indices) override;

  // random (cpu_random.cpp)
  void random(RandomOp op, const Tensor& out, uint64_t seed, uint64_t offset, double a, double b) override;

  // optim (cpu_optim.cpp): fixed-size chunks of all tensors, in parallel
  void optim(OptimOp op, const OptimArgs& args) override;

  // LSH attention (cpu_lsh_attention.cpp): one (batch, head) row per task, scores recomputed in backward
  void lsh_attention_forward(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& q_order,
                             const Tensor& k_order, const Tensor& key_pad, const LshAttentionParams& p,
                             const Tensor& out, const Tensor& lse) override;
  void lsh_attention_backward(const Tensor& grad_out, const Tensor& q, const Tensor& k, const Tensor& v,
                              const Tensor& q_order, const Tensor& k_order, const Tensor& key_pad, const Tensor& out,
                              const Tensor& lse, const LshAttentionParams& p, const Tensor& grad_q,
                              const Tensor& grad_k, const Tensor& grad_v) override;
};

Backend* cpu_backend();

}  // namespace seek::cpu

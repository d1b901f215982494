#pragma once
// The CUDA backend: one class, each family (CudaBackend::<family>) implemented at
// the end of its kernel file kernels/<family>.cu, after the kernels and their
// launchers; a family not overridden here throws DeviceError. It is registered at library
// load only when a GPU is visible; the caching allocator is registered in
// every CUDA build, so that creating a CUDA tensor on a machine without a GPU
// fails with a DeviceError that says why.
#include <cuda_runtime_api.h>

#include <string>

#include "seek/backend/backend.h"
#include "seek/core/storage.h"
#include "seek/cuda.h"

namespace seek::cuda {

class CudaBackend final : public Backend {
 public:
  DeviceType type() const override { return DeviceType::CUDA; }
  bool supports(BackendFamily family, DType dtype) const override;  // cuda_backend.cpp

  // memory (kernels/copy.cu): src/dst on the host or a GPU, any dtypes and strides
  void copy(const Tensor& src, const Tensor& dst) override;
  void fill(const Tensor& out, Scalar value) override;
  // host (pinned) -> device without waiting: cudaMemcpyAsync on the current stream
  void copy_non_blocking(const Tensor& src, const Tensor& dst) override;

  // linear algebra (kernels/linalg.cu): floating dtypes; cuBLAS in the nvcc build, seek's own GEMM otherwise
  void gemm(const Tensor& a, const Tensor& b, const Tensor& out, double alpha, double beta) override;

  // conv (kernels/conv.cu): im2col + the GEMM of kernels/linalg.cu, in f32 (f64 for f64)
  void conv2d_forward(const Tensor& input, const Tensor& weight, const Tensor& bias, const Conv2dParams& p,
                      const Tensor& out) override;
  void conv2d_backward(const Tensor& grad_out, const Tensor& input, const Tensor& weight, const Conv2dParams& p,
                       const Tensor& grad_input, const Tensor& grad_weight, const Tensor& grad_bias) override;

  // pool (kernels/pool.cu): one thread per output (forward) or per input element (average backward)
  void max_pool2d_forward(const Tensor& input, const PoolParams& p, const Tensor& out, const Tensor& indices) override;
  void max_pool2d_backward(const Tensor& grad_out, const Tensor& indices, const Tensor& grad_input) override;
  void avg_pool2d_forward(const Tensor& input, const PoolParams& p, const Tensor& out) override;
  void avg_pool2d_backward(const Tensor& grad_out, const PoolParams& p, const Tensor& grad_input) override;
  void adaptive_avg_pool2d_forward(const Tensor& input, const Tensor& out) override;
  void adaptive_avg_pool2d_backward(const Tensor& grad_out, const Tensor& grad_input) override;
  // reductions (kernels/reduce.cu): every ReduceOp row, arg-reductions and cumsum, any strides
  void reduce(ReduceOp op, const Tensor& in, const std::vector<int64_t>& dims, const Tensor& out,
              const ReduceParams& p) override;
  void arg_reduce(bool is_max, const Tensor& in, int64_t dim, const Tensor& values, const Tensor& indices) override;
  void cumsum(const Tensor& in, int64_t dim, const Tensor& out) override;
  // softmax (kernels/softmax.cu): softmax / log_softmax forward and backward along any dim
  void softmax(const Tensor& in, int64_t dim, bool log, const Tensor& out) override;
  void softmax_backward(const Tensor& grad, const Tensor& out, int64_t dim, bool log, const Tensor& grad_in) override;
  // fused softmax cross-entropy (kernels/softmax_cross_entropy.cu)
  void cross_entropy_forward(const Tensor& logits, const Tensor& target, const Tensor& weight, int64_t class_dim,
                             const CrossEntropyParams& p, const Tensor& loss, const Tensor& lse,
                             const Tensor& weight_t) override;
  void cross_entropy_backward(const Tensor& grad_loss, const Tensor& logits, const Tensor& target, const Tensor& weight,
                              const Tensor& lse, int64_t class_dim, const CrossEntropyParams& p,
                              const Tensor& grad_logits) override;
  // elementwise (kernels/unary.cu, binary.cu, ternary.cu): every row, the CPU backend's dtypes
  void unary(UnaryOp op, const Tensor& in, const Tensor& out, const UnaryParams& p) override;
  void binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) override;
  void ternary(TernaryOp op, const Tensor& a, const Tensor& b, const Tensor& c, const Tensor& out,
               const TernaryParams& p) override;
  // norm (kernels/norm.cu): batch norm with the CPU's shifted-sum statistics, one block per channel
  void batch_norm_forward_train(const Tensor& input, const Tensor& weight, const Tensor& bias, double eps,
                                const Tensor& out, const Tensor& save_mean, const Tensor& save_invstd,
                                const Tensor& save_var) override;
  void batch_norm_backward(const Tensor& grad_out, const Tensor& input, const Tensor& weight, const Tensor& save_mean,
                           const Tensor& save_invstd, const Tensor& grad_input, const Tensor& grad_weight,
                           const Tensor& grad_bias) override;
  void batch_norm_forward_eval(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                               const Tensor& weight, const Tensor& bias, double eps, const Tensor& out) override;
  // indexing (kernels/index.cu): gathers one thread per element, scatters one thread per slice (no atomics)
  void gather(const Tensor& in, int64_t dim, const Tensor& index, const Tensor& out) override;
  void scatter(ScatterMode mode, const Tensor& out, int64_t dim, const Tensor& index, const Tensor& src,
               Scalar value) override;
  void index_select(const Tensor& in, int64_t dim, const Tensor& index, const Tensor& out) override;
  void index_add(const Tensor& out, int64_t dim, const Tensor& index, const Tensor& source, Scalar alpha) override;
  // random (kernels/random.cu): the CPU's Philox stream, element i from block offset + i, any strides
  void random(RandomOp op, const Tensor& out, uint64_t seed, uint64_t offset, double a, double b) override;
  // optim (kernels/optim.cu): the fused steps in f32/f64, grad norm and unscale-and-check of any floating dtype
  void optim(OptimOp op, const OptimArgs& args) override;
  // sort (kernels/sort.cu): a stable bitonic sort per row in shared memory (rows up to 4096; longer via the host)
  void sort(const Tensor& in, int64_t dim, bool descending, bool stable, const Tensor& values,
            const Tensor& indices) override;
  void topk(const Tensor& in, int64_t k, int64_t dim, bool largest, bool sorted, const Tensor& values,
            const Tensor& indices) override;
  // LSH attention (kernels/lsh_attention.cu): one thread per query position, dk/dv by atomicAdd
  void lsh_attention_forward(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& q_order,
                             const Tensor& k_order, const Tensor& key_pad, const LshAttentionParams& p,
                             const Tensor& out, const Tensor& lse) override;
  void lsh_attention_backward(const Tensor& grad_out, const Tensor& q, const Tensor& k, const Tensor& v,
                              const Tensor& q_order, const Tensor& k_order, const Tensor& key_pad, const Tensor& out,
                              const Tensor& lse, const LshAttentionParams& p, const Tensor& grad_q,
                              const Tensor& grad_k, const Tensor& grad_v) override;
  // fused linear layer (kernels/linalg.cu): cuBLASLt's bias/activation epilogues in the nvcc build,
  // seek's own GEMM with the same epilogue in its store otherwise
  void gemm_epilogue(GemmEpilogue ep, const Tensor& a, const Tensor& b, const Tensor& bias, const Tensor& out,
                     const Tensor& aux) override;
};

// Each kernels/<family>.cu registers the family it implements and for which dtypes
// (a namespace-scope FamilyRegistrar), which CudaBackend::supports reports.
using DTypePredicate = bool (*)(DType);
struct FamilyRegistrar {
  FamilyRegistrar(BackendFamily family, DTypePredicate supported);
};

Backend* cuda_backend();
// The caching allocator over cudaMalloc/cudaFree (cuda_allocator.cpp); it
// allocates on the current device.
Allocator* cuda_allocator();

// "1.50 MiB": a byte count for messages (cuda_memory_stats.cpp).
std::string format_bytes(size_t n);
// Tensor::record_stream: the caching allocator's block at `ptr` is in use on
// `stream` until freed (cuda_allocator.cpp).
void allocator_record_stream(void* ptr, const Stream& stream);
// Pinned host memory (cuda_pinned.cpp): a caching allocator over cudaHostAlloc
// whose blocks are reused only after the events of the async copies that read
// them (pinned_record_stream) have completed.
void* pinned_allocate(size_t nbytes);
void pinned_free(void* ptr);
bool pinned_owns(const void* base);
void pinned_record_stream(const void* base, const Stream& stream);
void empty_host_cache();

// Why no GPU is visible (the cudaGetDeviceCount error), or "" when one is.
const std::string& no_gpu_reason();

// The stream seek queues device work on is current_stream() (seek/cuda/stream.h):
// this thread's current stream of the current device, converting to a cudaStream_t.

// Makes `device` current for its lifetime; throws DeviceError naming `op` for
// an index that is not a visible GPU.
class DeviceGuard {
 public:
  explicit DeviceGuard(int device, const char* op = "DeviceGuard");
  ~DeviceGuard();
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;

 private:
  int prev_ = -1;
  int device_ = -1;
};

}  // namespace seek::cuda

// Conv family through cuDNN (the nvcc build with cuDNN found; the simulator build and a build
// without cuDNN compile this file to nothing and run kernels/conv.cu's own kernels).
// Trick: the algorithm of each pass is chosen once per conv and kept in the process's
// ConvAlgoCache (src/backend/cuda/conv_algo_cache.h: plain C++, tested on the host), keyed by
// shapes, strides, dtype, layout, stride/padding/dilation/groups, device and the flags; with
// seek::backends::cudnn::benchmark on, cudnnFind*Ex times the candidates (at most
// benchmark_limit of them) once per key, otherwise cudnnGet*_v7's heuristics rank them;
// backends::cudnn::deterministic keeps only deterministic algorithms, and enabled = false sends
// convs to seek's own kernels. The workspace comes from seek's caching allocator, so a step
// after the first allocates nothing. The bias and its gradient use conv.cu's kernels in both
// paths. f32 uses FMA math unless backends::cudnn::allow_tf32 (default true, as torch) lets
// it use TF32 tensor cores; f16/bf16 use tensor cores and accumulate in f32; f64 uses FMA.
// Every cuDNN call goes through SEEK_CUDNN_CHECK (file and line).
#if defined(SEEK_HAVE_CUDNN) && !defined(SEEK_CUDA_SIM)
#include <cudnn.h>

#include <algorithm>
#include <array>
#include <vector>

#include "backend/cuda/conv_algo_cache.h"
#include "backend/cuda/cuda_backend.h"
#include "backend/cuda/cuda_check.h"
#include "kernels/conv.cuh"
#include "seek/backends.h"

namespace seek::cuda {

namespace {

[[noreturn]] void throw_cudnn_error(cudnnStatus_t st, const char* expr, const char* file, int line) {
  throw Error(str("cuDNN error ", cudnnGetErrorString(st), " in ", expr, " at ", file, ":", line));
}
inline void check_cudnn(cudnnStatus_t st, const char* expr, const char* file, int line) {
  if (st != CUDNN_STATUS_SUCCESS) throw_cudnn_error(st, expr, file, line);
}
#define SEEK_CUDNN_CHECK(expr) check_cudnn((expr), #expr, __FILE__, __LINE__)

// One handle per device and host thread, created on first use and kept (see linalg.cu's cuBLAS handles).
cudnnHandle_t cudnn_handle(cudaStream_t stream) {
  constexpr int kMaxDevices = 64;
  thread_local std::array<cudnnHandle_t, kMaxDevices> handles{};
  int device = 0;
  SEEK_CUDA_CHECK(cudaGetDevice(&device));
  SEEK_CHECK_T(DeviceError, device >= 0 && device < kMaxDevices, "conv2d: device ", device, " is out of range");
  cudnnHandle_t& h = handles[static_cast<size_t>(device)];
  if (h == nullptr) SEEK_CUDNN_CHECK(cudnnCreate(&h));
  SEEK_CUDNN_CHECK(cudnnSetStream(h, stream));
  return h;
}

// The math the flags allow: tensor cores for f16/bf16, TF32 for f32 only under
// backends::cudnn::allow_tf32 (CUDNN_DEFAULT_MATH permits it, FMA forbids it), FMA for f64.
cudnnMathType_t allowed_math(DType dt) {
  if (dt == DType::Float16 || dt == DType::BFloat16) return CUDNN_TENSOR_OP_MATH;
  if (dt == DType::Float32 && backends::cudnn::allow_tf32.load()) return CUDNN_DEFAULT_MATH;
  return CUDNN_FMA_MATH;
}

// The descriptors of one conv (dense; NCHW, or NHWC for channels_last tensors and an OHWI filter),
// destroyed with it.
struct ConvDescriptors {
  cudnnTensorDescriptor_t x = nullptr, y = nullptr;
  cudnnFilterDescriptor_t w = nullptr;
  cudnnConvolutionDescriptor_t conv = nullptr;

  ConvDescriptors(const Shape& xs, const Shape& ws, const Shape& ys, const Conv2dParams& p, DType dt, bool nhwc) {
    const cudnnTensorFormat_t fmt = nhwc ? CUDNN_TENSOR_NHWC : CUDNN_TENSOR_NCHW;
    const cudnnDataType_t data = dt == DType::Float64    ? CUDNN_DATA_DOUBLE
                                 : dt == DType::Float16  ? CUDNN_DATA_HALF
                                 : dt == DType::BFloat16 ? CUDNN_DATA_BFLOAT16
                                                         : CUDNN_DATA_FLOAT;
    const cudnnDataType_t compute = dt == DType::Float64 ? CUDNN_DATA_DOUBLE : CUDNN_DATA_FLOAT;
    const auto i = [](int64_t v) { return static_cast<int>(v); };
    SEEK_CUDNN_CHECK(cudnnCreateTensorDescriptor(&x));
    SEEK_CUDNN_CHECK(cudnnCreateTensorDescriptor(&y));
    SEEK_CUDNN_CHECK(cudnnCreateFilterDescriptor(&w));
    SEEK_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&conv));
    SEEK_CUDNN_CHECK(cudnnSetTensor4dDescriptor(x, fmt, data, i(xs[0]), i(xs[1]), i(xs[2]), i(xs[3])));
    SEEK_CUDNN_CHECK(cudnnSetTensor4dDescriptor(y, fmt, data, i(ys[0]), i(ys[1]), i(ys[2]), i(ys[3])));
    SEEK_CUDNN_CHECK(cudnnSetFilter4dDescriptor(w, data, fmt, i(ws[0]), i(ws[1]), i(ws[2]), i(ws[3])));
    SEEK_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(conv, i(p.padding[0]), i(p.padding[1]), i(p.stride[0]),
                                                     i(p.stride[1]), i(p.dilation[0]), i(p.dilation[1]),
                                                     CUDNN_CROSS_CORRELATION, compute));
    SEEK_CUDNN_CHECK(cudnnSetConvolutionGroupCount(conv, i(p.groups)));
    SEEK_CUDNN_CHECK(cudnnSetConvolutionMathType(conv, allowed_math(dt)));
  }
  ~ConvDescriptors() {
    cudnnDestroyConvolutionDescriptor(conv);
    cudnnDestroyFilterDescriptor(w);
    cudnnDestroyTensorDescriptor(y);
    cudnnDestroyTensorDescriptor(x);
  }
  ConvDescriptors(const ConvDescriptors&) = delete;
  ConvDescriptors& operator=(const ConvDescriptors&) = delete;
};

// cuDNN's perf results (cudnnFind* or cudnnGet*_v7) as the cache's plain records. A result whose
// math the flags forbid (TF32 for f32 without allow_tf32) does not count as usable.
template <typename Perf>
std::vector<ConvAlgoPerf> to_perfs(const Perf* perf, int found, DType dt) {
  std::vector<ConvAlgoPerf> out;
  const bool fma_only = dt != DType::Float16 && dt != DType::BFloat16 && allowed_math(dt) == CUDNN_FMA_MATH;
  for (int k = 0; k < found; ++k) {
    const Perf& p = perf[k];
    const bool math_ok = !fma_only || p.mathType == CUDNN_FMA_MATH;
    out.push_back(ConvAlgoPerf{static_cast<int>(p.algo), p.status == CUDNN_STATUS_SUCCESS && math_ok,
                               p.determinism == CUDNN_DETERMINISTIC, static_cast<int>(p.mathType), p.memory});
  }
  return out;
}

// How many algorithms benchmark mode times: benchmark_limit of cuDNN's max count (0: all).
int find_count(int max_count) {
  const int limit = backends::cudnn::benchmark_limit.load();
  return std::max(1, limit > 0 ? std::min(limit, max_count) : max_count);
}

// The most workspace cudnnFind may use while timing: the largest any ranked algorithm asks,
// up to 1 GiB; 0 when the caching allocator cannot provide it (only workspace-free algorithms
// are then timed).
size_t find_workspace_bytes(const std::vector<ConvAlgoPerf>& ranked) {
  size_t bytes = 0;
  for (const ConvAlgoPerf& r : ranked)
    if (r.ok) bytes = std::max(bytes, r.workspace);
  return std::min(bytes, size_t{1} << 30);
}

// Workspace bytes from the caching allocator (stream-ordered, reused by the next conv).
Tensor workspace(size_t bytes, Device device) {
  return empty({static_cast<int64_t>(bytes > 0 ? bytes : 1)}, TensorOptions(DType::UInt8).device(device));
}

// The search workspace, or an empty one when it cannot be had (see find_workspace_bytes).
Tensor find_workspace(size_t& bytes, Device device) {
  try {
    return workspace(bytes, device);
  } catch (const Error&) {
    bytes = 0;
    return workspace(0, device);
  }
}

bool fits(const Tensor& t) {
  constexpr int64_t kMaxElems = int64_t{1} << 31;  // cuDNN's 4-D descriptors take int sizes and strides
  return !t.defined() || t.numel() < kMaxElems;
}

struct Scalars {
  float f1 = 1, f0 = 0;
  double d1 = 1, d0 = 0;
  const void* one(DType dt) const { return dt == DType::Float64 ? static_cast<const void*>(&d1) : &f1; }
  const void* zero(DType dt) const { return dt == DType::Float64 ? static_cast<const void*>(&d0) : &f0; }
};

}  // namespace

bool cudnn_conv_forward(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dParams& p, const Tensor& y,
                        bool nhwc) {
  if (!backends::cudnn::enabled.load() || !fits(x) || !fits(w) || !fits(y)) return false;
  const DType dt = x.dtype();
  const ConvDescriptors d(x.sizes(), w.sizes(), y.sizes(), p, dt, nhwc);
  cudnnHandle_t h = cudnn_handle(current_stream());
  const ConvAlgoChoice c =
      choose_conv_algo(conv_algo_cache(), make_conv_algo_key(x, w, y, p), ConvPass::Forward, [&](bool benchmark) {
        int max_count = 0;
        SEEK_CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithmMaxCount(h, &max_count));
        std::vector<cudnnConvolutionFwdAlgoPerf_t> perf(static_cast<size_t>(std::max(max_count, 1)));
        int found = 0;
        SEEK_CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithm_v7(h, d.x, d.w, d.conv, d.y, static_cast<int>(perf.size()),
                                                                &found, perf.data()));
        std::vector<ConvAlgoPerf> ranked = to_perfs(perf.data(), found, dt);
        if (!benchmark) return ranked;
        size_t bytes = find_workspace_bytes(ranked);
        const Tensor ws = find_workspace(bytes, y.device());
        SEEK_CUDNN_CHECK(cudnnFindConvolutionForwardAlgorithmEx(h, d.x, x.data_ptr(), d.w, w.data_ptr(), d.conv, d.y,
                                                                y.data_ptr(), find_count(max_count), &found,
                                                                perf.data(), ws.data_ptr(), bytes));
        return to_perfs(perf.data(), found, dt);
      });
  const auto algo = static_cast<cudnnConvolutionFwdAlgo_t>(c.algo);
  SEEK_CUDNN_CHECK(cudnnSetConvolutionMathType(d.conv, static_cast<cudnnMathType_t>(c.math_type)));
  size_t bytes = 0;
  SEEK_CUDNN_CHECK(cudnnGetConvolutionForwardWorkspaceSize(h, d.x, d.w, d.conv, d.y, algo, &bytes));
  const Tensor ws = workspace(bytes, y.device());
  const Scalars s;
  SEEK_CUDNN_CHECK(cudnnConvolutionForward(h, s.one(dt), d.x, x.data_ptr(), d.w, w.data_ptr(), d.conv, algo,
                                           ws.data_ptr(), bytes, s.zero(dt), d.y, y.data_ptr()));
  if (b.defined()) add_channel_bias(y, b, current_stream());  // seek's kernels for the bias, every dtype
  return true;
}

bool cudnn_conv_backward(const Tensor& gy, const Tensor& x, const Tensor& w, const Conv2dParams& p,
                         const Shape& x_shape, const Tensor& gx, const Tensor& gw, const Tensor& gb, bool nhwc) {
  if (!backends::cudnn::enabled.load() || !fits(gy) || !fits(x) || !fits(w) || !fits(gx)) return false;
  const DType dt = gy.dtype();
  const ConvDescriptors d(x_shape, w.sizes(), gy.sizes(), p, dt, nhwc);
  cudnnHandle_t h = cudnn_handle(current_stream());
  const Tensor& shape_src = x.defined() ? x : gx;
  const ConvAlgoKey key = make_conv_algo_key(shape_src, w, gy, p);
  const Scalars s;
  if (gx.defined()) {
    const ConvAlgoChoice c = choose_conv_algo(conv_algo_cache(), key, ConvPass::BackwardData, [&](bool benchmark) {
      int max_count = 0;
      SEEK_CUDNN_CHECK(cudnnGetConvolutionBackwardDataAlgorithmMaxCount(h, &max_count));
      std::vector<cudnnConvolutionBwdDataAlgoPerf_t> perf(static_cast<size_t>(std::max(max_count, 1)));
      int found = 0;
      SEEK_CUDNN_CHECK(cudnnGetConvolutionBackwardDataAlgorithm_v7(h, d.w, d.y, d.conv, d.x,
                                                                   static_cast<int>(perf.size()), &found, perf.data()));
      std::vector<ConvAlgoPerf> ranked = to_perfs(perf.data(), found, dt);
      if (!benchmark) return ranked;
      size_t bytes = find_workspace_bytes(ranked);
      const Tensor ws = find_workspace(bytes, gx.device());
      SEEK_CUDNN_CHECK(cudnnFindConvolutionBackwardDataAlgorithmEx(h, d.w, w.data_ptr(), d.y, gy.data_ptr(), d.conv,
                                                                   d.x, gx.data_ptr(), find_count(max_count), &found,
                                                                   perf.data(), ws.data_ptr(), bytes));
      return to_perfs(perf.data(), found, dt);
    });
    const auto algo = static_cast<cudnnConvolutionBwdDataAlgo_t>(c.algo);
    SEEK_CUDNN_CHECK(cudnnSetConvolutionMathType(d.conv, static_cast<cudnnMathType_t>(c.math_type)));
    size_t bytes = 0;
    SEEK_CUDNN_CHECK(cudnnGetConvolutionBackwardDataWorkspaceSize(h, d.w, d.y, d.conv, d.x, algo, &bytes));
    const Tensor ws = workspace(bytes, gx.device());
    SEEK_CUDNN_CHECK(cudnnConvolutionBackwardData(h, s.one(dt), d.w, w.data_ptr(), d.y, gy.data_ptr(), d.conv, algo,
                                                  ws.data_ptr(), bytes, s.zero(dt), d.x, gx.data_ptr()));
  }
  if (gw.defined()) {
    const ConvAlgoChoice c = choose_conv_algo(conv_algo_cache(), key, ConvPass::BackwardFilter, [&](bool benchmark) {
      int max_count = 0;
      SEEK_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(h, &max_count));
      std::vector<cudnnConvolutionBwdFilterAlgoPerf_t> perf(static_cast<size_t>(std::max(max_count, 1)));
      int found = 0;
      SEEK_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterAlgorithm_v7(
          h, d.x, d.y, d.conv, d.w, static_cast<int>(perf.size()), &found, perf.data()));
      std::vector<ConvAlgoPerf> ranked = to_perfs(perf.data(), found, dt);
      if (!benchmark) return ranked;
      size_t bytes = find_workspace_bytes(ranked);
      const Tensor ws = find_workspace(bytes, gw.device());
      SEEK_CUDNN_CHECK(cudnnFindConvolutionBackwardFilterAlgorithmEx(h, d.x, x.data_ptr(), d.y, gy.data_ptr(), d.conv,
                                                                     d.w, gw.data_ptr(), find_count(max_count), &found,
                                                                     perf.data(), ws.data_ptr(), bytes));
      return to_perfs(perf.data(), found, dt);
    });
    const auto algo = static_cast<cudnnConvolutionBwdFilterAlgo_t>(c.algo);
    SEEK_CUDNN_CHECK(cudnnSetConvolutionMathType(d.conv, static_cast<cudnnMathType_t>(c.math_type)));
    size_t bytes = 0;
    SEEK_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterWorkspaceSize(h, d.x, d.y, d.conv, d.w, algo, &bytes));
    const Tensor ws = workspace(bytes, gw.device());
    SEEK_CUDNN_CHECK(cudnnConvolutionBackwardFilter(h, s.one(dt), d.x, x.data_ptr(), d.y, gy.data_ptr(), d.conv, algo,
                                                    ws.data_ptr(), bytes, s.zero(dt), d.w, gw.data_ptr()));
  }
  if (gb.defined()) channel_bias_grad(gy, gb, current_stream());  // deterministic (fixed-order f64 sums)
  return true;
}

}  // namespace seek::cuda

#endif  // SEEK_HAVE_CUDNN && !SEEK_CUDA_SIM

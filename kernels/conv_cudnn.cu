// Conv family through cuDNN (the nvcc build with cuDNN found; the simulator build and a build
// without cuDNN compile this file to nothing and run kernels/conv.cu's own kernels).
// Trick: the algorithm of each pass is chosen once per conv shape by cuDNN's heuristics and
// kept in a cache keyed by (device, dtype, shapes, stride, padding, dilation, groups); the
// workspace comes from seek's caching allocator, so a step after the first allocates nothing.
// The bias and its gradient use conv.cu's kernels in both paths. f32/f64 use FMA math only
// (no TF32, like PyTorch with TF32 off); f16/bf16 use tensor cores and accumulate in f32.
// Every cuDNN call goes through SEEK_CUDNN_CHECK (file and line).
#if defined(SEEK_HAVE_CUDNN) && !defined(SEEK_CUDA_SIM)
#include <cudnn.h>

#include <array>
#include <map>
#include <mutex>
#include <tuple>

#include "backend/cuda/cuda_backend.h"
#include "backend/cuda/cuda_check.h"
#include "kernels/conv.cuh"

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

// The descriptors of one conv (NCHW, dense), destroyed with it.
struct ConvDescriptors {
  cudnnTensorDescriptor_t x = nullptr, y = nullptr;
  cudnnFilterDescriptor_t w = nullptr;
  cudnnConvolutionDescriptor_t conv = nullptr;

  ConvDescriptors(const Shape& xs, const Shape& ws, const Shape& ys, const Conv2dParams& p, DType dt) {
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
    SEEK_CUDNN_CHECK(cudnnSetTensor4dDescriptor(x, CUDNN_TENSOR_NCHW, data, i(xs[0]), i(xs[1]), i(xs[2]), i(xs[3])));
    SEEK_CUDNN_CHECK(cudnnSetTensor4dDescriptor(y, CUDNN_TENSOR_NCHW, data, i(ys[0]), i(ys[1]), i(ys[2]), i(ys[3])));
    SEEK_CUDNN_CHECK(cudnnSetFilter4dDescriptor(w, data, CUDNN_TENSOR_NCHW, i(ws[0]), i(ws[1]), i(ws[2]), i(ws[3])));
    SEEK_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(conv, i(p.padding[0]), i(p.padding[1]), i(p.stride[0]),
                                                     i(p.stride[1]), i(p.dilation[0]), i(p.dilation[1]),
                                                     CUDNN_CROSS_CORRELATION, compute));
    SEEK_CUDNN_CHECK(cudnnSetConvolutionGroupCount(conv, i(p.groups)));
    const bool reduced = dt == DType::Float16 || dt == DType::BFloat16;
    SEEK_CUDNN_CHECK(cudnnSetConvolutionMathType(conv, reduced ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH));
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

// The algorithms chosen for one conv shape (-1: not chosen yet).
struct Algos {
  int fwd = -1, bwd_data = -1, bwd_filter = -1;
};
using AlgoKey = std::tuple<int, int, Shape, Shape, std::array<int64_t, 7>>;  // device, dtype, x, w, params

std::mutex g_algo_mutex;
std::map<AlgoKey, Algos> g_algos;

// The cached algorithm of one pass, or the first that cuDNN's heuristics rank and that runs.
template <typename Perf, typename Query>
int choose(const AlgoKey& key, int Algos::*which, Query query) {
  {
    std::lock_guard<std::mutex> lock(g_algo_mutex);
    const auto it = g_algos.find(key);
    if (it != g_algos.end() && it->second.*which >= 0) return it->second.*which;
  }
  constexpr int kMaxPerf = 16;
  Perf perf[kMaxPerf];
  int found = 0;
  SEEK_CUDNN_CHECK(query(kMaxPerf, &found, perf));
  int algo = -1;
  for (int k = 0; k < found && algo < 0; ++k)
    if (perf[k].status == CUDNN_STATUS_SUCCESS) algo = static_cast<int>(perf[k].algo);
  SEEK_CHECK(algo >= 0, "conv2d: cuDNN offers no algorithm for this convolution");
  std::lock_guard<std::mutex> lock(g_algo_mutex);
  g_algos[key].*which = algo;
  return algo;
}

AlgoKey key_of(const Tensor& x, const Tensor& w, const Conv2dParams& p) {
  return {x.device().index, static_cast<int>(x.dtype()), x.sizes(), w.sizes(),
          std::array<int64_t, 7>{p.stride[0], p.stride[1], p.padding[0], p.padding[1], p.dilation[0], p.dilation[1],
                                 p.groups}};
}

// Workspace bytes from the caching allocator (stream-ordered, reused by the next conv).
Tensor workspace(size_t bytes, Device device) {
  return empty({static_cast<int64_t>(bytes > 0 ? bytes : 1)}, TensorOptions(DType::UInt8).device(device));
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

bool cudnn_conv_forward(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dParams& p, const Tensor& y) {
  if (!fits(x) || !fits(w) || !fits(y)) return false;
  const DType dt = x.dtype();
  const ConvDescriptors d(x.sizes(), w.sizes(), y.sizes(), p, dt);
  cudnnHandle_t h = cudnn_handle(current_stream());
  const auto algo = static_cast<cudnnConvolutionFwdAlgo_t>(
      choose<cudnnConvolutionFwdAlgoPerf_t>(key_of(x, w, p), &Algos::fwd, [&](int n, int* found, auto* perf) {
        return cudnnGetConvolutionForwardAlgorithm_v7(h, d.x, d.w, d.conv, d.y, n, found, perf);
      }));
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
                         const Shape& x_shape, const Tensor& gx, const Tensor& gw, const Tensor& gb) {
  if (!fits(gy) || !fits(x) || !fits(w) || !fits(gx)) return false;
  const DType dt = gy.dtype();
  const ConvDescriptors d(x_shape, w.sizes(), gy.sizes(), p, dt);
  cudnnHandle_t h = cudnn_handle(current_stream());
  const Tensor& shape_src = x.defined() ? x : gx;
  const AlgoKey key = key_of(shape_src, w, p);
  const Scalars s;
  if (gx.defined()) {
    const auto algo = static_cast<cudnnConvolutionBwdDataAlgo_t>(
        choose<cudnnConvolutionBwdDataAlgoPerf_t>(key, &Algos::bwd_data, [&](int n, int* found, auto* perf) {
          return cudnnGetConvolutionBackwardDataAlgorithm_v7(h, d.w, d.y, d.conv, d.x, n, found, perf);
        }));
    size_t bytes = 0;
    SEEK_CUDNN_CHECK(cudnnGetConvolutionBackwardDataWorkspaceSize(h, d.w, d.y, d.conv, d.x, algo, &bytes));
    const Tensor ws = workspace(bytes, gx.device());
    SEEK_CUDNN_CHECK(cudnnConvolutionBackwardData(h, s.one(dt), d.w, w.data_ptr(), d.y, gy.data_ptr(), d.conv, algo,
                                                  ws.data_ptr(), bytes, s.zero(dt), d.x, gx.data_ptr()));
  }
  if (gw.defined()) {
    const auto algo = static_cast<cudnnConvolutionBwdFilterAlgo_t>(
        choose<cudnnConvolutionBwdFilterAlgoPerf_t>(key, &Algos::bwd_filter, [&](int n, int* found, auto* perf) {
          return cudnnGetConvolutionBackwardFilterAlgorithm_v7(h, d.x, d.y, d.conv, d.w, n, found, perf);
        }));
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

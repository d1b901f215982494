// The CPU twin of the fused conv -> batch norm -> residual -> ReLU kernels (backend/conv_bn_fused.h):
// the reference for the CUDA kernels and what CPU users run. The convolution is the CPU backend's own
// (conv2d_forward / conv2d_backward); what is fused is everything after it. The trick is to work one
// output channel at a time (OpenMP over channels): a channel's N planes of the NCHW conv output are
// read once from memory for the statistics and stay in cache for the centred variance and the
// normalise + affine + residual + ReLU write, so the activations cross memory once per direction
// instead of the unfused path's four passes (stats, normalise, add, relu) and their three temporaries.
// The backward likewise: one sweep of a channel for sum(g) and sum(g * xhat) with g = dy * relu mask,
// a second (cache-hot) one for grad_z and grad_residual. Sums are f64, sequential within a channel, so
// results do not depend on the thread count.
#include <omp.h>

#include <cmath>
#include <cstdint>

#include "backend/conv_bn_fused.h"
#include "seek/backend/backend.h"
#include "seek/core/error.h"

namespace seek::backend_detail {

namespace {

template <typename T>
const T* cptr(const Tensor& t) {
  return t.defined() ? static_cast<const T*>(t.data_ptr()) : nullptr;
}
template <typename T>
T* mptr(const Tensor& t) {
  return t.defined() ? static_cast<T*>(t.data_ptr()) : nullptr;
}

template <typename T>
void normalize_channels(const ConvBnForwardArgs& a) {
  const int64_t N = a.z.size(0), C = a.z.size(1), HW = a.z.numel() / (N * C);
  const double n = static_cast<double>(N * HW);
  const T* z = cptr<T>(a.z);
  const T* res = cptr<T>(a.residual);
  const T* gamma = cptr<T>(a.bn_weight);
  const T* beta = cptr<T>(a.bn_bias);
  T* out = mptr<T>(a.out);
  T* mean_out = mptr<T>(a.mean);
  T* invstd_out = mptr<T>(a.invstd);
  T* var_out = mptr<T>(a.var);
  const bool relu = a.relu;
  const double eps = a.eps;
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < C; ++c) {
    double sum = 0.0;
    for (int64_t i = 0; i < N; ++i) {
      const T* p = z + (i * C + c) * HW;
      for (int64_t j = 0; j < HW; ++j) sum += static_cast<double>(p[j]);
    }
    const double mean = sum / n;
    double ss = 0.0;  // centred second pass over the cache-hot channel: no cancellation
    for (int64_t i = 0; i < N; ++i) {
      const T* p = z + (i * C + c) * HW;
      for (int64_t j = 0; j < HW; ++j) {
        const double d = static_cast<double>(p[j]) - mean;
        ss += d * d;
      }
    }
    const double var = ss / n, invstd = 1.0 / std::sqrt(var + eps);
    const double scale = (gamma ? static_cast<double>(gamma[c]) : 1.0) * invstd;
    const double shift = (beta ? static_cast<double>(beta[c]) : 0.0) - mean * scale;
    const T s = static_cast<T>(scale), b = static_cast<T>(shift);
    for (int64_t i = 0; i < N; ++i) {
      const int64_t off = (i * C + c) * HW;
      const T* p = z + off;
      T* o = out + off;
      const T* r = res ? res + off : nullptr;
      for (int64_t j = 0; j < HW; ++j) {
        T y = p[j] * s + b;
        if (r) y += r[j];
        o[j] = relu && y < T(0) ? T(0) : y;  // NaN passes, as torch.relu
      }
    }
    mean_out[c] = static_cast<T>(mean);
    invstd_out[c] = static_cast<T>(invstd);
    if (var_out) var_out[c] = static_cast<T>(var);
  }
}

template <typename T>
void backward_channels(const ConvBnBackwardArgs& a, const Tensor& grad_z) {
  const int64_t N = a.z.size(0), C = a.z.size(1), HW = a.z.numel() / (N * C);
  const double n = static_cast<double>(N * HW);
  const T* gy = cptr<T>(a.grad_out);
  const T* z = cptr<T>(a.z);
  const T* out = a.relu ? cptr<T>(a.out) : nullptr;
  const T* gamma = cptr<T>(a.bn_weight);
  const T* mean = cptr<T>(a.mean);
  const T* invstd = cptr<T>(a.invstd);
  T* gz = mptr<T>(grad_z);
  T* gres = mptr<T>(a.grad_residual);
  T* gw = mptr<T>(a.grad_bn_weight);
  T* gb = mptr<T>(a.grad_bn_bias);
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < C; ++c) {
    const double mu = static_cast<double>(mean[c]), is = static_cast<double>(invstd[c]);
    double sg = 0.0, sgx = 0.0;
    for (int64_t i = 0; i < N; ++i) {
      const int64_t off = (i * C + c) * HW;
      for (int64_t j = 0; j < HW; ++j) {
        if (out && !(out[off + j] > T(0))) continue;
        const double g = static_cast<double>(gy[off + j]);
        sg += g;
        sgx += g * (static_cast<double>(z[off + j]) - mu);
      }
    }
    sgx *= is;  // sum(g * xhat)
    if (gb) gb[c] = static_cast<T>(sg);
    if (gw) gw[c] = static_cast<T>(sgx);
    if (!gz && !gres) continue;
    const double k = (gamma ? static_cast<double>(gamma[c]) : 1.0) * is;
    // grad_z = k * g - k * sg / n - (z - mean) * (k * is * sgx / n)
    const T kk = static_cast<T>(k), shift = static_cast<T>(-k * sg / n + mu * k * is * sgx / n),
            slope = static_cast<T>(-k * is * sgx / n);
    for (int64_t i = 0; i < N; ++i) {
      const int64_t off = (i * C + c) * HW;
      for (int64_t j = 0; j < HW; ++j) {
        const T g = out && !(out[off + j] > T(0)) ? T(0) : gy[off + j];
        if (gres) gres[off + j] = g;
        if (gz) gz[off + j] = kk * g + slope * z[off + j] + shift;
      }
    }
  }
}

bool cpu_supports(DType dt) { return dt == kFloat32 || dt == kFloat64; }

void cpu_forward(const ConvBnForwardArgs& a) {
  backend(a.input.device()).conv2d_forward(a.input, a.weight, a.conv_bias, a.p, a.z);
  if (a.z.dtype() == kFloat64)
    normalize_channels<double>(a);
  else
    normalize_channels<float>(a);
}

void cpu_backward(const ConvBnBackwardArgs& a) {
  const bool conv_grads = a.grad_input.defined() || a.grad_weight.defined() || a.grad_conv_bias.defined();
  Tensor gz;
  if (conv_grads) gz = empty(a.z.sizes(), TensorOptions(a.z.dtype()).device(a.z.device()));
  if (a.z.dtype() == kFloat64)
    backward_channels<double>(a, gz);
  else
    backward_channels<float>(a, gz);
  if (conv_grads)
    backend(a.input.device())
        .conv2d_backward(gz, a.grad_weight.defined() ? a.input : Tensor(), a.weight, a.p, a.grad_input, a.grad_weight,
                         a.grad_conv_bias);
}

const ConvBnRegistrar cpu_conv_bn(DeviceType::CPU,
                                  ConvBnKernels{MemoryFormat::Contiguous, &cpu_supports, &cpu_forward, &cpu_backward});

}  // namespace

}  // namespace seek::backend_detail

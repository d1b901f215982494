// The CPU twin of the fused conv -> batch norm -> residual -> ReLU kernels (backend/conv_bn_fused.h):
// the reference for the CUDA kernels and what CPU users run. The convolution is the CPU backend's own
// (conv2d_forward / conv2d_backward); what is fused is everything after it. The trick is to work one
// output channel at a time (OpenMP over channels): a channel's N planes of the NCHW conv output are
// read once from memory for the statistics and stay in cache for the centred variance and the
// normalise + affine + residual + ReLU write, so the activations cross memory once per direction
// instead of the unfused path's four passes (stats, normalise, add, relu) and their three temporaries.
// The backward likewise: one sweep of a channel for sum(g) and sum(g * xhat) with g = dy * relu mask,
// a second (cache-hot) one for grad_z and grad_residual. Sums run in 16 lanes of the input type per
// plane (vectorised), added in f64 in a fixed order, so results do not depend on the thread count.
#include <omp.h>

#include <cmath>
#include <cstdint>
#include <limits>

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

// sum over j < n of f(j) with kLanes independent accumulators of type T (float lanes for f32: the compiler
// vectorises them; one serial f64 chain would cost an add latency per element), added up in f64 in a
// fixed order, so the result does not depend on threads.
constexpr int kLanes = 16;
template <typename T, typename F>
double lane_sum(int64_t n, F f) {
  T acc[kLanes] = {};
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes)
    for (int l = 0; l < kLanes; ++l) acc[l] += f(j + l);
  double s = 0.0;
  for (int l = 0; l < kLanes; ++l) s += static_cast<double>(acc[l]);
  for (; j < n; ++j) s += static_cast<double>(f(j));
  return s;
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
      sum += lane_sum<T>(HW, [p](int64_t j) { return p[j]; });
    }
    const double mean = sum / n;
    const T mt = static_cast<T>(mean);
    double ss = 0.0;  // centred second pass over the cache-hot channel: no cancellation
    for (int64_t i = 0; i < N; ++i) {
      const T* p = z + (i * C + c) * HW;
      ss += lane_sum<T>(HW, [p, mt](int64_t j) {
        const T d = p[j] - mt;
        return d * d;
      });
    }
    const double var = ss / n, invstd = 1.0 / std::sqrt(var + eps);
    const double scale = (gamma ? static_cast<double>(gamma[c]) : 1.0) * invstd;
    const double shift = (beta ? static_cast<double>(beta[c]) : 0.0) - mean * scale;
    const T s = static_cast<T>(scale), b = static_cast<T>(shift);
    const T lo = relu ? T(0) : -std::numeric_limits<T>::infinity();
    for (int64_t i = 0; i < N; ++i) {
      const int64_t off = (i * C + c) * HW;
      const T* p = z + off;
      T* o = out + off;
      if (res != nullptr) {
        const T* r = res + off;
        for (int64_t j = 0; j < HW; ++j) {
          const T y = p[j] * s + b + r[j];
          o[j] = y < lo ? lo : y;  // NaN passes, as torch.relu
        }
      } else {
        for (int64_t j = 0; j < HW; ++j) {
          const T y = p[j] * s + b;
          o[j] = y < lo ? lo : y;
        }
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
    const T mt = mean[c];
    double sg = 0.0, sgx = 0.0;
    for (int64_t i = 0; i < N; ++i) {
      const int64_t off = (i * C + c) * HW;
      const T* g = gy + off;
      const T* p = z + off;
      if (out != nullptr) {
        const T* o = out + off;
        // The mask as a factor, not a select: GCC 12 at -O3 -march=native (AVX-512) miscompiles the select
        // form of this f64 lane reduction (wrong sums; the f32 one is right).
        sg += lane_sum<T>(HW, [g, o](int64_t j) { return g[j] * static_cast<T>(o[j] > T(0)); });
        sgx += lane_sum<T>(HW, [g, o, p, mt](int64_t j) { return g[j] * static_cast<T>(o[j] > T(0)) * (p[j] - mt); });
      } else {
        sg += lane_sum<T>(HW, [g](int64_t j) { return g[j]; });
        sgx += lane_sum<T>(HW, [g, p, mt](int64_t j) { return g[j] * (p[j] - mt); });
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
      const T* g = gy + off;
      const T* p = z + off;
      const T* o = out != nullptr ? out + off : nullptr;
      T* dz = gz != nullptr ? gz + off : nullptr;
      T* dr = gres != nullptr ? gres + off : nullptr;
      for (int64_t j = 0; j < HW; ++j) {
        const T gm = o == nullptr || o[j] > T(0) ? g[j] : T(0);
        if (dr) dr[j] = gm;
        if (dz) dz[j] = kk * gm + slope * p[j] + shift;
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

// CPU pool family: max / average / adaptive average 2-D pooling over
// [N, C, H, W] inputs, one (n, c) plane per OpenMP iteration, accumulating in
// acc_t<T>. Window rules follow PyTorch: a max window skips padded positions,
// an average window may be clipped by the padding (count_include_pad decides
// the divisor), an adaptive window is [floor(i*H/OH), ceil((i+1)*H/OH)).
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "backend/cpu/cpu_backend.h"
#include "seek/core/convert.h"

namespace seek::cpu {

namespace {

constexpr int64_t kParallelElems = 1 << 14;

// Runs f(plane) for every plane; parallel when the work is large.
template <typename F>
void for_planes(int64_t planes, int64_t work_per_plane, F f) {
  const bool par = planes > 1 && planes * work_per_plane >= kParallelElems && !omp_in_parallel();
#pragma omp parallel for schedule(static) if (par)
  for (int64_t i = 0; i < planes; ++i) f(i);
}

Tensor contiguous_in(const Tensor& t, CpuBackend& be) {
  if (t.is_contiguous()) return t;
  Tensor d = empty(t.sizes(), TensorOptions(t.dtype()));
  be.copy(t, d);
  return d;
}

void check_out(const Tensor& out, const char* op) {
  SEEK_CHECK(out.is_contiguous(), op, ": out must be contiguous");
}

}  // namespace

void CpuBackend::max_pool2d_forward(const Tensor& input, const PoolParams& p, const Tensor& out,
                                    const Tensor& indices) {
  check_out(out, "max_pool2d");
  check_out(indices, "max_pool2d");
  Tensor x = contiguous_in(input, *this);
  const int64_t H = x.size(2), W = x.size(3), OH = out.size(2), OW = out.size(3);
  int64_t* idx = static_cast<int64_t*>(indices.data_ptr());
  SEEK_DISPATCH_FLOATING(x.dtype(), "max_pool2d", [&] {
    using T = scalar_t;
    using A = acc_t<T>;
    const T* px = static_cast<const T*>(x.data_ptr());
    T* py = static_cast<T*>(out.data_ptr());
    for_planes(x.size(0) * x.size(1), OH * OW * p.kernel[0] * p.kernel[1], [&](int64_t pl) {
      const T* src = px + pl * H * W;
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow) {
          A best = -std::numeric_limits<A>::infinity();
          int64_t bi = -1;
          for (int64_t i = 0; i < p.kernel[0]; ++i) {
            const int64_t ih = oh * p.stride[0] - p.padding[0] + i * p.dilation[0];
            if (ih < 0 || ih >= H) continue;
            for (int64_t j = 0; j < p.kernel[1]; ++j) {
              const int64_t iw = ow * p.stride[1] - p.padding[1] + j * p.dilation[1];
              if (iw < 0 || iw >= W) continue;
              const A v = convert<A>(src[ih * W + iw]);
              if (bi < 0 || v > best || std::isnan(v)) {  // NaN propagates, like torch
                best = v;
                bi = ih * W + iw;
                if (std::isnan(v)) i = p.kernel[0], j = p.kernel[1];
              }
            }
          }
          py[(pl * OH + oh) * OW + ow] = convert<T>(best);
          idx[(pl * OH + oh) * OW + ow] = bi;
        }
    });
  });
}

void CpuBackend::max_pool2d_backward(const Tensor& grad_out, const Tensor& indices, const Tensor& grad_input) {
  check_out(grad_input, "max_pool2d_backward");
  Tensor gy = contiguous_in(grad_out, *this), id = contiguous_in(indices, *this);
  const int64_t HW = grad_input.size(2) * grad_input.size(3), L = gy.size(2) * gy.size(3);
  const int64_t* pid = static_cast<const int64_t*>(id.data_ptr());
  for (int64_t i = 0; i < id.numel(); ++i)
    SEEK_CHECK_INDEX(pid[i] >= 0 && pid[i] < HW, "max_pool2d_backward: index ", pid[i], " is out of range for ",
                     HW, " positions per plane");
  SEEK_DISPATCH_FLOATING(gy.dtype(), "max_pool2d_backward", [&] {
    using T = scalar_t;
    using A = acc_t<T>;
    const T* g = static_cast<const T*>(gy.data_ptr());
    T* gx = static_cast<T*>(grad_input.data_ptr());
    for_planes(gy.size(0) * gy.size(1), L + HW, [&](int64_t pl) {
      T* dst = gx + pl * HW;
      std::fill(dst, dst + HW, T(0));
      for (int64_t l = 0; l < L; ++l) {
        const int64_t k = pid[pl * L + l];
        dst[k] = convert<T>(convert<A>(dst[k]) + convert<A>(g[pl * L + l]));
      }
    });
  });
}

namespace {

// The clipped window of output (oh, ow) and its divisor.
struct AvgWindow {
  int64_t h0, h1, w0, w1;
  double div;
};

AvgWindow avg_window(const PoolParams& p, int64_t H, int64_t W, int64_t oh, int64_t ow) {
  int64_t h0 = oh * p.stride[0] - p.padding[0], w0 = ow * p.stride[1] - p.padding[1];
  int64_t h1 = std::min(h0 + p.kernel[0], H + p.padding[0]), w1 = std::min(w0 + p.kernel[1], W + p.padding[1]);
  const int64_t pool = (h1 - h0) * (w1 - w0);
  h0 = std::max<int64_t>(h0, 0), w0 = std::max<int64_t>(w0, 0);
  h1 = std::min(h1, H), w1 = std::min(w1, W);
  const int64_t n = p.count_include_pad ? pool : (h1 - h0) * (w1 - w0);
  return {h0, h1, w0, w1, static_cast<double>(std::max<int64_t>(n, 1))};
}

AvgWindow adaptive_window(int64_t H, int64_t W, int64_t OH, int64_t OW, int64_t oh, int64_t ow) {
  const int64_t h0 = oh * H / OH, h1 = ((oh + 1) * H + OH - 1) / OH;
  const int64_t w0 = ow * W / OW, w1 = ((ow + 1) * W + OW - 1) / OW;
  return {h0, h1, w0, w1, static_cast<double>(std::max<int64_t>((h1 - h0) * (w1 - w0), 1))};
}

// out[plane, oh, ow] = mean over window(oh, ow) of x[plane].
template <typename Win>
void avg_forward(const Tensor& x, const Tensor& out, Win win) {
  const int64_t H = x.size(2), W = x.size(3), OH = out.size(2), OW = out.size(3);
  SEEK_DISPATCH_FLOATING(x.dtype(), "avg_pool2d", [&] {
    using T = scalar_t;
    using A = acc_t<T>;
    const T* px = static_cast<const T*>(x.data_ptr());
    T* py = static_cast<T*>(out.data_ptr());
    for_planes(x.size(0) * x.size(1), H * W + OH * OW, [&](int64_t pl) {
      const T* src = px + pl * H * W;
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow) {
          const AvgWindow w = win(oh, ow);
          A s = A(0);
          for (int64_t ih = w.h0; ih < w.h1; ++ih)
            for (int64_t iw = w.w0; iw < w.w1; ++iw) s += convert<A>(src[ih * W + iw]);
          py[(pl * OH + oh) * OW + ow] = convert<T>(s / static_cast<A>(w.div));
        }
    });
  });
}

// The adjoint: grad_input[plane, window] += grad_out / divisor.
template <typename Win>
void avg_backward(const Tensor& gy, const Tensor& gx, Win win) {
  const int64_t H = gx.size(2), W = gx.size(3), OH = gy.size(2), OW = gy.size(3);
  SEEK_DISPATCH_FLOATING(gy.dtype(), "avg_pool2d_backward", [&] {
    using T = scalar_t;
    using A = acc_t<T>;
    const T* pg = static_cast<const T*>(gy.data_ptr());
    T* px = static_cast<T*>(gx.data_ptr());
    for_planes(gy.size(0) * gy.size(1), H * W + OH * OW, [&](int64_t pl) {
      std::vector<A> acc(static_cast<size_t>(H * W), A(0));
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow) {
          const AvgWindow w = win(oh, ow);
          const A v = convert<A>(pg[(pl * OH + oh) * OW + ow]) / static_cast<A>(w.div);
          for (int64_t ih = w.h0; ih < w.h1; ++ih)
            for (int64_t iw = w.w0; iw < w.w1; ++iw) acc[static_cast<size_t>(ih * W + iw)] += v;
        }
      T* dst = px + pl * H * W;
      for (int64_t i = 0; i < H * W; ++i) dst[i] = convert<T>(acc[static_cast<size_t>(i)]);
    });
  });
}

}  // namespace

void CpuBackend::avg_pool2d_forward(const Tensor& input, const PoolParams& p, const Tensor& out) {
  check_out(out, "avg_pool2d");
  Tensor x = contiguous_in(input, *this);
  const int64_t H = x.size(2), W = x.size(3);
  avg_forward(x, out, [&](int64_t oh, int64_t ow) { return avg_window(p, H, W, oh, ow); });
}

void CpuBackend::avg_pool2d_backward(const Tensor& grad_out, const PoolParams& p, const Tensor& grad_input) {
  check_out(grad_input, "avg_pool2d_backward");
  Tensor gy = contiguous_in(grad_out, *this);
  const int64_t H = grad_input.size(2), W = grad_input.size(3);
  avg_backward(gy, grad_input, [&](int64_t oh, int64_t ow) { return avg_window(p, H, W, oh, ow); });
}

void CpuBackend::adaptive_avg_pool2d_forward(const Tensor& input, const Tensor& out) {
  check_out(out, "adaptive_avg_pool2d");
  Tensor x = contiguous_in(input, *this);
  const int64_t H = x.size(2), W = x.size(3), OH = out.size(2), OW = out.size(3);
  avg_forward(x, out, [&](int64_t oh, int64_t ow) { return adaptive_window(H, W, OH, OW, oh, ow); });
}

void CpuBackend::adaptive_avg_pool2d_backward(const Tensor& grad_out, const Tensor& grad_input) {
  check_out(grad_input, "adaptive_avg_pool2d_backward");
  Tensor gy = contiguous_in(grad_out, *this);
  const int64_t H = grad_input.size(2), W = grad_input.size(3), OH = gy.size(2), OW = gy.size(3);
  avg_backward(gy, grad_input, [&](int64_t oh, int64_t ow) { return adaptive_window(H, W, OH, OW, oh, ow); });
}

}  // namespace seek::cpu

// CPU pool family: max / average / adaptive average 2-D pooling over
// [N, C, H, W] inputs, one (n, c) plane per OpenMP iteration, accumulating in
// acc_t<T>. Window rules follow PyTorch: a max window skips padded positions,
// an average window may be clipped by the padding (count_include_pad decides
// the divisor), an adaptive window is [floor(i*H/OH), ceil((i+1)*H/OH)).
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

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

// The loops index NCHW planes: an out of other strides (channels_last) is computed into a contiguous
// buffer and copied back (the CUDA backend writes NHWC natively; here the copy is cheap next to the loop).
Tensor stage(const Tensor& out) { return out.is_contiguous() ? out : empty(out.sizes(), TensorOptions(out.dtype())); }
void unstage(const Tensor& buf, const Tensor& out, CpuBackend& be) {
  if (!buf.is_same(out)) be.copy(buf, out);
}

}  // namespace

namespace {

// One kernel tap over a run of output columns: a branch-free running max (a select per
// element, which the compiler vectorises). Larger values win, ties keep the earlier tap, and a
// NaN always wins (so the index is the window's last NaN, PyTorch's rule).
template <int64_t kStride, typename T, typename A>
void max_tap_row(const T* __restrict src, int64_t off, int64_t sw, int64_t lo, int64_t hi, A* __restrict best,
                 int64_t* __restrict arg) {
  const int64_t stride = kStride > 0 ? kStride : sw;  // a compile-time stride lets the loads vectorise
  for (int64_t ow = lo; ow < hi; ++ow) {
    const int64_t at = off + ow * stride;
    const A v = convert<A>(src[at]);
    const A b = best[ow];
    const bool take = (v > b) | (v != v);
    best[ow] = take ? v : b;
    arg[ow] = take ? at : arg[ow];
  }
}

template <typename T, typename A>
void max_tap_row_any(const T* src, int64_t off, int64_t sw, int64_t lo, int64_t hi, A* best, int64_t* arg) {
  if (sw == 1)
    max_tap_row<1>(src, off, sw, lo, hi, best, arg);
  else if (sw == 2)
    max_tap_row<2>(src, off, sw, lo, hi, best, arg);
  else
    max_tap_row<0>(src, off, sw, lo, hi, best, arg);
}

// The common 2x2 window with stride 2 and no padding, every window inside the plane: one output
// row from two input rows, the window's four values compared in registers in (i, j) order with
// max_tap_row's rule.
template <typename T, typename A>
void max_pool_2x2_row(const T* __restrict r0, const T* __restrict r1, int64_t base, int64_t W, int64_t OW,
                      T* __restrict dst, int64_t* __restrict arg) {
  for (int64_t ow = 0; ow < OW; ++ow) {
    // The winner as a 32-bit tap number (0..3), so that the selects stay as wide as the floats
    // and the loop vectorises; the int64 index is formed once.
    const A v0 = convert<A>(r0[2 * ow]), v1 = convert<A>(r0[2 * ow + 1]);
    const A v2 = convert<A>(r1[2 * ow]), v3 = convert<A>(r1[2 * ow + 1]);
    A b = v0;
    int32_t k = 0;
    bool take = (v1 > b) | (v1 != v1);
    b = take ? v1 : b, k = take ? 1 : k;
    take = (v2 > b) | (v2 != v2);
    b = take ? v2 : b, k = take ? 2 : k;
    take = (v3 > b) | (v3 != v3);
    b = take ? v3 : b, k = take ? 3 : k;
    dst[ow] = convert<T>(b);
    arg[ow] = base + (k >> 1) * W + 2 * ow + (k & 1);
  }
}

}  // namespace

void CpuBackend::max_pool2d_forward(const Tensor& input, const PoolParams& p, const Tensor& out,
                                    const Tensor& indices) {
  if (!out.is_contiguous() || !indices.is_contiguous()) {
    const Tensor o = stage(out), i = stage(indices);
    max_pool2d_forward(input, p, o, i);
    unstage(o, out, *this), unstage(i, indices, *this);
    return;
  }
  Tensor x = contiguous_in(input, *this);
  const int64_t H = x.size(2), W = x.size(3), OH = out.size(2), OW = out.size(3);
  int64_t* idx = static_cast<int64_t*>(indices.data_ptr());
  SEEK_DISPATCH_FLOATING(x.dtype(), "max_pool2d", [&] {
    using T = scalar_t;
    using A = acc_t<T>;
    const T* px = static_cast<const T*>(x.data_ptr());
    T* py = static_cast<T*>(out.data_ptr());
    const int64_t kh = p.kernel[0], kw = p.kernel[1], sh = p.stride[0], sw = p.stride[1];
    const int64_t dh = p.dilation[0], dw = p.dilation[1], ph = p.padding[0], pw = p.padding[1];
    if (kh == 2 && kw == 2 && sh == 2 && sw == 2 && dh == 1 && dw == 1 && ph == 0 && pw == 0 && 2 * OH <= H &&
        2 * OW <= W) {
      for_planes(x.size(0) * x.size(1), OH * OW * 4, [=](int64_t pl) {
        const T* src = px + pl * H * W;
        for (int64_t oh = 0; oh < OH; ++oh)
          max_pool_2x2_row<T, A>(src + 2 * oh * W, src + (2 * oh + 1) * W, 2 * oh * W, W, OW, py + (pl * OH + oh) * OW,
                                 idx + (pl * OH + oh) * OW);
      });
      return;
    }
    // The kernel rows [i0, i1) / columns of output row oh / column ow that fall inside the input.
    auto taps = [](int64_t o, int64_t s, int64_t pad, int64_t d, int64_t k, int64_t n, int64_t& t0, int64_t& t1) {
      const int64_t start = o * s - pad;
      t0 = start >= 0 ? 0 : (-start + d - 1) / d;
      t1 = n - start <= 0 ? 0 : std::min(k, (n - start + d - 1) / d);
      if (t1 < t0) t1 = t0;
    };
    // Output columns [lo, hi) whose kernel column j falls inside the input.
    std::vector<int64_t> c0(static_cast<size_t>(kw)), c1(static_cast<size_t>(kw));
    for (int64_t j = 0; j < kw; ++j) {
      const int64_t off = j * dw - pw;
      c0[j] = off >= 0 ? 0 : std::min<int64_t>(OW, (-off + sw - 1) / sw);
      c1[j] = W - off <= 0 ? 0 : std::min<int64_t>(OW, (W - off + sw - 1) / sw);
      if (c1[j] < c0[j]) c1[j] = c0[j];
    }
    const int64_t* cc0 = c0.data();
    const int64_t* cc1 = c1.data();
    for_planes(x.size(0) * x.size(1), OH * OW * kh * kw, [=](int64_t pl) {
      // Taps outer, output columns inner (max_tap_row); taps come in (i, j) order, so the first
      // maximum of a window wins and a NaN propagates.
      const T* __restrict src = px + pl * H * W;
      T* __restrict dst = py + pl * OH * OW;
      int64_t* __restrict di = idx + pl * OH * OW;
      std::vector<A> best(static_cast<size_t>(OW));
      A* __restrict b = best.data();
      for (int64_t oh = 0; oh < OH; ++oh) {
        int64_t i0, i1;
        taps(oh, sh, ph, dh, kh, H, i0, i1);
        int64_t* __restrict bi = di + oh * OW;
        for (int64_t ow = 0; ow < OW; ++ow) b[ow] = -std::numeric_limits<A>::infinity(), bi[ow] = -1;
        for (int64_t i = i0; i < i1; ++i) {
          const int64_t row = (oh * sh - ph + i * dh) * W;
          for (int64_t j = 0; j < kw; ++j) max_tap_row_any(src, row + j * dw - pw, sw, cc0[j], cc1[j], b, bi);
        }
        // A window of only -inf keeps no index above: give it its first tap, as a scan would.
        for (int64_t ow = 0; ow < OW; ++ow)
          if (bi[ow] < 0 && i0 < i1) {
            for (int64_t j = 0; j < kw; ++j)
              if (ow >= cc0[j] && ow < cc1[j]) {
                bi[ow] = (oh * sh - ph + i0 * dh) * W + ow * sw + j * dw - pw;
                break;
              }
          }
        for (int64_t ow = 0; ow < OW; ++ow) dst[oh * OW + ow] = convert<T>(b[ow]);
      }
    });
  });
}

void CpuBackend::max_pool2d_backward(const Tensor& grad_out, const Tensor& indices, const Tensor& grad_input) {
  if (!grad_input.is_contiguous()) {
    const Tensor g = stage(grad_input);
    max_pool2d_backward(grad_out, indices, g);
    return unstage(g, grad_input, *this);
  }
  Tensor gy = contiguous_in(grad_out, *this), id = contiguous_in(indices, *this);
  const int64_t HW = grad_input.size(2) * grad_input.size(3), L = gy.size(2) * gy.size(3);
  const int64_t* pid = static_cast<const int64_t*>(id.data_ptr());
  const int64_t n_idx = id.numel();
  for (int64_t i = 0; i < n_idx; ++i)
    SEEK_CHECK_INDEX(pid[i] >= 0 && pid[i] < HW, "max_pool2d_backward: index ", pid[i], " is out of range for ", HW,
                     " positions per plane");
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
  if (!out.is_contiguous()) {
    const Tensor o = stage(out);
    avg_pool2d_forward(input, p, o);
    return unstage(o, out, *this);
  }
  Tensor x = contiguous_in(input, *this);
  const int64_t H = x.size(2), W = x.size(3);
  avg_forward(x, out, [&](int64_t oh, int64_t ow) { return avg_window(p, H, W, oh, ow); });
}

void CpuBackend::avg_pool2d_backward(const Tensor& grad_out, const PoolParams& p, const Tensor& grad_input) {
  if (!grad_input.is_contiguous()) {
    const Tensor g = stage(grad_input);
    avg_pool2d_backward(grad_out, p, g);
    return unstage(g, grad_input, *this);
  }
  Tensor gy = contiguous_in(grad_out, *this);
  const int64_t H = grad_input.size(2), W = grad_input.size(3);
  avg_backward(gy, grad_input, [&](int64_t oh, int64_t ow) { return avg_window(p, H, W, oh, ow); });
}

void CpuBackend::adaptive_avg_pool2d_forward(const Tensor& input, const Tensor& out) {
  if (!out.is_contiguous()) {
    const Tensor o = stage(out);
    adaptive_avg_pool2d_forward(input, o);
    return unstage(o, out, *this);
  }
  Tensor x = contiguous_in(input, *this);
  const int64_t H = x.size(2), W = x.size(3), OH = out.size(2), OW = out.size(3);
  avg_forward(x, out, [&](int64_t oh, int64_t ow) { return adaptive_window(H, W, OH, OW, oh, ow); });
}

void CpuBackend::adaptive_avg_pool2d_backward(const Tensor& grad_out, const Tensor& grad_input) {
  if (!grad_input.is_contiguous()) {
    const Tensor g = stage(grad_input);
    adaptive_avg_pool2d_backward(grad_out, g);
    return unstage(g, grad_input, *this);
  }
  Tensor gy = contiguous_in(grad_out, *this);
  const int64_t H = grad_input.size(2), W = grad_input.size(3), OH = gy.size(2), OW = gy.size(3);
  avg_backward(gy, grad_input, [&](int64_t oh, int64_t ow) { return adaptive_window(H, W, OH, OW, oh, ow); });
}

}  // namespace seek::cpu

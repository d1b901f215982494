// Pool family on the GPU: max, average and adaptive average 2-D pooling over [N, C, H, W].
// Trick: every pass is a gather, one thread per element it writes, with the CPU backend's
// window rules (src/backend/cpu/cpu_pool.cpp) as SEEK_HOST_DEVICE functions shared by the
// kernels: a forward thread scans its output's window in (row, col) order; an average
// backward thread visits the few outputs whose windows hold its input element, in the
// order the CPU scatters them, so both give the same sums without atomics. Only max
// pool's backward scatters (its indices are arbitrary positions): atomics in the storage
// type, which round after each add as the CPU loop does. Inputs may have any strides; outputs
// and input gradients are written dense NCHW or NHWC (channels_last, the op layer's choice), a
// thread per element in that memory order, so NHWC runs with C innermost and no repacking.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <limits>

#include "backend/cuda/cuda_backend.h"
#include "backend/cuda/cuda_check.h"
#include "common.cuh"
#include "seek/core/convert.h"
#include "seek/core/dtype.h"

namespace seek::cuda {

namespace {

// Sizes and strides (in elements) of a 4-D operand, plus its output plane size.
struct Dims4 {
  int64_t N, C, H, W;
  int64_t sn, sc, sh, sw;
};

Dims4 dims_of(const Tensor& t) {
  return {t.size(0), t.size(1), t.size(2), t.size(3), t.stride(0), t.stride(1), t.stride(2), t.stride(3)};
}

struct PoolGeom {
  int64_t kh, kw, sh, sw, ph, pw, dh, dw;
  bool count_include_pad;
};

PoolGeom geom_of(const PoolParams& p) {
  return {p.kernel[0],  p.kernel[1],   p.stride[0],   p.stride[1],        p.padding[0],
          p.padding[1], p.dilation[0], p.dilation[1], p.count_include_pad};
}

// The clipped window [h0, h1) x [w0, w1) of one output and its divisor (cpu_pool.cpp's rules).
struct Window {
  int64_t h0, h1, w0, w1, div;
};

SEEK_HOST_DEVICE SEEK_INLINE int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
SEEK_HOST_DEVICE SEEK_INLINE int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

SEEK_HOST_DEVICE SEEK_INLINE Window avg_window(const PoolGeom& p, int64_t H, int64_t W, int64_t oh, int64_t ow) {
  int64_t h0 = oh * p.sh - p.ph, w0 = ow * p.sw - p.pw;
  int64_t h1 = min64(h0 + p.kh, H + p.ph), w1 = min64(w0 + p.kw, W + p.pw);
  const int64_t pool = (h1 - h0) * (w1 - w0);
  h0 = max64(h0, 0), w0 = max64(w0, 0), h1 = min64(h1, H), w1 = min64(w1, W);
  const int64_t n = p.count_include_pad ? pool : (h1 - h0) * (w1 - w0);
  return {h0, h1, w0, w1, max64(n, 1)};
}

SEEK_HOST_DEVICE SEEK_INLINE Window adaptive_window(int64_t H, int64_t W, int64_t OH, int64_t OW, int64_t oh,
                                                    int64_t ow) {
  const int64_t h0 = oh * H / OH, h1 = ((oh + 1) * H + OH - 1) / OH;
  const int64_t w0 = ow * W / OW, w1 = ((ow + 1) * W + OW - 1) / OW;
  return {h0, h1, w0, w1, max64((h1 - h0) * (w1 - w0), 1)};
}

// The (n, c, h, w) position of flat element idx of a dense [N, C, H, W] tensor stored NCHW, or NHWC
// (channels_last: C fastest, so consecutive threads touch consecutive channels, coalesced).
struct Pos4 {
  int64_t n, c, h, w;
};

SEEK_HOST_DEVICE SEEK_INLINE Pos4 unflatten(int64_t idx, int64_t C, int64_t H, int64_t W, bool nhwc) {
  if (nhwc) return {idx / (C * H * W), idx % C, (idx / (C * W)) % H, (idx / C) % W};
  return {idx / (C * H * W), (idx / (H * W)) % C, (idx / W) % H, idx % W};
}

// ---- kernels ----

// out/indices dense [N, C, OH, OW], both NCHW or both NHWC (nhwc). Taps in (i, j) order: the
// first valid tap starts the window, a later one wins when larger or NaN (so ties keep the first,
// NaN the last NaN); a window with no tap inside the input gives -inf and index -1, as on the CPU.
template <typename T>
__global__ void max_pool_forward_kernel(const T* x, Dims4 d, PoolGeom p, int64_t OH, int64_t OW, bool nhwc, T* out,
                                        int64_t* indices) {
  using A = acc_t<T>;
  const int64_t total = d.N * d.C * OH * OW;
  SEEK_GRID_STRIDE_LOOP(idx, total) {
    const Pos4 o = unflatten(idx, d.C, OH, OW, nhwc);
    const int64_t ow = o.w, oh = o.h;
    const T* src = x + o.n * d.sn + o.c * d.sc;
    A best = -std::numeric_limits<A>::infinity();
    int64_t arg = -1;
    for (int64_t i = 0; i < p.kh; ++i) {
      const int64_t ih = oh * p.sh - p.ph + i * p.dh;
      if (ih < 0 || ih >= d.H) continue;
      for (int64_t j = 0; j < p.kw; ++j) {
        const int64_t iw = ow * p.sw - p.pw + j * p.dw;
        if (iw < 0 || iw >= d.W) continue;
        const A v = convert<A>(src[ih * d.sh + iw * d.sw]);
        if (arg < 0 || v > best || v != v) {
          best = v;
          arg = ih * d.W + iw;
        }
      }
    }
    out[idx] = convert<T>(best);
    indices[idx] = arg;
  }
}

// Adds v to *p atomically in T's own precision (rounding after the add, like the CPU loop).
SEEK_INLINE __device__ void atomic_add_to(float* p, float v) { atomicAdd(p, v); }
SEEK_INLINE __device__ void atomic_add_to(double* p, double v) { atomicAdd(p, v); }
SEEK_INLINE __device__ void atomic_add_to(Half* p, float v) {
  atomicAdd(reinterpret_cast<__half*>(p), __float2half(v));
}
SEEK_INLINE __device__ void atomic_add_to(BFloat16* p, float v) {
  atomicAdd(reinterpret_cast<__nv_bfloat16*>(p), __float2bfloat16(v));
}

// grad_input (dense [N, C, H, W] with HW = H * W, zeroed; NCHW, or NHWC when nhwc) += grad_out at
// each index; indices are dense in grad_input's format. An index outside [0, HW) is skipped and
// counted in *bad, which the host checks.
template <typename T>
__global__ void max_pool_backward_kernel(const T* gy, Dims4 d, const int64_t* indices, int64_t HW, bool nhwc, T* gx,
                                         int* bad) {
  const int64_t total = d.N * d.C * d.H * d.W;
  SEEK_GRID_STRIDE_LOOP(idx, total) {
    const Pos4 o = unflatten(idx, d.C, d.H, d.W, nhwc);
    const int64_t k = indices[idx];
    if (k < 0 || k >= HW) {
      atomicAdd(bad, 1);
      continue;
    }
    const T g = gy[o.n * d.sn + o.c * d.sc + o.h * d.sh + o.w * d.sw];
    T* dst = nhwc ? gx + (o.n * HW + k) * d.C + o.c : gx + (o.n * d.C + o.c) * HW + k;
    atomic_add_to(dst, convert<acc_t<T>>(g));
  }
}

template <typename T>
__global__ void zero_kernel(T* p, int64_t n) {
  SEEK_GRID_STRIDE_LOOP(i, n) { p[i] = convert<T>(0.0f); }
}

// out dense [N, C, OH, OW] (NCHW, or NHWC when nhwc) = the window mean (avg or adaptive), summed in
// (row, col) order.
template <typename T>
__global__ void avg_pool_forward_kernel(const T* x, Dims4 d, PoolGeom p, bool adaptive, int64_t OH, int64_t OW,
                                        bool nhwc, T* out) {
  using A = acc_t<T>;
  const int64_t total = d.N * d.C * OH * OW;
  SEEK_GRID_STRIDE_LOOP(idx, total) {
    const Pos4 o = unflatten(idx, d.C, OH, OW, nhwc);
    const int64_t ow = o.w, oh = o.h;
    const T* src = x + o.n * d.sn + o.c * d.sc;
    const Window w = adaptive ? adaptive_window(d.H, d.W, OH, OW, oh, ow) : avg_window(p, d.H, d.W, oh, ow);
    A s = A(0);
    for (int64_t ih = w.h0; ih < w.h1; ++ih)
      for (int64_t iw = w.w0; iw < w.w1; ++iw) s += convert<A>(src[ih * d.sh + iw * d.sw]);
    out[idx] = convert<T>(s / static_cast<A>(w.div));
  }
}

// Output rows [lo, hi) whose window can hold input row i (checked again against the window).
SEEK_HOST_DEVICE SEEK_INLINE void candidates(bool adaptive, int64_t i, int64_t n, int64_t on, int64_t k, int64_t s,
                                             int64_t pad, int64_t& lo, int64_t& hi) {
  if (adaptive) {
    lo = i * on / n, hi = ((i + 1) * on + n - 1) / n;  // windows [floor(o*n/on), ceil((o+1)*n/on))
  } else {
    const int64_t top = i + pad;  // window o starts at o*s - pad, holds i when o*s <= top < o*s + k
    lo = top - k + 1 <= 0 ? 0 : (top - k + s) / s;
    hi = top / s + 1;
  }
  lo = max64(lo, 0), hi = min64(hi, on);
}

// grad_input dense [N, C, H, W] (NCHW, or NHWC when nhwc): each element gathers grad_out / divisor
// over the windows that hold it, outputs in row-major order (the CPU's scatter order).
template <typename T>
__global__ void avg_pool_backward_kernel(const T* gy, Dims4 dy, PoolGeom p, bool adaptive, int64_t H, int64_t W,
                                         bool nhwc, T* gx) {
  using A = acc_t<T>;
  const int64_t OH = dy.H, OW = dy.W, total = dy.N * dy.C * H * W;
  SEEK_GRID_STRIDE_LOOP(idx, total) {
    const Pos4 o = unflatten(idx, dy.C, H, W, nhwc);
    const int64_t iw = o.w, ih = o.h;
    const T* src = gy + o.n * dy.sn + o.c * dy.sc;
    int64_t oh0, oh1, ow0, ow1;
    candidates(adaptive, ih, H, OH, p.kh, p.sh, p.ph, oh0, oh1);
    candidates(adaptive, iw, W, OW, p.kw, p.sw, p.pw, ow0, ow1);
    A s = A(0);
    for (int64_t oh = oh0; oh < oh1; ++oh)
      for (int64_t ow = ow0; ow < ow1; ++ow) {
        const Window w = adaptive ? adaptive_window(H, W, OH, OW, oh, ow) : avg_window(p, H, W, oh, ow);
        if (ih < w.h0 || ih >= w.h1 || iw < w.w0 || iw >= w.w1) continue;
        s += convert<A>(src[oh * dy.sh + ow * dy.sw]) / static_cast<A>(w.div);
      }
    gx[idx] = convert<T>(s);
  }
}

// ---- launchers and checks ----

void check_pool(const char* op, const Tensor& in, const Tensor& out) {
  SEEK_CHECK_SHAPE(in.dim() == 4 && out.dim() == 4 && in.size(0) == out.size(0) && in.size(1) == out.size(1), op,
                   ": expected [N, C, H, W] tensors with matching N and C, got ", shape_str(in.sizes()), " and ",
                   shape_str(out.sizes()));
  SEEK_CHECK_DTYPE(in.dtype() == out.dtype(), op, ": expected one dtype, got ", in.dtype(), " and ", out.dtype());
  SEEK_CHECK_T(DeviceError, in.is_cuda() && in.device() == out.device(), op,
               ": expected tensors on one CUDA device, got ", in.device().str(), " and ", out.device().str());
}

// Whether a kernel writes `out` NHWC (dense channels_last, and not also NCHW-contiguous).
bool is_nhwc(const Tensor& out) { return !out.is_contiguous() && out.is_contiguous(MemoryFormat::ChannelsLast); }

// A dense buffer to write `out` into: out itself when NCHW or NHWC, else a contiguous one that `finish` copies
// back (an arbitrary strided out; the op layer hands out NCHW or NHWC).
Tensor staged(const Tensor& out) {
  if (out.is_contiguous() || is_nhwc(out)) return out;
  return empty(out.sizes(), TensorOptions(out.dtype()).device(out.device()));
}

void finish(const Tensor& buf, const Tensor& out) {
  if (!buf.is_same(out)) cuda_backend()->copy(buf, out);
}

void check_params(const char* op, const PoolParams& p) {
  for (int d = 0; d < 2; ++d)
    SEEK_CHECK_VALUE(p.kernel[d] > 0 && p.stride[d] > 0 && p.dilation[d] > 0 && p.padding[d] >= 0, op,
                     ": kernel, stride and dilation must be positive and padding non-negative");
}

void avg_forward(const char* op, const Tensor& x, const PoolParams* p, const Tensor& out_arg) {
  check_pool(op, x, out_arg);
  if (p) check_params(op, *p);
  if (out_arg.numel() == 0) return;
  DeviceGuard guard(out_arg.device().index, op);
  const PoolGeom g = p ? geom_of(*p) : PoolGeom{};
  const Tensor out = staged(out_arg);
  SEEK_DISPATCH_FLOATING(x.dtype(), op, [&] {
    using T = scalar_t;
    launch(avg_pool_forward_kernel<T>, {grid_size(out.numel()), kBlockThreads, 0, current_stream()},
           static_cast<const T*>(x.data_ptr()), dims_of(x), g, p == nullptr, out.size(2), out.size(3), is_nhwc(out),
           static_cast<T*>(out.data_ptr()));
  });
  finish(out, out_arg);
}

void avg_backward(const char* op, const Tensor& gy, const PoolParams* p, const Tensor& gx_arg) {
  check_pool(op, gy, gx_arg);
  if (p) check_params(op, *p);
  if (gx_arg.numel() == 0) return;
  DeviceGuard guard(gx_arg.device().index, op);
  const PoolGeom g = p ? geom_of(*p) : PoolGeom{};
  const Tensor gx = staged(gx_arg);
  SEEK_DISPATCH_FLOATING(gy.dtype(), op, [&] {
    using T = scalar_t;
    launch(avg_pool_backward_kernel<T>, {grid_size(gx.numel()), kBlockThreads, 0, current_stream()},
           static_cast<const T*>(gy.data_ptr()), dims_of(gy), g, p == nullptr, gx.size(2), gx.size(3), is_nhwc(gx),
           static_cast<T*>(gx.data_ptr()));
  });
  finish(gx, gx_arg);
}

}  // namespace

// ---- CudaBackend pool entries ----

const FamilyRegistrar pool_family(BackendFamily::Pool, [](DType dt) { return is_floating(dt); });

void CudaBackend::max_pool2d_forward(const Tensor& input, const PoolParams& p, const Tensor& out,
                                     const Tensor& indices) {
  check_pool("max_pool2d", input, out);
  check_params("max_pool2d", p);
  SEEK_CHECK_DTYPE(indices.dtype() == DType::Int64, "max_pool2d: indices must be int64, got ", indices.dtype());
  SEEK_CHECK_SHAPE(indices.sizes() == out.sizes(), "max_pool2d: indices shape ", shape_str(indices.sizes()),
                   " differs from out shape ", shape_str(out.sizes()));
  SEEK_CHECK_T(DeviceError, indices.device() == out.device(), "max_pool2d: indices on ", indices.device().str(),
               ", out on ", out.device().str());
  if (out.numel() == 0) return;
  DeviceGuard guard(out.device().index, "max_pool2d");
  // Values and indices in one dense format (NHWC when out is channels_last), else staged.
  const bool nhwc = is_nhwc(out) && is_nhwc(indices);
  const bool direct = nhwc || (out.is_contiguous() && indices.is_contiguous());
  const Tensor o = direct ? out : empty(out.sizes(), TensorOptions(out.dtype()).device(out.device()));
  const Tensor idx = direct ? indices : empty(out.sizes(), TensorOptions(DType::Int64).device(out.device()));
  SEEK_DISPATCH_FLOATING(input.dtype(), "max_pool2d", [&] {
    using T = scalar_t;
    launch(max_pool_forward_kernel<T>, {grid_size(o.numel()), kBlockThreads, 0, current_stream()},
           static_cast<const T*>(input.data_ptr()), dims_of(input), geom_of(p), o.size(2), o.size(3), nhwc,
           static_cast<T*>(o.data_ptr()), static_cast<int64_t*>(idx.data_ptr()));
  });
  finish(o, out);
  finish(idx, indices);
}

void CudaBackend::max_pool2d_backward(const Tensor& grad_out, const Tensor& indices, const Tensor& grad_input_arg) {
  check_pool("max_pool2d_backward", grad_out, grad_input_arg);
  SEEK_CHECK_DTYPE(indices.dtype() == DType::Int64, "max_pool2d_backward: indices must be int64, got ",
                   indices.dtype());
  SEEK_CHECK_SHAPE(indices.sizes() == grad_out.sizes(), "max_pool2d_backward: indices shape ",
                   shape_str(indices.sizes()), " differs from grad_out shape ", shape_str(grad_out.sizes()));
  SEEK_CHECK_T(DeviceError, indices.device() == grad_out.device(), "max_pool2d_backward: indices on ",
               indices.device().str(), ", grad_out on ", grad_out.device().str());
  if (grad_input_arg.numel() == 0) return;
  DeviceGuard guard(grad_input_arg.device().index, "max_pool2d_backward");
  const Tensor grad_input = staged(grad_input_arg);
  const bool nhwc = is_nhwc(grad_input);
  // The indices dense in grad_input's format (the kernel walks them in that order).
  const MemoryFormat fmt = nhwc ? MemoryFormat::ChannelsLast : MemoryFormat::Contiguous;
  const Tensor idx = indices.is_contiguous(fmt) ? indices : indices.contiguous(fmt);
  const int64_t HW = grad_input.size(2) * grad_input.size(3);
  // A device counter of out-of-range indices, read back (a sync) to report them as the CPU does.
  Tensor bad = empty({1}, TensorOptions(DType::Int32).device(grad_input.device()));
  fill(bad, Scalar(0));
  SEEK_DISPATCH_FLOATING(grad_out.dtype(), "max_pool2d_backward", [&] {
    using T = scalar_t;
    T* gx = static_cast<T*>(grad_input.data_ptr());
    launch(zero_kernel<T>, {grid_size(grad_input.numel()), kBlockThreads, 0, current_stream()}, gx, grad_input.numel());
    if (grad_out.numel() == 0) return;
    launch(max_pool_backward_kernel<T>, {grid_size(grad_out.numel()), kBlockThreads, 0, current_stream()},
           static_cast<const T*>(grad_out.data_ptr()), dims_of(grad_out), static_cast<const int64_t*>(idx.data_ptr()),
           HW, nhwc, gx, static_cast<int*>(bad.data_ptr()));
  });
  finish(grad_input, grad_input_arg);
  int bad_count = 0;
  SEEK_CUDA_CHECK(cudaMemcpyAsync(&bad_count, bad.data_ptr(), sizeof(int), cudaMemcpyDeviceToHost, current_stream()));
  SEEK_CUDA_CHECK(cudaStreamSynchronize(current_stream()));
  SEEK_CHECK_INDEX(bad_count == 0, "max_pool2d_backward: ", bad_count, " indices are out of range for ", HW,
                   " positions per plane");
}

void CudaBackend::avg_pool2d_forward(const Tensor& input, const PoolParams& p, const Tensor& out) {
  avg_forward("avg_pool2d", input, &p, out);
}

void CudaBackend::avg_pool2d_backward(const Tensor& grad_out, const PoolParams& p, const Tensor& grad_input) {
  avg_backward("avg_pool2d_backward", grad_out, &p, grad_input);
}

void CudaBackend::adaptive_avg_pool2d_forward(const Tensor& input, const Tensor& out) {
  avg_forward("adaptive_avg_pool2d", input, nullptr, out);
}

void CudaBackend::adaptive_avg_pool2d_backward(const Tensor& grad_out, const Tensor& grad_input) {
  avg_backward("adaptive_avg_pool2d_backward", grad_out, nullptr, grad_input);
}

}  // namespace seek::cuda

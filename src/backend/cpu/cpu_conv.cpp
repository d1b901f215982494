// CPU conv family: 2-D convolution, by a direct kernel or by im2col + GEMM.
//
// float32 convs with groups 1 go to the direct kernels of cpu_conv_direct.cpp (forward
// and weight gradient, see that file) when they have stride 1, dilation 1 and padding
// <= kernel - 1 (the 3x3 and 1x1 convs that dominate ResNets), or any stride, dilation
// and padding with output channels a multiple of two SIMD vectors (32 with AVX-512:
// ResNets' stride-2 convs); so do f16/bf16 ones, which are widened to f32 first.
// Everything else (float64, groups, other strided convs, and the input gradient of
// strided convs) takes im2col + GEMM:
//
// For each image and group, the input patch matrix col [C/g * kH * kW, OH * OW]
// is built once (im2col) and the output block [O/g, OH * OW] is one GEMM with
// the group's weight [O/g, C/g * kH * kW]. Small images are batched: the patch
// matrices of B images sit side by side ([C/g * kH * kW, B * OH * OW]) so that one
// GEMM of about 1024 columns covers them (see images_per_gemm). Backward-data of a
// stride-1 conv is a forward conv of grad_out with the flipped, transposed weight
// (grad_input_by_conv, which itself takes the direct path when it can); otherwise it is
// the transposed GEMM followed by col2im (a scatter-add of the patch matrix into the
// image); backward-weight accumulates grad_out @ col^T. Images are split across OpenMP
// threads in chunks, each with its own col buffer and, for the weight gradient,
// its own accumulator (summed in a fixed order afterwards, so results are
// deterministic). The GEMMs are Eigen's serial ones (inside the parallel region).
// f16/bf16 are widened to f32 tensors, computed and rounded back once.
#include "backend/cpu/cpu_eigen.h"
#include <omp.h>

#include <algorithm>
#include <type_traits>
#include <vector>

#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/cpu_conv_direct.h"
#include "seek/core/convert.h"

namespace seek::cpu {

namespace {

template <typename T>
using RowMat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <typename T>
using Map = Eigen::Map<RowMat<T>>;
template <typename T>
using CMap = Eigen::Map<const RowMat<T>>;

// Multiply-adds per image below which the batch loop stays serial.
constexpr int64_t kParallelMacs = 1 << 15;

struct Geom {
  int64_t N, C, H, W, O, kh, kw, OH, OW, G, Cg, Og, Kg, L;
  Conv2dParams p;
};

Geom geometry(const Tensor& weight, const Conv2dParams& p, int64_t N, int64_t C, int64_t H, int64_t W, int64_t OH,
              int64_t OW) {
  Geom g{};
  g.N = N, g.C = C, g.H = H, g.W = W, g.OH = OH, g.OW = OW, g.p = p;
  g.O = weight.size(0), g.kh = weight.size(2), g.kw = weight.size(3), g.G = p.groups;
  g.Cg = C / g.G, g.Og = g.O / g.G, g.Kg = g.Cg * g.kh * g.kw, g.L = OH * OW;
  return g;
}

// Output columns [lo, hi) of one kernel column j whose input column ow*sw + off lies inside [0, W).
inline void valid_cols(int64_t off, int64_t sw, int64_t W, int64_t OW, int64_t& lo, int64_t& hi) {
  lo = off >= 0 ? 0 : std::min<int64_t>(OW, (-off + sw - 1) / sw);
  hi = W - off <= 0 ? 0 : std::min<int64_t>(OW, (W - off + sw - 1) / sw);
  if (hi < lo) hi = lo;
}

// col[(c*kh + i)*kw + j, oh*OW + ow] = x[c, oh*sh - ph + i*dh, ow*sw - pw + j*dw] (0 outside);
// rows of col are `ld` elements apart (ld >= L, so several images can sit side by side).
template <typename T>
void im2col(const T* x, const Geom& g, T* col, int64_t ld) {
  const auto& p = g.p;
  const int64_t sw = p.stride[1];
  for (int64_t c = 0; c < g.Cg; ++c)
    for (int64_t i = 0; i < g.kh; ++i)
      for (int64_t j = 0; j < g.kw; ++j) {
        T* dst = col + ((c * g.kh + i) * g.kw + j) * ld;
        const T* src = x + c * g.H * g.W;
        const int64_t off = j * p.dilation[1] - p.padding[1];
        int64_t lo, hi;
        valid_cols(off, sw, g.W, g.OW, lo, hi);
        for (int64_t oh = 0; oh < g.OH; ++oh, dst += g.OW) {
          const int64_t ih = oh * p.stride[0] - p.padding[0] + i * p.dilation[0];
          if (ih < 0 || ih >= g.H) {
            std::fill(dst, dst + g.OW, T(0));
            continue;
          }
          const T* row = src + ih * g.W + off;
          std::fill(dst, dst + lo, T(0));
          if (sw == 1)
            std::copy(row + lo, row + hi, dst + lo);
          else
            for (int64_t ow = lo; ow < hi; ++ow) dst[ow] = row[ow * sw];
          std::fill(dst + hi, dst + g.OW, T(0));
        }
      }
}

// The adjoint of im2col: x[c, ih, iw] += col[...] (x must be zeroed first).
template <typename T>
void col2im(const T* col, const Geom& g, T* x, int64_t ld) {
  const auto& p = g.p;
  const int64_t sw = p.stride[1];
  for (int64_t c = 0; c < g.Cg; ++c)
    for (int64_t i = 0; i < g.kh; ++i)
      for (int64_t j = 0; j < g.kw; ++j) {
        const T* src = col + ((c * g.kh + i) * g.kw + j) * ld;
        T* dst = x + c * g.H * g.W;
        const int64_t off = j * p.dilation[1] - p.padding[1];
        int64_t lo, hi;
        valid_cols(off, sw, g.W, g.OW, lo, hi);
        for (int64_t oh = 0; oh < g.OH; ++oh, src += g.OW) {
          const int64_t ih = oh * p.stride[0] - p.padding[0] + i * p.dilation[0];
          if (ih < 0 || ih >= g.H) continue;
          T* row = dst + ih * g.W + off;
          if (sw == 1)
            for (int64_t ow = lo; ow < hi; ++ow) row[ow] += src[ow];
          else
            for (int64_t ow = lo; ow < hi; ++ow) row[ow * sw] += src[ow];
        }
      }
}

// Splits [0, n) into at most `parts` fixed chunks and runs f(chunk, lo, hi), in parallel when worth it.
template <typename F>
void for_chunks(int64_t n, int64_t macs_per_item, int64_t parts, F f) {
  const bool par = n > 1 && macs_per_item * n >= kParallelMacs && !omp_in_parallel();
  if (!par) parts = 1;
  parts = std::max<int64_t>(1, std::min(parts, n));
#pragma omp parallel for schedule(dynamic, 1) if (par)
  for (int64_t c = 0; c < parts; ++c) f(c, n * c / parts, n * (c + 1) / parts);
}

// Chunks of the batch per thread: several, taken dynamically, so that a thread that
// the OS deschedules on a shared machine does not hold up the others.
constexpr int64_t kChunksPerThread = 4;

// Images per GEMM: with small outputs (L = OH * OW) one image makes a thin GEMM, so
// up to this many images' patch matrices are laid side by side ([Kg, B * L]) to give
// the GEMM about kGemmCols columns, within a patch buffer of at most kColBytes.
constexpr int64_t kGemmCols = 1024;
constexpr int64_t kColBytes = 4 << 20;

template <typename T>
int64_t images_per_gemm(const Geom& g) {
  int64_t b = std::max<int64_t>(1, (kGemmCols + g.L - 1) / g.L);
  const int64_t by_mem = kColBytes / static_cast<int64_t>(sizeof(T)) / std::max<int64_t>(1, g.Kg * g.L);
  return std::max<int64_t>(1, std::min({b, by_mem, g.N}));
}

template <typename T>
void forward_impl(const T* x, const T* w, const T* b, T* y, const Geom& g) {
  const int64_t threads = omp_get_max_threads() * kChunksPerThread;
  const int64_t B = images_per_gemm<T>(g);
  for_chunks(g.N, g.O * g.Kg * g.L, threads, [&](int64_t, int64_t lo, int64_t hi) {
    std::vector<T> col(static_cast<size_t>(g.Kg * g.L * B));
    std::vector<T> wide(B > 1 ? static_cast<size_t>(g.Og * g.L * B) : 0);
    for (int64_t n0 = lo; n0 < hi; n0 += B) {
      const int64_t nb = std::min(B, hi - n0), ld = nb * g.L;
      for (int64_t gi = 0; gi < g.G; ++gi) {
        for (int64_t k = 0; k < nb; ++k)
          im2col(x + ((n0 + k) * g.C + gi * g.Cg) * g.H * g.W, g, col.data() + k * g.L, ld);
        CMap<T> W(w + gi * g.Og * g.Kg, g.Og, g.Kg);
        CMap<T> X(col.data(), g.Kg, ld);
        if (nb == 1) {
          Map<T>(y + (n0 * g.O + gi * g.Og) * g.L, g.Og, g.L).noalias() = W * X;
        } else {
          Map<T>(wide.data(), g.Og, ld).noalias() = W * X;
          for (int64_t k = 0; k < nb; ++k)
            for (int64_t o = 0; o < g.Og; ++o)
              std::copy_n(wide.data() + o * ld + k * g.L, g.L, y + ((n0 + k) * g.O + gi * g.Og + o) * g.L);
        }
      }
      if (b)
        for (int64_t k = 0; k < nb; ++k)
          for (int64_t o = 0; o < g.O; ++o) {
            T* r = y + ((n0 + k) * g.O + o) * g.L;
            const T bo = b[o];
            for (int64_t l = 0; l < g.L; ++l) r[l] += bo;
          }
    }
  });
}

direct::ConvShape direct_shape(const Geom& g) {
  const auto& p = g.p;
  direct::ConvShape s{g.N, g.C, g.H, g.W, g.O, g.kh, g.kw, p.padding[0], p.padding[1]};
  s.sh = p.stride[0], s.sw = p.stride[1], s.dh = p.dilation[0], s.dw = p.dilation[1];
  return s;
}

// Whether the direct float32 path (cpu_conv_direct.cpp) handles this conv.
bool direct_ok(const Geom& g) { return direct::supported(direct_shape(g), g.G); }

// The forward conv: direct for the float32 convs it supports, im2col + GEMM otherwise.
template <typename T>
void conv_forward(const T* x, const T* w, const T* b, T* y, const Geom& g) {
  if constexpr (std::is_same_v<T, float>) {
    if (direct_ok(g)) {
      direct::forward(x, w, b, y, direct_shape(g));
      return;
    }
  }
  forward_impl(x, w, b, y, g);
}

// True when grad_input of this conv is itself a stride-1 convolution of grad_out:
// stride 1, dilation 1 and padding at most kernel - 1 in both dims.
bool grad_input_is_conv(const Geom& g) {
  const auto& p = g.p;
  return p.stride[0] == 1 && p.stride[1] == 1 && p.dilation[0] == 1 && p.dilation[1] == 1 && p.padding[0] <= g.kh - 1 &&
         p.padding[1] <= g.kw - 1;
}

// grad_input for grad_input_is_conv: a forward conv of grad_out (O channels, OH x OW)
// with the weight flipped in space and transposed per group ([G * Cg, Og, kh, kw]) and
// padding kernel - 1 - padding, which gives back H x W. One GEMM with Og * kh * kw
// terms per output instead of a GEMM with Og terms and a col2im scatter-add.
template <typename T>
void grad_input_by_conv(const T* gy, const T* w, T* gx, const Geom& g) {
  std::vector<T> wt(static_cast<size_t>(g.G * g.Cg * g.Og * g.kh * g.kw));
  for (int64_t gi = 0; gi < g.G; ++gi)
    for (int64_t o = 0; o < g.Og; ++o)
      for (int64_t c = 0; c < g.Cg; ++c)
        for (int64_t i = 0; i < g.kh; ++i)
          for (int64_t j = 0; j < g.kw; ++j)
            wt[static_cast<size_t>((((gi * g.Cg + c) * g.Og + o) * g.kh + (g.kh - 1 - i)) * g.kw + (g.kw - 1 - j))] =
                w[(((gi * g.Og + o) * g.Cg + c) * g.kh + i) * g.kw + j];
  Geom t{};
  t.N = g.N, t.C = g.O, t.H = g.OH, t.W = g.OW, t.O = g.C, t.kh = g.kh, t.kw = g.kw, t.OH = g.H, t.OW = g.W;
  t.G = g.G, t.Cg = g.Og, t.Og = g.Cg, t.Kg = g.Og * g.kh * g.kw, t.L = g.H * g.W;
  t.p.groups = g.G;
  t.p.padding = {g.kh - 1 - g.p.padding[0], g.kw - 1 - g.p.padding[1]};
  conv_forward(gy, wt.data(), static_cast<const T*>(nullptr), gx, t);
}

// grad_input (by col2im) and/or grad_weight of the im2col path.
template <typename T>
void backward_gemm(const T* gy, const T* x, const T* w, T* gx, T* gw, const Geom& g) {
  const int64_t threads = omp_get_max_threads() * kChunksPerThread;
  const int64_t parts = std::max<int64_t>(1, std::min<int64_t>(threads, g.N));
  const int64_t B = images_per_gemm<T>(g);
  std::vector<T> gw_acc(gw ? static_cast<size_t>(parts * g.O * g.Kg) : 0, T(0));
  if (gx) std::fill(gx, gx + g.N * g.C * g.H * g.W, T(0));
  for_chunks(g.N, 2 * g.O * g.Kg * g.L, parts, [&](int64_t chunk, int64_t lo, int64_t hi) {
    std::vector<T> col(static_cast<size_t>(g.Kg * g.L * B));
    std::vector<T> wide(B > 1 ? static_cast<size_t>(g.Og * g.L * B) : 0);
    for (int64_t n0 = lo; n0 < hi; n0 += B) {
      const int64_t nb = std::min(B, hi - n0), ld = nb * g.L;
      for (int64_t gi = 0; gi < g.G; ++gi) {
        // grad_out of these images as one [Og, nb * L] matrix (gathered when nb > 1).
        const T* gy_ptr = gy + (n0 * g.O + gi * g.Og) * g.L;
        if (nb > 1) {
          for (int64_t k = 0; k < nb; ++k)
            for (int64_t o = 0; o < g.Og; ++o)
              std::copy_n(gy + ((n0 + k) * g.O + gi * g.Og + o) * g.L, g.L, wide.data() + o * ld + k * g.L);
          gy_ptr = wide.data();
        }
        CMap<T> Gy(gy_ptr, g.Og, ld);
        CMap<T> Wm(w + gi * g.Og * g.Kg, g.Og, g.Kg);
        if (gw) {
          for (int64_t k = 0; k < nb; ++k)
            im2col(x + ((n0 + k) * g.C + gi * g.Cg) * g.H * g.W, g, col.data() + k * g.L, ld);
          Map<T> Gw(gw_acc.data() + (chunk * g.O + gi * g.Og) * g.Kg, g.Og, g.Kg);
          Gw.noalias() += Gy * CMap<T>(col.data(), g.Kg, ld).transpose();
        }
        if (gx) {
          Map<T> Col(col.data(), g.Kg, ld);
          Col.noalias() = Wm.transpose() * Gy;
          for (int64_t k = 0; k < nb; ++k)
            col2im(col.data() + k * g.L, g, gx + ((n0 + k) * g.C + gi * g.Cg) * g.H * g.W, ld);
        }
      }
    }
  });
  if (gw) {
    for (int64_t i = 0; i < g.O * g.Kg; ++i) {
      T s = T(0);
      for (int64_t c = 0; c < parts; ++c) s += gw_acc[static_cast<size_t>(c * g.O * g.Kg + i)];
      gw[i] = s;
    }
  }
}

template <typename T>
void backward_impl(const T* gy, const T* x, const T* w, T* gx, T* gw, T* gb, const Geom& g) {
  if (gx && grad_input_is_conv(g)) {
    grad_input_by_conv(gy, w, gx, g);
    gx = nullptr;
  }
  if constexpr (std::is_same_v<T, float>) {
    if (gx && direct::grad_input_supported(direct_shape(g), g.G)) {
      direct::grad_input(gy, w, gx, direct_shape(g));
      gx = nullptr;
    }
    if (gw && direct_ok(g)) {
      direct::grad_weight(gy, x, gw, direct_shape(g));
      gw = nullptr;
    }
  }
  if (gx || gw) backward_gemm(gy, x, w, gx, gw, g);
  if (gb) {
    // One channel per iteration, summed in the same order whatever the thread count: each
    // image's row in 16 independent lanes (vectorisable), the rows added up in double.
#pragma omp parallel for schedule(static) if (g.O > 1 && g.N * g.L * g.O >= kParallelMacs && !omp_in_parallel())
    for (int64_t o = 0; o < g.O; ++o) {
      double s = 0;
      for (int64_t n = 0; n < g.N; ++n) {
        const T* r = gy + (n * g.O + o) * g.L;
        T lane[16] = {};
        int64_t l = 0;
        for (; l + 16 <= g.L; l += 16)
          for (int k = 0; k < 16; ++k) lane[k] += r[l + k];
        for (; l < g.L; ++l) lane[l % 16] += r[l];
        for (int k = 0; k < 16; ++k) s += static_cast<double>(lane[k]);
      }
      gb[o] = static_cast<T>(s);
    }
  }
}

// t as a contiguous tensor of dtype dt (t itself when it already is one).
Tensor dense(const Tensor& t, DType dt, CpuBackend& be) {
  if (!t.defined() || (t.dtype() == dt && t.is_contiguous())) return t;
  Tensor d = empty(t.sizes(), TensorOptions(dt));
  be.copy(t, d);
  return d;
}

// A contiguous f32/f64 buffer to compute `out` into (out itself when possible).
Tensor work(const Tensor& out, DType dt) {
  if (!out.defined() || (out.dtype() == dt && out.is_contiguous())) return out;
  return empty(out.sizes(), TensorOptions(dt));
}

DType compute_dtype(DType t) { return t == DType::Float64 ? DType::Float64 : DType::Float32; }

template <typename T>
const T* cptr(const Tensor& t) {
  return t.defined() ? static_cast<const T*>(t.data_ptr()) : nullptr;
}
template <typename T>
T* mptr(const Tensor& t) {
  return t.defined() ? static_cast<T*>(t.data_ptr()) : nullptr;
}

}  // namespace

void CpuBackend::conv2d_forward(const Tensor& input, const Tensor& weight, const Tensor& bias, const Conv2dParams& p,
                                const Tensor& out) {
  SEEK_CHECK_DTYPE(is_floating(input.dtype()), "conv2d: expected a floating dtype, got ", input.dtype());
  const DType dt = compute_dtype(input.dtype());
  Tensor x = dense(input, dt, *this), w = dense(weight, dt, *this), b = dense(bias, dt, *this), y = work(out, dt);
  Geom g = geometry(w, p, x.size(0), x.size(1), x.size(2), x.size(3), y.size(2), y.size(3));
  if (y.numel() == 0) return;
  if (dt == DType::Float64)
    conv_forward(cptr<double>(x), cptr<double>(w), cptr<double>(b), mptr<double>(y), g);
  else
    conv_forward(cptr<float>(x), cptr<float>(w), cptr<float>(b), mptr<float>(y), g);
  if (!y.is_same(out)) copy(y, out);
}

void CpuBackend::conv2d_backward(const Tensor& grad_out, const Tensor& input, const Tensor& weight,
                                 const Conv2dParams& p, const Tensor& grad_input, const Tensor& grad_weight,
                                 const Tensor& grad_bias) {
  SEEK_CHECK_DTYPE(is_floating(grad_out.dtype()), "conv2d_backward: expected a floating dtype, got ", grad_out.dtype());
  SEEK_CHECK(input.defined() || !grad_weight.defined(), "conv2d_backward: grad_weight needs the input");
  const DType dt = compute_dtype(grad_out.dtype());
  Tensor gy = dense(grad_out, dt, *this), x = dense(input, dt, *this), w = dense(weight, dt, *this);
  Tensor gx = work(grad_input, dt), gw = work(grad_weight, dt), gb = work(grad_bias, dt);
  const Shape& in_shape = input.defined() ? input.sizes() : grad_input.sizes();
  Geom g = geometry(w, p, in_shape[0], in_shape[1], in_shape[2], in_shape[3], gy.size(2), gy.size(3));
  if (dt == DType::Float64)
    backward_impl(cptr<double>(gy), cptr<double>(x), cptr<double>(w), mptr<double>(gx), mptr<double>(gw),
                  mptr<double>(gb), g);
  else
    backward_impl(cptr<float>(gy), cptr<float>(x), cptr<float>(w), mptr<float>(gx), mptr<float>(gw), mptr<float>(gb),
                  g);
  if (gx.defined() && !gx.is_same(grad_input)) copy(gx, grad_input);
  if (gw.defined() && !gw.is_same(grad_weight)) copy(gw, grad_weight);
  if (gb.defined() && !gb.is_same(grad_bias)) copy(gb, grad_bias);
}

}  // namespace seek::cpu

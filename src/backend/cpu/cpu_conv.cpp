// CPU conv family: 2-D convolution by im2col + GEMM.
//
// For each image and group, the input patch matrix col [C/g * kH * kW, OH * OW]
// is built once (im2col) and the output block [O/g, OH * OW] is one GEMM with
// the group's weight [O/g, C/g * kH * kW]. Backward-data is the transposed
// GEMM followed by col2im (a scatter-add of the patch matrix into the image);
// backward-weight accumulates grad_out @ col^T. Images are split across OpenMP
// threads, each with its own col buffer and, for the weight gradient, its own
// accumulator (summed in a fixed order afterwards, so results are
// deterministic). The GEMMs are Eigen's serial ones (inside the parallel region).
// f16/bf16 are widened to f32 tensors, computed and rounded back once.
#include "backend/cpu/cpu_eigen.h"
#include <omp.h>

#include <algorithm>
#include <vector>

#include "backend/cpu/cpu_backend.h"
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

// col[(c*kh + i)*kw + j, oh*OW + ow] = x[c, oh*sh - ph + i*dh, ow*sw - pw + j*dw] (0 outside).
template <typename T>
void im2col(const T* x, const Geom& g, T* col) {
  const auto& p = g.p;
  for (int64_t c = 0; c < g.Cg; ++c)
    for (int64_t i = 0; i < g.kh; ++i)
      for (int64_t j = 0; j < g.kw; ++j) {
        T* dst = col + ((c * g.kh + i) * g.kw + j) * g.L;
        const T* src = x + c * g.H * g.W;
        for (int64_t oh = 0; oh < g.OH; ++oh, dst += g.OW) {
          const int64_t ih = oh * p.stride[0] - p.padding[0] + i * p.dilation[0];
          if (ih < 0 || ih >= g.H) {
            std::fill(dst, dst + g.OW, T(0));
            continue;
          }
          const T* row = src + ih * g.W;
          const int64_t off = j * p.dilation[1] - p.padding[1];
          for (int64_t ow = 0; ow < g.OW; ++ow) {
            const int64_t iw = ow * p.stride[1] + off;
            dst[ow] = (iw >= 0 && iw < g.W) ? row[iw] : T(0);
          }
        }
      }
}

// The adjoint of im2col: x[c, ih, iw] += col[...] (x must be zeroed first).
template <typename T>
void col2im(const T* col, const Geom& g, T* x) {
  const auto& p = g.p;
  for (int64_t c = 0; c < g.Cg; ++c)
    for (int64_t i = 0; i < g.kh; ++i)
      for (int64_t j = 0; j < g.kw; ++j) {
        const T* src = col + ((c * g.kh + i) * g.kw + j) * g.L;
        T* dst = x + c * g.H * g.W;
        for (int64_t oh = 0; oh < g.OH; ++oh, src += g.OW) {
          const int64_t ih = oh * p.stride[0] - p.padding[0] + i * p.dilation[0];
          if (ih < 0 || ih >= g.H) continue;
          T* row = dst + ih * g.W;
          const int64_t off = j * p.dilation[1] - p.padding[1];
          for (int64_t ow = 0; ow < g.OW; ++ow) {
            const int64_t iw = ow * p.stride[1] + off;
            if (iw >= 0 && iw < g.W) row[iw] += src[ow];
          }
        }
      }
}

// Splits [0, n) into at most `parts` fixed chunks and runs f(chunk, lo, hi), in parallel when worth it.
template <typename F>
void for_chunks(int64_t n, int64_t macs_per_item, int64_t parts, F f) {
  const bool par = n > 1 && macs_per_item * n >= kParallelMacs && !omp_in_parallel();
  if (!par) parts = 1;
  parts = std::max<int64_t>(1, std::min(parts, n));
#pragma omp parallel for schedule(static) if (par)
  for (int64_t c = 0; c < parts; ++c) f(c, n * c / parts, n * (c + 1) / parts);
}

template <typename T>
void forward_impl(const T* x, const T* w, const T* b, T* y, const Geom& g) {
  const int64_t threads = omp_get_max_threads();
  for_chunks(g.N, g.O * g.Kg * g.L, threads, [&](int64_t, int64_t lo, int64_t hi) {
    std::vector<T> col(static_cast<size_t>(g.Kg * g.L));
    for (int64_t n = lo; n < hi; ++n)
      for (int64_t gi = 0; gi < g.G; ++gi) {
        im2col(x + (n * g.C + gi * g.Cg) * g.H * g.W, g, col.data());
        CMap<T> W(w + gi * g.Og * g.Kg, g.Og, g.Kg);
        CMap<T> X(col.data(), g.Kg, g.L);
        Map<T> Y(y + (n * g.O + gi * g.Og) * g.L, g.Og, g.L);
        Y.noalias() = W * X;
        if (b)
          for (int64_t o = 0; o < g.Og; ++o) Y.row(o).array() += b[gi * g.Og + o];
      }
  });
}

template <typename T>
void backward_impl(const T* gy, const T* x, const T* w, T* gx, T* gw, T* gb, const Geom& g) {
  const int64_t threads = omp_get_max_threads();
  const int64_t parts = std::max<int64_t>(1, std::min<int64_t>(threads, g.N));
  std::vector<T> gw_acc(gw ? static_cast<size_t>(parts * g.O * g.Kg) : 0, T(0));
  if (gx) std::fill(gx, gx + g.N * g.C * g.H * g.W, T(0));
  for_chunks(g.N, 2 * g.O * g.Kg * g.L, parts, [&](int64_t chunk, int64_t lo, int64_t hi) {
    std::vector<T> col(static_cast<size_t>(g.Kg * g.L));
    for (int64_t n = lo; n < hi; ++n)
      for (int64_t gi = 0; gi < g.G; ++gi) {
        CMap<T> Gy(gy + (n * g.O + gi * g.Og) * g.L, g.Og, g.L);
        CMap<T> Wm(w + gi * g.Og * g.Kg, g.Og, g.Kg);
        if (gw) {
          im2col(x + (n * g.C + gi * g.Cg) * g.H * g.W, g, col.data());
          Map<T> Gw(gw_acc.data() + (chunk * g.O + gi * g.Og) * g.Kg, g.Og, g.Kg);
          Gw.noalias() += Gy * CMap<T>(col.data(), g.Kg, g.L).transpose();
        }
        if (gx) {
          Map<T> Col(col.data(), g.Kg, g.L);
          Col.noalias() = Wm.transpose() * Gy;
          col2im(col.data(), g, gx + (n * g.C + gi * g.Cg) * g.H * g.W);
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
  if (gb)
    for (int64_t o = 0; o < g.O; ++o) {
      T s = T(0);
      for (int64_t n = 0; n < g.N; ++n) {
        const T* r = gy + (n * g.O + o) * g.L;
        for (int64_t l = 0; l < g.L; ++l) s += r[l];
      }
      gb[o] = s;
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
  if (dt == DType::Float64) forward_impl(cptr<double>(x), cptr<double>(w), cptr<double>(b), mptr<double>(y), g);
  else forward_impl(cptr<float>(x), cptr<float>(w), cptr<float>(b), mptr<float>(y), g);
  if (!y.is_same(out)) copy(y, out);
}

void CpuBackend::conv2d_backward(const Tensor& grad_out, const Tensor& input, const Tensor& weight,
                                 const Conv2dParams& p, const Tensor& grad_input, const Tensor& grad_weight,
                                 const Tensor& grad_bias) {
  SEEK_CHECK_DTYPE(is_floating(grad_out.dtype()), "conv2d_backward: expected a floating dtype, got ",
                   grad_out.dtype());
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
    backward_impl(cptr<float>(gy), cptr<float>(x), cptr<float>(w), mptr<float>(gx), mptr<float>(gw),
                  mptr<float>(gb), g);
  if (gx.defined() && !gx.is_same(grad_input)) copy(gx, grad_input);
  if (gw.defined() && !gw.is_same(grad_weight)) copy(gw, grad_weight);
  if (gb.defined() && !gb.is_same(grad_bias)) copy(gb, grad_bias);
}

}  // namespace seek::cpu

// Conv family on the GPU: conv2d forward and backward by im2col + the GEMM of kernels/linalg.cu.
// Trick: the patch matrix of a chunk of images is built with the images side by side,
// col[(c*kh + i)*kw + j][n*L + l] (L = OH * OW), and every product addresses its operands
// through the GEMM's two batch levels (image, group) and strides, so one launch covers a
// whole chunk and no transposes are copied:
//   forward       y[n, g]  = W[g] @ col[g][:, n]        (batch n x g; 1x1 stride-1 convs read x itself)
//   input grad    col[g][:, n] = W[g]^T @ gy[n, g]      (then col2im, a gather: no atomics)
//   weight grad   gW[g] += gy[g] @ col[g]^T             (gy's chunk laid out [G, Og, n*L] first)
// The chunk size bounds the patch buffer. f16/bf16 are widened to f32 tensors, computed and
// rounded once, as the CPU backend does; f64 stays f64. The bias gradient is a block per
// channel summing in f64 in a fixed tree, so every result is deterministic.
// In the nvcc build with cuDNN, conv2d goes to kernels/conv_cudnn.cu instead (unless
// conv_impl() says Own); the simulated device always runs these kernels.
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>

#include "backend/cuda/cuda_backend.h"
#include "backend/cuda/cuda_check.h"
#include "common.cuh"
#include "kernels/conv.cuh"
#include "kernels/linalg.cuh"
#include "seek/core/convert.h"
#include "seek/core/dtype.h"

namespace seek::cuda {

namespace {

struct ConvGeom {
  int64_t N, C, H, W, O, kh, kw, OH, OW, G, Cg, Og, Kg, L;
  int64_t sh, sw, ph, pw, dh, dw;
};

// ---- kernels (T is the compute type: float or double) ----

// col[row][n*L + l] for the nb images at x (dense [nb, C, H, W]); rows are ld = nb*L apart.
template <typename T>
__global__ void im2col_kernel(const T* x, ConvGeom g, int64_t nb, T* col) {
  const int64_t ld = nb * g.L, total = g.C * g.kh * g.kw * ld;
  SEEK_GRID_STRIDE_LOOP(idx, total) {
    const int64_t row = idx / ld, q = idx % ld, n = q / g.L, l = q % g.L;
    const int64_t j = row % g.kw, i = (row / g.kw) % g.kh, c = row / (g.kw * g.kh);
    const int64_t ih = (l / g.OW) * g.sh - g.ph + i * g.dh, iw = (l % g.OW) * g.sw - g.pw + j * g.dw;
    col[idx] = ih >= 0 && ih < g.H && iw >= 0 && iw < g.W ? x[((n * g.C + c) * g.H + ih) * g.W + iw] : T(0);
  }
}

// The adjoint of im2col as a gather: x[n, c, ih, iw] (dense [nb, C, H, W], overwritten) sums
// the col entries of every (i, j) tap whose output position lands on it.
template <typename T>
__global__ void col2im_kernel(const T* col, ConvGeom g, int64_t nb, T* x) {
  const int64_t ld = nb * g.L, total = nb * g.C * g.H * g.W;
  SEEK_GRID_STRIDE_LOOP(idx, total) {
    const int64_t iw = idx % g.W, ih = (idx / g.W) % g.H, c = (idx / (g.W * g.H)) % g.C, n = idx / (g.W * g.H * g.C);
    T s = T(0);
    for (int64_t i = 0; i < g.kh; ++i) {
      const int64_t th = ih + g.ph - i * g.dh;
      if (th < 0 || th % g.sh != 0 || th / g.sh >= g.OH) continue;
      for (int64_t j = 0; j < g.kw; ++j) {
        const int64_t tw = iw + g.pw - j * g.dw;
        if (tw < 0 || tw % g.sw != 0 || tw / g.sw >= g.OW) continue;
        s += col[((c * g.kh + i) * g.kw + j) * ld + n * g.L + (th / g.sh) * g.OW + tw / g.sw];
      }
    }
    x[idx] = s;
  }
}

// ---- NHWC (channels_last) kernels: the patch matrix has a row per output pixel, ----
// col[(n*L + l) * ldc + (g*kh + i)*kw*Cg + j*Cg + cg] with ldc = kh*kw*C: channels innermost on
// both sides, so consecutive threads read consecutive channels of x (coalesced) and the weight
// is read as OHWI (a channels_last weight is already that; K = (i, j, cg) matches its rows).

// col for the nb images at x (dense NHWC [nb, H, W, C]).
template <typename T>
__global__ void im2col_nhwc_kernel(const T* x, ConvGeom g, int64_t nb, T* col) {
  const int64_t ldc = g.kh * g.kw * g.C, total = nb * g.L * ldc;
  SEEK_GRID_STRIDE_LOOP(idx, total) {
    const int64_t r = idx / ldc, q = idx % ldc, n = r / g.L, l = r % g.L;
    const int64_t grp = q / g.Kg, k = q % g.Kg, cg = k % g.Cg, j = (k / g.Cg) % g.kw, i = k / (g.Cg * g.kw);
    const int64_t ih = (l / g.OW) * g.sh - g.ph + i * g.dh, iw = (l % g.OW) * g.sw - g.pw + j * g.dw;
    col[idx] =
        ih >= 0 && ih < g.H && iw >= 0 && iw < g.W ? x[((n * g.H + ih) * g.W + iw) * g.C + grp * g.Cg + cg] : T(0);
  }
}

// The adjoint of im2col_nhwc as a gather into dense NHWC x [nb, H, W, C] (overwritten).
template <typename T>
__global__ void col2im_nhwc_kernel(const T* col, ConvGeom g, int64_t nb, T* x) {
  const int64_t ldc = g.kh * g.kw * g.C, total = nb * g.H * g.W * g.C;
  SEEK_GRID_STRIDE_LOOP(idx, total) {
    const int64_t c = idx % g.C, iw = (idx / g.C) % g.W, ih = (idx / (g.C * g.W)) % g.H, n = idx / (g.C * g.W * g.H);
    const int64_t base = (c / g.Cg) * g.Kg + c % g.Cg;
    T s = T(0);
    for (int64_t i = 0; i < g.kh; ++i) {
      const int64_t th = ih + g.ph - i * g.dh;
      if (th < 0 || th % g.sh != 0 || th / g.sh >= g.OH) continue;
      for (int64_t j = 0; j < g.kw; ++j) {
        const int64_t tw = iw + g.pw - j * g.dw;
        if (tw < 0 || tw % g.sw != 0 || tw / g.sw >= g.OW) continue;
        s += col[(n * g.L + (th / g.sh) * g.OW + tw / g.sw) * ldc + base + (i * g.kw + j) * g.Cg];
      }
    }
    x[idx] = s;
  }
}

// y[n, o, l] += b[o] over dense y [N, O, L], NCHW or NHWC (any floating storage type; added in acc_t).
template <typename T>
__global__ void add_bias_kernel(T* y, const T* b, int64_t O, int64_t L, bool nhwc, int64_t total) {
  using A = acc_t<T>;
  SEEK_GRID_STRIDE_LOOP(idx, total) {
    const int64_t o = nhwc ? idx % O : (idx / L) % O;
    y[idx] = convert<T>(convert<A>(y[idx]) + convert<A>(b[o]));
  }
}

// gb[o] = sum over n, l of gy[n, o, l] (dense, NCHW or NHWC): a block per channel, each thread
// summing a strided share in f64, then a fixed tree in shared memory.
template <typename T>
__global__ void bias_grad_kernel(const T* gy, int64_t N, int64_t O, int64_t L, bool nhwc, T* gb) {
  double* part = dynamic_shared_memory<double>();  // kBlockThreads of them (not static: see linalg.cu)
  const int tid = static_cast<int>(threadIdx.x);
  for (int64_t o = blockIdx.x; o < O; o += gridDim.x) {  // uniform across the block
    double s = 0;
    for (int64_t q = tid; q < N * L; q += kBlockThreads)
      s += convert<double>(gy[nhwc ? q * O + o : ((q / L) * O + o) * L + q % L]);
    part[tid] = s;
    __syncthreads();
    for (int half = kBlockThreads / 2; half > 0; half /= 2) {
      if (tid < half) part[tid] += part[tid + half];
      __syncthreads();
    }
    if (tid == 0) gb[o] = convert<T>(part[0]);
    __syncthreads();  // part[0] is read before the next channel overwrites it
  }
}

// ---- launchers ----

constexpr int64_t kDefaultPatchLimit = int64_t{1} << 24;  // patch buffer per chunk (64 MiB of f32)
std::atomic<int64_t> g_patch_limit{kDefaultPatchLimit};

// Images per chunk: as many as keep the patch matrix (and gy's chunk) within the limit.
int64_t images_per_chunk(const ConvGeom& g) {
  const int64_t per_image = std::max<int64_t>(1, std::max(g.C * g.kh * g.kw, g.O) * g.L);
  return std::max<int64_t>(1, std::min(g.N, g_patch_limit.load() / per_image));
}

// A 1x1 conv with stride 1 and no padding: the patch matrix is the input itself.
bool pointwise(const ConvGeom& g) { return g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.ph == 0 && g.pw == 0; }

template <typename T>
void im2col(const T* x, const ConvGeom& g, int64_t nb, T* col, cudaStream_t stream) {
  const int64_t total = g.C * g.kh * g.kw * nb * g.L;
  launch(im2col_kernel<T>, {grid_size(total), kBlockThreads, 0, stream}, x, g, nb, col);
}

// y (dense [N, O, OH, OW]) = conv(x, w); x, w dense.
template <typename T>
void conv_forward(const T* x, const T* w, T* y, const ConvGeom& g, Device device, cudaStream_t stream) {
  const DType dt = dtype_of<T>::value;
  const int64_t nb = images_per_chunk(g);
  const bool direct = pointwise(g);
  Tensor col = direct ? Tensor() : empty({g.Kg * g.G * nb * g.L}, TensorOptions(dt).device(device));
  for (int64_t n0 = 0; n0 < g.N; n0 += nb) {
    const int64_t n = std::min(nb, g.N - n0), ld = n * g.L;
    MatrixStack patches;
    if (direct) {
      patches = {x + n0 * g.C * g.L, g.C * g.L, g.Cg * g.L, g.L, 1};
    } else {
      T* pc = static_cast<T*>(col.data_ptr());
      im2col(x + n0 * g.C * g.H * g.W, g, n, pc, stream);
      patches = {pc, g.L, g.Kg * ld, ld, 1};
    }
    gemm_forward(dt, GemmShape{n, g.G, g.Og, g.L, g.Kg}, MatrixStack{w, 0, g.Og * g.Kg, g.Kg, 1}, patches,
                 MatrixStack{y + n0 * g.O * g.L, g.O * g.L, g.Og * g.L, g.L, 1}, 1.0, 0.0, stream);
  }
}

// Writes grad_input and/or grad_weight (non-null); gy_t is gy as a dense tensor (for the weight gradient's gather).
template <typename T>
void conv_backward(const Tensor& gy_t, const T* x, const T* w, T* gx, T* gw, const ConvGeom& g, cudaStream_t stream) {
  const DType dt = dtype_of<T>::value;
  const Device device = gy_t.device();
  const T* gy = static_cast<const T*>(gy_t.data_ptr());
  const int64_t nb = images_per_chunk(g);
  const bool direct_gx = pointwise(g);
  const TensorOptions opts = TensorOptions(dt).device(device);
  Tensor col = gw || (gx && !direct_gx) ? empty({g.Kg * g.G * nb * g.L}, opts) : Tensor();
  Tensor wide = gw && nb > 1 ? empty({g.O * nb * g.L}, opts) : Tensor();
  T* pc = col.defined() ? static_cast<T*>(col.data_ptr()) : nullptr;
  for (int64_t n0 = 0; n0 < g.N; n0 += nb) {
    const int64_t n = std::min(nb, g.N - n0), ld = n * g.L;
    if (gw) {
      im2col(x + n0 * g.C * g.H * g.W, g, n, pc, stream);
      // gy's chunk as [G, Og, n*L]: already that layout for one image, else gathered.
      MatrixStack gy_rows{gy + n0 * g.O * g.L, 0, g.Og * g.L, g.L, 1};
      if (n > 1) {
        const Tensor dst = wide.narrow(0, 0, g.O * ld).view({g.G, g.Og, n, g.L});
        cuda_backend()->copy(gy_t.narrow(0, n0, n).view({n, g.G, g.Og, g.L}).permute({1, 2, 0, 3}), dst);
        gy_rows = {wide.data_ptr(), 0, g.Og * ld, ld, 1};
      }
      gemm_forward(dt, GemmShape{1, g.G, g.Og, g.Kg, ld}, gy_rows, MatrixStack{pc, 0, g.Kg * ld, 1, ld},
                   MatrixStack{gw, 0, g.Og * g.Kg, g.Kg, 1}, 1.0, n0 == 0 ? 0.0 : 1.0, stream);
    }
    if (gx) {
      const MatrixStack out = direct_gx ? MatrixStack{gx + n0 * g.C * g.L, g.C * g.L, g.Cg * g.L, g.L, 1}
                                        : MatrixStack{pc, g.L, g.Kg * ld, ld, 1};
      gemm_forward(dt, GemmShape{n, g.G, g.Kg, g.L, g.Og}, MatrixStack{w, 0, g.Og * g.Kg, 1, g.Kg},
                   MatrixStack{gy + n0 * g.O * g.L, g.O * g.L, g.Og * g.L, g.L, 1}, out, 1.0, 0.0, stream);
      if (!direct_gx) {
        const int64_t total = n * g.C * g.H * g.W;
        launch(col2im_kernel<T>, {grid_size(total), kBlockThreads, 0, stream}, static_cast<const T*>(pc), g, n,
               gx + n0 * g.C * g.H * g.W);
      }
    }
  }
}

// NHWC: y (dense [N, OH, OW, O]) = conv(x, w) for x dense [N, H, W, C] and w dense OHWI. Rows are
// output pixels: one GEMM per chunk over the G groups, [n*L, Kg] @ [Kg, Og] into y's group columns.
template <typename T>
void conv_forward_nhwc(const T* x, const T* w, T* y, const ConvGeom& g, Device device, cudaStream_t stream) {
  const DType dt = dtype_of<T>::value;
  const int64_t nb = images_per_chunk(g), ldc = g.kh * g.kw * g.C;
  const bool direct = pointwise(g);  // the patch matrix is x itself: rows of C, group g at column g*Cg
  Tensor col = direct ? Tensor() : empty({nb * g.L * ldc}, TensorOptions(dt).device(device));
  for (int64_t n0 = 0; n0 < g.N; n0 += nb) {
    const int64_t n = std::min(nb, g.N - n0);
    MatrixStack patches{x + n0 * g.L * g.C, 0, g.Cg, g.C, 1};
    if (!direct) {
      T* pc = static_cast<T*>(col.data_ptr());
      const int64_t total = n * g.L * ldc;
      launch(im2col_nhwc_kernel<T>, {grid_size(total), kBlockThreads, 0, stream}, x + n0 * g.H * g.W * g.C, g, n, pc);
      patches = {pc, 0, g.Kg, ldc, 1};
    }
    gemm_forward(dt, GemmShape{1, g.G, n * g.L, g.Og, g.Kg}, patches, MatrixStack{w, 0, g.Og * g.Kg, 1, g.Kg},
                 MatrixStack{y + n0 * g.L * g.O, 0, g.Og, g.O, 1}, 1.0, 0.0, stream);
  }
}

// NHWC backward: gx (dense NHWC) and/or gw (dense OHWI) from gy (dense NHWC [N, OH, OW, O]).
// The weight gradient reads gy's rows transposed in place: no gather of gy is needed.
template <typename T>
void conv_backward_nhwc(const T* gy, const T* x, const T* w, T* gx, T* gw, const ConvGeom& g, Device device,
                        cudaStream_t stream) {
  const DType dt = dtype_of<T>::value;
  const int64_t nb = images_per_chunk(g), ldc = g.kh * g.kw * g.C;
  const bool direct = pointwise(g);
  Tensor col = direct ? Tensor() : empty({nb * g.L * ldc}, TensorOptions(dt).device(device));
  T* pc = col.defined() ? static_cast<T*>(col.data_ptr()) : nullptr;
  for (int64_t n0 = 0; n0 < g.N; n0 += nb) {
    const int64_t n = std::min(nb, g.N - n0), rows = n * g.L;
    const T* gyc = gy + n0 * g.L * g.O;
    if (gw) {
      MatrixStack patches{x + n0 * g.L * g.C, 0, g.Cg, g.C, 1};
      if (!direct) {
        launch(im2col_nhwc_kernel<T>, {grid_size(rows * ldc), kBlockThreads, 0, stream}, x + n0 * g.H * g.W * g.C, g, n,
               pc);
        patches = {pc, 0, g.Kg, ldc, 1};
      }
      gemm_forward(dt, GemmShape{1, g.G, g.Og, g.Kg, rows}, MatrixStack{gyc, 0, g.Og, 1, g.O}, patches,
                   MatrixStack{gw, 0, g.Og * g.Kg, g.Kg, 1}, 1.0, n0 == 0 ? 0.0 : 1.0, stream);
    }
    if (gx) {
      const MatrixStack out =
          direct ? MatrixStack{gx + n0 * g.L * g.C, 0, g.Cg, g.C, 1} : MatrixStack{pc, 0, g.Kg, ldc, 1};
      gemm_forward(dt, GemmShape{1, g.G, rows, g.Kg, g.Og}, MatrixStack{gyc, 0, g.Og, g.O, 1},
                   MatrixStack{w, 0, g.Og * g.Kg, g.Kg, 1}, out, 1.0, 0.0, stream);
      if (!direct) {
        const int64_t total = n * g.H * g.W * g.C;
        launch(col2im_nhwc_kernel<T>, {grid_size(total), kBlockThreads, 0, stream}, static_cast<const T*>(pc), g, n,
               gx + n0 * g.H * g.W * g.C);
      }
    }
  }
}

// ---- shapes, dtypes and buffers ----

DType compute_dtype(DType t) { return t == DType::Float64 ? DType::Float64 : DType::Float32; }

// t as a dense tensor of dtype dt in format f (NCHW, or NHWC for 4-D t) on its device (t itself when it
// already is one). A bias ([O]) is dense in either format.
Tensor dense(const Tensor& t, DType dt, MemoryFormat f = MemoryFormat::Contiguous) {
  if (!t.defined() || t.dim() != 4) f = MemoryFormat::Contiguous;
  if (!t.defined() || (t.dtype() == dt && t.is_contiguous(f))) return t;
  Tensor d = empty(t.sizes(), TensorOptions(dt).device(t.device()), f);
  cuda_backend()->copy(t, d);
  return d;
}

// A dense buffer of dtype dt in format f to compute `out` into (out itself when possible).
Tensor work(const Tensor& out, DType dt, MemoryFormat f = MemoryFormat::Contiguous) {
  if (!out.defined() || out.dim() != 4) f = MemoryFormat::Contiguous;
  if (!out.defined() || (out.dtype() == dt && out.is_contiguous(f))) return out;
  return empty(out.sizes(), TensorOptions(dt).device(out.device()), f);
}

// Whether t is a dense channels_last 4-D tensor that is not also NCHW-contiguous.
bool is_nhwc(const Tensor& t) {
  return t.defined() && t.dim() == 4 && !t.is_contiguous() && t.is_contiguous(MemoryFormat::ChannelsLast);
}

void finish(const Tensor& result, const Tensor& out) {
  if (result.defined() && !result.is_same(out)) cuda_backend()->copy(result, out);
}

template <typename T>
T* ptr(const Tensor& t) {
  return t.defined() ? static_cast<T*>(t.data_ptr()) : nullptr;
}

// Checks the operands (input shape [N, C, H, W], out/grad_out [N, O, OH, OW]) and returns the geometry.
ConvGeom geometry(const char* op, const Shape& in, const Tensor& weight, const Conv2dParams& p, const Tensor& y,
                  std::initializer_list<const Tensor*> others) {
  SEEK_CHECK_SHAPE(in.size() == 4 && weight.dim() == 4 && y.dim() == 4, op,
                   ": expected 4-D input, weight and output, got ", shape_str(in), ", ", shape_str(weight.sizes()),
                   " and ", shape_str(y.sizes()));
  SEEK_CHECK_DTYPE(is_floating(weight.dtype()), op, ": expected a floating dtype, got ", weight.dtype());
  SEEK_CHECK_T(DeviceError, weight.is_cuda(), op, ": expected CUDA tensors, got the weight on ", weight.device().str());
  for (const Tensor* t : others) {
    if (!t->defined()) continue;
    SEEK_CHECK_DTYPE(t->dtype() == weight.dtype(), op, ": expected one dtype, got ", t->dtype(), " and ",
                     weight.dtype());
    SEEK_CHECK_T(DeviceError, t->device() == weight.device(), op, ": expected tensors on one device, got ",
                 t->device().str(), " and ", weight.device().str());
  }
  ConvGeom g{};
  g.N = in[0], g.C = in[1], g.H = in[2], g.W = in[3];
  g.O = weight.size(0), g.kh = weight.size(2), g.kw = weight.size(3), g.G = p.groups;
  g.sh = p.stride[0], g.sw = p.stride[1], g.ph = p.padding[0], g.pw = p.padding[1];
  g.dh = p.dilation[0], g.dw = p.dilation[1];
  SEEK_CHECK_VALUE(g.G > 0 && g.sh > 0 && g.sw > 0 && g.dh > 0 && g.dw > 0 && g.ph >= 0 && g.pw >= 0, op,
                   ": groups, stride and dilation must be positive and padding non-negative");
  SEEK_CHECK_SHAPE(g.C % g.G == 0 && g.O % g.G == 0 && weight.size(1) * g.G == g.C, op, ": weight ",
                   shape_str(weight.sizes()), " does not fit input ", shape_str(in), " with ", g.G, " groups");
  g.Cg = g.C / g.G, g.Og = g.O / g.G, g.Kg = g.Cg * g.kh * g.kw;
  g.OH = (g.H + 2 * g.ph - g.dh * (g.kh - 1) - 1) / g.sh + 1;
  g.OW = (g.W + 2 * g.pw - g.dw * (g.kw - 1) - 1) / g.sw + 1;
  SEEK_CHECK_SHAPE(y.size(0) == g.N && y.size(1) == g.O && y.size(2) == g.OH && y.size(3) == g.OW, op, ": output ",
                   shape_str(y.sizes()), " should be [", g.N, ", ", g.O, ", ", g.OH, ", ", g.OW, "]");
  g.L = g.OH * g.OW;
  return g;
}

std::atomic<int> g_conv_impl{-1};  // -1: not yet read from the environment

}  // namespace

void add_channel_bias(const Tensor& y, const Tensor& b, cudaStream_t stream) {
  const int64_t O = y.size(1), L = y.numel() / std::max<int64_t>(1, y.size(0) * O), total = y.numel();
  if (total == 0) return;
  SEEK_DISPATCH_FLOATING(y.dtype(), "conv2d", [&] {
    launch(add_bias_kernel<scalar_t>, {grid_size(total), kBlockThreads, 0, stream},
           static_cast<scalar_t*>(y.data_ptr()), static_cast<const scalar_t*>(b.data_ptr()), O, L, is_nhwc(y), total);
  });
}

void channel_bias_grad(const Tensor& gy, const Tensor& gb, cudaStream_t stream) {
  const int64_t N = gy.size(0), O = gy.size(1), L = gy.numel() / std::max<int64_t>(1, N * O);
  if (O == 0) return;
  const auto blocks = static_cast<unsigned>(std::min<int64_t>(O, 65535));
  SEEK_DISPATCH_FLOATING(gy.dtype(), "conv2d_backward", [&] {
    launch(bias_grad_kernel<scalar_t>, {blocks, kBlockThreads, kBlockThreads * sizeof(double), stream},
           static_cast<const scalar_t*>(gy.data_ptr()), N, O, L, is_nhwc(gy), static_cast<scalar_t*>(gb.data_ptr()));
  });
}

void set_conv_impl(ConvImpl impl) { g_conv_impl.store(static_cast<int>(impl)); }

ConvImpl conv_impl() {
#if defined(SEEK_HAVE_CUDNN) && !defined(SEEK_CUDA_SIM)
  int v = g_conv_impl.load();
  if (v < 0) {
    const char* env = std::getenv("SEEK_CUDA_CONV");
    v = static_cast<int>(env && std::strcmp(env, "own") == 0 ? ConvImpl::Own : ConvImpl::Library);
    g_conv_impl.store(v);
  }
  return static_cast<ConvImpl>(v);
#else
  return ConvImpl::Own;
#endif
}

int64_t set_conv_patch_limit(int64_t elems) {
  SEEK_CHECK_VALUE(elems >= 0, "set_conv_patch_limit: expected a non-negative limit, got ", elems);
  return g_patch_limit.exchange(elems == 0 ? kDefaultPatchLimit : elems);
}

// ---- CudaBackend conv entries ----

const FamilyRegistrar conv_family(BackendFamily::Conv, [](DType dt) { return is_floating(dt); });

void CudaBackend::conv2d_forward(const Tensor& input, const Tensor& weight, const Tensor& bias, const Conv2dParams& p,
                                 const Tensor& out) {
  const ConvGeom g = geometry("conv2d", input.sizes(), weight, p, out, {&input, &bias, &out});
  SEEK_CHECK_SHAPE(!bias.defined() || bias.sizes() == Shape{g.O}, "conv2d: bias ", shape_str(bias.sizes()),
                   " should be [", g.O, "]");
  if (out.numel() == 0) return;
  DeviceGuard guard(out.device().index, "conv2d");
  // NHWC when the op asked for a channels_last output (or the input is channels_last and the output
  // is dense either way): input, weight (OHWI) and output are then used in place, no repacking.
  const bool nhwc = is_nhwc(out) || (out.is_contiguous(MemoryFormat::ChannelsLast) && is_nhwc(input));
  const MemoryFormat f = nhwc ? MemoryFormat::ChannelsLast : MemoryFormat::Contiguous;
#if defined(SEEK_HAVE_CUDNN) && !defined(SEEK_CUDA_SIM)
  if (conv_impl() == ConvImpl::Library && g.Kg > 0) {
    const DType st = input.dtype();
    const Tensor y = work(out, st, f);
    if (cudnn_conv_forward(dense(input, st, f), dense(weight, st, f), dense(bias, st), p, y, nhwc)) {
      finish(y, out);
      return;
    }
  }
#endif
  const DType dt = compute_dtype(input.dtype());
  const Tensor x = dense(input, dt, f), w = dense(weight, dt, f), b = dense(bias, dt), y = work(out, dt, f);
  if (g.Kg == 0 || g.N * g.C * g.H * g.W == 0) {  // an empty sum: the bias (or zeros)
    fill(y, Scalar(0));
    if (b.defined()) copy(b.view({1, g.O, 1, 1}).expand(y.sizes()), y);
  } else {
    if (nhwc && dt == DType::Float64)
      conv_forward_nhwc(ptr<double>(x), ptr<double>(w), ptr<double>(y), g, out.device(), current_stream());
    else if (nhwc)
      conv_forward_nhwc(ptr<float>(x), ptr<float>(w), ptr<float>(y), g, out.device(), current_stream());
    else if (dt == DType::Float64)
      conv_forward(ptr<double>(x), ptr<double>(w), ptr<double>(y), g, out.device(), current_stream());
    else
      conv_forward(ptr<float>(x), ptr<float>(w), ptr<float>(y), g, out.device(), current_stream());
    if (b.defined()) add_channel_bias(y, b, current_stream());
  }
  finish(y, out);
}

void CudaBackend::conv2d_backward(const Tensor& grad_out, const Tensor& input, const Tensor& weight,
                                  const Conv2dParams& p, const Tensor& grad_input, const Tensor& grad_weight,
                                  const Tensor& grad_bias) {
  SEEK_CHECK(input.defined() || !grad_weight.defined(), "conv2d_backward: grad_weight needs the input");
  SEEK_CHECK(input.defined() || grad_input.defined(), "conv2d_backward: needs the input or grad_input for its shape");
  const Shape& in_shape = input.defined() ? input.sizes() : grad_input.sizes();
  const ConvGeom g = geometry("conv2d_backward", in_shape, weight, p, grad_out,
                              {&grad_out, &input, &grad_input, &grad_weight, &grad_bias});
  SEEK_CHECK_SHAPE(!grad_input.defined() || grad_input.sizes() == in_shape, "conv2d_backward: grad_input ",
                   shape_str(grad_input.sizes()), " should be ", shape_str(in_shape));
  SEEK_CHECK_SHAPE(!grad_weight.defined() || grad_weight.sizes() == weight.sizes(), "conv2d_backward: grad_weight ",
                   shape_str(grad_weight.sizes()), " should be ", shape_str(weight.sizes()));
  SEEK_CHECK_SHAPE(!grad_bias.defined() || grad_bias.sizes() == Shape{g.O}, "conv2d_backward: grad_bias ",
                   shape_str(grad_bias.sizes()), " should be [", g.O, "]");
  DeviceGuard guard(weight.device().index, "conv2d_backward");
  // NHWC when an activation (grad_input, grad_out or input) is channels_last: the activations and the
  // weight and its gradient (OHWI) are then used in place.
  const bool nhwc = is_nhwc(grad_input) || is_nhwc(grad_out) || is_nhwc(input);
  const MemoryFormat f = nhwc ? MemoryFormat::ChannelsLast : MemoryFormat::Contiguous;
#if defined(SEEK_HAVE_CUDNN) && !defined(SEEK_CUDA_SIM)
  if (conv_impl() == ConvImpl::Library && grad_out.numel() > 0 && g.Kg > 0) {
    const DType st = weight.dtype();
    const Tensor gx = work(grad_input, st, f), gw = work(grad_weight, st, f), gb = work(grad_bias, st);
    const Tensor x = grad_weight.defined() ? dense(input, st, f) : Tensor();
    if (cudnn_conv_backward(dense(grad_out, st, f), x, dense(weight, st, f), p, in_shape, gx, gw, gb, nhwc)) {
      finish(gx, grad_input);
      finish(gw, grad_weight);
      finish(gb, grad_bias);
      return;
    }
  }
#endif
  const DType dt = compute_dtype(weight.dtype());
  const Tensor gy = dense(grad_out, dt, f), w = dense(weight, dt, f);
  const Tensor x = grad_weight.defined() ? dense(input, dt, f) : Tensor();
  const Tensor gx = work(grad_input, dt, f), gw = work(grad_weight, dt, f), gb = work(grad_bias, dt);
  if (gy.numel() == 0 || g.Kg == 0) {  // nothing flows back: zero gradients
    for (const Tensor* t : {&gx, &gw, &gb})
      if (t->defined()) fill(*t, Scalar(0));
  } else {
    if (nhwc && (gx.defined() || gw.defined())) {
      if (dt == DType::Float64)
        conv_backward_nhwc(ptr<double>(gy), ptr<double>(x), ptr<double>(w), ptr<double>(gx), ptr<double>(gw), g,
                           weight.device(), current_stream());
      else
        conv_backward_nhwc(ptr<float>(gy), ptr<float>(x), ptr<float>(w), ptr<float>(gx), ptr<float>(gw), g,
                           weight.device(), current_stream());
    } else if (gx.defined() || gw.defined()) {
      if (dt == DType::Float64)
        conv_backward(gy, ptr<double>(x), ptr<double>(w), ptr<double>(gx), ptr<double>(gw), g, current_stream());
      else
        conv_backward(gy, ptr<float>(x), ptr<float>(w), ptr<float>(gx), ptr<float>(gw), g, current_stream());
    }
    if (gb.defined()) channel_bias_grad(gy, gb, current_stream());
  }
  finish(gx, grad_input);
  finish(gw, grad_weight);
  finish(gb, grad_bias);
}

}  // namespace seek::cuda

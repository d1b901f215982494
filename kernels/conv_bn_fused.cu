// Fused conv2d -> batch norm (batch statistics) -> residual add -> ReLU for training on the GPU (issue 15),
// the CUDA side of backend/conv_bn_fused.h (the CPU twin is src/backend/cpu/cpu_conv_bn.cpp).
//
// The trick: batch norm needs per-channel sums of the conv output before it can normalise anything, and
// in NHWC the conv output IS a row-major GEMM result, z[M = N*OH*OW][O], whose columns are the channels.
// So the implicit-GEMM convolution computes the statistics in its epilogue, from the tile it already
// holds in registers: each block writes z and one partial (sum, sum of squares) per column of its
// 64-row tile; a second-level kernel reduces the partials per channel in a fixed order (f64), so the
// result does not depend on scheduling (no atomics). One elementwise pass then normalises, applies the
// affine, the residual and the ReLU. The activations cross memory: conv write (z), one read of z (+
// residual) and one write (out), against the unfused path's extra statistics read and the separate
// add and ReLU round trips.
//
//   x NHWC, w OHWI                  grid (M/64, O/64), 128 threads = 4 warps of 32x32
//     | implicit im2col gather       k-loop in steps of 16: A 64x16, B 64x16 tiles in shared memory,
//     v (zero padding, any stride,   bf16/f16: mma.sync m16n8k16 (tensor_core.cuh), f32: scalar FMAs
//        dilation)                   into the same fragment layout
//   epilogue: + conv bias, round to T, store z; column sums over the thread's rows -> shuffle over the
//             8 row groups of the warp -> shared memory over the 2 row warps -> partial[tile_m][c]
//   stats:    per channel, partials in tile order, f64 -> mean, var, invstd, scale, shift
//   apply:    out = relu(z * scale + shift + residual)                       (grid-stride, NHWC)
//
// Backward (out saved, mask m = out > 0): one pass of column partials of g = dy*m and g*(z - mean),
// reduced like the forward's; one pass writing grad_z = k*g + slope*z + shift (and grad_residual = g);
// then the CUDA backend's own conv2d_backward (kernels/conv.cu) for the data / weight / bias gradients.
// groups > 1 runs the backend's conv2d_forward and then the same column-partials pass for the stats.
// Not yet: cp.async multi-stage pipelining and ldmatrix in the GEMM main loop (it loads with plain
// predicated loads), and f64 (runs the unfused ops).
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "backend/conv_bn_fused.h"
#include "backend/cuda/cuda_backend.h"
#include "kernels/common.cuh"
#include "kernels/launch.cuh"
#include "kernels/tensor_core.cuh"
#include "seek/backend/backend.h"
#include "seek/core/half.h"

namespace seek::cuda {

namespace {

constexpr int kTileM = 64, kTileN = 64, kTileK = 16, kConvThreads = 128;
constexpr int kPartialRows = 64;                    // rows per partial in the column-partials pass
constexpr int kColThreadsX = 32, kColThreadsY = 8;  // column-partials / reduce block: 32 channels x 8

struct ConvGeom {
  int64_t N, C, H, W, O, KH, KW, OH, OW;
  int64_t sh, sw, ph, pw, dh, dw;
  int64_t M, K;  // M = N * OH * OW rows, K = KH * KW * C
};

template <typename T>
inline constexpr bool kTensorCore = std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>;

// ---------------------------------------------------------------- implicit-GEMM conv + column sums

// One block computes z[m0 : m0+64][n0 : n0+64] = im2col(x) @ w^T (+ bias) and writes, for each of its
// columns, the sum and the sum of squares of the (rounded) values over its rows to part_sum/part_sq
// [tiles_m][O].
template <typename T>
__global__ void __launch_bounds__(kConvThreads)
    conv_stats_kernel(const T* x, const T* w, const T* bias, T* z, float* part_sum, float* part_sq, ConvGeom g) {
  __shared__ float As[kTileM][kTileK + 1];  // values as float: one tile layout for every T
  __shared__ float Bs[kTileN][kTileK + 1];
  __shared__ float red_sum[2][kTileN], red_sq[2][kTileN];
  const int tid = static_cast<int>(threadIdx.x), warp = tid >> 5, lane = tid & 31;
  const int wm = warp >> 1, wn = warp & 1, gq = lane >> 2, tq = lane & 3;
  const int64_t m0 = static_cast<int64_t>(blockIdx.x) * kTileM, n0 = static_cast<int64_t>(blockIdx.y) * kTileN;

  // This thread loads row `lr` of both tiles, k-columns lk .. lk+7.
  const int lr = tid >> 1, lk = (tid & 1) * 8;
  const int64_t am = m0 + lr;
  int64_t an = 0, aoh = 0, aow = 0;
  if (am < g.M) an = am / (g.OH * g.OW), aoh = (am / g.OW) % g.OH, aow = am % g.OW;
  const int64_t bo = n0 + lr;

  float acc[2][4][4] = {};
  for (int64_t k0 = 0; k0 < g.K; k0 += kTileK) {
    for (int j = 0; j < 8; ++j) {
      const int64_t k = k0 + lk + j;
      float av = 0.f, bv = 0.f;
      if (k < g.K) {
        const int64_t c = k % g.C, rs = k / g.C, r = rs / g.KW, s = rs % g.KW;
        if (am < g.M) {
          const int64_t ih = aoh * g.sh - g.ph + r * g.dh, iw = aow * g.sw - g.pw + s * g.dw;
          if (ih >= 0 && ih < g.H && iw >= 0 && iw < g.W)
            av = static_cast<float>(x[((an * g.H + ih) * g.W + iw) * g.C + c]);
        }
        if (bo < g.O) bv = static_cast<float>(w[bo * g.K + k]);
      }
      As[lr][lk + j] = av;
      Bs[lr][lk + j] = bv;
    }
    __syncthreads();
    SEEK_UNROLL
    for (int mi = 0; mi < 2; ++mi) {
      const int row = wm * 32 + mi * 16 + gq;
      SEEK_UNROLL
      for (int ni = 0; ni < 4; ++ni) {
        const int col = wn * 32 + ni * 8 + gq;  // the B fragment's n is g
        if constexpr (kTensorCore<T>) {
          using Tag = std::conditional_t<std::is_same_v<T, BFloat16>, __nv_bfloat16, __half>;
          uint32_t a[4], b[2];
          // A (16x16): register r holds row g + 8*(r&1), cols 2t + 8*(r>>1) and the next one
          for (int r = 0; r < 4; ++r)
            a[r] = pack_x2<Tag>(As[row + 8 * (r & 1)][2 * tq + 8 * (r >> 1)],
                                As[row + 8 * (r & 1)][2 * tq + 8 * (r >> 1) + 1]);
          // B (16x8, k by n): register r holds k = 2t + 8r and 2t + 8r + 1 of column g
          for (int r = 0; r < 2; ++r) b[r] = pack_x2<Tag>(Bs[col][2 * tq + 8 * r], Bs[col][2 * tq + 8 * r + 1]);
          mma_m16n8k16<Tag>(acc[mi][ni], a, b, acc[mi][ni]);
        } else {
          // The same C fragment by scalar FMAs: element i is row g + 8*(i>=2), col 2t + (i&1).
          for (int i = 0; i < 4; ++i) {
            const int rr = row + 8 * (i >> 1), cc = wn * 32 + ni * 8 + 2 * tq + (i & 1);
            float s = acc[mi][ni][i];
            for (int kk = 0; kk < kTileK; ++kk) s = fmaf(As[rr][kk], Bs[cc][kk], s);
            acc[mi][ni][i] = s;
          }
        }
      }
    }
    __syncthreads();
  }

  // Epilogue: bias, rounding, store, and this thread's column sums (columns 2t, 2t+1 of each ni).
  float csum[4][2] = {}, csq[4][2] = {};
  SEEK_UNROLL
  for (int mi = 0; mi < 2; ++mi) {
    SEEK_UNROLL
    for (int ni = 0; ni < 4; ++ni) {
      for (int i = 0; i < 4; ++i) {
        const int64_t m = m0 + wm * 32 + mi * 16 + gq + 8 * (i >> 1);
        const int64_t o = n0 + wn * 32 + ni * 8 + 2 * tq + (i & 1);
        if (m >= g.M || o >= g.O) continue;
        float v = acc[mi][ni][i];
        if (bias != nullptr) v += static_cast<float>(bias[o]);
        const T zt = static_cast<T>(v);
        z[m * g.O + o] = zt;
        const float vr = static_cast<float>(zt);  // the statistics of what is normalised
        csum[ni][i & 1] += vr;
        csq[ni][i & 1] += vr * vr;
      }
    }
  }
  // Over the 8 row groups of the warp (lanes with the same t): xor 4, 8, 16 keeps t.
  for (int ni = 0; ni < 4; ++ni)
    for (int j = 0; j < 2; ++j)
      for (int off = 4; off < 32; off <<= 1) {
        csum[ni][j] += __shfl_xor_sync(0xffffffffu, csum[ni][j], off);
        csq[ni][j] += __shfl_xor_sync(0xffffffffu, csq[ni][j], off);
      }
  if (gq == 0)
    for (int ni = 0; ni < 4; ++ni)
      for (int j = 0; j < 2; ++j) {
        const int cl = wn * 32 + ni * 8 + 2 * tq + j;
        red_sum[wm][cl] = csum[ni][j];
        red_sq[wm][cl] = csq[ni][j];
      }
  __syncthreads();
  if (tid < kTileN && n0 + tid < g.O) {  // the two row warps, in a fixed order
    part_sum[static_cast<int64_t>(blockIdx.x) * g.O + n0 + tid] = red_sum[0][tid] + red_sum[1][tid];
    part_sq[static_cast<int64_t>(blockIdx.x) * g.O + n0 + tid] = red_sq[0][tid] + red_sq[1][tid];
  }
}

// ---------------------------------------------------------------- column partials (NHWC [M][O])

// What the column-partials pass sums per element: (z, z^2) for the forward's statistics when the conv
// ran elsewhere, (g, g * (z - mean)) with g = dy * (out > 0) for the backward.
struct ColumnTerms {
  const void* z;
  const void* dy;   // null: forward statistics
  const void* out;  // null: no ReLU mask
  const float* mean;
};

template <typename T>
__global__ void column_partials_kernel(ColumnTerms t, int64_t M, int64_t O, float* part_a, float* part_b) {
  __shared__ float sa[kColThreadsY][kColThreadsX], sb[kColThreadsY][kColThreadsX];
  const int tx = static_cast<int>(threadIdx.x), ty = static_cast<int>(threadIdx.y);
  const int64_t c = static_cast<int64_t>(blockIdx.y) * kColThreadsX + tx;
  const int64_t r0 = static_cast<int64_t>(blockIdx.x) * kPartialRows;
  const T* z = static_cast<const T*>(t.z);
  const T* dy = static_cast<const T*>(t.dy);
  const T* out = static_cast<const T*>(t.out);
  float a = 0.f, b = 0.f;
  if (c < O) {
    const float mu = t.mean != nullptr ? t.mean[c] : 0.f;
    for (int64_t r = r0 + ty; r < r0 + kPartialRows && r < M; r += kColThreadsY) {
      const int64_t i = r * O + c;
      const float zv = static_cast<float>(z[i]);
      if (dy == nullptr) {
        a += zv, b += zv * zv;
      } else {
        const float gv = out != nullptr && !(static_cast<float>(out[i]) > 0.f) ? 0.f : static_cast<float>(dy[i]);
        a += gv, b += gv * (zv - mu);
      }
    }
  }
  sa[ty][tx] = a, sb[ty][tx] = b;
  __syncthreads();
  if (ty == 0 && c < O) {
    for (int j = 1; j < kColThreadsY; ++j) a += sa[j][tx], b += sb[j][tx];  // fixed order
    part_a[static_cast<int64_t>(blockIdx.x) * O + c] = a;
    part_b[static_cast<int64_t>(blockIdx.x) * O + c] = b;
  }
}

// Second level: per channel, the partials of every row tile in a fixed order, in f64.
// tot_a / tot_b [O] (f64).
__global__ void reduce_partials_kernel(const float* part_a, const float* part_b, int64_t tiles, int64_t O,
                                       double* tot_a, double* tot_b) {
  __shared__ double sa[kColThreadsY][kColThreadsX], sb[kColThreadsY][kColThreadsX];
  const int tx = static_cast<int>(threadIdx.x), ty = static_cast<int>(threadIdx.y);
  const int64_t c = static_cast<int64_t>(blockIdx.x) * kColThreadsX + tx;
  double a = 0.0, b = 0.0;
  if (c < O)
    for (int64_t i = ty; i < tiles; i += kColThreadsY) a += part_a[i * O + c], b += part_b[i * O + c];
  sa[ty][tx] = a, sb[ty][tx] = b;
  __syncthreads();
  if (ty == 0 && c < O) {
    for (int j = 1; j < kColThreadsY; ++j) a += sa[j][tx], b += sb[j][tx];
    tot_a[c] = a, tot_b[c] = b;
  }
}

// Per channel: mean, biased var, invstd (the op's outputs, f32) and y = z * scale + shift.
template <typename T>
__global__ void forward_coefs_kernel(const double* sum, const double* sq, int64_t O, double n, double eps,
                                     const T* gamma, const T* beta, float* mean, float* var, float* invstd,
                                     float* scale, float* shift) {
  SEEK_GRID_STRIDE_LOOP(c, O) {
    const double mu = sum[c] / n;
    double v = sq[c] / n - mu * mu;  // f64 over f32 tile partials: cancellation only when |mean| >> std
    if (v < 0.0) v = 0.0;
    const double is = 1.0 / sqrt(v + eps);
    const double sc = (gamma != nullptr ? static_cast<double>(static_cast<float>(gamma[c])) : 1.0) * is;
    mean[c] = static_cast<float>(mu), var[c] = static_cast<float>(v), invstd[c] = static_cast<float>(is);
    scale[c] = static_cast<float>(sc);
    shift[c] = static_cast<float>((beta != nullptr ? static_cast<double>(static_cast<float>(beta[c])) : 0.0) - mu * sc);
  }
}

// out = relu?(z * scale + shift + residual), NHWC [M][O].
template <typename T>
__global__ void apply_kernel(const T* z, const T* res, T* out, int64_t total, int64_t O, const float* scale,
                             const float* shift, bool relu) {
  SEEK_GRID_STRIDE_LOOP(i, total) {
    const int64_t c = i % O;
    float y = fmaf(static_cast<float>(z[i]), scale[c], shift[c]);
    if (res != nullptr) y += static_cast<float>(res[i]);
    out[i] = static_cast<T>(relu && y < 0.f ? 0.f : y);
  }
}

// Backward coefficients from sg = sum(g), sgc = sum(g * (z - mean)): grad_z = k*g + slope*z + shift.
template <typename T>
__global__ void backward_coefs_kernel(const double* sg, const double* sgc, int64_t O, double n, const T* gamma,
                                      const float* mean, const float* invstd, T* grad_gamma, T* grad_beta, float* k_out,
                                      float* slope_out, float* shift_out) {
  SEEK_GRID_STRIDE_LOOP(c, O) {
    const double is = invstd[c], mu = mean[c], sgx = sgc[c] * is;
    if (grad_gamma != nullptr) grad_gamma[c] = static_cast<T>(static_cast<float>(sgx));
    if (grad_beta != nullptr) grad_beta[c] = static_cast<T>(static_cast<float>(sg[c]));
    const double k = (gamma != nullptr ? static_cast<double>(static_cast<float>(gamma[c])) : 1.0) * is;
    const double slope = -k * is * sgx / n;
    k_out[c] = static_cast<float>(k), slope_out[c] = static_cast<float>(slope);
    shift_out[c] = static_cast<float>(-k * sg[c] / n - slope * mu);
  }
}

template <typename T>
__global__ void grad_z_kernel(const T* dy, const T* out, const T* z, T* gz, T* gres, int64_t total, int64_t O,
                              const float* k, const float* slope, const float* shift) {
  SEEK_GRID_STRIDE_LOOP(i, total) {
    const int64_t c = i % O;
    const float g = out != nullptr && !(static_cast<float>(out[i]) > 0.f) ? 0.f : static_cast<float>(dy[i]);
    if (gres != nullptr) gres[i] = static_cast<T>(g);
    if (gz != nullptr) gz[i] = static_cast<T>(k[c] * g + slope[c] * static_cast<float>(z[i]) + shift[c]);
  }
}

// ---------------------------------------------------------------- launchers

template <typename T>
const T* cp(const Tensor& t) {
  return t.defined() ? static_cast<const T*>(t.data_ptr()) : nullptr;
}
template <typename T>
T* mp(const Tensor& t) {
  return t.defined() ? static_cast<T*>(t.data_ptr()) : nullptr;
}

Tensor f32_buffer(Shape s, Device d) { return empty(s, TensorOptions(kFloat32).device(d)); }
Tensor f64_buffer(Shape s, Device d) { return empty(s, TensorOptions(kFloat64).device(d)); }

// Column partials of (a, b) over NHWC [M][O] and their f64 totals.
template <typename T>
void column_totals(const ColumnTerms& terms, int64_t M, int64_t O, Device d, Tensor& tot_a, Tensor& tot_b) {
  const int64_t tiles = (M + kPartialRows - 1) / kPartialRows;
  Tensor pa = f32_buffer({tiles, O}, d), pb = f32_buffer({tiles, O}, d);
  const dim3 block(kColThreadsX, kColThreadsY);
  launch(column_partials_kernel<T>,
         {dim3(static_cast<unsigned>(tiles), static_cast<unsigned>((O + kColThreadsX - 1) / kColThreadsX)), block, 0,
          current_stream()},
         terms, M, O, mp<float>(pa), mp<float>(pb));
  tot_a = f64_buffer({O}, d), tot_b = f64_buffer({O}, d);
  launch(reduce_partials_kernel,
         {dim3(static_cast<unsigned>((O + kColThreadsX - 1) / kColThreadsX)), block, 0, current_stream()},
         cp<float>(pa), cp<float>(pb), tiles, O, mp<double>(tot_a), mp<double>(tot_b));
}

template <typename T>
void forward_impl(const backend_detail::ConvBnForwardArgs& a) {
  const Device d = a.input.device();
  const Tensor& x = a.input;
  const int64_t O = a.weight.size(0), M = a.z.size(0) * a.z.size(2) * a.z.size(3);
  Tensor sum, sq;
  if (a.p.groups == 1) {
    ConvGeom g{x.size(0),
               x.size(1),
               x.size(2),
               x.size(3),
               O,
               a.weight.size(2),
               a.weight.size(3),
               a.z.size(2),
               a.z.size(3),
               a.p.stride[0],
               a.p.stride[1],
               a.p.padding[0],
               a.p.padding[1],
               a.p.dilation[0],
               a.p.dilation[1],
               M,
               a.weight.size(1) * a.weight.size(2) * a.weight.size(3)};
    const Tensor xn = x.contiguous(MemoryFormat::ChannelsLast);         // NHWC
    const Tensor wn = a.weight.contiguous(MemoryFormat::ChannelsLast);  // OHWI: row o holds its K values
    const int64_t tiles_m = (M + kTileM - 1) / kTileM, tiles_n = (O + kTileN - 1) / kTileN;
    Tensor ps = f32_buffer({tiles_m, O}, d), pq = f32_buffer({tiles_m, O}, d);
    launch(conv_stats_kernel<T>,
           {dim3(static_cast<unsigned>(tiles_m), static_cast<unsigned>(tiles_n)), kConvThreads, 0, current_stream()},
           cp<T>(xn), cp<T>(wn), cp<T>(a.conv_bias), mp<T>(a.z), mp<float>(ps), mp<float>(pq), g);
    sum = f64_buffer({O}, d), sq = f64_buffer({O}, d);
    const dim3 block(kColThreadsX, kColThreadsY);
    launch(reduce_partials_kernel,
           {dim3(static_cast<unsigned>((O + kColThreadsX - 1) / kColThreadsX)), block, 0, current_stream()},
           cp<float>(ps), cp<float>(pq), tiles_m, O, mp<double>(sum), mp<double>(sq));
  } else {
    // Grouped: the backend's convolution, then the statistics in one column-partials pass.
    Tensor zt = empty(a.z.sizes(), TensorOptions(a.z.dtype()).device(d));
    backend(d).conv2d_forward(x, a.weight, a.conv_bias, a.p, zt);
    Tensor zz = a.z;  // a handle to the caller's NHWC buffer
    zz.copy_(zt);
    column_totals<T>(ColumnTerms{a.z.data_ptr(), nullptr, nullptr, nullptr}, M, O, d, sum, sq);
  }
  Tensor scale = f32_buffer({O}, d), shift = f32_buffer({O}, d);
  launch(forward_coefs_kernel<T>, {grid_size(O), kBlockThreads, 0, current_stream()}, cp<double>(sum), cp<double>(sq),
         O, static_cast<double>(M), a.eps, cp<T>(a.bn_weight), cp<T>(a.bn_bias), mp<float>(a.mean), mp<float>(a.var),
         mp<float>(a.invstd), mp<float>(scale), mp<float>(shift));
  launch(apply_kernel<T>, {grid_size(M * O), kBlockThreads, 0, current_stream()}, cp<T>(a.z), cp<T>(a.residual),
         mp<T>(a.out), M * O, O, cp<float>(scale), cp<float>(shift), a.relu);
}

template <typename T>
void backward_impl(const backend_detail::ConvBnBackwardArgs& a) {
  const Device d = a.z.device();
  const int64_t O = a.z.size(1), M = a.z.size(0) * a.z.size(2) * a.z.size(3);
  Tensor sg, sgc;
  column_totals<T>(
      ColumnTerms{a.z.data_ptr(), a.grad_out.data_ptr(), a.relu ? a.out.data_ptr() : nullptr, cp<float>(a.mean)}, M, O,
      d, sg, sgc);
  Tensor k = f32_buffer({O}, d), slope = f32_buffer({O}, d), shift = f32_buffer({O}, d);
  launch(backward_coefs_kernel<T>, {grid_size(O), kBlockThreads, 0, current_stream()}, cp<double>(sg), cp<double>(sgc),
         O, static_cast<double>(M), cp<T>(a.bn_weight), cp<float>(a.mean), cp<float>(a.invstd), mp<T>(a.grad_bn_weight),
         mp<T>(a.grad_bn_bias), mp<float>(k), mp<float>(slope), mp<float>(shift));
  const bool conv_grads = a.grad_input.defined() || a.grad_weight.defined() || a.grad_conv_bias.defined();
  Tensor gz;
  if (conv_grads) gz = empty(a.z.sizes(), TensorOptions(a.z.dtype()).device(d), MemoryFormat::ChannelsLast);
  if (conv_grads || a.grad_residual.defined())
    launch(grad_z_kernel<T>, {grid_size(M * O), kBlockThreads, 0, current_stream()}, cp<T>(a.grad_out),
           a.relu ? cp<T>(a.out) : nullptr, cp<T>(a.z), mp<T>(gz), mp<T>(a.grad_residual), M * O, O, cp<float>(k),
           cp<float>(slope), cp<float>(shift));
  if (conv_grads)
    backend(d).conv2d_backward(gz, a.grad_weight.defined() ? a.input : Tensor(), a.weight, a.p, a.grad_input,
                               a.grad_weight, a.grad_conv_bias);
}

bool cuda_supports(DType dt) { return dt == kFloat32 || dt == kFloat16 || dt == kBFloat16; }

void cuda_forward(const backend_detail::ConvBnForwardArgs& a) {
  DeviceGuard guard(a.input.device().index, "conv_bn");
  const DType dt = a.input.dtype();
  if (dt == kFloat16)
    forward_impl<Half>(a);
  else if (dt == kBFloat16)
    forward_impl<BFloat16>(a);
  else
    forward_impl<float>(a);
}

void cuda_backward(const backend_detail::ConvBnBackwardArgs& a) {
  DeviceGuard guard(a.z.device().index, "conv_bn_backward");
  const DType dt = a.z.dtype();
  if (dt == kFloat16)
    backward_impl<Half>(a);
  else if (dt == kBFloat16)
    backward_impl<BFloat16>(a);
  else
    backward_impl<float>(a);
}

}  // namespace

const backend_detail::ConvBnRegistrar conv_bn_fused_kernels(DeviceType::CUDA,
                                                            backend_detail::ConvBnKernels{MemoryFormat::ChannelsLast,
                                                                                          &cuda_supports, &cuda_forward,
                                                                                          &cuda_backward});

}  // namespace seek::cuda

// Norm family on the GPU: batch norm's training forward, backward and eval forward over
// [N, C, *] inputs viewed as dense [N, C, L], with the CPU backend's numerics
// (src/backend/cpu/cpu_norm.cpp): statistics as shifted sums in double (K = the channel's
// first value, mean = K + s1 / n, var = s2 / n - (s1 / n)^2), the elementwise pass in T
// with per-channel coefficients computed in double and rounded to T.
//
// Trick: the kernels read and write dense [N, C, L] buffers either NCHW or NHWC (channels_last
// 4-D input: C innermost, ChanLayout says where a channel's values are), so a channels_last
// model runs without repacking. Only an input of another dtype or layout is first copied
// (copy family) into a buffer of the compute dtype (f64 for f64, f32 otherwise; f16/bf16 are
// written back through an f32 buffer), so the kernels exist for float and double only. One
// block per channel sums its N * L values with a fixed per-thread stride and combines the thread sums with block_reduce's
// fixed tree: no atomics, results do not depend on scheduling. Thread 0 of the block then
// turns the sums into the channel's coefficients, which one grid-stride kernel applies. NHWC
// statistics use coalesced tiles of 32 channels x row chunks instead (see nhwc_partial_sums_kernel).
#include <algorithm>
#include <cmath>

#include "backend/cuda/cuda_backend.h"
#include "block_reduce.cuh"
#include "seek/core/shape_util.h"

namespace seek::cuda {

namespace {

constexpr int kStatThreads = 256;  // threads per channel block (a power of two)

struct Sums {
  double s1, s2;
};

struct SumsCombine {
  SEEK_HOST_DEVICE Sums operator()(const Sums& a, const Sums& b) const { return {a.s1 + b.s1, a.s2 + b.s2}; }
};

// Per-channel coefficients (f64, [C] each): y = (x - mean) * scale + shift.
struct Coefs {
  double* mean;
  double* scale;
  double* shift;
};

// Where the values of channel c live in a dense [N, C, L] buffer: NCHW (c's values are L-long runs
// C * L apart) or NHWC (channels_last: C innermost, c's values C apart). Every kernel takes one, so the
// same numerics run on both layouts without a repacking copy.
struct ChanLayout {
  int64_t C, L;
  bool nhwc;
  // The offset of channel c's j-th value (j over N * L, image-major).
  SEEK_HOST_DEVICE SEEK_INLINE int64_t at(int64_t c, int64_t j) const {
    return nhwc ? j * C + c : ((j / L) * C + c) * L + j % L;
  }
  // The channel of flat element i.
  SEEK_HOST_DEVICE SEEK_INLINE int64_t chan(int64_t i) const { return nhwc ? i % C : (i / L) % C; }
};

// Channel c's statistics and coefficients from its n values' sums shifted by k.
SEEK_HOST_DEVICE SEEK_INLINE void forward_finish(int64_t c, double k, Sums s, double n, double eps, const double* w,
                                                 const double* b, double* mean, double* var, double* invstd, Coefs co) {
  const double m = s.s1 / n;
  double v = s.s2 / n - m * m;
  if (v < 0.0) v = 0.0;  // rounding; NaN stays NaN
  const double is = 1.0 / sqrt(v + eps);
  mean[c] = k + m, var[c] = v, invstd[c] = is;
  co.mean[c] = k + m, co.scale[c] = is * w[c], co.shift[c] = b[c];
}

// Channel c's gradients and grad_input coefficients from sum(gy) (s1) and sum(gy * (x - mean)) (s2).
SEEK_HOST_DEVICE SEEK_INLINE void backward_finish(int64_t c, Sums s, double n, const double* w, const double* mean,
                                                  const double* invstd, double* grad_w, double* grad_b, Coefs co,
                                                  double* gm) {
  const double is = invstd[c], k = w[c] * is;
  grad_w[c] = s.s2 * is, grad_b[c] = s.s1;
  co.mean[c] = mean[c], co.scale[c] = k, co.shift[c] = -k * s.s1 / n;
  gm[c] = -k * is * is * s.s2 / n;
}

// One block per channel c: shifted sums of x, then the channel's statistics and coefficients.
// stats = [mean, var, invstd] arrays; w/b per-channel f64 (weight 1 / bias 0 already filled in).
template <typename T>
__global__ void forward_stats_kernel(const T* x, int64_t N, ChanLayout lay, double eps, const double* w,
                                     const double* b, double* mean, double* var, double* invstd, Coefs co) {
  const int64_t c = blockIdx.x, count = N * lay.L;
  const double k = static_cast<double>(x[lay.at(c, 0)]);
  Sums s{0.0, 0.0};
  for (int64_t i = threadIdx.x; i < count; i += blockDim.x) {
    const double d = static_cast<double>(x[lay.at(c, i)]) - k;
    s.s1 += d;
    s.s2 += d * d;
  }
  Sums* smem = dynamic_shared_memory<Sums>();
  s = row_reduce(s, SumsCombine{}, Sums{0.0, 0.0}, smem, false);
  if (threadIdx.x != 0) return;
  forward_finish(c, k, s, static_cast<double>(count), eps, w, b, mean, var, invstd, co);
}

// Eval coefficients from given statistics: one thread per channel.
__global__ void eval_coefs_kernel(int64_t C, double eps, const double* rm, const double* rv, const double* w,
                                  const double* b, Coefs co) {
  SEEK_GRID_STRIDE_LOOP(c, C) { co.mean[c] = rm[c], co.scale[c] = w[c] / sqrt(rv[c] + eps), co.shift[c] = b[c]; }
}

// y = (x - mean) * scale + shift in T, both dense [N, C, L] in lay's format.
template <typename T>
__global__ void affine_kernel(const T* x, T* y, int64_t total, ChanLayout lay, Coefs co) {
  SEEK_GRID_STRIDE_LOOP(i, total) {
    const int64_t c = lay.chan(i);
    y[i] = (x[i] - static_cast<T>(co.mean[c])) * static_cast<T>(co.scale[c]) + static_cast<T>(co.shift[c]);
  }
}

// One block per channel: sum(gy) and sum(gy * (x - mean_T)), then the channel's
// grad_weight / grad_bias and the grad_input coefficients gx = gy * k + (x - mean) * m + d
// (stored as co.scale = k, co.shift = d and gm = m).
template <typename T>
__global__ void backward_stats_kernel(const T* gy, const T* x, int64_t N, ChanLayout lay, const double* w,
                                      const double* mean, const double* invstd, double* grad_w, double* grad_b,
                                      Coefs co, double* gm) {
  const int64_t c = blockIdx.x, count = N * lay.L;
  const double mt = static_cast<double>(static_cast<T>(mean[c]));  // the saved mean as the forward used it
  Sums s{0.0, 0.0};
  for (int64_t i = threadIdx.x; i < count; i += blockDim.x) {
    const int64_t off = lay.at(c, i);
    const double g = static_cast<double>(gy[off]);
    s.s1 += g;
    s.s2 += g * (static_cast<double>(x[off]) - mt);
  }
  Sums* smem = dynamic_shared_memory<Sums>();
  s = row_reduce(s, SumsCombine{}, Sums{0.0, 0.0}, smem, false);
  if (threadIdx.x != 0) return;
  backward_finish(c, s, static_cast<double>(count), w, mean, invstd, grad_w, grad_b, co, gm);
}

// ---- NHWC statistics: coalesced tiles, then a fixed-order combine ----
// In a channels_last buffer a channel's values are C apart, so a block per channel would read one
// value per 32-byte sector. Instead a block of kTileC x kTileRows threads takes 32 adjacent channels
// (threadIdx.x: consecutive addresses, coalesced) over one chunk of rows (pixels), each thread
// summing every kTileRows-th row of the chunk for its channel; row lane 0 adds the lanes in order
// and writes the chunk's partial sums, and a thread per channel adds the chunks in order. The
// shift and the double sums are those of the block-per-channel kernels; only the order differs,
// and it is fixed by the launch, so results stay deterministic.
constexpr int kTileC = 32, kTileRows = 8;
constexpr int64_t kRowsPerChunk = 512;  // rows (pixels) per block; at most kMaxChunks chunks
constexpr int64_t kMaxChunks = 1024;

// partial[r * C + c] = channel c's sums over rows [r * chunk, (r + 1) * chunk) of dense NHWC x
// [count, C]. Forward (gy null): sums of x - x[c] (the channel's first value) and its square.
// Backward: sums of gy and of gy * (x - mean_T), mean_T = T(mean[c]) as the forward used it.
template <typename T>
__global__ void nhwc_partial_sums_kernel(const T* x, const T* gy, const double* mean, int64_t C, int64_t count,
                                         int64_t chunk, Sums* partial) {
  __shared__ Sums tile[kTileRows][kTileC];
  const int tx = static_cast<int>(threadIdx.x), ty = static_cast<int>(threadIdx.y);
  const int64_t c = static_cast<int64_t>(blockIdx.x) * kTileC + tx;
  const int64_t r0 = static_cast<int64_t>(blockIdx.y) * chunk;
  const int64_t r1 = r0 + chunk < count ? r0 + chunk : count;
  Sums s{0.0, 0.0};
  if (c < C) {
    const double k = gy ? static_cast<double>(static_cast<T>(mean[c])) : static_cast<double>(x[c]);
    for (int64_t j = r0 + ty; j < r1; j += kTileRows) {
      const double d = static_cast<double>(x[j * C + c]) - k;
      if (gy) {
        const double g = static_cast<double>(gy[j * C + c]);
        s.s1 += g;
        s.s2 += g * d;
      } else {
        s.s1 += d;
        s.s2 += d * d;
      }
    }
  }
  tile[ty][tx] = s;
  __syncthreads();
  if (ty != 0 || c >= C) return;
  Sums t = tile[0][tx];
  for (int k = 1; k < kTileRows; ++k) t = SumsCombine{}(t, tile[k][tx]);
  partial[blockIdx.y * C + c] = t;
}

// A thread per channel: the chunks' partial sums in order, then the forward statistics.
template <typename T>
__global__ void nhwc_forward_finish_kernel(const Sums* partial, int64_t chunks, const T* x, int64_t C, int64_t count,
                                           double eps, const double* w, const double* b, double* mean, double* var,
                                           double* invstd, Coefs co) {
  SEEK_GRID_STRIDE_LOOP(c, C) {
    Sums s = partial[c];
    for (int64_t r = 1; r < chunks; ++r) s = SumsCombine{}(s, partial[r * C + c]);
    forward_finish(c, static_cast<double>(x[c]), s, static_cast<double>(count), eps, w, b, mean, var, invstd, co);
  }
}

__global__ void nhwc_backward_finish_kernel(const Sums* partial, int64_t chunks, int64_t C, int64_t count,
                                            const double* w, const double* mean, const double* invstd, double* grad_w,
                                            double* grad_b, Coefs co, double* gm) {
  SEEK_GRID_STRIDE_LOOP(c, C) {
    Sums s = partial[c];
    for (int64_t r = 1; r < chunks; ++r) s = SumsCombine{}(s, partial[r * C + c]);
    backward_finish(c, s, static_cast<double>(count), w, mean, invstd, grad_w, grad_b, co, gm);
  }
}

template <typename T>
__global__ void grad_input_kernel(const T* gy, const T* x, T* gx, int64_t total, ChanLayout lay, Coefs co,
                                  const double* gm) {
  SEEK_GRID_STRIDE_LOOP(i, total) {
    const int64_t c = lay.chan(i);
    gx[i] = gy[i] * static_cast<T>(co.scale[c]) + (x[i] - static_cast<T>(co.mean[c])) * static_cast<T>(gm[c]) +
            static_cast<T>(co.shift[c]);
  }
}

// ---- host side ----

struct Geometry {
  int64_t N = 0, C = 0, L = 1;
  bool nhwc = false;  // the kernels run on channels_last buffers (a channels_last 4-D input)
  int64_t count() const { return N * L; }
  int64_t total() const { return N * C * L; }
  ChanLayout layout() const { return {C, L, nhwc}; }
  MemoryFormat format() const { return nhwc ? MemoryFormat::ChannelsLast : MemoryFormat::Contiguous; }
};

Geometry make_geometry(const Tensor& x, const char* op) {
  SEEK_CHECK_SHAPE(x.dim() >= 2, op, ": expected input of shape [N, C, *], got ", shape_str(x.sizes()));
  Geometry g;
  g.N = x.size(0);
  g.C = x.size(1);
  for (int64_t d = 2; d < x.dim(); ++d) g.L *= x.size(d);
  g.nhwc = x.dim() == 4 && !x.is_contiguous() && x.is_contiguous(MemoryFormat::ChannelsLast);
  return g;
}

void check_floating(const Tensor& t, const char* op) {
  SEEK_CHECK_DTYPE(is_floating(t.dtype()), op, ": expected a floating input, got ", dtype_name(t.dtype()));
  SEEK_CHECK_T(DeviceError, t.is_cuda(), op, ": expected a CUDA input, got one on ", t.device().str());
}

void check_out(const Tensor& out, const Tensor& input, const char* op) {
  SEEK_CHECK_SHAPE(out.sizes() == input.sizes(), op, ": out must have shape ", shape_str(input.sizes()), ", got shape ",
                   shape_str(out.sizes()));
  SEEK_CHECK_DTYPE(out.dtype() == input.dtype(), op, ": out must have dtype ", dtype_name(input.dtype()), ", got ",
                   dtype_name(out.dtype()));
  SEEK_CHECK_T(DeviceError, out.device() == input.device(), op, ": out is on ", out.device().str(),
               " but the input is on ", input.device().str());
}

DType compute_dtype(DType t) { return t == kFloat64 ? kFloat64 : kFloat32; }

// The per-launch state: the device and its f64 [C] scratch vectors.
class NormRun {
 public:
  NormRun(CudaBackend& be, const Tensor& input, const Geometry& g)
      : be_(be), dev_(input.device()), C_(g.C), fmt_(g.format()) {}

  Tensor vec() const { return empty({C_}, TensorOptions(kFloat64).device(dev_)); }

  // A [C] tensor (any floating dtype, strides, device) as f64 on the device; `fill` when undefined.
  Tensor channel_values(const Tensor& t, double fill) {
    Tensor d = vec();
    if (!t.defined()) {
      be_.fill(d, Scalar(fill));
      return d;
    }
    SEEK_CHECK_SHAPE(t.numel() == C_, "batch_norm: expected a per-channel tensor of ", C_, " values, got shape ",
                     shape_str(t.sizes()));
    be_.copy(t.reshape({C_}), d);
    return d;
  }

  void store(const Tensor& v, const Tensor& out) {
    if (!out.defined()) return;
    SEEK_CHECK_SHAPE(out.numel() == C_, "batch_norm: expected a per-channel output of ", C_, " values, got shape ",
                     shape_str(out.sizes()));
    be_.copy(v, out.reshape({C_}));
  }

  // t dense in the run's format (NCHW or NHWC) with dtype dt: t itself when it already is.
  Tensor dense_as(const Tensor& t, DType dt) {
    if (t.dtype() == dt && t.is_contiguous(fmt_)) return t;
    Tensor d = empty(t.sizes(), TensorOptions(dt).device(dev_), fmt_);
    be_.copy(t, d);
    return d;
  }

  // Runs f(T*) on `out`, through a buffer of the compute dtype and the run's format when out is
  // f16/bf16 or laid out otherwise.
  template <typename T, typename F>
  void write_through(const Tensor& out, F f) {
    if (out.dtype() == dtype_of<T>::value && out.is_contiguous(fmt_)) {
      f(static_cast<T*>(out.data_ptr()));
      return;
    }
    Tensor tmp = empty(out.sizes(), TensorOptions(dtype_of<T>::value).device(dev_), fmt_);
    f(static_cast<T*>(tmp.data_ptr()));
    be_.copy(tmp, out);
  }

 private:
  CudaBackend& be_;
  Device dev_;
  int64_t C_;
  MemoryFormat fmt_;
};

// The NHWC statistics' tiling of g: chunks of rows per block column and their partial sums.
struct NhwcTiles {
  int64_t chunks, chunk;
  Tensor partial;  // [chunks, C] Sums (f64 pairs)
  NhwcTiles(const Geometry& g, Device dev) {
    const int64_t count = g.count();
    chunks = std::min(kMaxChunks, std::max<int64_t>(1, (count + kRowsPerChunk - 1) / kRowsPerChunk));
    chunk = (count + chunks - 1) / chunks;
    partial = empty({chunks * g.C * 2}, TensorOptions(kFloat64).device(dev));
  }
  Sums* sums() const { return static_cast<Sums*>(partial.data_ptr()); }
  LaunchConfig config(const Geometry& g) const {
    return {dim3(static_cast<unsigned>((g.C + kTileC - 1) / kTileC), static_cast<unsigned>(chunks)),
            dim3(kTileC, kTileRows), 0, current_stream()};
  }
};

Coefs coefs_of(Tensor& m, Tensor& s, Tensor& b) {
  return {static_cast<double*>(m.data_ptr()), static_cast<double*>(s.data_ptr()), static_cast<double*>(b.data_ptr())};
}

const double* f64(const Tensor& t) { return static_cast<const double*>(t.data_ptr()); }
double* f64_mut(const Tensor& t) { return static_cast<double*>(t.data_ptr()); }

template <typename F>
void dispatch_compute(DType cdt, F f) {
  if (cdt == kFloat64)
    f.template operator()<double>();
  else
    f.template operator()<float>();
}

}  // namespace

// ---- CudaBackend norm entries ----

const FamilyRegistrar norm_family(BackendFamily::Norm, [](DType dt) { return is_floating(dt); });

void CudaBackend::batch_norm_forward_train(const Tensor& input, const Tensor& weight, const Tensor& bias, double eps,
                                           const Tensor& out, const Tensor& save_mean, const Tensor& save_invstd,
                                           const Tensor& save_var) {
  check_floating(input, "batch_norm");
  check_out(out, input, "batch_norm");
  const Geometry g = make_geometry(input, "batch_norm");
  SEEK_CHECK_VALUE(g.count() > 0, "batch_norm: expected at least one value per channel, got input of shape ",
                   shape_str(input.sizes()));
  if (g.C == 0) return;
  DeviceGuard guard(input.device().index, "batch_norm");
  NormRun run(*this, input, g);
  const Tensor w = run.channel_values(weight, 1.0), b = run.channel_values(bias, 0.0);
  Tensor mean = run.vec(), var = run.vec(), invstd = run.vec(), cm = run.vec(), cs = run.vec(), cb = run.vec();
  const Coefs co = coefs_of(cm, cs, cb);
  const DType cdt = compute_dtype(input.dtype());
  const Tensor x = run.dense_as(input, cdt);
  dispatch_compute(cdt, [&]<typename T>() {
    const T* px = static_cast<const T*>(x.data_ptr());
    if (g.nhwc) {
      const NhwcTiles tiles(g, input.device());
      launch(nhwc_partial_sums_kernel<T>, tiles.config(g), px, static_cast<const T*>(nullptr),
             static_cast<const double*>(nullptr), g.C, g.count(), tiles.chunk, tiles.sums());
      launch(nhwc_forward_finish_kernel<T>, {grid_size(g.C), kBlockThreads, 0, current_stream()},
             static_cast<const Sums*>(tiles.sums()), tiles.chunks, px, g.C, g.count(), eps, f64(w), f64(b),
             f64_mut(mean), f64_mut(var), f64_mut(invstd), co);
    } else {
      launch(forward_stats_kernel<T>,
             {static_cast<unsigned>(g.C), kStatThreads, (kStatThreads / 32) * sizeof(Sums), current_stream()}, px, g.N,
             g.layout(), eps, f64(w), f64(b), f64_mut(mean), f64_mut(var), f64_mut(invstd), co);
    }
    run.write_through<T>(out, [&](T* y) {
      launch(affine_kernel<T>, {grid_size(g.total()), kBlockThreads, 0, current_stream()}, px, y, g.total(), g.layout(),
             co);
    });
  });
  run.store(mean, save_mean);
  run.store(invstd, save_invstd);
  run.store(var, save_var);
}

void CudaBackend::batch_norm_backward(const Tensor& grad_out, const Tensor& input, const Tensor& weight,
                                      const Tensor& save_mean, const Tensor& save_invstd, const Tensor& grad_input,
                                      const Tensor& grad_weight, const Tensor& grad_bias) {
  check_floating(input, "batch_norm_backward");
  SEEK_CHECK_SHAPE(grad_out.sizes() == input.sizes(), "batch_norm_backward: grad_out has shape ",
                   shape_str(grad_out.sizes()), " but the input has shape ", shape_str(input.sizes()));
  SEEK_CHECK_T(DeviceError, grad_out.device() == input.device(), "batch_norm_backward: grad_out is on ",
               grad_out.device().str(), " but the input is on ", input.device().str());
  if (grad_input.defined()) check_out(grad_input, input, "batch_norm_backward");
  const Geometry g = make_geometry(input, "batch_norm_backward");
  if (g.C == 0) return;
  DeviceGuard guard(input.device().index, "batch_norm_backward");
  NormRun run(*this, input, g);
  const Tensor w = run.channel_values(weight, 1.0);
  const Tensor mean = run.channel_values(save_mean, 0.0), invstd = run.channel_values(save_invstd, 1.0);
  Tensor gw = run.vec(), gb = run.vec(), gm = run.vec(), cm = run.vec(), cs = run.vec(), cb = run.vec();
  const Coefs co = coefs_of(cm, cs, cb);
  const DType cdt = compute_dtype(input.dtype());
  const Tensor x = run.dense_as(input, cdt), gy = run.dense_as(grad_out, cdt);
  dispatch_compute(cdt, [&]<typename T>() {
    const T* px = static_cast<const T*>(x.data_ptr());
    const T* pg = static_cast<const T*>(gy.data_ptr());
    if (g.nhwc) {
      const NhwcTiles tiles(g, input.device());
      launch(nhwc_partial_sums_kernel<T>, tiles.config(g), px, pg, f64(mean), g.C, g.count(), tiles.chunk,
             tiles.sums());
      launch(nhwc_backward_finish_kernel, {grid_size(g.C), kBlockThreads, 0, current_stream()},
             static_cast<const Sums*>(tiles.sums()), tiles.chunks, g.C, g.count(), f64(w), f64(mean), f64(invstd),
             f64_mut(gw), f64_mut(gb), co, f64_mut(gm));
    } else {
      launch(backward_stats_kernel<T>,
             {static_cast<unsigned>(g.C), kStatThreads, (kStatThreads / 32) * sizeof(Sums), current_stream()}, pg, px,
             g.N, g.layout(), f64(w), f64(mean), f64(invstd), f64_mut(gw), f64_mut(gb), co, f64_mut(gm));
    }
    if (!grad_input.defined() || g.total() == 0) return;
    run.write_through<T>(grad_input, [&](T* gx) {
      launch(grad_input_kernel<T>, {grid_size(g.total()), kBlockThreads, 0, current_stream()}, pg, px, gx, g.total(),
             g.layout(), co, f64(gm));
    });
  });
  run.store(gw, grad_weight);
  run.store(gb, grad_bias);
}

void CudaBackend::batch_norm_forward_eval(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                                          const Tensor& weight, const Tensor& bias, double eps, const Tensor& out) {
  check_floating(input, "batch_norm");
  check_out(out, input, "batch_norm");
  const Geometry g = make_geometry(input, "batch_norm");
  if (g.C == 0) return;
  DeviceGuard guard(input.device().index, "batch_norm");
  NormRun run(*this, input, g);
  const Tensor w = run.channel_values(weight, 1.0), b = run.channel_values(bias, 0.0);
  const Tensor rm = run.channel_values(running_mean, 0.0), rv = run.channel_values(running_var, 1.0);
  Tensor cm = run.vec(), cs = run.vec(), cb = run.vec();
  const Coefs co = coefs_of(cm, cs, cb);
  launch(eval_coefs_kernel, {grid_size(g.C), kBlockThreads, 0, current_stream()}, g.C, eps, f64(rm), f64(rv), f64(w),
         f64(b), co);
  if (g.total() == 0) return;
  const DType cdt = compute_dtype(input.dtype());
  const Tensor x = run.dense_as(input, cdt);
  dispatch_compute(cdt, [&]<typename T>() {
    run.write_through<T>(out, [&](T* y) {
      launch(affine_kernel<T>, {grid_size(g.total()), kBlockThreads, 0, current_stream()},
             static_cast<const T*>(x.data_ptr()), y, g.total(), g.layout(), co);
    });
  });
}

}  // namespace seek::cuda

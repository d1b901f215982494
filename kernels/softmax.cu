// Softmax / log_softmax forward and backward on the GPU: the kernels, their launchers, then
// CudaBackend::softmax / softmax_backward. The tensor is seen as [outer, n, inner] with the
// softmax dim of size n (non-contiguous operands go through contiguous copies, as on the
// CPU); f16/bf16 load and store their storage type and compute in float, f64 in double.
//
// Trick: the forward folds each row in one read into an online log-sum-exp state (running
// max m and sum s of exp(x - m), the LogSumExp reducer of seek/backend/reduce_op.h), so it
// reads the input twice (state, then output) and writes once; the max subtraction keeps
// exp from overflowing. Row shapes:
//  - inner == 1, n <= kWarpRowMax: one row per warp (8 rows per block), shuffles only;
//  - inner == 1, longer rows: one row per block of 512 threads (shuffles, then shared
//    memory across warps);
//  - inner > 1: one thread per column, adjacent threads on adjacent columns (coalesced).
// Row kernels move 16 bytes per load and store where every row starts 16-byte aligned.
// Rows the CPU backend turns into NaN do so here too: any NaN or +inf in the row, or every
// element -inf (x - max is NaN there); -inf among finite values gives 0 (log: -inf).
#include <cmath>
#include <cstdint>
#include <limits>

#include "backend/family_checks.h"
#include "backend/cuda/cuda_backend.h"
#include "block_reduce.cuh"
#include "softmax_rows.cuh"
#include "seek/backend/reduce_op.h"
#include "seek/core/convert.h"
#include "seek/core/dtype.h"

namespace seek::cuda {

namespace {
using backend_detail::Shape3;
using backend_detail::split_at;

using reducers::LogSumExp;
using reducers::LseState;

using softmax_rows::kBlockRowThreads;
using softmax_rows::kMaxBlocks;
using softmax_rows::kWarpRowMax;
using softmax_rows::LseCombine;
using softmax_rows::SumCombine;

// The values a row's state gives: y = exp(x - m) * inv_s, or log: y = (x - m) - log(s)
// (x - m first: exact for x near m, where x - (m + log(s)) would round at m's magnitude).
// NaN for rows with a NaN or +inf (m is NaN or +inf) or only -inf (s == 0), as on the CPU.
template <typename C>
struct RowScale {
  C m, inv_s, log_s;
  bool nan_row;
  __device__ SEEK_INLINE explicit RowScale(const LseState<C>& st) {
    m = st.m;
    nan_row = !(st.s > C(0)) || m != m || m == reducers::highest<C>();
    inv_s = C(1) / st.s;
    log_s = std::log(st.s);
  }
  __device__ SEEK_INLINE C apply(C x, bool log_out) const {
    if (nan_row) return std::numeric_limits<C>::quiet_NaN();
    return log_out ? (x - m) - log_s : std::exp(x - m) * inv_s;
  }
};

// ---- kernels (x, y, g contiguous [outer, n, inner]) ----

// 16 bytes of T: what one vectorised load or store moves. Row kernels take `vec` (uniform per
// launch) when every row starts 16-byte aligned and n is a multiple of kPack<T>.
template <typename T>
inline constexpr int kPack = 16 / static_cast<int>(sizeof(T));
template <typename T>
struct alignas(16) Pack {
  T v[kPack<T>];
};

// inner == 1: row r = blockIdx.x * blockDim.y + threadIdx.y (looping), blockDim.x lanes per row.
template <typename T, typename C>
__global__ void softmax_rows_kernel(const T* x, T* y, int64_t rows, int64_t n, bool log_out, bool vec) {
  constexpr int P = kPack<T>;
  LseState<C>* smem = dynamic_shared_memory<LseState<C>>();
  const LogSumExp<C> lse;
  for (int64_t base = static_cast<int64_t>(blockIdx.x) * blockDim.y; base < rows;
       base += static_cast<int64_t>(gridDim.x) * blockDim.y) {  // uniform across the block
    const int64_t r = base + threadIdx.y;
    const T* xr = x + r * n;
    LseState<C> st = lse.identity();
    if (r < rows && vec) {
      const Pack<T>* xp = reinterpret_cast<const Pack<T>*>(xr);
      for (int64_t i = threadIdx.x; i < n / P; i += blockDim.x) {
        const Pack<T> a = xp[i];
        SEEK_UNROLL
        for (int k = 0; k < P; ++k) st = lse.step(st, convert<C>(a.v[k]));
      }
    } else if (r < rows) {
      for (int64_t i = threadIdx.x; i < n; i += blockDim.x) st = lse.step(st, convert<C>(xr[i]));
    }
    st = row_reduce(st, LseCombine<C>{}, lse.identity(), smem, true);
    if (r >= rows) continue;
    const RowScale<C> sc(st);
    T* yr = y + r * n;
    if (vec) {
      const Pack<T>* xp = reinterpret_cast<const Pack<T>*>(xr);
      Pack<T>* yp = reinterpret_cast<Pack<T>*>(yr);
      for (int64_t i = threadIdx.x; i < n / P; i += blockDim.x) {
        const Pack<T> a = xp[i];
        Pack<T> b;
        SEEK_UNROLL
        for (int k = 0; k < P; ++k) b.v[k] = convert<T>(sc.apply(convert<C>(a.v[k]), log_out));
        yp[i] = b;
      }
    } else {
      for (int64_t i = threadIdx.x; i < n; i += blockDim.x) yr[i] = convert<T>(sc.apply(convert<C>(xr[i]), log_out));
    }
  }
}

// inner > 1: one thread per (outer, column) pair.
template <typename T, typename C>
__global__ void softmax_columns_kernel(const T* x, T* y, int64_t outer, int64_t n, int64_t inner, bool log_out) {
  const LogSumExp<C> lse;
  SEEK_GRID_STRIDE_LOOP(c, outer * inner) {
    const int64_t base = (c / inner) * n * inner + c % inner;
    LseState<C> st = lse.identity();
    for (int64_t i = 0; i < n; ++i) st = lse.step(st, convert<C>(x[base + i * inner]));
    const RowScale<C> sc(st);
    for (int64_t i = 0; i < n; ++i)
      y[base + i * inner] = convert<T>(sc.apply(convert<C>(x[base + i * inner]), log_out));
  }
}

// softmax: gi = y * (g - sum(g * y)); log_softmax: gi = g - exp(y) * sum(g).
template <typename C>
__device__ SEEK_INLINE C backward_term(C g, C y, bool log_out) {
  return log_out ? g : g * y;
}
template <typename C>
__device__ SEEK_INLINE C backward_value(C g, C y, C acc, bool log_out) {
  return log_out ? g - std::exp(y) * acc : y * (g - acc);
}

template <typename T, typename C>
__global__ void softmax_backward_rows_kernel(const T* g, const T* y, T* gi, int64_t rows, int64_t n, bool log_out,
                                             bool vec) {
  constexpr int P = kPack<T>;
  C* smem = dynamic_shared_memory<C>();
  for (int64_t base = static_cast<int64_t>(blockIdx.x) * blockDim.y; base < rows;
       base += static_cast<int64_t>(gridDim.x) * blockDim.y) {  // uniform across the block
    const int64_t r = base + threadIdx.y;
    const int64_t off = r * n;
    const Pack<T>* gp = reinterpret_cast<const Pack<T>*>(g + off);
    const Pack<T>* yp = reinterpret_cast<const Pack<T>*>(y + off);
    C acc = 0;
    if (r < rows && vec) {
      for (int64_t i = threadIdx.x; i < n / P; i += blockDim.x) {
        const Pack<T> a = gp[i], b = yp[i];
        SEEK_UNROLL
        for (int k = 0; k < P; ++k) acc += backward_term(convert<C>(a.v[k]), convert<C>(b.v[k]), log_out);
      }
    } else if (r < rows) {
      for (int64_t i = threadIdx.x; i < n; i += blockDim.x)
        acc += backward_term(convert<C>(g[off + i]), convert<C>(y[off + i]), log_out);
    }
    acc = row_reduce(acc, SumCombine<C>{}, C(0), smem, true);
    if (r >= rows) continue;
    if (vec) {
      Pack<T>* op = reinterpret_cast<Pack<T>*>(gi + off);
      for (int64_t i = threadIdx.x; i < n / P; i += blockDim.x) {
        const Pack<T> a = gp[i], b = yp[i];
        Pack<T> c;
        SEEK_UNROLL
        for (int k = 0; k < P; ++k)
          c.v[k] = convert<T>(backward_value(convert<C>(a.v[k]), convert<C>(b.v[k]), acc, log_out));
        op[i] = c;
      }
    } else {
      for (int64_t i = threadIdx.x; i < n; i += blockDim.x)
        gi[off + i] = convert<T>(backward_value(convert<C>(g[off + i]), convert<C>(y[off + i]), acc, log_out));
    }
  }
}

template <typename T, typename C>
__global__ void softmax_backward_columns_kernel(const T* g, const T* y, T* gi, int64_t outer, int64_t n, int64_t inner,
                                                bool log_out) {
  SEEK_GRID_STRIDE_LOOP(c, outer * inner) {
    const int64_t base = (c / inner) * n * inner + c % inner;
    C acc = 0;
    for (int64_t i = 0; i < n; ++i)
      acc += backward_term(convert<C>(g[base + i * inner]), convert<C>(y[base + i * inner]), log_out);
    for (int64_t i = 0; i < n; ++i) {
      const int64_t k = base + i * inner;
      gi[k] = convert<T>(backward_value(convert<C>(g[k]), convert<C>(y[k]), acc, log_out));
    }
  }
}

// ---- launchers: queue work on `stream` and return without waiting ----

// Block shape for rows of length n: (lanes per row, rows per block).
dim3 row_block(int64_t n) {
  if (n <= kWarpRowMax) return dim3(kWarpSize, kBlockThreads / kWarpSize);
  return dim3(kBlockRowThreads, 1);
}
// Whether rows of n elements at these pointers take 16-byte loads and stores.
template <typename T>
bool vectorisable(int64_t n, std::initializer_list<const void*> ptrs) {
  bool ok = n % kPack<T> == 0;
  for (const void* p : ptrs) ok = ok && reinterpret_cast<uintptr_t>(p) % 16 == 0;
  return ok;
}
unsigned row_grid(int64_t rows, const dim3& block) {
  const int64_t blocks = (rows + block.y - 1) / block.y;
  return static_cast<unsigned>(blocks < kMaxBlocks ? blocks : kMaxBlocks);
}

template <typename T, typename C>
void softmax_forward(const T* x, T* y, Shape3 s, bool log_out, cudaStream_t stream) {
  if (s.inner == 1) {
    const dim3 block = row_block(s.n);
    const size_t smem = block.y * (block.x / kWarpSize) * sizeof(LseState<C>);
    launch(softmax_rows_kernel<T, C>, {row_grid(s.outer, block), block, smem, stream}, x, y, s.outer, s.n, log_out,
           vectorisable<T>(s.n, {x, y}));
  } else {
    launch(softmax_columns_kernel<T, C>, {grid_size(s.outer * s.inner), kBlockThreads, 0, stream}, x, y, s.outer, s.n,
           s.inner, log_out);
  }
}

template <typename T, typename C>
void softmax_backward_forward(const T* g, const T* y, T* gi, Shape3 s, bool log_out, cudaStream_t stream) {
  if (s.inner == 1) {
    const dim3 block = row_block(s.n);
    const size_t smem = block.y * (block.x / kWarpSize) * sizeof(C);
    launch(softmax_backward_rows_kernel<T, C>, {row_grid(s.outer, block), block, smem, stream}, g, y, gi, s.outer, s.n,
           log_out, vectorisable<T>(s.n, {g, y, gi}));
  } else {
    launch(softmax_backward_columns_kernel<T, C>, {grid_size(s.outer * s.inner), kBlockThreads, 0, stream}, g, y, gi,
           s.outer, s.n, s.inner, log_out);
  }
}

// Contiguous operands on the device: t itself when dense, else a dense copy.
Tensor dense_on_device(Backend& be, const Tensor& t) {
  if (t.is_contiguous()) return t;
  Tensor c = empty(t.sizes(), TensorOptions(t.dtype()).device(t.device()));
  be.copy(t, c);
  return c;
}

// Checks the operands (one GPU, one shape and floating dtype), then runs
// fn(dense inputs..., dense out) and copies the result into `out` when it is not dense.
template <typename F>
void with_dense(Backend& be, const char* name, std::initializer_list<Tensor> ins, const Tensor& out, F fn) {
  SEEK_CHECK_T(DeviceError, out.is_cuda(), name, ": the CUDA backend got an output on ", out.device().str());
  for (const Tensor& t : ins) {
    SEEK_CHECK_T(DeviceError, t.device() == out.device(), name, ": expected operands on ", out.device().str(),
                 ", got one on ", t.device().str());
    SEEK_CHECK(t.sizes() == out.sizes() && t.dtype() == out.dtype(), name,
               ": expected operands of one shape and dtype, got ", shape_str(t.sizes()), " ", t.dtype(), " and ",
               shape_str(out.sizes()), " ", out.dtype());
  }
  SEEK_CHECK_DTYPE(is_floating(out.dtype()), name, ": expected a floating dtype, got ", out.dtype());
  std::vector<Tensor> dense;
  for (const Tensor& t : ins) dense.push_back(dense_on_device(be, t));
  const Tensor o = out.is_contiguous() ? out : empty(out.sizes(), TensorOptions(out.dtype()).device(out.device()));
  DeviceGuard guard(out.device().index, name);
  fn(dense, o);
  if (!o.is_same(out)) be.copy(o, out);
}

}  // namespace

// ---- CudaBackend::softmax / softmax_backward ----

const FamilyRegistrar softmax_family(BackendFamily::Softmax, [](DType dt) { return is_floating(dt); });

void CudaBackend::softmax(const Tensor& in, int64_t dim, bool log, const Tensor& out) {
  const char* name = log ? "log_softmax" : "softmax";
  const Shape3 s = split_at(in, dim, name);
  with_dense(*this, name, {in}, out, [&](const std::vector<Tensor>& c, const Tensor& o) {
    if (o.numel() == 0) return;
    SEEK_DISPATCH_FLOATING(o.dtype(), name, [&] {
      using T = scalar_t;
      using C = std::conditional_t<std::is_same_v<T, double>, double, float>;
      softmax_forward<T, C>(static_cast<T*>(c[0].data_ptr()), static_cast<T*>(o.data_ptr()), s, log, current_stream());
    });
  });
}

void CudaBackend::softmax_backward(const Tensor& grad, const Tensor& out, int64_t dim, bool log,
                                   const Tensor& grad_in) {
  const char* name = log ? "log_softmax_backward" : "softmax_backward";
  const Shape3 s = split_at(out, dim, name);
  with_dense(*this, name, {grad, out}, grad_in, [&](const std::vector<Tensor>& c, const Tensor& o) {
    if (o.numel() == 0) return;
    SEEK_DISPATCH_FLOATING(o.dtype(), name, [&] {
      using T = scalar_t;
      using C = std::conditional_t<std::is_same_v<T, double>, double, float>;
      softmax_backward_forward<T, C>(static_cast<T*>(c[0].data_ptr()), static_cast<T*>(c[1].data_ptr()),
                                     static_cast<T*>(o.data_ptr()), s, log, current_stream());
    });
  });
}

}  // namespace seek::cuda

// Linear algebra family on the GPU: batched GEMM out = alpha * a @ b + beta * out.
// Trick: one shared-memory tiled kernel per storage type. A block computes a 64x64 tile
// of one output matrix; its 256 threads each own a 4x4 micro-tile, spread 16 rows and 16
// columns apart so that shared-memory reads are broadcasts or consecutive and the stores
// coalesce. Every operand is addressed through (batch, row, col) strides, so transposed,
// stepped and batch-broadcast views need no copy; the tile loader walks the operand's
// contiguous dimension with consecutive threads (a uniform branch on its strides), and
// zero-fills past the edges, so any M, N, K work. f16/bf16 are widened to f32 when they
// enter shared memory and accumulate in f32 (as cuBLAS does), f64 in f64. The next k-tile
// is loaded into registers while the current one is multiplied.
//
// In the nvcc build, f32/f16/bf16 go to cuBLASLt (kernels/linalg_lt.cu: f32 compute for the
// 16-bit types, TF32 for f32 only where backends::cuda::matmul::allow_tf32 says so) and f64
// (or what cuBLASLt declines) to cuBLAS (strided batched) where each operand is row- or
// column-major with an int-sized leading dimension; the own kernel stays reachable through
// SEEK_CUDA_GEMM=own or set_gemm_impl(GemmImpl::Own) for the GPU check to compare. The
// simulated device always runs the own kernel.
//
// The fused linear layer (gemm_epilogue: bias, bias+ReLU, bias+GELU, optionally keeping the
// pre-activation) is cuBLASLt's epilogue on a GPU and, in the own kernel, a uniform runtime
// branch in the store loop: the bias is added and the activation applied in the accumulation
// type before the single rounding, as cuBLASLt does.
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "backend/cuda/cuda_backend.h"
#include "backend/cuda/cuda_check.h"
#include "common.cuh"
#include "kernels/linalg.cuh"
#include "backend/cuda/gemm_dispatch.h"
#include "kernels/linalg_hopper_gemm.cuh"
#include "kernels/linalg_mp_gemm.cuh"
#include "backend/gemm_epilogue.h"
#include "seek/backend/unary_op.h"
#include "seek/core/convert.h"
#include "seek/core/dtype.h"

#if !defined(SEEK_CUDA_SIM)
#include <cublas_v2.h>

#include <array>
#endif

namespace seek::cuda {

namespace {

// ---- kernels ----

constexpr int kTileM = 64, kTileN = 64, kTileK = 16;
constexpr int kGemmThreads = 256;                        // 16 x 16 threads, 4 x 4 outputs each
constexpr int kMicro = 4;                                // outputs per thread along rows and cols
constexpr int kLoadsA = kTileM * kTileK / kGemmThreads;  // 4 elements of a per thread per k-tile
constexpr int kLoadsB = kTileK * kTileN / kGemmThreads;  // 4 of b
static_assert(kTileM == 16 * kMicro && kTileN == 16 * kMicro, "a 16 x 16 thread grid covers the tile");

struct GemmArgs {
  int64_t M, N, K, B1, batches, tiles_n, tiles;
  int64_t a_sb0, a_sb1, a_sr, a_sc;
  int64_t b_sb0, b_sb1, b_sr, b_sc;
  int64_t c_sb0, c_sb1, ldc;
  // The epilogue (one product only): bias [N] (nullptr: none), aux [M, N] (nullptr: none), act.
  const void* bias;
  int64_t bias_stride;
  void* aux;
  int64_t ld_aux;
  int act;  // GemmAct
};

template <typename T>
__global__ void gemm_kernel(const T* a, const T* b, T* c, GemmArgs g, acc_t<T> alpha, acc_t<T> beta) {
  using A = acc_t<T>;
  // Dynamic shared memory (gemm_smem_bytes): a static __shared__ array would be thread-local
  // storage in the simulator build, which a dlopen'ed libseek cannot hold in that size.
  A* smem = dynamic_shared_memory<A>();
  A(*a_tile)[kTileM] = reinterpret_cast<A(*)[kTileM]>(smem);                    // a_tile[k][m]
  A(*b_tile)[kTileN] = reinterpret_cast<A(*)[kTileN]>(smem + kTileK * kTileM);  // b_tile[k][n]
  const int tid = static_cast<int>(threadIdx.x);
  const int tx = tid % 16, ty = tid / 16;
  // The loaders walk each operand's contiguous dim with consecutive threads (coalesced).
  const bool a_k_fast = g.a_sc == 1, b_n_fast = g.b_sc == 1 || g.b_sr != 1;
  const int64_t work = g.batches * g.tiles;
  for (int64_t item = blockIdx.x; item < work; item += gridDim.x) {  // uniform across the block
    const int64_t batch = item / g.tiles, tile = item % g.tiles;
    const int64_t b0 = batch / g.B1, b1 = batch % g.B1;
    const int64_t m0 = (tile / g.tiles_n) * kTileM, n0 = (tile % g.tiles_n) * kTileN;
    const T* pa = a + b0 * g.a_sb0 + b1 * g.a_sb1;
    const T* pb = b + b0 * g.b_sb0 + b1 * g.b_sb1;
    T* pc = c + b0 * g.c_sb0 + b1 * g.c_sb1;

    A ra[kLoadsA], rb[kLoadsB];  // the next k-tile, staged in registers
    auto load = [&](int64_t k0) {
      SEEK_UNROLL
      for (int q = 0; q < kLoadsA; ++q) {
        const int e = tid + q * kGemmThreads;
        const int mm = a_k_fast ? e / kTileK : e % kTileM, kk = a_k_fast ? e % kTileK : e / kTileM;
        const int64_t r = m0 + mm, k = k0 + kk;
        ra[q] = r < g.M && k < g.K ? convert<A>(pa[r * g.a_sr + k * g.a_sc]) : A(0);
      }
      SEEK_UNROLL
      for (int q = 0; q < kLoadsB; ++q) {
        const int e = tid + q * kGemmThreads;
        const int nn = b_n_fast ? e % kTileN : e / kTileK, kk = b_n_fast ? e / kTileN : e % kTileK;
        const int64_t k = k0 + kk, col = n0 + nn;
        rb[q] = k < g.K && col < g.N ? convert<A>(pb[k * g.b_sr + col * g.b_sc]) : A(0);
      }
    };
    auto store = [&] {
      SEEK_UNROLL
      for (int q = 0; q < kLoadsA; ++q) {
        const int e = tid + q * kGemmThreads;
        if (a_k_fast)
          a_tile[e % kTileK][e / kTileK] = ra[q];
        else
          a_tile[e / kTileM][e % kTileM] = ra[q];
      }
      SEEK_UNROLL
      for (int q = 0; q < kLoadsB; ++q) {
        const int e = tid + q * kGemmThreads;
        if (b_n_fast)
          b_tile[e / kTileN][e % kTileN] = rb[q];
        else
          b_tile[e % kTileK][e / kTileK] = rb[q];
      }
    };

    A acc[kMicro][kMicro];
    SEEK_UNROLL
    for (int i = 0; i < kMicro; ++i) {
      SEEK_UNROLL
      for (int j = 0; j < kMicro; ++j) acc[i][j] = A(0);
    }
    if (g.K > 0) load(0);
    for (int64_t k0 = 0; k0 < g.K; k0 += kTileK) {
      store();
      __syncthreads();
      if (k0 + kTileK < g.K) load(k0 + kTileK);  // global loads in flight during the products
      SEEK_UNROLL
      for (int kk = 0; kk < kTileK; ++kk) {
        A av[kMicro], bv[kMicro];
        SEEK_UNROLL
        for (int i = 0; i < kMicro; ++i) av[i] = a_tile[kk][ty + 16 * i];
        SEEK_UNROLL
        for (int j = 0; j < kMicro; ++j) bv[j] = b_tile[kk][tx + 16 * j];
        SEEK_UNROLL
        for (int i = 0; i < kMicro; ++i) {
          SEEK_UNROLL
          for (int j = 0; j < kMicro; ++j) acc[i][j] += av[i] * bv[j];
        }
      }
      __syncthreads();  // the tile is read by all before the next store overwrites it
    }

    SEEK_UNROLL
    for (int i = 0; i < kMicro; ++i) {
      const int64_t r = m0 + ty + 16 * i;
      if (r >= g.M) continue;
      SEEK_UNROLL
      for (int j = 0; j < kMicro; ++j) {
        const int64_t col = n0 + tx + 16 * j;
        if (col >= g.N) continue;
        T* dst = pc + r * g.ldc + col;
        A v = alpha * acc[i][j];
        if (beta != A(0)) v += beta * convert<A>(*dst);  // beta == 0: out is not read (NaN stays out)
        if (g.bias != nullptr) v += convert<A>(static_cast<const T*>(g.bias)[col * g.bias_stride]);
        if (g.aux != nullptr) static_cast<T*>(g.aux)[r * g.ld_aux + col] = convert<T>(v);
        if (g.act == static_cast<int>(GemmAct::Relu))
          v = functors::relu_fn(v);
        else if (g.act == static_cast<int>(GemmAct::GeluTanh))
          v = functors::gelu_tanh_fn(v);
        *dst = convert<T>(v);
      }
    }
  }
}

// ---- launchers ----

constexpr int64_t kMaxGemmBlocks = int64_t{1} << 20;  // blocks loop over the remaining tiles

template <typename A>
constexpr size_t gemm_smem_bytes = (kTileK * kTileM + kTileK * kTileN) * sizeof(A);

template <typename T>
void own_gemm(const GemmShape& s, const MatrixStack& a, const MatrixStack& b, const MatrixStack& out, double alpha,
              double beta, const GemmEpilogueArgs& ep, cudaStream_t stream) {
  using A = acc_t<T>;
  GemmArgs g{};
  g.M = s.M, g.N = s.N, g.K = s.K, g.B1 = s.B1, g.batches = s.B0 * s.B1;
  g.tiles_n = (s.N + kTileN - 1) / kTileN;
  g.tiles = g.tiles_n * ((s.M + kTileM - 1) / kTileM);
  g.a_sb0 = a.sb0, g.a_sb1 = a.sb1, g.a_sr = a.sr, g.a_sc = a.sc;
  g.b_sb0 = b.sb0, g.b_sb1 = b.sb1, g.b_sr = b.sr, g.b_sc = b.sc;
  g.c_sb0 = out.sb0, g.c_sb1 = out.sb1, g.ldc = out.sr;
  g.bias = ep.bias, g.bias_stride = ep.bias_stride, g.aux = ep.aux, g.ld_aux = ep.ld_aux;
  g.act = static_cast<int>(ep.act);
  const int64_t work = g.batches * g.tiles;
  const auto blocks = static_cast<unsigned>(work < kMaxGemmBlocks ? work : kMaxGemmBlocks);
  launch(gemm_kernel<T>, {blocks, kGemmThreads, gemm_smem_bytes<A>, stream}, static_cast<const T*>(a.p),
         static_cast<const T*>(b.p), static_cast<T*>(const_cast<void*>(out.p)), g, static_cast<A>(alpha),
         static_cast<A>(beta));
}

std::atomic<int> g_gemm_impl{-1};  // -1: not yet read from the environment

#if !defined(SEEK_CUDA_SIM)
// ---- cuBLAS (nvcc build) ----

[[noreturn]] void throw_cublas_error(cublasStatus_t st, const char* expr, const char* file, int line) {
  throw Error(str("cuBLAS error ", cublasGetStatusName(st), " (", cublasGetStatusString(st), ") in ", expr, " at ",
                  file, ":", line));
}
inline void check_cublas(cublasStatus_t st, const char* expr, const char* file, int line) {
  if (st != CUBLAS_STATUS_SUCCESS) throw_cublas_error(st, expr, file, line);
}
#define SEEK_CUBLAS_CHECK(expr) check_cublas((expr), #expr, __FILE__, __LINE__)

// One handle per device and host thread (a handle must not be used by two threads at once),
// created on first use and kept for the thread's life: destroying handles at process exit
// races the driver's own teardown.
cublasHandle_t cublas_handle() {
  constexpr int kMaxDevices = 64;
  thread_local std::array<cublasHandle_t, kMaxDevices> handles{};
  int device = 0;
  SEEK_CUDA_CHECK(cudaGetDevice(&device));
  SEEK_CHECK_T(DeviceError, device >= 0 && device < kMaxDevices, "gemm: device ", device, " is out of range");
  cublasHandle_t& h = handles[static_cast<size_t>(device)];
  if (h == nullptr) SEEK_CUBLAS_CHECK(cublasCreate(&h));
  return h;
}

// How one operand maps onto cuBLAS: transposed or not, and its leading dimension.
struct BlasOperand {
  bool ok = false;
  cublasOperation_t op = CUBLAS_OP_N;
  int64_t ld = 0;
};

// A [rows, cols] row-major matrix is, read column-major, its transpose (op N in the swapped
// product below); a column-major one needs op T. Strides of size-1 dims do not matter.
BlasOperand blas_operand(int64_t rows, int64_t cols, int64_t sr, int64_t sc) {
  if ((cols == 1 || sc == 1) && (rows == 1 || sr >= cols)) return {true, CUBLAS_OP_N, rows == 1 ? cols : sr};
  if ((rows == 1 || sr == 1) && (cols == 1 || sc >= rows)) return {true, CUBLAS_OP_T, cols == 1 ? rows : sc};
  return {};
}

bool fits_int(int64_t v) { return v >= 0 && v <= std::numeric_limits<int>::max(); }

// Row-major out = a @ b is column-major out^T = b^T @ a^T: cuBLAS gets (m, n, k) = (N, M, K) with
// b first. The two batch levels become one strided batch where the strides allow, else a loop
// over one level. Returns false (nothing queued) when the operands do not fit cuBLAS.
bool blas_gemm(DType dt, const GemmShape& s, const MatrixStack& a, const MatrixStack& b, const MatrixStack& out,
               double alpha, double beta, cudaStream_t stream) {
  const BlasOperand oa = blas_operand(s.M, s.K, a.sr, a.sc), ob = blas_operand(s.K, s.N, b.sr, b.sc);
  if (!oa.ok || !ob.ok || out.sc != 1 || s.K == 0) return false;
  for (int64_t v : {s.M, s.N, s.K, oa.ld, ob.ld, out.sr, s.B0, s.B1})
    if (!fits_int(v)) return false;
  cudaDataType_t type;
  cublasComputeType_t compute = CUBLAS_COMPUTE_32F;
  switch (dt) {
    case DType::Float32: type = CUDA_R_32F; break;
    case DType::Float16: type = CUDA_R_16F; break;
    case DType::BFloat16: type = CUDA_R_16BF; break;
    case DType::Float64:
      type = CUDA_R_64F;
      compute = CUBLAS_COMPUTE_64F;
      break;
    default: return false;
  }
  // Flatten the batch levels when level 0 steps over whole level-1 stacks in every operand.
  int64_t outer = s.B0, inner = s.B1;
  int64_t sa = a.sb1, sb = b.sb1, sc = out.sb1;
  if (s.B1 == 1) {
    inner = s.B0, outer = 1, sa = a.sb0, sb = b.sb0, sc = out.sb0;
  } else if (a.sb0 == s.B1 * a.sb1 && b.sb0 == s.B1 * b.sb1 && out.sb0 == s.B1 * out.sb1) {
    inner = s.B0 * s.B1, outer = 1;
    if (!fits_int(inner)) return false;
  }
  cublasHandle_t h = cublas_handle();
  SEEK_CUBLAS_CHECK(cublasSetStream(h, stream));
  const size_t esize = dtype_size(dt);
  const float alpha32 = static_cast<float>(alpha), beta32 = static_cast<float>(beta);
  const void* palpha = dt == DType::Float64 ? static_cast<const void*>(&alpha) : &alpha32;
  const void* pbeta = dt == DType::Float64 ? static_cast<const void*>(&beta) : &beta32;
  for (int64_t o = 0; o < outer; ++o) {
    const char* pa = static_cast<const char*>(a.p) + o * a.sb0 * static_cast<int64_t>(esize);
    const char* pb = static_cast<const char*>(b.p) + o * b.sb0 * static_cast<int64_t>(esize);
    char* pc = static_cast<char*>(const_cast<void*>(out.p)) + o * out.sb0 * static_cast<int64_t>(esize);
    SEEK_CUBLAS_CHECK(cublasGemmStridedBatchedEx(
        h, ob.op, oa.op, static_cast<int>(s.N), static_cast<int>(s.M), static_cast<int>(s.K), palpha, pb, type,
        static_cast<int>(ob.ld), sb, pa, type, static_cast<int>(oa.ld), sa, pbeta, pc, type, static_cast<int>(out.sr),
        sc, static_cast<int>(inner), compute, CUBLAS_GEMM_DEFAULT));
  }
  return true;
}
#endif

}  // namespace

void set_gemm_impl(GemmImpl impl) { g_gemm_impl.store(static_cast<int>(impl)); }

GemmImpl gemm_impl() {
#if defined(SEEK_CUDA_SIM)
  return GemmImpl::Own;
#else
  int v = g_gemm_impl.load();
  if (v < 0) {
    const char* env = std::getenv("SEEK_CUDA_GEMM");
    v = static_cast<int>(env && std::strcmp(env, "own") == 0 ? GemmImpl::Own : GemmImpl::Library);
    g_gemm_impl.store(v);
  }
  return static_cast<GemmImpl>(v);
#endif
}

namespace {

// 16-bit products through the dispatch table (src/backend/cuda/gemm_dispatch.h): the Hopper or
// the mma.sync kernel runs it here (true); Lt or Own (false) leave it to the caller's paths.
bool dispatch_16bit_gemm(DType dtype, const GemmShape& s, const MatrixStack& a, const MatrixStack& b,
                         const MatrixStack& out, double alpha, double beta, const GemmEpilogueArgs* ep,
                         cudaStream_t stream) {
  MpGemmArgs g;
  if (!mp_gemm_args_from_stack(dtype, s, a, b, out, alpha, beta, &g)) return false;
  if (ep) {  // the pre-activation output (aux) and strided biases stay with the other paths
    if (ep->aux || (ep->bias && ep->bias_stride != 1)) return false;
    g.bias = ep->bias;
    g.act = ep->act == GemmAct::Relu       ? MpActivation::Relu
            : ep->act == GemmAct::GeluTanh ? MpActivation::GeluTanh
                                           : MpActivation::None;
  }
  GemmProblem p;
  p.dtype = dtype, p.batch = s.B0 * s.B1, p.M = s.M, p.N = s.N, p.K = s.K;
#if defined(SEEK_CUDA_SIM)
  p.simulated = true;
#endif
  p.hopper_ok = hopper_gemm_unsupported(g).empty() && hopper_gemm_device_ok();
  const GemmPath path = choose_gemm_path(p);
  count_gemm_path(path);
  switch (path) {
    case GemmPath::Hopper: hopper_gemm(g, stream); return true;
    case GemmPath::Mp: mp_gemm(g, stream); return true;
    default: return false;
  }
}

}  // namespace

void gemm_forward(DType dtype, const GemmShape& s, MatrixStack a, MatrixStack b, MatrixStack out, double alpha,
                  double beta, cudaStream_t stream) {
  SEEK_CHECK(out.sc == 1, "gemm: the output's columns must be contiguous");
  if (s.B0 * s.B1 == 0 || s.M == 0 || s.N == 0) return;
  // Strides of size-1 batch levels do not matter: zero them so that they flatten.
  if (s.B0 == 1) a.sb0 = b.sb0 = out.sb0 = 0;
  if (s.B1 == 1) a.sb1 = b.sb1 = out.sb1 = 0;
  // f16/bf16: the dispatch table's hand-written path (Hopper or mma.sync), else cuBLASLt below.
  if (dispatch_16bit_gemm(dtype, s, a, b, out, alpha, beta, nullptr, stream)) return;
#if !defined(SEEK_CUDA_SIM)
  if (gemm_impl() == GemmImpl::Library && (lt_gemm(dtype, s, a, b, out, alpha, beta, nullptr, stream) ||
                                           blas_gemm(dtype, s, a, b, out, alpha, beta, stream)))
    return;
#endif
  SEEK_DISPATCH_FLOATING(dtype, "gemm", [&] { own_gemm<scalar_t>(s, a, b, out, alpha, beta, {}, stream); });
}

void gemm_epilogue_forward(DType dtype, const GemmShape& s, MatrixStack a, MatrixStack b, MatrixStack out,
                           const GemmEpilogueArgs& ep, cudaStream_t stream) {
  SEEK_CHECK(out.sc == 1, "gemm: the output's columns must be contiguous");
  SEEK_CHECK(s.B0 == 1 && s.B1 == 1, "gemm: an epilogue takes one product, got a batch of ", s.B0 * s.B1);
  if (s.M == 0 || s.N == 0) return;
  a.sb0 = a.sb1 = b.sb0 = b.sb1 = out.sb0 = out.sb1 = 0;
  if (dispatch_16bit_gemm(dtype, s, a, b, out, 1.0, 0.0, &ep, stream)) return;
#if !defined(SEEK_CUDA_SIM)
  if (gemm_impl() == GemmImpl::Library && lt_gemm(dtype, s, a, b, out, 1.0, 0.0, &ep, stream)) return;
#endif
  SEEK_DISPATCH_FLOATING(dtype, "gemm", [&] { own_gemm<scalar_t>(s, a, b, out, 1.0, 0.0, ep, stream); });
}

// ---- CudaBackend::gemm ----

const FamilyRegistrar linalg_family(BackendFamily::Gemm, [](DType dt) { return is_floating(dt); });

void CudaBackend::gemm(const Tensor& a, const Tensor& b, const Tensor& out, double alpha, double beta) {
  SEEK_CHECK_SHAPE(a.dim() == 3 && b.dim() == 3 && out.dim() == 3, "gemm: expected 3-D operands, got ",
                   shape_str(a.sizes()), ", ", shape_str(b.sizes()), " and out ", shape_str(out.sizes()));
  const int64_t B = out.size(0), M = out.size(1), N = out.size(2), K = a.size(2);
  SEEK_CHECK_SHAPE(a.size(0) == B && b.size(0) == B && a.size(1) == M && b.size(1) == K && b.size(2) == N,
                   "gemm: shapes ", shape_str(a.sizes()), " @ ", shape_str(b.sizes()), " -> ", shape_str(out.sizes()),
                   " do not match [B, M, K] @ [B, K, N] -> [B, M, N]");
  SEEK_CHECK_DTYPE(a.dtype() == b.dtype() && a.dtype() == out.dtype(), "gemm: expected one dtype, got ", a.dtype(),
                   ", ", b.dtype(), " and out ", out.dtype());
  SEEK_CHECK_DTYPE(is_floating(out.dtype()), "gemm: the CUDA backend multiplies floating tensors, got ", out.dtype());
  SEEK_CHECK_T(DeviceError, a.device() == out.device() && b.device() == out.device() && out.is_cuda(),
               "gemm: expected operands on one CUDA device, got ", a.device().str(), ", ", b.device().str(),
               " and out ", out.device().str());
  SEEK_CHECK(out.is_contiguous(), "gemm: out must be contiguous");
  if (out.numel() == 0) return;
  DeviceGuard guard(out.device().index, "gemm");
  auto stack = [](const Tensor& t) {
    return MatrixStack{t.data_ptr(), t.size(0) == 1 ? 0 : t.stride(0), 0, t.stride(1), t.stride(2)};
  };
  gemm_forward(out.dtype(), GemmShape{B, 1, M, N, K}, stack(a), stack(b), stack(out), alpha, beta, current_stream());
}

// ---- CudaBackend::gemm_epilogue (the Gemm family's fused linear layer) ----

void CudaBackend::gemm_epilogue(GemmEpilogue ep, const Tensor& a, const Tensor& b, const Tensor& bias,
                                const Tensor& out, const Tensor& aux) {
  backend_detail::check_gemm_epilogue(a, b, bias, out, aux);
  SEEK_CHECK_T(DeviceError, out.is_cuda(), "gemm_epilogue: expected CUDA tensors, got ", out.device().str());
  if (out.numel() == 0) return;
  DeviceGuard guard(out.device().index, "gemm_epilogue");
  GemmEpilogueArgs e;
  e.bias = bias.data_ptr(), e.bias_stride = bias.stride(0);
  if (aux.defined()) e.aux = aux.data_ptr(), e.ld_aux = aux.size(1);
  e.act = ep == GemmEpilogue::BiasRelu   ? GemmAct::Relu
          : ep == GemmEpilogue::BiasGelu ? GemmAct::GeluTanh
                                         : GemmAct::None;
  const MatrixStack sa{a.data_ptr(), 0, 0, a.stride(0), a.stride(1)}, sb{b.data_ptr(), 0, 0, b.stride(0), b.stride(1)};
  const MatrixStack so{out.data_ptr(), 0, 0, out.size(1), 1};
  gemm_epilogue_forward(out.dtype(), GemmShape{1, 1, out.size(0), out.size(1), a.size(1)}, sa, sb, so, e,
                        current_stream());
}

}  // namespace seek::cuda

// CPU linear algebra family: batched GEMM out[i] = alpha * a[i] @ b[i] + beta * out[i].
//
// f32/f64 go to Eigen's GEMM with zero copies for the common layouts: each
// [rows, cols] slice of a strided operand is mapped as a row-major matrix when
// its column stride is 1, or as a column-major one when its row stride is 1
// (a transposed view), with the other stride as Eigen's OuterStride. Only a
// slice that fits neither layout (e.g. a step-2 slice along both dims) is
// copied to contiguous memory first. A stride-0 batch dim (a broadcast operand)
// is used as is. One large GEMM is split into a block of rows or columns per
// OpenMP thread (see eigen_product); a batch of small matrices is split over
// the batch instead. Where seek is built with a BLAS (SEEK_BLAS, see
// cmake/SeekBlas.cmake), large f32/f64 products go to OpenBLAS through CBLAS.
// f16/bf16 are widened to f32, multiplied and rounded back once; integers use
// a plain triple loop with 64-bit accumulation (wraps like the storage type).
#include "backend/cpu/cpu_eigen.h"
#include <omp.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <type_traits>
#include <vector>

#include "backend/cpu/cpu_backend.h"
#include "seek/core/convert.h"

#if defined(SEEK_HAVE_CBLAS)
#include <cblas.h>
#endif

namespace seek::cpu {

namespace {

// Per-matrix multiply-adds below which a batch is split across threads instead
// of letting Eigen split each matrix.
constexpr int64_t kBatchParallelMacs = 128 * 128 * 128;
// Per-matrix multiply-adds from which f32/f64 go to the BLAS, where seek is built with one.
constexpr int64_t kBlasMinMacs = 64 * 64 * 64;
// Total multiply-adds below which the integer loop stays serial.
constexpr int64_t kIntParallelMacs = 1 << 16;

// A strided stack of matrices: element (i, r, c) lives at p[i*sb + r*sr + c*sc].
template <typename T>
struct MatRef {
  const T* p;
  int64_t sb, sr, sc;
};

enum class Layout { Row, Col, None };

// How a [rows, cols] slice with strides (sr, sc) maps onto a dense BLAS layout.
// Strides of size-1 dims do not matter. `ld` receives Eigen's outer stride.
Layout layout_of(int64_t rows, int64_t cols, int64_t sr, int64_t sc, int64_t& ld) {
  if ((cols == 1 || sc == 1) && (rows == 1 || sr >= cols)) {
    ld = rows == 1 ? cols : sr;
    return Layout::Row;
  }
  if ((rows == 1 || sr == 1) && (cols == 1 || sc >= rows)) {
    ld = cols == 1 ? rows : sc;
    return Layout::Col;
  }
  return Layout::None;
}

template <typename T, int Order>
using ConstMap =
    Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Order>, Eigen::Unaligned, Eigen::OuterStride<>>;
template <typename T>
using OutMap = Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>, Eigen::Unaligned,
                          Eigen::OuterStride<>>;

// One dense operand: its layout and leading dimension.
template <typename T>
struct Dense {
  const T* p;
  Layout layout;
  int64_t ld;
  // Element (r, c).
  const T* at(int64_t r, int64_t c) const { return layout == Layout::Row ? p + r * ld + c : p + r + c * ld; }
};

template <typename T, int OA, int OB>
void eigen_gemm(int64_t M, int64_t N, int64_t K, const T* a, int64_t lda, const T* b, int64_t ldb, T* c, int64_t ldc,
                T alpha, T beta) {
  ConstMap<T, OA> A(a, M, K, Eigen::OuterStride<>(lda));
  ConstMap<T, OB> B(b, K, N, Eigen::OuterStride<>(ldb));
  OutMap<T> C(c, M, N, Eigen::OuterStride<>(ldc));
  if (beta == T(0)) {
    C.noalias() = alpha * A * B;
  } else {
    if (beta != T(1)) C *= beta;
    C.noalias() += alpha * A * B;
  }
}

// C[M, N] (row-major, leading dim ldc) = alpha * A @ B + beta * C through Eigen.
template <typename T>
void eigen_block(int64_t M, int64_t N, int64_t K, Dense<T> a, Dense<T> b, T* c, int64_t ldc, T alpha, T beta) {
  constexpr int R = Eigen::RowMajor, C = Eigen::ColMajor;
  const bool ar = a.layout == Layout::Row, br = b.layout == Layout::Row;
  if (ar && br)
    eigen_gemm<T, R, R>(M, N, K, a.p, a.ld, b.p, b.ld, c, ldc, alpha, beta);
  else if (ar)
    eigen_gemm<T, R, C>(M, N, K, a.p, a.ld, b.p, b.ld, c, ldc, alpha, beta);
  else if (br)
    eigen_gemm<T, C, R>(M, N, K, a.p, a.ld, b.p, b.ld, c, ldc, alpha, beta);
  else
    eigen_gemm<T, C, C>(M, N, K, a.p, a.ld, b.p, b.ld, c, ldc, alpha, beta);
}

// Eigen's own parallel GEMM synchronises its threads with busy-wait loops, which
// collapses (10-40x slower, see docs/performance.md) when the cores are shared
// with other processes. So C is split into blocks of rows (or of columns) that
// OpenMP threads take dynamically, each running Eigen's serial GEMM (Eigen stays
// serial inside a parallel region): a thread that loses its core delays only its
// current block, and the only synchronisation is OpenMP's closing barrier.
// Eigen's own rule decides how many threads pay off.
template <typename T>
void eigen_product(int64_t M, int64_t N, int64_t K, Dense<T> a, Dense<T> b, T* c, T alpha, T beta) {
  constexpr double kMinTaskMacs = 50000;  // Eigen's kMinTaskSize
  constexpr int64_t kMinBlock = 32;       // rows/cols per block: whole SIMD tiles, little repacking
  constexpr int64_t kBlocksPerThread = 4;
  const bool split_rows = M >= N;
  const int64_t extent = split_rows ? M : N;
  int64_t threads = omp_in_parallel() ? 1 : omp_get_max_threads();
  threads = std::min<int64_t>(threads, static_cast<int64_t>(static_cast<double>(M) * N * K / kMinTaskMacs));
  threads = std::min<int64_t>(threads, extent / kMinBlock);
  if (threads <= 1) return eigen_block(M, N, K, a, b, c, N, alpha, beta);
  const int64_t blocks = std::min(threads * kBlocksPerThread, extent / kMinBlock);
  const int64_t step = ((extent + blocks - 1) / blocks + 15) / 16 * 16;
#pragma omp parallel for num_threads(static_cast <int>(threads)) schedule(dynamic, 1)
  for (int64_t blk = 0; blk < blocks; ++blk) {
    const int64_t lo = std::min(extent, blk * step), len = std::min(extent, lo + step) - lo;
    if (len == 0) continue;
    if (split_rows) {
      Dense<T> as{a.at(lo, 0), a.layout, a.ld};
      eigen_block(len, N, K, as, b, c + lo * N, N, alpha, beta);
    } else {
      Dense<T> bs{b.at(0, lo), b.layout, b.ld};
      eigen_block(M, len, K, a, bs, c + lo, N, alpha, beta);
    }
  }
}

#if defined(SEEK_HAVE_CBLAS)
// One product through CBLAS (built with SEEK_BLAS=OpenBLAS/AUTO). A column-major
// slice is the transpose of a row-major one with the same leading dimension.
template <typename T>
void blas_gemm(int64_t M, int64_t N, int64_t K, Dense<T> a, Dense<T> b, T* c, T alpha, T beta) {
  const auto ta = a.layout == Layout::Row ? CblasNoTrans : CblasTrans;
  const auto tb = b.layout == Layout::Row ? CblasNoTrans : CblasTrans;
  const auto m = static_cast<blasint>(M), n = static_cast<blasint>(N), k = static_cast<blasint>(K);
  const auto sa = static_cast<blasint>(a.ld), sb = static_cast<blasint>(b.ld);
  if constexpr (std::is_same_v<T, float>)
    cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a.p, sa, b.p, sb, beta, c, n);
  else
    cblas_dgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a.p, sa, b.p, sb, beta, c, n);
}
#endif

// f32/f64 GEMM over a batch; both operands must have a Row or Col layout.
template <typename T>
void gemm_float(int64_t B, int64_t M, int64_t N, int64_t K, MatRef<T> a, MatRef<T> b, T* c, T alpha, T beta) {
  if (B == 0 || M == 0 || N == 0) return;
  if (K == 0) {  // empty sum: out = beta * out
    for (int64_t i = 0; i < B * M * N; ++i) c[i] = beta == T(0) ? T(0) : beta * c[i];
    return;
  }
  int64_t lda = 0, ldb = 0;
  const Layout la = layout_of(M, K, a.sr, a.sc, lda), lb = layout_of(K, N, b.sr, b.sc, ldb);
  auto dense_a = [&](int64_t i) { return Dense<T>{a.p + i * a.sb, la, lda}; };
  auto dense_b = [&](int64_t i) { return Dense<T>{b.p + i * b.sb, lb, ldb}; };
  const bool batch_parallel =
      B > 1 && M * N * K < kBatchParallelMacs && omp_get_max_threads() > 1 && !omp_in_parallel();
  if (batch_parallel) {
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < B; ++i) eigen_block(M, N, K, dense_a(i), dense_b(i), c + i * M * N, N, alpha, beta);
    return;
  }
#if defined(SEEK_HAVE_CBLAS)
  // Large products go to the BLAS, which threads them itself; small ones stay
  // with Eigen, which has less call overhead.
  constexpr int64_t kMaxBlasDim = int64_t{1} << 31;
  if (M * N * K >= kBlasMinMacs && std::max({M, N, K, lda, ldb}) < kMaxBlasDim) {
    for (int64_t i = 0; i < B; ++i) blas_gemm(M, N, K, dense_a(i), dense_b(i), c + i * M * N, alpha, beta);
    return;
  }
#endif
  for (int64_t i = 0; i < B; ++i) eigen_product(M, N, K, dense_a(i), dense_b(i), c + i * M * N, alpha, beta);
}

// Integer GEMM: row-by-row with a 64-bit accumulator row (correct, not fast).
template <typename T>
void gemm_int(int64_t B, int64_t M, int64_t N, int64_t K, MatRef<T> a, MatRef<T> b, T* c, int64_t alpha, int64_t beta) {
  using Acc = std::conditional_t<std::is_unsigned_v<T>, uint64_t, int64_t>;
  auto row = [&](int64_t br) {
    int64_t i = br / M, r = br % M;
    std::vector<Acc> acc(static_cast<size_t>(N), Acc(0));
    const T* pa = a.p + i * a.sb + r * a.sr;
    const T* pb = b.p + i * b.sb;
    for (int64_t k = 0; k < K; ++k) {
      const Acc av = static_cast<Acc>(pa[k * a.sc]);
      const T* bk = pb + k * b.sr;
      for (int64_t j = 0; j < N; ++j) acc[j] += av * static_cast<Acc>(bk[j * b.sc]);
    }
    T* pc = c + br * N;
    for (int64_t j = 0; j < N; ++j) {
      // Unsigned arithmetic keeps overflow defined; the cast wraps like the storage type.
      uint64_t v = static_cast<uint64_t>(alpha) * static_cast<uint64_t>(acc[j]);
      if (beta != 0) v += static_cast<uint64_t>(beta) * static_cast<uint64_t>(static_cast<Acc>(pc[j]));
      pc[j] = static_cast<T>(v);
    }
  };
  int64_t rows = B * M;
  if (rows > 1 && rows * N * K >= kIntParallelMacs && !omp_in_parallel()) {
#pragma omp parallel for schedule(static)
    for (int64_t br = 0; br < rows; ++br) row(br);
  } else {
    for (int64_t br = 0; br < rows; ++br) row(br);
  }
}

// Elements from which a 16-bit <-> f32 conversion is split over OpenMP threads.
constexpr int64_t kParallelConvertElems = int64_t{1} << 15;

// f(line) for line in [0, lines), each line converting `per_line` elements; threaded when large.
template <typename F>
void for_each_line(int64_t lines, int64_t per_line, F&& f) {
  if (lines > 1 && lines * per_line >= kParallelConvertElems && !omp_in_parallel()) {
#pragma omp parallel for schedule(static)
    for (int64_t l = 0; l < lines; ++l) f(l);
  } else {
    for (int64_t l = 0; l < lines; ++l) f(l);
  }
}

// Floats that widen() writes for a stack of B [rows, cols] matrices with batch stride sb.
int64_t widened_size(int64_t sb, int64_t B, int64_t rows, int64_t cols) {
  return ((sb == 0 || B <= 1) ? 1 : B) * rows * cols;
}

// Writes a dense f32 copy of a strided stack of 16-bit float matrices ([B', rows, cols], B' = 1
// for a broadcast batch) to dst and returns the matching MatRef. The copy keeps the source's
// order (row-major, or column-major for a transposed view), so both sides are read and written
// with unit stride.
template <typename T>
MatRef<float> widen(MatRef<T> m, int64_t B, int64_t rows, int64_t cols, float* dst) {
  const int64_t nb = (m.sb == 0 || B <= 1) ? 1 : B;
  const bool col_major = m.sc != 1 && m.sr == 1;
  const int64_t outer = col_major ? cols : rows, inner = col_major ? rows : cols;
  const int64_t so = col_major ? m.sc : m.sr, si = col_major ? m.sr : m.sc;
  for_each_line(nb * outer, inner, [&](int64_t l) {
    const T* src = m.p + (l / outer) * m.sb + (l % outer) * so;
    float* d = dst + l * inner;
    if (si == 1) {
      for (int64_t k = 0; k < inner; ++k) d[k] = static_cast<float>(src[k]);
    } else {
      for (int64_t k = 0; k < inner; ++k) d[k] = static_cast<float>(src[k * si]);
    }
  });
  const int64_t sb = nb == 1 ? 0 : rows * cols;
  return col_major ? MatRef<float>{dst, sb, 1, rows} : MatRef<float>{dst, sb, cols, 1};
}

// f16/bf16 GEMM the way cuBLAS does it: operands widened to f32, one f32 GEMM (BLAS / Eigen,
// accumulating in f32), the result rounded to T once.
template <typename T>
void gemm_reduced(int64_t B, int64_t M, int64_t N, int64_t K, MatRef<T> a, MatRef<T> b, T* c, double alpha,
                  double beta) {
  // One f32 scratch block for both operands and the result. Blocks up to kKeptScratchFloats are
  // kept per thread between calls: fresh large allocations cost page faults on every call.
  constexpr int64_t kKeptScratchFloats = int64_t{1} << 22;  // 16 MiB
  thread_local std::unique_ptr<float[]> kept;
  thread_local int64_t kept_size = 0;
  const int64_t a_size = widened_size(a.sb, B, M, K), b_size = widened_size(b.sb, B, K, N);
  const int64_t rows = B * M, total = a_size + b_size + rows * N;
  std::unique_ptr<float[]> own;
  float* scratch = nullptr;
  if (total <= kKeptScratchFloats) {
    if (kept_size < total) {
      kept.reset(new float[static_cast<size_t>(total)]);
      kept_size = total;
    }
    scratch = kept.get();
  } else {
    own.reset(new float[static_cast<size_t>(total)]);
    scratch = own.get();
  }
  MatRef<float> a32 = widen(a, B, M, K, scratch), b32 = widen(b, B, K, N, scratch + a_size);
  float* c32 = scratch + a_size + b_size;
  if (beta != 0.0)
    for_each_line(rows, N, [&](int64_t r) {
      for (int64_t j = 0; j < N; ++j) c32[r * N + j] = static_cast<float>(c[r * N + j]);
    });
  gemm_float<float>(B, M, N, K, a32, b32, c32, static_cast<float>(alpha), static_cast<float>(beta));
  for_each_line(rows, N, [&](int64_t r) {
    for (int64_t j = 0; j < N; ++j) c[r * N + j] = T(c32[r * N + j]);
  });
}

// A dense copy of t when a slice of it fits neither BLAS layout (Eigen needs
// unit stride along one matrix dim).
Tensor blas_compatible(const Tensor& t, CpuBackend& be) {
  int64_t ld = 0;
  if (layout_of(t.size(1), t.size(2), t.stride(1), t.stride(2), ld) != Layout::None) return t;
  Tensor dense = empty(t.sizes(), TensorOptions(t.dtype()));
  be.copy(t, dense);
  return dense;
}

template <typename T>
MatRef<T> ref(const Tensor& t) {
  return {static_cast<const T*>(t.data_ptr()), t.size(0) == 1 ? 0 : t.stride(0), t.stride(1), t.stride(2)};
}

}  // namespace

void CpuBackend::gemm(const Tensor& a_in, const Tensor& b_in, const Tensor& out, double alpha, double beta) {
  SEEK_CHECK_SHAPE(a_in.dim() == 3 && b_in.dim() == 3 && out.dim() == 3, "gemm: expected 3-D operands, got ",
                   shape_str(a_in.sizes()), ", ", shape_str(b_in.sizes()), " and out ", shape_str(out.sizes()));
  const int64_t B = out.size(0), M = out.size(1), N = out.size(2), K = a_in.size(2);
  SEEK_CHECK_SHAPE(
      a_in.size(0) == B && b_in.size(0) == B && a_in.size(1) == M && b_in.size(1) == K && b_in.size(2) == N,
      "gemm: shapes ", shape_str(a_in.sizes()), " @ ", shape_str(b_in.sizes()), " -> ", shape_str(out.sizes()),
      " do not match [B, M, K] @ [B, K, N] -> [B, M, N]");
  SEEK_CHECK_DTYPE(a_in.dtype() == b_in.dtype() && a_in.dtype() == out.dtype(), "gemm: expected one dtype, got ",
                   a_in.dtype(), ", ", b_in.dtype(), " and out ", out.dtype());
  SEEK_CHECK(out.is_contiguous(), "gemm: out must be contiguous");
  if (out.numel() == 0) return;
  const bool floating = is_floating(out.dtype());
  Tensor a = floating ? blas_compatible(a_in, *this) : a_in;
  Tensor b = floating ? blas_compatible(b_in, *this) : b_in;
  SEEK_DISPATCH_NUMERIC(out.dtype(), "gemm", [&] {
    using T = scalar_t;
    T* c = static_cast<T*>(out.data_ptr());
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
      gemm_float<T>(B, M, N, K, ref<T>(a), ref<T>(b), c, static_cast<T>(alpha), static_cast<T>(beta));
    } else if constexpr (is_reduced_float_v<T>) {
      gemm_reduced<T>(B, M, N, K, ref<T>(a), ref<T>(b), c, alpha, beta);
    } else {
      gemm_int<T>(B, M, N, K, ref<T>(a), ref<T>(b), c, static_cast<int64_t>(alpha), static_cast<int64_t>(beta));
    }
  });
}

}  // namespace seek::cpu

// GEMM through cuBLASLt (the nvcc build; the simulator build compiles this file to nothing and
// runs linalg.cu's own kernel). Trick: row-major out = a @ b is column-major out^T = b^T @ a^T,
// so cuBLASLt's "A" is seek's b and its "B" is seek's a, and the bias of a Linear layer (one
// value per output column, i.e. per row of the column-major D) is exactly what the BIAS
// epilogues broadcast. The algorithm of each problem (shape, layouts, dtype, compute type,
// epilogue and the pointers' alignments, which cuBLASLt's heuristic depends on) is asked of the
// heuristic once and kept; its workspace comes from seek's caching allocator (stream-ordered,
// so the next GEMM reuses it). Handles are per device and host thread, as linalg.cu's cuBLAS ones.
// f32 may use TF32 tensor cores only while backends::cuda::matmul::allow_tf32 is set; f16/bf16
// accumulate in f32; f64 stays with cuBLAS (linalg.cu).
#if !defined(SEEK_CUDA_SIM)
#include <cublasLt.h>

#include <array>
#include <limits>
#include <map>
#include <mutex>

#include "backend/cuda/cuda_backend.h"
#include "backend/cuda/cuda_check.h"
#include "kernels/linalg.cuh"
#include "seek/backends.h"
#include "seek/ops/creation.h"

namespace seek::cuda {

namespace {

[[noreturn]] void throw_cublaslt_error(cublasStatus_t st, const char* expr, const char* file, int line) {
  throw Error(str("cuBLASLt error ", cublasGetStatusName(st), " (", cublasGetStatusString(st), ") in ", expr, " at ",
                  file, ":", line));
}
inline void check_lt(cublasStatus_t st, const char* expr, const char* file, int line) {
  if (st != CUBLAS_STATUS_SUCCESS) throw_cublaslt_error(st, expr, file, line);
}
#define SEEK_CUBLASLT_CHECK(expr) check_lt((expr), #expr, __FILE__, __LINE__)

constexpr int kMaxDevices = 64;
constexpr uint64_t kMaxWorkspace = uint64_t{32} << 20;  // what the heuristic may ask for (bytes)

cublasLtHandle_t lt_handle(int device) {
  thread_local std::array<cublasLtHandle_t, kMaxDevices> handles{};
  cublasLtHandle_t& h = handles[static_cast<size_t>(device)];
  if (h == nullptr) SEEK_CUBLASLT_CHECK(cublasLtCreate(&h));
  return h;
}

// The largest power of two (up to 256) that divides the address: what the heuristic must assume.
uint32_t alignment_of(const void* p) {
  const auto v = reinterpret_cast<uintptr_t>(p);
  uint32_t a = 256;
  while (a > 1 && v % a != 0) a /= 2;
  return a;
}

// How one operand maps onto a column-major cuBLASLt matrix (see linalg.cu's blas_operand).
struct LtOperand {
  bool ok = false;
  cublasOperation_t op = CUBLAS_OP_N;
  int64_t ld = 0;
};
LtOperand lt_operand(int64_t rows, int64_t cols, int64_t sr, int64_t sc) {
  if ((cols == 1 || sc == 1) && (rows == 1 || sr >= cols)) return {true, CUBLAS_OP_N, rows == 1 ? cols : sr};
  if ((rows == 1 || sr == 1) && (cols == 1 || sc >= rows)) return {true, CUBLAS_OP_T, cols == 1 ? rows : sc};
  return {};
}

// RAII owners of the descriptors of one call.
struct LtDesc {
  cublasLtMatmulDesc_t op = nullptr;
  cublasLtMatrixLayout_t a = nullptr, b = nullptr, c = nullptr;
  cublasLtMatmulPreference_t pref = nullptr;
  LtDesc() = default;
  LtDesc(const LtDesc&) = delete;
  LtDesc& operator=(const LtDesc&) = delete;
  ~LtDesc() {
    if (pref) cublasLtMatmulPreferenceDestroy(pref);
    if (c) cublasLtMatrixLayoutDestroy(c);
    if (b) cublasLtMatrixLayoutDestroy(b);
    if (a) cublasLtMatrixLayoutDestroy(a);
    if (op) cublasLtMatmulDescDestroy(op);
  }
};

template <typename V>
void set_desc(cublasLtMatmulDesc_t d, cublasLtMatmulDescAttributes_t attr, const V& v) {
  SEEK_CUBLASLT_CHECK(cublasLtMatmulDescSetAttribute(d, attr, &v, sizeof(v)));
}
template <typename V>
void set_layout(cublasLtMatrixLayout_t l, cublasLtMatrixLayoutAttribute_t attr, const V& v) {
  SEEK_CUBLASLT_CHECK(cublasLtMatrixLayoutSetAttribute(l, attr, &v, sizeof(v)));
}
template <typename V>
void set_pref(cublasLtMatmulPreference_t p, cublasLtMatmulPreferenceAttributes_t attr, const V& v) {
  SEEK_CUBLASLT_CHECK(cublasLtMatmulPreferenceSetAttribute(p, attr, &v, sizeof(v)));
}

// The heuristic's pick for one problem, kept for the process.
struct LtAlgo {
  cublasLtMatmulAlgo_t algo;
  size_t workspace = 0;
};
using LtKey = std::array<int64_t, 22>;
std::mutex g_lt_mutex;
std::map<LtKey, LtAlgo> g_lt_algos;

}  // namespace

bool lt_gemm(DType dtype, const GemmShape& s, const MatrixStack& a, const MatrixStack& b, const MatrixStack& out,
             double alpha, double beta, const GemmEpilogueArgs* ep, cudaStream_t stream) {
  cudaDataType_t type;
  switch (dtype) {
    case DType::Float32: type = CUDA_R_32F; break;
    case DType::Float16: type = CUDA_R_16F; break;
    case DType::BFloat16: type = CUDA_R_16BF; break;
    default: return false;  // f64: cuBLAS
  }
  const LtOperand oa = lt_operand(s.M, s.K, a.sr, a.sc), ob = lt_operand(s.K, s.N, b.sr, b.sc);
  if (!oa.ok || !ob.ok || out.sc != 1 || s.K == 0 || s.M == 0 || s.N == 0) return false;
  if (out.sr < s.N && s.M > 1) return false;
  // The two batch levels as one strided batch (as linalg.cu's blas_gemm), else decline.
  int64_t batch = s.B0 * s.B1, sa = a.sb1, sb = b.sb1, sc = out.sb1;
  if (s.B1 == 1) {
    sa = a.sb0, sb = b.sb0, sc = out.sb0;
  } else if (s.B0 > 1 && !(a.sb0 == s.B1 * a.sb1 && b.sb0 == s.B1 * b.sb1 && out.sb0 == s.B1 * out.sb1)) {
    return false;
  }
  if (batch > std::numeric_limits<int32_t>::max()) return false;
  cublasLtEpilogue_t epilogue = CUBLASLT_EPILOGUE_DEFAULT;
  int64_t ld_aux = 0;
  if (ep != nullptr) {
    if (batch != 1 || ep->bias == nullptr || (ep->bias_stride != 1 && s.N > 1)) return false;  // a packed bias
    if (ep->act == GemmAct::Relu) {
      epilogue = CUBLASLT_EPILOGUE_RELU_BIAS;
    } else if (ep->act == GemmAct::GeluTanh) {
      epilogue = ep->aux ? CUBLASLT_EPILOGUE_GELU_AUX_BIAS : CUBLASLT_EPILOGUE_GELU_BIAS;
      ld_aux = ep->ld_aux;
      if (ep->aux && (ld_aux % 8 != 0 || ld_aux < s.N)) return false;  // cuBLASLt's rule for the GELU input
    } else {
      epilogue = CUBLASLT_EPILOGUE_BIAS;
    }
    if (ep->act != GemmAct::GeluTanh && ep->aux) return false;  // only GELU keeps its input
  }
  const bool tf32 = dtype == DType::Float32 && backends::cuda::matmul::allow_tf32.load();
  const cublasComputeType_t compute = tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;

  int device = 0;
  SEEK_CUDA_CHECK(cudaGetDevice(&device));
  SEEK_CHECK_T(DeviceError, device >= 0 && device < kMaxDevices, "gemm: device ", device, " is out of range");

  // cuBLASLt's A = seek's b ([N, K] after op), B = seek's a ([K, M] after op), C = D = out^T.
  LtDesc d;
  SEEK_CUBLASLT_CHECK(cublasLtMatmulDescCreate(&d.op, compute, CUDA_R_32F));
  set_desc(d.op, CUBLASLT_MATMUL_DESC_TRANSA, static_cast<int32_t>(ob.op));
  set_desc(d.op, CUBLASLT_MATMUL_DESC_TRANSB, static_cast<int32_t>(oa.op));
  set_desc(d.op, CUBLASLT_MATMUL_DESC_EPILOGUE, static_cast<uint32_t>(epilogue));
  if (ep != nullptr) {
    set_desc(d.op, CUBLASLT_MATMUL_DESC_BIAS_POINTER, ep->bias);
    if (epilogue == CUBLASLT_EPILOGUE_GELU_AUX_BIAS) {
      set_desc(d.op, CUBLASLT_MATMUL_DESC_EPILOGUE_AUX_POINTER, ep->aux);
      set_desc(d.op, CUBLASLT_MATMUL_DESC_EPILOGUE_AUX_LD, ld_aux);
    }
  }
  const auto u = [](int64_t v) { return static_cast<uint64_t>(v); };
  // Stored shapes: an op-T operand is stored transposed.
  const bool bn = ob.op == CUBLAS_OP_N, an = oa.op == CUBLAS_OP_N;
  SEEK_CUBLASLT_CHECK(cublasLtMatrixLayoutCreate(&d.a, type, u(bn ? s.N : s.K), u(bn ? s.K : s.N), ob.ld));
  SEEK_CUBLASLT_CHECK(cublasLtMatrixLayoutCreate(&d.b, type, u(an ? s.K : s.M), u(an ? s.M : s.K), oa.ld));
  SEEK_CUBLASLT_CHECK(cublasLtMatrixLayoutCreate(&d.c, type, u(s.N), u(s.M), s.M == 1 ? s.N : out.sr));
  if (batch > 1) {
    const auto count = static_cast<int32_t>(batch);
    set_layout(d.a, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, count);
    set_layout(d.b, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, count);
    set_layout(d.c, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, count);
    set_layout(d.a, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, sb);
    set_layout(d.b, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, sa);
    set_layout(d.c, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, sc);
  }
  const uint32_t al_a = alignment_of(b.p), al_b = alignment_of(a.p), al_c = alignment_of(out.p);
  const uint32_t al_bias = ep ? alignment_of(ep->bias) : 0, al_aux = ep && ep->aux ? alignment_of(ep->aux) : 0;

  const LtKey key{device,  static_cast<int64_t>(dtype),
                  compute, ob.op,
                  oa.op,   s.M,
                  s.N,     s.K,
                  oa.ld,   ob.ld,
                  out.sr,  batch,
                  sa,      sb,
                  sc,      epilogue,
                  al_a,    al_b,
                  al_c,    al_bias,
                  al_aux,  ld_aux};
  LtAlgo chosen{};
  bool found = false;
  {
    std::lock_guard<std::mutex> lock(g_lt_mutex);
    const auto it = g_lt_algos.find(key);
    if (it != g_lt_algos.end()) chosen = it->second, found = true;
  }
  cublasLtHandle_t h = lt_handle(device);
  if (!found) {
    SEEK_CUBLASLT_CHECK(cublasLtMatmulPreferenceCreate(&d.pref));
    set_pref(d.pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, kMaxWorkspace);
    set_pref(d.pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, al_a);
    set_pref(d.pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, al_b);
    set_pref(d.pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, al_c);
    set_pref(d.pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, al_c);
    cublasLtMatmulHeuristicResult_t result{};
    int returned = 0;
    const cublasStatus_t st =
        cublasLtMatmulAlgoGetHeuristic(h, d.op, d.a, d.b, d.c, d.c, d.pref, 1, &result, &returned);
    // No algorithm for this problem (an epilogue or alignment it lacks): linalg.cu falls back.
    if (st == CUBLAS_STATUS_NOT_SUPPORTED || returned == 0) return false;
    SEEK_CUBLASLT_CHECK(st);
    if (result.state != CUBLAS_STATUS_SUCCESS) return false;
    chosen = LtAlgo{result.algo, result.workspaceSize};
    std::lock_guard<std::mutex> lock(g_lt_mutex);
    g_lt_algos.emplace(key, chosen);
  }
  Tensor workspace;
  if (chosen.workspace > 0)
    workspace = empty({static_cast<int64_t>(chosen.workspace)},
                      TensorOptions(DType::UInt8).device(Device(DeviceType::CUDA, device)));
  const float alpha32 = static_cast<float>(alpha), beta32 = static_cast<float>(beta);
  SEEK_CUBLASLT_CHECK(cublasLtMatmul(h, d.op, &alpha32, b.p, d.a, a.p, d.b, &beta32, out.p, d.c,
                                     const_cast<void*>(out.p), d.c, &chosen.algo,
                                     workspace.defined() ? workspace.data_ptr() : nullptr, chosen.workspace, stream));
  return true;
}

}  // namespace seek::cuda

#endif  // !SEEK_CUDA_SIM

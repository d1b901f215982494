// The mixed-precision GEMM's CPU twin (the reference for kernels/linalg_mp_gemm.cu) and the
// argument checks both implementations share. Trick: nothing but the definition: each
// product of two 16-bit floats is exact in f32 (8- or 11-bit significands), the products
// are summed in f32 in k order, and the same mp_epilogue and output conversion as the
// kernel follow, so the two differ only by the f32 summation order.
#include <cstdint>
#include <vector>

#include "backend/mp_gemm.h"
#include "seek/core/convert.h"
#include "seek/core/error.h"
#include "seek/core/half.h"

namespace seek {

namespace {

bool aligned_to(const void* p, size_t bytes) { return reinterpret_cast<uintptr_t>(p) % bytes == 0; }

// A matrix operand: present (unless optional and null), element-aligned, ld large enough.
void check_operand(const MpOperand& o, const char* name, int64_t rows, int64_t cols, DType dt, bool may_be_col_major,
                   bool optional, const char* who) {
  if (optional && o.data == nullptr) return;
  SEEK_CHECK(may_be_col_major || !o.col_major, who, ": ", name, " must be row-major (col_major is for a and b only)");
  if (rows == 0 || cols == 0) return;
  SEEK_CHECK(o.data != nullptr, who, ": ", name, " is null");
  SEEK_CHECK(aligned_to(o.data, dtype_size(dt)), who, ": ", name, " (", o.data, ") is not aligned to its ", dt,
             " elements");
  const int64_t inner = o.col_major ? rows : cols, outer = o.col_major ? cols : rows;
  SEEK_CHECK(o.ld >= inner || (outer == 1 && o.ld >= 0), who, ": ", name, ".ld ", o.ld, " is smaller than its ",
             o.col_major ? "rows " : "columns ", inner, o.col_major ? " (column-major)" : " (row-major)");
}

template <typename In, typename Out>
void mp_gemm_typed(const MpGemmArgs& g) {
  const In* a = static_cast<const In*>(g.a.data);
  const In* b = static_cast<const In*>(g.b.data);
  Out* out = static_cast<Out*>(const_cast<void*>(g.out.data));
  const Out* c = static_cast<const Out*>(g.c.data);
  const Out* bias = static_cast<const Out*>(g.bias);
  const Out* res = static_cast<const Out*>(g.residual.data);
  auto at = [](const MpOperand& o, int64_t z0, int64_t z1, int64_t r, int64_t col) {
    return z0 * o.batch_stride + z1 * o.batch_stride_inner + (o.col_major ? r + col * o.ld : r * o.ld + col);
  };
  std::vector<float> arow(static_cast<size_t>(g.K)), bcol(static_cast<size_t>(g.K));
  for (int64_t z0 = 0; z0 < g.batch; ++z0) {
    for (int64_t z1 = 0; z1 < g.batch_inner; ++z1) {
      for (int64_t m = 0; m < g.M; ++m) {
        for (int64_t k = 0; k < g.K; ++k) arow[static_cast<size_t>(k)] = static_cast<float>(a[at(g.a, z0, z1, m, k)]);
        for (int64_t n = 0; n < g.N; ++n) {
          float acc = 0.0f;
          for (int64_t k = 0; k < g.K; ++k)
            acc += arow[static_cast<size_t>(k)] * static_cast<float>(b[at(g.b, z0, z1, k, n)]);
          const float cv = g.beta != 0.0f ? convert<float>(c[at(g.c, z0, z1, m, n)]) : 0.0f;
          const float bv = bias ? convert<float>(bias[n]) : 0.0f;
          const float rv = res ? convert<float>(res[at(g.residual, z0, z1, m, n)]) : 0.0f;
          out[at(g.out, z0, z1, m, n)] = convert<Out>(mp_epilogue(acc, g.alpha, g.beta, cv, bv, g.act, rv));
        }
      }
    }
  }
}

template <typename In>
void mp_gemm_out(const MpGemmArgs& g) {
  switch (g.out_dtype) {
    case DType::Float32: return mp_gemm_typed<In, float>(g);
    case DType::Float16: return mp_gemm_typed<In, Half>(g);
    default: return mp_gemm_typed<In, BFloat16>(g);
  }
}

}  // namespace

void check_mp_gemm_args(const MpGemmArgs& g, const char* who) {
  SEEK_CHECK_SHAPE(g.M >= 0 && g.N >= 0 && g.K >= 0, who, ": M, N and K must be >= 0, got M=", g.M, " N=", g.N,
                   " K=", g.K);
  SEEK_CHECK_SHAPE(g.batch >= 1 && g.batch_inner >= 1, who, ": batch and batch_inner must be >= 1, got batch=", g.batch,
                   " batch_inner=", g.batch_inner);
  SEEK_CHECK_DTYPE(g.in_dtype == DType::Float16 || g.in_dtype == DType::BFloat16, who,
                   ": in_dtype must be float16 or bfloat16, got ", g.in_dtype);
  SEEK_CHECK_DTYPE(g.out_dtype == DType::Float32 || g.out_dtype == DType::Float16 || g.out_dtype == DType::BFloat16,
                   who, ": out_dtype must be float32, float16 or bfloat16, got ", g.out_dtype);
  SEEK_CHECK_VALUE(static_cast<int>(g.act) >= 0 && static_cast<int>(g.act) <= static_cast<int>(MpActivation::GeluErf),
                   who, ": act ", static_cast<int>(g.act), " is not an MpActivation");
  check_operand(g.a, "a", g.M, g.K, g.in_dtype, true, false, who);
  check_operand(g.b, "b", g.K, g.N, g.in_dtype, true, false, who);
  check_operand(g.out, "out", g.M, g.N, g.out_dtype, false, false, who);
  if (g.beta != 0.0f) {
    SEEK_CHECK(g.c.data != nullptr || g.M * g.N == 0, who, ": c is null but beta is ", g.beta,
               " (c is read when beta != 0)");
    check_operand(g.c, "c", g.M, g.N, g.out_dtype, false, false, who);
  }
  check_operand(g.residual, "residual", g.M, g.N, g.out_dtype, false, true, who);
  SEEK_CHECK(g.bias == nullptr || aligned_to(g.bias, dtype_size(g.out_dtype)), who, ": bias (", g.bias,
             ") is not aligned to its ", g.out_dtype, " elements");
}

namespace cpu {

void mp_gemm(const MpGemmArgs& args) {
  check_mp_gemm_args(args, "cpu::mp_gemm");
  if (args.M == 0 || args.N == 0) return;
  if (args.in_dtype == DType::Float16)
    mp_gemm_out<Half>(args);
  else
    mp_gemm_out<BFloat16>(args);
}

}  // namespace cpu

}  // namespace seek

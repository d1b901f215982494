// Ternary family on the GPU: where, clamp, lerp, addcmul, addcdiv (SEEK_TERNARY_OPS)
// for the dtypes the CPU backend takes. Trick: one grid-stride kernel per (value type,
// first-operand type) pair: <T, bool> runs where (its condition is bool), <T, T> the
// other rows through a runtime switch, each case compiled only where the row runs on T;
// f16/bf16 compute in float through the CPU's functors. Scalar bounds, weights and
// masks arrive as stride-0 views and stay on the vectorised path (elementwise.cuh).
#include <type_traits>

#include "backend/family_checks.h"
#include "backend/cuda/cuda_backend.h"
#include "backend/cuda/cuda_check.h"
#include "common.cuh"
#include "elementwise.cuh"
#include "seek/backend/ternary_op.h"
#include "seek/core/convert.h"
#include "seek/core/dtype.h"

namespace seek::cuda {

namespace {

template <typename T>
constexpr bool floating_v = std::is_floating_point_v<T> || is_reduced_float_v<T>;

// Whether row `op` runs with values of storage type T and a first operand of type C.
template <TernaryOp op, typename T, typename C>
constexpr bool ternary_row_runs() {
  constexpr TernaryKind kind = ternary_op_kind(op);
  if constexpr (kind == TernaryKind::Where) {
    return std::is_same_v<C, bool>;
  } else if constexpr (!std::is_same_v<C, T>) {
    return false;
  } else if constexpr (kind == TernaryKind::Numeric) {
    return !std::is_same_v<T, bool>;
  } else {
    return floating_v<T>;
  }
}

template <TernaryOp op>
__device__ SEEK_INLINE functors::Ternary<op> make_functor(const TernaryParams& p) {
  functors::Ternary<op> f;
  if constexpr (requires { f.value; }) f.value = p.value;
  return f;
}

// ---- kernels ----

// The switch works in the compute types (float for f16/bf16), so each storage type's
// conversions are emitted once, not once per row.
template <typename T, typename C>
__device__ SEEK_INLINE T ternary_element(TernaryOp op, const TernaryParams& p, C a, T b, T c) {
  const acc_t<C> x = convert<acc_t<C>>(a);
  const acc_t<T> y = convert<acc_t<T>>(b), z = convert<acc_t<T>>(c);
  acc_t<T> r{};  // stays 0 only for an op the host rejects for these dtypes
  switch (op) {
#define SEEK_TERNARY_CASE(E, ...)                                                                     \
  case TernaryOp::E:                                                                                  \
    if constexpr (ternary_row_runs<TernaryOp::E, T, C>()) r = make_functor<TernaryOp::E>(p)(x, y, z); \
    break;
    SEEK_TERNARY_OPS(SEEK_TERNARY_CASE)
#undef SEEK_TERNARY_CASE
  }
  return convert<T>(r);
}

template <typename T, typename C>
__global__ void ternary_forward_kernel(TernaryOp op, TernaryParams p, ElementwisePath path, StridedLayout<4> layout,
                                       T* out, const C* a, const T* b, const T* c) {
  const auto f = [op, p](C x, T y, T z) { return ternary_element<T, C>(op, p, x, y, z); };
  elementwise_loop(path, layout, f, out, a, b, c);
}

// ---- launcher ----

template <typename T, typename C>
void launch_ternary(TernaryOp op, const Tensor& a, const Tensor& b, const Tensor& c, const Tensor& out,
                    const TernaryParams& p, cudaStream_t stream) {
  const StridedLayout<4> layout = make_layout<4>({&out, &a, &b, &c}, ternary_op_name(op));
  if (layout.numel == 0) return;
  const ElementwisePath path = choose_path<4>(layout, {out.data_ptr(), a.data_ptr(), b.data_ptr(), c.data_ptr()},
                                              {sizeof(T), sizeof(C), sizeof(T), sizeof(T)});
  const unsigned blocks = elementwise_grid(path, layout.numel, widest_bytes<T, C>());
  launch(ternary_forward_kernel<T, C>, {blocks, kBlockThreads, 0, stream}, op, p, path, layout,
         static_cast<T*>(out.data_ptr()), static_cast<const C*>(a.data_ptr()), static_cast<const T*>(b.data_ptr()),
         static_cast<const T*>(c.data_ptr()));
}

// out = op(a, b, c) on the current device; the dtypes the row's kind takes (as the CPU backend).
void ternary_forward(TernaryOp op, const Tensor& a, const Tensor& b, const Tensor& c, const Tensor& out,
                     const TernaryParams& p, cudaStream_t stream) {
  const char* name = ternary_op_name(op);
  switch (ternary_op_kind(op)) {
    case TernaryKind::Where:
      SEEK_DISPATCH_ALL(out.dtype(), name, [&] { launch_ternary<scalar_t, bool>(op, a, b, c, out, p, stream); });
      break;
    case TernaryKind::Numeric:
      SEEK_DISPATCH_NUMERIC(out.dtype(), name,
                            [&] { launch_ternary<scalar_t, scalar_t>(op, a, b, c, out, p, stream); });
      break;
    case TernaryKind::Floating:
      SEEK_DISPATCH_FLOATING(out.dtype(), name,
                             [&] { launch_ternary<scalar_t, scalar_t>(op, a, b, c, out, p, stream); });
      break;
  }
}

}  // namespace

// ---- CudaBackend::ternary ----

const FamilyRegistrar ternary_family(BackendFamily::Ternary, [](DType) { return true; });

void CudaBackend::ternary(TernaryOp op, const Tensor& a, const Tensor& b, const Tensor& c, const Tensor& out,
                          const TernaryParams& p) {
  const char* name = ternary_op_name(op);
  backend_detail::check_ternary_operands(op, a, b, c, out);
  for (const Tensor* t : {&a, &b, &c}) {
    SEEK_CHECK_T(DeviceError, t->device() == out.device() && out.is_cuda(), name,
                 ": the CUDA backend needs every operand on one GPU, got ", t->device().str(), " and output on ",
                 out.device().str());
  }
  DeviceGuard guard(out.device().index, name);
  ternary_forward(op, a, b, c, out, p, current_stream());
}

}  // namespace seek::cuda

// Binary family on the GPU: every BinaryOp row (SEEK_BINARY_OPS) for the dtypes the
// CPU backend takes; comparisons and logical ops write bool from any input dtype.
// Trick: one grid-stride kernel per (output, input) storage type with the op as a
// runtime switch over the table's rows (each case compiled only where the row runs on
// that type), f16/bf16 computed in float through the CPU's functors. Broadcast inputs
// arrive as stride-0 views: a broadcast scalar stays on the vectorised path (loaded
// once, elementwise.cuh), rows and columns take the strided path.
#include <type_traits>

#include "backend/cuda/cuda_backend.h"
#include "backend/cuda/cuda_check.h"
#include "common.cuh"
#include "elementwise.cuh"
#include "seek/backend/binary_op.h"
#include "seek/core/convert.h"
#include "seek/core/dtype.h"

namespace seek::cuda {

namespace {

template <typename T>
constexpr bool floating_v = std::is_floating_point_v<T> || is_reduced_float_v<T>;

constexpr bool writes_bool(BinaryOp op) { return binary_op_is_comparison(op) || binary_op_is_logical(op); }

// Whether row `op` runs on inputs of storage type In into Out (the CPU backend's dtype rules).
template <BinaryOp op, typename Out, typename In>
constexpr bool binary_row_runs() {
  constexpr BinaryKind kind = binary_op_kind(op);
  if constexpr (writes_bool(op)) {
    return std::is_same_v<Out, bool>;
  } else if constexpr (!std::is_same_v<Out, In>) {
    return false;
  } else if constexpr (kind == BinaryKind::Arith) {
    return !std::is_same_v<In, bool>;
  } else {
    return floating_v<In>;
  }
}

// ---- kernels ----

// The switch works in the compute types (float for f16/bf16), so each storage type's
// conversions are emitted once, not once per row.
template <typename Out, typename In>
__device__ SEEK_INLINE Out binary_element(BinaryOp op, In x, In y) {
  const acc_t<In> u = convert<acc_t<In>>(x), v = convert<acc_t<In>>(y);
  acc_t<Out> r{};  // stays 0 only for an op the host rejects for these dtypes
  switch (op) {
#define SEEK_BINARY_CASE(E, ...)                                                                      \
  case BinaryOp::E:                                                                                   \
    if constexpr (binary_row_runs<BinaryOp::E, Out, In>()) r = functors::Binary<BinaryOp::E>{}(u, v); \
    break;
    SEEK_BINARY_OPS(SEEK_BINARY_CASE)
#undef SEEK_BINARY_CASE
  }
  return convert<Out>(r);
}

template <typename Out, typename In>
__global__ void binary_forward_kernel(BinaryOp op, ElementwisePath path, StridedLayout<3> layout, Out* out, const In* a,
                                      const In* b) {
  const auto f = [op](In x, In y) { return binary_element<Out, In>(op, x, y); };
  elementwise_loop(path, layout, f, out, a, b);
}

// ---- launcher ----

template <typename Out, typename In>
void launch_binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out, cudaStream_t stream) {
  const StridedLayout<3> layout = make_layout<3>({&out, &a, &b}, binary_op_name(op));
  if (layout.numel == 0) return;
  const ElementwisePath path =
      choose_path<3>(layout, {out.data_ptr(), a.data_ptr(), b.data_ptr()}, {sizeof(Out), sizeof(In), sizeof(In)});
  const unsigned blocks = elementwise_grid(path, layout.numel, widest_bytes<Out, In>());
  launch(binary_forward_kernel<Out, In>, {blocks, kBlockThreads, 0, stream}, op, path, layout,
         static_cast<Out*>(out.data_ptr()), static_cast<const In*>(a.data_ptr()), static_cast<const In*>(b.data_ptr()));
}

// out = op(a, b) on the current device; the dtypes the row's kind takes (as the CPU backend).
void binary_forward(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out, cudaStream_t stream) {
  const char* name = binary_op_name(op);
  switch (binary_op_kind(op)) {
    case BinaryKind::Compare:
    case BinaryKind::Logical:
      SEEK_DISPATCH_ALL(a.dtype(), name, [&] { launch_binary<bool, scalar_t>(op, a, b, out, stream); });
      break;
    case BinaryKind::Arith:
      SEEK_DISPATCH_NUMERIC(a.dtype(), name, [&] { launch_binary<scalar_t, scalar_t>(op, a, b, out, stream); });
      break;
    case BinaryKind::Floating:
    case BinaryKind::Helper:
      SEEK_DISPATCH_FLOATING(a.dtype(), name, [&] { launch_binary<scalar_t, scalar_t>(op, a, b, out, stream); });
      break;
  }
}

}  // namespace

// ---- CudaBackend::binary ----

const FamilyRegistrar binary_family(BackendFamily::Binary, [](DType) { return true; });

void CudaBackend::binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) {
  const char* name = binary_op_name(op);
  for (const Tensor* t : {&a, &b}) {
    SEEK_CHECK_SHAPE(t->sizes() == out.sizes(), name, ": operand shape ", shape_str(t->sizes()),
                     " differs from output shape ", shape_str(out.sizes()));
  }
  SEEK_CHECK_DTYPE(a.dtype() == b.dtype() && out.dtype() == (writes_bool(op) ? kBool : a.dtype()), name,
                   ": unexpected operand dtypes ", a.dtype(), ", ", b.dtype(), " for output ", out.dtype());
  SEEK_CHECK_T(DeviceError, a.is_cuda() && b.device() == a.device() && out.device() == a.device(), name,
               ": the CUDA backend needs every operand on one GPU, got ", a.device().str(), ", ", b.device().str(),
               " -> ", out.device().str());
  DeviceGuard guard(out.device().index, name);
  binary_forward(op, a, b, out, current_stream());
}

}  // namespace seek::cuda

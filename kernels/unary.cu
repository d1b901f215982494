// Unary family on the GPU: every UnaryOp row (SEEK_UNARY_OPS) for every dtype the CPU
// backend takes. Trick: one grid-stride kernel per (output, input) storage type, not
// per op: the op is a runtime switch over the table's rows inside the element function
// (uniform across the grid, so it costs a branch, not divergence), and each case is
// compiled only where the row runs on that storage type. f16/bf16 compute in float
// through the shared functors (functors::Unary, as the CPU loop), so a kernel file of
// ~50 ops stays at 20 kernels. The loops (vectorised 16-byte, linear, strided) are
// elementwise.cuh's.
#include <type_traits>

#include "backend/cuda/cuda_backend.h"
#include "backend/cuda/cuda_check.h"
#include "common.cuh"
#include "elementwise.cuh"
#include "seek/backend/unary_op.h"
#include "seek/core/convert.h"
#include "seek/core/dtype.h"

namespace seek::cuda {

namespace {

template <typename T>
constexpr bool floating_v = std::is_floating_point_v<T> || is_reduced_float_v<T>;

// Whether row `op` runs from storage type In into Out (the CPU backend's dtype rules).
template <UnaryOp op, typename Out, typename In>
constexpr bool unary_row_runs() {
  constexpr UnaryKind kind = unary_op_kind(op);
  if constexpr (kind == UnaryKind::ToBool) {
    return std::is_same_v<Out, bool>;
  } else if constexpr (!std::is_same_v<Out, In>) {
    return false;
  } else if constexpr (kind == UnaryKind::AllTypes) {
    return true;
  } else if constexpr (kind == UnaryKind::Integers) {
    return !std::is_same_v<In, bool>;
  } else {
    return floating_v<In>;
  }
}

// ---- kernels ----

// The switch works in the compute types (float for f16/bf16), so each storage type's
// conversions are emitted once, not once per row.
template <typename Out, typename In>
__device__ SEEK_INLINE Out unary_element(UnaryOp op, const UnaryParams& p, In x) {
  const acc_t<In> v = convert<acc_t<In>>(x);
  acc_t<Out> r{};  // stays 0 only for an op the host rejects for these dtypes
  switch (op) {
#define SEEK_UNARY_CASE(E, ...)                                                                        \
  case UnaryOp::E:                                                                                     \
    if constexpr (unary_row_runs<UnaryOp::E, Out, In>()) r = functors::Unary<UnaryOp::E>{p.a, p.b}(v); \
    break;
    SEEK_UNARY_OPS(SEEK_UNARY_CASE)
#undef SEEK_UNARY_CASE
  }
  return convert<Out>(r);
}

template <typename Out, typename In>
__global__ void unary_forward_kernel(UnaryOp op, UnaryParams p, ElementwisePath path, StridedLayout<2> layout, Out* out,
                                     const In* in) {
  const auto f = [op, p](In x) { return unary_element<Out, In>(op, p, x); };
  elementwise_loop(path, layout, f, out, in);
}

// ---- launcher ----

template <typename Out, typename In>
void launch_unary(UnaryOp op, const Tensor& in, const Tensor& out, const UnaryParams& p, cudaStream_t stream) {
  const StridedLayout<2> layout = make_layout<2>({&out, &in}, unary_op_name(op));
  if (layout.numel == 0) return;
  const ElementwisePath path = choose_path<2>(layout, {out.data_ptr(), in.data_ptr()}, {sizeof(Out), sizeof(In)});
  const unsigned blocks = elementwise_grid(path, layout.numel, widest_bytes<Out, In>());
  launch(unary_forward_kernel<Out, In>, {blocks, kBlockThreads, 0, stream}, op, p, path, layout,
         static_cast<Out*>(out.data_ptr()), static_cast<const In*>(in.data_ptr()));
}

// out = op(in) on the current device; the dtypes the row's kind takes (as the CPU backend).
void unary_forward(UnaryOp op, const Tensor& in, const Tensor& out, const UnaryParams& p, cudaStream_t stream) {
  const char* name = unary_op_name(op);
  switch (unary_op_kind(op)) {
    case UnaryKind::ToBool:
      SEEK_DISPATCH_ALL(in.dtype(), name, [&] { launch_unary<bool, scalar_t>(op, in, out, p, stream); });
      break;
    case UnaryKind::AllTypes:
      SEEK_DISPATCH_ALL(in.dtype(), name, [&] { launch_unary<scalar_t, scalar_t>(op, in, out, p, stream); });
      break;
    case UnaryKind::Integers:
      SEEK_DISPATCH_NUMERIC(in.dtype(), name, [&] { launch_unary<scalar_t, scalar_t>(op, in, out, p, stream); });
      break;
    case UnaryKind::Floating:
      SEEK_DISPATCH_FLOATING(in.dtype(), name, [&] { launch_unary<scalar_t, scalar_t>(op, in, out, p, stream); });
      break;
  }
}

}  // namespace

// ---- CudaBackend::unary ----

const FamilyRegistrar unary_family(BackendFamily::Unary, [](DType) { return true; });

void CudaBackend::unary(UnaryOp op, const Tensor& in, const Tensor& out, const UnaryParams& p) {
  const char* name = unary_op_name(op);
  SEEK_CHECK_SHAPE(in.sizes() == out.sizes(), name, ": input shape ", shape_str(in.sizes()),
                   " differs from output shape ", shape_str(out.sizes()));
  SEEK_CHECK_DTYPE(out.dtype() == (unary_op_kind(op) == UnaryKind::ToBool ? kBool : in.dtype()), name,
                   ": unexpected output dtype ", out.dtype(), " for input dtype ", in.dtype());
  SEEK_CHECK_T(DeviceError, in.is_cuda() && out.device() == in.device(), name,
               ": the CUDA backend needs both tensors on one GPU, got ", in.device().str(), " and ",
               out.device().str());
  DeviceGuard guard(out.device().index, name);
  unary_forward(op, in, out, p, current_stream());
}

}  // namespace seek::cuda

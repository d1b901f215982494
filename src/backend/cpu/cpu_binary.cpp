// CPU binary family: dispatch_binary picks the row's functor, run over the
// elementwise loop for the dtypes of the row's kind. Arithmetic runs in the acc type (float for f16/bf16).
#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/cpu_loops.h"

namespace seek::cpu {

namespace {

// The row's kind picks the dtypes it is instantiated for.
template <BinaryOp op>
void run_binary(const Tensor& a, const Tensor& b, const Tensor& out) {
  functors::Binary<op> f;
  constexpr BinaryKind kind = binary_op_kind(op);
  if constexpr (kind == BinaryKind::Compare || kind == BinaryKind::Logical) {
    SEEK_DISPATCH_ALL(a.dtype(), binary_op_name(op),
                      [&] { binary_kernel<bool, scalar_t>(a, b, out, [f](auto x, auto y) { return f(x, y); }); });
  } else if constexpr (kind == BinaryKind::Arith) {
    SEEK_DISPATCH_NUMERIC(a.dtype(), binary_op_name(op), [&] {
      binary_kernel<scalar_t, scalar_t>(a, b, out, [f](auto x, auto y) { return f(x, y); });
    });
  } else {
    SEEK_DISPATCH_FLOATING(a.dtype(), binary_op_name(op), [&] {
      binary_kernel<scalar_t, scalar_t>(a, b, out, [f](auto x, auto y) { return f(x, y); });
    });
  }
}

}  // namespace

void CpuBackend::binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) {
  dispatch_binary(op, [&](auto tag) { run_binary<decltype(tag)::value>(a, b, out); });
}

}  // namespace seek::cpu

// CPU binary family: dispatch the BinaryOp enum to its functor over the
// elementwise loop. Arithmetic runs in the acc type (float for f16/bf16).
#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/cpu_loops.h"

namespace seek::cpu {

namespace {

template <BinaryOp op>
void run_binary(const Tensor& a, const Tensor& b, const Tensor& out) {
  functors::Binary<op> f;
  if constexpr (binary_op_is_comparison(op) || binary_op_is_logical(op)) {
    SEEK_DISPATCH_ALL(a.dtype(), binary_op_name(op), [&] {
      binary_kernel<bool, scalar_t>(a, b, out, [f](auto x, auto y) { return f(x, y); });
    });
  } else if constexpr (binary_op_is_arithmetic(op)) {
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
  switch (op) {
#define SEEK_BINARY_CASE(name) \
  case BinaryOp::name:         \
    return run_binary<BinaryOp::name>(a, b, out);
    SEEK_BINARY_CASE(Add) SEEK_BINARY_CASE(Sub) SEEK_BINARY_CASE(Mul) SEEK_BINARY_CASE(Div)
    SEEK_BINARY_CASE(Pow) SEEK_BINARY_CASE(Maximum) SEEK_BINARY_CASE(Minimum)
    SEEK_BINARY_CASE(Eq) SEEK_BINARY_CASE(Ne) SEEK_BINARY_CASE(Lt) SEEK_BINARY_CASE(Le)
    SEEK_BINARY_CASE(Gt) SEEK_BINARY_CASE(Ge)
    SEEK_BINARY_CASE(LogicalAnd) SEEK_BINARY_CASE(LogicalOr) SEEK_BINARY_CASE(LogicalXor)
    SEEK_BINARY_CASE(ReluBackward) SEEK_BINARY_CASE(SigmoidBackward) SEEK_BINARY_CASE(TanhBackward)
    SEEK_BINARY_CASE(GeluBackward) SEEK_BINARY_CASE(GeluTanhBackward) SEEK_BINARY_CASE(SiluBackward)
    SEEK_BINARY_CASE(HardswishBackward) SEEK_BINARY_CASE(HardsigmoidBackward)
#undef SEEK_BINARY_CASE
  }
  throw Error(str("binary: unknown op ", static_cast<int>(op)));
}

}  // namespace seek::cpu

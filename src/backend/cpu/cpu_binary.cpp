// CPU binary family: dispatch_binary picks the row's functor, run over the
// elementwise loop for the dtypes of the row's kind. Arithmetic runs in the acc type (float for f16/bf16).
// SiLU's backward calls exp per element; its contiguous float32 runs take Eigen's vectorised logistic
// instead of the scalar functor (libm's exp cannot be vectorised by the compiler).
#include "backend/cpu/cpu_eigen.h"
#include <algorithm>

#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/cpu_loops.h"

namespace seek::cpu {

namespace {

// silu'(x) * g = g * s * (1 + x * (1 - s)), s = sigmoid(x), for contiguous float runs: s in blocks on the stack.
void silu_backward_eigen(const float* g, const float* x, float* out, int64_t n) {
  using Arr = Eigen::Array<float, Eigen::Dynamic, 1>;
  constexpr int64_t kBlock = 512;
  alignas(64) float buf[kBlock];
  for (int64_t b = 0; b < n; b += kBlock) {
    const int64_t m = std::min(kBlock, n - b);
    Eigen::Map<const Arr> gv(g + b, m), xv(x + b, m);
    Eigen::Map<Arr> s(buf, m);
    s = xv.logistic();
    Eigen::Map<Arr>(out + b, m) = gv * s * (1.0f + xv * (1.0f - s));
  }
}

void silu_backward_float(const Tensor& g, const Tensor& x, const Tensor& out) {
  const functors::Binary<BinaryOp::SiluBackward> f;
  for_each<3>({&out, &g, &x}, [f](char** p, const int64_t* s, int64_t n) {
    constexpr int64_t sz = sizeof(float);
    if (s[0] == sz && s[1] == sz && s[2] == sz) {
      silu_backward_eigen(reinterpret_cast<const float*>(p[1]), reinterpret_cast<const float*>(p[2]),
                          reinterpret_cast<float*>(p[0]), n);
      return;
    }
    for (int64_t i = 0; i < n; ++i)
      *reinterpret_cast<float*>(p[0] + i * s[0]) =
          f(*reinterpret_cast<const float*>(p[1] + i * s[1]), *reinterpret_cast<const float*>(p[2] + i * s[2]));
  });
}

// The row's kind picks the dtypes it is instantiated for.
template <BinaryOp op>
void run_binary(const Tensor& a, const Tensor& b, const Tensor& out) {
  functors::Binary<op> f;
  if constexpr (op == BinaryOp::SiluBackward) {
    if (a.dtype() == kFloat32 && b.dtype() == kFloat32 && out.dtype() == kFloat32)
      return silu_backward_float(a, b, out);
  }
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

// CPU binary family: dispatch_binary picks the row's functor, run over the
// elementwise loop for the dtypes of the row's kind. Arithmetic runs in the acc type (float for f16/bf16).
// The activation backwards (SiLU, GELU erf and tanh forms) call exp / erf / tanh per element; their
// contiguous float32 runs take Eigen's vectorised array functions instead of the scalar functor (libm's
// calls cannot be vectorised by the compiler).
#include "backend/cpu/cpu_eigen.h"
#include <algorithm>
#include <unsupported/Eigen/SpecialFunctions>

#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/cpu_loops.h"

namespace seek::cpu {

namespace {

template <BinaryOp op>
constexpr bool has_eigen_backward() {
  return op == BinaryOp::SiluBackward || op == BinaryOp::GeluBackward || op == BinaryOp::GeluTanhBackward;
}

// out = g * act'(x) for contiguous float runs, in blocks with the transcendental part on the stack:
//   silu:      s = sigmoid(x),                         s (1 + x (1 - s))
//   gelu:      e = erf(x / sqrt 2),                    (1 + e) / 2 + x exp(-x^2 / 2) / sqrt(2 pi)
//   gelu_tanh: t = tanh(b (x + k x^3)), b = sqrt(2/pi), (1 + t) / 2 + x (1 - t^2) b (1 + 3 k x^2) / 2,
//              computed through s = sigmoid(2 b (x + k x^3)) (below)
template <BinaryOp op>
void backward_eigen(const float* g, const float* x, float* out, int64_t n) {
  using Arr = Eigen::Array<float, Eigen::Dynamic, 1>;
  constexpr int64_t kBlock = 512;
  alignas(64) float buf[kBlock];
  for (int64_t b = 0; b < n; b += kBlock) {
    const int64_t m = std::min(kBlock, n - b);
    Eigen::Map<const Arr> gv(g + b, m), xv(x + b, m);
    Eigen::Map<Arr> t(buf, m), o(out + b, m);
    if constexpr (op == BinaryOp::SiluBackward) {
      t = 1.0f / (1.0f + (-xv).exp());  // sigmoid from exp: Eigen's logistic() is accurate to ~1e-7 absolute only
      o = gv * t * (1.0f + xv * (1.0f - t));
    } else if constexpr (op == BinaryOp::GeluBackward) {
      t = (xv * 0.70710678118654752440f).erf();
      o = gv * (0.5f * (1.0f + t) + xv * 0.39894228040143267794f * (-0.5f * xv.square()).exp());
    } else {
      // With s = sigmoid(2u) and its complement c = sigmoid(-2u): (1 + tanh u) / 2 = s and 1 - tanh^2 u = 4 s c,
      // which keep their precision where tanh u rounds to +-1 in float (1 - t^2 would cancel to 0).
      constexpr float kBeta = 0.79788456080286535588f, kKappa = 0.044715f;
      alignas(64) float cbuf[kBlock];
      Eigen::Map<Arr> c(cbuf, m);
      // Both from exp, relatively accurate in both tails.
      c = 2.0f * kBeta * (xv + kKappa * xv.cube());
      t = 1.0f / (1.0f + (-c).exp());
      c = 1.0f / (1.0f + c.exp());
      o = gv * (t + 2.0f * xv * t * c * kBeta * (1.0f + 3.0f * kKappa * xv.square()));
    }
  }
}

template <BinaryOp op>
void backward_float(const Tensor& g, const Tensor& x, const Tensor& out) {
  const functors::Binary<op> f;
  for_each<3>({&out, &g, &x}, [f](char** p, const int64_t* s, int64_t n) {
    constexpr int64_t sz = sizeof(float);
    if (s[0] == sz && s[1] == sz && s[2] == sz) {
      backward_eigen<op>(reinterpret_cast<const float*>(p[1]), reinterpret_cast<const float*>(p[2]),
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
  if constexpr (has_eigen_backward<op>()) {
    if (a.dtype() == kFloat32 && b.dtype() == kFloat32 && out.dtype() == kFloat32) return backward_float<op>(a, b, out);
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

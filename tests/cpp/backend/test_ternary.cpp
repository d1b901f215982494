// The ternary family on every device: where, clamp, lerp, addcmul and addcdiv
// through Backend::ternary with mixed layouts and broadcast operands into
// sentinel-guarded outputs, against the CPU backend in f64; and their
// gradients through autograd against f64 on the CPU.
#include "backend/backend_harness.h"
#include "backend/op_lists.h"

namespace seek::backend_test {
namespace {

class TernaryTest : public DeviceTest {};

// a, b, c for one op: a bool condition for where, bounds around the values for clamp, weights
// in (-0.5, 1.5) for lerp (both of its formulas), a divisor away from zero for addcdiv.
std::array<Tensor, 3> values_for(TernaryOp op, const Shape& sa, const Shape& sb, const Shape& sc, uint64_t seed) {
  switch (op) {
    case TernaryOp::Where:
      return {random_ints_f64(sa, 0, 1, seed), random_f64(sb, -3, 3, seed + 1), random_f64(sc, -3, 3, seed + 2)};
    case TernaryOp::Clamp:
      return {random_f64(sa, -3, 3, seed), random_f64(sb, -2, 0, seed + 1), random_f64(sc, 0, 2, seed + 2)};
    case TernaryOp::Lerp:
      return {random_f64(sa, -3, 3, seed), random_f64(sb, -3, 3, seed + 1), random_f64(sc, -0.5, 1.5, seed + 2)};
    default: return {random_f64(sa, -3, 3, seed), random_f64(sb, -3, 3, seed + 1), random_f64(sc, 0.5, 3, seed + 2)};
  }
}

SEEK_DEVICE_TEST(TernaryTest, EveryOpEveryLayout) {
  SEEK_REQUIRE_FAMILY(BackendFamily::Ternary);
  const TernaryParams params{0.75};
  const Shape shape{7, 9};
  struct Case {
    const char* name;
    Shape sa, sb, sc;
    Layout la, lb, lc;
    bool out_contiguous;
  };
  const Case cases[] = {
      {"contiguous", shape, shape, shape, Layout::Contiguous, Layout::Contiguous, Layout::Contiguous, true},
      {"transposed, stepped, contiguous", shape, shape, shape, Layout::Transposed, Layout::Stepped, Layout::Contiguous,
       false},
      {"row, column, scalar", {1, 9}, {7, 1}, {1, 1}, Layout::Stepped, Layout::Contiguous, Layout::Contiguous, true},
  };
  uint64_t seed = 31;
  for (TernaryOp op : kTernaryOps) {
    for (const Case& c : cases) {
      const std::string what = str(ternary_op_name(op), " ", c.name);
      seed += 3;
      auto [va, vb, vc] = values_for(op, c.sa, c.sb, c.sc, seed);
      const DType a_dt = op == TernaryOp::Where ? kBool : dtype();
      const Tensor a = place(va, a_dt, device(), c.la), b = place(vb, dtype(), device(), c.lb),
                   cc = place(vc, dtype(), device(), c.lc);
      GuardedOutput g = guarded_empty(shape, dtype(), device(), c.out_contiguous);
      dev().ternary(op, a.expand(shape), b.expand(shape), cc.expand(shape), g.out, params);
      Tensor want = empty(shape, TensorOptions(kFloat64));
      const Tensor a_ref = op == TernaryOp::Where ? a.cpu().contiguous() : to_f64(a);
      backend(kCPU).ternary(op, a_ref.expand(shape), to_f64(b).expand(shape), to_f64(cc).expand(shape), want, params);
      expect_close(g.out, want, tolerance(dtype()), what);
      expect_sentinels_intact(g, what);
    }
  }
}

// Gradients through the public ops (tensor weights and bounds, so every operand gets one).
SEEK_DEVICE_TEST(TernaryTest, Gradients) {
  SEEK_REQUIRE_FAMILY(BackendFamily::Ternary);
  SEEK_REQUIRE_FAMILY(BackendFamily::Reduce);  // a broadcast operand's gradient is a sum
  const Shape shape{5, 6};
  uint64_t seed = 301;
  for (TernaryOp op : kTernaryOps) {
    if (op == TernaryOp::Clamp) continue;  // clamp's public form takes scalar bounds: below
    seed += 3;
    auto [va, vb, vc] = values_for(op, shape, shape, {1, 6}, seed);
    const Tensor gy = place(random_f64(shape, -1, 1, seed + 9), dtype(), device());
    const auto run = [&](const Tensor& a, const Tensor& b, const Tensor& c) {
      switch (op) {
        case TernaryOp::Where: return where(a, b, c);
        case TernaryOp::Lerp: return lerp(a, b, c);
        case TernaryOp::Addcmul: return addcmul(a, b, c, 0.75);
        default: return addcdiv(a, b, c, 0.75);
      }
    };
    const bool where_op = op == TernaryOp::Where;
    const Tensor a = where_op ? place(va, kBool, device()) : leaf(va, dtype(), device(), Layout::Transposed);
    const Tensor b = leaf(vb, dtype(), device(), Layout::Stepped), c = leaf(vc, dtype(), device());
    const std::vector<Tensor> got = grads_of(run(a, b, c), gy, where_op ? std::vector{b, c} : std::vector{a, b, c});
    const Tensor a64 = where_op ? a.cpu() : to_f64(a).requires_grad_();
    const Tensor b64 = to_f64(b).requires_grad_(), c64 = to_f64(c).requires_grad_();
    const std::vector<Tensor> want =
        grads_of(run(a64, b64, c64), to_f64(gy), where_op ? std::vector{b64, c64} : std::vector{a64, b64, c64});
    for (size_t i = 0; i < got.size(); ++i)
      expect_close(got[i], want[i], loose_tolerance(dtype()), str("grad of ", ternary_op_name(op), " operand ", i),
                   1.0);
  }
  const Tensor x = leaf(random_f64(shape, -3, 3, 7), dtype(), device(), Layout::Transposed);
  const Tensor gy = place(random_f64(shape, -1, 1, 8), dtype(), device());
  const Tensor x64 = to_f64(x).requires_grad_();
  expect_close(grads_of(clamp(x, -1.0, 1.5), gy, {x})[0], grads_of(clamp(x64, -1.0, 1.5), to_f64(gy), {x64})[0],
               loose_tolerance(dtype()), "grad of clamp");
}

SEEK_INSTANTIATE_ON_DEVICES(TernaryTest, kFloat64, kFloat32, kFloat16, kBFloat16);

}  // namespace
}  // namespace seek::backend_test

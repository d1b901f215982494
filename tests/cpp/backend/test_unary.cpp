// The unary family on every device: each UnaryOp through Backend::unary on
// contiguous, transposed, stepped and broadcast inputs into sentinel-guarded
// outputs, against the CPU backend in f64 on the same values; and each op's
// gradient through autograd on the device against f64 on the CPU.
#include "backend/backend_harness.h"
#include "backend/op_lists.h"

namespace seek::backend_test {
namespace {

class UnaryTest : public DeviceTest {};

// Ops whose domain is the positive reals.
bool positive_domain(UnaryOp op) {
  return op == UnaryOp::Log || op == UnaryOp::Log1p || op == UnaryOp::Sqrt || op == UnaryOp::Rsqrt ||
         op == UnaryOp::Reciprocal || op == UnaryOp::Log2 || op == UnaryOp::Log10;
}
bool bool_output(UnaryOp op) { return unary_op_kind(op) == UnaryKind::ToBool; }

UnaryParams params_of(UnaryOp op) {
  // softplus with beta 1.5 and threshold 3, so that both branches run on [-3, 3).
  if (op == UnaryOp::Softplus) return UnaryParams{1.5, 3.0};
  // issue 12: nn activations, with arguments that make both branches run on [-3, 3)
  if (op == UnaryOp::Elu) return UnaryParams{0.7, 1.2};  // alpha, scale
  if (op == UnaryOp::Celu) return UnaryParams{1.5, 0.0};
  if (op == UnaryOp::Hardtanh) return UnaryParams{-0.5, 1.5};
  if (op == UnaryOp::Threshold) return UnaryParams{0.25, -2.0};  // exact in every float dtype
  if (op == UnaryOp::Softshrink || op == UnaryOp::Hardshrink) return UnaryParams{0.5, 0.0};
  return UnaryParams{};
}

Tensor values_for(UnaryOp op, DType dt, const Shape& shape, uint64_t seed) {
  if (!is_floating(dt)) return random_ints_f64(shape, -5, 5, seed);
  if (op == UnaryOp::Logit) return random_f64(shape, 0.05, 0.95, seed, /*away_from_zero=*/false);  // (0, 1)
  if (op == UnaryOp::Asin || op == UnaryOp::Acos || op == UnaryOp::Atanh) return random_f64(shape, -0.9, 0.9, seed);
  if (op == UnaryOp::Acosh) return random_f64(shape, 1.1, 4.0, seed);
  if (op == UnaryOp::Tan) return random_f64(shape, -1.3, 1.3, seed);  // away from the poles at +-pi/2
  return positive_domain(op) ? random_f64(shape, 0.2, 3.0, seed) : random_f64(shape, -3.0, 3.0, seed);
}

bool runs_on(UnaryOp op, DType dt) { return is_floating(dt) || unary_op_keeps_integers(op); }

SEEK_DEVICE_TEST(UnaryTest, EveryOpEveryLayout) {
  SEEK_REQUIRE_FAMILY(BackendFamily::Unary);
  // Odd sizes: SIMD main loops and tails, and (the last) enough elements for the CPU's parallel loops.
  const Shape shapes[] = {{5, 7}, {3, 37, 33}, {3, 129, 257}};
  uint64_t seed = 11;
  for (UnaryOp op : kUnaryOps) {
    if (!runs_on(op, dtype())) continue;
    const DType out_dt = bool_output(op) ? kBool : dtype();
    for (const Shape& shape : shapes) {
      for (Layout layout : kLayouts) {
        const std::string what = str(unary_op_name(op), " ", layout_name(layout), " ", str_of(shape));
        const Tensor in = place(values_for(op, dtype(), shape, ++seed), dtype(), device(), layout);
        GuardedOutput g = guarded_empty(shape, out_dt, device(), layout == Layout::Contiguous);
        dev().unary(op, in, g.out, params_of(op));
        Tensor want = empty(shape, TensorOptions(bool_output(op) ? kBool : kFloat64));
        backend(kCPU).unary(op, to_f64(in), want, params_of(op));
        expect_close(g.out, want, tolerance(dtype()), what);
        expect_sentinels_intact(g, what);
      }
    }
  }
}

// A row broadcast to every row (stride 0) and a scalar broadcast to the whole output.
SEEK_DEVICE_TEST(UnaryTest, BroadcastInputs) {
  SEEK_REQUIRE_FAMILY(BackendFamily::Unary);
  for (UnaryOp op : kUnaryOps) {
    if (!runs_on(op, dtype())) continue;
    const DType out_dt = bool_output(op) ? kBool : dtype();
    const Tensor row = place(values_for(op, dtype(), {1, 9}, 3), dtype(), device());
    const Tensor one = place(values_for(op, dtype(), {1, 1}, 4), dtype(), device());
    for (const Tensor& small : {row, one}) {
      const Tensor in = small.expand({6, 9});
      GuardedOutput g = guarded_empty({6, 9}, out_dt, device());
      dev().unary(op, in, g.out, params_of(op));
      Tensor want = empty({6, 9}, TensorOptions(out_dt == kBool ? kBool : kFloat64));
      backend(kCPU).unary(op, to_f64(small).expand({6, 9}), want, params_of(op));
      const std::string what = str(unary_op_name(op), " broadcast from ", str_of(small.sizes()));
      expect_close(g.out, want, tolerance(dtype()), what);
      expect_sentinels_intact(g, what);
    }
  }
}

SEEK_DEVICE_TEST(UnaryTest, Gradients) {
  SEEK_REQUIRE_FAMILY(BackendFamily::Unary);
  if (!is_floating(dtype())) GTEST_SKIP() << "gradients need a floating dtype";
  const Shape shape{4, 7};
  uint64_t seed = 101;
  for (UnaryOp op : kUnaryOps) {
    if (bool_output(op)) continue;  // bool output, no gradient
    for (Layout layout : {Layout::Contiguous, Layout::Transposed}) {
      const std::string what = str("grad of ", unary_op_name(op), " ", layout_name(layout));
      const Tensor x = leaf(values_for(op, dtype(), shape, ++seed), dtype(), device(), layout);
      const Tensor gy = place(random_f64(shape, -1.0, 1.0, ++seed), dtype(), device());
      const Tensor gx = grads_of(unary_op(op, x, params_of(op)), gy, {x})[0];
      const Tensor x64 = to_f64(x).requires_grad_();
      const Tensor want = grads_of(unary_op(op, x64, params_of(op)), to_f64(gy), {x64})[0];
      ASSERT_TRUE(gx.defined()) << what;
      EXPECT_EQ(gx.device(), device()) << what;
      EXPECT_EQ(gx.dtype(), dtype()) << what;
      expect_close(gx, want, loose_tolerance(dtype()), what);
    }
  }
}

SEEK_INSTANTIATE_ON_DEVICES(UnaryTest, kFloat64, kFloat32, kFloat16, kBFloat16, kInt64);

}  // namespace
}  // namespace seek::backend_test

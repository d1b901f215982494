// The binary family on every device: each BinaryOp through Backend::binary
// with operands in every pairing of layouts (contiguous, transposed, stepped,
// broadcast rows, columns and scalars) into sentinel-guarded outputs, against
// the CPU backend in f64 on the same values; and the gradients of the
// arithmetic ops (with broadcasting) through autograd against f64 on the CPU.
#include "backend/backend_harness.h"
#include "backend/op_lists.h"

namespace seek::backend_test {
namespace {

class BinaryTest : public DeviceTest {};

bool bool_output(BinaryOp op) { return binary_op_is_comparison(op) || binary_op_is_logical(op); }
bool runs_on(BinaryOp op, DType dt) { return is_floating(dt) || binary_op_is_arithmetic(op) || bool_output(op); }

// Operand values that exercise the op without leaving its domain: ties for comparisons, zeros
// for logical ops, a positive base for pow, a divisor away from zero.
Tensor values_for(BinaryOp op, bool second, DType dt, const Shape& shape, uint64_t seed) {
  if (binary_op_is_comparison(op)) return random_ints_f64(shape, -2, 2, seed);
  if (binary_op_is_logical(op)) return random_ints_f64(shape, -1, 1, seed);
  if (!is_floating(dt)) {
    if (op == BinaryOp::Pow) return second ? random_ints_f64(shape, 0, 3, seed) : random_ints_f64(shape, -3, 3, seed);
    return second ? random_ints_f64(shape, 1, 5, seed) : random_ints_f64(shape, -9, 9, seed);
  }
  if (op == BinaryOp::Pow) return second ? random_f64(shape, -2.0, 2.0, seed) : random_f64(shape, 0.2, 3.0, seed);
  if (op == BinaryOp::Xlogy && second) return random_f64(shape, 0.2, 3.0, seed);          // log's domain
  if (!binary_op_is_arithmetic(op) && second) return random_f64(shape, -4.0, 4.0, seed);  // backward helpers' input
  return random_f64(shape, -3.0, 3.0, seed);
}

struct Pairing {
  const char* name;
  Layout a_layout, b_layout;
  Shape a_shape, b_shape;  // before broadcasting to the output
  bool out_contiguous;
};

std::vector<Pairing> pairings(int64_t m, int64_t n) {
  return {
      {"contiguous", Layout::Contiguous, Layout::Contiguous, {m, n}, {m, n}, true},
      {"transposed x stepped", Layout::Transposed, Layout::Stepped, {m, n}, {m, n}, false},
      {"stepped x row", Layout::Stepped, Layout::Contiguous, {m, n}, {1, n}, true},
      {"column x transposed", Layout::Contiguous, Layout::Transposed, {m, 1}, {m, n}, false},
      {"scalar x contiguous", Layout::Contiguous, Layout::Contiguous, {1, 1}, {m, n}, true},
  };
}

SEEK_DEVICE_TEST(BinaryTest, EveryOpEveryLayout) {
  SEEK_REQUIRE_FAMILY(BackendFamily::Binary);
  uint64_t seed = 21;
  for (BinaryOp op : kBinaryOps) {
    if (!runs_on(op, dtype())) continue;
    const DType out_dt = bool_output(op) ? kBool : dtype();
    // The last shape has enough elements for the CPU's parallel loops.
    for (auto [m, n] : {std::pair<int64_t, int64_t>{5, 7}, {37, 33}, {257, 263}}) {
      const Shape shape{m, n};
      for (const Pairing& p : pairings(m, n)) {
        const std::string what = str(binary_op_name(op), " ", p.name, " ", str_of(shape));
        const Tensor a = place(values_for(op, false, dtype(), p.a_shape, ++seed), dtype(), device(), p.a_layout);
        const Tensor b = place(values_for(op, true, dtype(), p.b_shape, ++seed), dtype(), device(), p.b_layout);
        GuardedOutput g = guarded_empty(shape, out_dt, device(), p.out_contiguous);
        dev().binary(op, a.expand(shape), b.expand(shape), g.out);
        // Integer ops (division truncates) are checked in their own dtype, floating ones in f64.
        const auto ref = [&](const Tensor& t) { return is_floating(dtype()) ? to_f64(t) : t.cpu().contiguous(); };
        const DType ref_dt = is_floating(dtype()) ? kFloat64 : dtype();
        Tensor want = empty(shape, TensorOptions(out_dt == kBool ? kBool : ref_dt));
        backend(kCPU).binary(op, ref(a).expand(shape), ref(b).expand(shape), want);
        expect_close(g.out, want, tolerance(dtype()), what);
        expect_sentinels_intact(g, what);
      }
    }
  }
}

// Gradients of the arithmetic ops, with b broadcast along rows so that its gradient is a sum.
SEEK_DEVICE_TEST(BinaryTest, Gradients) {
  SEEK_REQUIRE_FAMILY(BackendFamily::Binary);
  SEEK_REQUIRE_FAMILY(BackendFamily::Reduce);  // a broadcast operand's gradient is a sum
  if (!is_floating(dtype())) GTEST_SKIP() << "gradients need a floating dtype";
  uint64_t seed = 201;
  for (BinaryOp op : kBinaryOps) {
    if (!binary_op_is_arithmetic(op)) continue;
    const std::string what = str("grad of ", binary_op_name(op));
    const Tensor a = leaf(values_for(op, false, dtype(), {6, 5}, ++seed), dtype(), device(), Layout::Transposed);
    const Tensor b = leaf(values_for(op, true, dtype(), {1, 5}, ++seed), dtype(), device());
    const Tensor gy = place(random_f64({6, 5}, -1.0, 1.0, ++seed), dtype(), device());
    const std::vector<Tensor> got = grads_of(binary_op(op, a, b), gy, {a, b});
    const Tensor a64 = to_f64(a).requires_grad_(), b64 = to_f64(b).requires_grad_();
    const std::vector<Tensor> want = grads_of(binary_op(op, a64, b64), to_f64(gy), {a64, b64});
    // b's gradient sums 6 terms, each rounded in the device dtype.
    expect_close(got[0], want[0], loose_tolerance(dtype()), what + " (a)");
    expect_close(got[1], want[1], loose_tolerance(dtype()), what + " (b)", 1.0);
  }
}

SEEK_INSTANTIATE_ON_DEVICES(BinaryTest, kFloat64, kFloat32, kFloat16, kBFloat16, kInt64, kInt32);

}  // namespace
}  // namespace seek::backend_test

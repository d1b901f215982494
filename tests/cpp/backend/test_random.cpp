// The random family on every device: each RandomOp draws the same Philox
// stream as the CPU backend for the same seed and offset (element i from
// counter offset + i, whatever the output's strides), a draw at offset k is the
// tail of a draw at offset 0, nothing is written outside the output, and the
// values have the distribution asked for.
#include <cmath>

#include "backend/backend_harness.h"
#include "backend/op_lists.h"

namespace seek::backend_test {
namespace {

class RandomTest : public DeviceTest {};

const char* random_op_name(RandomOp op) {
  switch (op) {
    case RandomOp::Uniform: return "uniform";
    case RandomOp::Normal: return "normal";
    case RandomOp::Bernoulli: return "bernoulli";
    case RandomOp::RandInt: return "randint";
  }
  return "?";
}

bool runs_on(RandomOp op, DType dt) { return is_floating(dt) || op == RandomOp::RandInt || op == RandomOp::Bernoulli; }

// (a, b) of each op: uniform [-2, 3), normal mean 1 std 2, bernoulli p 0.3, randint [-4, 7).
std::pair<double, double> args_of(RandomOp op) {
  switch (op) {
    case RandomOp::Uniform: return {-2.0, 3.0};
    case RandomOp::Normal: return {1.0, 2.0};
    case RandomOp::Bernoulli: return {0.3, 0.0};
    case RandomOp::RandInt: return {-4.0, 7.0};
  }
  return {0.0, 0.0};
}

SEEK_DEVICE_TEST(RandomTest, SameStreamAsTheCpuWhateverTheLayout) {
  SEEK_REQUIRE_FAMILY(BackendFamily::Random);
  const Shape shape{7, 13};
  for (RandomOp op : kRandomOps) {
    if (!runs_on(op, dtype())) continue;
    const auto [a, b] = args_of(op);
    for (bool contiguous : {true, false}) {
      const std::string what = str(random_op_name(op), contiguous ? " contiguous" : " stepped");
      GuardedOutput g = guarded_empty(shape, dtype(), device(), contiguous);
      dev().random(op, g.out, 1234, 56, a, b);
      Tensor want = empty(shape, TensorOptions(dtype()));
      backend(kCPU).random(op, want, 1234, 56, a, b);
      expect_close(g.out, want, tolerance(dtype()), what);
      expect_sentinels_intact(g, what);

      // Offset k continues the stream: the last 91 - 20 elements of a draw at offset 56 are a draw at 76.
      GuardedOutput tail = guarded_empty({71}, dtype(), device(), contiguous);
      dev().random(op, tail.out, 1234, 76, a, b);
      expect_close(tail.out, g.out.reshape({91}).narrow(0, 20, 71), tolerance(dtype()), what + " at an offset");
      expect_sentinels_intact(tail, what + " at an offset");
    }
  }
}

SEEK_DEVICE_TEST(RandomTest, Distributions) {
  SEEK_REQUIRE_FAMILY(BackendFamily::Random);
  const int64_t n = 20000;
  for (RandomOp op : kRandomOps) {
    if (!runs_on(op, dtype())) continue;
    const auto [a, b] = args_of(op);
    Tensor out = empty({n}, TensorOptions(dtype()).device(device()));
    dev().random(op, out, 99, 0, a, b);
    const std::vector<double> v = to_vector<double>(to_f64(out));
    double sum = 0, sq = 0, lo = v[0], hi = v[0];
    for (double x : v) {
      sum += x;
      sq += x * x;
      lo = std::min(lo, x);
      hi = std::max(hi, x);
    }
    const double mean = sum / n, sd = std::sqrt(sq / n - mean * mean);
    double want_mean = 0, want_sd = 0;
    switch (op) {
      case RandomOp::Uniform:
        want_mean = (a + b) / 2, want_sd = (b - a) / std::sqrt(12.0);
        EXPECT_GE(lo, a);
        EXPECT_LE(hi, b);  // b itself only through rounding to a narrow dtype
        break;
      case RandomOp::Normal: want_mean = a, want_sd = b; break;
      case RandomOp::Bernoulli:
        want_mean = a, want_sd = std::sqrt(a * (1 - a));
        for (double x : v) ASSERT_TRUE(x == 0.0 || x == 1.0) << x;
        break;
      case RandomOp::RandInt:
        want_mean = (a + b - 1) / 2, want_sd = std::sqrt(((b - a) * (b - a) - 1) / 12.0);
        EXPECT_EQ(lo, a);
        EXPECT_EQ(hi, b - 1);
        for (double x : v) ASSERT_EQ(x, std::floor(x));
        break;
    }
    // Six standard errors of the mean; the spread within 5%.
    EXPECT_NEAR(mean, want_mean, 6 * want_sd / std::sqrt(static_cast<double>(n))) << random_op_name(op);
    EXPECT_NEAR(sd, want_sd, 0.05 * want_sd) << random_op_name(op);
  }
}

SEEK_INSTANTIATE_ON_DEVICES(RandomTest, kFloat64, kFloat32, kFloat16, kBFloat16, kInt64);

}  // namespace
}  // namespace seek::backend_test

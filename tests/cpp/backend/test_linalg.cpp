// The gemm family on every device: out = alpha * a @ b + beta * out for odd
// shapes, batches, transposed, stepped and batch-broadcast operands, beta 0
// (out is not read, even when it holds NaN) and beta != 0, into a sentinel-
// guarded output, against the CPU backend in f64; and matmul's gradients
// through autograd against f64 on the CPU.
#include <cmath>

#include "backend/backend_harness.h"

namespace seek::backend_test {
namespace {

class LinalgTest : public DeviceTest {};

SEEK_DEVICE_TEST(LinalgTest, Gemm) {
  SEEK_REQUIRE_FAMILY(BackendFamily::Gemm);
  struct Case {
    int64_t B, M, K, N;
    Layout la, lb;
    bool broadcast_b;  // b's batch stride is 0
  };
  const Case cases[] = {
      {1, 5, 7, 3, Layout::Contiguous, Layout::Contiguous, false},
      {3, 17, 33, 9, Layout::Transposed, Layout::Contiguous, false},
      {2, 9, 13, 11, Layout::Stepped, Layout::Transposed, false},
      {3, 6, 5, 7, Layout::Contiguous, Layout::Stepped, true},
      {1, 65, 70, 66, Layout::Transposed, Layout::Transposed, false},
  };
  uint64_t seed = 81;
  for (const Case& c : cases) {
    for (auto [alpha, beta] : {std::pair{1.0, 0.0}, {1.5, 0.5}}) {
      const std::string what =
          str("gemm [", c.B, ",", c.M, ",", c.K, "] @ [", c.K, ",", c.N, "] a ", layout_name(c.la), " b ",
              layout_name(c.lb), c.broadcast_b ? " (broadcast)" : "", " alpha ", alpha, " beta ", beta);
      const Tensor a = place(random_f64({c.B, c.M, c.K}, -1, 1, ++seed), dtype(), device(), c.la);
      Tensor b = place(random_f64({c.broadcast_b ? 1 : c.B, c.K, c.N}, -1, 1, ++seed), dtype(), device(), c.lb);
      if (c.broadcast_b) b = b.expand({c.B, c.K, c.N});
      // beta == 0 must ignore out entirely: NaN there would show.
      const Tensor init = beta == 0.0 ? full({c.B, c.M, c.N}, std::nan(""), TensorOptions(kFloat64))
                                      : random_f64({c.B, c.M, c.N}, -1, 1, ++seed);
      GuardedOutput g = guarded_like(init, dtype(), device());
      Tensor want = to_f64(g.out);
      dev().gemm(a, b, g.out, alpha, beta);
      if (beta == 0.0) want.zero_();
      backend(kCPU).gemm(to_f64(a), to_f64(b), want, alpha, beta);
      expect_close(g.out, want, tolerance(dtype()), what, std::sqrt(static_cast<double>(c.K)));
      expect_sentinels_intact(g, what);
    }
  }
}

SEEK_DEVICE_TEST(LinalgTest, MatmulGradients) {
  SEEK_REQUIRE_FAMILY(BackendFamily::Gemm);
  struct Case {
    Shape a, b;
  };
  const Case cases[] = {{{5, 7}, {7, 4}}, {{2, 5, 7}, {7, 3}}, {{3, 4, 6}, {3, 6, 5}}};
  uint64_t seed = 601;
  for (const Case& c : cases) {
    const Tensor a = leaf(random_f64(c.a, -1, 1, ++seed), dtype(), device(), Layout::Transposed);
    const Tensor b = leaf(random_f64(c.b, -1, 1, ++seed), dtype(), device(), Layout::Stepped);
    const Tensor y = matmul(a, b);
    const Tensor gy = place(random_f64(y.sizes(), -1, 1, ++seed), dtype(), device());
    const std::vector<Tensor> got = grads_of(y, gy, {a, b});
    const Tensor a64 = to_f64(a).requires_grad_(), b64 = to_f64(b).requires_grad_();
    const std::vector<Tensor> want = grads_of(matmul(a64, b64), to_f64(gy), {a64, b64});
    const std::string what = str("grad of matmul ", str_of(c.a), " @ ", str_of(c.b));
    expect_close(got[0], want[0], loose_tolerance(dtype()), what + " (a)", 3.0);
    expect_close(got[1], want[1], loose_tolerance(dtype()), what + " (b)", 3.0);
  }
}

SEEK_INSTANTIATE_ON_DEVICES(LinalgTest, kFloat64, kFloat32, kFloat16, kBFloat16);

}  // namespace
}  // namespace seek::backend_test

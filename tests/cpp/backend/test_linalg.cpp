// The gemm family on every device: out = alpha * a @ b + beta * out for odd
// shapes, batches, transposed, stepped and batch-broadcast operands, beta 0
// (out is not read, even when it holds NaN) and beta != 0, into a sentinel-
// guarded output, against the CPU backend in f64; and matmul's gradients
// through autograd against f64 on the CPU; the fused linear layer (gemm_epilogue,
// fused_linear) likewise.
#include <algorithm>
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

// The fused linear layer (Backend::gemm_epilogue): out = act(a @ b + bias) for every epilogue,
// with and without aux (= the pre-activation z), odd shapes, transposed / stepped operands and a
// stepped bias, into a NaN-filled guarded output (out is written, never read), against f64 ops on
// the CPU (matmul, +, relu, gelu tanh: not the entry under test).
SEEK_DEVICE_TEST(LinalgTest, GemmEpilogue) {
  SEEK_REQUIRE_FAMILY(BackendFamily::Gemm);
  struct Case {
    int64_t M, K, N;
    Layout la, lb, lbias;
  };
  const Case cases[] = {
      {5, 7, 3, Layout::Contiguous, Layout::Transposed, Layout::Contiguous},
      {17, 33, 16, Layout::Transposed, Layout::Contiguous, Layout::Stepped},
      {66, 19, 70, Layout::Stepped, Layout::Transposed, Layout::Contiguous},
      {3, 0, 4, Layout::Contiguous, Layout::Contiguous, Layout::Contiguous},  // K = 0: act(bias)
  };
  uint64_t seed = 931;
  for (const Case& c : cases) {
    for (GemmEpilogue ep : {GemmEpilogue::Bias, GemmEpilogue::BiasRelu, GemmEpilogue::BiasGelu}) {
      for (bool with_aux : {false, true}) {
        const std::string what = str("gemm_epilogue ", static_cast<int>(ep), " [", c.M, ",", c.K, "] @ [", c.K, ",",
                                     c.N, "] a ", layout_name(c.la), " b ", layout_name(c.lb), " bias ",
                                     layout_name(c.lbias), with_aux ? " with aux" : "");
        const Tensor a = place(random_f64({c.M, c.K}, -1, 1, ++seed), dtype(), device(), c.la);
        const Tensor b = place(random_f64({c.K, c.N}, -1, 1, ++seed), dtype(), device(), c.lb);
        const Tensor bias = place(random_f64({c.N}, -1, 1, ++seed), dtype(), device(), c.lbias);
        const Tensor nan = full({c.M, c.N}, std::nan(""), TensorOptions(kFloat64));
        GuardedOutput g = guarded_like(nan, dtype(), device());
        GuardedOutput gaux = guarded_like(nan, dtype(), device());
        dev().gemm_epilogue(ep, a, b, bias, g.out, with_aux ? gaux.out : Tensor());
        const Tensor z = matmul(to_f64(a), to_f64(b)) + to_f64(bias);
        const Tensor want = ep == GemmEpilogue::Bias ? z : ep == GemmEpilogue::BiasRelu ? z.relu() : z.gelu("tanh");
        const double scale = std::sqrt(static_cast<double>(std::max<int64_t>(c.K, 1)));
        expect_close(g.out, want, tolerance(dtype()), what, scale);
        expect_sentinels_intact(g, what);
        if (with_aux) expect_close(gaux.out, z, tolerance(dtype()), what + " (aux)", scale);
        expect_sentinels_intact(gaux, what + " (aux)");
      }
    }
  }
}

SEEK_DEVICE_TEST(LinalgTest, GemmEpilogueRejectsBadOperands) {
  SEEK_REQUIRE_FAMILY(BackendFamily::Gemm);
  const Tensor a = place(random_f64({4, 3}, -1, 1, 1), dtype(), device());
  const Tensor b = place(random_f64({3, 5}, -1, 1, 2), dtype(), device());
  const Tensor bias = place(random_f64({5}, -1, 1, 3), dtype(), device());
  const Tensor out = place(random_f64({4, 5}, -1, 1, 4), dtype(), device());
  const Tensor bad_bias = place(random_f64({4}, -1, 1, 5), dtype(), device());
  EXPECT_THROW(dev().gemm_epilogue(GemmEpilogue::Bias, a, b, bad_bias, out, Tensor()), ShapeError);
  EXPECT_THROW(dev().gemm_epilogue(GemmEpilogue::Bias, a, b.t(), bias, out, Tensor()), ShapeError);
  EXPECT_THROW(dev().gemm_epilogue(GemmEpilogue::BiasGelu, a, b, bias, out, out.t()), ShapeError);
  const DType other = dtype() == kFloat32 ? kFloat64 : kFloat32;
  EXPECT_THROW(dev().gemm_epilogue(GemmEpilogue::Bias, a, b, bias.to(other), out, Tensor()), DTypeError);
  const Tensor strided_out = place(random_f64({5, 4}, -1, 1, 6), dtype(), device()).t();
  EXPECT_THROW(dev().gemm_epilogue(GemmEpilogue::Bias, a, b, bias, strided_out, Tensor()), Error);
}

// fused_linear (what F.linear runs) gives the unfused ops' gradients: x [2, 3, in] (folded into
// the GEMM's rows), weight and bias, for each epilogue, against f64 addmm + relu / gelu(tanh).
SEEK_DEVICE_TEST(LinalgTest, FusedLinearGradients) {
  SEEK_REQUIRE_FAMILY(BackendFamily::Gemm);
  uint64_t seed = 977;
  for (GemmEpilogue ep : {GemmEpilogue::Bias, GemmEpilogue::BiasRelu, GemmEpilogue::BiasGelu}) {
    const Tensor x = leaf(random_f64({2, 3, 7}, -1, 1, ++seed), dtype(), device());
    const Tensor w = leaf(random_f64({5, 7}, -1, 1, ++seed), dtype(), device(), Layout::Transposed);
    const Tensor bias = leaf(random_f64({5}, -1, 1, ++seed), dtype(), device());
    const Tensor y = fused_linear(x, w, bias, ep);
    ASSERT_EQ(y.sizes(), (Shape{2, 3, 5}));
    const Tensor gy = place(random_f64(y.sizes(), -1, 1, ++seed), dtype(), device());
    const std::vector<Tensor> got = grads_of(y, gy, {x, w, bias});
    const Tensor x64 = to_f64(x).requires_grad_(), w64 = to_f64(w).requires_grad_();
    const Tensor b64 = to_f64(bias).requires_grad_();
    const Tensor z = addmm(b64, x64.reshape({6, 7}), w64.t()).reshape({2, 3, 5});
    const Tensor y64 = ep == GemmEpilogue::Bias ? z : ep == GemmEpilogue::BiasRelu ? z.relu() : z.gelu("tanh");
    const std::string what = str("fused_linear epilogue ", static_cast<int>(ep));
    expect_close(y, y64.detach(), tolerance(dtype()), what, 3.0);
    const std::vector<Tensor> want = grads_of(y64, to_f64(gy), {x64, w64, b64});
    expect_close(got[0], want[0], loose_tolerance(dtype()), what + " (input)", 3.0);
    expect_close(got[1], want[1], loose_tolerance(dtype()), what + " (weight)", 3.0);
    expect_close(got[2], want[2], loose_tolerance(dtype()), what + " (bias)", 3.0);
  }
}

SEEK_INSTANTIATE_ON_DEVICES(LinalgTest, kFloat64, kFloat32, kFloat16, kBFloat16);

}  // namespace
}  // namespace seek::backend_test

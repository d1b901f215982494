// The norm family on every device: batch norm's training forward (output and
// saved statistics), backward and eval forward entries on 2-, 3- and 4-D
// inputs in every layout, with and without affine parameters, into sentinel-
// guarded outputs, against the CPU backend in f64; and batch_norm's gradients
// through autograd against f64 on the CPU.
#include <cmath>

#include "backend/backend_harness.h"

namespace seek::backend_test {
namespace {

class NormTest : public DeviceTest {};

struct NormCase {
  Shape shape;
  bool affine;
};
// The last case has more values per channel than a GPU block has threads.
const NormCase kCases[] = {{{4, 3, 5, 7}, true}, {{6, 5}, false}, {{2, 4, 9}, true}, {{3, 2, 300}, false}};
constexpr double kEps = 1e-5;

SEEK_DEVICE_TEST(NormTest, BatchNormEntries) {
  SEEK_REQUIRE_FAMILY(BackendFamily::Norm);
  const DType acc = dtype() == kFloat64 ? kFloat64 : kFloat32;  // the saved statistics' dtype
  uint64_t seed = 141;
  for (const NormCase& c : kCases) {
    const int64_t C = c.shape[1];
    for (Layout layout : kLayouts) {
      const std::string what = str("batch_norm ", str_of(c.shape), c.affine ? " affine " : " ", layout_name(layout));
      // An offset mean, so that a one-pass variance would lose digits.
      const Tensor x = place(random_f64(c.shape, 1.0, 4.0, ++seed), dtype(), device(), layout);
      const Tensor w = c.affine ? place(random_f64({C}, 0.5, 1.5, ++seed), dtype(), device()) : Tensor();
      const Tensor b = c.affine ? place(random_f64({C}, -1, 1, ++seed), dtype(), device()) : Tensor();
      const Tensor w64 = c.affine ? to_f64(w) : Tensor(), b64 = c.affine ? to_f64(b) : Tensor();

      GuardedOutput y = guarded_empty(c.shape, dtype(), device());
      GuardedOutput mean = guarded_empty({C}, acc, device()), invstd = guarded_empty({C}, acc, device()),
                    var = guarded_empty({C}, acc, device());
      dev().batch_norm_forward_train(x, w, b, kEps, y.out, mean.out, invstd.out, var.out);
      Tensor want_y = empty(c.shape, TensorOptions(kFloat64));
      Tensor want_mean = empty({C}, TensorOptions(kFloat64)), want_invstd = empty({C}, TensorOptions(kFloat64)),
             want_var = empty({C}, TensorOptions(kFloat64));
      backend(kCPU).batch_norm_forward_train(to_f64(x), w64, b64, kEps, want_y, want_mean, want_invstd, want_var);
      expect_close(y.out, want_y, loose_tolerance(dtype()), what, 1.0);
      expect_close(mean.out, want_mean, tolerance(acc), what + " mean");
      expect_close(invstd.out, want_invstd, loose_tolerance(acc), what + " invstd");
      expect_close(var.out, want_var, loose_tolerance(acc), what + " var");
      for (const GuardedOutput* g : {&y, &mean, &invstd, &var}) expect_sentinels_intact(*g, what);

      const Tensor gy = place(random_f64(c.shape, -1, 1, ++seed), dtype(), device(), layout);
      GuardedOutput gx = guarded_empty(c.shape, dtype(), device());
      GuardedOutput gw = guarded_empty({C}, dtype(), device()), gb = guarded_empty({C}, dtype(), device());
      dev().batch_norm_backward(gy, x, w, mean.out, invstd.out, gx.out, c.affine ? gw.out : Tensor(),
                                c.affine ? gb.out : Tensor());
      Tensor want_gx = empty(c.shape, TensorOptions(kFloat64));
      Tensor want_gw = c.affine ? empty({C}, TensorOptions(kFloat64)) : Tensor();
      Tensor want_gb = c.affine ? empty({C}, TensorOptions(kFloat64)) : Tensor();
      backend(kCPU).batch_norm_backward(to_f64(gy), to_f64(x), w64, to_f64(mean.out), to_f64(invstd.out), want_gx,
                                        want_gw, want_gb);
      const double per_channel = static_cast<double>(shape_numel(c.shape) / C);
      expect_close(gx.out, want_gx, loose_tolerance(dtype()), what + " grad_input", 1.0);
      if (c.affine) {
        expect_close(gw.out, want_gw, loose_tolerance(dtype()), what + " grad_weight", std::sqrt(per_channel));
        expect_close(gb.out, want_gb, loose_tolerance(dtype()), what + " grad_bias", std::sqrt(per_channel));
      }
      for (const GuardedOutput* g : {&gx, &gw, &gb}) expect_sentinels_intact(*g, what + " backward");

      const Tensor rm = place(random_f64({C}, 1, 3, ++seed), dtype(), device());
      const Tensor rv = place(random_f64({C}, 0.5, 2, ++seed), dtype(), device());
      GuardedOutput ye = guarded_empty(c.shape, dtype(), device());
      dev().batch_norm_forward_eval(x, rm, rv, w, b, kEps, ye.out);
      Tensor want_ye = empty(c.shape, TensorOptions(kFloat64));
      backend(kCPU).batch_norm_forward_eval(to_f64(x), to_f64(rm), to_f64(rv), w64, b64, kEps, want_ye);
      expect_close(ye.out, want_ye, loose_tolerance(dtype()), what + " eval", 1.0);
      expect_sentinels_intact(ye, what + " eval");
    }
  }
}

SEEK_DEVICE_TEST(NormTest, Gradients) {
  SEEK_REQUIRE_FAMILY(BackendFamily::Norm);
  uint64_t seed = 901;
  for (const NormCase& c : kCases) {
    const int64_t C = c.shape[1];
    const Tensor x = leaf(random_f64(c.shape, 1.0, 4.0, ++seed), dtype(), device(), Layout::Transposed);
    const Tensor w = c.affine ? leaf(random_f64({C}, 0.5, 1.5, ++seed), dtype(), device()) : Tensor();
    const Tensor b = c.affine ? leaf(random_f64({C}, -1, 1, ++seed), dtype(), device()) : Tensor();
    const auto run = [&](const Tensor& xx, const Tensor& ww, const Tensor& bb) {
      return nn::functional::batch_norm(xx, Tensor(), Tensor(), ww, bb, /*training=*/true);
    };
    const Tensor y = run(x, w, b);
    const Tensor gy = place(random_f64(c.shape, -1, 1, ++seed), dtype(), device());
    std::vector<Tensor> inputs{x};
    if (c.affine) inputs.insert(inputs.end(), {w, b});
    const std::vector<Tensor> got = grads_of(y, gy, inputs);
    const Tensor x64 = to_f64(x).requires_grad_();
    const Tensor w64 = c.affine ? to_f64(w).requires_grad_() : Tensor();
    const Tensor b64 = c.affine ? to_f64(b).requires_grad_() : Tensor();
    std::vector<Tensor> inputs64{x64};
    if (c.affine) inputs64.insert(inputs64.end(), {w64, b64});
    const std::vector<Tensor> want = grads_of(run(x64, w64, b64), to_f64(gy), inputs64);
    const double per_channel = static_cast<double>(shape_numel(c.shape) / C);
    for (size_t i = 0; i < got.size(); ++i)
      expect_close(got[i], want[i], loose_tolerance(dtype()), str("grad of batch_norm ", str_of(c.shape), " input ", i),
                   i == 0 ? 1.0 : std::sqrt(per_channel));
  }
}

SEEK_INSTANTIATE_ON_DEVICES(NormTest, kFloat64, kFloat32, kFloat16, kBFloat16);

}  // namespace
}  // namespace seek::backend_test

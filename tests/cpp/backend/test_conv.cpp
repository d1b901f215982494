// The conv family on every device: conv2d forward and backward entries with
// odd shapes, strides, paddings, dilations and groups (depthwise included, and
// the shapes of the CPU's direct path), inputs in every layout, into sentinel-
// guarded outputs, against the CPU backend in f64 on the same values; and
// conv2d's gradients through autograd against f64 on the CPU.
#include <cmath>

#include "backend/backend_harness.h"

namespace seek::backend_test {
namespace {

class ConvTest : public DeviceTest {};

struct ConvCase {
  int64_t N, C, H, W, O, kh, kw;
  Conv2dParams p;
  bool bias;
  std::string str() const {
    return seek::str("N", N, " C", C, " ", H, "x", W, " O", O, " k", kh, "x", kw, " s", p.stride[0], ",", p.stride[1],
                     " p", p.padding[0], ",", p.padding[1], " d", p.dilation[0], ",", p.dilation[1], " g", p.groups,
                     bias ? " bias" : "");
  }
  int64_t out_size(int64_t i, int64_t k, int d) const {
    return (i + 2 * p.padding[d] - p.dilation[d] * (k - 1) - 1) / p.stride[d] + 1;
  }
  Shape out_shape() const { return {N, O, out_size(H, kh, 0), out_size(W, kw, 1)}; }
};

const ConvCase kCases[] = {
    {2, 3, 7, 6, 5, 3, 2, {{2, 1}, {1, 0}, {1, 1}, 1}, true},
    {1, 4, 9, 8, 6, 3, 3, {{1, 1}, {1, 1}, {2, 2}, 2}, false},
    {2, 3, 8, 7, 3, 3, 3, {{1, 1}, {1, 1}, {1, 1}, 3}, true},    // depthwise
    {2, 5, 11, 10, 7, 3, 3, {{1, 1}, {1, 1}, {1, 1}, 1}, true},  // the CPU's direct f32 path
    {1, 2, 5, 9, 4, 1, 1, {{2, 3}, {0, 0}, {1, 1}, 1}, false},   // 1x1 with strides
};

SEEK_DEVICE_TEST(ConvTest, ForwardAndBackwardEntries) {
  SEEK_REQUIRE_FAMILY(BackendFamily::Conv);
  uint64_t seed = 91;
  for (const ConvCase& c : kCases) {
    for (Layout layout : kLayouts) {
      const std::string what = c.str() + " input " + layout_name(layout);
      const Tensor x = place(random_f64({c.N, c.C, c.H, c.W}, -1, 1, ++seed), dtype(), device(), layout);
      const Tensor w = place(random_f64({c.O, c.C / c.p.groups, c.kh, c.kw}, -1, 1, ++seed), dtype(), device());
      const Tensor b = c.bias ? place(random_f64({c.O}, -1, 1, ++seed), dtype(), device()) : Tensor();
      const Shape out_shape = c.out_shape();
      const double terms = static_cast<double>(c.C / c.p.groups * c.kh * c.kw);

      GuardedOutput y = guarded_empty(out_shape, dtype(), device());
      dev().conv2d_forward(x, w, b, c.p, y.out);
      Tensor want_y = empty(out_shape, TensorOptions(kFloat64));
      backend(kCPU).conv2d_forward(to_f64(x), to_f64(w), b.defined() ? to_f64(b) : Tensor(), c.p, want_y);
      expect_close(y.out, want_y, tolerance(dtype()), what, std::sqrt(terms));
      expect_sentinels_intact(y, what);

      const Tensor gy = place(random_f64(out_shape, -1, 1, ++seed), dtype(), device(), layout);
      GuardedOutput gx = guarded_empty(x.sizes(), dtype(), device());
      GuardedOutput gw = guarded_empty(w.sizes(), dtype(), device());
      GuardedOutput gb = guarded_empty({c.O}, dtype(), device());
      dev().conv2d_backward(gy, x, w, c.p, gx.out, gw.out, c.bias ? gb.out : Tensor());
      Tensor want_gx = empty(x.sizes(), TensorOptions(kFloat64)), want_gw = empty(w.sizes(), TensorOptions(kFloat64));
      Tensor want_gb = c.bias ? empty({c.O}, TensorOptions(kFloat64)) : Tensor();
      backend(kCPU).conv2d_backward(to_f64(gy), to_f64(x), to_f64(w), c.p, want_gx, want_gw, want_gb);
      const double per_weight = static_cast<double>(shape_numel(out_shape) / c.O);  // terms in a weight's gradient
      expect_close(gx.out, want_gx, loose_tolerance(dtype()), what + " grad_input", std::sqrt(terms));
      expect_close(gw.out, want_gw, loose_tolerance(dtype()), what + " grad_weight", std::sqrt(per_weight));
      expect_sentinels_intact(gx, what + " grad_input");
      expect_sentinels_intact(gw, what + " grad_weight");
      if (c.bias) {
        expect_close(gb.out, want_gb, loose_tolerance(dtype()), what + " grad_bias", std::sqrt(per_weight));
        expect_sentinels_intact(gb, what + " grad_bias");
      } else {
        expect_sentinels_intact(gb, what + " (no bias: grad_bias untouched)");
      }
    }
  }
}

SEEK_DEVICE_TEST(ConvTest, Gradients) {
  SEEK_REQUIRE_FAMILY(BackendFamily::Conv);
  uint64_t seed = 701;
  for (const ConvCase& c : {kCases[0], kCases[1], kCases[2]}) {
    const Tensor x = leaf(random_f64({c.N, c.C, c.H, c.W}, -1, 1, ++seed), dtype(), device(), Layout::Stepped);
    const Tensor w = leaf(random_f64({c.O, c.C / c.p.groups, c.kh, c.kw}, -1, 1, ++seed), dtype(), device());
    const Tensor b = c.bias ? leaf(random_f64({c.O}, -1, 1, ++seed), dtype(), device()) : Tensor();
    const auto run = [&](const Tensor& xx, const Tensor& ww, const Tensor& bb) {
      return conv2d(xx, ww, bb, Int2(c.p.stride[0], c.p.stride[1]), Int2(c.p.padding[0], c.p.padding[1]),
                    Int2(c.p.dilation[0], c.p.dilation[1]), c.p.groups);
    };
    const Tensor y = run(x, w, b);
    const Tensor gy = place(random_f64(y.sizes(), -1, 1, ++seed), dtype(), device());
    std::vector<Tensor> inputs{x, w};
    if (c.bias) inputs.push_back(b);
    const std::vector<Tensor> got = grads_of(y, gy, inputs);
    const Tensor x64 = to_f64(x).requires_grad_(), w64 = to_f64(w).requires_grad_();
    const Tensor b64 = c.bias ? to_f64(b).requires_grad_() : Tensor();
    std::vector<Tensor> inputs64{x64, w64};
    if (c.bias) inputs64.push_back(b64);
    const std::vector<Tensor> want = grads_of(run(x64, w64, b64), to_f64(gy), inputs64);
    for (size_t i = 0; i < got.size(); ++i)
      expect_close(got[i], want[i], loose_tolerance(dtype()), str("grad of conv2d ", c.str(), " input ", i), 6.0);
  }
}

SEEK_INSTANTIATE_ON_DEVICES(ConvTest, kFloat64, kFloat32, kFloat16, kBFloat16);

}  // namespace
}  // namespace seek::backend_test

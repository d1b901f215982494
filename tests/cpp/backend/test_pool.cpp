// The pool family on every device: max (with indices and dilation), average
// (count_include_pad either way) and adaptive average pooling, forward and
// backward entries, with odd windows, strides, padding and ceil_mode, inputs in
// every layout, into sentinel-guarded outputs, against the CPU backend in f64;
// and the pooling ops' gradients through autograd against f64 on the CPU.
#include "backend/backend_harness.h"

namespace seek::backend_test {
namespace {

class PoolTest : public DeviceTest {};

PoolParams pool_params(Int2 k, Int2 s, Int2 p, Int2 d, bool ceil_mode, bool count_include_pad) {
  PoolParams pp;
  pp.kernel = k.arr();
  pp.stride = s.arr();
  pp.padding = p.arr();
  pp.dilation = d.arr();
  pp.ceil_mode = ceil_mode;
  pp.count_include_pad = count_include_pad;
  return pp;
}

const PoolParams kCases[] = {
    pool_params(3, 2, 1, 1, false, true), pool_params({2, 3}, {1, 2}, 0, 1, true, true),
    pool_params(3, 2, 1, 1, true, false),
    pool_params({3, 2}, {2, 1}, {1, 1}, {2, 1}, false, true),  // dilation: max pool only
};

std::string params_str(const PoolParams& p) {
  return str("k", p.kernel[0], "x", p.kernel[1], " s", p.stride[0], ",", p.stride[1], " p", p.padding[0], ",",
             p.padding[1], " d", p.dilation[0], ",", p.dilation[1], p.ceil_mode ? " ceil" : "",
             p.count_include_pad ? "" : " exclude_pad");
}

const Shape kInput{2, 3, 9, 8};

SEEK_DEVICE_TEST(PoolTest, MaxPool) {
  SEEK_REQUIRE_FAMILY(BackendFamily::Pool);
  uint64_t seed = 111;
  for (const PoolParams& p : kCases) {
    for (Layout layout : kLayouts) {
      const std::string what = "max_pool2d " + params_str(p) + " " + layout_name(layout);
      const Tensor x = place(random_f64(kInput, -3, 3, ++seed), dtype(), device(), layout);
      const Shape out_shape =
          max_pool2d(to_f64(x), Int2(p.kernel[0], p.kernel[1]), Int2(p.stride[0], p.stride[1]),
                     Int2(p.padding[0], p.padding[1]), Int2(p.dilation[0], p.dilation[1]), p.ceil_mode)
              .sizes();
      GuardedOutput y = guarded_empty(out_shape, dtype(), device());
      GuardedOutput idx = guarded_empty(out_shape, kInt64, device());
      dev().max_pool2d_forward(x, p, y.out, idx.out);
      Tensor want_y = empty(out_shape, TensorOptions(kFloat64)), want_idx = empty(out_shape, TensorOptions(kInt64));
      backend(kCPU).max_pool2d_forward(to_f64(x), p, want_y, want_idx);
      expect_equal(y.out, want_y, what);
      expect_equal(idx.out, want_idx, what + " indices");
      expect_sentinels_intact(y, what);
      expect_sentinels_intact(idx, what + " indices");

      const Tensor gy = place(random_f64(out_shape, -1, 1, ++seed), dtype(), device());
      GuardedOutput gx = guarded_empty(kInput, dtype(), device());
      dev().max_pool2d_backward(gy, idx.out, gx.out);
      Tensor want_gx = empty(kInput, TensorOptions(kFloat64));
      backend(kCPU).max_pool2d_backward(to_f64(gy), want_idx, want_gx);
      expect_close(gx.out, want_gx, loose_tolerance(dtype()), what + " backward", 1.0);
      expect_sentinels_intact(gx, what + " backward");
    }
  }
}

SEEK_DEVICE_TEST(PoolTest, AvgPool) {
  SEEK_REQUIRE_FAMILY(BackendFamily::Pool);
  uint64_t seed = 121;
  for (const PoolParams& p : kCases) {
    if (p.dilation[0] != 1 || p.dilation[1] != 1) continue;
    for (Layout layout : kLayouts) {
      const std::string what = "avg_pool2d " + params_str(p) + " " + layout_name(layout);
      const Tensor x = place(random_f64(kInput, -3, 3, ++seed), dtype(), device(), layout);
      const Shape out_shape = avg_pool2d(to_f64(x), Int2(p.kernel[0], p.kernel[1]), Int2(p.stride[0], p.stride[1]),
                                         Int2(p.padding[0], p.padding[1]), p.ceil_mode, p.count_include_pad)
                                  .sizes();
      GuardedOutput y = guarded_empty(out_shape, dtype(), device());
      dev().avg_pool2d_forward(x, p, y.out);
      Tensor want_y = empty(out_shape, TensorOptions(kFloat64));
      backend(kCPU).avg_pool2d_forward(to_f64(x), p, want_y);
      expect_close(y.out, want_y, tolerance(dtype()), what, 1.0);
      expect_sentinels_intact(y, what);

      const Tensor gy = place(random_f64(out_shape, -1, 1, ++seed), dtype(), device(), layout);
      GuardedOutput gx = guarded_empty(kInput, dtype(), device());
      dev().avg_pool2d_backward(gy, p, gx.out);
      Tensor want_gx = empty(kInput, TensorOptions(kFloat64));
      backend(kCPU).avg_pool2d_backward(to_f64(gy), p, want_gx);
      expect_close(gx.out, want_gx, loose_tolerance(dtype()), what + " backward", 1.0);
      expect_sentinels_intact(gx, what + " backward");
    }
  }
}

SEEK_DEVICE_TEST(PoolTest, AdaptiveAvgPool) {
  SEEK_REQUIRE_FAMILY(BackendFamily::Pool);
  uint64_t seed = 131;
  for (Shape out_hw : {Shape{4, 3}, Shape{1, 1}, Shape{9, 5}}) {
    for (Layout layout : kLayouts) {
      const std::string what = "adaptive_avg_pool2d to " + str_of(out_hw) + " " + layout_name(layout);
      const Tensor x = place(random_f64(kInput, -3, 3, ++seed), dtype(), device(), layout);
      const Shape out_shape{kInput[0], kInput[1], out_hw[0], out_hw[1]};
      GuardedOutput y = guarded_empty(out_shape, dtype(), device());
      dev().adaptive_avg_pool2d_forward(x, y.out);
      Tensor want_y = empty(out_shape, TensorOptions(kFloat64));
      backend(kCPU).adaptive_avg_pool2d_forward(to_f64(x), want_y);
      expect_close(y.out, want_y, tolerance(dtype()), what, 1.0);
      expect_sentinels_intact(y, what);

      const Tensor gy = place(random_f64(out_shape, -1, 1, ++seed), dtype(), device(), layout);
      GuardedOutput gx = guarded_empty(kInput, dtype(), device());
      dev().adaptive_avg_pool2d_backward(gy, gx.out);
      Tensor want_gx = empty(kInput, TensorOptions(kFloat64));
      backend(kCPU).adaptive_avg_pool2d_backward(to_f64(gy), want_gx);
      expect_close(gx.out, want_gx, loose_tolerance(dtype()), what + " backward", 1.0);
      expect_sentinels_intact(gx, what + " backward");
    }
  }
}

SEEK_DEVICE_TEST(PoolTest, Gradients) {
  SEEK_REQUIRE_FAMILY(BackendFamily::Pool);
  const std::pair<const char*, Tensor (*)(const Tensor&)> cases[] = {
      {"max_pool2d", [](const Tensor& t) { return max_pool2d(t, 3, 2, 1, 1, true); }},
      {"avg_pool2d", [](const Tensor& t) { return avg_pool2d(t, 3, 2, 1, true, false); }},
      {"adaptive_avg_pool2d", [](const Tensor& t) { return adaptive_avg_pool2d(t, Int2(4, 3)); }},
  };
  uint64_t seed = 801;
  for (const auto& [name, fn] : cases) {
    const Tensor x = leaf(random_f64(kInput, -3, 3, ++seed), dtype(), device(), Layout::Transposed);
    const Tensor y = fn(x);
    const Tensor gy = place(random_f64(y.sizes(), -1, 1, ++seed), dtype(), device());
    const Tensor x64 = to_f64(x).requires_grad_();
    expect_close(grads_of(y, gy, {x})[0], grads_of(fn(x64), to_f64(gy), {x64})[0], loose_tolerance(dtype()),
                 str("grad of ", name), 1.0);
  }
}

SEEK_INSTANTIATE_ON_DEVICES(PoolTest, kFloat64, kFloat32, kFloat16, kBFloat16);

}  // namespace
}  // namespace seek::backend_test

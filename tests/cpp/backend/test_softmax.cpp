// The softmax family on every device: softmax and log_softmax forward and
// backward entries along every dim of odd-sized inputs in every layout, into
// sentinel-guarded outputs, against the CPU backend in f64; and the gradients
// of softmax/log_softmax through autograd against f64 on the CPU.
#include "backend/backend_harness.h"

namespace seek::backend_test {
namespace {

class SoftmaxTest : public DeviceTest {};

SEEK_DEVICE_TEST(SoftmaxTest, ForwardAndBackwardEntries) {
  SEEK_REQUIRE_FAMILY(BackendFamily::Softmax);
  const Shape shapes[] = {{3, 7, 5}, {2, 3, 67}};
  uint64_t seed = 71;
  for (const Shape& shape : shapes) {
    for (bool log : {false, true}) {
      for (int64_t dim : {0, 1, 2}) {
        for (Layout layout : kLayouts) {
          const std::string what =
              str(log ? "log_softmax" : "softmax", " along ", dim, " of ", str_of(shape), " ", layout_name(layout));
          const Tensor in = place(random_f64(shape, -4, 4, ++seed), dtype(), device(), layout);
          GuardedOutput y = guarded_empty(shape, dtype(), device());
          dev().softmax(in, dim, log, y.out);
          Tensor want_y = empty(shape, TensorOptions(kFloat64));
          backend(kCPU).softmax(to_f64(in), dim, log, want_y);
          expect_close(y.out, want_y, tolerance(dtype()), what);
          expect_sentinels_intact(y, what);

          // The backward entry from the device's own output and a strided upstream gradient.
          const Tensor gy = place(random_f64(shape, -1, 1, ++seed), dtype(), device(), layout);
          GuardedOutput gx = guarded_empty(shape, dtype(), device());
          dev().softmax_backward(gy, y.out, dim, log, gx.out);
          Tensor want_gx = empty(shape, TensorOptions(kFloat64));
          backend(kCPU).softmax_backward(to_f64(gy), to_f64(y.out), dim, log, want_gx);
          expect_close(gx.out, want_gx, loose_tolerance(dtype()), what + " backward", 1.0);
          expect_sentinels_intact(gx, what + " backward");
        }
      }
    }
  }
}

SEEK_DEVICE_TEST(SoftmaxTest, Gradients) {
  SEEK_REQUIRE_FAMILY(BackendFamily::Softmax);
  const Shape shape{4, 9};
  uint64_t seed = 501;
  for (bool log : {false, true}) {
    for (int64_t dim : {0, 1}) {
      const Tensor x = leaf(random_f64(shape, -4, 4, ++seed), dtype(), device(), Layout::Transposed);
      const Tensor gy = place(random_f64(shape, -1, 1, ++seed), dtype(), device());
      const Tensor x64 = to_f64(x).requires_grad_();
      const auto fn = [&](const Tensor& t) { return log ? log_softmax(t, dim) : softmax(t, dim); };
      expect_close(grads_of(fn(x), gy, {x})[0], grads_of(fn(x64), to_f64(gy), {x64})[0], loose_tolerance(dtype()),
                   str("grad of ", log ? "log_softmax" : "softmax", " along ", dim), 1.0);
    }
  }
}

SEEK_INSTANTIATE_ON_DEVICES(SoftmaxTest, kFloat64, kFloat32, kFloat16, kBFloat16);

}  // namespace
}  // namespace seek::backend_test

// The sort family on every device: sort (stable and not, both directions) and
// topk (largest and smallest, sorted and not) along each dim of inputs with
// ties, in every layout, into sentinel-guarded outputs, against the CPU backend
// in f64 (exactly: stable sorts fix the indices; otherwise each index must
// point at its value); and sort's gradient against f64 on the CPU.
#include "backend/backend_harness.h"

namespace seek::backend_test {
namespace {

class SortTest : public DeviceTest {};

// Many ties: integers in a range smaller than the sorted dim.
Tensor values_with_ties(const Shape& shape, uint64_t seed) { return random_ints_f64(shape, -9, 9, seed); }

// in.gather(dim, indices) == values, on the CPU in f64.
void expect_indices_point_at_values(const Tensor& in, int64_t dim, const Tensor& values, const Tensor& indices,
                                    const std::string& what) {
  Tensor picked = empty(indices.sizes(), TensorOptions(kFloat64));
  backend(kCPU).gather(to_f64(in), dim, indices.cpu().contiguous(), picked);
  expect_equal(picked, to_f64(values), what + ": in.gather(indices) != values");
}

SEEK_DEVICE_TEST(SortTest, Sort) {
  SEEK_REQUIRE_FAMILY(BackendFamily::Sort);
  const Shape shapes[] = {{5, 37}, {3, 300}};
  uint64_t seed = 181;
  for (const Shape& shape : shapes) {
    for (int64_t dim : {0, 1}) {
      for (bool descending : {false, true}) {
        for (bool stable : {true, false}) {
          for (Layout layout : kLayouts) {
            const std::string what = str(stable ? "stable " : "", "sort ", descending ? "descending " : "", "along ",
                                         dim, " of ", str_of(shape), " ", layout_name(layout));
            const Tensor in = place(values_with_ties(shape, ++seed), dtype(), device(), layout);
            GuardedOutput v = guarded_empty(shape, dtype(), device(), layout == Layout::Contiguous);
            GuardedOutput i = guarded_empty(shape, kInt64, device(), layout == Layout::Contiguous);
            dev().sort(in, dim, descending, stable, v.out, i.out);
            Tensor want_v = empty(shape, TensorOptions(kFloat64)), want_i = empty(shape, TensorOptions(kInt64));
            backend(kCPU).sort(to_f64(in), dim, descending, /*stable=*/true, want_v, want_i);
            expect_equal(v.out, want_v, what + " values");
            if (stable) expect_equal(i.out, want_i, what + " indices");
            expect_indices_point_at_values(in, dim, v.out, i.out, what);
            expect_sentinels_intact(v, what + " values");
            expect_sentinels_intact(i, what + " indices");
          }
        }
      }
    }
  }
}

SEEK_DEVICE_TEST(SortTest, Topk) {
  SEEK_REQUIRE_FAMILY(BackendFamily::Sort);
  const Shape shape{6, 41};
  uint64_t seed = 191;
  for (int64_t dim : {0, 1}) {
    for (int64_t k : {1, 4}) {
      for (bool largest : {true, false}) {
        for (bool sorted : {true, false}) {
          for (Layout layout : kLayouts) {
            const std::string what = str("topk k=", k, largest ? " largest" : " smallest", sorted ? " sorted" : "",
                                         " along ", dim, " ", layout_name(layout));
            // Distinct values, so that the k chosen values are determined.
            const Tensor in = place(random_f64(shape, -3, 3, ++seed), dtype(), device(), layout);
            Shape out_shape = shape;
            out_shape[dim] = k;
            GuardedOutput v = guarded_empty(out_shape, dtype(), device());
            GuardedOutput i = guarded_empty(out_shape, kInt64, device(), false);
            dev().topk(in, k, dim, largest, sorted, v.out, i.out);
            Tensor want_v = empty(out_shape, TensorOptions(kFloat64)), want_i = empty(out_shape, TensorOptions(kInt64));
            backend(kCPU).topk(to_f64(in), k, dim, largest, /*sorted=*/true, want_v, want_i);
            Tensor got_v = to_f64(v.out);
            if (!sorted) {  // any order: compare the sets
              Tensor s = empty(out_shape, TensorOptions(kFloat64)), si = empty(out_shape, TensorOptions(kInt64));
              backend(kCPU).sort(got_v, dim, /*descending=*/largest, true, s, si);
              got_v = s;
            }
            expect_equal(got_v, want_v, what + " values");
            expect_indices_point_at_values(in, dim, v.out, i.out, what);
            expect_sentinels_intact(v, what + " values");
            expect_sentinels_intact(i, what + " indices");
          }
        }
      }
    }
  }
}

SEEK_DEVICE_TEST(SortTest, Gradients) {
  SEEK_REQUIRE_FAMILY(BackendFamily::Sort);
  if (!is_floating(dtype())) GTEST_SKIP() << "gradients need a floating dtype";
  const Tensor x = leaf(random_f64({5, 9}, -3, 3, 1101), dtype(), device(), Layout::Transposed);
  const Tensor gy = place(random_f64({5, 9}, -1, 1, 1102), dtype(), device());
  const Tensor x64 = to_f64(x).requires_grad_();
  expect_close(grads_of(std::get<0>(sort(x, 1, true)), gy, {x})[0],
               grads_of(std::get<0>(sort(x64, 1, true)), to_f64(gy), {x64})[0], tolerance(dtype()), "grad of sort");
  const Tensor x2 = leaf(random_f64({5, 9}, -3, 3, 1103), dtype(), device(), Layout::Stepped);
  const Tensor gy2 = place(random_f64({5, 3}, -1, 1, 1104), dtype(), device());
  const Tensor x264 = to_f64(x2).requires_grad_();
  expect_close(grads_of(std::get<0>(topk(x2, 3, 1)), gy2, {x2})[0],
               grads_of(std::get<0>(topk(x264, 3, 1)), to_f64(gy2), {x264})[0], tolerance(dtype()), "grad of topk");
}

SEEK_INSTANTIATE_ON_DEVICES(SortTest, kFloat64, kFloat32, kFloat16, kBFloat16, kInt64, kInt32);

}  // namespace
}  // namespace seek::backend_test

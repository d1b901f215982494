// The reduction families on every device: each ReduceOp over one, two and all
// dims, arg_reduce (max and min, with ties) and cumsum, on every layout into
// sentinel-guarded outputs, against the CPU backend in f64 on the same values;
// and the gradients of the public reductions against f64 on the CPU.
#include <cmath>

#include "backend/backend_harness.h"
#include "backend/op_lists.h"

namespace seek::backend_test {
namespace {

class ReduceTest : public DeviceTest {};

Tensor values_for(ReduceOp op, const Shape& shape, uint64_t seed) {
  if (op == ReduceOp::Prod) return random_f64(shape, 0.75, 1.3, seed);
  if (op == ReduceOp::All || op == ReduceOp::Any) return random_ints_f64(shape, 0, 4, seed);  // a few zeros
  return random_f64(shape, -3.0, 3.0, seed);
}

ReduceParams params_of(ReduceOp op) { return {op == ReduceOp::Norm || op == ReduceOp::SumAbsPow ? 3.0 : 2.0, 1.0}; }

DType out_dtype(ReduceOp op, DType in) { return op == ReduceOp::All || op == ReduceOp::Any ? kBool : in; }

Shape keepdim_shape(Shape s, const std::vector<int64_t>& dims) {
  for (int64_t d : dims) s[d] = 1;
  return s;
}

SEEK_DEVICE_TEST(ReduceTest, EveryOpEveryLayout) {
  SEEK_REQUIRE_FAMILY(BackendFamily::Reduce);
  const Shape shapes[] = {{4, 9, 5}, {3, 65, 33}};
  const std::vector<std::vector<int64_t>> dim_sets = {{1}, {2}, {0, 2}, {0, 1, 2}};
  uint64_t seed = 41;
  for (ReduceOp op : kReduceOps) {
    for (const Shape& shape : shapes) {
      for (const auto& dims : dim_sets) {
        // Prod and the sums of powers of the large shape's 6435 elements overflow f16: all dims on the small one.
        if (dims.size() == 3 && shape_numel(shape) > 1000) continue;
        for (Layout layout : kLayouts) {
          const std::string what =
              str(reduce_op_name(op), " over ", str_of(Shape(dims)), " of ", str_of(shape), " ", layout_name(layout));
          const Tensor in = place(values_for(op, shape, ++seed), dtype(), device(), layout);
          const Shape out_shape = keepdim_shape(shape, dims);
          GuardedOutput g = guarded_empty(out_shape, out_dtype(op, dtype()), device(), layout == Layout::Contiguous);
          dev().reduce(op, in, dims, g.out, params_of(op));
          Tensor want = empty(out_shape, TensorOptions(out_dtype(op, kFloat64)));
          backend(kCPU).reduce(op, to_f64(in), dims, want, params_of(op));
          // Sums of terms of both signs are checked against the size of their terms.
          const double n = static_cast<double>(in.numel() / shape_numel(out_shape));
          const double scale = op == ReduceOp::Sum    ? 3.0 * std::sqrt(n)
                               : op == ReduceOp::Mean ? 3.0 / std::sqrt(n)
                                                      : 0.0;
          expect_close(g.out, want, tolerance(dtype()), what, scale);
          expect_sentinels_intact(g, what);
        }
      }
    }
  }
}

// Max and min with their first index, on distinct values and on small integers (ties).
SEEK_DEVICE_TEST(ReduceTest, ArgReduce) {
  SEEK_REQUIRE_FAMILY(BackendFamily::ArgReduce);
  const Shape shape{6, 11, 5};
  uint64_t seed = 51;
  for (bool ties : {false, true}) {
    for (bool is_max : {true, false}) {
      for (int64_t dim : {0, 1, 2}) {
        for (Layout layout : kLayouts) {
          const std::string what =
              str(is_max ? "argmax" : "argmin", ties ? " with ties" : "", " along ", dim, " ", layout_name(layout));
          const Tensor v = ties ? random_ints_f64(shape, -2, 2, ++seed) : random_f64(shape, -3, 3, ++seed);
          const Tensor in = place(v, dtype(), device(), layout);
          const Shape out_shape = keepdim_shape(shape, {dim});
          GuardedOutput values = guarded_empty(out_shape, dtype(), device());
          GuardedOutput indices = guarded_empty(out_shape, kInt64, device(), false);
          dev().arg_reduce(is_max, in, dim, values.out, indices.out);
          Tensor want_v = empty(out_shape, TensorOptions(kFloat64)), want_i = empty(out_shape, TensorOptions(kInt64));
          backend(kCPU).arg_reduce(is_max, to_f64(in), dim, want_v, want_i);
          expect_equal(values.out, want_v, what + " values");
          expect_equal(indices.out, want_i, what + " indices");
          expect_sentinels_intact(values, what + " values");
          expect_sentinels_intact(indices, what + " indices");
        }
      }
    }
  }
}

SEEK_DEVICE_TEST(ReduceTest, Cumsum) {
  SEEK_REQUIRE_FAMILY(BackendFamily::Cumsum);
  const Shape shape{5, 37};
  uint64_t seed = 61;
  for (int64_t dim : {0, 1}) {
    for (Layout layout : kLayouts) {
      const std::string what = str("cumsum along ", dim, " ", layout_name(layout));
      const Tensor in = place(random_f64(shape, -3, 3, ++seed), dtype(), device(), layout);
      GuardedOutput g = guarded_empty(shape, dtype(), device(), layout == Layout::Contiguous);
      dev().cumsum(in, dim, g.out);
      Tensor want = empty(shape, TensorOptions(kFloat64));
      backend(kCPU).cumsum(to_f64(in), dim, want);
      expect_close(g.out, want, loose_tolerance(dtype()), what, 3.0 * std::sqrt(static_cast<double>(shape[dim])));
      expect_sentinels_intact(g, what);
    }
  }
}

SEEK_DEVICE_TEST(ReduceTest, Gradients) {
  SEEK_REQUIRE_FAMILY(BackendFamily::Reduce);
  // The backward passes scale, mask and combine gradients elementwise (mul, div, exp, pow, ...).
  SEEK_REQUIRE_FAMILY(BackendFamily::Unary);
  SEEK_REQUIRE_FAMILY(BackendFamily::Binary);
  const Shape shape{4, 7, 3};
  const std::vector<int64_t> dims{1};
  const Shape out{4, 3};
  struct Case {
    const char* name;
    double lo, hi;
    Tensor (*fn)(const Tensor&);
  };
  const Case cases[] = {
      {"sum", -3, 3, [](const Tensor& t) { return sum(t, std::vector<int64_t>{1}); }},
      {"mean", -3, 3, [](const Tensor& t) { return mean(t, std::vector<int64_t>{1}); }},
      {"prod", 0.75, 1.3, [](const Tensor& t) { return prod(t, 1); }},
      {"amax", -3, 3, [](const Tensor& t) { return amax(t, std::vector<int64_t>{1}); }},
      {"max(dim)", -3, 3, [](const Tensor& t) { return std::get<0>(max(t, 1)); }},
      {"var", -3, 3, [](const Tensor& t) { return var(t, std::vector<int64_t>{1}); }},
      {"std", -3, 3, [](const Tensor& t) { return seek::std(t, std::vector<int64_t>{1}); }},
      {"norm p=3", -3, 3, [](const Tensor& t) { return norm(t, 3.0, std::vector<int64_t>{1}); }},
      {"logsumexp", -3, 3, [](const Tensor& t) { return logsumexp(t, 1); }},
      {"cumsum", -3, 3, [](const Tensor& t) { return sum(cumsum(t, 1), std::vector<int64_t>{1}); }},
  };
  uint64_t seed = 401;
  for (const Case& c : cases) {
    const Tensor x = leaf(random_f64(shape, c.lo, c.hi, ++seed), dtype(), device(), Layout::Transposed);
    const Tensor gy = place(random_f64(out, -1, 1, ++seed), dtype(), device());
    const Tensor x64 = to_f64(x).requires_grad_();
    expect_close(grads_of(c.fn(x), gy, {x})[0], grads_of(c.fn(x64), to_f64(gy), {x64})[0], loose_tolerance(dtype()),
                 str("grad of ", c.name));
  }
}

SEEK_INSTANTIATE_ON_DEVICES(ReduceTest, kFloat64, kFloat32, kFloat16, kBFloat16);

}  // namespace
}  // namespace seek::backend_test

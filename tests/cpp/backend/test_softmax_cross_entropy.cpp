// The fused softmax cross-entropy entries (Backend::cross_entropy_forward / _backward, Softmax
// family) on every device and logits dtype, against torch's formula written as plain float64
// loops here: class counts 1, 7, 1000 (one row per warp on CUDA) and 5000 (a block per row),
// classes not last ((N, C, d1, d2): the strided path) and unbatched input, ignored targets
// (a custom ignore_index too), class weights and label smoothing. Then F::cross_entropy through
// autograd on the device: every reduction, the gradient, and an all-ignored batch (mean: NaN).
#include <cmath>

#include "backend/backend_harness.h"
#include "seek/nn/loss.h"

namespace seek::backend_test {
namespace {

namespace F = nn::functional;

class CrossEntropyTest : public DeviceTest {};

struct CeCase {
  Shape shape;
  int64_t class_dim;
  int64_t ignore_index;
  bool weighted;
  double smoothing;
};

// Targets of x's shape less class_dim: classes in [0, C) with every third one ignored.
Tensor make_targets(const Shape& shape, int64_t class_dim, int64_t ignore_index, uint64_t seed) {
  Shape ts = shape;
  const int64_t C = shape[static_cast<size_t>(class_dim)];
  ts.erase(ts.begin() + class_dim);
  std::vector<int64_t> v(static_cast<size_t>(shape_numel(ts)));
  for (size_t i = 0; i < v.size(); ++i) v[i] = i % 3 == 1 ? ignore_index : static_cast<int64_t>((i * 7 + seed) % C);
  return tensor<int64_t>(v, ts);
}

struct Ref {
  std::vector<double> loss, lse, wt, grad;
};

// torch's cross_entropy (reduction 'none') and d(sum(g * loss))/dx in float64, from the logits' values.
Ref reference(const Tensor& x64, const Tensor& target, const std::vector<double>& w, int64_t class_dim,
              const CrossEntropyParams& p, const std::vector<double>& g) {
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < class_dim; ++d) outer *= x64.size(d);
  for (int64_t d = class_dim + 1; d < x64.dim(); ++d) inner *= x64.size(d);
  const struct { int64_t inner; } s{inner};
  const std::vector<double> x = to_vector<double>(x64);
  const std::vector<int64_t> t = to_vector<int64_t>(target);
  const int64_t rows = outer * inner, C = x64.size(class_dim);
  const double eps = p.label_smoothing;
  Ref r{std::vector<double>(rows), std::vector<double>(rows), std::vector<double>(rows),
        std::vector<double>(x.size(), 0.0)};
  double sum_w = 0;
  for (int64_t c = 0; c < C; ++c) sum_w += w.empty() ? 1.0 : w[static_cast<size_t>(c)];
  for (int64_t row = 0; row < rows; ++row) {
    const int64_t off = (row / s.inner) * C * s.inner + row % s.inner;
    auto at = [&](int64_t c) { return x[static_cast<size_t>(off + c * s.inner)]; };
    double m = -INFINITY, sum = 0;
    for (int64_t c = 0; c < C; ++c) m = std::max(m, at(c));
    for (int64_t c = 0; c < C; ++c) sum += std::exp(at(c) - m);
    const double lse = m + std::log(sum);
    r.lse[row] = lse;
    const int64_t tt = t[static_cast<size_t>(row)];
    if (tt == p.ignore_index) continue;
    auto wc = [&](int64_t c) { return w.empty() ? 1.0 : w[static_cast<size_t>(c)]; };
    double smooth = 0;
    for (int64_t c = 0; c < C; ++c) smooth -= wc(c) * (at(c) - lse);  // -sum w_c log p_c
    r.wt[row] = wc(tt);
    r.loss[row] = -(1 - eps) * wc(tt) * (at(tt) - lse) + eps / C * smooth;
    for (int64_t c = 0; c < C; ++c) {
      const double pc = std::exp(at(c) - lse);
      const double d = (1 - eps) * wc(tt) * (pc - (c == tt ? 1.0 : 0.0)) + eps / C * (sum_w * pc - wc(c));
      r.grad[static_cast<size_t>(off + c * s.inner)] = d * g[static_cast<size_t>(row)];
    }
  }
  return r;
}

Tensor rows_tensor(const std::vector<double>& v, const Shape& shape) { return tensor<double>(v, shape); }

SEEK_DEVICE_TEST(CrossEntropyTest, ForwardAndBackwardEntries) {
  SEEK_REQUIRE_FAMILY(BackendFamily::Softmax);
  const CeCase cases[] = {
      {{5, 1}, 1, -100, false, 0.0},    {{6, 7}, 1, -100, true, 0.1},     {{4, 7}, 1, 3, false, 0.25},
      {{3, 1000}, 1, -100, true, 0.0},  {{3, 5000}, 1, -100, false, 0.1}, {{2, 5000}, 1, -100, true, 0.2},
      {{3, 7, 5}, 1, -100, true, 0.15}, {{2, 5, 3, 4}, 1, 2, false, 0.0}, {{7}, 0, -100, true, 0.3},
      {{33, 9}, 1, -100, false, 1.0},
  };
  const DType ct = dtype() == kFloat64 ? kFloat64 : kFloat32;
  uint64_t seed = 900;
  for (const CeCase& c : cases) {
    const std::string what =
        str(str_of(c.shape), " ignore ", c.ignore_index, c.weighted ? " weighted" : "", " smoothing ", c.smoothing);
    const int64_t C = c.shape[static_cast<size_t>(c.class_dim)];
    const Tensor x = place(random_f64(c.shape, -4, 4, ++seed), dtype(), device());
    const Tensor target = make_targets(c.shape, c.class_dim, c.ignore_index, seed);
    const Shape rows_shape = target.sizes();
    std::vector<double> w;
    if (c.weighted) w = to_vector<double>(random_f64({C}, 0.2, 2.0, ++seed));
    const Tensor weight = c.weighted ? place(tensor<double>(w, {C}), ct, device()) : Tensor();
    const CrossEntropyParams p{c.ignore_index, c.smoothing};
    const TensorOptions opts = TensorOptions(ct).device(device());
    Tensor loss = empty(rows_shape, opts), lse = empty(rows_shape, opts), wt = empty(rows_shape, opts);
    const Tensor t_dev = target.to(device());
    dev().cross_entropy_forward(x, t_dev, weight, c.class_dim, p, loss, lse, wt);

    const std::vector<double> g = to_vector<double>(random_f64(rows_shape, -1, 1, ++seed));
    const Ref r = reference(to_f64(x), target, w, c.class_dim, p, g);
    const Tolerance tol = loose_tolerance(ct);
    expect_close(loss, rows_tensor(r.loss, rows_shape), tol, what + " loss", std::log(static_cast<double>(C)) + 1);
    expect_close(lse, rows_tensor(r.lse, rows_shape), tol, what + " lse", 4.0);
    expect_close(wt, rows_tensor(r.wt, rows_shape), tolerance(ct), what + " weight_t");

    const Tensor gl = place(tensor<double>(g, rows_shape), ct, device());
    GuardedOutput gx = guarded_empty(c.shape, dtype(), device());
    dev().cross_entropy_backward(gl, x, t_dev, weight, lse, c.class_dim, p, gx.out);
    expect_close(gx.out, tensor<double>(r.grad, c.shape), loose_tolerance(dtype()), what + " grad", 1.0);
    expect_sentinels_intact(gx, what + " grad");
  }
}

SEEK_DEVICE_TEST(CrossEntropyTest, FunctionalReductionsAndGradients) {
  SEEK_REQUIRE_FAMILY(BackendFamily::Softmax);
  const Shape shape{6, 11};
  const Tensor target = make_targets(shape, 1, -100, 5);  // rows 1 and 4 ignored
  const std::vector<double> w = to_vector<double>(random_f64({11}, 0.2, 2.0, 77));
  uint64_t seed = 1200;
  for (const char* reduction : {"none", "sum", "mean"}) {
    for (bool weighted : {false, true}) {
      const std::string what = str(reduction, weighted ? " weighted" : "");
      const Tensor x = leaf(random_f64(shape, -3, 3, ++seed), dtype(), device(), Layout::Transposed);
      const Tensor x64 = to_f64(x).requires_grad_();
      const Tensor wd =
          weighted ? place(tensor<double>(w, {11}), dtype() == kFloat64 ? kFloat64 : kFloat32, device()) : Tensor();
      const Tensor w64 = weighted ? tensor<double>(w, {11}) : Tensor();
      const Tensor y = F::cross_entropy(x, target.to(device()), wd, -100, reduction, 0.1);
      const Tensor y64 = F::cross_entropy(x64, target, w64, -100, reduction, 0.1);
      EXPECT_EQ(y.dtype(), dtype()) << what << ": the logits' dtype outside autocast";
      expect_close(y, y64, loose_tolerance(dtype()), what + " loss", 3.0);
      const Tensor gy = place(random_f64(y.sizes(), -1, 1, ++seed), dtype(), device());
      expect_close(grads_of(y, gy, {x})[0], grads_of(y64, to_f64(gy), {x64})[0], loose_tolerance(dtype()),
                   what + " grad", 1.0);
    }
  }
  // Every target ignored: mean is NaN (0 / 0) as in torch, the gradient is 0.
  const Tensor x = leaf(random_f64({2, 3}, -1, 1, 9), dtype(), device());
  const Tensor all_ignored = tensor<int64_t>({-100, -100}, {2}).to(device());
  Tensor y = F::cross_entropy(x, all_ignored);
  EXPECT_TRUE(std::isnan(y.to(kCPU).to(kFloat64).item<double>()));
  y.backward();
  EXPECT_EQ(to_vector<double>(x.grad().to(kCPU).to(kFloat64)), std::vector<double>(6, 0.0));
}

SEEK_DEVICE_TEST(CrossEntropyTest, AutocastReadsHalfLogitsAndReturnsFloat) {
  SEEK_REQUIRE_FAMILY(BackendFamily::Softmax);
  if (dtype() != kFloat16 && dtype() != kBFloat16) GTEST_SKIP() << "f16/bf16 logits only";
  const Tensor x = place(random_f64({4, 9}, -3, 3, 31), dtype(), device());
  const Tensor target = tensor<int64_t>({1, 8, 0, 4}, {4});
  Tensor y;
  {
    amp::AutocastGuard guard(device().type, dtype());
    y = F::cross_entropy(x, target.to(device()));
  }
  EXPECT_EQ(y.dtype(), kFloat32);
  const Tensor y64 = F::cross_entropy(to_f64(x), target);
  expect_close(y, y64, loose_tolerance(kFloat32), "autocast loss", 3.0);
}

SEEK_INSTANTIATE_ON_DEVICES(CrossEntropyTest, kFloat64, kFloat32, kFloat16, kBFloat16);

}  // namespace
}  // namespace seek::backend_test

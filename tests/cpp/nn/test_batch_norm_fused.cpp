// The fused CPU batch-norm kernels (src/backend/cpu/cpu_norm.cpp) behind
// nn::functional::batch_norm: forward with batch statistics, backward, eval
// forward, running statistics, determinism, and the differentiable backward that
// runs when grad mode is on during backward (double backward); group norm, which
// runs them on a [1, N * groups, *] view.
// References are float64 batch norm written with plain ops, differentiated by autograd.
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "support/gradcheck_registry.h"
#include "support/test_util.h"

using namespace seek;
using seek::testing::tensor_bytes;
using seek::testing::uniform_tensor;
namespace F = seek::nn::functional;
using V = std::vector<Tensor>;

namespace {

constexpr double kEps = 1e-5;

std::vector<int64_t> stat_dims(int64_t ndim) {
  std::vector<int64_t> dims{0};
  for (int64_t d = 2; d < ndim; ++d) dims.push_back(d);
  return dims;
}

// [C] -> [1, C, 1, ...] with ndim dims.
Tensor channel(const Tensor& t, int64_t ndim) {
  Shape s(static_cast<size_t>(ndim), 1);
  s[1] = t.size(0);
  return t.reshape(s);
}

// Training-mode batch norm in float64 from plain ops (differentiable through autograd).
Tensor reference_bn(const Tensor& x, const Tensor& w, const Tensor& b, double eps = kEps) {
  const std::vector<int64_t> dims = stat_dims(x.dim());
  Tensor mean = x.mean(dims, /*keepdim=*/true);
  Tensor centered = x - mean;
  Tensor var = (centered * centered).mean(dims, /*keepdim=*/true);
  Tensor y = centered * (var + eps).rsqrt();
  if (w.defined()) y = y * channel(w, x.dim());
  if (b.defined()) y = y + channel(b, x.dim());
  return y;
}

Tensor f64_leaf(const Tensor& t) { return t.defined() ? t.detach().to(kFloat64).requires_grad_(true) : Tensor(); }

// Every element within atol + rtol * |expected|; reports the first that is not.
void expect_close(const Tensor& actual, const Tensor& expected, double atol, double rtol, const std::string& what) {
  ASSERT_TRUE(actual.defined()) << what << ": undefined";
  ASSERT_EQ(actual.sizes(), expected.sizes()) << what;
  Tensor a = actual.detach().to(kFloat64).contiguous(), e = expected.detach().to(kFloat64).contiguous();
  const double* pa = a.data_ptr<double>();
  const double* pe = e.data_ptr<double>();
  for (int64_t i = 0; i < a.numel(); ++i) {
    if (!(std::fabs(pa[i] - pe[i]) <= atol + rtol * std::fabs(pe[i]))) {
      ADD_FAILURE() << what << ": element " << i << " is " << pa[i] << ", expected " << pe[i];
      return;
    }
  }
}

struct Grads {
  Tensor y, gx, gw, gb;
};

// Forward and backward through F::batch_norm (training) with grad_out g; inputs are copied into leaves.
Grads run_bn(const Tensor& x_in, const Tensor& w_in, const Tensor& b_in, const Tensor& g) {
  Tensor x = x_in.detach().clone().requires_grad_(true);
  Tensor w = w_in.defined() ? w_in.detach().clone().requires_grad_(true) : Tensor();
  Tensor b = b_in.defined() ? b_in.detach().clone().requires_grad_(true) : Tensor();
  const int64_t c = x.size(1);
  Tensor rm = zeros({c}), rv = ones({c});
  Tensor y = F::batch_norm(x, rm, rv, w, b, /*training=*/true);
  y.backward(g);
  return {y.detach(), x.grad(), w.defined() ? w.grad() : Tensor(), b.defined() ? b.grad() : Tensor()};
}

// The float64 reference of run_bn.
Grads reference_grads(const Tensor& x_in, const Tensor& w_in, const Tensor& b_in, const Tensor& g) {
  Tensor x = f64_leaf(x_in), w = f64_leaf(w_in), b = f64_leaf(b_in);
  Tensor y = reference_bn(x, w, b);
  y.backward(g.to(kFloat64));
  return {y.detach(), x.grad(), w.defined() ? w.grad() : Tensor(), b.defined() ? b.grad() : Tensor()};
}

void expect_matches_reference(const Tensor& x, const Tensor& w, const Tensor& b, const Tensor& g, double atol,
                              double rtol, const std::string& what) {
  const Grads got = run_bn(x, w, b, g), ref = reference_grads(x, w, b, g);
  EXPECT_EQ(got.y.dtype(), x.dtype()) << what;
  expect_close(got.y, ref.y, atol, rtol, what + " output");
  expect_close(got.gx, ref.gx, atol, rtol, what + " grad_input");
  if (w.defined()) expect_close(got.gw, ref.gw, atol * x.numel() / x.size(1), rtol, what + " grad_weight");
  if (b.defined()) expect_close(got.gb, ref.gb, atol * x.numel() / x.size(1), rtol, what + " grad_bias");
}

std::string shape_name(const Shape& s) {
  std::ostringstream os;
  os << shape_str(s);
  return os.str();
}

}  // namespace

// ---------------------------------------------------------------- forward and backward

TEST(BatchNormFused, HandDerivedForward) {
  // One channel 1, 2, 3, 4: mean 2.5, biased variance 1.25; weight 2, bias 0.5.
  Tensor x = tensor<float>({1, 2, 3, 4}, {4, 1});
  Tensor y = F::batch_norm(x, Tensor(), Tensor(), full({1}, 2.0f), full({1}, 0.5f), /*training=*/true);
  const double s = 2.0 / std::sqrt(1.25 + kEps);
  expect_close(y, tensor<double>({-1.5 * s + 0.5, -0.5 * s + 0.5, 0.5 * s + 0.5, 1.5 * s + 0.5}, {4, 1}), 1e-6, 1e-6,
               "hand-derived");
}

TEST(BatchNormFused, MatchesFloat64ReferenceOnManyShapes) {
  // [N, C] (1-D), [N, C, L], odd spatial sizes (spans with a tail), C >= 16 (one task per
  // channel) and few channels with a large batch (channels split over batch blocks).
  const std::vector<Shape> shapes{{7, 5}, {4, 3, 9}, {3, 5, 7, 9}, {2, 17, 5, 4}, {64, 2, 32, 32}, {300, 3}};
  uint64_t seed = 11;
  for (const Shape& s : shapes) {
    const int64_t c = s[1];
    Tensor x = uniform_tensor(s, -2.0, 3.0, kFloat32, seed++);
    Tensor w = uniform_tensor({c}, 0.5, 1.5, kFloat32, seed++), b = uniform_tensor({c}, -1.0, 1.0, kFloat32, seed++);
    Tensor g = uniform_tensor(s, -1.0, 1.0, kFloat32, seed++);
    expect_matches_reference(x, w, b, g, 2e-5, 1e-4, "f32 " + shape_name(s));
  }
}

TEST(BatchNormFused, Float64IsComputedInFloat64) {
  for (const Shape& s : std::vector<Shape>{{6, 4}, {3, 5, 7, 9}, {64, 2, 32, 32}}) {
    Tensor x = uniform_tensor(s, -2.0, 3.0, kFloat64, 21);
    Tensor w = uniform_tensor({s[1]}, 0.5, 1.5, kFloat64, 22), b = uniform_tensor({s[1]}, -1.0, 1.0, kFloat64, 23);
    Tensor g = uniform_tensor(s, -1.0, 1.0, kFloat64, 24);
    expect_matches_reference(x, w, b, g, 1e-11, 1e-11, "f64 " + shape_name(s));
  }
}

TEST(BatchNormFused, NoAffine) {
  const Shape s{5, 3, 4, 3};
  Tensor x = uniform_tensor(s, -1.0, 2.0, kFloat32, 31), g = uniform_tensor(s, -1.0, 1.0, kFloat32, 32);
  expect_matches_reference(x, Tensor(), Tensor(), g, 2e-5, 1e-4, "no affine");
  // Bias only (functional API) and weight only.
  Tensor w = uniform_tensor({3}, 0.5, 1.5, kFloat32, 33), b = uniform_tensor({3}, -1.0, 1.0, kFloat32, 34);
  expect_matches_reference(x, Tensor(), b, g, 2e-5, 1e-4, "bias only");
  expect_matches_reference(x, w, Tensor(), g, 2e-5, 1e-4, "weight only");
}

TEST(BatchNormFused, InputFarFromZeroKeepsItsVariance) {
  // Values 1000 + [-1, 1): a one-pass float variance would cancel catastrophically.
  const Shape s{32, 4, 9};
  Tensor x = uniform_tensor(s, 999.0, 1001.0, kFloat32, 41), g = uniform_tensor(s, -1.0, 1.0, kFloat32, 42);
  Tensor w = uniform_tensor({4}, 0.5, 1.5, kFloat32, 43), b = uniform_tensor({4}, -1.0, 1.0, kFloat32, 44);
  expect_matches_reference(x, w, b, g, 5e-4, 1e-3, "offset input");
}

TEST(BatchNormFused, NonContiguousInputAndGradOut) {
  // A permuted view [3, 5, 4, 6] of contiguous [5, 3, 4, 6] data, and a transposed grad_out.
  Tensor base = uniform_tensor({5, 3, 4, 6}, -2.0, 2.0, kFloat32, 51);
  Tensor x = base.permute({1, 0, 2, 3});
  ASSERT_FALSE(x.is_contiguous());
  Tensor g = uniform_tensor({3, 5, 6, 4}, -1.0, 1.0, kFloat32, 52).transpose(2, 3);
  Tensor w = uniform_tensor({5}, 0.5, 1.5, kFloat32, 53), b = uniform_tensor({5}, -1.0, 1.0, kFloat32, 54);
  expect_matches_reference(x, w, b, g, 2e-5, 1e-4, "non-contiguous");
  // The same values, contiguous: bit-identical results.
  const Grads nc = run_bn(x, w, b, g), c = run_bn(x.contiguous(), w, b, g.contiguous());
  EXPECT_EQ(tensor_bytes(nc.y), tensor_bytes(c.y));
  EXPECT_EQ(tensor_bytes(nc.gx), tensor_bytes(c.gx));
  EXPECT_EQ(tensor_bytes(nc.gw), tensor_bytes(c.gw));
}

TEST(BatchNormFused, ExpandedGradOutFromSum) {
  // y.sum().backward() hands batch norm an expanded (stride 0) grad_out; with all-ones gy the
  // input gradient is w * invstd * (1 - 1 - xhat * mean(xhat)) = 0 and grad_bias = n.
  Tensor x = uniform_tensor({4, 3, 5}, -1.0, 1.0, kFloat32, 61).requires_grad_(true);
  Tensor w = full({3}, 1.5f).requires_grad_(true), b = zeros({3}).requires_grad_(true);
  F::batch_norm(x, Tensor(), Tensor(), w, b, /*training=*/true).sum().backward();
  expect_close(x.grad(), zeros({4, 3, 5}), 1e-5, 0.0, "grad_input");
  expect_close(b.grad(), full({3}, 20.0), 0.0, 0.0, "grad_bias");
  expect_close(w.grad(), zeros({3}), 1e-4, 0.0, "grad_weight");  // sum(xhat) = 0
}

TEST(BatchNormFused, BFloat16AndFloat16RunInFloat32) {
  const Shape s{6, 3, 5, 4};
  for (DType dt : {kBFloat16, kFloat16}) {
    Tensor x = uniform_tensor(s, -2.0, 2.0, dt, 71), g = uniform_tensor(s, -1.0, 1.0, dt, 72);
    Tensor w = uniform_tensor({3}, 0.5, 1.5, dt, 73), b = uniform_tensor({3}, -1.0, 1.0, dt, 74);
    const Grads got = run_bn(x, w, b, g);
    EXPECT_EQ(got.gx.dtype(), dt);
    EXPECT_EQ(got.gw.dtype(), dt);
    // The reference sees the same rounded inputs; the outputs are rounded once more.
    const double tol = dt == kBFloat16 ? 2e-2 : 4e-3;
    expect_matches_reference(x, w, b, g, tol, tol, std::string(dtype_name(dt)));
  }
}

TEST(BatchNormFused, OnlyWeightRequiresGrad) {
  Tensor x = uniform_tensor({4, 2, 3}, -1.0, 1.0, kFloat32, 81), g = uniform_tensor({4, 2, 3}, -1.0, 1.0, kFloat32, 82);
  Tensor w = full({2}, 0.7f).requires_grad_(true);
  F::batch_norm(x, Tensor(), Tensor(), w, Tensor(), /*training=*/true).backward(g);
  EXPECT_FALSE(x.grad().defined());
  const Grads ref = reference_grads(x, w, Tensor(), g);
  expect_close(w.grad(), ref.gw, 1e-5, 1e-4, "grad_weight");
}

TEST(BatchNormFused, SavedInputModifiedInPlaceIsCaught) {
  Tensor leaf = uniform_tensor({4, 2, 3}, -1.0, 1.0, kFloat32, 91).requires_grad_(true);
  Tensor x = leaf * 2.0;
  Tensor y = F::batch_norm(x, Tensor(), Tensor(), Tensor(), Tensor(), /*training=*/true);
  {
    NoGradGuard no_grad;
    x.add_(1.0);
  }
  EXPECT_SEEK_ERROR_ALL(y.sum().backward(), AutogradError, {"modified by an inplace operation", "[4, 2, 3]"});
}

// ---------------------------------------------------------------- running statistics

TEST(BatchNormFused, RunningStatsFollowMomentum) {
  const Shape s{6, 3, 5};
  Tensor x = uniform_tensor(s, -1.0, 2.0, kFloat32, 101);
  Tensor rm0 = uniform_tensor({3}, -0.5, 0.5, kFloat32, 102), rv0 = uniform_tensor({3}, 0.5, 2.0, kFloat32, 103);
  Tensor rm = rm0.clone(), rv = rv0.clone(), nbt = zeros({}, kInt64);
  (void)F::batch_norm(x, rm, rv, Tensor(), Tensor(), /*training=*/true, 0.1, kEps, nbt);
  Tensor x64 = x.to(kFloat64);
  Tensor mean = x64.mean({0, 2});
  Tensor var_unbiased = x64.var({0, 2}, /*correction=*/1);
  expect_close(rm, rm0.to(kFloat64) * 0.9 + mean * 0.1, 1e-6, 1e-6, "running_mean");
  expect_close(rv, rv0.to(kFloat64) * 0.9 + var_unbiased * 0.1, 1e-6, 1e-6, "running_var");
  EXPECT_EQ(nbt.item<int64_t>(), 1);
}

TEST(BatchNormFused, CumulativeAverageWithoutMomentum) {
  Tensor x1 = uniform_tensor({5, 2, 4}, -1.0, 2.0, kFloat32, 111),
         x2 = uniform_tensor({5, 2, 4}, 0.0, 3.0, kFloat32, 112);
  Tensor rm = zeros({2}), rv = ones({2}), nbt = zeros({}, kInt64);
  (void)F::batch_norm(x1, rm, rv, Tensor(), Tensor(), true, std::nullopt, kEps, nbt);
  (void)F::batch_norm(x2, rm, rv, Tensor(), Tensor(), true, std::nullopt, kEps, nbt);
  EXPECT_EQ(nbt.item<int64_t>(), 2);
  auto mean = [](const Tensor& x) { return x.to(kFloat64).mean({0, 2}); };
  auto var = [](const Tensor& x) { return x.to(kFloat64).var({0, 2}, /*correction=*/1); };
  expect_close(rm, (mean(x1) + mean(x2)) * 0.5, 1e-6, 1e-6, "running_mean");
  expect_close(rv, (var(x1) + var(x2)) * 0.5, 1e-6, 1e-6, "running_var");
}

TEST(BatchNormFused, ModuleTrainStepThenEval) {
  // BatchNorm2d: a training step updates the buffers; eval mode then uses them (fused eval kernel).
  nn::BatchNorm2d bn(3);
  Tensor x = uniform_tensor({4, 3, 5, 5}, -1.0, 3.0, kFloat32, 121);
  (void)bn.forward(x);
  Tensor rm = bn.buffer("running_mean"), rv = bn.buffer("running_var");
  expect_close(rm, x.to(kFloat64).mean({0, 2, 3}) * 0.1, 1e-6, 1e-6, "running_mean");
  expect_close(rv, x.to(kFloat64).var({0, 2, 3}, 1) * 0.1 + 0.9, 1e-6, 1e-6, "running_var");
  bn.eval();
  Tensor y = bn.forward(x);
  Tensor ref = (x.to(kFloat64) - channel(rm.to(kFloat64), 4)) / (channel(rv.to(kFloat64), 4) + kEps).sqrt();
  expect_close(y, ref, 1e-5, 1e-5, "eval output");
}

// ---------------------------------------------------------------- eval mode

TEST(BatchNormFused, EvalMatchesReferenceWithAndWithoutGrad) {
  const Shape s{3, 4, 5, 6};
  Tensor x = uniform_tensor(s, -2.0, 2.0, kFloat32, 131);
  Tensor rm = uniform_tensor({4}, -0.5, 0.5, kFloat32, 132), rv = uniform_tensor({4}, 0.5, 2.0, kFloat32, 133);
  Tensor w = uniform_tensor({4}, 0.5, 1.5, kFloat32, 134), b = uniform_tensor({4}, -1.0, 1.0, kFloat32, 135);
  auto c64 = [](const Tensor& t) { return channel(t.to(kFloat64), 4); };
  Tensor scale = c64(w) / (c64(rv) + kEps).sqrt();
  Tensor ref = (x.to(kFloat64) - c64(rm)) * scale + c64(b);
  Tensor y = F::batch_norm(x, rm, rv, w, b, /*training=*/false);  // no grad needed: fused kernel
  expect_close(y, ref, 1e-5, 1e-5, "eval");
  Tensor xg = x.clone().requires_grad_(true);  // gradient wanted: differentiable ops
  Tensor yg = F::batch_norm(xg, rm, rv, w, b, /*training=*/false);
  expect_close(yg, ref, 1e-5, 1e-5, "eval with grad");
  yg.backward(ones(s));
  expect_close(xg.grad(), scale.expand(s), 1e-6, 1e-6, "eval grad_input");
  // Without affine, f64.
  Tensor y64 = F::batch_norm(x.to(kFloat64), rm, rv, Tensor(), Tensor(), false);
  expect_close(y64, (x.to(kFloat64) - c64(rm)) / (c64(rv) + kEps).sqrt(), 1e-12, 1e-12, "eval f64");
}

// ---------------------------------------------------------------- determinism

TEST(BatchNormFused, BitIdenticalAcrossRunsAndThreadCounts) {
  // One task per channel ([8, 16, 9, 9]) and channels split over batch blocks ([64, 2, 32, 32]).
  for (const Shape& s : std::vector<Shape>{{8, 16, 9, 9}, {64, 2, 32, 32}}) {
    Tensor x = uniform_tensor(s, -2.0, 3.0, kFloat32, 141), g = uniform_tensor(s, -1.0, 1.0, kFloat32, 142);
    Tensor w = uniform_tensor({s[1]}, 0.5, 1.5, kFloat32, 143), b = uniform_tensor({s[1]}, -1.0, 1.0, kFloat32, 144);
    const Grads first = run_bn(x, w, b, g), again = run_bn(x, w, b, g);
    const int threads = omp_get_max_threads();
    omp_set_num_threads(1);
    const Grads serial = run_bn(x, w, b, g);
    omp_set_num_threads(threads);
    for (const Grads* other : {&again, &serial}) {
      EXPECT_EQ(tensor_bytes(first.y), tensor_bytes(other->y)) << shape_name(s);
      EXPECT_EQ(tensor_bytes(first.gx), tensor_bytes(other->gx)) << shape_name(s);
      EXPECT_EQ(tensor_bytes(first.gw), tensor_bytes(other->gw)) << shape_name(s);
      EXPECT_EQ(tensor_bytes(first.gb), tensor_bytes(other->gb)) << shape_name(s);
    }
  }
}

// ---------------------------------------------------------------- backward with grad mode on

namespace {

// The gradients batch norm's backward node returns for grad_out g, computed with grad mode
// on (as a differentiable backward would run): x[0] input, x[1] weight, x[2] grad_out.
V bn_backward_with_grad(const V& x) {
  EnableGradGuard grad_on;  // gradcheck evaluates this under NoGradGuard too
  const int64_t c = x[0].size(1);
  Tensor rm = zeros({c}, kFloat64), rv = ones({c}, kFloat64);
  Tensor out = F::batch_norm(x[0], rm, rv, x[1], Tensor(), /*training=*/true);
  return out.grad_fn()->apply(V{x[2]});
}

}  // namespace

// Second derivatives: the backward's own gradients against finite differences of the backward.
SEEK_GRADCHECK_CASE({"nn_batch_norm_double_backward_input", {{3, 2, 4}, {2}, {3, 2, 4}}, [](const V& x) {
                       return bn_backward_with_grad(x)[0];
                     }});
SEEK_GRADCHECK_CASE({"nn_batch_norm_double_backward_weight", {{4, 3}, {3}, {4, 3}}, [](const V& x) {
                       return bn_backward_with_grad(x)[1];
                     }});

TEST(BatchNormFused, GradModeBackwardMatchesFusedBackward) {
  const Shape s{5, 3, 7};
  Tensor x = uniform_tensor(s, -2.0, 2.0, kFloat64, 151).requires_grad_(true);
  Tensor w = uniform_tensor({3}, 0.5, 1.5, kFloat64, 152).requires_grad_(true);
  Tensor g = uniform_tensor(s, -1.0, 1.0, kFloat64, 153);
  Tensor out = F::batch_norm(x, Tensor(), Tensor(), w, Tensor(), /*training=*/true);
  V fused;
  {
    NoGradGuard no_grad;  // as the engine runs it: the fused kernel
    fused = out.grad_fn()->apply(V{g});
  }
  V with_grad;
  {
    EnableGradGuard grad_on;
    with_grad = out.grad_fn()->apply(V{g});
  }
  EXPECT_FALSE(fused[0].requires_grad());
  EXPECT_TRUE(with_grad[0].requires_grad());  // recorded: differentiable once more
  expect_close(fused[0], with_grad[0], 1e-12, 1e-10, "grad_input");
  expect_close(fused[1], with_grad[1], 1e-12, 1e-10, "grad_weight");
  EXPECT_FALSE(fused[2].defined());  // no bias
}

// ---------------------------------------------------------------- group norm (batch norm of a view)

namespace {

Tensor reference_group_norm(const Tensor& x, int64_t groups, const Tensor& w, const Tensor& b) {
  const int64_t n = x.size(0);
  Tensor v = x.reshape({n, groups, -1});
  Tensor mean = v.mean({2}, /*keepdim=*/true);
  Tensor centered = v - mean;
  Tensor var = (centered * centered).mean({2}, /*keepdim=*/true);
  Tensor y = (centered * (var + kEps).rsqrt()).reshape(x.sizes());
  if (w.defined()) y = y * channel(w, x.dim());
  if (b.defined()) y = y + channel(b, x.dim());
  return y;
}

}  // namespace

TEST(BatchNormFused, GroupNormMatchesFloat64Reference) {
  struct Case {
    Shape shape;
    int64_t groups;
    bool affine;
  };
  // The last case has one value per group: the ops path (zeros, plus bias).
  for (const Case& k : std::vector<Case>{{{2, 6, 5, 3}, 3, true}, {{3, 4, 7}, 2, false}, {{5, 8}, 8, true}}) {
    const int64_t c = k.shape[1];
    Tensor x = uniform_tensor(k.shape, -2.0, 3.0, kFloat32, 171).requires_grad_(true);
    Tensor w = k.affine ? uniform_tensor({c}, 0.5, 1.5, kFloat32, 172).requires_grad_(true) : Tensor();
    Tensor b = k.affine ? uniform_tensor({c}, -1.0, 1.0, kFloat32, 173).requires_grad_(true) : Tensor();
    Tensor g = uniform_tensor(k.shape, -1.0, 1.0, kFloat32, 174);
    Tensor y = F::group_norm(x, k.groups, w, b, kEps);
    y.backward(g);
    Tensor x64 = f64_leaf(x), w64 = f64_leaf(w), b64 = f64_leaf(b);
    Tensor ref = reference_group_norm(x64, k.groups, w64, b64);
    ref.backward(g.to(kFloat64));
    const std::string what = "group_norm " + shape_name(k.shape);
    expect_close(y, ref, 2e-5, 1e-4, what + " output");
    expect_close(x.grad(), x64.grad(), 2e-5, 1e-4, what + " grad_input");
    if (k.affine) {
      expect_close(w.grad(), w64.grad(), 1e-4, 1e-4, what + " grad_weight");
      expect_close(b.grad(), b64.grad(), 1e-4, 1e-4, what + " grad_bias");
    }
  }
}

// ---------------------------------------------------------------- bad input

TEST(BatchNormFused, BackendRejectsBadOutputs) {
  Backend& be = backend(kCPU);
  Tensor x = uniform_tensor({4, 3}, -1.0, 1.0, kFloat32, 161);
  Tensor mean = empty({3}), invstd = empty({3});
  EXPECT_SEEK_ERROR_ALL(be.batch_norm_forward_train(x, Tensor(), Tensor(), kEps, empty({3, 4}), mean, invstd, Tensor()),
                        ShapeError, {"batch_norm", "out must have shape [4, 3]", "got shape [3, 4]"});
  EXPECT_SEEK_ERROR_ALL(
      be.batch_norm_forward_train(x, Tensor(), Tensor(), kEps, empty({4, 3}, kFloat64), mean, invstd, Tensor()),
      DTypeError, {"batch_norm", "out must have dtype float32", "got float64"});
  EXPECT_SEEK_ERROR_ALL(be.batch_norm_forward_train(ones({4, 3}, kInt64), Tensor(), Tensor(), kEps,
                                                    empty({4, 3}, kInt64), mean, invstd, Tensor()),
                        DTypeError, {"batch_norm", "expected a floating input", "int64"});
  EXPECT_SEEK_ERROR_ALL(
      be.batch_norm_forward_train(x, ones({4}), Tensor(), kEps, empty({4, 3}), mean, invstd, Tensor()), ShapeError,
      {"batch_norm", "per-channel tensor of 3 values", "[4]"});
  EXPECT_SEEK_ERROR_ALL(
      be.batch_norm_backward(empty({4, 2}), x, Tensor(), mean, invstd, empty({4, 3}), Tensor(), Tensor()), ShapeError,
      {"batch_norm_backward", "grad_out has shape [4, 2]", "input has shape [4, 3]"});
  EXPECT_SEEK_ERROR_ALL(be.batch_norm_forward_eval(ones({4}), Tensor(), Tensor(), Tensor(), Tensor(), kEps, empty({4})),
                        ShapeError, {"batch_norm", "expected input of shape [N, C, *]", "[4]"});
}

TEST(BatchNormFused, BackendWithoutTheNormFamilyThrowsDeviceError) {
  struct NoNormBackend final : Backend {
    DeviceType type() const override { return DeviceType::CUDA; }
  } no_norm;
  Tensor x = ones({2, 2}), t = empty({2});
  EXPECT_SEEK_ERROR_ALL(no_norm.batch_norm_forward_train(x, Tensor(), Tensor(), kEps, empty({2, 2}), t, t, Tensor()),
                        DeviceError, {"batch_norm", "the cuda backend has no kernel", "move the tensors to the CPU"});
  EXPECT_SEEK_ERROR_ALL(no_norm.batch_norm_backward(x, x, Tensor(), t, t, empty({2, 2}), Tensor(), Tensor()),
                        DeviceError, {"batch_norm_backward", "the cuda backend has no kernel"});
  EXPECT_SEEK_ERROR_ALL(no_norm.batch_norm_forward_eval(x, t, t, Tensor(), Tensor(), kEps, empty({2, 2})), DeviceError,
                        {"batch_norm", "the cuda backend has no kernel"});
}

TEST(BatchNormFused, FunctionalRejectsOneValuePerChannel) {
  EXPECT_SEEK_ERROR_ALL(F::batch_norm(ones({1, 3}), Tensor(), Tensor(), Tensor(), Tensor(), true), ValueError,
                        {"batch_norm", "more than 1 value per channel", "[1, 3]"});
}

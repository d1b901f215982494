// The fused optimizer family (seek/ops/optim.h, cpu_optim.cpp) against the per-op step it
// replaces: the same optimizer run fused and op by op (set_fused(false)) on identical parameters
// and gradients (several tensors of odd sizes, one larger than a kernel chunk, non-contiguous
// gradients, some parameters without a gradient on some steps) must agree in parameters and
// state after several steps, for every option combination; the gradient norm and the
// GradScaler's unscale-and-check against per-tensor computations, with injected inf and NaN.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "seek/seek.h"
#include "support/test_util.h"

using namespace seek;
using namespace seek::optim;

namespace {

// Odd sizes; 129 x 131 spans two 16384-element chunks of the CPU kernel.
const std::vector<Shape> kShapes = {{7}, {3, 5}, {129, 131}, {1}, {2, 3, 5}};

std::vector<Tensor> make_params(DType dt) {
  manual_seed(11);
  std::vector<Tensor> ps;
  for (const auto& s : kShapes) ps.push_back(randn(s, TensorOptions(dt)).requires_grad_());
  return ps;
}

std::vector<Tensor> copies(const std::vector<Tensor>& ps) {
  std::vector<Tensor> out;
  for (const auto& p : ps) out.push_back(p.detach().clone().requires_grad_());
  return out;
}

// Gradients for step `step`: random, 2-D ones non-contiguous (a transposed view); parameter 3
// gets none on odd steps, so step counts differ between parameters.
void set_grads(std::vector<Tensor>& a, std::vector<Tensor>& b, int step) {
  manual_seed(100 + step);
  for (size_t i = 0; i < a.size(); ++i) {
    if (i == 3 && step % 2 == 1) {
      a[i].set_grad(Tensor());
      b[i].set_grad(Tensor());
      continue;
    }
    Tensor g;
    if (a[i].dim() == 2)
      g = randn({a[i].size(1), a[i].size(0)}, TensorOptions(a[i].dtype())).t();
    else
      g = randn(a[i].sizes(), TensorOptions(a[i].dtype()));
    a[i].set_grad(g);
    b[i].set_grad(g.clone());
  }
}

// |a - b| <= tol * (1 + max |b|) elementwise: a few ulps of the tensor's scale, compounded over the
// steps (momentum buffers sum terms of either sign, so an element can be far below the terms' scale).
void expect_close(const Tensor& a, const Tensor& b, const std::string& what) {
  ASSERT_EQ(a.sizes(), b.sizes()) << what;
  const double tol = a.dtype() == kFloat64 ? 1e-13 : 2e-6;
  Tensor x = a.to(kFloat64).contiguous(), y = b.to(kFloat64).contiguous();
  const double* p = x.data_ptr<double>();
  const double* q = y.data_ptr<double>();
  double scale = 0;
  for (int64_t i = 0; i < y.numel(); ++i) scale = std::max(scale, std::abs(q[i]));
  int bad = 0;
  for (int64_t i = 0; i < x.numel() && bad < 5; ++i)
    if (!(std::abs(p[i] - q[i]) <= tol * (1 + scale))) {
      ADD_FAILURE() << what << " [" << i << "]: fused " << p[i] << " vs per-op " << q[i];
      ++bad;
    }
}

using Factory = std::function<std::unique_ptr<Optimizer>(std::vector<Tensor>)>;

// Runs `steps` steps fused and per-op and compares parameters and the whole state_dict.
void compare(const Factory& make, DType dt, const std::string& name, int steps = 6) {
  std::vector<Tensor> pa = make_params(dt), pb = copies(pa);
  auto fused = make(pa);
  auto reference = make(pb);
  reference->set_fused(false);
  ASSERT_TRUE(fused->fused());
  for (int s = 0; s < steps; ++s) {
    set_grads(pa, pb, s);
    fused->step();
    reference->step();
  }
  for (size_t i = 0; i < pa.size(); ++i) expect_close(pa[i], pb[i], name + " param " + std::to_string(i));
  auto sa = fused->state_dict(), sb = reference->state_dict();
  ASSERT_EQ(sa.size(), sb.size()) << name;
  for (size_t k = 0; k < sa.size(); ++k) {
    ASSERT_EQ(sa[k].first, sb[k].first) << name;
    expect_close(sa[k].second, sb[k].second, name + " " + sa[k].first);
  }
}

class FusedOptim : public ::testing::TestWithParam<DType> {};

TEST_P(FusedOptim, SgdEqualsPerOpStep) {
  struct Case {
    double momentum, dampening, weight_decay;
    bool nesterov, maximize;
  };
  for (const Case c :
       {Case{0, 0, 0, false, false}, Case{0, 0, 1e-2, false, true}, Case{0.9, 0, 0, false, false},
        Case{0.9, 0.1, 5e-3, false, true}, Case{0.9, 0, 1e-2, true, false}, Case{0.9, 0, 1e-2, true, true}}) {
    const std::string name = "SGD m" + std::to_string(c.momentum) + " d" + std::to_string(c.dampening) + " wd" +
                             std::to_string(c.weight_decay) + (c.nesterov ? " nesterov" : "") +
                             (c.maximize ? " maximize" : "");
    compare(
        [&](std::vector<Tensor> ps) -> std::unique_ptr<Optimizer> {
          return std::make_unique<SGD>(ps, SGDOptions(0.05)
                                               .momentum_(c.momentum)
                                               .dampening_(c.dampening)
                                               .weight_decay_(c.weight_decay)
                                               .nesterov_(c.nesterov)
                                               .maximize_(c.maximize));
        },
        GetParam(), name);
  }
}

TEST_P(FusedOptim, AdamAndAdamWEqualPerOpStep) {
  for (bool amsgrad : {false, true}) {
    for (double wd : {0.0, 0.05}) {
      const bool maximize = amsgrad && wd > 0;
      const std::string tag =
          std::string(amsgrad ? " amsgrad" : "") + " wd" + std::to_string(wd) + (maximize ? " maximize" : "");
      compare(
          [&](std::vector<Tensor> ps) -> std::unique_ptr<Optimizer> {
            return std::make_unique<Adam>(
                ps, AdamOptions(0.01).betas(0.8, 0.95).weight_decay_(wd).amsgrad_(amsgrad).maximize_(maximize));
          },
          GetParam(), "Adam" + tag);
      compare(
          [&](std::vector<Tensor> ps) -> std::unique_ptr<Optimizer> {
            return std::make_unique<AdamW>(ps,
                                           AdamWOptions(0.01).weight_decay_(wd).amsgrad_(amsgrad).maximize_(maximize));
          },
          GetParam(), "AdamW" + tag);
    }
  }
}

TEST_P(FusedOptim, RmspropEqualsPerOpStep) {
  for (bool centered : {false, true}) {
    for (double momentum : {0.0, 0.9}) {
      for (double wd : {0.0, 0.01}) {
        const bool maximize = centered && wd > 0;
        const std::string name = std::string("RMSprop") + (centered ? " centered" : "") + " m" +
                                 std::to_string(momentum) + " wd" + std::to_string(wd) + (maximize ? " maximize" : "");
        compare(
            [&](std::vector<Tensor> ps) -> std::unique_ptr<Optimizer> {
              return std::make_unique<RMSprop>(
                  ps,
                  RMSpropOptions(0.01).centered_(centered).momentum_(momentum).weight_decay_(wd).maximize_(maximize));
            },
            GetParam(), name);
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Dtypes, FusedOptim, ::testing::Values(kFloat32, kFloat64),
                         [](const auto& info) { return std::string(dtype_name(info.param)); });

// maximize flips the gradient: one fused step with maximize equals one with the negated grads.
TEST(FusedOptimOps, MaximizeEqualsNegatedGradient) {
  NoGradGuard no_grad;
  manual_seed(3);
  std::vector<Tensor> pa = {randn({40}), randn({3, 7})}, pb = {pa[0].clone(), pa[1].clone()};
  std::vector<Tensor> grads = {randn({40}), randn({3, 7})}, neg = {grads[0].neg(), grads[1].neg()};
  OptimHyper h;
  h.lr = 0.1;
  h.weight_decay = 0.01;
  std::vector<Tensor> ma = {zeros({40}), zeros({3, 7})}, va = {zeros({40}), zeros({3, 7})};
  std::vector<Tensor> mb = {zeros({40}), zeros({3, 7})}, vb = {zeros({40}), zeros({3, 7})};
  OptimHyper hm = h;
  hm.maximize = true;
  ASSERT_TRUE(fused_adam_(pa, grads, ma, va, {}, {1, 1}, hm));
  ASSERT_TRUE(fused_adam_(pb, neg, mb, vb, {}, {1, 1}, h));
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_TRUE(equal(pa[i], pb[i]));
    EXPECT_TRUE(equal(ma[i], mb[i]));
  }
  ASSERT_TRUE(fused_sgd_(pa, grads, {}, {}, hm));
  ASSERT_TRUE(fused_sgd_(pb, neg, {}, {}, h));
  for (size_t i = 0; i < 2; ++i) EXPECT_TRUE(equal(pa[i], pb[i]));
}

TEST(FusedOptimOps, BumpsVersionsAndFallsBackWhereTheKernelCannotRun) {
  NoGradGuard no_grad;
  Tensor p = randn({4, 6}), g = randn({4, 6}), buf = zeros({4, 6});
  OptimHyper h;
  h.lr = 0.1;
  h.momentum = 0.9;
  const uint64_t vp = p.version(), vb = buf.version();
  ASSERT_TRUE(fused_sgd_({p}, {g}, {buf}, {0}, h));
  EXPECT_GT(p.version(), vp);
  EXPECT_GT(buf.version(), vb);
  // A parameter with gaps (not dense), a dense one whose state is laid out otherwise, a float16 parameter
  // and mixed dtypes go to the per-op path.
  Tensor pg = randn({4, 6, 2}).select(2, 0);
  Tensor before_pg = pg.clone();
  EXPECT_FALSE(fused_sgd_({pg}, {randn({4, 6})}, {zeros({4, 6})}, {1}, h));
  EXPECT_TRUE(equal(pg, before_pg));
  Tensor pt = randn({6, 4}).t();
  Tensor before = pt.clone();
  EXPECT_FALSE(fused_sgd_({pt}, {g}, {zeros({4, 6})}, {1}, h));
  EXPECT_TRUE(equal(pt, before));
  Tensor ph = randn({5}).to(kFloat16);
  EXPECT_FALSE(fused_sgd_({ph}, {randn({5}).to(kFloat16)}, {zeros({5}).to(kFloat16)}, {1}, h));
  EXPECT_FALSE(fused_sgd_({p, randn({3}, TensorOptions(kFloat64))}, {g, randn({3}, TensorOptions(kFloat64))},
                          {buf, zeros({3}, TensorOptions(kFloat64))}, {0, 1}, h));
}

TEST(FusedOptimOps, BadListsAreErrors) {
  Tensor p = randn({3}), g = randn({3});
  OptimHyper h;
  h.momentum = 0.9;
  {
    NoGradGuard no_grad;
    EXPECT_SEEK_ERROR_ALL(fused_sgd_({p, p}, {g}, {}, {}, OptimHyper()), ValueError,
                          {"fused_sgd_", "2 parameters", "1 gradients"});
    EXPECT_SEEK_ERROR_ALL(fused_sgd_({p}, {randn({4})}, {}, {}, OptimHyper()), ShapeError,
                          {"fused_sgd_", "gradients 0", "[4]", "[3]"});
    EXPECT_SEEK_ERROR_ALL(fused_sgd_({p}, {g}, {}, {}, h), ValueError, {"momentum buffers"});
    EXPECT_SEEK_ERROR_ALL(fused_adam_({p}, {g}, {zeros({3})}, {zeros({3})}, {}, {0}, OptimHyper()), ValueError,
                          {"fused_adam_", "step counts must be >= 1"});
    EXPECT_SEEK_ERROR_ALL(fused_total_norm({g}, -1.0), ValueError, {"fused_total_norm", "norm_type"});
    EXPECT_SEEK_ERROR_ALL(fused_mul_check_finite_({g}, full({}, 2.0), zeros({}, TensorOptions(kFloat64))), ValueError,
                          {"found_inf", "float32"});
  }
  Tensor leaf = randn({3}).requires_grad_();
  EXPECT_SEEK_ERROR_ALL(fused_sgd_({leaf}, {g}, {}, {}, OptimHyper()), Error, {"fused_sgd_", "NoGradGuard"});
}

// Reference norm in float64, tensor by tensor.
double reference_norm(const std::vector<Tensor>& ts, double p) {
  double acc = 0.0;
  for (const auto& t : ts) {
    Tensor x = t.to(kFloat64).contiguous();
    const double* d = x.data_ptr<double>();
    for (int64_t i = 0; i < x.numel(); ++i) {
      const double a = std::abs(d[i]);
      if (std::isinf(p))
        acc = (a > acc || std::isnan(a)) && !std::isnan(acc) ? a : acc;
      else
        acc += std::pow(a, p);
    }
  }
  return std::isinf(p) ? acc : std::pow(acc, 1.0 / p);
}

TEST(FusedOptimOps, TotalNormEqualsPerTensorComputation) {
  manual_seed(5);
  for (DType dt : {kFloat32, kFloat64, kBFloat16}) {
    std::vector<Tensor> ts = {randn({129, 131}, TensorOptions(dt)), randn({5, 3}, TensorOptions(dt)).t(),
                              randn({1}, TensorOptions(dt)), randn({17}, TensorOptions(dt))};
    for (double p : {2.0, 1.0, 3.0, 0.5, std::numeric_limits<double>::infinity()}) {
      Tensor n = fused_total_norm(ts, p);
      ASSERT_TRUE(n.defined());
      EXPECT_EQ(n.dtype(), dt);
      EXPECT_EQ(n.dim(), 0);
      const double want = reference_norm(ts, p);
      const double tol = dt == kFloat64 ? 1e-12 : dt == kFloat32 ? 1e-6 : 8e-3;
      EXPECT_NEAR(n.item<double>(), want, tol * want) << dtype_name(dt) << " p=" << p;
    }
  }
  // NaN anywhere makes every norm NaN; inf makes the 2-norm inf.
  Tensor a = randn({20000}), b = randn({9});
  a.data_ptr<float>()[17000] = std::numeric_limits<float>::quiet_NaN();
  for (double p : {2.0, std::numeric_limits<double>::infinity()})
    EXPECT_TRUE(std::isnan(fused_total_norm({b, a}, p).item<double>())) << p;
  a.data_ptr<float>()[17000] = std::numeric_limits<float>::infinity();
  EXPECT_TRUE(std::isinf(fused_total_norm({b, a}, 2.0).item<double>()));
}

TEST(FusedOptimOps, ClipGradNormScalesAllGradients) {
  manual_seed(6);
  std::vector<Tensor> ps = {randn({300}).requires_grad_(), randn({4, 9}).requires_grad_()};
  std::vector<Tensor> gs = {randn({300}).mul(3.0), randn({9, 4}).t()};
  for (size_t i = 0; i < ps.size(); ++i) ps[i].set_grad(gs[i].clone());
  const double total = reference_norm(gs, 2.0);
  Tensor got = clip_grad_norm_(ps, 1.0);
  EXPECT_NEAR(got.item<double>(), total, 1e-6 * total);
  const double coef = 1.0 / (total + 1e-6);
  for (size_t i = 0; i < ps.size(); ++i) {
    Tensor want = gs[i].to(kFloat64).mul(coef);
    EXPECT_TRUE(allclose(ps[i].grad().to(kFloat64), want, 1e-6, 1e-7)) << i;
  }
  EXPECT_NEAR(reference_norm({ps[0].grad(), ps[1].grad()}, 2.0), 1.0, 1e-5);
}

TEST(FusedOptimOps, MulCheckFiniteScalesAndFlagsInfAndNan) {
  manual_seed(7);
  for (DType dt : {kFloat32, kFloat64, kFloat16}) {
    std::vector<Tensor> ts = {randn({20000}, TensorOptions(dt)), randn({33}, TensorOptions(dt))};
    std::vector<Tensor> orig = {ts[0].clone(), ts[1].clone()};
    Tensor flag = zeros({});
    ASSERT_TRUE(fused_mul_check_finite_(ts, full({}, 0.125), flag));
    EXPECT_EQ(flag.item<float>(), 0.0f) << dtype_name(dt);
    for (size_t i = 0; i < ts.size(); ++i)
      EXPECT_TRUE(equal(ts[i], orig[i].to(acc_type(dt)).mul(0.125).to(dt))) << dtype_name(dt) << " " << i;
    for (double bad : {std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
                       std::numeric_limits<double>::quiet_NaN()}) {
      ts[0].index_put_({19000}, Scalar(bad));  // in the second chunk of the first tensor
      Tensor f = zeros({});
      ASSERT_TRUE(fused_mul_check_finite_(ts, full({}, 0.5), f));
      EXPECT_EQ(f.item<float>(), 1.0f) << dtype_name(dt) << " " << bad;
      ts[0].index_put_({19000}, Scalar(1.0));
    }
    // A finite value that overflows when scaled is found too; a set flag is never cleared.
    Tensor f = full({}, 1.0f);
    ASSERT_TRUE(fused_mul_check_finite_({ts[1]}, full({}, 1.0), f));
    EXPECT_EQ(f.item<float>(), 1.0f);
    Tensor big = full({3}, 60000.0, TensorOptions(dt));
    Tensor f2 = zeros({});
    ASSERT_TRUE(fused_mul_check_finite_({big}, full({}, dt == kFloat64 ? 1e305 : 1e35, TensorOptions(kFloat64)), f2));
    EXPECT_EQ(f2.item<float>(), 1.0f) << dtype_name(dt);
  }
}

TEST(FusedOptimOps, GradScalerSkipsTheStepOnInjectedInfOrNan) {
  for (double bad : {std::numeric_limits<double>::infinity(), std::numeric_limits<double>::quiet_NaN()}) {
    Tensor p = full({5000}, 1.0).requires_grad_();
    Tensor q = full({3}, 2.0).requires_grad_();
    SGD opt({p, q}, SGDOptions(0.1));
    amp::GradScaler scaler;
    p.set_grad(full({5000}, 65536.0));
    Tensor gq = full({3}, 131072.0);
    gq.index_put_({1}, Scalar(bad));
    q.set_grad(gq);
    EXPECT_FALSE(scaler.step(opt));
    EXPECT_TRUE(scaler.found_inf());
    EXPECT_TRUE(equal(p, full({5000}, 1.0)));
    EXPECT_TRUE(equal(p.grad(), full({5000}, 1.0)));  // unscaled all the same
    scaler.update();
    EXPECT_EQ(scaler.get_scale(), 32768.0);
  }
  Tensor p = full({5000}, 1.0).requires_grad_();
  SGD opt({p}, SGDOptions(0.5));
  amp::GradScaler scaler;
  p.set_grad(full({5000}, 65536.0));
  EXPECT_TRUE(scaler.step(opt));
  EXPECT_TRUE(equal(p, full({5000}, 0.5)));
}

}  // namespace

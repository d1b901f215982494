// Unary family: values against float64 std:: math for every op and floating
// dtype, strided and large (parallel) inputs, dtype rules, in-place forms,
// autograd details gradcheck does not see, and bad input.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "seek/seek.h"
#include "support/test_util.h"

using namespace seek;
using seek::testing::uniform_tensor;

namespace {

struct Tol {
  double rel, abs;
};
Tol tol_for(DType dt) {
  switch (dt) {
    case kFloat64: return {1e-12, 1e-12};
    case kFloat32: return {2e-6, 2e-6};
    default: return {1e-2, 1e-2};  // f16 / bf16: one rounding of the result
  }
}

double gelu_ref(double x) { return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))); }
double gelu_tanh_ref(double x) { return 0.5 * x * (1 + std::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x))); }
double sigmoid_ref(double x) { return 1 / (1 + std::exp(-x)); }
double softplus_ref(double x, double beta, double threshold) {
  return x * beta > threshold ? x : std::log1p(std::exp(beta * x)) / beta;
}
double hardsigmoid_ref(double x) { return std::min(std::max(x + 3, 0.0), 6.0) / 6; }

struct UnaryCase {
  std::string name;
  std::function<Tensor(const Tensor&)> fn;
  std::function<double(double)> ref;
  double lo, hi;
};

std::vector<UnaryCase> unary_cases() {
  return {
      {"neg", [](const Tensor& t) { return -t; }, [](double x) { return -x; }, -3, 3},
      {"abs", [](const Tensor& t) { return t.abs(); }, [](double x) { return std::fabs(x); }, -3, 3},
      {"exp", [](const Tensor& t) { return t.exp(); }, [](double x) { return std::exp(x); }, -5, 5},
      {"log", [](const Tensor& t) { return t.log(); }, [](double x) { return std::log(x); }, 0.05, 20},
      {"log1p", [](const Tensor& t) { return t.log1p(); }, [](double x) { return std::log1p(x); }, -0.9, 5},
      {"sqrt", [](const Tensor& t) { return t.sqrt(); }, [](double x) { return std::sqrt(x); }, 0, 20},
      {"rsqrt", [](const Tensor& t) { return t.rsqrt(); }, [](double x) { return 1 / std::sqrt(x); }, 0.05, 20},
      {"sin", [](const Tensor& t) { return t.sin(); }, [](double x) { return std::sin(x); }, -6, 6},
      {"cos", [](const Tensor& t) { return t.cos(); }, [](double x) { return std::cos(x); }, -6, 6},
      {"tanh", [](const Tensor& t) { return t.tanh(); }, [](double x) { return std::tanh(x); }, -5, 5},
      {"sigmoid", [](const Tensor& t) { return t.sigmoid(); }, sigmoid_ref, -10, 10},
      {"relu", [](const Tensor& t) { return t.relu(); }, [](double x) { return x > 0 ? x : 0.0; }, -3, 3},
      {"gelu", [](const Tensor& t) { return t.gelu(); }, gelu_ref, -5, 5},
      {"gelu_tanh", [](const Tensor& t) { return gelu(t, "tanh"); }, gelu_tanh_ref, -5, 5},
      {"silu", [](const Tensor& t) { return t.silu(); }, [](double x) { return x * sigmoid_ref(x); }, -8, 8},
      {"hardswish", [](const Tensor& t) { return t.hardswish(); }, [](double x) { return x * hardsigmoid_ref(x); }, -5,
       5},
      {"hardsigmoid", [](const Tensor& t) { return t.hardsigmoid(); }, hardsigmoid_ref, -5, 5},
      {"softplus", [](const Tensor& t) { return t.softplus(); }, [](double x) { return softplus_ref(x, 1, 20); }, -8,
       8},
      {"softplus_beta2_thr3", [](const Tensor& t) { return softplus(t, 2.0, 3.0); },
       [](double x) { return softplus_ref(x, 2, 3); }, -4, 4},
      {"erf", [](const Tensor& t) { return t.erf(); }, [](double x) { return std::erf(x); }, -3, 3},
      {"sign", [](const Tensor& t) { return t.sign(); }, [](double x) { return double((x > 0) - (x < 0)); }, -3, 3},
      {"floor", [](const Tensor& t) { return t.floor(); }, [](double x) { return std::floor(x); }, -5, 5},
      {"ceil", [](const Tensor& t) { return t.ceil(); }, [](double x) { return std::ceil(x); }, -5, 5},
      {"round", [](const Tensor& t) { return t.round(); }, [](double x) { return std::nearbyint(x); }, -5, 5},
      {"reciprocal", [](const Tensor& t) { return t.reciprocal(); }, [](double x) { return 1 / x; }, 0.1, 10},
      {"reciprocal_neg", [](const Tensor& t) { return t.reciprocal(); }, [](double x) { return 1 / x; }, -10, -0.1},
      {"square", [](const Tensor& t) { return t.square(); }, [](double x) { return x * x; }, -4, 4},
      {"logit", [](const Tensor& t) { return t.logit(); }, [](double x) { return std::log(x / (1 - x)); }, 0.05, 0.95},
      {"logit_eps", [](const Tensor& t) { return logit(t, 0.25); },
       [](double x) {
         x = std::clamp(x, 0.25, 0.75);
         return std::log(x / (1 - x));
       },
       0.01, 0.99},
      // issue 12: nn activations
      {"elu", [](const Tensor& t) { return elu(t, 0.7); }, [](double x) { return x > 0 ? x : 0.7 * std::expm1(x); }, -4,
       4},
      {"selu", [](const Tensor& t) { return selu(t); },
       [](double x) { return 1.0507009873554805 * (x > 0 ? x : 1.6732632423543772 * std::expm1(x)); }, -4, 4},
      {"celu", [](const Tensor& t) { return celu(t, 1.5); },
       [](double x) { return x > 0 ? x : 1.5 * std::expm1(x / 1.5); }, -4, 4},
      {"mish", [](const Tensor& t) { return mish(t); }, [](double x) { return x * std::tanh(std::log1p(std::exp(x))); },
       -6, 6},
      {"logsigmoid", [](const Tensor& t) { return logsigmoid(t); }, [](double x) { return -std::log1p(std::exp(-x)); },
       -20, 20},
      {"softsign", [](const Tensor& t) { return softsign(t); }, [](double x) { return x / (1 + std::fabs(x)); }, -5, 5},
      {"hardtanh", [](const Tensor& t) { return hardtanh(t, -0.5, 1.5); },
       [](double x) { return std::clamp(x, -0.5, 1.5); }, -3, 3},
      {"threshold", [](const Tensor& t) { return threshold(t, 0.3, -2.0); },
       [](double x) { return x > 0.3 ? x : -2.0; }, -3, 3},
      {"softshrink", [](const Tensor& t) { return softshrink(t, 0.5); },
       [](double x) { return x > 0.5 ? x - 0.5 : (x < -0.5 ? x + 0.5 : 0.0); }, -3, 3},
      {"hardshrink", [](const Tensor& t) { return hardshrink(t, 0.5); },
       [](double x) { return std::fabs(x) > 0.5 ? x : 0.0; }, -3, 3},
      {"tanhshrink", [](const Tensor& t) { return tanhshrink(t); }, [](double x) { return x - std::tanh(x); }, -3, 3},
  };
}

// Checks fn(x) against ref applied to x's own (already rounded) values.
void expect_matches(const UnaryCase& c, const Tensor& x, const Tensor& y, DType dt, const std::string& what) {
  ASSERT_EQ(y.dtype(), dt) << c.name << " " << what;
  ASSERT_EQ(y.sizes(), x.sizes()) << c.name << " " << what;
  std::vector<double> xs = to_vector<double>(x), ys = to_vector<double>(y);
  Tol tol = tol_for(dt);
  for (size_t i = 0; i < xs.size(); ++i) {
    double want = c.ref(xs[i]);
    if (!(std::fabs(ys[i] - want) <= tol.abs + tol.rel * std::fabs(want))) {
      FAIL() << c.name << " " << what << " " << dtype_name(dt) << " at x = " << xs[i] << ": got " << ys[i] << ", want "
             << want;
    }
  }
}

}  // namespace

TEST(Unary, ValuesMatchFloat64ReferenceForEveryFloatingDtype) {
  for (const UnaryCase& c : unary_cases()) {
    for (DType dt : {kFloat32, kFloat64, kFloat16, kBFloat16}) {
      Tensor x = uniform_tensor({4, 33}, c.lo, c.hi, dt);
      expect_matches(c, x, c.fn(x), dt, "contiguous");
    }
  }
}

TEST(Unary, StridedInputsMatchReference) {
  for (const UnaryCase& c : unary_cases()) {
    for (DType dt : {kFloat32, kFloat64, kFloat16}) {
      Tensor base = uniform_tensor({6, 10}, c.lo, c.hi, dt, 11);
      Tensor transposed = base.t();             // [10, 6], strides (1, 10)
      Tensor sliced = base.slice(1, 1, 10, 3);  // [6, 3], inner stride 3
      expect_matches(c, transposed, c.fn(transposed), dt, "transposed");
      expect_matches(c, sliced, c.fn(sliced), dt, "sliced");
    }
  }
}

TEST(Unary, LargeInputsTakeTheParallelPath) {
  // Above the CPU loop's parallel grain; transposed too, so the strided path splits across threads.
  for (const UnaryCase& c : unary_cases()) {
    for (DType dt : {kFloat32, kFloat64}) {
      Tensor x = uniform_tensor({200, 200}, c.lo, c.hi, dt, 3);
      expect_matches(c, x, c.fn(x), dt, "large");
      expect_matches(c, x.t(), c.fn(x.t()), dt, "large transposed");
    }
  }
}

TEST(Unary, RoundIsHalfToEven) {
  Tensor x = tensor<float>({0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 2.4999f, 3.5f});
  EXPECT_EQ(to_vector<float>(x.round()), (std::vector<float>{0, 2, 2, -0.f, -2, -2, 2, 4}));
  EXPECT_EQ(to_vector<double>(x.to(kFloat16).round()), (std::vector<double>{0, 2, 2, 0, -2, -2, 2, 4}));
}

TEST(Unary, SpecialValues) {
  double inf = std::numeric_limits<double>::infinity(), nan = std::nan("");
  Tensor x = tensor<float>({-1.f, 0.f, static_cast<float>(nan), static_cast<float>(inf)});
  std::vector<float> relu = to_vector<float>(x.relu());
  EXPECT_EQ(relu[0], 0.f);
  EXPECT_TRUE(std::isnan(relu[2])) << "relu(nan) is nan, as in PyTorch";
  EXPECT_EQ(relu[3], inf);
  std::vector<float> lg = to_vector<float>(x.log());
  EXPECT_TRUE(std::isnan(lg[0]));
  EXPECT_EQ(lg[1], -inf);
  EXPECT_EQ(lg[3], inf);
  std::vector<float> ex = to_vector<float>(tensor<float>({-200.f, 200.f}).exp());
  EXPECT_EQ(ex[0], 0.f);
  EXPECT_EQ(ex[1], inf);
  std::vector<float> sg = to_vector<float>(tensor<float>({-200.f, 200.f}).sigmoid());
  EXPECT_EQ(sg[0], 0.f);
  EXPECT_EQ(sg[1], 1.f);
  EXPECT_EQ(to_vector<float>(tensor<float>({-0.f, 0.f, 3.f}).sign()), (std::vector<float>{0, 0, 1}));
  // softplus returns x itself above the threshold.
  EXPECT_EQ(to_vector<double>(softplus(tensor<double>({2.0, 30.0}), 2.0, 3.0)), (std::vector<double>{2.0, 30.0}));
}

TEST(Unary, FloatingFunctionsOfIntegersAndBoolReturnFloat32) {
  Tensor i = tensor<int64_t>({0, 1, 2, 4});
  Tensor e = i.exp();
  EXPECT_EQ(e.dtype(), kFloat32);
  std::vector<float> ev = to_vector<float>(e);
  for (int k = 0; k < 4; ++k) EXPECT_NEAR(ev[k], std::exp(std::vector<double>{0, 1, 2, 4}[k]), 1e-5 * ev[k]);
  Tensor s = tensor<int32_t>({1, 4, 9}).sqrt();
  EXPECT_EQ(s.dtype(), kFloat32);
  EXPECT_EQ(to_vector<float>(s), (std::vector<float>{1, 2, 3}));
  Tensor b = tensor<bool>({true, false}).sigmoid();
  EXPECT_EQ(b.dtype(), kFloat32);
  EXPECT_NEAR(to_vector<float>(b)[0], sigmoid_ref(1), 1e-7);
  EXPECT_EQ(to_vector<float>(b)[1], 0.5f);
  for (auto fn : std::vector<std::function<Tensor(const Tensor&)>>{
           [](const Tensor& t) { return t.log(); }, [](const Tensor& t) { return t.tanh(); },
           [](const Tensor& t) { return t.erf(); }, [](const Tensor& t) { return t.sin(); },
           [](const Tensor& t) { return t.reciprocal(); }, [](const Tensor& t) { return t.gelu(); },
           [](const Tensor& t) { return t.rsqrt(); }}) {
    EXPECT_EQ(fn(tensor<uint8_t>({3, 7})).dtype(), kFloat32);
  }
}

TEST(Unary, IntegerPreservingOps) {
  Tensor i = tensor<int32_t>({-3, 0, 5});
  EXPECT_EQ((-i).dtype(), kInt32);
  EXPECT_EQ(to_vector<int32_t>(-i), (std::vector<int32_t>{3, 0, -5}));
  EXPECT_EQ(to_vector<int32_t>(i.abs()), (std::vector<int32_t>{3, 0, 5}));
  EXPECT_EQ(to_vector<int32_t>(i.sign()), (std::vector<int32_t>{-1, 0, 1}));
  EXPECT_EQ(to_vector<int32_t>(i.square()), (std::vector<int32_t>{9, 0, 25}));
  EXPECT_EQ(to_vector<int32_t>(i.relu()), (std::vector<int32_t>{0, 0, 5}));
  for (Tensor r : {i.floor(), i.ceil(), i.round()}) {
    EXPECT_EQ(r.dtype(), kInt32);
    EXPECT_EQ(to_vector<int32_t>(r), (std::vector<int32_t>{-3, 0, 5}));
    EXPECT_FALSE(r.is_same(i));
  }
  Tensor i8 = tensor<int8_t>({-128, -5, 7});
  EXPECT_EQ(to_vector<int8_t>(i8.abs()), (std::vector<int8_t>{-128, 5, 7}));  // wraps like the storage type
  Tensor u = tensor<uint8_t>({0, 3, 200});
  EXPECT_EQ(to_vector<uint8_t>(u.abs()), (std::vector<uint8_t>{0, 3, 200}));
  EXPECT_EQ(to_vector<uint8_t>(u.sign()), (std::vector<uint8_t>{0, 1, 1}));
  Tensor i64 = tensor<int64_t>({int64_t(1) << 40, -7});
  EXPECT_EQ(to_vector<int64_t>(-i64), (std::vector<int64_t>{-(int64_t(1) << 40), 7}));
  // bool: sign keeps it, square promotes to int64 like torch.square.
  Tensor b = tensor<bool>({true, false});
  EXPECT_EQ(b.sign().dtype(), kBool);
  EXPECT_EQ(to_vector<bool>(b.sign()), (std::vector<bool>{true, false}));
  EXPECT_EQ(b.square().dtype(), kInt64);
  EXPECT_EQ(to_vector<int64_t>(b.square()), (std::vector<int64_t>{1, 0}));
}

TEST(Unary, LogicalNotGivesBool) {
  Tensor f = tensor<float>({0.f, 1.5f, -2.f, -0.f});
  Tensor r = f.logical_not();
  EXPECT_EQ(r.dtype(), kBool);
  EXPECT_EQ(to_vector<bool>(r), (std::vector<bool>{true, false, false, true}));
  EXPECT_EQ(to_vector<bool>(logical_not(tensor<int64_t>({0, 7}))), (std::vector<bool>{true, false}));
  EXPECT_EQ(to_vector<bool>(!tensor<bool>({true, false})), (std::vector<bool>{false, true}));
  Tensor g = uniform_tensor({3}, -1, 1, kFloat64).requires_grad_();
  EXPECT_FALSE(g.logical_not().requires_grad());
}

TEST(Unary, InPlaceWritesValuesAndBumpsVersion) {
  struct InPlace {
    const char* name;
    std::function<Tensor&(Tensor&)> fn;
    std::function<double(double)> ref;
    double lo, hi;
  };
  std::vector<InPlace> cases = {
      {"neg_", [](Tensor& t) -> Tensor& { return t.neg_(); }, [](double x) { return -x; }, -2, 2},
      {"abs_", [](Tensor& t) -> Tensor& { return t.abs_(); }, [](double x) { return std::fabs(x); }, -2, 2},
      {"exp_", [](Tensor& t) -> Tensor& { return t.exp_(); }, [](double x) { return std::exp(x); }, -2, 2},
      {"log_", [](Tensor& t) -> Tensor& { return t.log_(); }, [](double x) { return std::log(x); }, 0.1, 5},
      {"sqrt_", [](Tensor& t) -> Tensor& { return t.sqrt_(); }, [](double x) { return std::sqrt(x); }, 0, 5},
      {"sigmoid_", [](Tensor& t) -> Tensor& { return t.sigmoid_(); }, sigmoid_ref, -5, 5},
      {"tanh_", [](Tensor& t) -> Tensor& { return t.tanh_(); }, [](double x) { return std::tanh(x); }, -3, 3},
      {"relu_", [](Tensor& t) -> Tensor& { return t.relu_(); }, [](double x) { return x > 0 ? x : 0.0; }, -2, 2},
      {"floor_", [](Tensor& t) -> Tensor& { return t.floor_(); }, [](double x) { return std::floor(x); }, -4, 4},
      {"ceil_", [](Tensor& t) -> Tensor& { return t.ceil_(); }, [](double x) { return std::ceil(x); }, -4, 4},
      {"round_", [](Tensor& t) -> Tensor& { return t.round_(); }, [](double x) { return std::nearbyint(x); }, -4, 4},
      {"reciprocal_", [](Tensor& t) -> Tensor& { return t.reciprocal_(); }, [](double x) { return 1 / x; }, 0.5, 4},
  };
  for (const InPlace& c : cases) {
    for (bool strided : {false, true}) {
      Tensor base = uniform_tensor({5, 8}, c.lo, c.hi, kFloat64, 5);
      Tensor before = base.clone();
      Tensor x = strided ? base.t() : base;
      uint64_t v0 = x.version();
      Tensor& r = c.fn(x);
      EXPECT_TRUE(r.is_same(x)) << c.name;
      EXPECT_GT(x.version(), v0) << c.name;
      std::vector<double> got = to_vector<double>(base), want = to_vector<double>(before);
      for (size_t i = 0; i < got.size(); ++i)
        ASSERT_NEAR(got[i], c.ref(want[i]), 1e-12 * (1 + std::fabs(got[i]))) << c.name << (strided ? " strided" : "");
    }
  }
  Tensor i = tensor<int64_t>({-2, 3});
  i.neg_().abs_().floor_();
  EXPECT_EQ(to_vector<int64_t>(i), (std::vector<int64_t>{2, 3}));
}

TEST(Unary, InPlaceNeedingAnotherDtypeThrows) {
  Tensor i = tensor<int64_t>({1, 2});
  try {
    i.exp_();
    FAIL() << "exp_ on int64 must throw";
  } catch (const DTypeError& e) {
    EXPECT_NE(std::string(e.what()).find("exp_: result type float32 can't be cast to the desired output type int64"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(i.sqrt_(), DTypeError);
  EXPECT_THROW(i.reciprocal_(), DTypeError);
  EXPECT_THROW(tensor<int32_t>({1}).sigmoid_(), DTypeError);
  EXPECT_EQ(to_vector<int64_t>(i), (std::vector<int64_t>{1, 2})) << "a failed in-place op leaves the data alone";
}

TEST(Unary, InPlaceOnLeafRequiringGradThrows) {
  Tensor x = uniform_tensor({3}, 0.5, 1, kFloat64).requires_grad_();
  try {
    x.exp_();
    FAIL() << "exp_ on a leaf that requires grad must throw";
  } catch (const AutogradError& e) {
    EXPECT_NE(std::string(e.what()).find("exp_: a leaf tensor that requires grad"), std::string::npos) << e.what();
  }
  EXPECT_THROW(x.relu_(), AutogradError);
  NoGradGuard g;
  x.relu_();  // allowed without grad mode
}

TEST(Unary, InPlaceOnNonLeafIsDifferentiable) {
  Tensor x = tensor<double>({0.1, -0.3, 0.7}).requires_grad_();
  Tensor y = x * 2.0;
  y.exp_();
  EXPECT_TRUE(y.requires_grad());
  y.backward(ones_like(y));
  std::vector<double> g = to_vector<double>(x.grad());
  std::vector<double> xs = {0.1, -0.3, 0.7};
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(g[i], 2 * std::exp(2 * xs[i]), 1e-12);
}

TEST(Unary, PiecewiseConstantOpsHaveZeroGradient) {
  for (auto fn : std::vector<std::function<Tensor(const Tensor&)>>{
           [](const Tensor& t) { return t.sign(); }, [](const Tensor& t) { return t.floor(); },
           [](const Tensor& t) { return t.ceil(); }, [](const Tensor& t) { return t.round(); }}) {
    Tensor x = tensor<double>({-1.3, 0.4, 2.6}).requires_grad_();
    Tensor y = fn(x);
    ASSERT_TRUE(y.requires_grad());
    y.backward(ones_like(y));
    ASSERT_TRUE(x.grad().defined());
    EXPECT_EQ(to_vector<double>(x.grad()), (std::vector<double>{0, 0, 0}));
  }
}

TEST(Unary, ReluAndAbsGradientAtZero) {
  // As PyTorch: relu'(0) = 0 and abs'(0) = sign(0) = 0.
  Tensor x = tensor<double>({-1.0, 0.0, 2.0}).requires_grad_();
  x.relu().backward(ones_like(x));
  EXPECT_EQ(to_vector<double>(x.grad()), (std::vector<double>{0, 0, 1}));
  Tensor z = tensor<double>({-1.0, 0.0, 2.0}).requires_grad_();
  z.abs().backward(ones_like(z));
  EXPECT_EQ(to_vector<double>(z.grad()), (std::vector<double>{-1, 0, 1}));
}

TEST(Unary, ReducedPrecisionBackward) {
  // Backward runs in the tensor's own dtype (the fused *Backward kernels compute in float).
  Tensor x = tensor<double>({-1.0, 0.5, 2.0}).to(kFloat16).requires_grad_();
  Tensor y = x.tanh();
  y.backward(ones_like(y));
  ASSERT_EQ(x.grad().dtype(), kFloat16);
  std::vector<double> g = to_vector<double>(x.grad());
  std::vector<double> xs = {-1.0, 0.5, 2.0};
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(g[i], 1 - std::pow(std::tanh(xs[i]), 2), 2e-3);
}

TEST(Unary, Float32ActivationBackwardsMatchFloat64Reference) {
  // SiLU's and GELU's (erf and tanh forms) float32 backwards run Eigen's vectorised functions on contiguous runs
  // (blocks of 512, a tail) and the scalar functor on strided ones; both against the derivative in float64.
  const double c = std::sqrt(2.0 / M_PI), k = 0.044715;
  struct Act {
    const char* name;
    std::function<Tensor(const Tensor&)> fn;
    std::function<double(double)> grad;
  };
  const std::vector<Act> acts = {
      {"silu", [](const Tensor& t) { return t.silu(); },
       [](double x) {
         const double s = 1.0 / (1.0 + std::exp(-x));
         return s * (1.0 + x * (1.0 - s));
       }},
      {"gelu", [](const Tensor& t) { return t.gelu(); },
       [](double x) {
         return 0.5 * (1.0 + std::erf(x / std::sqrt(2.0))) + x * std::exp(-0.5 * x * x) / std::sqrt(2 * M_PI);
       }},
      {"gelu_tanh", [](const Tensor& t) { return gelu(t, "tanh"); },
       [c, k](double x) {
         const double t = std::tanh(c * (x + k * x * x * x));
         return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * c * (1.0 + 3.0 * k * x * x);
       }},
  };
  for (const Act& act : acts) {
    auto check = [&](const Tensor& x_in, const Tensor& g, const std::string& what) {
      Tensor x = x_in.detach().requires_grad_();
      act.fn(x).backward(g);
      const std::vector<double> xs = to_vector<double>(x), gs = to_vector<double>(g), got = to_vector<double>(x.grad());
      for (size_t i = 0; i < xs.size(); ++i) {
        const double want = gs[i] * act.grad(xs[i]);
        if (!(std::fabs(got[i] - want) <= 2e-6 + 2e-6 * std::fabs(want)))
          FAIL() << act.name << " " << what << " at x = " << xs[i] << ", g = " << gs[i] << ": got " << got[i]
                 << ", want " << want;
      }
    };
    check(uniform_tensor({1, 1229}, -20, 20, kFloat32, 5), uniform_tensor({1, 1229}, -2, 2, kFloat32, 6), "contiguous");
    check(uniform_tensor({300, 300}, -10, 10, kFloat32, 7), uniform_tensor({300, 300}, -2, 2, kFloat32, 8), "large");
    Tensor base = uniform_tensor({40, 30}, -10, 10, kFloat32, 9);
    check(base.t(), uniform_tensor({30, 40}, -2, 2, kFloat32, 10), "transposed");
    check(tensor<float>({-100.f, -88.f, 0.f, 88.f, 100.f}), tensor<float>({1.f, 1.f, 1.f, 1.f, 1.f}), "saturated");
    Tensor nan_x = tensor<float>({std::nanf(""), 1.f}).requires_grad_();
    act.fn(nan_x).backward(ones_like(nan_x));
    EXPECT_TRUE(std::isnan(to_vector<float>(nan_x.grad())[0])) << act.name;
  }
}

TEST(Unary, BadInput) {
  Tensor x = uniform_tensor({2}, -1, 1, kFloat32);
  try {
    x.gelu("fast");
    FAIL() << "gelu with a bad approximate must throw";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("gelu: approximate must be 'none' or 'tanh', got 'fast'"), std::string::npos)
        << e.what();
  }
  try {
    -tensor<bool>({true});
    FAIL() << "neg of bool must throw";
  } catch (const DTypeError& e) {
    EXPECT_NE(std::string(e.what()).find("neg: negation of a bool tensor is not supported; use logical_not()"),
              std::string::npos)
        << e.what();
  }
  try {
    tensor<bool>({true}).abs();
    FAIL() << "abs of bool must throw";
  } catch (const DTypeError& e) {
    EXPECT_NE(std::string(e.what()).find("abs: not supported for bool tensors"), std::string::npos) << e.what();
  }
  EXPECT_THROW(tensor<bool>({true}).relu(), DTypeError);
  EXPECT_THROW(tensor<bool>({true}).floor(), DTypeError);
  EXPECT_THROW(tensor<bool>({true}).neg_(), DTypeError);
  try {
    Tensor().exp();
    FAIL() << "exp of an undefined tensor must throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("exp: argument 'input' is an undefined tensor"), std::string::npos)
        << e.what();
  }
}

TEST(Unary, EmptyAndZeroDimTensors) {
  Tensor e = empty({0, 3}, kFloat32);
  EXPECT_EQ(e.exp().sizes(), (Shape{0, 3}));
  Tensor s = scalar_tensor(0.25, kFloat64);
  Tensor r = s.sqrt();
  EXPECT_EQ(r.dim(), 0);
  EXPECT_EQ(r.item<double>(), 0.5);
}

// amp::GradScaler: scaling, exact unscaling, inf/NaN skipping with backoff, growth, the
// disabled pass-through, misuse and bad-option errors, state_dict, two optimizers, and fp16
// autocast training of a small f32 model against plain f32 training.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "seek/seek.h"
#include "support/test_util.h"

namespace seek::amp {
namespace {

using testing::tensor_bytes;
using testing::uniform_tensor;

// A leaf parameter with a gradient set by hand.
Tensor param_with_grad(const Tensor& value, const Tensor& grad) {
  Tensor p = value.detach().clone().requires_grad_(true);
  p.set_grad(grad);
  return p;
}

double adam_step_count(const optim::Optimizer& opt, const std::string& key = "state.0.0.step") {
  for (const auto& [k, v] : opt.state_dict())
    if (k == key) return v.item<double>();
  return 0.0;
}

// The bytes of every parameter, to check that a skipped step left them alone.
std::vector<std::string> param_bytes(const optim::Optimizer& opt) {
  std::vector<std::string> out;
  for (const auto& g : opt.param_groups())
    for (const auto& p : g.params) out.push_back(tensor_bytes(p));
  return out;
}

// loss = sum((w * x)^2) / 2 over a fixed x; grad w.r.t. w is w * x^2 (finite).
Tensor quadratic_loss(const Tensor& w) {
  const Tensor x = uniform_tensor({5}, 0.5, 1.5, kFloat32, 3);
  return w.mul(x).square().sum().div(2.0);
}

TEST(AmpGradScaler, ScaleMultipliesByTheCurrentScale) {
  GradScaler scaler;
  EXPECT_EQ(scaler.get_scale(), 65536.0);
  EXPECT_TRUE(scaler.is_enabled());
  const Tensor loss = full({}, 1.5, kFloat32);
  const Tensor scaled = scaler.scale(loss);
  EXPECT_EQ(scaled.dtype(), kFloat32);
  EXPECT_EQ(scaled.item<double>(), 1.5 * 65536.0);
  const Tensor loss64 = full({}, 0.25, kFloat64);
  EXPECT_EQ(scaler.scale(loss64).dtype(), kFloat64);
  EXPECT_EQ(scaler.scale(loss64).item<double>(), 0.25 * 65536.0);
  GradScaler custom({.init_scale = 8.0});
  EXPECT_EQ(custom.scale(loss).item<double>(), 12.0);
  EXPECT_SEEK_ERROR_ALL(scaler.scale(full({}, 3, kInt64)), ValueError, {"GradScaler::scale", "int64"});
}

TEST(AmpGradScaler, ScaledBackwardGivesScaledGradients) {
  GradScaler scaler({.init_scale = 1024.0});
  Tensor w = uniform_tensor({5}, -1, 1, kFloat32, 9).requires_grad_(true);
  quadratic_loss(w).backward();
  const Tensor plain = w.grad().clone();
  w.set_grad(Tensor());
  scaler.scale(quadratic_loss(w)).backward();
  EXPECT_EQ(to_vector<float>(w.grad()), to_vector<float>(plain.mul(1024.0)));
}

TEST(AmpGradScaler, UnscaleDividesExactlyInEveryFloatDtype) {
  GradScaler scaler({.init_scale = 4096.0});
  const Tensor g32 = uniform_tensor({3, 4}, -2, 2, kFloat32, 1);
  const Tensor g16 = uniform_tensor({6}, -2, 2, kFloat16, 2);
  const Tensor gbf = uniform_tensor({6}, -2, 2, kBFloat16, 3);
  const Tensor g64 = uniform_tensor({2}, -2, 2, kFloat64, 4);
  std::vector<Tensor> params = {
      param_with_grad(zeros({3, 4}), g32.mul(4096.0)), param_with_grad(zeros({6}, kFloat16), g16.mul(4096.0)),
      param_with_grad(zeros({6}, kBFloat16), gbf.mul(4096.0)), param_with_grad(zeros({2}, kFloat64), g64.mul(4096.0)),
      zeros({7}).requires_grad_(true)};  // no gradient: skipped
  optim::SGD opt(params, optim::SGDOptions(0.1));
  scaler.unscale_(opt);
  EXPECT_EQ(params[0].grad().dtype(), kFloat32);
  EXPECT_EQ(params[1].grad().dtype(), kFloat16);
  EXPECT_EQ(params[2].grad().dtype(), kBFloat16);
  EXPECT_EQ(tensor_bytes(params[0].grad()), tensor_bytes(g32));
  EXPECT_EQ(tensor_bytes(params[1].grad()), tensor_bytes(g16));
  EXPECT_EQ(tensor_bytes(params[2].grad()), tensor_bytes(gbf));
  EXPECT_EQ(tensor_bytes(params[3].grad()), tensor_bytes(g64));
  EXPECT_FALSE(params[4].grad().defined());
  // step() after unscale_() does not unscale again.
  EXPECT_TRUE(scaler.step(opt));
  EXPECT_EQ(to_vector<float>(params[0]), to_vector<float>(g32.mul(-0.1)));
  scaler.update();
  EXPECT_EQ(scaler.get_scale(), 4096.0);
}

TEST(AmpGradScaler, StepUnscalesWhenNotDoneAndSteps) {
  GradScaler scaler({.init_scale = 256.0});
  const Tensor g = uniform_tensor({4}, -1, 1, kFloat32, 5);
  Tensor p = param_with_grad(zeros({4}), g.mul(256.0));
  optim::SGD opt({p}, optim::SGDOptions(1.0));
  EXPECT_TRUE(scaler.step(opt));
  EXPECT_EQ(to_vector<float>(p), to_vector<float>(g.neg()));
  EXPECT_FALSE(scaler.found_inf());
  scaler.update();
  EXPECT_EQ(scaler.growth_tracker(), 1);
}

// An inf, -inf or NaN in one element of one gradient skips Adam's step entirely.
class AmpGradScalerNonFinite : public ::testing::TestWithParam<double> {};

TEST_P(AmpGradScalerNonFinite, SkipsTheStepHalvesTheScaleAndResetsTheTracker) {
  GradScaler scaler({.init_scale = 1024.0});
  Tensor a = uniform_tensor({3, 2}, -1, 1, kFloat32, 11).requires_grad_(true);
  Tensor b = uniform_tensor({4}, -1, 1, kFloat32, 12).requires_grad_(true);
  optim::Adam opt({a, b}, optim::AdamOptions(0.1));
  // Two clean steps first: Adam has moments and a step count; the tracker is at 2.
  for (int i = 0; i < 2; ++i) {
    opt.zero_grad();
    scaler.scale(a.square().sum() + b.square().sum()).backward();
    EXPECT_TRUE(scaler.step(opt));
    scaler.update();
  }
  ASSERT_EQ(scaler.growth_tracker(), 2);
  ASSERT_EQ(adam_step_count(opt), 2.0);
  const auto before = param_bytes(opt);
  const auto state_before = opt.state_dict();

  opt.zero_grad();
  scaler.scale(a.square().sum() + b.square().sum()).backward();
  Tensor g = b.grad().clone();
  g.narrow(0, 2, 1).fill_(GetParam());  // one bad element in the second gradient
  b.set_grad(g);
  EXPECT_FALSE(scaler.step(opt));
  EXPECT_TRUE(scaler.found_inf());
  EXPECT_EQ(param_bytes(opt), before);
  EXPECT_EQ(adam_step_count(opt), 2.0);
  const auto state_after = opt.state_dict();
  ASSERT_EQ(state_after.size(), state_before.size());
  for (size_t i = 0; i < state_after.size(); ++i) {
    EXPECT_EQ(state_after[i].first, state_before[i].first);
    EXPECT_EQ(tensor_bytes(state_after[i].second), tensor_bytes(state_before[i].second)) << state_after[i].first;
  }
  scaler.update();
  EXPECT_EQ(scaler.get_scale(), 512.0);
  EXPECT_EQ(scaler.growth_tracker(), 0);
  EXPECT_FALSE(scaler.found_inf());  // update() starts a new iteration

  // The next clean iteration steps again.
  opt.zero_grad();
  scaler.scale(a.square().sum() + b.square().sum()).backward();
  EXPECT_TRUE(scaler.step(opt));
  scaler.update();
  EXPECT_EQ(adam_step_count(opt), 3.0);
  EXPECT_EQ(scaler.growth_tracker(), 1);
}

INSTANTIATE_TEST_SUITE_P(InfNaN, AmpGradScalerNonFinite,
                         ::testing::Values(std::numeric_limits<double>::infinity(),
                                           -std::numeric_limits<double>::infinity(),
                                           std::numeric_limits<double>::quiet_NaN()));

TEST(AmpGradScaler, NonFiniteHalfGradientIsFoundToo) {
  GradScaler scaler({.init_scale = 2.0});
  // A float16 gradient is checked (in f32) like any other.
  Tensor p = param_with_grad(zeros({3}, kFloat16), full({3}, std::numeric_limits<double>::infinity(), kFloat16));
  optim::SGD opt({p}, optim::SGDOptions(0.1));
  EXPECT_FALSE(scaler.step(opt));
  EXPECT_EQ(to_vector<float>(p.to(kFloat32)), std::vector<float>(3, 0.0f));
  scaler.update();
  EXPECT_EQ(scaler.get_scale(), 1.0);
}

TEST(AmpGradScaler, GrowsAfterGrowthIntervalCleanSteps) {
  GradScaler scaler({.init_scale = 8.0, .growth_factor = 4.0, .growth_interval = 3});
  Tensor p = zeros({2}).requires_grad_(true);
  optim::SGD opt({p}, optim::SGDOptions(0.1));
  auto iteration = [&](double grad_value) {
    p.set_grad(full({2}, grad_value));
    const bool stepped = scaler.step(opt);
    scaler.update();
    return stepped;
  };
  const std::vector<double> expected_scale = {8, 8, 32, 32, 32, 128};
  const std::vector<int64_t> expected_tracker = {1, 2, 0, 1, 2, 0};
  for (size_t i = 0; i < expected_scale.size(); ++i) {
    EXPECT_TRUE(iteration(1.0));
    EXPECT_EQ(scaler.get_scale(), expected_scale[i]) << "after clean step " << i + 1;
    EXPECT_EQ(scaler.growth_tracker(), expected_tracker[i]) << "after clean step " << i + 1;
  }
  // Two clean steps, then an overflow: the tracker starts over, so growth needs 3 more.
  EXPECT_TRUE(iteration(1.0));
  EXPECT_TRUE(iteration(1.0));
  EXPECT_FALSE(iteration(std::numeric_limits<double>::infinity()));
  EXPECT_EQ(scaler.get_scale(), 64.0);
  EXPECT_EQ(scaler.growth_tracker(), 0);
  EXPECT_TRUE(iteration(1.0));
  EXPECT_TRUE(iteration(1.0));
  EXPECT_EQ(scaler.get_scale(), 64.0);
  EXPECT_TRUE(iteration(1.0));
  EXPECT_EQ(scaler.get_scale(), 256.0);
}

TEST(AmpGradScaler, UpdateWithNewScaleSetsIt) {
  GradScaler scaler({.init_scale = 8.0, .growth_interval = 3});
  Tensor p = param_with_grad(zeros({2}), full({2}, 1.0));
  optim::SGD opt({p}, optim::SGDOptions(0.1));
  scaler.step(opt);
  scaler.update();
  ASSERT_EQ(scaler.growth_tracker(), 1);
  scaler.update(3.0);  // needs no recorded step
  EXPECT_EQ(scaler.get_scale(), 3.0);
  EXPECT_EQ(scaler.growth_tracker(), 1);  // as in PyTorch, only the scale changes
  EXPECT_EQ(scaler.scale(full({}, 2.0)).item<double>(), 6.0);
  EXPECT_SEEK_ERROR_ALL(scaler.update(0.0), ValueError, {"GradScaler::update", "new_scale", "0"});
  EXPECT_SEEK_ERROR_ALL(scaler.update(-2.0), ValueError, {"new_scale", "-2"});
  EXPECT_SEEK_ERROR(scaler.update(std::numeric_limits<double>::infinity()), ValueError, "new_scale");
  EXPECT_EQ(scaler.get_scale(), 3.0);
}

TEST(AmpGradScaler, DisabledScalerPassesEverythingThrough) {
  GradScaler scaler({.init_scale = 1024.0, .enabled = false});
  EXPECT_FALSE(scaler.is_enabled());
  EXPECT_EQ(scaler.get_scale(), 1.0);
  const Tensor loss = full({}, 1.5);
  EXPECT_TRUE(scaler.scale(loss).is_same(loss));
  // Even an inf gradient is stepped over, unchanged: nothing is checked or unscaled.
  Tensor p = param_with_grad(zeros({2}), tensor<float>({2.0f, std::numeric_limits<float>::infinity()}, {2}));
  optim::SGD opt({p}, optim::SGDOptions(1.0));
  scaler.unscale_(opt);
  scaler.unscale_(opt);  // no misuse tracking either
  EXPECT_EQ(to_vector<float>(p.grad())[0], 2.0f);
  EXPECT_TRUE(scaler.step(opt));
  EXPECT_EQ(to_vector<float>(p)[0], -2.0f);
  scaler.update();
  scaler.update();
  EXPECT_EQ(scaler.get_scale(), 1.0);
  EXPECT_TRUE(scaler.state_dict().empty());
  scaler.load_state_dict({});  // ignored
  scaler.load_state_dict({{"scale", 5.0}});
  EXPECT_EQ(scaler.get_scale(), 1.0);
}

TEST(AmpGradScaler, MisuseIsAnErrorNamingTheCall) {
  GradScaler scaler;
  Tensor p = param_with_grad(zeros({2}), full({2}, 1.0));
  optim::SGD opt({p}, optim::SGDOptions(0.1));
  // update() before any unscale_() / step().
  EXPECT_SEEK_ERROR_ALL(scaler.update(), Error, {"GradScaler::update", "no inf checks were recorded"});
  scaler.unscale_(opt);
  EXPECT_SEEK_ERROR_ALL(scaler.unscale_(opt), Error,
                        {"GradScaler::unscale_",
                         "unscale_() has already been called on this optimizer since the "
                         "last update()"});
  EXPECT_TRUE(scaler.step(opt));
  EXPECT_SEEK_ERROR_ALL(scaler.step(opt), Error,
                        {"GradScaler::step", "step() has already been called since the last update()"});
  EXPECT_SEEK_ERROR_ALL(scaler.unscale_(opt), Error, {"GradScaler::unscale_", "after step()"});
  // Misuse errors are not bad-value errors (RuntimeError in PyTorch).
  try {
    scaler.step(opt);
  } catch (const ValueError&) {
    ADD_FAILURE() << "misuse must not be a ValueError";
  } catch (const Error&) {}
  scaler.update();
  EXPECT_EQ(to_vector<float>(p)[0], 1.0f / 65536.0f * -0.1f);
  // After update() the cycle starts over.
  p.set_grad(full({2}, 65536.0));
  EXPECT_TRUE(scaler.step(opt));
  scaler.update();
}

TEST(AmpGradScaler, BadOptionsAreValueErrorsNamingTheOption) {
  EXPECT_SEEK_ERROR_ALL(GradScaler({.init_scale = 0.0}), ValueError, {"GradScaler", "init_scale", "0"});
  EXPECT_SEEK_ERROR_ALL(GradScaler({.init_scale = -4.0}), ValueError, {"init_scale", "-4"});
  EXPECT_SEEK_ERROR(GradScaler({.init_scale = std::numeric_limits<double>::quiet_NaN()}), ValueError, "init_scale");
  EXPECT_SEEK_ERROR_ALL(GradScaler({.growth_factor = 1.0}), ValueError, {"growth_factor", "> 1", "got 1"});
  EXPECT_SEEK_ERROR_ALL(GradScaler({.growth_factor = 0.5}), ValueError, {"growth_factor", "0.5"});
  EXPECT_SEEK_ERROR_ALL(GradScaler({.backoff_factor = 1.0}), ValueError, {"backoff_factor", "(0, 1)", "got 1"});
  EXPECT_SEEK_ERROR_ALL(GradScaler({.backoff_factor = 0.0}), ValueError, {"backoff_factor", "got 0"});
  EXPECT_SEEK_ERROR_ALL(GradScaler({.growth_interval = 0}), ValueError, {"growth_interval", "> 0", "got 0"});
  EXPECT_SEEK_ERROR_ALL(GradScaler({.growth_interval = -3}), ValueError, {"growth_interval", "-3"});

  GradScaler scaler;
  scaler.set_growth_factor(3.0);
  scaler.set_backoff_factor(0.25);
  scaler.set_growth_interval(7);
  EXPECT_EQ(scaler.growth_factor(), 3.0);
  EXPECT_EQ(scaler.backoff_factor(), 0.25);
  EXPECT_EQ(scaler.growth_interval(), 7);
  EXPECT_SEEK_ERROR_ALL(scaler.set_growth_factor(0.9), ValueError, {"set_growth_factor", "growth_factor", "0.9"});
  EXPECT_SEEK_ERROR_ALL(scaler.set_backoff_factor(2.0), ValueError, {"set_backoff_factor", "backoff_factor", "2"});
  EXPECT_SEEK_ERROR_ALL(scaler.set_growth_interval(0), ValueError, {"set_growth_interval", "growth_interval"});
  EXPECT_EQ(scaler.growth_factor(), 3.0);
  EXPECT_EQ(scaler.backoff_factor(), 0.25);
  EXPECT_EQ(scaler.growth_interval(), 7);
}

TEST(AmpGradScaler, StateDictHasTorchKeysAndRoundTrips) {
  GradScaler scaler({.init_scale = 32.0, .growth_factor = 3.0, .backoff_factor = 0.25, .growth_interval = 5});
  Tensor p = param_with_grad(zeros({2}), full({2}, 1.0));
  optim::SGD opt({p}, optim::SGDOptions(0.1));
  for (int i = 0; i < 2; ++i) {
    scaler.step(opt);
    scaler.update();
  }
  const GradScalerState state = scaler.state_dict();
  const GradScalerState expected = {{"scale", 32.0},
                                    {"growth_factor", 3.0},
                                    {"backoff_factor", 0.25},
                                    {"growth_interval", 5.0},
                                    {"_growth_tracker", 2.0}};
  EXPECT_EQ(state, expected);

  GradScaler restored;  // defaults everywhere
  restored.load_state_dict(state);
  EXPECT_EQ(restored.state_dict(), expected);
  EXPECT_EQ(restored.get_scale(), 32.0);
  EXPECT_EQ(restored.growth_tracker(), 2);
  EXPECT_EQ(restored.growth_interval(), 5);
  // Both continue identically: three more clean steps grow both once, after the 3rd.
  Tensor q = param_with_grad(zeros({2}), full({2}, 1.0));
  optim::SGD opt2({q}, optim::SGDOptions(0.1));
  for (int i = 0; i < 3; ++i) {
    p.set_grad(full({2}, 1.0));
    q.set_grad(full({2}, 1.0));
    scaler.step(opt);
    scaler.update();
    restored.step(opt2);
    restored.update();
    EXPECT_EQ(restored.state_dict(), scaler.state_dict()) << "step " << i;
  }
  EXPECT_EQ(restored.get_scale(), 96.0);
}

TEST(AmpGradScaler, BadStateDictIsAValueErrorAndChangesNothing) {
  GradScaler scaler({.init_scale = 16.0, .growth_interval = 4});
  const GradScalerState good = {{"scale", 2.0},
                                {"growth_factor", 2.0},
                                {"backoff_factor", 0.5},
                                {"growth_interval", 10.0},
                                {"_growth_tracker", 3.0}};
  auto with = [&](const std::string& key, double value) {
    GradScalerState s = good;
    s[key] = value;
    return s;
  };
  auto without = [&](const std::string& key) {
    GradScalerState s = good;
    s.erase(key);
    return s;
  };
  const GradScalerState before = scaler.state_dict();
  EXPECT_SEEK_ERROR_ALL(scaler.load_state_dict({}), ValueError, {"GradScaler::load_state_dict", "empty", "disabled"});
  for (const char* key : {"scale", "growth_factor", "backoff_factor", "growth_interval", "_growth_tracker"})
    EXPECT_SEEK_ERROR_ALL(scaler.load_state_dict(without(key)), ValueError, {"missing key", key});
  EXPECT_SEEK_ERROR_ALL(scaler.load_state_dict(with("scale", 0.0)), ValueError, {"scale", "got 0"});
  EXPECT_SEEK_ERROR(scaler.load_state_dict(with("scale", std::numeric_limits<double>::infinity())), ValueError,
                    "scale");
  EXPECT_SEEK_ERROR_ALL(scaler.load_state_dict(with("growth_factor", 1.0)), ValueError, {"growth_factor", "got 1"});
  EXPECT_SEEK_ERROR_ALL(scaler.load_state_dict(with("backoff_factor", 1.5)), ValueError, {"backoff_factor", "1.5"});
  EXPECT_SEEK_ERROR_ALL(scaler.load_state_dict(with("growth_interval", 0.0)), ValueError, {"growth_interval", "0"});
  EXPECT_SEEK_ERROR_ALL(scaler.load_state_dict(with("growth_interval", 2.5)), ValueError,
                        {"growth_interval", "whole number", "2.5"});
  EXPECT_SEEK_ERROR_ALL(scaler.load_state_dict(with("_growth_tracker", -1.0)), ValueError, {"_growth_tracker", "-1"});
  EXPECT_SEEK_ERROR_ALL(scaler.load_state_dict(with("_growth_tracker", 0.5)), ValueError, {"_growth_tracker", "0.5"});
  EXPECT_EQ(scaler.state_dict(), before);
  // Extra keys are ignored, as in PyTorch.
  GradScalerState extra = good;
  extra["something_else"] = 1.0;
  scaler.load_state_dict(extra);
  EXPECT_EQ(scaler.state_dict(), good);
}

TEST(AmpGradScaler, TwoOptimizersShareOneScaler) {
  GradScaler scaler({.init_scale = 4.0});
  Tensor a = param_with_grad(zeros({2}), full({2}, 4.0));
  Tensor b = param_with_grad(zeros({2}), full({2}, 8.0));
  optim::SGD opt_a({a}, optim::SGDOptions(1.0));
  optim::SGD opt_b({b}, optim::SGDOptions(1.0));
  // Both clean: both step; one clean step counted.
  scaler.unscale_(opt_a);
  EXPECT_TRUE(scaler.step(opt_a));
  EXPECT_TRUE(scaler.step(opt_b));
  scaler.update();
  EXPECT_EQ(to_vector<float>(a), std::vector<float>(2, -1.0f));
  EXPECT_EQ(to_vector<float>(b), std::vector<float>(2, -2.0f));
  EXPECT_EQ(scaler.growth_tracker(), 1);
  // opt_a overflows, opt_b does not: each optimizer decides for itself, the scale backs off once.
  a.set_grad(tensor<float>({1.0f, std::numeric_limits<float>::infinity()}, {2}));
  b.set_grad(full({2}, 4.0));
  EXPECT_FALSE(scaler.step(opt_a));
  EXPECT_TRUE(scaler.step(opt_b));
  EXPECT_TRUE(scaler.found_inf());
  scaler.update();
  EXPECT_EQ(to_vector<float>(a), std::vector<float>(2, -1.0f));
  EXPECT_EQ(to_vector<float>(b), std::vector<float>(2, -3.0f));
  EXPECT_EQ(scaler.get_scale(), 2.0);
  EXPECT_EQ(scaler.growth_tracker(), 0);
  // The misuse state is per optimizer: opt_b may step although opt_a already did.
  a.set_grad(full({2}, 2.0));
  b.set_grad(full({2}, 2.0));
  EXPECT_TRUE(scaler.step(opt_a));
  EXPECT_SEEK_ERROR(scaler.step(opt_a), Error, "step() has already been called");
  EXPECT_TRUE(scaler.step(opt_b));
  scaler.update();
}

// ---- fp16 autocast training of an f32 model ----

struct Problem {
  Tensor x, y;
};

// 64 examples of 6 features, 3 classes given by a fixed linear rule.
Problem make_problem() {
  Problem p;
  p.x = uniform_tensor({64, 6}, -1, 1, kFloat32, 41);
  const Tensor w = uniform_tensor({6, 3}, -1, 1, kFloat32, 42);
  p.y = p.x.matmul(w).argmax(1);
  return p;
}

std::shared_ptr<nn::Sequential> make_model() {
  manual_seed(5);
  auto m = std::make_shared<nn::Sequential>();
  m->push_back(std::make_shared<nn::Linear>(6, 16));
  m->push_back(std::make_shared<nn::ReLU>());
  m->push_back(std::make_shared<nn::Linear>(16, 3));
  return m;
}

// Full-batch SGD; returns the f32 loss (evaluated without autocast) after every step.
std::vector<double> train(bool amp, int steps, GradScaler* scaler_out = nullptr) {
  const Problem prob = make_problem();
  auto model = make_model();
  optim::SGD opt(model->parameters(), optim::SGDOptions(0.5).momentum_(0.9));
  GradScaler scaler({.enabled = amp});
  std::vector<double> losses;
  for (int i = 0; i < steps; ++i) {
    opt.zero_grad();
    Tensor loss;
    {
      AutocastGuard autocast(DeviceType::CPU, kFloat16, /*enabled=*/amp);
      loss = nn::functional::cross_entropy(model->forward(prob.x), prob.y);
    }
    scaler.scale(loss).backward();
    scaler.step(opt);
    scaler.update();
    NoGradGuard no_grad;
    losses.push_back(nn::functional::cross_entropy(model->forward(prob.x), prob.y).item<double>());
  }
  for (const auto& p : model->parameters()) EXPECT_EQ(p.dtype(), kFloat32);  // master weights stay f32
  if (scaler_out) *scaler_out = scaler;
  return losses;
}

TEST(AmpGradScalerTraining, Float16AutocastWithScalerFollowsFloat32Training) {
  constexpr int kSteps = 40;
  const std::vector<double> f32 = train(false, kSteps);
  GradScaler used;
  const std::vector<double> f16 = train(true, kSteps, &used);
  double initial = 0;
  {
    NoGradGuard no_grad;
    const Problem prob = make_problem();
    initial = nn::functional::cross_entropy(make_model()->forward(prob.x), prob.y).item<double>();
  }
  EXPECT_LT(f32.back(), 0.5 * initial);
  EXPECT_LT(f16.back(), 0.5 * initial);
  // Loosely the same run: float16 rounding and the odd skipped step move it only a little.
  EXPECT_NEAR(f16.back(), f32.back(), 0.1 * initial);
  EXPECT_GT(used.get_scale(), 0.0);
  EXPECT_LE(used.get_scale(), 65536.0);
}

// Needs the autocast hooks in linear/matmul (the "autocast" engineer's work).
TEST(AmpGradScalerTraining, LogitsAreFloat16InsideTheAutocastScope) {
  const Problem prob = make_problem();
  auto model = make_model();
  Tensor logits, loss;
  {
    AutocastGuard autocast(DeviceType::CPU, kFloat16);
    logits = model->forward(prob.x);
    loss = nn::functional::cross_entropy(logits, prob.y);
  }
  EXPECT_EQ(logits.dtype(), kFloat16);
  EXPECT_EQ(loss.dtype(), kFloat32);
  GradScaler scaler;
  scaler.scale(loss).backward();
  for (const auto& p : model->parameters()) {
    ASSERT_TRUE(p.grad().defined());
    EXPECT_EQ(p.grad().dtype(), kFloat32);
  }
}

}  // namespace
}  // namespace seek::amp

// Learning-rate schedulers against closed-form formulas (torch's for OneCycleLR).
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <numbers>
#include <string>
#include <vector>

#include "seek/seek.h"
#include "support/test_util.h"

using namespace seek;
using namespace seek::optim;

namespace {
constexpr double kPi = std::numbers::pi;

// An SGD with one group per lr.
struct Rig {
  std::vector<Tensor> params;
  std::unique_ptr<SGD> opt;
  explicit Rig(std::vector<double> lrs) {
    std::vector<ParamGroup> groups;
    for (double lr : lrs) {
      params.push_back(zeros({2}, kFloat64).requires_grad_());
      groups.emplace_back(std::vector<Tensor>{params.back()}, SGDOptions(lr));
    }
    opt = std::make_unique<SGD>(std::move(groups), SGDOptions(1.0));
  }
};

// Steps `s` from 0 to last: the scheduler's lr (and the optimizer's) equals expected(step, group).
void expect_sequence(LRScheduler& sched, int64_t last, const std::function<double(int64_t, size_t)>& expected) {
  for (int64_t s = 0; s <= last; ++s) {
    if (s > 0) sched.step();
    ASSERT_EQ(sched.last_epoch(), s);
    const auto lrs = sched.get_last_lr();
    for (size_t g = 0; g < lrs.size(); ++g) {
      const double e = expected(s, g);
      EXPECT_NEAR(lrs[g], e, 1e-12 * (1 + std::abs(e))) << "step " << s << " group " << g;
      EXPECT_EQ(sched.optimizer().param_groups()[g].lr(), lrs[g]);
    }
  }
}
}  // namespace

TEST(WarmupCosineLR, KeyPointsAndFullSequence) {
  const int64_t W = 10, T = 50;
  const double base = 0.1, min_lr = 0.001;
  Rig s({base});
  WarmupCosineLR sched(*s.opt, W, T, min_lr);
  std::vector<double> seen;
  auto formula = [&](int64_t k, size_t) {
    if (k < W) return base * static_cast<double>(k) / W;
    if (k > T) return min_lr;
    return min_lr + (base - min_lr) * 0.5 * (1 + std::cos(kPi * static_cast<double>(k - W) / (T - W)));
  };
  for (int64_t k = 0; k <= T + 5; ++k) {
    if (k > 0) sched.step();
    seen.push_back(sched.get_last_lr()[0]);
    EXPECT_NEAR(seen.back(), formula(k, 0), 1e-15) << k;
  }
  EXPECT_EQ(seen[0], 0.0);
  EXPECT_NEAR(seen[W / 2], base / 2, 1e-15);
  EXPECT_NEAR(seen[W], base, 1e-15);
  EXPECT_NEAR(seen[(W + T) / 2], (base + min_lr) / 2, 1e-15);
  EXPECT_NEAR(seen[T], min_lr, 1e-15);
  EXPECT_EQ(seen[T + 5], min_lr);
  EXPECT_EQ(s.opt->param_groups()[0].lr(), min_lr);
}

TEST(WarmupCosineLR, NoWarmupStartsAtBase) {
  Rig s({0.2});
  WarmupCosineLR sched(*s.opt, 0, 4);
  expect_sequence(sched, 6, [](int64_t k, size_t) {
    return k >= 4 ? 0.0 : 0.2 * 0.5 * (1 + std::cos(kPi * static_cast<double>(k) / 4));
  });
}

TEST(LinearWarmupDecayLR, WarmupThenLinearDecay) {
  for (double end : {0.0, 0.1}) {
    Rig s({0.5, 0.05});
    LinearWarmupDecayLR sched(*s.opt, 4, 12, end);
    const double bases[] = {0.5, 0.05};
    expect_sequence(sched, 15, [&](int64_t k, size_t g) {
      const double b = bases[g];
      if (k < 4) return b * static_cast<double>(k) / 4;
      if (k >= 12) return b * end;
      return b * (end + (1 - end) * static_cast<double>(12 - k) / 8);
    });
    EXPECT_NEAR(s.opt->param_groups()[0].lr(), 0.5 * end, 1e-15);
  }
}

TEST(StepLR, DecaysEveryStepSize) {
  Rig s({0.1, 0.01});
  StepLR sched(*s.opt, 3, 0.5);
  const double bases[] = {0.1, 0.01};
  expect_sequence(sched, 10, [&](int64_t k, size_t g) { return bases[g] * std::pow(0.5, static_cast<double>(k / 3)); });
  EXPECT_NEAR(sched.get_last_lr()[0], 0.1 * 0.125, 1e-15);  // step 10: 3 decays
}

TEST(MultiStepLR, DecaysAtMilestones) {
  Rig s({1.0});
  MultiStepLR sched(*s.opt, {2, 5}, 0.1);
  const double want[] = {1.0, 1.0, 0.1, 0.1, 0.1, 0.01, 0.01, 0.01};
  expect_sequence(sched, 7, [&](int64_t k, size_t) { return want[k]; });
}

TEST(ExponentialLR, MultipliesEveryStep) {
  Rig s({0.3});
  ExponentialLR sched(*s.opt, 0.9);
  expect_sequence(sched, 8, [](int64_t k, size_t) { return 0.3 * std::pow(0.9, static_cast<double>(k)); });
}

TEST(OneCycleLR, FollowsTorchFormulas) {
  const int64_t total = 100;
  const double max_lr = 1.0, initial = max_lr / 25, min_lr = initial / 1e4;
  Rig s({0.123});  // the group's lr is replaced by max_lr / div_factor
  OneCycleLR sched(*s.opt, max_lr, total);
  auto anneal = [](double a, double b, double pct) { return b + (a - b) / 2 * (std::cos(kPi * pct) + 1); };
  const double end1 = 0.3 * total - 1, end2 = total - 1.0;
  expect_sequence(sched, total - 1, [&](int64_t k, size_t) {
    const double x = static_cast<double>(k);
    return x <= end1 ? anneal(initial, max_lr, x / end1) : anneal(max_lr, min_lr, (x - end1) / (end2 - end1));
  });
  EXPECT_NEAR(s.opt->param_groups()[0].lr(), min_lr, 1e-18);
  EXPECT_SEEK_ERROR(sched.step(), ValueError, "total_steps is 100");
}

TEST(OneCycleLR, KeyPointsAndPerGroupMaxLr) {
  Rig s({0.1, 0.1});
  OneCycleLR sched(*s.opt, std::vector<double>{2.0, 0.5}, 10, 0.5, 10.0, 100.0);
  EXPECT_NEAR(sched.get_last_lr()[0], 0.2, 1e-15);
  EXPECT_NEAR(sched.get_last_lr()[1], 0.05, 1e-15);
  for (int i = 0; i < 4; ++i) sched.step();  // step 4 = 0.5 * 10 - 1: the peak
  EXPECT_NEAR(sched.get_last_lr()[0], 2.0, 1e-15);
  EXPECT_NEAR(sched.get_last_lr()[1], 0.5, 1e-15);
  for (int i = 0; i < 5; ++i) sched.step();  // step 9: the end
  EXPECT_NEAR(sched.get_last_lr()[0], 2.0 / 10 / 100, 1e-15);
  EXPECT_SEEK_ERROR(OneCycleLR(*s.opt, std::vector<double>{1.0}, 10), ValueError, "one per parameter group");
  EXPECT_SEEK_ERROR(OneCycleLR(*s.opt, 1.0, 10, 0.05), ValueError, "pct_start");
  EXPECT_SEEK_ERROR(OneCycleLR(*s.opt, 1.0, 0), ValueError, "total_steps must be > 0");
}

TEST(LRScheduler, StateDictResumeContinuesSequence) {
  auto check = [](auto make) {
    Rig a({0.1, 0.02}), b({0.5, 0.5});
    auto sa = make(*a.opt);
    for (int i = 0; i < 7; ++i) sa->step();
    auto dict = sa->state_dict();
    auto sb = make(*b.opt);
    sb->load_state_dict(dict);
    EXPECT_EQ(sb->last_epoch(), 7);
    EXPECT_EQ(b.opt->param_groups()[1].lr(), a.opt->param_groups()[1].lr());
    for (int i = 0; i < 10; ++i) {
      sa->step();
      sb->step();
      EXPECT_EQ(sa->get_last_lr(), sb->get_last_lr()) << "step " << i;
      EXPECT_EQ(b.opt->param_groups()[0].lr(), a.opt->param_groups()[0].lr());
    }
  };
  check([](Optimizer& o) { return std::make_unique<WarmupCosineLR>(o, 5, 20, 1e-4); });
  check([](Optimizer& o) { return std::make_unique<LinearWarmupDecayLR>(o, 5, 20); });
  check([](Optimizer& o) { return std::make_unique<StepLR>(o, 4, 0.3); });
  check([](Optimizer& o) { return std::make_unique<MultiStepLR>(o, std::vector<int64_t>{3, 9, 12}); });
  check([](Optimizer& o) { return std::make_unique<ExponentialLR>(o, 0.8); });
  check([](Optimizer& o) { return std::make_unique<OneCycleLR>(o, 1.0, 30); });
}

TEST(LRScheduler, BadInputThrowsValueError) {
  Rig s({0.1});
  EXPECT_SEEK_ERROR(WarmupCosineLR(*s.opt, 10, 10), ValueError, "warmup_steps < total_steps");
  EXPECT_SEEK_ERROR(LinearWarmupDecayLR(*s.opt, 2, 10, 1.5), ValueError, "end_factor");
  EXPECT_SEEK_ERROR(StepLR(*s.opt, 0), ValueError, "step_size must be > 0");
  EXPECT_SEEK_ERROR(MultiStepLR(*s.opt, {5, 3}), ValueError, "milestones must increase");
  EXPECT_SEEK_ERROR(ExponentialLR(*s.opt, 0.0), ValueError, "gamma must be > 0");
  StepLR sched(*s.opt, 2);
  auto dict = sched.state_dict();
  dict.pop_back();
  EXPECT_SEEK_ERROR(sched.load_state_dict(dict), ValueError, "missing key 'last_lr.0'");
  dict = sched.state_dict();
  dict.emplace_back("base_lr.1", 0.1);
  EXPECT_SEEK_ERROR(sched.load_state_dict(dict), ValueError, "unexpected key 'base_lr.1'");
}

TEST(ReduceLROnPlateau, PatienceAndCooldown) {
  Rig s({1.0});
  ReduceLROnPlateau::Options o;
  o.patience = 2;
  o.factor = 0.5;
  o.cooldown = 1;
  ReduceLROnPlateau sched(*s.opt, o);
  // Step 0 sets best; steps 1-3 are bad (3 > patience 2): reduce; step 4 is cooldown (its bad
  // epoch does not count); steps 5-7 bad again: reduce.
  const double want[] = {1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.25};
  for (int i = 0; i < 8; ++i) {
    sched.step(10.0);
    EXPECT_EQ(sched.get_last_lr()[0], want[i]) << "step " << i;
    EXPECT_EQ(s.opt->param_groups()[0].lr(), want[i]);
  }
  // An improvement resets the count.
  sched.step(5.0);
  sched.step(5.0);
  sched.step(5.0);
  EXPECT_EQ(sched.num_bad_epochs(), 2);
  EXPECT_EQ(sched.get_last_lr()[0], 0.25);
}

TEST(ReduceLROnPlateau, RelativeThresholdMaxModeAndMinLr) {
  Rig s({1.0});
  ReduceLROnPlateau::Options o;
  o.patience = 0;
  o.threshold = 0.1;
  ReduceLROnPlateau sched(*s.opt, o);
  sched.step(10.0);
  sched.step(9.5);  // not below 10 * (1 - 0.1): a bad epoch, patience 0 -> reduce
  EXPECT_NEAR(sched.get_last_lr()[0], 0.1, 1e-15);
  EXPECT_EQ(sched.best(), 10.0);
  sched.step(8.9);  // better
  EXPECT_NEAR(sched.get_last_lr()[0], 0.1, 1e-15);
  EXPECT_EQ(sched.best(), 8.9);

  Rig m({1.0});
  ReduceLROnPlateau::Options om;
  om.mode = "max";
  om.patience = 1;
  om.min_lr = 0.3;
  om.threshold_mode = "abs";
  om.threshold = 0.5;
  ReduceLROnPlateau up(*m.opt, om);
  up.step(1.0);
  up.step(1.4);  // not above 1.0 + 0.5
  up.step(1.5);  // not above 1.5 either: 2 > 1 -> 1.0 * 0.1, floored at min_lr 0.3
  EXPECT_EQ(up.get_last_lr()[0], 0.3);
  up.step(0.0);
  up.step(0.0);  // at min_lr: stays
  EXPECT_EQ(up.get_last_lr()[0], 0.3);
}

TEST(ReduceLROnPlateau, StateDictResumeAndBadOptions) {
  ReduceLROnPlateau::Options o;
  o.patience = 1;
  o.cooldown = 2;
  Rig a({1.0}), b({1.0});
  ReduceLROnPlateau sa(*a.opt, o), sb(*b.opt, o);
  const double metrics[] = {3, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1};
  for (int i = 0; i < 4; ++i) sa.step(metrics[i]);
  sb.load_state_dict(sa.state_dict());
  EXPECT_EQ(b.opt->param_groups()[0].lr(), a.opt->param_groups()[0].lr());
  for (int i = 4; i < 12; ++i) {
    sa.step(metrics[i]);
    sb.step(metrics[i]);
    EXPECT_EQ(sa.get_last_lr(), sb.get_last_lr()) << i;
  }
  EXPECT_LT(sa.get_last_lr()[0], 0.1);
  auto bad = o;
  bad.mode = "avg";
  EXPECT_SEEK_ERROR(ReduceLROnPlateau(*a.opt, bad), ValueError, "mode must be 'min' or 'max'");
  bad = o;
  bad.factor = 1.0;
  EXPECT_SEEK_ERROR(ReduceLROnPlateau(*a.opt, bad), ValueError, "factor must be in [0, 1)");
  auto dict = sa.state_dict();
  dict.erase(dict.begin() + 1);
  EXPECT_SEEK_ERROR(sb.load_state_dict(dict), ValueError, "missing key 'best'");
}

namespace {
// An optimizer with nothing but lr, to check that OneCycleLR's momentum cycling asks for momentum.
struct LrOnlyOptions : OptimizerOptions {
  using OptimizerOptions::OptimizerOptions;
  std::unique_ptr<OptimizerOptions> clone() const override { return std::make_unique<LrOnlyOptions>(*this); }
  const seek::optim::OptionTable& table() const override {
    static const seek::optim::OptionTable t{"LrOnly",
                                            {SEEK_OPTIM_FIELD(LrOnlyOptions, lr, "learning rate", 0.0, INFINITY)}};
    return t;
  }
};
struct LrOnly : Optimizer {
  explicit LrOnly(std::vector<Tensor> p) : Optimizer("LrOnly", {ParamGroup(std::move(p))}, LrOnlyOptions(0.1)) {}
  void step() override {}
};
double option(const Optimizer& opt, const std::string& key) {
  for (const auto& [k, v] : opt.param_groups()[0].options->to_pairs())
    if (k == key) return v;
  ADD_FAILURE() << "no option " << key;
  return 0;
}
}  // namespace

TEST(OneCycleLR, CyclesMomentumOrBeta1Inversely) {
  auto anneal = [](double a, double b, double pct) { return b + (a - b) / 2 * (std::cos(kPi * pct) + 1); };
  Tensor p = zeros({2}, kFloat64).requires_grad_();
  SGD sgd({p}, SGDOptions(0.1).momentum_(0.5));
  Tensor q = zeros({2}, kFloat64).requires_grad_();
  Adam adam({q}, AdamOptions(0.1).betas(0.9, 0.99));
  OneCycleLR s1(sgd, 1.0, 20), s2(adam, 1.0, 20, 0.3, 25.0, 1e4, true, 0.8, 0.9);
  for (int64_t k = 0; k < 20; ++k) {
    if (k > 0) {
      s1.step();
      s2.step();
    }
    const double x = static_cast<double>(k), end1 = 5.0, end2 = 19.0;
    const double m1 = x <= end1 ? anneal(0.95, 0.85, x / end1) : anneal(0.85, 0.95, (x - end1) / (end2 - end1));
    const double m2 = x <= end1 ? anneal(0.9, 0.8, x / end1) : anneal(0.8, 0.9, (x - end1) / (end2 - end1));
    EXPECT_NEAR(option(sgd, "momentum"), m1, 1e-15) << k;
    EXPECT_NEAR(option(adam, "beta1"), m2, 1e-15) << k;
    EXPECT_EQ(option(adam, "beta2"), 0.99);
  }
  EXPECT_NEAR(option(sgd, "momentum"), 0.95, 1e-15);

  Tensor r = zeros({2}, kFloat64).requires_grad_();
  SGD plain({r}, SGDOptions(0.1).momentum_(0.5));
  OneCycleLR off(plain, 1.0, 20, 0.3, 25.0, 1e4, /*cycle_momentum=*/false);
  off.step();
  EXPECT_EQ(option(plain, "momentum"), 0.5);

  LrOnly lr_only({zeros({1}).requires_grad_()});
  EXPECT_SEEK_ERROR(OneCycleLR(lr_only, 1.0, 10), ValueError, "LrOnly has neither");
  OneCycleLR ok(lr_only, 1.0, 10, 0.3, 25.0, 1e4, false);
  EXPECT_NEAR(ok.get_last_lr()[0], 0.04, 1e-15);
}

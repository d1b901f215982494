// Adam and AdamW against a float64 reference written from torch.optim.Adam / AdamW's
// documented algorithm.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "seek/seek.h"
#include "optim/optim_test_util.h"

using namespace seek;
using namespace seek::optim;
using namespace seek::testing;

namespace {
struct RefAdam {
  AdamOptions o;
  bool decoupled;
  std::vector<double> m = std::vector<double>(4, 0.0), v = m, vmax = m;
  int t = 0;
  void step(std::vector<double>& p) {
    ++t;
    const double bc1 = 1 - std::pow(o.beta1, t), bc2 = 1 - std::pow(o.beta2, t);
    for (size_t i = 0; i < p.size(); ++i) {
      double g = 2 * kCoef[i] * (p[i] - kTarget[i]);
      if (decoupled)
        p[i] *= 1 - o.lr * o.weight_decay;
      else
        g += o.weight_decay * p[i];
      m[i] = o.beta1 * m[i] + (1 - o.beta1) * g;
      v[i] = o.beta2 * v[i] + (1 - o.beta2) * g * g;
      vmax[i] = std::max(vmax[i], v[i]);
      const double vhat = (o.amsgrad ? vmax[i] : v[i]) / bc2;
      p[i] -= o.lr * (m[i] / bc1) / (std::sqrt(vhat) + o.eps);
    }
  }
};

template <typename Opt, typename Options>
std::vector<std::vector<double>> run(const Options& o, bool decoupled, const std::string& name, int steps = 8) {
  Tensor p = param(kInit);
  Opt opt({p}, o);
  RefAdam ref{o, decoupled};
  std::vector<double> rp = kInit;
  std::vector<std::vector<double>> traj;
  for (int s = 0; s < steps; ++s) {
    backward(p);
    opt.step();
    ref.step(rp);
    auto got = values(p);
    for (size_t i = 0; i < rp.size(); ++i)
      EXPECT_NEAR(got[i], rp[i], 1e-12 * (1 + std::abs(rp[i]))) << name << " step " << s << " [" << i << "]";
    traj.push_back(got);
  }
  return traj;
}
}  // namespace

TEST(Adam, DefaultsMatchReference) { run<Adam>(AdamOptions(0.1), false, "adam"); }

TEST(Adam, L2WeightDecayMatchesReference) {
  run<Adam>(AdamOptions(0.05).weight_decay_(0.1).betas(0.8, 0.95).eps_(1e-6), false, "adam wd");
}

TEST(Adam, AmsgradMatchesReferenceAndMatters) {
  // A large lr makes the iterates overshoot and the gradients shrink, so v falls below its maximum.
  auto with = run<Adam>(AdamOptions(0.5).betas(0.5, 0.6).amsgrad_(true), false, "amsgrad");
  auto without = run<Adam>(AdamOptions(0.5).betas(0.5, 0.6), false, "no amsgrad");
  EXPECT_NE(with.back(), without.back());
}

TEST(AdamW, DecoupledWeightDecayMatchesReference) {
  EXPECT_DOUBLE_EQ(AdamWOptions().weight_decay, 1e-2);
  run<AdamW>(AdamWOptions(0.05).weight_decay_(0.1), true, "adamw");
  run<AdamW>(AdamWOptions(0.5).betas(0.5, 0.6).weight_decay_(0.05).amsgrad_(true), true, "adamw amsgrad");
  // L2 and decoupled decay give different trajectories.
  auto l2 = run<Adam>(AdamOptions(0.05).weight_decay_(0.1), false, "adam l2");
  auto dec = run<AdamW>(AdamWOptions(0.05).weight_decay_(0.1), true, "adamw dec");
  EXPECT_NE(l2.back(), dec.back());
}

TEST(Adam, ParamGroupsHaveOwnOptions) {
  Tensor a = param(kInit), b = param(kInit);
  Adam opt({ParamGroup({a}, AdamOptions(0.1).amsgrad_(true)), ParamGroup({b})}, AdamOptions(0.01));
  RefAdam ra{AdamOptions(0.1).amsgrad_(true), false}, rb{AdamOptions(0.01), false};
  std::vector<double> pa = kInit, pb = kInit;
  for (int s = 0; s < 5; ++s) {
    backward(a);
    backward(b);
    opt.step();
    ra.step(pa);
    rb.step(pb);
    for (size_t i = 0; i < 4; ++i) {
      EXPECT_NEAR(values(a)[i], pa[i], 1e-12);
      EXPECT_NEAR(values(b)[i], pb[i], 1e-12);
    }
  }
}

TEST(Adam, StateDictRoundTripContinuesIdentically) {
  const auto o = AdamWOptions(0.05).betas(0.8, 0.9).amsgrad_(true);
  Tensor a = param(kInit);
  AdamW opt_a({a}, o);
  for (int s = 0; s < 3; ++s) {
    backward(a);
    opt_a.step();
  }
  auto dict = opt_a.state_dict();
  bool has_step = false, has_max = false;
  for (const auto& [k, v] : dict) {
    if (k == "state.0.0.step") {
      has_step = true;
      EXPECT_EQ(v.item<double>(), 3.0);
    }
    if (k == "state.0.0.max_exp_avg_sq") has_max = true;
  }
  EXPECT_TRUE(has_step);
  EXPECT_TRUE(has_max);
  Tensor b = param(values(a));
  AdamW opt_b({b}, AdamWOptions(1.0));
  opt_b.load_state_dict(dict);
  for (int s = 0; s < 4; ++s) {
    backward(a);
    opt_a.step();
    backward(b);
    opt_b.step();
    EXPECT_EQ(values(a), values(b)) << "step " << s;
  }
  // Without the state the continuation differs (bias correction restarts).
  Tensor c = param(values(a));
  AdamW fresh({c}, o);
  backward(a);
  opt_a.step();
  backward(c);
  fresh.step();
  EXPECT_NE(values(a), values(c));
}

TEST(Adam, BadOptionsThrowValueError) {
  Tensor a = param({1.0});
  EXPECT_SEEK_ERROR(Adam({a}, AdamOptions(-1e-3)), ValueError, "invalid learning rate");
  EXPECT_SEEK_ERROR(Adam({a}, AdamOptions().betas(1.0, 0.999)), ValueError, "invalid beta1 1");
  EXPECT_SEEK_ERROR(Adam({a}, AdamOptions().betas(0.9, -0.1)), ValueError, "invalid beta2 -0.1");
  EXPECT_SEEK_ERROR(Adam({a}, AdamOptions().eps_(-1)), ValueError, "invalid epsilon");
  EXPECT_SEEK_ERROR(AdamW({a}, AdamWOptions().weight_decay_(-1)), ValueError, "AdamW: invalid weight_decay");
  // AdamW groups take AdamWOptions, not AdamOptions.
  EXPECT_SEEK_ERROR(AdamW({ParamGroup({a}, AdamOptions())}, AdamWOptions()), ValueError, "another optimizer");
}

TEST(Adam, ZeroGradAndSkip) {
  Tensor a = param({1.0, 2.0}), b = param({5.0});
  Adam opt({a, b}, AdamOptions(0.1));
  a.set_grad(tensor<double>({1.0, -1.0}, {2}));
  opt.step();  // first Adam step moves each element by lr * sign(g) (up to eps)
  EXPECT_NEAR(values(a)[0], 0.9, 1e-7);
  EXPECT_NEAR(values(a)[1], 2.1, 1e-7);
  EXPECT_EQ(values(b), std::vector<double>({5.0}));
  opt.zero_grad();
  EXPECT_FALSE(a.grad().defined());
}

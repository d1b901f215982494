// RMSprop against a float64 reference written from torch.optim.RMSprop's documented algorithm.
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
struct RefRMSprop {
  RMSpropOptions o;
  std::vector<double> v = std::vector<double>(4, 0.0), ga = v, buf = v;
  void step(std::vector<double>& p) {
    for (size_t i = 0; i < p.size(); ++i) {
      double g = 2 * kCoef[i] * (p[i] - kTarget[i]) + o.weight_decay * p[i];
      v[i] = o.alpha * v[i] + (1 - o.alpha) * g * g;
      double vt = v[i];
      if (o.centered) {
        ga[i] = o.alpha * ga[i] + (1 - o.alpha) * g;
        vt -= ga[i] * ga[i];
      }
      const double avg = std::sqrt(vt) + o.eps;
      if (o.momentum > 0) {
        buf[i] = o.momentum * buf[i] + g / avg;
        p[i] -= o.lr * buf[i];
      } else {
        p[i] -= o.lr * g / avg;
      }
    }
  }
};

std::vector<double> run(const RMSpropOptions& o, const std::string& name) {
  Tensor p = param(kInit);
  RMSprop opt({p}, o);
  RefRMSprop ref{o};
  std::vector<double> rp = kInit;
  for (int s = 0; s < 8; ++s) {
    backward(p);
    opt.step();
    ref.step(rp);
    auto got = values(p);
    for (size_t i = 0; i < 4; ++i)
      EXPECT_NEAR(got[i], rp[i], 1e-12 * (1 + std::abs(rp[i]))) << name << " step " << s << " [" << i << "]";
  }
  return values(p);
}
}  // namespace

TEST(RMSprop, DefaultsMatchReference) {
  EXPECT_DOUBLE_EQ(RMSpropOptions().lr, 1e-2);
  EXPECT_DOUBLE_EQ(RMSpropOptions().alpha, 0.99);
  run(RMSpropOptions(0.01), "default");
}

TEST(RMSprop, WeightDecayAndMomentumMatchReference) {
  run(RMSpropOptions(0.01).weight_decay_(0.1).momentum_(0.9).alpha_(0.9), "wd momentum");
}

TEST(RMSprop, CenteredMatchesReferenceAndDiffers) {
  auto centered = run(RMSpropOptions(0.01).centered_(true).alpha_(0.8).eps_(1e-4), "centered");
  auto centered_m = run(RMSpropOptions(0.01).centered_(true).momentum_(0.5), "centered momentum");
  auto plain = run(RMSpropOptions(0.01).alpha_(0.8).eps_(1e-4), "plain");
  EXPECT_NE(centered, plain);
}

TEST(RMSprop, StateDictRoundTripContinuesIdentically) {
  const auto o = RMSpropOptions(0.02).centered_(true).momentum_(0.5).weight_decay_(0.01);
  Tensor a = param(kInit);
  RMSprop opt_a({a}, o);
  for (int s = 0; s < 3; ++s) {
    backward(a);
    opt_a.step();
  }
  auto dict = opt_a.state_dict();
  Tensor b = param(values(a));
  RMSprop opt_b({b}, RMSpropOptions());
  opt_b.load_state_dict(dict);
  for (int s = 0; s < 4; ++s) {
    backward(a);
    opt_a.step();
    backward(b);
    opt_b.step();
    EXPECT_EQ(values(a), values(b)) << "step " << s;
  }
}

TEST(RMSprop, ParamGroupsAndZeroGrad) {
  Tensor a = param(kInit), b = param(kInit);
  RMSprop opt({ParamGroup({a}), ParamGroup({b}, RMSpropOptions(0.05))}, RMSpropOptions(0.01));
  RefRMSprop ra{RMSpropOptions(0.01)}, rb{RMSpropOptions(0.05)};
  std::vector<double> pa = kInit, pb = kInit;
  for (int s = 0; s < 3; ++s) {
    backward(a);
    backward(b);
    opt.step();
    ra.step(pa);
    rb.step(pb);
  }
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_NEAR(values(a)[i], pa[i], 1e-12);
    EXPECT_NEAR(values(b)[i], pb[i], 1e-12);
  }
  opt.zero_grad(false);
  EXPECT_EQ(values(a.grad()), std::vector<double>(4, 0.0));
}

TEST(RMSprop, BadOptionsThrowValueError) {
  Tensor a = param({1.0});
  EXPECT_SEEK_ERROR(RMSprop({a}, RMSpropOptions(-0.01)), ValueError, "RMSprop: invalid learning rate");
  EXPECT_SEEK_ERROR(RMSprop({a}, RMSpropOptions().alpha_(-0.5)), ValueError, "invalid alpha");
  EXPECT_SEEK_ERROR(RMSprop({a}, RMSpropOptions().eps_(-1)), ValueError, "invalid epsilon");
  EXPECT_SEEK_ERROR(RMSprop({a}, RMSpropOptions().momentum_(-1)), ValueError, "invalid momentum");
  EXPECT_SEEK_ERROR(RMSprop({a}, RMSpropOptions().weight_decay_(-1)), ValueError, "invalid weight_decay");
}

// SGD against a float64 reference written from torch.optim.SGD's documented algorithm.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "seek/seek.h"
#include "optim/optim_test_util.h"

using namespace seek;
using namespace seek::optim;
using namespace seek::testing;

namespace {
std::vector<double> ref_grad(const std::vector<double>& p) {
  std::vector<double> g(p.size());
  for (size_t i = 0; i < p.size(); ++i) g[i] = 2 * kCoef[i] * (p[i] - kTarget[i]);
  return g;
}

struct RefSGD {
  SGDOptions o;
  std::vector<double> buf;
  void step(std::vector<double>& p) {
    auto g = ref_grad(p);
    for (size_t i = 0; i < p.size(); ++i) g[i] += o.weight_decay * p[i];
    if (o.momentum != 0) {
      if (buf.empty())
        buf = g;
      else
        for (size_t i = 0; i < p.size(); ++i) buf[i] = o.momentum * buf[i] + (1 - o.dampening) * g[i];
      for (size_t i = 0; i < p.size(); ++i) g[i] = o.nesterov ? g[i] + o.momentum * buf[i] : buf[i];
    }
    for (size_t i = 0; i < p.size(); ++i) p[i] -= o.lr * g[i];
  }
};

void expect_close(const std::vector<double>& a, const std::vector<double>& b, const std::string& what) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i)
    EXPECT_NEAR(a[i], b[i], 1e-12 * (1 + std::abs(b[i]))) << what << " [" << i << "]";
}

void check_against_reference(const SGDOptions& o, const std::string& name) {
  std::vector<double> init = {0.3, 0.7, -1.2, 2.0};
  Tensor p = param(init);
  SGD opt({p}, o);
  RefSGD ref{o, {}};
  std::vector<double> rp = init;
  for (int s = 0; s < 6; ++s) {
    backward(p);
    opt.step();
    ref.step(rp);
    expect_close(values(p), rp, name + " step " + std::to_string(s));
  }
}
}  // namespace

TEST(SGD, PlainMatchesReference) { check_against_reference(SGDOptions(0.1), "plain"); }

TEST(SGD, MomentumDampeningWeightDecayMatchReference) {
  check_against_reference(SGDOptions(0.05).momentum_(0.9).dampening_(0.2).weight_decay_(0.01), "momentum");
}

TEST(SGD, NesterovMatchesReference) {
  check_against_reference(SGDOptions(0.05).momentum_(0.8).nesterov_(true).weight_decay_(0.1), "nesterov");
}

TEST(SGD, FirstMomentumStepUsesGradientWithoutDampening) {
  // torch initialises the buffer to the gradient itself: step 1 is p - lr * g even with dampening.
  Tensor p = param({1.0});
  SGD opt({p}, SGDOptions(0.5).momentum_(0.9).dampening_(0.5));
  p.set_grad(tensor<double>({2.0}, {1}));
  opt.step();
  EXPECT_DOUBLE_EQ(values(p)[0], 0.0);
  opt.step();  // buf = 0.9 * 2 + 0.5 * 2 = 2.8
  EXPECT_DOUBLE_EQ(values(p)[0], -1.4);
}

TEST(SGD, ParamGroupsHaveOwnLearningRates) {
  Tensor a = param({0.3, 0.7, -1.2, 2.0}), b = param({0.3, 0.7, -1.2, 2.0});
  SGD opt({ParamGroup({a}, SGDOptions(0.1)), ParamGroup({b})}, SGDOptions(0.01).momentum_(0.5));
  ASSERT_EQ(opt.param_groups().size(), 2u);
  EXPECT_DOUBLE_EQ(opt.param_groups()[0].lr(), 0.1);
  EXPECT_DOUBLE_EQ(opt.param_groups()[1].lr(), 0.01);
  RefSGD ra{SGDOptions(0.1), {}}, rb{SGDOptions(0.01).momentum_(0.5), {}};
  std::vector<double> pa = values(a), pb = values(b);
  for (int s = 0; s < 4; ++s) {
    if (s == 2) {  // a scheduler-like change of one group's lr takes effect at the next step
      opt.param_groups()[0].set_lr(0.2);
      ra.o.lr = 0.2;
    }
    backward(a);
    backward(b);
    opt.step();
    ra.step(pa);
    rb.step(pb);
    expect_close(values(a), pa, "group 0");
    expect_close(values(b), pb, "group 1");
  }
}

TEST(SGD, SkipsParametersWithoutGradient) {
  Tensor a = param({1.0, 2.0}), b = param({3.0});
  SGD opt({a, b}, SGDOptions(0.1).momentum_(0.9));
  a.set_grad(tensor<double>({1.0, 1.0}, {2}));
  opt.step();
  EXPECT_EQ(values(b), std::vector<double>({3.0}));
  for (const auto& [k, v] : opt.state_dict()) EXPECT_EQ(k.rfind("state.0.1.", 0), std::string::npos) << k;
}

TEST(SGD, ZeroGrad) {
  Tensor a = param({1.0, 2.0});
  SGD opt({a}, SGDOptions(0.1));
  a.set_grad(tensor<double>({1.0, 1.0}, {2}));
  opt.zero_grad(/*set_to_none=*/false);
  ASSERT_TRUE(a.grad().defined());
  EXPECT_EQ(values(a.grad()), std::vector<double>({0.0, 0.0}));
  opt.zero_grad();
  EXPECT_FALSE(a.grad().defined());
  opt.step();  // nothing to do
  EXPECT_EQ(values(a), std::vector<double>({1.0, 2.0}));
}

TEST(SGD, StateDictRoundTripContinuesIdentically) {
  const auto o = SGDOptions(0.05).momentum_(0.9).dampening_(0.1).weight_decay_(0.01);
  Tensor a = param({0.3, 0.7, -1.2, 2.0});
  SGD opt_a({a}, o);
  for (int s = 0; s < 3; ++s) {
    backward(a);
    opt_a.step();
  }
  OptimizerStateDict dict = opt_a.state_dict();
  Tensor b = param(values(a));
  SGD opt_b({b}, SGDOptions(0.5));  // other options: the dict's replace them
  opt_b.load_state_dict(dict);
  EXPECT_DOUBLE_EQ(opt_b.param_groups()[0].lr(), 0.05);
  for (int s = 0; s < 3; ++s) {
    backward(a);
    opt_a.step();
    backward(b);
    opt_b.step();
    EXPECT_EQ(values(a), values(b)) << "step " << s;
  }
}

TEST(SGD, LoadStateDictRejectsMismatch) {
  Tensor a = param({1.0, 2.0});
  SGD opt({a}, SGDOptions(0.1).momentum_(0.9));
  a.set_grad(tensor<double>({1.0, 1.0}, {2}));
  opt.step();
  auto dict = opt.state_dict();

  Tensor b = param({1.0, 2.0}), c = param({1.0});
  SGD two({b, c}, SGDOptions(0.1).momentum_(0.9));
  EXPECT_SEEK_ERROR(two.load_state_dict(dict), ValueError, "parameters");

  Tensor d = param({1.0, 2.0, 3.0});
  SGD wrong_shape({d}, SGDOptions(0.1).momentum_(0.9));
  EXPECT_SEEK_ERROR(wrong_shape.load_state_dict(dict), ValueError, "shape");

  auto bad = dict;
  bad.emplace_back("state.0.7.momentum_buffer", zeros({2}, kFloat64));
  SGD other({param({1.0, 2.0})}, SGDOptions(0.1));
  EXPECT_SEEK_ERROR(other.load_state_dict(bad), ValueError, "does not have");
  bad = dict;
  bad.emplace_back("whatever", zeros({}, kFloat64));
  EXPECT_SEEK_ERROR(other.load_state_dict(bad), ValueError, "unexpected key");
  bad = dict;
  bad.emplace_back("param_groups.0.betas", zeros({}, kFloat64));
  EXPECT_SEEK_ERROR(other.load_state_dict(bad), ValueError, "unknown option");
  // A failed load changes nothing.
  EXPECT_DOUBLE_EQ(other.param_groups()[0].lr(), 0.1);
}

TEST(SGD, BadOptionsThrowValueError) {
  Tensor a = param({1.0});
  EXPECT_SEEK_ERROR(SGD({a}, SGDOptions(-0.1)), ValueError, "invalid learning rate -0.1");
  EXPECT_SEEK_ERROR(SGD({a}, SGDOptions(0.1).momentum_(-1)), ValueError, "invalid momentum");
  EXPECT_SEEK_ERROR(SGD({a}, SGDOptions(0.1).weight_decay_(-1)), ValueError, "invalid weight_decay");
  EXPECT_SEEK_ERROR(SGD({a}, SGDOptions(0.1).nesterov_(true)), ValueError, "nesterov");
  EXPECT_SEEK_ERROR(SGD({a}, SGDOptions(0.1).momentum_(0.9).dampening_(0.1).nesterov_(true)), ValueError,
                    "zero dampening");
  EXPECT_SEEK_ERROR(SGD({ParamGroup({a}, SGDOptions(-1.0))}, SGDOptions(0.1)), ValueError, "invalid learning rate");
  EXPECT_SEEK_ERROR(SGD({a, a}, SGDOptions(0.1)), ValueError, "more than one place");
  EXPECT_SEEK_ERROR(SGD({tensor<int64_t>({1}, {1})}, SGDOptions(0.1)), ValueError, "floating point");
  EXPECT_SEEK_ERROR(SGD({ParamGroup({a}, AdamOptions(0.1))}, SGDOptions(0.1)), ValueError, "another optimizer");
  EXPECT_SEEK_ERROR(SGD(std::vector<Tensor>{}, SGDOptions(0.1)), ValueError, "no parameters");
}

TEST(SGD, WorksOnFloat32) {
  Tensor p = tensor<float>({1.0f, -1.0f}, {2}).requires_grad_();
  SGD opt({p}, SGDOptions(0.5).momentum_(0.5));
  p.set_grad(tensor<float>({1.0f, 2.0f}, {2}));
  opt.step();
  opt.step();  // buf = 0.5 * g + g = 1.5 g
  const float* d = p.data_ptr<float>();
  EXPECT_FLOAT_EQ(d[0], 1.0f - 0.5f * 1.0f - 0.5f * 1.5f);
  EXPECT_FLOAT_EQ(d[1], -1.0f - 0.5f * 2.0f - 0.5f * 3.0f);
}

TEST(SGD, AddParamGroup) {
  Tensor a = param({1.0}), b = param({1.0});
  SGD opt({a}, SGDOptions(0.1));
  opt.add_param_group(ParamGroup({b}, SGDOptions(0.5)));
  ASSERT_EQ(opt.param_groups().size(), 2u);
  a.set_grad(tensor<double>({1.0}, {1}));
  b.set_grad(tensor<double>({1.0}, {1}));
  opt.step();
  EXPECT_DOUBLE_EQ(values(a)[0], 0.9);
  EXPECT_DOUBLE_EQ(values(b)[0], 0.5);
  EXPECT_SEEK_ERROR(opt.add_param_group(ParamGroup({a})), ValueError, "more than one place");
  // A scheduler made before the new group refuses to step.
  Tensor c = param({1.0});
  StepLR sched(opt, 2);
  opt.add_param_group(ParamGroup({c}));
  EXPECT_SEEK_ERROR(sched.step(), ValueError, "3 parameter groups but the scheduler was made for 2");
}

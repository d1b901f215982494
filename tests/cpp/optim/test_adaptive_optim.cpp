// Adagrad, Adadelta, Adamax, NAdam and RAdam against torch 1.13: the parameter after 5 and 20 steps on the
// fixture's quadratic (values from tests/python/ref/gen_optim.py, which writes tests/python/ref/optim_ref.json;
// NAdam's follow torch 2's corrected momentum product, computed there in float64).
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "optim/optim_test_util.h"
#include "seek/seek.h"

using namespace seek;
using namespace seek::optim;
using namespace seek::testing;

namespace {
// Runs 20 steps of `opt` on p and compares p after steps 5 and 20 with torch's values.
void expect_trajectory(Optimizer& opt, Tensor& p, const std::vector<double>& at5, const std::vector<double>& at20,
                       const std::string& name) {
  for (int s = 1; s <= 20; ++s) {
    backward(p);
    opt.step();
    if (s != 5 && s != 20) continue;
    const auto& want = s == 5 ? at5 : at20;
    auto got = values(p);
    for (size_t i = 0; i < 4; ++i)
      EXPECT_NEAR(got[i], want[i], 1e-12 * (1 + std::abs(want[i]))) << name << " step " << s << " [" << i << "]";
  }
}
}  // namespace

TEST(AdaptiveOptim, AdagradMatchesTorch) {
  AdagradOptions o;
  Tensor p = param(kInit);
  Adagrad opt({p}, o);
  expect_trajectory(opt, p, {0.332043243301171, 0.6677534205912191, -1.1677949229465547, 2.0321261273473725},
                    {0.37430949592460283, 0.6244637385762039, -1.124711763110716, 2.0748130528917623}, "adagrad");
}

TEST(AdaptiveOptim, AdagradAllMatchesTorch) {
  AdagradOptions o;
  o.lr = 0.1;
  o.lr_decay = 0.01;
  o.weight_decay = 0.1;
  o.initial_accumulator_value = 0.5;
  o.eps = 1e-08;
  Tensor p = param(kInit);
  Adagrad opt({p}, o);
  expect_trajectory(opt, p, {0.5674585100431327, 0.394779645620949, -0.8941802338187276, 2.151500766052355},
                    {0.8027223437113638, 0.03675514364699187, -0.5541357302130601, 2.34448278351051}, "adagrad_all");
}

TEST(AdaptiveOptim, AdagradMaxMatchesTorch) {
  AdagradOptions o;
  o.lr = 0.05;
  o.maximize = true;
  Tensor p = param(kInit);
  Adagrad opt({p}, o);
  expect_trajectory(opt, p, {0.1321606260211822, 0.8632968256620654, -1.3642740839675538, 1.833939135473206},
                    {-0.11383591156511368, 1.0896752646234036, -1.5951341253216424, 1.5952558616569348}, "adagrad_max");
}

TEST(AdaptiveOptim, AdadeltaMatchesTorch) {
  AdadeltaOptions o;
  Tensor p = param(kInit);
  Adadelta opt({p}, o);
  expect_trajectory(opt, p, {0.3163410173139236, 0.6835908222235407, -1.1836048087343556, 2.0163683590777697},
                    {0.36742881870104366, 0.6307631882019576, -1.131137301367492, 2.068156850117266}, "adadelta");
}

TEST(AdaptiveOptim, AdadeltaAllMatchesTorch) {
  AdadeltaOptions o;
  o.lr = 0.5;
  o.rho = 0.8;
  o.eps = 0.0001;
  o.weight_decay = 0.05;
  Tensor p = param(kInit);
  Adadelta opt({p}, o);
  expect_trajectory(opt, p, {0.35935417834441385, 0.6397352531579831, -1.139902058845936, 2.0593506457754183},
                    {0.5431101062764099, 0.43106125533786765, -0.9359603032682021, 2.2451521972928457}, "adadelta_all");
}

TEST(AdaptiveOptim, AdamaxMatchesTorch) {
  AdamaxOptions o;
  Tensor p = param(kInit);
  Adamax opt({p}, o);
  expect_trajectory(opt, p, {0.30998888656462736, 0.689993222547731, -1.1899927959342116, 2.009998225440428},
                    {0.33969613195397474, 0.6598934681105081, -1.1599013186703986, 2.0399009690477383}, "adamax");
}

TEST(AdaptiveOptim, AdamaxAllMatchesTorch) {
  AdamaxOptions o;
  o.lr = 0.05;
  o.beta1 = 0.8;
  o.beta2 = 0.99;
  o.eps = 1e-06;
  o.weight_decay = 0.1;
  Tensor p = param(kInit);
  Adamax opt({p}, o);
  expect_trajectory(opt, p, {0.5323230169977083, 0.45094633669248746, -0.9538838460571594, 2.2256804383780566},
                    {0.914070053445441, -0.24662247606160378, -0.3216094969594356, 2.515622874311099}, "adamax_all");
}

TEST(AdaptiveOptim, NadamMatchesTorch) {
  NAdamOptions o;
  Tensor p = param(kInit);
  NAdam opt({p}, o);
  expect_trajectory(opt, p, {0.3080844223389739, 0.6919049077107429, -1.1919070995689232, 2.008088750739146},
                    {0.33402408921958754, 0.665759537898438, -1.1658037463591675, 2.034112219752061}, "nadam");
}

TEST(AdaptiveOptim, NadamAllMatchesTorch) {
  NAdamOptions o;
  o.lr = 0.05;
  o.beta1 = 0.8;
  o.beta2 = 0.99;
  o.eps = 1e-06;
  o.weight_decay = 0.1;
  o.momentum_decay = 0.01;
  Tensor p = param(kInit);
  NAdam opt({p}, o);
  expect_trajectory(opt, p, {0.5136481270668998, 0.4763649392476128, -0.9779690680807369, 2.209060689631271},
                    {0.912823765779755, -0.17842070491504913, -0.3625440901447585, 2.5062748309481004}, "nadam_all");
}

TEST(AdaptiveOptim, RadamMatchesTorch) {
  RAdamOptions o;
  Tensor p = param(kInit);
  RAdam opt({p}, o);
  expect_trajectory(opt, p, {0.3069847866164851, 0.6865146755521527, -1.166147676311398, 2.0024986408977195},
                    {0.307875408800829, 0.6856235655988437, -1.1652578674903789, 2.0033899242256075}, "radam");
}

TEST(AdaptiveOptim, RadamAllMatchesTorch) {
  RAdamOptions o;
  o.lr = 0.05;
  o.beta1 = 0.8;
  o.beta2 = 0.9;
  o.eps = 1e-06;
  o.weight_decay = 0.1;
  Tensor p = param(kInit);
  RAdam opt({p}, o);
  expect_trajectory(opt, p, {0.6018116257743253, 0.051520017905869575, 0.14558270306245108, 2.0723717999138698},
                    {0.9341004373288885, -0.3598870270446209, 0.4014773698500613, 2.44360607558899}, "radam_all");
}

TEST(AdaptiveOptim, DefaultsAreTorchs) {
  EXPECT_DOUBLE_EQ(AdagradOptions().lr, 1e-2);
  EXPECT_DOUBLE_EQ(AdagradOptions().eps, 1e-10);
  EXPECT_DOUBLE_EQ(AdadeltaOptions().lr, 1.0);
  EXPECT_DOUBLE_EQ(AdadeltaOptions().rho, 0.9);
  EXPECT_DOUBLE_EQ(AdadeltaOptions().eps, 1e-6);
  EXPECT_DOUBLE_EQ(AdamaxOptions().lr, 2e-3);
  EXPECT_DOUBLE_EQ(NAdamOptions().lr, 2e-3);
  EXPECT_DOUBLE_EQ(NAdamOptions().momentum_decay, 4e-3);
  EXPECT_DOUBLE_EQ(RAdamOptions().lr, 1e-3);
}

TEST(AdaptiveOptim, StateDictRoundTripContinuesIdentically) {
  NAdamOptions o;
  o.lr = 0.05;
  Tensor p = param(kInit), q;
  NAdam a({p}, o);
  for (int s = 0; s < 6; ++s) {
    backward(p);
    a.step();
  }
  q = param(values(p));
  NAdam b({q}, NAdamOptions());
  b.load_state_dict(a.state_dict());  // brings lr, and the step from which NAdam's mu product is rebuilt
  for (int s = 0; s < 4; ++s) {
    backward(p);
    a.step();
    backward(q);
    b.step();
  }
  EXPECT_EQ(values(p), values(q));
}

TEST(AdaptiveOptim, BadOptionsAreValueErrors) {
  Tensor p = param(kInit);
  AdagradOptions bad_lr;
  bad_lr.lr = -1;
  EXPECT_THROW(Adagrad({p}, bad_lr), ValueError);
  AdadeltaOptions bad_rho;
  bad_rho.rho = 1.5;
  EXPECT_THROW(Adadelta({p}, bad_rho), ValueError);
  RAdamOptions bad_beta;
  bad_beta.beta1 = 1.0;
  EXPECT_THROW(RAdam({p}, bad_beta), ValueError);
}

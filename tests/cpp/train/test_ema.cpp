// ModelEMA: YOLOv5's ramped decay, the averaging arithmetic on parameters and float buffers, integer
// buffers copied, the EMA copy kept out of autograd and in eval mode, an exact resume through
// state_dict(), and errors for mismatched models and bad options.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "seek/train/ema.h"
#include "train/train_test_util.h"

namespace seek::train {
namespace {

// Linear(3, 4) - BatchNorm1d(4) - Linear(4, 2): parameters, float buffers and an int64 buffer.
std::shared_ptr<nn::Sequential> small_net() {
  auto m = std::make_shared<nn::Sequential>();
  m->push_back(std::make_shared<nn::Linear>(3, 4));
  m->push_back(std::make_shared<nn::BatchNorm1d>(4));
  m->push_back(std::make_shared<nn::Linear>(4, 2));
  return m;
}

std::vector<double> values(const Tensor& t) {
  const Tensor c = t.detach().to(kFloat64).contiguous();
  const double* p = c.data_ptr<double>();
  return {p, p + c.numel()};
}

// One SGD-like change of every parameter and a training-mode forward (moves the BatchNorm statistics).
void perturb(nn::Sequential& m, uint64_t seed) {
  NoGradGuard g;
  for (auto& p : m.parameters()) p.add_(testing::uniform_tensor(p.sizes(), -0.5, 0.5, kFloat32, seed++));
  m.train();
  m.forward(testing::uniform_tensor({8, 3}, -1, 1, kFloat32, seed));
}

TEST(ModelEMA, DecayRampsLikeYolov5) {
  manual_seed(0);
  auto model = small_net();
  ModelEMA ema(small_net(), *model, {.decay = 0.9999, .tau = 2000});
  EXPECT_EQ(ema.decay_at(0), 0.0);
  EXPECT_DOUBLE_EQ(ema.decay_at(1), 0.9999 * (1 - std::exp(-1.0 / 2000)));
  EXPECT_DOUBLE_EQ(ema.decay_at(2000), 0.9999 * (1 - std::exp(-1.0)));
  EXPECT_NEAR(ema.decay_at(100000), 0.9999, 1e-12);
  EXPECT_EQ(ema.current_decay(), 0.0);
  ema.update(*model);
  EXPECT_EQ(ema.updates(), 1);
  EXPECT_DOUBLE_EQ(ema.current_decay(), ema.decay_at(1));
}

TEST(ModelEMA, StartsAsACopyOutOfAutogradInEvalMode) {
  manual_seed(1);
  auto model = small_net();
  perturb(*model, 5);
  auto copy = small_net();  // other random weights
  ModelEMA ema(copy, *model);
  const auto ms = model->state_dict();
  const auto es = ema.module().state_dict();
  ASSERT_EQ(ms.size(), es.size());
  for (size_t i = 0; i < ms.size(); ++i) EXPECT_EQ(values(ms[i].second), values(es[i].second)) << ms[i].first;
  EXPECT_FALSE(ema.module().is_training());
  for (const auto& p : ema.module().parameters()) EXPECT_FALSE(p.requires_grad());
  for (const auto& p : model->parameters()) EXPECT_TRUE(p.requires_grad());
  // The copy does not share storage with the model.
  {
    NoGradGuard g;
    model->parameters()[0].fill_(7.0);
  }
  EXPECT_NE(values(ema.module().parameters()[0])[0], 7.0);
}

TEST(ModelEMA, UpdateAveragesFloatsAndCopiesIntegers) {
  manual_seed(2);
  auto model = small_net();
  ModelEMA ema(small_net(), *model, {.decay = 0.9, .tau = 3.0});
  const auto before = ema.module().state_dict();
  std::vector<std::vector<double>> old;
  for (const auto& [k, v] : before) old.push_back(values(v));
  perturb(*model, 9);
  ema.update(*model);
  const double d = 0.9 * (1 - std::exp(-1.0 / 3.0));
  const auto ms = model->state_dict();
  const auto es = ema.module().state_dict();
  int checked_int = 0;
  for (size_t i = 0; i < ms.size(); ++i) {
    const auto m = values(ms[i].second), e = values(es[i].second);
    if (!ms[i].second.is_floating_point()) {
      EXPECT_EQ(e, m) << ms[i].first;  // num_batches_tracked follows the model
      EXPECT_NE(e, old[i]) << ms[i].first;
      ++checked_int;
      continue;
    }
    for (size_t j = 0; j < m.size(); ++j)
      EXPECT_NEAR(e[j], d * old[i][j] + (1 - d) * m[j], 1e-6) << ms[i].first << "[" << j << "]";
  }
  EXPECT_EQ(checked_int, 1);
}

TEST(ModelEMA, StateDictResumesExactly) {
  manual_seed(3);
  auto model = small_net();
  ModelEMA straight(small_net(), *model, {.tau = 5.0});
  for (uint64_t s = 0; s < 3; ++s) {
    perturb(*model, 20 + s);
    straight.update(*model);
  }
  const nn::StateDict saved = straight.state_dict();
  EXPECT_EQ(saved.back().first, "ema.updates");
  // A new run: a fresh EMA (other weights, counter 0) restored from the saved state.
  ModelEMA resumed(small_net(), *small_net(), {.tau = 5.0});
  resumed.load_state_dict(saved);
  EXPECT_EQ(resumed.updates(), 3);
  perturb(*model, 40);
  straight.update(*model);
  resumed.update(*model);
  const auto a = straight.module().state_dict(), b = resumed.module().state_dict();
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(values(a[i].second), values(b[i].second)) << a[i].first;
}

TEST(ModelEMA, Errors) {
  auto model = small_net();
  EXPECT_THROW(ModelEMA(nullptr, *model), ValueError);
  EXPECT_THROW(ModelEMA(small_net(), *model, {.decay = 1.0}), ValueError);
  EXPECT_THROW(ModelEMA(small_net(), *model, {.tau = 0.0}), ValueError);
  auto other = std::make_shared<nn::Sequential>();
  other->push_back(std::make_shared<nn::Linear>(3, 5));
  try {
    ModelEMA bad(other, *model);
    FAIL() << "expected a ValueError";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("0.weight"), std::string::npos) << e.what();
  }
  ModelEMA ema(small_net(), *model);
  auto no_counter = ema.module().state_dict();
  EXPECT_THROW(ema.load_state_dict(no_counter), ValueError);
}

}  // namespace
}  // namespace seek::train

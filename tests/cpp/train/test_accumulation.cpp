// Gradient accumulation: k micro-batches of b examples give the parameters of one batch of
// k * b examples (for a model without batch statistics), through the Trainer and through a
// plain loop, with SGD + momentum and with AdamW. 28 examples in micro-batches of 4 with
// k = 3 also exercise the last, partial group (1 micro-batch of 4 against one batch of 4).
#include <gtest/gtest.h>

#include <functional>

#include "seek/seek.h"
#include "support/test_util.h"
#include "train/train_test_util.h"

namespace seek::train {
namespace {

constexpr int64_t kExamples = 28, kMicro = 4, kAccum = 3, kEpochs = 2;

using OptimizerFactory = std::function<std::unique_ptr<optim::Optimizer>(std::vector<Tensor>)>;

std::unique_ptr<optim::Optimizer> sgd_momentum(std::vector<Tensor> p) {
  return std::make_unique<optim::SGD>(std::move(p), optim::SGDOptions(0.05).momentum_(0.9).weight_decay_(1e-3));
}
std::unique_ptr<optim::Optimizer> adamw(std::vector<Tensor> p) {
  return std::make_unique<optim::AdamW>(std::move(p), optim::AdamWOptions(0.01));
}

// A small CNN with GroupNorm (no batch statistics) on 1x6x6 images, 3 classes.
std::shared_ptr<nn::Sequential> small_cnn() {
  auto m = std::make_shared<nn::Sequential>();
  m->push_back(std::make_shared<nn::Conv2d>(1, 4, 3));
  m->push_back(std::make_shared<nn::GroupNorm>(2, 4));
  m->push_back(std::make_shared<nn::ReLU>());
  m->push_back(std::make_shared<nn::Flatten>());
  m->push_back(std::make_shared<nn::Linear>(4 * 4 * 4, 3));
  return m;
}

std::shared_ptr<data::TensorDataset> image_dataset() {
  std::vector<int64_t> targets;
  for (int64_t i = 0; i < kExamples; ++i) targets.push_back((i * 5 + 1) % 3);
  return std::make_shared<data::TensorDataset>(testing::uniform_tensor({kExamples, 1, 6, 6}, -1, 1, kFloat32, 21),
                                               tensor<int64_t>(targets, Shape{kExamples}));
}

struct Run {
  std::shared_ptr<nn::Module> model;
  std::unique_ptr<optim::Optimizer> opt;
};

Run make_run(bool cnn, const OptimizerFactory& make_opt) {
  manual_seed(17);  // every run starts from the same weights
  Run r;
  r.model = cnn ? std::shared_ptr<nn::Module>(small_cnn()) : std::shared_ptr<nn::Module>(testing::toy_mlp(4, 16, 3));
  r.opt = make_opt(r.model->parameters());
  return r;
}

data::DatasetPtr dataset_for(bool cnn) {
  return cnn ? data::DatasetPtr(image_dataset()) : data::DatasetPtr(testing::toy_dataset(kExamples));
}

// Plain loop: `accum` micro-batches of `batch` per step; the loss of each scaled by 1/m
// (m: the micro-batches of that step).
void plain_loop(Run& r, data::DatasetPtr ds, size_t batch, int64_t accum) {
  data::DataLoader loader(ds, {.batch_size = batch, .shuffle = true, .seed = 5});
  std::vector<data::Batch> batches;
  for (int64_t e = 0; e < kEpochs; ++e) {
    loader.set_epoch(static_cast<uint64_t>(e));
    batches.assign(loader.begin(), loader.end());
    for (size_t first = 0; first < batches.size(); first += static_cast<size_t>(accum)) {
      const size_t m = std::min(batches.size() - first, static_cast<size_t>(accum));
      r.opt->zero_grad();
      for (size_t i = first; i < first + m; ++i) {
        Tensor loss = nn::functional::cross_entropy(r.model->forward(batches[i].data), batches[i].target);
        loss.div(static_cast<double>(m)).backward();
      }
      r.opt->step();
    }
  }
}

void with_trainer(Run& r, data::DatasetPtr ds, size_t batch, int64_t accum) {
  data::DataLoader loader(ds, {.batch_size = batch, .shuffle = true, .seed = 5});
  Trainer t(*r.model, *r.opt, loader, {.epochs = kEpochs, .accumulation_steps = accum, .progress = false});
  t.fit();
  EXPECT_EQ(t.global_step(), kEpochs * 3);  // 7 micro-batches: groups of 3, 3 and 1
}

void expect_same_parameters(const Run& a, const Run& b, const std::string& what) {
  const auto pa = a.model->named_parameters(), pb = b.model->named_parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (size_t i = 0; i < pa.size(); ++i) {
    const auto va = to_vector<float>(pa[i].second.contiguous()), vb = to_vector<float>(pb[i].second.contiguous());
    ASSERT_EQ(va.size(), vb.size());
    for (size_t j = 0; j < va.size(); ++j)
      ASSERT_NEAR(va[j], vb[j], 1e-5 * std::max(1.0f, std::abs(vb[j])))
          << what << " " << pa[i].first << "[" << j << "]";
  }
}

void check(bool cnn, const OptimizerFactory& make_opt, const std::string& name) {
  const data::DatasetPtr ds = dataset_for(cnn);
  // The reference: one batch of k * b per step (the last step gets the remaining 4 examples).
  Run big = make_run(cnn, make_opt);
  plain_loop(big, ds, kMicro * kAccum, 1);
  Run loop = make_run(cnn, make_opt);
  plain_loop(loop, ds, kMicro, kAccum);
  expect_same_parameters(loop, big, name + " plain loop");
  Run trained = make_run(cnn, make_opt);
  with_trainer(trained, ds, kMicro, kAccum);
  expect_same_parameters(trained, big, name + " trainer");
  Run untouched = make_run(cnn, make_opt);  // the runs did move the parameters
  EXPECT_GT(to_vector<float>(trained.model->parameters()[0].sub(untouched.model->parameters()[0]).abs().max())[0],
            1e-3);
}

TEST(TrainAccumulation, MlpSgdMomentum) { check(false, sgd_momentum, "mlp sgd"); }
TEST(TrainAccumulation, MlpAdamW) { check(false, adamw, "mlp adamw"); }
TEST(TrainAccumulation, GroupNormCnnSgdMomentum) { check(true, sgd_momentum, "cnn sgd"); }
TEST(TrainAccumulation, GroupNormCnnAdamW) { check(true, adamw, "cnn adamw"); }

}  // namespace
}  // namespace seek::train

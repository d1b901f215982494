// The Trainer on the CUDA backend (the simulated device in CI) against the same run on the CPU:
// a small CNN (conv - batch norm - relu - max pool - linear) trained for 5 SGD-with-momentum steps
// from the same seed and data. f32: every step's loss and every final parameter and batch-norm
// buffer agree within 1e-4 (relative to max(1, |value|)); the two backends sum in different
// orders, nothing more. amp bf16 (autocast on each device): within 3e-2, since bf16 keeps 8
// bits and the backends round the lowered convs and GEMMs at different points on a GPU (on the
// simulated device both runs agree to about 1e-7 in either mode). TF32 is kept off for the
// comparison (cuDNN would use it for f32 convs on a GPU by default, as torch).
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "seek/seek.h"
#include "support/test_util.h"

using namespace seek;

namespace {

std::shared_ptr<nn::Sequential> small_cnn() {
  auto m = std::make_shared<nn::Sequential>();
  m->push_back(std::make_shared<nn::Conv2d>(3, 8, 3, 1, 1));
  m->push_back(std::make_shared<nn::BatchNorm2d>(8));
  m->push_back(std::make_shared<nn::ReLU>());
  m->push_back(std::make_shared<nn::MaxPool2d>(2));
  m->push_back(std::make_shared<nn::Flatten>());
  m->push_back(std::make_shared<nn::Linear>(8 * 4 * 4, 5));
  return m;
}

struct RunResult {
  std::vector<double> losses;
  std::vector<std::vector<double>> state;  // parameters and buffers, in state_dict order
  std::vector<std::string> names;
};

RunResult train_on(Device device, const std::string& amp) {
  struct NoTf32 {
    bool saved = backends::cudnn::allow_tf32.exchange(false);
    ~NoTf32() { backends::cudnn::allow_tf32 = saved; }
  } no_tf32;
  manual_seed(5);
  auto model = small_cnn();
  model->to(device);
  optim::SGD opt(model->parameters(), optim::SGDOptions(0.05).momentum_(0.9));
  const int64_t n = 20;
  std::vector<int64_t> targets;
  for (int64_t i = 0; i < n; ++i) targets.push_back((i * 7 + 3) % 5);
  auto ds = std::make_shared<data::TensorDataset>(seek::testing::uniform_tensor({n, 3, 8, 8}, -1, 1, kFloat32, 17),
                                                  tensor<int64_t>(targets, Shape{n}));
  data::DataLoader loader(ds, data::DataLoaderOptions{.batch_size = 4});
  train::TrainerOptions o;
  o.epochs = 1;
  o.eval_every_epochs = 0;
  o.device = device;
  o.amp = amp;
  o.progress = false;
  train::Trainer trainer(*model, opt, loader, o);
  trainer.fit();
  RunResult r;
  r.losses = trainer.step_losses();
  for (const auto& [name, t] : model->state_dict()) {
    r.names.push_back(name);
    r.state.push_back(to_vector<double>(t.to(kCPU).to(kFloat64).contiguous()));
  }
  return r;
}

void expect_runs_match(const RunResult& cpu, const RunResult& cuda, double tol, const std::string& what) {
  ASSERT_EQ(cpu.losses.size(), 5u) << what;
  ASSERT_EQ(cuda.losses.size(), cpu.losses.size()) << what;
  for (size_t i = 0; i < cpu.losses.size(); ++i)
    EXPECT_NEAR(cuda.losses[i], cpu.losses[i], tol * std::max(1.0, std::fabs(cpu.losses[i])))
        << what << ": loss of step " << i + 1;
  ASSERT_EQ(cuda.names, cpu.names) << what;
  for (size_t k = 0; k < cpu.state.size(); ++k) {
    ASSERT_EQ(cuda.state[k].size(), cpu.state[k].size()) << what << ": " << cpu.names[k];
    double worst = 0;
    for (size_t i = 0; i < cpu.state[k].size(); ++i)
      worst =
          std::max(worst, std::fabs(cuda.state[k][i] - cpu.state[k][i]) / std::max(1.0, std::fabs(cpu.state[k][i])));
    EXPECT_LE(worst, tol) << what << ": " << cpu.names[k];
  }
  // The run must have learned something for the comparison to mean anything.
  EXPECT_NE(cpu.losses.front(), cpu.losses.back()) << what;
}

TEST(TrainerCuda, SmallCnnStepsMatchTheCpuInF32) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  expect_runs_match(train_on(kCPU, ""), train_on(kCUDA, ""), 1e-4, "f32");
}

TEST(TrainerCuda, SmallCnnStepsMatchTheCpuUnderBf16Autocast) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  expect_runs_match(train_on(kCPU, "bf16"), train_on(kCUDA, "bf16"), 3e-2, "amp bf16");
}

}  // namespace

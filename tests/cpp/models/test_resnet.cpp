// ResNet models: torchvision's parameter counts and state_dict names, output shapes,
// argument checks, and that a few SGD steps fit a tiny batch.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "seek/seek.h"

using namespace seek;
using seek::models::resnet18;
using seek::models::resnet20;
using seek::models::resnet34;
using seek::models::resnet50;

namespace {

std::vector<std::string> keys(const nn::Module& m) {
  std::vector<std::string> out;
  for (auto& [name, t] : m.state_dict()) out.push_back(name);
  return out;
}

bool has_key(const std::vector<std::string>& ks, const std::string& k) {
  return std::find(ks.begin(), ks.end(), k) != ks.end();
}

}  // namespace

TEST(ResNet, ParameterCountsMatchTorchvision) {
  EXPECT_EQ(resnet18()->num_parameters(), 11689512);
  EXPECT_EQ(resnet34()->num_parameters(), 21797672);
  EXPECT_EQ(resnet50()->num_parameters(), 25557032);
  // 10 classes: only fc changes (512 * 10 + 10 instead of 512 * 1000 + 1000).
  EXPECT_EQ(resnet18(10)->num_parameters(), 11689512 - 513000 + 5130);
  // One input channel: the 7x7 stem loses 2 * 64 * 49 weights; small_input makes it 3x3.
  EXPECT_EQ(resnet18(1000, 1)->num_parameters(), 11689512 - 2 * 64 * 49);
  EXPECT_EQ(resnet18(1000, 3, true)->num_parameters(), 11689512 - 3 * 64 * 49 + 3 * 64 * 9);
}

TEST(ResNet, Resnet20ParameterCount) {
  // stem 432 + 32, stage1 3 * 4672, stage2 14528 + 2 * 18560, stage3 57728 + 2 * 73984, fc 650
  // (stage 2 and 3 first blocks include the 1x1 conv + bn shortcut).
  EXPECT_EQ(resnet20(10, 3)->num_parameters(), 272474);
  EXPECT_EQ(resnet20(10, 1)->num_parameters(), 272474 - 2 * 16 * 9);
}

TEST(ResNet, StateDictKeysMatchTorchvision) {
  auto k = keys(*resnet18());
  ASSERT_EQ(k.size(), 122u);  // len(torchvision.models.resnet18().state_dict())
  const std::vector<std::string> head = {"conv1.weight",         "bn1.weight",
                                         "bn1.bias",             "bn1.running_mean",
                                         "bn1.running_var",      "bn1.num_batches_tracked",
                                         "layer1.0.conv1.weight", "layer1.0.bn1.weight"};
  for (size_t i = 0; i < head.size(); ++i) EXPECT_EQ(k[i], head[i]) << i;
  EXPECT_EQ(k[k.size() - 2], "fc.weight");
  EXPECT_EQ(k.back(), "fc.bias");
  for (const char* name : {"layer1.1.conv2.weight", "layer2.0.downsample.0.weight", "layer2.0.downsample.1.weight",
                           "layer2.0.downsample.1.running_var", "layer3.1.bn2.bias", "layer4.0.downsample.0.weight",
                           "layer4.1.bn2.num_batches_tracked"})
    EXPECT_TRUE(has_key(k, name)) << name;
  // Identity shortcuts have no downsample.
  EXPECT_FALSE(has_key(k, "layer1.0.downsample.0.weight"));
  EXPECT_FALSE(has_key(k, "layer2.1.downsample.0.weight"));

  auto k50 = keys(*resnet50());
  EXPECT_EQ(k50.size(), 320u);  // len(torchvision.models.resnet50().state_dict())
  for (const char* name : {"layer1.0.conv3.weight", "layer1.0.bn3.running_mean", "layer1.0.downsample.0.weight",
                           "layer3.5.conv2.weight", "layer4.2.bn3.bias"})
    EXPECT_TRUE(has_key(k50, name)) << name;
  EXPECT_EQ(resnet50()->state_dict()[0].second.sizes(), (Shape{64, 3, 7, 7}));
}

TEST(ResNet, ShapesOfWeights) {
  auto m = resnet50();
  EXPECT_EQ(m->child("layer1")->child("0")->child("conv3")->param("weight").sizes(), (Shape{256, 64, 1, 1}));
  EXPECT_EQ(m->child("layer2")->child("0")->child("conv2")->param("weight").sizes(), (Shape{128, 128, 3, 3}));
  EXPECT_EQ(m->child("fc")->param("weight").sizes(), (Shape{1000, 2048}));
  auto s = resnet18(10, 1, true);
  EXPECT_EQ(s->child("conv1")->param("weight").sizes(), (Shape{64, 1, 3, 3}));
  EXPECT_THROW(s->child("maxpool"), Error);
  auto r20 = resnet20(10, 1);
  EXPECT_EQ(r20->child("layer3")->child("0")->child("downsample")->child("0")->param("weight").sizes(),
            (Shape{64, 32, 1, 1}));
  EXPECT_THROW(r20->child("layer4"), Error);
}

TEST(ResNet, InitFollowsTorchvision) {
  auto m = resnet20(10, 3);
  Tensor bn_w = m->child("layer1")->child("0")->child("bn1")->param("weight");
  EXPECT_TRUE(bn_w.eq(1.0).all().item<bool>());
  // kaiming_normal_(fan_out, relu): std = sqrt(2 / (64 * 9)) for layer3's 3x3 convs.
  Tensor w = m->child("layer3")->child("1")->child("conv1")->param("weight");
  double std = w.std().item<double>();
  EXPECT_NEAR(std, std::sqrt(2.0 / (64 * 9)), 0.1 * std::sqrt(2.0 / (64 * 9)));
}

TEST(ResNet, ForwardShapes) {
  manual_seed(0);
  Tensor x28 = randn({2, 1, 28, 28});
  EXPECT_EQ(resnet18(10, 1, true)->forward(x28).sizes(), (Shape{2, 10}));
  EXPECT_EQ(resnet20(10, 1)->forward(x28).sizes(), (Shape{2, 10}));
  Tensor x64 = randn({1, 3, 64, 64});
  EXPECT_EQ(resnet18()->forward(x64).sizes(), (Shape{1, 1000}));
  auto r50 = resnet50(7);
  r50->eval();
  EXPECT_EQ(r50->forward(x64).sizes(), (Shape{1, 7}));
}

TEST(ResNet, EvalIsDeterministicAndBatchIndependent) {
  manual_seed(1);
  auto m = resnet20(10, 1);
  m->eval();
  NoGradGuard no_grad;
  Tensor x = randn({3, 1, 28, 28});
  Tensor all = m->forward(x);
  Tensor one = m->forward(x.narrow(0, 1, 1));
  EXPECT_TRUE(allclose(all.narrow(0, 1, 1), one, 1e-4, 1e-5));
}

TEST(ResNet, BadInputAndConfig) {
  auto m = resnet20(10, 1);
  try {
    m->forward(zeros({2, 3, 28, 28}));
    FAIL() << "expected ShapeError";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("ResNet: expected input [N, 1, H, W]"), std::string::npos) << e.what();
  }
  EXPECT_THROW(m->forward(zeros({1, 28, 28})), ShapeError);
  try {
    resnet18(0);
    FAIL() << "expected ValueError";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("num_classes must be positive, got 0"), std::string::npos) << e.what();
  }
  models::ResNetConfig c;
  c.layers = {2, 2};
  EXPECT_THROW(models::ResNet{c}, ValueError);  // widths has 4 entries
}

TEST(ResNet, TrainingStepsReduceLoss) {
  manual_seed(3);
  auto m = resnet20(4, 1);
  m->train();
  Tensor x = randn({8, 1, 12, 12});
  Tensor y = randint(4, {8});
  optim::SGD opt(m->parameters(), optim::SGDOptions(0.05).momentum_(0.9));
  double first = 0, last = 0;
  for (int step = 0; step < 6; ++step) {
    opt.zero_grad();
    Tensor loss = nn::functional::cross_entropy(m->forward(x), y);
    loss.backward();
    opt.step();
    if (step == 0) first = loss.item<double>();
    last = loss.item<double>();
  }
  EXPECT_LT(last, first * 0.8) << "first " << first << " last " << last;
  // Gradients reached the stem.
  EXPECT_TRUE(m->child("conv1")->param("weight").grad().defined());
}

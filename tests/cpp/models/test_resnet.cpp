// ResNet models: torchvision's (and for ResNet-D timm's) parameter counts and state_dict
// names, output shapes, argument checks, and that a few SGD steps fit a tiny batch.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "seek/seek.h"
#include "support/test_util.h"

using namespace seek;
using seek::models::resnet18;
using seek::models::resnet18d;
using seek::models::resnet20;
using seek::models::resnet34;
using seek::models::resnet34d;
using seek::models::resnet50;
using seek::models::resnet50d;
using seek::models::resnet56;

namespace {

std::vector<std::string> keys(const nn::Module& m) {
  std::vector<std::string> out;
  for (auto& [name, t] : m.state_dict()) out.push_back(name);
  return out;
}

bool has_key(const std::vector<std::string>& ks, const std::string& k) {
  return std::find(ks.begin(), ks.end(), k) != ks.end();
}

Shape shape_of(const nn::StateDict& sd, const std::string& key) {
  for (auto& [k, t] : sd)
    if (k == key) return t.sizes();
  ADD_FAILURE() << "missing key " << key;
  return Shape{};
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
  const std::vector<std::string> head = {"conv1.weight",          "bn1.weight",         "bn1.bias",
                                         "bn1.running_mean",      "bn1.running_var",    "bn1.num_batches_tracked",
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

TEST(ResNet, Resnet56ParameterCount) {
  // As resnet20 with 9 blocks per stage: stem 464, stage1 9 * 4672, stage2 14528 + 8 * 18560,
  // stage3 57728 + 8 * 73984, fc 650. The paper's option-A (parameter-free) shortcuts would drop the
  // two 1x1 conv + bn projections, 512 + 64 + 2048 + 128 = 2752, giving 853,018; resnet20's 272,474
  // differs from the paper-style 269,722 by the same 2752, so the two definitions are consistent.
  auto m = resnet56(10, 3);
  EXPECT_EQ(m->num_parameters(), 855770);
  EXPECT_EQ(855770 - 2752, 853018);
  EXPECT_EQ(272474 - 2752, 269722);
  auto k = keys(*m);
  EXPECT_TRUE(has_key(k, "layer1.8.conv2.weight"));
  EXPECT_TRUE(has_key(k, "layer3.8.bn2.running_var"));
  EXPECT_FALSE(has_key(k, "layer1.9.conv1.weight"));
  EXPECT_FALSE(has_key(k, "layer4.0.conv1.weight"));
  EXPECT_TRUE(has_key(k, "layer2.0.downsample.0.weight"));
  EXPECT_FALSE(has_key(k, "layer1.0.downsample.0.weight"));
}

TEST(ResNet, ZeroPadShortcutsMatchThePaperCounts) {
  using models::ShortcutType;
  auto m = resnet56(10, 3, ShortcutType::ZeroPad);
  EXPECT_EQ(m->num_parameters(), 853018);
  EXPECT_EQ(resnet20(10, 3, ShortcutType::ZeroPad)->num_parameters(), 269722);
  auto k = keys(*m);
  EXPECT_FALSE(has_key(k, "layer2.0.downsample.0.weight"));
  EXPECT_EQ(m->child("layer2")->child("0")->child("downsample")->type_name(), "ZeroPadShortcut");
  EXPECT_EQ(m->child("layer3")->child("0")->child("downsample")->extra_repr(), "32, 64, stride=2");
  EXPECT_THROW(m->child("layer1")->child("0")->child("downsample"), Error);  // same shape: identity
  manual_seed(9);
  m->eval();
  NoGradGuard no_grad;
  EXPECT_EQ(m->forward(randn({1, 3, 16, 16})).sizes(), (Shape{1, 10}));
}

TEST(ResNet, ZeroPadShortcutSubsamplesAndPads) {
  models::ZeroPadShortcut s(2, 5, 2);  // 3 new channels: 1 before, 2 after
  Tensor x = arange(2 * 2 * 3 * 3, TensorOptions().dtype(kFloat64)).reshape({2, 2, 3, 3});
  Tensor y = s.forward(x);
  ASSERT_EQ(y.sizes(), (Shape{2, 5, 2, 2}));
  // y[n, 1 + c, i, j] = x[n, c, 2i, 2j]; channels 0, 3, 4 are zero.
  for (int64_t n = 0; n < 2; ++n)
    for (int64_t c = 0; c < 5; ++c)
      for (int64_t i = 0; i < 2; ++i)
        for (int64_t j = 0; j < 2; ++j) {
          double want = (c >= 1 && c <= 2) ? static_cast<double>(((n * 2 + (c - 1)) * 3 + 2 * i) * 3 + 2 * j) : 0.0;
          EXPECT_EQ(y.select(0, n).select(0, c).select(0, i).select(0, j).item<double>(), want)
              << n << " " << c << " " << i << " " << j;
        }
  EXPECT_SEEK_ERROR(s.forward(zeros({1, 3, 4, 4})), ShapeError, "ZeroPadShortcut: expected input [N, 2, H, W]");
  EXPECT_SEEK_ERROR(models::ZeroPadShortcut(4, 2, 1), ValueError, "out_channels 2");
  models::ResNetConfig c;
  c.block = models::BlockType::Bottleneck;
  c.shortcut = models::ShortcutType::ZeroPad;
  EXPECT_SEEK_ERROR(models::ResNet{c}, ValueError, "ZeroPad shortcuts need BasicBlocks");
}

TEST(ResNet, Resnet56Forward) {
  manual_seed(4);
  auto m = resnet56(100, 1);
  EXPECT_EQ(m->num_parameters(), 855770 - 2 * 16 * 9 + 90 * 65);  // 1 channel, 100 classes
  m->eval();
  NoGradGuard no_grad;
  EXPECT_EQ(m->forward(randn({2, 1, 28, 28})).sizes(), (Shape{2, 100}));
}

// ResNet-D parameter counts and key lists are timm's (resnet18d / resnet34d / resnet50d, 1000 classes;
// gen_resnet_d_ref.py prints them). The deep stem replaces the 7x7 conv:
// 3*32*9 + 64 + 32*32*9 + 64 + 32*64*9 - 3*64*49 = 19232 more than the torchvision ResNet of the same
// depth; average-pool shortcuts have as many parameters as strided ones.
TEST(ResNetD, Resnet18dParameterCount) {
  EXPECT_EQ(resnet18d()->num_parameters(), 11708744);
  EXPECT_EQ(11708744 - 11689512, 19232);
  // 10 classes and one input channel: fc shrinks, the first stem conv loses 2 * 32 * 9 weights;
  // small_input only changes a stride.
  EXPECT_EQ(resnet18d(10, 1, true)->num_parameters(), 11708744 - 513000 + 5130 - 2 * 32 * 9);
}

TEST(ResNetD, Resnet34dParameterCount) {
  EXPECT_EQ(resnet34d()->num_parameters(), 21816904);
  EXPECT_EQ(21816904 - 21797672, 19232);
}

TEST(ResNetD, Resnet50dParameterCountStemAndShortcuts) {
  auto m = resnet50d();
  EXPECT_EQ(m->num_parameters(), 25576264);
  EXPECT_EQ(25576264 - 25557032, 19232);
  auto sd = m->state_dict();
  auto k = keys(*m);
  ASSERT_EQ(k.size(), 332u);  // resnet50's 320 - conv1.weight + conv1.{0,3,6}.weight + two 5-entry batch norms
  const std::vector<std::string> head = {"conv1.0.weight",       "conv1.1.weight",      "conv1.1.bias",
                                         "conv1.1.running_mean", "conv1.1.running_var", "conv1.1.num_batches_tracked",
                                         "conv1.3.weight",       "conv1.4.weight",      "conv1.4.bias",
                                         "conv1.4.running_mean", "conv1.4.running_var", "conv1.4.num_batches_tracked",
                                         "conv1.6.weight",       "bn1.weight"};
  for (size_t i = 0; i < head.size(); ++i) EXPECT_EQ(k[i], head[i]) << i;
  EXPECT_EQ(shape_of(sd, "conv1.0.weight"), (Shape{32, 3, 3, 3}));
  EXPECT_EQ(shape_of(sd, "conv1.3.weight"), (Shape{32, 32, 3, 3}));
  EXPECT_EQ(shape_of(sd, "conv1.6.weight"), (Shape{64, 32, 3, 3}));
  EXPECT_EQ(shape_of(sd, "bn1.weight"), (Shape{64}));
  EXPECT_FALSE(has_key(k, "conv1.weight"));
  EXPECT_EQ(k[k.size() - 2], "fc.weight");
  EXPECT_EQ(k.back(), "fc.bias");
  // The stem: stride-2 first conv, relus in between; the maxpool stays.
  auto stem = m->child("conv1");
  EXPECT_NE(stem->child("0")->extra_repr().find("stride=(2, 2)"), std::string::npos) << stem->child("0")->extra_repr();
  EXPECT_NE(stem->child("3")->extra_repr().find("stride=(1, 1)"), std::string::npos) << stem->child("3")->extra_repr();
  EXPECT_EQ(stem->child("2")->type_name(), "ReLU");
  EXPECT_EQ(stem->child("5")->type_name(), "ReLU");
  EXPECT_EQ(m->child("maxpool")->type_name(), "MaxPool2d");

  // Shortcuts: downsample.0 is the pool (no parameters), .1 the stride-1 1x1 conv, .2 the batch norm.
  EXPECT_EQ(shape_of(sd, "layer1.0.downsample.1.weight"), (Shape{256, 64, 1, 1}));
  EXPECT_EQ(shape_of(sd, "layer2.0.downsample.1.weight"), (Shape{512, 256, 1, 1}));
  EXPECT_EQ(shape_of(sd, "layer4.0.downsample.2.running_var"), (Shape{2048}));
  EXPECT_TRUE(has_key(k, "layer3.0.downsample.2.num_batches_tracked"));
  EXPECT_FALSE(has_key(k, "layer2.0.downsample.0.weight"));
  EXPECT_FALSE(has_key(k, "layer2.1.downsample.1.weight"));
  // Stride-1 shortcut (layer1, 64 -> 256 channels): Identity in place of the pool.
  EXPECT_EQ(m->child("layer1")->child("0")->child("downsample")->child("0")->type_name(), "Identity");
  auto pool = m->child("layer2")->child("0")->child("downsample")->child("0");
  EXPECT_EQ(pool->type_name(), "AvgPool2d");  // ceil_mode and count_include_pad: ShortcutAveragesBeforeTheConv
  EXPECT_EQ(pool->extra_repr(), "kernel_size=2, stride=2, padding=0");
  EXPECT_NE(m->child("layer2")->child("0")->child("downsample")->child("1")->extra_repr().find("stride=(1, 1)"),
            std::string::npos);
  // The stride moved to the 3x3 conv of the block, as in torchvision v1.5 / timm.
  EXPECT_NE(m->child("layer2")->child("0")->child("conv2")->extra_repr().find("stride=(2, 2)"), std::string::npos);
}

TEST(ResNetD, Resnet18dKeysAndSmallInputForward) {
  manual_seed(7);
  auto m = resnet18d(10, 1, true);
  auto k = keys(*m);
  EXPECT_EQ(k.size(), 134u);                                 // resnet18's 122 + 12 for the deep stem
  EXPECT_FALSE(has_key(k, "layer1.0.downsample.1.weight"));  // 64 -> 64, stride 1: identity shortcut
  EXPECT_TRUE(has_key(k, "layer2.0.downsample.1.weight"));
  EXPECT_TRUE(has_key(k, "layer4.0.downsample.2.bias"));
  EXPECT_EQ(m->child("conv1")->child("0")->param("weight").sizes(), (Shape{32, 1, 3, 3}));
  // Small-input stem: first conv stride 1 and no maxpool.
  EXPECT_NE(m->child("conv1")->child("0")->extra_repr().find("stride=(1, 1)"), std::string::npos);
  EXPECT_THROW(m->child("maxpool"), Error);
  // On 28x28 the stages run at 28, 14, 7, 4 (the ceil-mode pool matches the strided conv's 4).
  m->eval();
  NoGradGuard no_grad;
  EXPECT_EQ(m->forward(randn({2, 1, 28, 28})).sizes(), (Shape{2, 10}));
}

TEST(ResNetD, Resnet50dForward) {
  manual_seed(8);
  auto m = resnet50d(10);
  m->eval();
  NoGradGuard no_grad;
  EXPECT_EQ(m->forward(randn({1, 3, 32, 32})).sizes(), (Shape{1, 10}));
}

TEST(ResNetD, ShortcutAveragesBeforeTheConv) {
  // A narrow ResNet-D: on an odd 7x7 map the ceil-mode pool keeps the last row/column as 1-wide
  // windows averaged without padding, so the shortcut must equal
  // bn(conv1x1(avg_pool2d(x, 2, 2, 0, ceil_mode = true, count_include_pad = false))).
  manual_seed(6);
  models::ResNetConfig c;
  c.layers = {1, 1};
  c.widths = {8, 16};
  c.num_classes = 3;
  c.small_input = true;
  c.deep_stem = true;
  c.stem_width = 4;
  c.avg_down = true;
  models::ResNet m(c);
  EXPECT_EQ(m.child("conv1")->child("0")->param("weight").sizes(), (Shape{4, 3, 3, 3}));
  EXPECT_EQ(m.child("conv1")->child("6")->param("weight").sizes(), (Shape{8, 4, 3, 3}));
  m.eval();
  NoGradGuard no_grad;
  auto ds = m.child("layer2")->child("0")->child("downsample");
  Tensor x = randn({2, 8, 7, 7});
  Tensor pooled = avg_pool2d(x, 2, 2, 0, /*ceil_mode=*/true, /*count_include_pad=*/false);
  EXPECT_EQ(pooled.sizes(), (Shape{2, 8, 4, 4}));
  Tensor expected = ds->child("2")->forward(ds->child("1")->forward(pooled));
  EXPECT_TRUE(allclose(ds->forward(x), expected, 1e-5, 1e-6));
  // The corner of the pooled map is the corner input itself (a 1x1 window).
  EXPECT_NEAR(pooled.select(0, 0).select(0, 0).select(0, 3).select(0, 3).item<double>(),
              x.select(0, 0).select(0, 0).select(0, 6).select(0, 6).item<double>(), 1e-6);
  // The whole model runs on the odd map too, and the block's output matches the shortcut's shape.
  EXPECT_EQ(m.forward(randn({2, 3, 7, 7})).sizes(), (Shape{2, 3}));
}

TEST(ResNetD, BadConfig) {
  models::ResNetConfig c;
  c.deep_stem = true;
  c.stem_width = 0;
  EXPECT_SEEK_ERROR(models::ResNet{c}, ValueError, "ResNet: stem_width must be positive, got 0");
  c.stem_width = 32;
  c.num_classes = 0;
  EXPECT_SEEK_ERROR(models::ResNet{c}, ValueError, "num_classes must be positive, got 0");
  c.num_classes = 10;
  c.in_channels = 1;
  c.layers = {1};
  c.widths = {8};
  c.small_input = true;
  models::ResNet m(c);
  EXPECT_SEEK_ERROR(m.forward(zeros({1, 3, 28, 28})), ShapeError, "ResNet: expected input [N, 1, H, W]");
}

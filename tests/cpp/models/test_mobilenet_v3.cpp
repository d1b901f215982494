// MobileNetV3: torchvision's parameter counts and state_dict listing, the block structure,
// init, output shapes, argument checks, and that a few SGD steps fit a tiny batch.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "seek/seek.h"
#include "support/test_util.h"

using namespace seek;
using models::mobilenet_v3_large;
using models::mobilenet_v3_small;
using models::MobileNetV3Options;

namespace {

std::vector<std::string> keys(const nn::Module& m) {
  std::vector<std::string> out;
  for (auto& [name, t] : m.state_dict()) out.push_back(name);
  return out;
}

// 64-bit FNV-1a of the lines "name:d0xd1x...\n", as gen_mobilenet_v3_keys.py hashes torchvision's state_dict.
uint64_t listing_hash(const nn::Module& m) {
  std::string listing;
  for (auto& [name, t] : m.state_dict()) {
    listing += name + ":";
    for (int64_t d = 0; d < t.dim(); ++d) listing += (d ? "x" : "") + std::to_string(t.size(d));
    listing += "\n";
  }
  uint64_t h = 0xCBF29CE484222325ULL;
  for (unsigned char c : listing) {
    h ^= c;
    h *= 0x100000001B3ULL;
  }
  return h;
}

MobileNetV3Options opts(int64_t num_classes, int64_t in_channels = 3, bool small_input = false, double dropout = 0.2) {
  MobileNetV3Options o;
  o.num_classes = num_classes;
  o.in_channels = in_channels;
  o.small_input = small_input;
  o.dropout = dropout;
  return o;
}

std::shared_ptr<models::InvertedResidual> block(const std::shared_ptr<models::MobileNetV3>& m, int64_t i) {
  auto features = std::dynamic_pointer_cast<nn::Sequential>(m->child("features"));
  return std::dynamic_pointer_cast<models::InvertedResidual>((*features)[i]);
}

}  // namespace

TEST(MobileNetV3, MakeDivisibleAsTorchvision) {
  EXPECT_EQ(models::make_divisible(16 / 4, 8), 8);    // raised to the divisor
  EXPECT_EQ(models::make_divisible(72 / 4, 8), 24);   // 18 rounds to 16, < 0.9 * 18, so one step up
  EXPECT_EQ(models::make_divisible(120 / 4, 8), 32);  // 30 + 4 -> 32
  EXPECT_EQ(models::make_divisible(96 / 4, 8), 24);
  EXPECT_EQ(models::make_divisible(1280 * 0.75, 8), 960);
  EXPECT_EQ(models::make_divisible(3, 8, 16), 16);
  EXPECT_SEEK_ERROR(models::make_divisible(10, 0), ValueError, "divisor must be positive, got 0");
}

TEST(MobileNetV3, ParameterCountsMatchTorchvision) {
  EXPECT_EQ(mobilenet_v3_small()->num_parameters(), 2542856);
  EXPECT_EQ(mobilenet_v3_large()->num_parameters(), 5483032);
  // 10 classes: only classifier.3 changes; one input channel: the 3x3 stem conv loses 2 * 16 * 9
  // weights; small_input only changes a stride.
  EXPECT_EQ(mobilenet_v3_small(opts(10, 1, true))->num_parameters(),
            2542856 - (1024 * 1000 + 1000) + (1024 * 10 + 10) - 2 * 16 * 9);
}

TEST(MobileNetV3, StateDictListingMatchesTorchvision) {
  // Numbers from gen_mobilenet_v3_keys.py (torchvision's mobilenet_v3_small / _large, 1000 classes).
  auto s = mobilenet_v3_small();
  auto ks = keys(*s);
  ASSERT_EQ(ks.size(), 244u);
  EXPECT_EQ(ks[0], "features.0.0.weight");
  EXPECT_EQ(ks[1], "features.0.1.weight");
  EXPECT_EQ(ks[ks.size() - 3], "classifier.0.bias");
  EXPECT_EQ(ks[ks.size() - 2], "classifier.3.weight");
  EXPECT_EQ(ks.back(), "classifier.3.bias");
  EXPECT_EQ(listing_hash(*s), 0x45a04093748c6a5dULL);

  auto l = mobilenet_v3_large();
  auto kl = keys(*l);
  ASSERT_EQ(kl.size(), 312u);
  EXPECT_EQ(kl[0], "features.0.0.weight");
  EXPECT_EQ(kl.back(), "classifier.3.bias");
  EXPECT_EQ(listing_hash(*l), 0x2c3c9c02ddc23ccdULL);
}

TEST(MobileNetV3, BlockStructure) {
  auto s = mobilenet_v3_small();
  auto sd = s->state_dict();
  auto shape_of = [&](const std::string& key) {
    for (auto& [k, t] : sd)
      if (k == key) return t.sizes();
    ADD_FAILURE() << "missing key " << key;
    return Shape{};
  };
  // features.1: no expand conv (16 == 16), depthwise 3x3 stride 2, SE with 8 squeeze channels, project.
  EXPECT_EQ(shape_of("features.1.block.0.0.weight"), (Shape{16, 1, 3, 3}));
  EXPECT_EQ(shape_of("features.1.block.1.fc1.weight"), (Shape{8, 16, 1, 1}));
  EXPECT_EQ(shape_of("features.1.block.1.fc1.bias"), (Shape{8}));
  EXPECT_EQ(shape_of("features.1.block.1.fc2.weight"), (Shape{16, 8, 1, 1}));
  EXPECT_EQ(shape_of("features.1.block.2.0.weight"), (Shape{16, 16, 1, 1}));
  // features.4: expand 24 -> 96, depthwise 5x5, SE squeeze make_divisible(96 / 4) = 24, project to 40.
  EXPECT_EQ(shape_of("features.4.block.0.0.weight"), (Shape{96, 24, 1, 1}));
  EXPECT_EQ(shape_of("features.4.block.1.0.weight"), (Shape{96, 1, 5, 5}));
  EXPECT_EQ(shape_of("features.4.block.2.fc1.weight"), (Shape{24, 96, 1, 1}));
  EXPECT_EQ(shape_of("features.4.block.3.1.running_var"), (Shape{40}));
  EXPECT_EQ(shape_of("features.12.0.weight"), (Shape{576, 96, 1, 1}));
  EXPECT_EQ(shape_of("classifier.0.weight"), (Shape{1024, 576}));
  // Residual only where stride is 1 and channels are kept.
  EXPECT_FALSE(block(s, 1)->use_res_connect());
  EXPECT_FALSE(block(s, 2)->use_res_connect());
  EXPECT_TRUE(block(s, 3)->use_res_connect());
  EXPECT_FALSE(block(s, 7)->use_res_connect());  // 40 -> 48
  EXPECT_TRUE(block(s, 11)->use_res_connect());
  // Activations: ReLU in the first blocks, Hardswish later; SE gates with Hardsigmoid.
  EXPECT_EQ(block(s, 2)->child("block")->child("0")->child("2")->type_name(), "ReLU");
  EXPECT_EQ(block(s, 4)->child("block")->child("0")->child("2")->type_name(), "Hardswish");
  EXPECT_EQ(block(s, 4)->child("block")->child("2")->child("scale_activation")->type_name(), "Hardsigmoid");
  EXPECT_EQ(block(s, 4)->child("block")->child("2")->child("activation")->type_name(), "ReLU");
  EXPECT_THROW(block(s, 4)->child("block")->child("3")->child("2"), Error);  // project has no activation
  // Batch norms: eps 0.001, momentum 0.01; dropout 0.2.
  EXPECT_NE(s->child("features")->child("0")->child("1")->extra_repr().find("eps=0.001, momentum=0.01"),
            std::string::npos);
  EXPECT_EQ(std::dynamic_pointer_cast<nn::Dropout>(s->child("classifier")->child("2"))->p(), 0.2);

  auto l = mobilenet_v3_large();
  EXPECT_EQ(block(l, 13)->child("block")->child("2")->child("fc1")->param("weight").sizes(), (Shape{168, 672, 1, 1}));
  EXPECT_EQ(l->child("features")->child("16")->child("0")->param("weight").sizes(), (Shape{960, 160, 1, 1}));
  EXPECT_EQ(l->child("classifier")->child("3")->param("weight").sizes(), (Shape{1000, 1280}));
}

TEST(MobileNetV3, InitFollowsTorchvision) {
  manual_seed(5);
  auto m = mobilenet_v3_large();
  Tensor lin = m->child("classifier")->child("0")->param("weight");  // 1280 x 960 draws
  EXPECT_NEAR(lin.std().item<double>(), 0.01, 0.0005);
  EXPECT_TRUE(m->child("classifier")->child("3")->param("bias").eq(0.0).all().item<bool>());
  // kaiming_normal_(fan_out): std = sqrt(2 / (out * k * k)); the 1x1 conv before the classifier is 960 x 160.
  Tensor w = m->child("features")->child("16")->child("0")->param("weight");
  const double expected = std::sqrt(2.0 / 960);
  EXPECT_NEAR(w.std().item<double>(), expected, 0.03 * expected);
  auto se = block(m, 13)->child("block")->child("2");
  EXPECT_TRUE(se->child("fc1")->param("bias").eq(0.0).all().item<bool>());
  EXPECT_TRUE(se->child("fc2")->param("bias").eq(0.0).all().item<bool>());
  Tensor bn_w = m->child("features")->child("0")->child("1")->param("weight");
  EXPECT_TRUE(bn_w.eq(1.0).all().item<bool>());
}

TEST(MobileNetV3, ForwardShapes) {
  manual_seed(0);
  NoGradGuard no_grad;
  auto s = mobilenet_v3_small();
  s->eval();
  EXPECT_EQ(s->forward(randn({1, 3, 32, 32})).sizes(), (Shape{1, 1000}));
  auto l = mobilenet_v3_large(opts(10));
  l->eval();
  EXPECT_EQ(l->forward(randn({2, 3, 32, 32})).sizes(), (Shape{2, 10}));
  auto tiny = mobilenet_v3_small(opts(10, 1, true));
  tiny->eval();
  Tensor x = randn({2, 1, 28, 28});
  EXPECT_EQ(tiny->forward(x).sizes(), (Shape{2, 10}));
  // The stride-1 stem keeps 28x28, the four stride-2 blocks bring it to 2x2 (ceil halving: 14, 7, 4, 2).
  EXPECT_EQ(tiny->child("features")->forward(x).sizes(), (Shape{2, 576, 2, 2}));
  EXPECT_EQ(s->child("features")->forward(randn({1, 3, 32, 32})).sizes(), (Shape{1, 576, 1, 1}));
}

TEST(MobileNetV3, ResidualBlockAddsItsInput) {
  manual_seed(2);
  NoGradGuard no_grad;
  models::InvertedResidual res({24, 3, 88, 24, false, false, 1});
  res.eval();
  Tensor x = randn({2, 24, 6, 6});
  EXPECT_TRUE(res.use_res_connect());
  EXPECT_TRUE(allclose(res.forward(x), res.child("block")->forward(x) + x, 1e-6, 1e-6));
  models::InvertedResidual down({24, 5, 96, 40, true, true, 2});
  down.eval();
  EXPECT_FALSE(down.use_res_connect());
  EXPECT_EQ(down.forward(x).sizes(), (Shape{2, 40, 3, 3}));
}

TEST(MobileNetV3, BadInputAndConfig) {
  auto m = mobilenet_v3_small(opts(10, 1, true));
  EXPECT_SEEK_ERROR(m->forward(zeros({2, 3, 28, 28})), ShapeError, "MobileNetV3: expected input [N, 1, H, W]");
  EXPECT_SEEK_ERROR(m->forward(zeros({1, 28, 28})), ShapeError, "got [1, 28, 28]");
  EXPECT_SEEK_ERROR(mobilenet_v3_small(opts(0)), ValueError, "num_classes must be positive, got 0");
  EXPECT_SEEK_ERROR(mobilenet_v3_large(opts(10, -1)), ValueError, "in_channels must be positive, got -1");
  EXPECT_THROW(mobilenet_v3_small(opts(10, 3, false, 1.5)), ValueError);  // dropout probability
  EXPECT_SEEK_ERROR(models::InvertedResidual({16, 3, 16, 16, false, false, 3}), ValueError, "illegal stride value 3");
  EXPECT_SEEK_ERROR(models::MobileNetV3({}, 1024), ValueError, "inverted_residual_setting should not be empty");
}

TEST(MobileNetV3, TrainingStepsReduceLoss) {
  // A three-block MobileNetV3 (SE, ReLU and Hardswish blocks, one residual) keeps this fast.
  manual_seed(3);
  std::vector<models::InvertedResidualConfig> setting = {
      {16, 3, 16, 16, true, false, 2}, {16, 3, 48, 24, false, true, 2}, {24, 3, 72, 24, true, true, 1}};
  models::MobileNetV3 m(setting, 64, opts(4, 1, true, 0.0));
  m.train();
  Tensor x = randn({8, 1, 12, 12});
  Tensor y = randint(4, {8});
  optim::Adam opt(m.parameters(), optim::AdamOptions(1e-2));
  double first = 0, last = 0;
  for (int step = 0; step < 8; ++step) {
    opt.zero_grad();
    Tensor loss = nn::functional::cross_entropy(m.forward(x), y);
    loss.backward();
    opt.step();
    if (step == 0) first = loss.item<double>();
    last = loss.item<double>();
  }
  EXPECT_LT(last, first * 0.8) << "first " << first << " last " << last;
  // Gradients reached the stem and the squeeze-excitation convs.
  EXPECT_TRUE(m.child("features")->child("0")->child("0")->param("weight").grad().defined());
  EXPECT_TRUE(
      m.child("features")->child("3")->child("block")->child("2")->child("fc1")->param("weight").grad().defined());
}

// Replacing a submodule (replace_module, Sequential::set) takes effect in the parent's
// forward, as `model.fc = nn.Linear(...)` does in PyTorch: the expected outputs are
// computed from the children themselves, or from a twin model changed in place.
#include <gtest/gtest.h>

#include "seek/seek.h"
#include "nn/attention_test_util.h"
#include "support/test_util.h"

using namespace seek;
using seek::testing::fill_params;
using seek::testing::inp;
using seek::testing::keys;
using seek::testing::uniform_tensor;

namespace {

// A Linear(in, out) with fixed float64 values.
std::shared_ptr<nn::Linear> fixed_linear(int64_t in, int64_t out, uint64_t seed, bool bias = true) {
  auto fc = std::make_shared<nn::Linear>(in, out, bias, kFloat64);
  NoGradGuard no_grad;
  fc->weight().copy_(uniform_tensor({out, in}, -1.0, 1.0, kFloat64, seed));
  if (bias) fc->bias().copy_(uniform_tensor({out}, -1.0, 1.0, kFloat64, seed + 1));
  return fc;
}

// A parent that keeps typed handles, as a user's C++ module would.
struct Head : nn::Module {
  nn::Child<nn::Linear> fc;
  nn::Child<nn::Module> act;
  nn::Child<nn::Linear> absent;  // never registered
  Head() : nn::Module("Head") {
    fc = register_module("fc", fixed_linear(3, 2, 1));
    act = register_module("act", std::make_shared<nn::ReLU>());
  }
  Tensor forward(const Tensor& x) override { return act(fc(x)); }
};

void expect_close(const Tensor& got, const Tensor& want, double tol = 1e-10) {
  ASSERT_EQ(shape_str(got.sizes()), shape_str(want.sizes()));
  EXPECT_TRUE(allclose(got, want, 0.0, tol)) << "max |diff| " << (got - want).abs().max().item<double>();
}

}  // namespace

TEST(ChildReplacement, ChildHandleFollowsTheRegistry) {
  auto head = std::make_shared<Head>();
  EXPECT_TRUE(head->fc);
  EXPECT_FALSE(head->absent);
  EXPECT_EQ(head->fc.name(), "fc");
  EXPECT_EQ(head->fc.get(), head->child("fc"));
  EXPECT_EQ(head->fc->out_features(), 2);
  std::shared_ptr<nn::Linear> kept = head->fc;  // converts to the typed shared_ptr
  EXPECT_EQ(kept, head->child("fc"));

  Tensor x = inp({4, 3}, 5);
  auto wider = fixed_linear(3, 5, 9);
  EXPECT_EQ(head->replace_module("fc", wider), wider);
  EXPECT_EQ(head->fc.get(), wider);  // the handle sees the new module; `kept` still holds the old one
  EXPECT_NE(kept, wider);
  EXPECT_EQ(head->fc->out_features(), 5);
  expect_close(head->forward(x), wider->forward(x).relu());
  // A handle built from the name reaches the same slot.
  nn::Child<nn::Linear> by_name(*head, "fc");
  EXPECT_EQ(by_name.get(), wider);
  EXPECT_SEEK_ERROR(nn::Child<nn::Linear>(*head, "nope"), ValueError, "no submodule named 'nope'");
  EXPECT_SEEK_ERROR(head->absent.get(), ValueError, "refers to no submodule");
}

TEST(ChildReplacement, TypedAccessAfterADifferentTypeThrows) {
  auto head = std::make_shared<Head>();
  head->replace_module("fc", std::make_shared<nn::Identity>());
  Tensor x = inp({2, 3}, 3);
  expect_close(head->forward(x), x.relu());  // generic forward works with any module
  EXPECT_SEEK_ERROR_ALL(head->fc->out_features(), DTypeError,
                        {"Head", "submodule 'fc'", "is now a Identity", "seek::nn::Linear"});
  EXPECT_SEEK_ERROR_ALL(head->fc.get(), DTypeError, {"'fc'", "Identity"});
  EXPECT_EQ(head->fc.module()->type_name(), "Identity");
  // Replacing it with a Linear again brings typed access back.
  head->replace_module("fc", fixed_linear(3, 4, 2));
  EXPECT_EQ(head->fc->out_features(), 4);
}

TEST(ChildReplacement, SequentialSetAndReplaceModule) {
  auto fc = fixed_linear(3, 3, 11);
  nn::Sequential seq{fc, std::make_shared<nn::ReLU>()};
  Tensor x = inp({5, 3}, 4);
  expect_close(seq(x), fc->forward(x).relu());
  seq.set(-1, std::make_shared<nn::Identity>());  // negative index counts from the end
  expect_close(seq(x), fc->forward(x));
  EXPECT_EQ(seq[1]->type_name(), "Identity");
  auto fc2 = fixed_linear(3, 2, 21);
  seq.replace_module("0", fc2);  // the registry and the sequence are one
  EXPECT_EQ(seq[0], fc2);
  expect_close(seq(x), fc2->forward(x));
  EXPECT_EQ(keys(seq), (std::vector<std::string>{"0.weight", "0.bias"}));
  EXPECT_EQ(shape_str(seq.state_dict()[0].second.sizes()), "[2, 3]");
  EXPECT_SEEK_ERROR_ALL(seq.set(2, std::make_shared<nn::ReLU>()), IndexError,
                        {"Sequential.set", "index 2 is out of range for 2 modules"});
  EXPECT_SEEK_ERROR_ALL(seq.set(-3, std::make_shared<nn::ReLU>()), IndexError, {"index -3"});
  EXPECT_SEEK_ERROR_ALL(seq.set(0, nullptr), ValueError, {"Sequential.set", "is null"});
  EXPECT_EQ(seq.size(), 2u);
}

TEST(ChildReplacement, ModuleListAndDictReplace) {
  nn::ModuleList list{fixed_linear(2, 2, 1), fixed_linear(2, 2, 3)};
  auto relu = std::make_shared<nn::ReLU>();
  list.set(1, relu);
  std::vector<std::string> types;
  for (const auto& m : list) types.push_back(m->type_name());
  EXPECT_EQ(types, (std::vector<std::string>{"Linear", "ReLU"}));
  EXPECT_EQ(list[-1], relu);
  EXPECT_EQ(keys(list), (std::vector<std::string>{"0.weight", "0.bias"}));
  EXPECT_SEEK_ERROR_ALL(list.set(5, relu), IndexError, {"ModuleList.set", "index 5"});

  nn::ModuleDict dict;
  dict.insert("enc", fixed_linear(2, 4, 5));
  dict.insert("act", std::make_shared<nn::GELU>());
  dict.replace_module("act", relu);
  EXPECT_EQ(dict["act"], relu);
  EXPECT_EQ(dict.keys(), (std::vector<std::string>{"enc", "act"}));
  EXPECT_TRUE(dict.contains("enc"));
  EXPECT_FALSE(dict.contains("dec"));
}

TEST(ChildReplacement, ResNetFcChangesTheOutput) {
  auto model = models::resnet20(10, 1);
  model->to(kFloat64);
  model->eval();
  Tensor x = uniform_tensor({2, 1, 8, 8}, -1.0, 1.0, kFloat64, 17);
  EXPECT_EQ(shape_str(model->forward(x).sizes()), "[2, 10]");
  const std::vector<std::string> before = keys(*model);

  model->replace_module("fc", std::make_shared<nn::Identity>());
  Tensor features = model->forward(x);  // the pooled features
  EXPECT_EQ(shape_str(features.sizes()), "[2, 64]");
  std::vector<std::string> without_fc(before.begin(), before.end() - 2);
  EXPECT_EQ(keys(*model), without_fc);

  auto fc = fixed_linear(64, 5, 31);
  model->replace_module("fc", fc);
  expect_close(model->forward(x), fc->forward(features));
  EXPECT_EQ(keys(*model), before);  // same names and order, the new child's tensors
  EXPECT_EQ(shape_str(model->state_dict().back().second.sizes()), "[5]");
  EXPECT_TRUE(model->parameters().back().is_same(fc->bias()));
}

TEST(ChildReplacement, BasicBlockConvReplacedInsideResNet) {
  // Model a gets a new layer1.0.conv1 with zero weights; twin b has the same values
  // with that conv zeroed in place. Their outputs agree only if a's forward uses the new conv.
  auto a = models::resnet20(10, 1);
  auto b = models::resnet20(10, 1);
  b->load_state_dict(a->state_dict());
  a->eval();
  b->eval();
  Tensor x = uniform_tensor({2, 1, 8, 8}, -1.0, 1.0, kFloat32, 23);
  Tensor original = a->forward(x);
  auto block = a->child("layer1")->child("0");
  auto zero_conv = std::make_shared<nn::Conv2d>(16, 16, 3, 1, 1, 1, 1, /*bias=*/false);
  {
    NoGradGuard no_grad;
    zero_conv->weight().zero_();
    b->child("layer1")->child("0")->child("conv1")->param("weight").zero_();
  }
  block->replace_module("conv1", zero_conv);
  Tensor replaced = a->forward(x);
  EXPECT_TRUE(allclose(replaced, b->forward(x), 1e-5, 1e-6));
  EXPECT_FALSE(allclose(replaced, original, 1e-5, 1e-6));
}

TEST(ChildReplacement, BasicBlockFollowsEveryChild) {
  // Identity for conv1 (4 -> 4, stride 1): out = relu(bn2(conv2(relu(bn1(x)))) + x).
  models::BasicBlock block(4, 4);
  block.to(kFloat64);
  block.eval();
  Tensor x = uniform_tensor({1, 4, 5, 5}, -1.0, 1.0, kFloat64, 3);
  block.replace_module("conv1", std::make_shared<nn::Identity>());
  Tensor want =
      (block.child("bn2")->forward(block.child("conv2")->forward(block.child("bn1")->forward(x).relu())) + x).relu();
  expect_close(block.forward(x), want);
  // relu is a registered child too (torchvision's self.relu): an Identity there removes both relus.
  block.replace_module("relu", std::make_shared<nn::Identity>());
  Tensor linear = block.child("bn2")->forward(block.child("conv2")->forward(block.child("bn1")->forward(x))) + x;
  expect_close(block.forward(x), linear);
}

TEST(ChildReplacement, MobileNetV3ClassifierAndBlock) {
  models::MobileNetV3Options o;
  o.num_classes = 7;
  o.small_input = true;
  auto model = models::mobilenet_v3_small(o);
  model->eval();
  Tensor x = uniform_tensor({1, 3, 16, 16}, -1.0, 1.0, kFloat32, 8);
  EXPECT_EQ(shape_str(model->forward(x).sizes()), "[1, 7]");
  model->replace_module("classifier", std::make_shared<nn::Identity>());
  EXPECT_EQ(shape_str(model->forward(x).sizes()), "[1, 576]");  // 6 * 96 pooled features
  // A block's "block" Sequential replaced by Identity: the residual block returns 2 * input.
  auto features = std::dynamic_pointer_cast<nn::Sequential>(model->child("features"));
  auto residual = std::dynamic_pointer_cast<models::InvertedResidual>((*features)[3]);
  ASSERT_TRUE(residual && residual->use_res_connect());
  residual->replace_module("block", std::make_shared<nn::Identity>());
  Tensor y = uniform_tensor({1, 24, 4, 4}, -1.0, 1.0, kFloat32, 9);
  EXPECT_TRUE(allclose(residual->forward(y), y * 2.0));
}

TEST(ChildReplacement, SqueezeExcitationActivations) {
  nn::SqueezeExcitation se(4, 2);
  se.to(kFloat64);
  Tensor x = uniform_tensor({2, 4, 3, 3}, -1.0, 1.0, kFloat64, 12);
  se.replace_module("scale_activation", std::make_shared<nn::Identity>());
  se.replace_module("activation", std::make_shared<nn::Tanh>());
  Tensor pooled = adaptive_avg_pool2d(x, 1);
  Tensor scale = se.child("fc2")->forward(se.child("fc1")->forward(pooled).tanh());
  expect_close(se.forward(x), scale * x);
}

TEST(ChildReplacement, TransformerEncoderLayerLinearReplaced) {
  auto layer = std::make_shared<nn::TransformerEncoderLayer>(4, 2, 6, 0.0, "relu", 1e-5, false, false, true, kFloat64);
  fill_params(*layer);
  layer->eval();
  auto twin = layer->clone();
  Tensor src = inp({3, 2, 4}, 6);
  // A new linear2 with zero weight and bias == the twin with linear2 zeroed in place.
  auto zero = std::make_shared<nn::Linear>(6, 4, true, kFloat64);
  {
    NoGradGuard no_grad;
    zero->weight().zero_();
    zero->bias().zero_();
    twin->linear2()->weight().zero_();
    twin->linear2()->bias().zero_();
  }
  Tensor original = layer->forward(src);
  layer->replace_module("linear2", zero);
  expect_close(layer->forward(src), twin->forward(src));
  EXPECT_FALSE(allclose(layer->forward(src), original));
  EXPECT_EQ(layer->linear2(), zero);

  // A wider feed-forward block: linear1 4 -> 8 and linear2 8 -> 4; the keys keep their order.
  layer->replace_module("linear1", fixed_linear(4, 8, 40));
  layer->replace_module("linear2", fixed_linear(8, 4, 50));
  EXPECT_EQ(shape_str(layer->forward(src).sizes()), "[3, 2, 4]");
  EXPECT_EQ(keys(*layer), keys(*twin));
  EXPECT_EQ(shape_str(layer->linear1()->weight().sizes()), "[8, 4]");

  layer->replace_module("linear1", std::make_shared<nn::Identity>());
  EXPECT_SEEK_ERROR_ALL(layer->linear1(), DTypeError,
                        {"TransformerEncoderLayer", "'linear1'", "Identity", "seek::nn::Linear"});
  layer->replace_module("self_attn", std::make_shared<nn::Identity>());
  EXPECT_SEEK_ERROR_ALL(layer->forward(src), DTypeError, {"'self_attn'", "seek::nn::MultiheadAttention"});
}

TEST(ChildReplacement, MultiheadAttentionOutProj) {
  nn::MultiheadAttention mha(4, 2, 0.0, true, std::nullopt, std::nullopt, false, kFloat64);
  Tensor q = inp({3, 1, 4}, 2);
  Tensor before = std::get<0>(mha.forward(q, q, q));
  // out = z @ W^T + b: a new out_proj with W = 0 gives b everywhere.
  auto proj = std::make_shared<nn::Linear>(4, 4, true, kFloat64);
  {
    NoGradGuard no_grad;
    proj->weight().zero_();
    proj->bias().copy_(tensor<double>({1, 2, 3, 4}, {4}));
  }
  mha.replace_module("out_proj", proj);
  EXPECT_EQ(mha.out_proj(), proj);
  expect_close(std::get<0>(mha.forward(q, q, q)), tensor<double>({1, 2, 3, 4}, {4}).expand({3, 1, 4}));
  // Without a bias the new Linear's (absent) bias is used, not the original one.
  auto no_bias = fixed_linear(4, 4, 60, /*bias=*/false);
  mha.replace_module("out_proj", no_bias);
  auto twin_proj = fixed_linear(4, 4, 60);
  {
    NoGradGuard no_grad;
    twin_proj->bias().zero_();
  }
  Tensor got = std::get<0>(mha.forward(q, q, q));
  mha.replace_module("out_proj", twin_proj);
  expect_close(got, std::get<0>(mha.forward(q, q, q)));
  EXPECT_FALSE(allclose(got, before));
  mha.replace_module("out_proj", std::make_shared<nn::Identity>());
  EXPECT_SEEK_ERROR_ALL(mha.forward(q, q, q), DTypeError, {"MultiheadAttention", "'out_proj'", "Identity"});
}

TEST(ChildReplacement, TransformerEncoderLayers) {
  auto proto = std::make_shared<nn::TransformerEncoderLayer>(4, 2, 6, 0.0, "relu", 1e-5, false, false, true, kFloat64);
  fill_params(*proto);
  nn::TransformerEncoder enc(*proto, 2, std::make_shared<nn::LayerNorm>(Shape{4}, 1e-5, true, true, kFloat64));
  enc.eval();
  Tensor src = inp({3, 2, 4}, 8);
  auto list = std::dynamic_pointer_cast<nn::ModuleList>(enc.child("layers"));
  auto first = enc.layer(0);
  list->set(1, std::make_shared<nn::Identity>());
  expect_close(enc.forward(src), enc.norm()->forward(first->forward(src)));
  EXPECT_SEEK_ERROR_ALL(enc.layer(1), DTypeError, {"TransformerEncoder", "layers.1", "Identity"});
  Tensor mask = zeros({3, 3}, kFloat64);
  EXPECT_SEEK_ERROR_ALL(enc.forward(src, mask), DTypeError, {"layers.1", "Identity", "takes no masks"});
  // The final norm is a child like any other.
  enc.replace_module("norm", std::make_shared<nn::Identity>());
  expect_close(enc.forward(src), first->forward(src));
  EXPECT_EQ(enc.norm()->type_name(), "Identity");
}

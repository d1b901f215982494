#include <gtest/gtest.h>

#include "seek/nn/module.h"
#include "seek/seek.h"
#include "support/test_util.h"

using namespace seek;

namespace {
// y = x @ w^T + b, written by hand so that this test needs no layer library.
struct Affine : nn::Module {
  Affine(int64_t in, int64_t out) : nn::Module("Affine") {
    register_parameter("weight", ones({out, in}));
    register_parameter("bias", zeros({out}));
  }
  Tensor forward(const Tensor& x) override { return matmul(x, param("weight").t()) + param("bias"); }
};

struct Net : nn::Module {
  std::shared_ptr<Affine> fc1, fc2;
  Net() : nn::Module("Net") {
    fc1 = register_module("fc1", std::make_shared<Affine>(3, 4));
    fc2 = register_module("fc2", std::make_shared<Affine>(4, 2));
    register_buffer("steps", zeros({1}, kInt64));
    register_buffer("scratch", zeros({2}), /*persistent=*/false);
  }
  Tensor forward(const Tensor& x) override { return fc2->forward(fc1->forward(x).relu()); }
};
}  // namespace

TEST(Module, NamesFollowPyTorch) {
  auto net = std::make_shared<Net>();
  std::vector<std::string> names;
  for (auto& [n, p] : net->named_parameters()) names.push_back(n);
  EXPECT_EQ(names, (std::vector<std::string>{"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"}));
  std::vector<std::string> sd;
  for (auto& [n, t] : net->state_dict()) sd.push_back(n);
  EXPECT_EQ(sd, (std::vector<std::string>{"steps", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"}));
  std::vector<std::string> mods;
  for (auto& [n, m] : net->named_modules()) mods.push_back(n);
  EXPECT_EQ(mods, (std::vector<std::string>{"", "fc1", "fc2"}));
  EXPECT_EQ(net->num_parameters(), 3 * 4 + 4 + 4 * 2 + 2);
  EXPECT_EQ(net->named_buffers().size(), 2u);
}

TEST(Module, ParametersTrainAndZeroGrad) {
  auto net = std::make_shared<Net>();
  for (auto& p : net->parameters()) EXPECT_TRUE(p.requires_grad());
  Tensor y = net->forward(ones({5, 3})).sum();
  y.backward();
  EXPECT_TRUE(net->fc1->param("weight").grad().defined());
  net->zero_grad(/*set_to_none=*/false);
  EXPECT_EQ(net->fc1->param("weight").grad().abs().sum().item<float>(), 0.0f);
  net->zero_grad();
  EXPECT_FALSE(net->fc1->param("weight").grad().defined());
  net->eval();
  EXPECT_FALSE(net->fc2->is_training());
  net->train();
  EXPECT_TRUE(net->fc2->is_training());
}

TEST(Module, StateDictRoundTripAndErrors) {
  auto a = std::make_shared<Net>();
  auto b = std::make_shared<Net>();
  {
    NoGradGuard g;
    a->fc1->param("weight").mul_(3.0);
  }
  b->load_state_dict(a->state_dict());
  EXPECT_TRUE(equal(b->fc1->param("weight"), a->fc1->param("weight")));
  EXPECT_TRUE(b->fc1->param("weight").requires_grad());

  nn::StateDict bad = a->state_dict();
  bad.erase(bad.begin() + 1);                  // drop fc1.weight
  bad.emplace_back("fc3.weight", zeros({1}));  // unexpected
  bad[1].second = zeros({7});                  // fc1.bias with the wrong shape
  try {
    b->load_state_dict(bad);
    FAIL();
  } catch (const ValueError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("missing keys 'fc1.weight'"), std::string::npos) << m;
    EXPECT_NE(m.find("unexpected keys 'fc3.weight'"), std::string::npos) << m;
    EXPECT_NE(m.find("size mismatch for 'fc1.bias: checkpoint [7] vs model [4]'"), std::string::npos) << m;
  }
  nn::StateDict partial = {{"fc2.bias", ones({2})}};
  b->load_state_dict(partial, /*strict=*/false);
  EXPECT_EQ(to_vector<float>(b->fc2->param("bias")), (std::vector<float>{1, 1}));
}

TEST(Module, ToDtypeKeepsLeavesAndIntegerBuffers) {
  auto net = std::make_shared<Net>();
  net->to(kFloat64);
  for (auto& p : net->parameters()) {
    EXPECT_EQ(p.dtype(), kFloat64);
    EXPECT_TRUE(p.is_leaf());
    EXPECT_TRUE(p.requires_grad());
  }
  EXPECT_EQ(net->buffer("steps").dtype(), kInt64);
  EXPECT_EQ(net->forward(ones({1, 3}, kFloat64)).dtype(), kFloat64);
}

// A tensor registered under two names (tied weights, as BERT's decoder and word embeddings) stays one
// tensor through to(): one parameter, both names, as PyTorch's in-place move keeps it.
TEST(Module, ToKeepsTiedParametersTied) {
  auto net = std::make_shared<Net>();
  net->fc2->param("bias") = net->fc1->param("bias").narrow(0, 0, 2).detach().requires_grad_(true);
  net->fc1->param("weight").set_grad(ones({4, 3}));
  Tensor shared = net->fc1->param("weight");
  auto tied = std::make_shared<Affine>(3, 4);
  tied->param("weight") = shared;
  net->register_module("tied", tied);
  ASSERT_EQ(net->parameters().size(), 5u);  // fc1.weight, fc1.bias, fc2.weight, fc2.bias; tied.bias
  net->to(kFloat64);
  EXPECT_TRUE(net->fc1->param("weight").is_same(tied->param("weight")));
  EXPECT_EQ(tied->param("weight").dtype(), kFloat64);
  EXPECT_EQ(tied->param("weight").grad().dtype(), kFloat64);
  EXPECT_FALSE(net->fc2->param("bias").is_same(net->fc1->param("bias")));  // distinct tensors stay distinct
  EXPECT_EQ(net->parameters().size(), 5u);
  EXPECT_EQ(net->state_dict().size(), 7u);  // both names of the tied weight, and the buffer "steps"
}

TEST(Module, BadRegistrationAndLookup) {
  Affine m(2, 2);
  EXPECT_THROW(m.register_parameter("weight", zeros({1})), ValueError);
  EXPECT_THROW(m.register_parameter("a.b", zeros({1})), ValueError);
  EXPECT_THROW(m.param("nope"), ValueError);
  nn::Module plain;
  EXPECT_THROW(plain.forward(zeros({1})), Error);
}

TEST(Module, ReplaceModuleKeepsOrderAndNames) {
  auto net = std::make_shared<Net>();
  auto old_fc1 = net->child("fc1");
  auto wider = net->replace_module("fc1", std::make_shared<Affine>(3, 4));
  EXPECT_EQ(net->child("fc1"), wider);
  EXPECT_NE(net->child("fc1"), old_fc1);
  auto children = net->named_children();
  ASSERT_EQ(children.size(), 2u);
  EXPECT_EQ(children[0].first, "fc1");  // same place in the registration order
  EXPECT_EQ(children[1].first, "fc2");
  std::vector<std::string> names;
  for (auto& [n, p] : net->named_parameters()) names.push_back(n);
  EXPECT_EQ(names, (std::vector<std::string>{"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"}));
  // The state dict reads the new child: its weight is a different tensor from the old one's.
  wider->param("weight").detach().fill_(2.0f);
  for (auto& [k, v] : net->state_dict())
    if (k == "fc1.weight") EXPECT_EQ(v.sum().item<float>(), 24.0f);
  // The parent's parameters() follow the swap.
  EXPECT_TRUE(net->parameters()[0].is_same(wider->param("weight")));
}

TEST(Module, ReplaceModuleErrorsAndDuplicateRegistration) {
  auto net = std::make_shared<Net>();
  EXPECT_SEEK_ERROR(net->replace_module("fc3", std::make_shared<Affine>(1, 1)), ValueError, "no submodule named 'fc3'");
  EXPECT_SEEK_ERROR(net->replace_module("fc1", std::shared_ptr<Affine>()), ValueError, "is null");
  // register_module still refuses a name that is taken.
  EXPECT_SEEK_ERROR(net->register_module("fc1", std::make_shared<Affine>(3, 4)), ValueError, "'fc1' already exists");
  // A parameter's name is not a submodule to replace.
  EXPECT_SEEK_ERROR(net->child("fc1")->replace_module("weight", std::make_shared<Affine>(1, 1)), ValueError,
                    "no submodule named 'weight'");
}

TEST(Module, Repr) {
  auto net = std::make_shared<Net>();
  EXPECT_EQ(net->repr(), "Net(\n  (fc1): Affine()\n  (fc2): Affine()\n)");
}

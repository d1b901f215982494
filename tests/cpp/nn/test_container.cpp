#include <gtest/gtest.h>

#include "seek/seek.h"
#include "support/test_util.h"

using namespace seek;

namespace {
std::vector<std::string> keys(const nn::StateDict& sd) {
  std::vector<std::string> k;
  for (auto& [n, t] : sd) k.push_back(n);
  return k;
}
}  // namespace

TEST(NNContainer, SequentialStateDictKeysMatchTorch) {
  auto seq = std::make_shared<nn::Sequential>(std::initializer_list<nn::ModulePtr>{
      std::make_shared<nn::Linear>(4, 8), std::make_shared<nn::ReLU>(), std::make_shared<nn::Linear>(8, 2)});
  seq->push_back(std::make_shared<nn::LayerNorm>(Shape{2}));
  EXPECT_EQ(seq->size(), 4u);
  EXPECT_EQ(keys(seq->state_dict()),
            (std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias", "3.weight", "3.bias"}));
  EXPECT_EQ((*seq)[-1]->type_name(), "LayerNorm");
  EXPECT_EQ((*seq)[1]->type_name(), "ReLU");
  EXPECT_SEEK_ERROR((*seq)[4], IndexError, "Sequential: index 4 is out of range for 4 modules");
  // nested containers give dotted paths
  nn::Sequential outer;
  outer.push_back(std::make_shared<nn::Identity>());
  outer.push_back(seq);
  EXPECT_EQ(keys(outer.state_dict())[0], "1.0.weight");
}

TEST(NNContainer, SequentialForwardChains) {
  auto fc = std::make_shared<nn::Linear>(2, 2, false);
  {
    NoGradGuard ng;
    fc->weight().copy_(tensor<float>({1, -1, 2, 0}, {2, 2}));
  }
  nn::Sequential seq{fc, std::make_shared<nn::ReLU>(), std::make_shared<nn::Flatten>(0)};
  Tensor y = seq(tensor<float>({3, 5}, {1, 2}));  // [3 - 5, 6] -> relu -> [0, 6]
  EXPECT_EQ(y.sizes(), (Shape{2}));
  EXPECT_EQ(to_vector<float>(y), (std::vector<float>{0, 6}));
  seq.eval();
  EXPECT_FALSE(fc->is_training());
}

TEST(NNContainer, ModuleListAndDict) {
  nn::ModuleList list{std::make_shared<nn::Linear>(3, 3), std::make_shared<nn::Linear>(3, 1)};
  list.push_back(std::make_shared<nn::Embedding>(5, 3));
  EXPECT_EQ(list.size(), 3u);
  EXPECT_EQ(keys(list.state_dict()),
            (std::vector<std::string>{"0.weight", "0.bias", "1.weight", "1.bias", "2.weight"}));
  int n = 0;
  for (auto& m : list) n += m != nullptr;
  EXPECT_EQ(n, 3);
  EXPECT_THROW(list.forward(zeros({1})), Error);

  nn::ModuleDict dict;
  dict.insert("encoder", std::make_shared<nn::Linear>(2, 4));
  dict.insert("act", std::make_shared<nn::GELU>());
  dict.insert("decoder", std::make_shared<nn::Linear>(4, 2, false));
  EXPECT_EQ(dict.keys(), (std::vector<std::string>{"encoder", "act", "decoder"}));
  EXPECT_TRUE(dict.contains("act"));
  EXPECT_EQ(dict["decoder"]->type_name(), "Linear");
  EXPECT_EQ(keys(dict.state_dict()), (std::vector<std::string>{"encoder.weight", "encoder.bias", "decoder.weight"}));
  EXPECT_SEEK_ERROR(dict["missing"], ValueError, "no module with key 'missing'");
  EXPECT_SEEK_ERROR(dict.insert("act", std::make_shared<nn::ReLU>()), ValueError, "key 'act' already exists");
}

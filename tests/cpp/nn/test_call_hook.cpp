// nn::Module's call hook: calling a module (operator(), a parent's Child handle, Sequential) runs the
// hook instead of forward(); forward() itself and Child::forward bypass it.
#include <gtest/gtest.h>

#include "seek/seek.h"

using namespace seek;

TEST(CallHook, ParentsCallChildrenThroughTheHook) {
  auto seq = std::make_shared<nn::Sequential>();
  auto relu = std::make_shared<nn::ReLU>();
  seq->push_back(std::make_shared<nn::Identity>());
  seq->push_back(relu);
  int calls = 0;
  relu->set_call_hook([&](nn::Module& m, const Tensor& x) {
    ++calls;
    return m.forward(x).mul(2.0);
  });
  Tensor x = tensor<float>({-1.0f, 3.0f}, {2});
  Tensor y = seq->forward(x);
  EXPECT_EQ(calls, 1);
  EXPECT_FLOAT_EQ(y.data_ptr<float>()[1], 6.0f);
  EXPECT_FLOAT_EQ((*relu)(x).data_ptr<float>()[1], 6.0f);
  EXPECT_EQ(calls, 2);
  EXPECT_FLOAT_EQ(relu->forward(x).data_ptr<float>()[1], 3.0f);  // forward() skips the hook
  EXPECT_EQ(calls, 2);
  relu->set_call_hook(nullptr);
  EXPECT_FLOAT_EQ(seq->forward(x).data_ptr<float>()[1], 3.0f);
  EXPECT_EQ(calls, 2);
}

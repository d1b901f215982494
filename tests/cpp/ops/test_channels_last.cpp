// channels_last through the ops on the CPU: elementwise outputs follow their inputs' layout as PyTorch's
// TensorIterator does, conv / batch norm / pooling give channels_last outputs and input gradients equal to the
// NCHW path, a whole ResNet-18 runs channels_last, and Module::to(ChannelsLast) keeps optimizers working.
// The same CNN checks run on the simulated CUDA device in tests/cuda/test_cuda_channels_last.cpp.
#include <gtest/gtest.h>

#include "ops/channels_last_checks.h"
#include "seek/models/resnet.h"
#include "seek/seek.h"

using namespace seek;
using seek::testing::cl_values;
using seek::testing::expect_same_values;
using Strides = std::vector<int64_t>;

namespace {
constexpr MemoryFormat kCL = MemoryFormat::ChannelsLast;
Tensor cl_input() { return cl_values({2, 3, 4, 5}, kFloat32, kCPU, 3).contiguous(kCL); }
}  // namespace

TEST(ChannelsLast, ElementwiseOutputsFollowTheFirstDecidingInput) {
  Tensor cl = cl_input(), nchw = cl.contiguous();
  const Strides cls{60, 1, 15, 3}, nchws{60, 20, 5, 1};
  EXPECT_EQ(relu(cl).strides(), cls);
  EXPECT_EQ(cl.exp().strides(), cls);
  EXPECT_EQ((cl * 2).strides(), cls);
  EXPECT_EQ((2 * cl).strides(), cls);
  EXPECT_EQ((cl > 0).strides(), cls);
  EXPECT_EQ(cl.to(kFloat64).add(1).strides(), cls);
  // a per-channel bias broadcasts without deciding (torch: (cl + b) and (b + cl) are channels_last)
  Tensor b = cl_values({3, 1, 1}, kFloat32, kCPU, 4);
  EXPECT_EQ((cl + b).strides(), cls);
  EXPECT_EQ((b + cl).strides(), cls);
  // the first full-size input decides: torch gives (x + cl) NCHW and (cl + x) channels_last
  EXPECT_EQ((nchw + cl).strides(), nchws);
  EXPECT_EQ((cl + nchw).strides(), cls);
  EXPECT_EQ(where(cl > 0, cl, nchw).strides(), cls);
  EXPECT_EQ(cl.clamp(-0.5, 0.5).strides(), cls);
  EXPECT_EQ(addcmul(b, cl, nchw).strides(), cls);
  // values are the same as on the NCHW layout
  expect_same_values(cl * b + cl.exp(), nchw * b + nchw.exp(), 1e-6, "values");  // SIMD exp may differ by an ulp
  // in-place ops keep the tensor's own layout
  Tensor y = cl.clone();
  y.mul_(nchw);
  EXPECT_EQ(y.strides(), cls);
  // 3-D and plain transposed inputs keep giving contiguous outputs
  EXPECT_TRUE((cl_values({2, 3, 4}, kFloat32, kCPU, 5).transpose(0, 2) * 2).is_contiguous());
}

TEST(ChannelsLast, CnnOpsMatchNchwInFloat64) { seek::testing::check_cnn_ops_channels_last(kFloat64, kCPU, 1e-10); }
TEST(ChannelsLast, CnnOpsMatchNchwInFloat32) { seek::testing::check_cnn_ops_channels_last(kFloat32, kCPU, 1e-4); }

TEST(ChannelsLast, ConvWithAChannelsLastWeightGivesChannelsLast) {
  // torch: an NCHW input with a channels_last weight gives a channels_last output, and the weight's grad is too
  Tensor x = cl_values({2, 3, 6, 5}, kFloat64, kCPU, 6);
  Tensor w = cl_values({4, 3, 3, 3}, kFloat64, kCPU, 7).contiguous(kCL).requires_grad_(true);
  Tensor y = conv2d(x, w);
  EXPECT_TRUE(y.is_contiguous(kCL));
  y.sum().backward();
  EXPECT_TRUE(w.grad().is_contiguous(kCL));
  Tensor w2 = w.detach().contiguous().requires_grad_(true);
  conv2d(x, w2).sum().backward();
  expect_same_values(w.grad(), w2.grad(), 1e-10, "weight grad");
}

TEST(ChannelsLast, ResNet18ForwardAndBackwardMatchNchw) {
  manual_seed(5);
  auto a = models::resnet18(10, 3, /*small_input=*/true);
  auto b = models::resnet18(10, 3, /*small_input=*/true);
  b->load_state_dict(a->state_dict());
  b->to(kCL);
  for (const auto& [name, p] : b->named_parameters())
    if (p.dim() == 4) EXPECT_TRUE(p.is_contiguous(kCL)) << name;
  Tensor x = cl_values({2, 3, 16, 16}, kFloat32, kCPU, 8);
  Tensor ya = a->forward(x), yb = b->forward(x.contiguous(kCL));
  expect_same_values(ya, yb, 1e-4, "logits");
  ya.square().sum().backward();
  yb.square().sum().backward();
  auto pa = a->named_parameters(), pb = b->named_parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (size_t i = 0; i < pa.size(); ++i) {
    const Tensor& ga = pa[i].second.grad();
    const Tensor& gb = pb[i].second.grad();
    if (gb.dim() == 4) EXPECT_TRUE(gb.is_contiguous(kCL)) << pb[i].first;
    expect_same_values(ga, gb, 2e-3, pa[i].first + " grad");
  }
}

TEST(ChannelsLast, ModuleToKeepsParameterIdentityAndOptimizerState) {
  manual_seed(9);
  auto make = [] {
    auto s = std::make_shared<nn::Sequential>();
    s->push_back(std::make_shared<nn::Conv2d>(3, 4, 3));
    s->push_back(std::make_shared<nn::BatchNorm2d>(4));
    s->push_back(std::make_shared<nn::ReLU>());
    s->push_back(std::make_shared<nn::AdaptiveAvgPool2d>(Int2(1, 1)));
    s->push_back(std::make_shared<nn::Flatten>());
    s->push_back(std::make_shared<nn::Linear>(4, 2));
    return s;
  };
  auto a = make(), b = make();
  b->load_state_dict(a->state_dict());
  optim::SGD oa(a->parameters(), optim::SGDOptions(0.1).momentum_(0.9));
  optim::SGD ob(b->parameters(), optim::SGDOptions(0.1).momentum_(0.9));
  Tensor x = cl_values({4, 3, 6, 6}, kFloat32, kCPU, 10);
  auto step = [&](nn::Module& m, optim::Optimizer& o, const Tensor& in) {
    o.zero_grad();
    m.forward(in).square().sum().backward();
    o.step();
  };
  step(*a, oa, x);
  step(*b, ob, x);  // momentum buffers exist now
  std::vector<Tensor> before = b->parameters();
  b->to(kCL);
  std::vector<Tensor> after = b->parameters();
  ASSERT_EQ(before.size(), after.size());
  for (size_t i = 0; i < before.size(); ++i) {
    EXPECT_TRUE(before[i].is_same(after[i])) << "parameter " << i << " was replaced";
    if (after[i].dim() == 4) EXPECT_TRUE(after[i].is_contiguous(kCL));
  }
  for (int i = 0; i < 3; ++i) {
    step(*a, oa, x);
    step(*b, ob, x.contiguous(kCL));
  }
  auto pa = a->parameters(), pb = b->parameters();
  for (size_t i = 0; i < pa.size(); ++i) expect_same_values(pa[i], pb[i], 1e-4, "parameter " + std::to_string(i));
  b->to(MemoryFormat::Contiguous);
  for (const Tensor& p : b->parameters()) EXPECT_TRUE(p.is_contiguous());
  EXPECT_THROW(b->to(MemoryFormat::Preserve), ValueError);
}

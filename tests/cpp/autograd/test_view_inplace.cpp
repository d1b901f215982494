// In-place ops on views of tensors that require grad rewrite the base's history (PyTorch's
// CopySlices), gradchecked; a view of a leaf that requires grad still raises. Also the checks on
// assigned gradients and on what hooks return.
#include <gtest/gtest.h>

#include "seek/seek.h"

using namespace seek;
using autograd::gradcheck;

namespace {
Tensor input(const Shape& shape, uint64_t seed) {
  manual_seed(seed);
  return randn(shape, kFloat64).requires_grad_();
}

void expect_gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& fn, const std::vector<Tensor>& in) {
  auto r = gradcheck(fn, in);
  EXPECT_TRUE(r.ok) << r.message;
}
}  // namespace

TEST(ViewInplace, SliceReluRewritesBaseHistory) {
  expect_gradcheck(
      [](const std::vector<Tensor>& x) {
        Tensor y = x[0] * 2.0;
        y.slice(0, 1, 3).relu_();
        return y * y;  // uses the base after the in-place op on its view
      },
      {input({5, 3}, 1)});
}

TEST(ViewInplace, ViewOfViewSelectMul) {
  expect_gradcheck(
      [](const std::vector<Tensor>& x) {
        Tensor y = x[0] * 1.0;
        y.view({-1}).select(0, 2).mul_(3.0);
        return y.sin();
      },
      {input({2, 3}, 2)});
}

TEST(ViewInplace, TransposeAddWithAnotherInputThatRequiresGrad) {
  expect_gradcheck(
      [](const std::vector<Tensor>& x) {
        Tensor y = x[0] * 1.0;
        y.t().add_(x[1]);
        return y.exp();
      },
      {input({3, 4}, 3), input({4, 3}, 4)});
}

TEST(ViewInplace, CopyIntoSliceOfTensorWithoutGrad) {
  // The base needs no grad until a value that does is written into its view.
  expect_gradcheck(
      [](const std::vector<Tensor>& x) {
        Tensor y = zeros({4, 3}, kFloat64);
        y.slice(0, 1, 3).copy_(x[0]);
        return y * y.sum();
      },
      {input({2, 3}, 5)});
}

TEST(ViewInplace, FillOfSliceCutsTheGradient) {
  Tensor x = input({4}, 6);
  Tensor y = x * 3.0;
  y.slice(0, 0, 2).fill_(1.0);
  y.sum().backward();
  EXPECT_EQ(to_vector<double>(x.grad()), (std::vector<double>{0, 0, 3, 3}));
}

TEST(ViewInplace, OtherViewsSeeTheNewHistory) {
  expect_gradcheck(
      [](const std::vector<Tensor>& x) {
        Tensor y = x[0] * 1.0;
        Tensor rows = y.slice(0, 0, 2);  // taken before the in-place op
        y.select(0, 1).mul_(x[0].select(0, 0).exp());
        return rows * rows.sum() + y.pow(2.0).sum();
      },
      {input({3, 2}, 7)});
}

TEST(ViewInplace, ChainedInPlaceOpsOnViews) {
  expect_gradcheck(
      [](const std::vector<Tensor>& x) {
        Tensor y = x[0].sin();  // tanh saves its output, which the in-place ops change
        y.slice(1, 0, 2).mul_(2.0);
        y.slice(0, 1, 2).sigmoid_();
        y.select(1, 2).add_(x[0].cos().select(1, 0));
        return y;
      },
      {input({3, 3}, 8)});
}

TEST(ViewInplace, ViewOfLeafThatRequiresGradRaises) {
  Tensor x = input({4}, 9);
  try {
    x.slice(0, 0, 2).mul_(2.0);
    FAIL();
  } catch (const AutogradError& e) {
    EXPECT_NE(std::string(e.what()).find("a view of a leaf Variable that requires grad is being used in an in-place"),
              std::string::npos)
        << e.what();
  }
  NoGradGuard g;
  x.slice(0, 0, 2).mul_(2.0);  // allowed without grad mode
}

TEST(ViewInplace, DetachedViewDoesNotTouchTheOriginalHistory) {
  Tensor x = input({4}, 10);
  Tensor y = x * 2.0;
  Tensor d = y.detach();
  d.slice(0, 0, 2).zero_();  // no autograd: d is not a view of y for autograd
  y.sum().backward();
  EXPECT_EQ(to_vector<double>(x.grad()), (std::vector<double>{2, 2, 2, 2}));
}

TEST(GradAssignment, DifferentSizeOrTypeRaises) {
  Tensor x = zeros({3}).requires_grad_();
  x.set_grad(ones({3}));
  try {
    x.set_grad(ones({4}));
    FAIL();
  } catch (const AutogradError& e) {
    EXPECT_NE(std::string(e.what()).find("assigned grad has data of a different size"), std::string::npos);
  }
  try {
    x.set_grad(ones({3}, kFloat64));
    FAIL();
  } catch (const AutogradError& e) {
    EXPECT_NE(std::string(e.what()).find("assigned grad has data of a different type"), std::string::npos);
  }
  x.set_grad(Tensor());
  EXPECT_FALSE(x.grad().defined());
}

TEST(Hooks, HookChangingShapeOrDtypeRaises) {
  Tensor x = ones({3}, kFloat64).requires_grad_();
  Tensor y = x * 2.0;
  y.register_hook([](const Tensor&) { return ones({4}, kFloat64); });
  try {
    y.sum().backward();
    FAIL();
  } catch (const AutogradError& e) {
    EXPECT_NE(std::string(e.what()).find("hook"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("shape [4]"), std::string::npos) << e.what();
  }
  Tensor z = ones({3}, kFloat64).requires_grad_();
  z.register_hook([](const Tensor& g) { return g.to(kFloat32); });
  try {
    (z * 2.0).sum().backward();
    FAIL();
  } catch (const AutogradError& e) {
    EXPECT_NE(std::string(e.what()).find("dtype float32"), std::string::npos) << e.what();
  }
}

#include <gtest/gtest.h>

#include "seek/seek.h"

using namespace seek;

namespace {
std::vector<double> vec(const Tensor& t) { return to_vector<double>(t); }
Tensor leaf(std::vector<double> v) { return tensor<double>(v, {static_cast<int64_t>(v.size())}).requires_grad_(); }
}  // namespace

TEST(Autograd, MulAddBackwardAccumulatesIntoLeaves) {
  Tensor a = leaf({1, 2, 3});
  Tensor b = leaf({4, 5, 6});
  Tensor y = a * b + a;
  y.backward(ones({3}, kFloat64));
  EXPECT_EQ(vec(a.grad()), (std::vector<double>{5, 6, 7}));
  EXPECT_EQ(vec(b.grad()), (std::vector<double>{1, 2, 3}));
  // A second graph accumulates into the same .grad.
  (a * 2.0).backward(ones({3}, kFloat64));
  EXPECT_EQ(vec(a.grad()), (std::vector<double>{7, 8, 9}));
}

TEST(Autograd, DiamondGraphSumsBothPaths) {
  Tensor x = leaf({2});
  Tensor y = x * x;      // dy/dx = 2x
  Tensor z = y * x + y;  // dz/dx = 3x^2 + 2x
  z.backward();
  EXPECT_DOUBLE_EQ(x.grad().item<double>(), 3 * 4 + 4);
}

TEST(Autograd, NonScalarBackwardNeedsGradient) {
  Tensor a = leaf({1, 2});
  Tensor y = a * 2.0;
  try {
    y.backward();
    FAIL();
  } catch (const AutogradError& e) {
    EXPECT_NE(std::string(e.what()).find("implicitly created only for scalar outputs"), std::string::npos);
  }
  EXPECT_THROW(y.backward(ones({3}, kFloat64)), ShapeError);
}

TEST(Autograd, BackwardTwiceNeedsRetainGraph) {
  Tensor a = leaf({3});
  Tensor y = a * a;
  y.backward(Tensor(), /*retain_graph=*/true);
  y.backward();
  EXPECT_DOUBLE_EQ(a.grad().item<double>(), 12.0);
  try {
    y.backward();
    FAIL();
  } catch (const AutogradError& e) {
    EXPECT_NE(std::string(e.what()).find("backward through the graph a second time"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("retain_graph"), std::string::npos);
  }
}

TEST(Autograd, NoGradGuardAndDetachRecordNothing) {
  Tensor a = leaf({1, 2});
  {
    NoGradGuard g;
    Tensor y = a * 2.0;
    EXPECT_FALSE(y.requires_grad());
    {
      EnableGradGuard e;
      EXPECT_TRUE((a * 2.0).requires_grad());
    }
  }
  Tensor d = a.detach();
  EXPECT_FALSE(d.requires_grad());
  EXPECT_EQ(d.storage().get(), a.storage().get());
  Tensor y = a * 2.0;
  EXPECT_FALSE(y.is_leaf());
  EXPECT_EQ(y.grad_fn()->name(), "MulBackward");
  EXPECT_THROW((d * 2.0).backward(ones({2}, kFloat64)), AutogradError);
}

TEST(Autograd, HooksOnLeafAndNonLeaf) {
  Tensor a = leaf({1, 2});
  Tensor mid = a * 3.0;
  std::vector<double> seen;
  mid.register_hook([&](const Tensor& g) {
    seen = vec(g);
    return g * 10.0;  // replaces the gradient flowing on
  });
  a.register_hook([](const Tensor& g) { return g + 1.0; });
  mid.retain_grad();
  (mid * 2.0).backward(ones({2}, kFloat64));
  EXPECT_EQ(seen, (std::vector<double>{2, 2}));
  EXPECT_EQ(vec(mid.grad()), (std::vector<double>{20, 20}));  // retained after the hook ran
  EXPECT_EQ(vec(a.grad()), (std::vector<double>{61, 61}));
  Tensor c = tensor<double>({1.0});
  EXPECT_THROW(c.register_hook([](const Tensor& g) { return g; }), AutogradError);
}

TEST(Autograd, InPlaceModificationOfSavedTensorIsCaught) {
  Tensor a = leaf({1, 2});
  Tensor b = a * 1.0;  // non-leaf
  Tensor y = b * b;    // saves b
  b.add_(1.0);
  try {
    y.backward(ones({2}, kFloat64));
    FAIL();
  } catch (const AutogradError& e) {
    EXPECT_NE(std::string(e.what()).find("modified by an inplace operation"), std::string::npos);
  }
}

TEST(Autograd, InPlaceOnLeafThatRequiresGradIsAnError) {
  Tensor a = leaf({1, 2});
  try {
    a.add_(1.0);
    FAIL();
  } catch (const AutogradError& e) {
    EXPECT_NE(std::string(e.what()).find("leaf tensor that requires grad"), std::string::npos);
  }
  NoGradGuard g;
  a.add_(1.0);  // allowed without grad mode, as in an optimizer step
  EXPECT_EQ(vec(a), (std::vector<double>{2, 3}));
}

TEST(Autograd, InPlaceOnNonLeafIsDifferentiable) {
  Tensor a = leaf({1, 2});
  Tensor b = a * 2.0;
  b.mul_(a);  // b = 2a^2
  b.add_(a);  // b = 2a^2 + a
  b.backward(ones({2}, kFloat64));
  EXPECT_EQ(vec(a.grad()), (std::vector<double>{5, 9}));  // 4a + 1
}

TEST(Autograd, GradReturnsGradientsWithoutTouchingDotGrad) {
  Tensor a = leaf({1, 2});
  Tensor b = leaf({3, 4});
  Tensor y = a * b;
  auto g = autograd::grad({y}, {a}, {ones({2}, kFloat64)}, /*retain_graph=*/true);
  EXPECT_EQ(vec(g[0]), (std::vector<double>{3, 4}));
  EXPECT_FALSE(a.grad().defined());
  EXPECT_FALSE(b.grad().defined());
  Tensor unused = leaf({1});
  EXPECT_THROW(autograd::grad({y}, {unused}, {ones({2}, kFloat64)}, true), AutogradError);
  auto g2 = autograd::grad({y}, {unused, b}, {ones({2}, kFloat64)}, true, /*allow_unused=*/true);
  EXPECT_FALSE(g2[0].defined());
  EXPECT_EQ(vec(g2[1]), (std::vector<double>{1, 2}));
  // Gradient with respect to a non-leaf.
  Tensor m = a * 2.0;
  Tensor z = m * m;
  auto gm = autograd::grad({z}, {m}, {ones({2}, kFloat64)});
  EXPECT_EQ(vec(gm[0]), (std::vector<double>{4, 8}));
}

TEST(Autograd, RequiresGradOnlyForFloatingLeaves) {
  Tensor i = tensor<int64_t>({1, 2});
  try {
    i.requires_grad_();
    FAIL();
  } catch (const AutogradError& e) {
    EXPECT_NE(std::string(e.what()).find("floating point"), std::string::npos);
  }
  Tensor a = leaf({1});
  Tensor y = a * 2.0;
  EXPECT_THROW(y.requires_grad_(false), AutogradError);
}

TEST(Autograd, GradientsFlowThroughDtypeConversion) {
  Tensor a = leaf({1.5, 2.5});
  Tensor f = a.to(kFloat32);
  Tensor y = f * f;
  y.backward(ones({2}, kFloat32));
  EXPECT_EQ(a.grad().dtype(), kFloat64);
  EXPECT_EQ(vec(a.grad()), (std::vector<double>{3, 5}));
}

TEST(Autograd, ViewBackwardScattersIntoBase) {
  Tensor a = tensor<double>({1, 2, 3, 4, 5, 6}, {2, 3}).requires_grad_();
  Tensor s = a.select(1, 2) * 2.0 + a.t().slice(0, 0, 1).reshape({2}) * 3.0;
  s.backward(ones({2}, kFloat64));
  EXPECT_EQ(vec(a.grad()), (std::vector<double>{3, 0, 2, 3, 0, 2}));
}

TEST(Autograd, MixingDevicesIsAnError) {
  // No CUDA tensor can exist on a CPU-only build; the check names both devices.
  if (has_backend(DeviceType::CUDA)) GTEST_SKIP() << "covered by the CUDA tests";
  EXPECT_THROW(empty({2}, kCUDA), DeviceError);
}

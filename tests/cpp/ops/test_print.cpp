// Printing: exact strings, as PyTorch's repr prints the same tensors (with
// seek's dtype names).
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>
#include <vector>

#include "seek/seek.h"

using namespace seek;

namespace {
Tensor floats(std::vector<float> v) {
  Shape s{static_cast<int64_t>(v.size())};
  return tensor<float>(v, s);
}
Tensor doubles(std::vector<double> v) {
  Shape s{static_cast<int64_t>(v.size())};
  return tensor<double>(v, s);
}
}  // namespace

TEST(Print, FloatMatrix) {
  Tensor t = tensor<float>({1, 2.5, -3, 4}, {2, 2});
  EXPECT_EQ(t.to_string(), "tensor([[ 1.0000,  2.5000],\n        [-3.0000,  4.0000]])");
  std::ostringstream os;
  os << t;
  EXPECT_EQ(os.str(), t.to_string());
}

TEST(Print, IntegerValuedFloatsPrintWithATrailingDot) {
  EXPECT_EQ(floats({1, 2, 3}).to_string(), "tensor([1., 2., 3.])");
  EXPECT_EQ(floats({-1, 20, 3}).to_string(), "tensor([-1., 20.,  3.])");
  EXPECT_EQ(zeros({2}).to_string(), "tensor([0., 0.])");
}

TEST(Print, IntegersAndBools) {
  EXPECT_EQ(tensor<int64_t>({1, -20, 300}).to_string(), "tensor([  1, -20, 300])");
  EXPECT_EQ(tensor<int32_t>({1, 2}).to_string(), "tensor([1, 2], dtype=seek.int32)");
  EXPECT_EQ(tensor<uint8_t>({255, 0}).to_string(), "tensor([255,   0], dtype=seek.uint8)");
  EXPECT_EQ(tensor<int8_t>({-5}).to_string(), "tensor([-5], dtype=seek.int8)");
  EXPECT_EQ(tensor<bool>({true, false}).to_string(), "tensor([ True, False])");
}

TEST(Print, Scalars) {
  EXPECT_EQ(scalar_tensor(3.5).to_string(), "tensor(3.5000)");
  EXPECT_EQ(scalar_tensor(3.0).to_string(), "tensor(3.)");
  EXPECT_EQ(scalar_tensor(0.0).to_string(), "tensor(0.)");
  EXPECT_EQ(scalar_tensor(7, kInt64).to_string(), "tensor(7)");
  EXPECT_EQ(scalar_tensor(true, kBool).to_string(), "tensor(True)");
  EXPECT_EQ(scalar_tensor(2.5, kFloat64).to_string(), "tensor(2.5000, dtype=seek.float64)");
}

TEST(Print, Empty) {
  EXPECT_EQ(zeros({0}).to_string(), "tensor([])");
  EXPECT_EQ(zeros({0, 3}).to_string(), "tensor([], size=(0, 3))");
  EXPECT_EQ(zeros({0}, kInt64).to_string(), "tensor([], dtype=seek.int64)");
  EXPECT_EQ(zeros({2, 0, 3}, kFloat64).to_string(), "tensor([], size=(2, 0, 3), dtype=seek.float64)");
}

TEST(Print, DtypeSuffixes) {
  EXPECT_EQ(doubles({1.5, 2}).to_string(), "tensor([1.5000, 2.0000], dtype=seek.float64)");
  EXPECT_EQ(floats({0.5f, 1.25f}).to(kFloat16).to_string(), "tensor([0.5000, 1.2500], dtype=seek.float16)");
  EXPECT_EQ(floats({0.5f, 3}).to(kBFloat16).to_string(), "tensor([0.5000, 3.0000], dtype=seek.bfloat16)");
}

TEST(Print, ScientificNotation) {
  EXPECT_EQ(floats({1e-5f, 1.0f}).to_string(), "tensor([1.0000e-05, 1.0000e+00])");
  EXPECT_EQ(floats({1e9f, 1.0f}).to_string(), "tensor([1.0000e+09, 1.0000e+00])");  // integers, ratio > 1000
  EXPECT_EQ(floats({0, 1e-5f}).to_string(), "tensor([0.0000e+00, 1.0000e-05])");
  EXPECT_EQ(doubles({-123456.789, 0.001}).to_string(), "tensor([-1.2346e+05,  1.0000e-03], dtype=seek.float64)");
  // Ratio of exactly 1000 stays fixed-point.
  EXPECT_EQ(floats({0.5f, 500.0f}).to_string(), "tensor([  0.5000, 500.0000])");
}

TEST(Print, NonFiniteValues) {
  EXPECT_EQ(floats({NAN, INFINITY, -INFINITY, 1.5f}).to_string(), "tensor([   nan,    inf,   -inf, 1.5000])");
  EXPECT_EQ(floats({NAN, 1, 2}).to_string(), "tensor([nan, 1., 2.])");
  EXPECT_EQ(floats({-NAN}).to_string(), "tensor([nan])");
}

TEST(Print, HigherDimsAndViews) {
  EXPECT_EQ(arange(8).reshape({2, 2, 2}).to_string(),
            "tensor([[[0, 1],\n         [2, 3]],\n\n        [[4, 5],\n         [6, 7]]])");
  EXPECT_EQ(arange(6).reshape({2, 3}).t().to_string(), "tensor([[0, 3],\n        [1, 4],\n        [2, 5]])");
}

TEST(Print, LongRowsWrapAt80Columns) {
  std::vector<float> v;
  for (int i = 0; i < 20; ++i) v.push_back(static_cast<float>(i / 10.0));
  EXPECT_EQ(floats(v).to_string(),
            "tensor([0.0000, 0.1000, 0.2000, 0.3000, 0.4000, 0.5000, 0.6000, 0.7000, 0.8000,\n"
            "        0.9000, 1.0000, 1.1000, 1.2000, 1.3000, 1.4000, 1.5000, 1.6000, 1.7000,\n"
            "        1.8000, 1.9000])");
  // A suffix that would pass column 80 goes on its own line.
  std::vector<double> d;
  for (int i = 0; i < 18; ++i) d.push_back(i / 10.0);
  EXPECT_EQ(doubles(d).to_string(),
            "tensor([0.0000, 0.1000, 0.2000, 0.3000, 0.4000, 0.5000, 0.6000, 0.7000, 0.8000,\n"
            "        0.9000, 1.0000, 1.1000, 1.2000, 1.3000, 1.4000, 1.5000, 1.6000, 1.7000],\n"
            "       dtype=seek.float64)");
}

TEST(Print, SummarisesLargeTensors) {
  EXPECT_EQ(arange(1000).to_string().find("..."), std::string::npos);  // 1000 elements: printed in full
  EXPECT_EQ(arange(2000).to_string(), "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])");
  // Integer-valued floats spanning more than 1000x switch to scientific notation; " ..." counts
  // as an element when rows wrap.
  EXPECT_EQ(arange(2000, TensorOptions(kFloat32)).to_string(),
            "tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n"
            "        1.9990e+03])");
  EXPECT_EQ(arange(1000, 3000, 1, TensorOptions(kFloat32)).to_string(),
            "tensor([1000., 1001., 1002.,  ..., 2997., 2998., 2999.])");
  EXPECT_EQ(arange(10000).reshape({100, 100}).to_string(),
            "tensor([[   0,    1,    2,  ...,   97,   98,   99],\n"
            "        [ 100,  101,  102,  ...,  197,  198,  199],\n"
            "        [ 200,  201,  202,  ...,  297,  298,  299],\n"
            "        ...,\n"
            "        [9700, 9701, 9702,  ..., 9797, 9798, 9799],\n"
            "        [9800, 9801, 9802,  ..., 9897, 9898, 9899],\n"
            "        [9900, 9901, 9902,  ..., 9997, 9998, 9999]])");
}

TEST(Print, AutogradSuffixes) {
  Tensor x = tensor<float>(std::vector<float>{1, 2}, Shape{2}, TensorOptions().requires_grad());
  EXPECT_EQ(x.to_string(), "tensor([1., 2.], requires_grad=True)");
  EXPECT_EQ((x * 2.0).to_string(), "tensor([2., 4.], grad_fn=<MulBackward>)");
  EXPECT_EQ(x.detach().to_string(), "tensor([1., 2.])");
}

TEST(Print, DeviceSuffix) {
  // Empty tensors print without touching memory, so a CUDA-tagged blob needs no GPU.
  float buf[1] = {0};
  EXPECT_EQ(from_blob(buf, {0}, {}, kFloat32, {}, kCUDA).to_string(), "tensor([], device='cuda:0')");
  EXPECT_EQ(from_blob(buf, {0}, {}, kInt64, {}, Device(DeviceType::CUDA, 1)).to_string(),
            "tensor([], device='cuda:1', dtype=seek.int64)");
  if (!has_backend(DeviceType::CUDA)) GTEST_SKIP() << "no CUDA backend";
  EXPECT_EQ(tensor<float>({1, 2.5}).to(kCUDA).to_string(), "tensor([1.0000, 2.5000], device='cuda:0')");
}

TEST(Print, Undefined) {
  EXPECT_EQ(Tensor().to_string(), "[ undefined Tensor ]");
  std::ostringstream os;
  os << Tensor();
  EXPECT_EQ(os.str(), "[ undefined Tensor ]");
}

#pragma once
// Channels-last checks shared by the CPU tests (tests/cpp/ops/test_channels_last.cpp) and the simulated CUDA
// device's (tests/cuda/test_cuda_channels_last.cpp): each runs an op on an NCHW input and on the same values
// laid out channels_last, and expects equal values, channels_last outputs and channels_last input gradients.
#include <gtest/gtest.h>

#include <functional>

#include "seek/seek.h"

namespace seek::testing {

// Random values in [-1, 1), made on the CPU (the same on every device), moved to `device`.
inline Tensor cl_values(const Shape& shape, DType dt, Device device, uint64_t seed) {
  Generator g(seed);
  NoGradGuard ng;
  return rand(shape, TensorOptions(kFloat64), &g).mul(2).sub(1).to(device, dt);
}

inline void expect_same_values(const Tensor& a, const Tensor& b, double tol, const std::string& what) {
  ASSERT_EQ(a.sizes(), b.sizes()) << what;
  std::vector<double> va = to_vector<double>(a), vb = to_vector<double>(b);
  for (size_t i = 0; i < va.size(); ++i) ASSERT_NEAR(va[i], vb[i], tol) << what << ", element " << i;
}

// fn(x) on x (NCHW) and on x laid out channels_last (a leaf each), summed against the same random weights for
// backward: the channels-last output and gradient must be channels_last and equal the NCHW ones.
inline void expect_channels_last_like_nchw(const std::function<Tensor(const Tensor&)>& fn, const Shape& shape, DType dt,
                                           Device device, double tol, const std::string& what) {
  Tensor base = cl_values(shape, dt, device, 11);
  Tensor x = base.clone().requires_grad_(true);
  Tensor xc = base.contiguous(MemoryFormat::ChannelsLast).requires_grad_(true);
  ASSERT_TRUE(xc.is_contiguous(MemoryFormat::ChannelsLast)) << what;
  Tensor y = fn(x), yc = fn(xc);
  EXPECT_TRUE(yc.is_contiguous(MemoryFormat::ChannelsLast)) << what << ": output strides " << shape_str(yc.strides());
  if (y.size(2) * y.size(3) > 1 && y.size(1) > 1)
    EXPECT_FALSE(yc.is_contiguous()) << what << ": output strides " << shape_str(yc.strides());
  expect_same_values(y, yc, tol, what + " forward");
  Tensor w = cl_values(y.sizes(), dt, device, 12);
  (y * w).sum().backward();
  (yc * w).sum().backward();
  ASSERT_TRUE(xc.grad().defined()) << what;
  EXPECT_TRUE(xc.grad().is_contiguous(MemoryFormat::ChannelsLast))
      << what << ": grad strides " << shape_str(xc.grad().strides());
  expect_same_values(x.grad(), xc.grad(), tol, what + " input gradient");
}

// The conv, batch norm, pooling and ResNet-block ops of a CNN on `device`.
inline void check_cnn_ops_channels_last(DType dt, Device device, double tol) {
  const Shape shape{2, 3, 7, 6};
  Tensor w = cl_values({4, 3, 3, 3}, dt, device, 21), b = cl_values({4}, dt, device, 22);
  expect_channels_last_like_nchw([&](const Tensor& x) { return conv2d(x, w, b, 1, 1); }, shape, dt, device, tol,
                                 "conv2d");
  expect_channels_last_like_nchw([&](const Tensor& x) { return conv2d(x, w, Tensor(), 2, 0, 1, 1); }, shape, dt, device,
                                 tol, "conv2d stride 2");
  Tensor wg = cl_values({6, 1, 3, 3}, dt, device, 23);
  expect_channels_last_like_nchw([&](const Tensor& x) { return conv2d(x, wg, Tensor(), 1, 1, 1, 3); }, shape, dt,
                                 device, tol, "conv2d groups 3");
  Tensor wt = cl_values({3, 5, 3, 3}, dt, device, 24);
  expect_channels_last_like_nchw([&](const Tensor& x) { return conv_transpose2d(x, wt, Tensor(), 2, 1); }, shape, dt,
                                 device, tol, "conv_transpose2d");
  Tensor gamma = cl_values({3}, dt, device, 25).add(2), beta = cl_values({3}, dt, device, 26);
  expect_channels_last_like_nchw(
      [&](const Tensor& x) {
        Tensor rm = zeros({3}, TensorOptions(dt).device(device)), rv = ones({3}, TensorOptions(dt).device(device));
        return batch_norm(x, rm, rv, gamma, beta, /*training=*/true, 0.1, 1e-5);
      },
      shape, dt, device, tol, "batch_norm train");
  expect_channels_last_like_nchw(
      [&](const Tensor& x) {
        Tensor rm = full({3}, 0.1, TensorOptions(dt).device(device)),
               rv = full({3}, 2.0, TensorOptions(dt).device(device));
        return batch_norm(x, rm, rv, gamma, beta, /*training=*/false, 0.1, 1e-5);
      },
      shape, dt, device, tol, "batch_norm eval");
  expect_channels_last_like_nchw([](const Tensor& x) { return max_pool2d(x, 3, 2, 1); }, shape, dt, device, tol,
                                 "max_pool2d");
  expect_channels_last_like_nchw([](const Tensor& x) { return avg_pool2d(x, 2); }, shape, dt, device, tol,
                                 "avg_pool2d");
  expect_channels_last_like_nchw(
      [](const Tensor& x) {
        return adaptive_avg_pool2d(x, {2, 3});
      },
      shape, dt, device, tol, "adaptive_avg_pool2d");
  // A ResNet basic block: conv -> bn -> relu -> conv -> + identity -> relu, with a per-channel bias added.
  Tensor w1 = cl_values({3, 3, 3, 3}, dt, device, 27), w2 = cl_values({3, 3, 3, 3}, dt, device, 28);
  Tensor bias = cl_values({3, 1, 1}, dt, device, 29);
  expect_channels_last_like_nchw(
      [&](const Tensor& x) {
        Tensor rm = zeros({3}, TensorOptions(dt).device(device)), rv = ones({3}, TensorOptions(dt).device(device));
        Tensor h = relu(batch_norm(conv2d(x, w1, Tensor(), 1, 1), rm, rv, gamma, beta, true, 0.1, 1e-5));
        return relu(conv2d(h, w2, Tensor(), 1, 1) + x + bias);
      },
      shape, dt, device, tol, "basic block");
}

}  // namespace seek::testing

// NHWC-native conv, batch norm and pooling on the CUDA backend (the simulated device in CI): a
// channels_last ResNet stem + basic block runs forward and backward with no layout copy on the device
// (layout_copy_count, a debug counter of the copy family) and gives channels_last outputs and gradients
// equal to the NCHW run; the NHWC conv's image-chunk loop; and the fused optimizer steps taking
// channels_last parameters as flat storage on both devices, equal to the contiguous run.
#include <gtest/gtest.h>

#include "backend/cuda/layout_copies.h"
#include "kernels/conv.cuh"
#include "seek/cuda.h"
#include "seek/models/resnet.h"
#include "seek/ops/optim.h"
#include "seek/seek.h"

using namespace seek;

namespace {

class CudaNhwc : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!cuda::is_available()) GTEST_SKIP() << "no CUDA GPU visible: " << cuda::build_info();
    cuda::set_device(0);
  }
};

constexpr MemoryFormat kCL = MemoryFormat::ChannelsLast;

void expect_close(const Tensor& got, const Tensor& want, double tol, const std::string& what) {
  ASSERT_EQ(got.sizes(), want.sizes()) << what;
  const Tensor g = got.detach().to(kCPU, kFloat64).contiguous(), w = want.detach().to(kCPU, kFloat64).contiguous();
  const double err = (g - w).abs().max().item<double>(), scale = w.abs().max().item<double>();
  EXPECT_LE(err, tol * std::max(1.0, scale)) << what;
}

// Stem (conv 3x3, BN, ReLU, max pool) + a BasicBlock with a stride-2 projection shortcut + average pool.
struct Net {
  std::shared_ptr<nn::Sequential> body;

  Net() {
    auto downsample = std::make_shared<nn::Sequential>(std::initializer_list<nn::ModulePtr>{
        std::make_shared<nn::Conv2d>(8, 16, 1, 2, 0, 1, 1, false), std::make_shared<nn::BatchNorm2d>(16)});
    body = std::make_shared<nn::Sequential>(std::initializer_list<nn::ModulePtr>{
        std::make_shared<nn::Conv2d>(3, 8, 3, 1, 1, 1, 1, false), std::make_shared<nn::BatchNorm2d>(8),
        std::make_shared<nn::ReLU>(), std::make_shared<nn::MaxPool2d>(3, 2, 1),
        std::make_shared<models::BasicBlock>(8, 16, 2, downsample), std::make_shared<nn::AdaptiveAvgPool2d>(Int2(1))});
  }
};

}  // namespace

TEST_F(CudaNhwc, ResNetBlockForwardBackwardDoesNoLayoutCopies) {
  manual_seed(11);
  Net cl, ref;
  ref.body->load_state_dict(cl.body->state_dict());
  const Tensor input = randn({2, 3, 12, 12});
  auto run = [&](Net& net, MemoryFormat fmt) {
    net.body->to(kCUDA);
    net.body->to(fmt);
    Tensor x = input.to(kCUDA, false, false, fmt).requires_grad_(true);
    const int64_t before = cuda::layout_copy_count();
    Tensor y = net.body->forward(x);
    y.square().sum().backward();
    const int64_t copies = cuda::layout_copy_count() - before;
    return std::make_pair(std::vector<Tensor>{y, x.grad()}, copies);
  };
  auto [got, cl_copies] = run(cl, kCL);
  auto [want, nchw_copies] = run(ref, MemoryFormat::Contiguous);
  EXPECT_EQ(cl_copies, 0) << "a channels_last forward+backward repacked " << cl_copies << " tensors";
  // The counter does count: the NCHW conv's weight gradient gathers grad_out's chunk as [G, Og, n*L]
  // (a permuting copy per conv with more than one image), which the NHWC path reads in place.
  EXPECT_GT(nchw_copies, 0);
  EXPECT_TRUE(got[1].is_contiguous(kCL)) << "input grad";
  expect_close(got[0], want[0], 1e-4, "output");
  expect_close(got[1], want[1], 1e-4, "input grad");
  const auto ps = cl.body->named_parameters(), rs = ref.body->named_parameters();
  ASSERT_EQ(ps.size(), rs.size());
  for (size_t i = 0; i < ps.size(); ++i) {
    const Tensor& p = ps[i].second;
    ASSERT_TRUE(p.grad().defined()) << ps[i].first;
    if (p.dim() == 4) {
      EXPECT_TRUE(p.is_contiguous(kCL)) << ps[i].first;
      EXPECT_TRUE(p.grad().is_contiguous(kCL)) << ps[i].first << " grad";
    }
    expect_close(p.grad(), rs[i].second.grad(), 1e-4, ps[i].first + " grad");
  }
}

// Several image chunks (a small patch limit) through the NHWC im2col path, forward and backward.
TEST_F(CudaNhwc, ConvChunkLoopMatchesNchw) {
  const int64_t old = cuda::set_conv_patch_limit(200);
  manual_seed(12);
  const Tensor x0 = randn({5, 4, 7, 6}), w0 = randn({6, 2, 3, 3}), b0 = randn({6});
  auto run = [&](MemoryFormat fmt) {
    Tensor x = x0.to(kCUDA, false, false, fmt).requires_grad_(true);
    Tensor w = w0.to(kCUDA, false, false, fmt).requires_grad_(true), b = b0.to(kCUDA).requires_grad_(true);
    Tensor y = conv2d(x, w, b, 2, 1, 1, 2);
    (y * y).sum().backward();
    return std::vector<Tensor>{y, x.grad(), w.grad(), b.grad()};
  };
  const auto got = run(kCL), want = run(MemoryFormat::Contiguous);
  cuda::set_conv_patch_limit(old);
  EXPECT_TRUE(got[0].is_contiguous(kCL));
  EXPECT_TRUE(got[1].is_contiguous(kCL));
  EXPECT_TRUE(got[2].is_contiguous(kCL));
  const char* names[] = {"output", "input grad", "weight grad", "bias grad"};
  for (size_t i = 0; i < got.size(); ++i) expect_close(got[i], want[i], 1e-4, names[i]);
}

// The fused steps take channels_last parameters (grads and states laid out alike) on the CPU and the
// device, and give the contiguous run's values; a grad in another layout is laid out as its parameter.
TEST_F(CudaNhwc, FusedOptimizerStepsTakeChannelsLastParams) {
  for (Device dev : {Device(kCPU), Device(kCUDA)}) {
    manual_seed(13);
    const Tensor w0 = randn({4, 3, 3, 3}), b0 = randn({4});
    std::vector<Tensor> grads0;
    for (int s = 0; s < 3; ++s) grads0.push_back(randn({4, 3, 3, 3}));
    auto train = [&](MemoryFormat fmt, bool adam) {
      Tensor w = w0.to(dev, false, false, fmt), b = b0.to(dev);
      std::vector<Tensor> states{zeros_like(w), zeros_like(w)};
      for (int s = 0; s < 3; ++s) {
        // The grad arrives channels_last for a channels_last param, except at step 1 (contiguous).
        Tensor g = grads0[static_cast<size_t>(s)].to(dev, false, false, s == 1 ? MemoryFormat::Contiguous : fmt);
        Tensor gb = full({4}, 0.5 * (s + 1), TensorOptions(kFloat32).device(dev));
        OptimHyper h;
        h.lr = 0.1, h.momentum = 0.9, h.weight_decay = 0.01;
        NoGradGuard ng;
        bool fused = adam ? fused_adam_({w, b}, {g, gb}, {states[0], zeros({4}, TensorOptions().device(dev))},
                                        {states[1], zeros({4}, TensorOptions().device(dev))}, {}, {s + 1, s + 1}, h)
                          : fused_sgd_({w}, {g}, {states[0]}, {static_cast<uint8_t>(s == 0)}, h);
        EXPECT_TRUE(fused) << dev.str() << (adam ? " adam" : " sgd") << " step " << s;
      }
      return std::vector<Tensor>{w, states[0], states[1]};
    };
    for (bool adam : {false, true}) {
      const std::string what = dev.str() + (adam ? " adam" : " sgd");
      const auto got = train(kCL, adam), want = train(MemoryFormat::Contiguous, adam);
      EXPECT_TRUE(got[0].is_contiguous(kCL)) << what;
      EXPECT_TRUE(got[1].is_contiguous(kCL)) << what << " state";
      for (size_t i = 0; i < got.size(); ++i)
        expect_close(got[i], want[i], 1e-6, what + " tensor " + std::to_string(i));
    }
  }
}

// A state laid out otherwise than its parameter is refused by the backend with a clear error.
TEST_F(CudaNhwc, OptimStateInAnotherLayoutIsAnError) {
  Tensor w = randn({4, 3, 3, 3}).to(kCUDA, false, false, kCL), g = zeros_like(w);
  Tensor state = zeros({4, 3, 3, 3}, TensorOptions().device(kCUDA));
  OptimArgs a;
  a.params = {w}, a.grads = {g}, a.states = {{state}}, a.fresh = {0};
  a.hyper.lr = 0.1, a.hyper.momentum = 0.9;
  try {
    backend(kCUDA).optim(OptimOp::SGD, a);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("must be laid out as its parameter"), std::string::npos) << e.what();
  }
}

// On a GPU with cuDNN: cuDNN's NHWC descriptors (CUDNN_TENSOR_NHWC tensors, an OHWI filter) against
// seek's NHWC kernels, forward and backward, channels_last throughout. Skipped where conv2d has no
// cuDNN path (the simulator build); scripts/gpu_check.sh runs it.
TEST_F(CudaNhwc, OwnNhwcKernelsMatchCudnnNhwc) {
  const cuda::ConvImpl saved = cuda::conv_impl();
  cuda::set_conv_impl(cuda::ConvImpl::Library);
  if (cuda::conv_impl() != cuda::ConvImpl::Library)
    GTEST_SKIP() << "conv2d has no cuDNN path in this build (the simulator build, or cuDNN not found)";
  Conv2dParams strided;
  strided.stride = {2, 1}, strided.padding = {1, 2}, strided.dilation = {1, 2}, strided.groups = 2;
  for (const Conv2dParams& p : {Conv2dParams{}, strided}) {
    for (DType dt : {kFloat32, kFloat16, kBFloat16, kFloat64}) {
      manual_seed(41);
      const auto dev_cl = [&](const Tensor& t) { return t.to(kCUDA, dt, false, false, kCL); };
      const Tensor x = dev_cl(randn({4, 6, 13, 11})), w = dev_cl(randn({8, 6 / p.groups, 3, 3}));
      const Tensor b = randn({8}).to(kCUDA, dt);
      const int64_t OH = (13 + 2 * p.padding[0] - p.dilation[0] * 2 - 1) / p.stride[0] + 1;
      const int64_t OW = (11 + 2 * p.padding[1] - p.dilation[1] * 2 - 1) / p.stride[1] + 1;
      const Tensor gy = dev_cl(randn({4, 8, OH, OW}));
      std::vector<Tensor> results[2];
      for (int own = 0; own < 2; ++own) {
        cuda::set_conv_impl(own ? cuda::ConvImpl::Own : cuda::ConvImpl::Library);
        const TensorOptions o = TensorOptions(dt).device(kCUDA);
        Tensor y = empty(gy.sizes(), o, kCL), gx = empty(x.sizes(), o, kCL), gw = empty(w.sizes(), o, kCL);
        Tensor gb = empty({8}, o);
        backend(kCUDA).conv2d_forward(x, w, b, p, y);
        backend(kCUDA).conv2d_backward(gy, x, w, p, gx, gw, gb);
        results[own] = {y, gx, gw, gb};
      }
      const double tol = dt == kFloat64 ? 1e-12 : dt == kFloat32 ? 1e-5 : 3e-2;
      const char* names[] = {"forward", "grad_input", "grad_weight", "grad_bias"};
      for (int k = 0; k < 4; ++k)
        expect_close(results[1][static_cast<size_t>(k)], results[0][static_cast<size_t>(k)], tol,
                     str("own vs cuDNN NHWC conv2d ", names[k], " groups ", p.groups, " ", dtype_name(dt)));
    }
  }
  cuda::set_conv_impl(saved);
}

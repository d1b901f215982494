// The fused training conv -> batch norm -> residual -> ReLU (seek/ops/conv_bn.h, seek/nn/fused_conv_bn.h)
// on every registered device (the CPU twin, and the simulated CUDA device in CI) against the unfused
// conv2d -> batch_norm -> add -> relu: outputs, all six gradients, running statistics (momentum,
// cumulative average, num_batches_tracked), eval mode, channels_last; the module and the training pass
// keep parameters (the same objects) and state_dict keys, checkpoints load both ways, and training steps
// of fused and unfused models (a Sequential and ResNet-20) agree; misuse raises named errors.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "seek/models/resnet.h"
#include "seek/nn/fused_conv_bn.h"
#include "seek/seek.h"
#include "support/test_util.h"

namespace seek::nn {
namespace {

using seek::testing::uniform_tensor;
namespace F = seek::nn::functional;

std::vector<Device> devices() {
  std::vector<Device> out;
  for (DeviceType t : registered_backends())
    if (backend(Device(t, 0)).supports(BackendFamily::Conv, kFloat32)) out.push_back(Device(t, 0));
  return out;
}

void expect_close(const Tensor& got, const Tensor& want, double tol, const std::string& what) {
  ASSERT_EQ(got.defined(), want.defined()) << what;
  if (!got.defined()) return;
  ASSERT_EQ(got.sizes(), want.sizes()) << what;
  const std::vector<double> g = to_vector<double>(got.to(kCPU).to(kFloat64).contiguous());
  const std::vector<double> w = to_vector<double>(want.to(kCPU).to(kFloat64).contiguous());
  for (size_t i = 0; i < g.size(); ++i)
    ASSERT_NEAR(g[i], w[i], tol * std::max(1.0, std::fabs(w[i]))) << what << " [" << i << "]";
}

struct Case {
  int64_t n, c, h, w, o, k, stride, pad, groups;
  bool conv_bias, affine, residual, relu;
};

// Runs one case fused and unfused (fresh copies of every tensor), comparing outputs, gradients and the
// running statistics after `steps` training calls.
void check_case(const Case& k, Device d, DType dt, double tol, bool channels_last = false,
                std::optional<double> momentum = 0.1) {
  const std::string what =
      str("case n", k.n, " c", k.c, " ", k.h, "x", k.w, " o", k.o, " k", k.k, " s", k.stride, " p", k.pad, " g",
          k.groups, " res", k.residual, " relu", k.relu, " ", d.str(), " ", dtype_name(dt), channels_last ? " cl" : "");
  const int64_t oh = (k.h + 2 * k.pad - k.k) / k.stride + 1, ow = (k.w + 2 * k.pad - k.k) / k.stride + 1;
  auto leaf = [&](const Shape& s, double lo, double hi, uint64_t seed) {
    Tensor t = uniform_tensor(s, lo, hi, dt, seed).to(d);
    if (channels_last && t.dim() == 4) t = t.contiguous(MemoryFormat::ChannelsLast);
    return t.requires_grad_(true);
  };
  struct Set {
    Tensor x, w, cb, bw, bb, res, rm, rv, nbt;
  };
  auto make = [&]() {
    Set s;
    s.x = leaf({k.n, k.c, k.h, k.w}, -1, 1.5, 1);
    s.w = leaf({k.o, k.c / k.groups, k.k, k.k}, -0.5, 0.5, 2);
    if (k.conv_bias) s.cb = leaf({k.o}, -0.5, 0.5, 3);
    if (k.affine) s.bw = leaf({k.o}, 0.5, 1.5, 4), s.bb = leaf({k.o}, -0.5, 0.5, 5);
    if (k.residual) s.res = leaf({k.n, k.o, oh, ow}, -1, 1, 6);
    s.rm = uniform_tensor({k.o}, -0.2, 0.2, dt, 7).to(d);
    s.rv = uniform_tensor({k.o}, 0.5, 2, dt, 8).to(d);
    s.nbt = zeros({}, TensorOptions(kInt64).device(d));
    return s;
  };
  Set a = make(), b = make();
  ConvBnOptions o;
  o.stride = k.stride, o.padding = k.pad, o.groups = k.groups, o.relu = k.relu, o.momentum = momentum;
  Tensor gy = uniform_tensor({k.n, k.o, oh, ow}, -1, 1, dt, 9).to(d);
  Tensor ya, yb;
  for (int step = 0; step < 2; ++step) {  // two calls: the running statistics accumulate
    ya = F::conv_bn_relu(a.x, a.w, a.cb, a.rm, a.rv, a.bw, a.bb, a.res, o, a.nbt);
    yb = conv2d(b.x, b.w, b.cb, k.stride, k.pad, 1, k.groups);
    yb = F::batch_norm(yb, b.rm, b.rv, b.bw, b.bb, true, momentum, o.eps, b.nbt);
    if (k.residual) yb = yb + b.res;
    if (k.relu) yb = F::relu(yb);
  }
  expect_close(ya, yb, tol, what + " out");
  // the CPU runs the fused kernels (one node for the block); a device without them runs the composition
  if (d.is_cpu()) EXPECT_EQ(ya.grad_fn()->name(), "ConvBnReluBackward") << what;
  if (channels_last) EXPECT_TRUE(ya.is_contiguous(MemoryFormat::ChannelsLast)) << what;
  (ya * gy).sum().backward();
  (yb * gy).sum().backward();
  expect_close(a.x.grad(), b.x.grad(), tol, what + " grad x");
  expect_close(a.w.grad(), b.w.grad(), tol, what + " grad w");
  if (k.conv_bias) expect_close(a.cb.grad(), b.cb.grad(), tol, what + " grad conv bias");
  if (k.affine) expect_close(a.bw.grad(), b.bw.grad(), tol, what + " grad bn weight");
  if (k.affine) expect_close(a.bb.grad(), b.bb.grad(), tol, what + " grad bn bias");
  if (k.residual) expect_close(a.res.grad(), b.res.grad(), tol, what + " grad residual");
  expect_close(a.rm, b.rm, tol, what + " running_mean");
  expect_close(a.rv, b.rv, tol, what + " running_var");
  EXPECT_EQ(a.nbt.to(kCPU).item<int64_t>(), 2) << what;
}

const std::vector<Case> kCases = {
    {2, 3, 5, 4, 4, 3, 1, 1, 1, false, true, false, true},   // 3x3, padding
    {3, 4, 7, 5, 6, 3, 2, 1, 2, true, true, true, true},     // stride 2, groups, conv bias, residual
    {2, 5, 3, 3, 7, 1, 1, 0, 1, false, true, true, false},   // 1x1, residual, no ReLU
    {1, 3, 6, 6, 5, 1, 2, 0, 1, false, false, false, true},  // 1x1 stride 2, no affine
    {4, 2, 1, 3, 3, 1, 1, 0, 1, true, true, false, false},   // odd sizes, plain conv + bn
};

TEST(FusedConvBn, MatchesUnfusedFloat64) {
  for (Device d : devices())
    for (const Case& k : kCases) check_case(k, d, kFloat64, 1e-10);
}

TEST(FusedConvBn, MatchesUnfusedFloat32) {
  for (Device d : devices())
    for (const Case& k : kCases) check_case(k, d, kFloat32, 2e-4);
}

TEST(FusedConvBn, ChannelsLastAndCumulativeMomentum) {
  for (Device d : devices()) {
    check_case(kCases[1], d, kFloat32, 2e-4, /*channels_last=*/true);
    check_case(kCases[0], d, kFloat64, 1e-10, false, /*momentum=*/std::nullopt);
  }
}

TEST(FusedConvBn, EvalModeUsesRunningStatistics) {
  for (Device d : devices()) {
    Tensor x = uniform_tensor({2, 3, 4, 4}, -1, 1, kFloat64, 1).to(d);
    Tensor w = uniform_tensor({4, 3, 3, 3}, -0.5, 0.5, kFloat64, 2).to(d);
    Tensor rm = uniform_tensor({4}, -0.2, 0.2, kFloat64, 3).to(d), rv = uniform_tensor({4}, 0.5, 2, kFloat64, 4).to(d);
    Tensor bw = uniform_tensor({4}, 0.5, 1.5, kFloat64, 5).to(d),
           bb = uniform_tensor({4}, -0.5, 0.5, kFloat64, 6).to(d);
    ConvBnOptions o;
    o.padding = 1, o.training = false;
    Tensor rm0 = rm.clone();
    Tensor y = F::conv_bn_relu(x, w, Tensor(), rm, rv, bw, bb, Tensor(), o);
    Tensor want = F::relu(F::batch_norm(conv2d(x, w, {}, 1, 1), rm, rv, bw, bb, false));
    expect_close(y, want, 1e-12, "eval");
    expect_close(rm, rm0, 0, "running_mean unchanged in eval");
  }
}

TEST(FusedConvBn, BadInputsRaiseNamedErrors) {
  Tensor x = uniform_tensor({2, 3, 4, 4}, -1, 1, kFloat32, 1);
  Tensor w = uniform_tensor({4, 3, 3, 3}, -0.5, 0.5, kFloat32, 2);
  Tensor rm = zeros({4}), rv = ones({4});
  try {
    F::conv_bn_relu(x, w, Tensor(), rm, rv, Tensor(), Tensor(), zeros({2, 4, 3, 3}));
    FAIL() << "expected a ShapeError";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("residual"), std::string::npos) << e.what();
  }
  EXPECT_THROW(F::conv_bn_relu(x, w, Tensor(), zeros({3}), rv, Tensor(), Tensor()), ShapeError);
  EXPECT_THROW(F::conv_bn_relu(x.reshape({6, 4, 4}), w, Tensor(), rm, rv, Tensor(), Tensor()), ShapeError);
  // one value per channel cannot be normalised with batch statistics
  EXPECT_THROW(
      F::conv_bn_relu(x.narrow(0, 0, 1).narrow(2, 0, 3).narrow(3, 0, 3), w, Tensor(), rm, rv, Tensor(), Tensor()),
      ValueError);
  // the fused backward is first order only
  Tensor xr = x.clone().requires_grad_(true);
  Tensor y = F::conv_bn_relu(xr, w, Tensor(), rm, rv, Tensor(), Tensor());
  EnableGradGuard grad_on;  // a backward that must itself be differentiable
  EXPECT_THROW(y.grad_fn()->apply({ones_like(y)}), AutogradError);
}

// Parameters as (name, shape, values) and the same for the state dict.
std::vector<std::pair<std::string, std::string>> keys_and_values(Module& m) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [name, t] : m.state_dict()) out.emplace_back(name, seek::testing::tensor_bytes(t));
  return out;
}

std::shared_ptr<Sequential> small_net() {
  manual_seed(11);
  return std::make_shared<Sequential>(std::initializer_list<ModulePtr>{
      std::make_shared<Conv2d>(3, 8, 3, 1, 1, 1, 1, false), std::make_shared<BatchNorm2d>(8), std::make_shared<ReLU>(),
      std::make_shared<Conv2d>(8, 6, 1, 2, 0, 1, 1, true), std::make_shared<BatchNorm2d>(6),
      std::make_shared<Flatten>(), std::make_shared<Linear>(6 * 3 * 3, 4)});
}

// Trains `steps` SGD steps (momentum) on fixed data; returns the losses.
std::vector<double> train(Module& m, Device d, int steps) {
  optim::SGDOptions so(0.05);
  so.momentum = 0.9;
  optim::SGD opt(m.parameters(), so);
  std::vector<double> losses;
  for (int s = 0; s < steps; ++s) {
    Tensor x = uniform_tensor({4, 3, 6, 6}, -1, 1, kFloat32, 100 + s).to(d);
    Tensor loss = m.forward(x).pow(2).mean();
    opt.zero_grad();
    loss.backward();
    opt.step();
    losses.push_back(loss.to(kCPU).item<double>());
  }
  return losses;
}

TEST(FusedConvBn, SequentialPassKeepsKeysAndParameterObjects) {
  auto net = small_net();
  const auto keys = keys_and_values(*net);
  const std::vector<Tensor> params = net->parameters();
  EXPECT_EQ(fuse_conv_bn_relu_train(*net), 2);
  EXPECT_EQ((*net)[0]->type_name(), "FusedConvBNReLU");
  EXPECT_EQ((*net)[1]->type_name(), "FusedBatchNormState");
  EXPECT_EQ((*net)[2]->type_name(), "Identity");
  EXPECT_EQ((*net)[3]->type_name(), "FusedConvBNReLU");
  EXPECT_EQ(keys_and_values(*net), keys);
  const std::vector<Tensor> after = net->parameters();
  ASSERT_EQ(after.size(), params.size());
  for (size_t i = 0; i < params.size(); ++i) EXPECT_TRUE(after[i].is_same(params[i])) << i;
  EXPECT_EQ(fuse_conv_bn_relu_train(*net), 0);  // nothing left to fuse
}

TEST(FusedConvBn, FusedAndUnfusedTrainAlikeAndCheckpointsMoveBothWays) {
  for (Device d : devices()) {
    auto plain = small_net(), fused = small_net();
    plain->to(d), fused->to(d);
    fuse_conv_bn_relu_train(*fused);
    const std::vector<double> lp = train(*plain, d, 3), lf = train(*fused, d, 3);
    for (size_t i = 0; i < lp.size(); ++i) EXPECT_NEAR(lf[i], lp[i], 1e-4 * std::max(1.0, lp[i])) << d.str() << i;
    const auto sp = plain->state_dict(), sf = fused->state_dict();
    ASSERT_EQ(sp.size(), sf.size());
    for (size_t i = 0; i < sp.size(); ++i) {
      EXPECT_EQ(sp[i].first, sf[i].first);
      expect_close(sf[i].second, sp[i].second, 1e-3, sp[i].first);
    }
    // unfused -> fused and fused -> unfused checkpoints, then equal outputs in eval mode
    auto fresh_fused = small_net(), fresh_plain = small_net();
    fresh_fused->to(d), fresh_plain->to(d);
    fuse_conv_bn_relu_train(*fresh_fused);
    fresh_fused->load_state_dict(plain->state_dict());
    fresh_plain->load_state_dict(fused->state_dict());
    plain->eval(), fused->eval(), fresh_fused->eval(), fresh_plain->eval();
    Tensor x = uniform_tensor({2, 3, 6, 6}, -1, 1, kFloat32, 5).to(d);
    expect_close(fresh_fused->forward(x), plain->forward(x), 1e-5, "unfused -> fused checkpoint");
    expect_close(fresh_plain->forward(x), fused->forward(x), 1e-5, "fused -> unfused checkpoint");
  }
}

TEST(FusedConvBn, StandaloneModuleHasTheKeysOfConvBnRelu) {
  manual_seed(3);
  FusedConvBNReLU m(3, 5, 3, 1, 1);
  manual_seed(3);
  Sequential s{std::make_shared<Conv2d>(3, 5, 3, 1, 1, 1, 1, false), std::make_shared<BatchNorm2d>(5),
               std::make_shared<ReLU>()};
  EXPECT_EQ(keys_and_values(m), keys_and_values(s));
  Tensor x = uniform_tensor({2, 3, 4, 4}, -1, 1, kFloat32, 1);
  expect_close(m.forward(x), s.forward(x), 1e-5, "standalone forward");
  expect_close(m.child("1")->buffer("running_mean"), s[1]->buffer("running_mean"), 1e-6, "running mean");
}

TEST(FusedConvBn, ResNet20PassKeepsKeysAndTrainsAlike) {
  for (Device d : devices()) {
    manual_seed(5);
    auto plain = models::resnet20(10);
    manual_seed(5);
    auto fused = models::resnet20(10);
    plain->to(d), fused->to(d);
    const auto keys = keys_and_values(*fused);
    const std::vector<Tensor> params = fused->parameters();
    // stem 1 + 9 blocks x 2 + 2 downsample Sequentials
    EXPECT_EQ(fuse_conv_bn_relu_train(*fused), 1 + 18 + 2);
    EXPECT_EQ(keys_and_values(*fused), keys);
    const std::vector<Tensor> after = fused->parameters();
    for (size_t i = 0; i < params.size(); ++i) EXPECT_TRUE(after[i].is_same(params[i])) << i;
    for (int s = 0; s < 2; ++s) {
      Tensor x = uniform_tensor({2, 3, 8, 8}, -1, 1, kFloat32, 40 + s).to(d);
      Tensor lp = plain->forward(x).pow(2).mean(), lf = fused->forward(x).pow(2).mean();
      expect_close(lf, lp, 1e-4, str("resnet20 loss ", d.str(), " step ", s));
      lp.backward(), lf.backward();
      const auto np = plain->named_parameters(), nf = fused->named_parameters();
      for (size_t i = 0; i < np.size(); ++i)
        expect_close(nf[i].second.grad(), np[i].second.grad(), 2e-3, "resnet20 grad " + np[i].first);
      NoGradGuard g;
      for (size_t i = 0; i < np.size(); ++i) {
        Tensor pp = np[i].second, pf = nf[i].second;  // handles to the parameters
        pp.sub_(pp.grad() * 0.1);
        pf.sub_(pf.grad() * 0.1);
      }
      plain->zero_grad(), fused->zero_grad();
    }
    const auto bp = plain->named_buffers(), bf = fused->named_buffers();
    for (size_t i = 0; i < bp.size(); ++i) expect_close(bf[i].second, bp[i].second, 1e-4, bp[i].first);
  }
}

}  // namespace
}  // namespace seek::nn

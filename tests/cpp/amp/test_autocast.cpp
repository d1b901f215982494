// Autocast (seek::amp::AutocastGuard): the thread-local state and its guard, the parameter cast
// cache, the op lists (lower-precision ops and fp32 ops, see docs/mixed_precision.md), the
// engine running backward with autocast off, and whole models trained the torch.autocast way.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <vector>

#include "seek/seek.h"
#include "support/test_util.h"

using namespace seek;
using seek::testing::uniform_tensor;
namespace F = seek::nn::functional;

namespace {

constexpr DeviceType kCpuType = DeviceType::CPU;
constexpr DeviceType kCudaType = DeviceType::CUDA;

// ||a - b|| / ||b|| in float64.
double rel_error(const Tensor& a, const Tensor& b) {
  Tensor a64 = a.detach().to(kFloat64), b64 = b.detach().to(kFloat64);
  return (a64 - b64).norm().item<double>() / b64.norm().item<double>();
}

// Largest |a - b| over all elements, in float64.
double max_abs_diff(const Tensor& a, const Tensor& b) {
  return (a.detach().to(kFloat64) - b.detach().to(kFloat64)).abs().max().item<double>();
}

// A leaf f32 tensor that requires grad, like a parameter.
Tensor param_like(const Shape& shape, uint64_t seed) {
  return uniform_tensor(shape, -1.0, 1.0, kFloat32, seed).requires_grad_();
}

// Copies every parameter and buffer of `from` into `to` (same architecture).
void copy_state(nn::Module& to, const nn::Module& from) {
  NoGradGuard ng;
  auto src = from.state_dict();
  auto dst = to.state_dict();
  ASSERT_EQ(src.size(), dst.size());
  for (size_t i = 0; i < dst.size(); ++i) dst[i].second.copy_(src[i].second);
}

// Runs loss_fn under autocast (or not) and returns the f32 gradients of model's parameters.
template <typename LossFn>
std::vector<Tensor> grads_of(nn::Module& model, LossFn loss_fn, std::optional<DType> autocast_dtype,
                             bool backward_inside = false, Tensor* loss_out = nullptr) {
  model.zero_grad();
  Tensor loss;
  {
    std::optional<amp::AutocastGuard> guard;
    if (autocast_dtype) guard.emplace(kCpuType, *autocast_dtype);
    loss = loss_fn();
    if (backward_inside) loss.backward();
  }
  if (!backward_inside) loss.backward();
  if (loss_out) *loss_out = loss;
  std::vector<Tensor> grads;
  for (const Tensor& p : model.parameters()) grads.push_back(p.grad());
  return grads;
}

class AutocastDTypes : public ::testing::TestWithParam<DType> {};
INSTANTIATE_TEST_SUITE_P(LowPrecision, AutocastDTypes, ::testing::Values(kBFloat16, kFloat16),
                         [](const ::testing::TestParamInfo<DType>& info) {
                           return std::string(dtype_name(info.param));
                         });

}  // namespace

// ------------------------------------------------------------------------------ state and guard

TEST(AutocastState, DefaultsAndNestedGuardsRestore) {
  EXPECT_FALSE(amp::is_autocast_enabled(kCpuType));
  EXPECT_FALSE(amp::any_autocast_enabled());
  EXPECT_EQ(amp::get_autocast_dtype(kCpuType), kBFloat16);  // PyTorch's defaults
  EXPECT_EQ(amp::get_autocast_dtype(kCudaType), kFloat16);
  {
    amp::AutocastGuard outer(kCpuType);
    EXPECT_TRUE(amp::is_autocast_enabled(kCpuType));
    EXPECT_TRUE(amp::any_autocast_enabled());
    EXPECT_EQ(amp::get_autocast_dtype(kCpuType), kBFloat16);
    {
      amp::AutocastGuard inner(kCpuType, kFloat16, /*enabled=*/true, /*cache_enabled=*/false);
      EXPECT_EQ(amp::get_autocast_dtype(kCpuType), kFloat16);
      EXPECT_FALSE(amp::is_autocast_cache_enabled());
      {
        amp::AutocastGuard off(kCpuType, std::nullopt, /*enabled=*/false);
        EXPECT_FALSE(amp::is_autocast_enabled(kCpuType));
        EXPECT_FALSE(amp::any_autocast_enabled());
        EXPECT_EQ(amp::get_autocast_dtype(kCpuType), kFloat16);  // nullopt keeps the dtype
      }
      EXPECT_TRUE(amp::is_autocast_enabled(kCpuType));
    }
    EXPECT_EQ(amp::get_autocast_dtype(kCpuType), kBFloat16);
    EXPECT_TRUE(amp::is_autocast_cache_enabled());
  }
  EXPECT_FALSE(amp::is_autocast_enabled(kCpuType));
  EXPECT_FALSE(amp::any_autocast_enabled());
}

TEST(AutocastState, PerDeviceType) {
  Tensor x = uniform_tensor({2, 3}, -1, 1, kFloat32);
  amp::AutocastGuard cuda(kCudaType);
  EXPECT_TRUE(amp::is_autocast_enabled(kCudaType));
  EXPECT_FALSE(amp::is_autocast_enabled(kCpuType));
  EXPECT_TRUE(amp::any_autocast_enabled());
  // Autocast for CUDA leaves CPU tensors alone.
  EXPECT_TRUE(amp::autocast_lower(x).is_same(x));
  EXPECT_EQ(matmul(x, x.t()).dtype(), kFloat32);
  {
    amp::AutocastGuard cpu(kCpuType, kFloat16);
    EXPECT_EQ(amp::get_autocast_dtype(kCudaType), kFloat16);
    EXPECT_EQ(matmul(x, x.t()).dtype(), kFloat16);
  }
  EXPECT_TRUE(amp::is_autocast_enabled(kCudaType));
  EXPECT_FALSE(amp::is_autocast_enabled(kCpuType));
}

TEST(AutocastState, OnlyHalfDTypesAreAccepted) {
  EXPECT_SEEK_ERROR_ALL(amp::AutocastGuard g(kCpuType, kFloat32), DTypeError, {"float16 and bfloat16", "float32"});
  EXPECT_SEEK_ERROR_ALL(amp::set_autocast_dtype(kCudaType, kInt64), DTypeError, {"set_autocast_dtype", "int64"});
  EXPECT_SEEK_ERROR(amp::AutocastGuard g(kCpuType, kFloat64), DTypeError, "float64");
  // A rejected guard changes nothing.
  EXPECT_FALSE(amp::is_autocast_enabled(kCpuType));
  EXPECT_EQ(amp::get_autocast_dtype(kCpuType), kBFloat16);
  EXPECT_EQ(amp::get_autocast_dtype(kCudaType), kFloat16);
}

TEST(AutocastState, CastHelpersLeaveOtherDTypesAlone) {
  Tensor f32 = uniform_tensor({3}, -1, 1, kFloat32), f64 = uniform_tensor({3}, -1, 1, kFloat64);
  Tensor i64 = arange(3), b = i64.gt(0), h = f32.to(kFloat16);
  amp::AutocastGuard guard(kCpuType);
  EXPECT_EQ(amp::autocast_lower(f32).dtype(), kBFloat16);
  EXPECT_EQ(amp::autocast_lower(h).dtype(), kBFloat16);
  EXPECT_EQ(amp::autocast_fp32(h).dtype(), kFloat32);
  for (const Tensor& t : {f64, i64, b}) {
    EXPECT_TRUE(amp::autocast_lower(t).is_same(t)) << dtype_name(t.dtype());
    EXPECT_TRUE(amp::autocast_fp32(t).is_same(t)) << dtype_name(t.dtype());
  }
  EXPECT_TRUE(amp::autocast_fp32(f32).is_same(f32));
  EXPECT_FALSE(amp::autocast_lower(Tensor()).defined());
}

// ------------------------------------------------------------------------------ cast cache

TEST(AutocastCache, ParameterUsedTwiceIsCastOnceAndClearedOnOutermostExit) {
  Tensor w = param_like({4, 4}, 11);
  Tensor first;
  {
    amp::AutocastGuard outer(kCpuType);
    first = amp::autocast_lower(w);
    EXPECT_EQ(first.dtype(), kBFloat16);
    EXPECT_TRUE(first.requires_grad());
    EXPECT_TRUE(amp::autocast_lower(w).is_same(first));
    {
      amp::AutocastGuard inner(kCpuType);  // a nested scope keeps the cache
    }
    EXPECT_TRUE(amp::autocast_lower(w).is_same(first));
    // Non-leaf tensors are not cached.
    Tensor y = w * 2;
    EXPECT_FALSE(amp::autocast_lower(y).is_same(amp::autocast_lower(y)));
  }
  amp::AutocastGuard again(kCpuType);
  EXPECT_FALSE(amp::autocast_lower(w).is_same(first));
}

TEST(AutocastCache, InPlaceUpdateForcesANewCast) {
  Tensor w = param_like({3, 3}, 12);
  amp::AutocastGuard guard(kCpuType);
  Tensor before = amp::autocast_lower(w);
  {
    NoGradGuard ng;
    w.add_(ones({3, 3}));  // an optimizer step: bumps the version
  }
  Tensor after = amp::autocast_lower(w);
  EXPECT_FALSE(after.is_same(before));
  EXPECT_EQ(max_abs_diff(after, w.detach().to(kBFloat16)), 0.0);
  EXPECT_TRUE(amp::autocast_lower(w).is_same(after));
}

TEST(AutocastCache, NoCachingUnderNoGradOrWhenDisabled) {
  Tensor w = param_like({3, 3}, 13);
  {
    amp::AutocastGuard guard(kCpuType);
    NoGradGuard ng;
    Tensor a = amp::autocast_lower(w), b = amp::autocast_lower(w);
    EXPECT_FALSE(a.requires_grad());
    EXPECT_FALSE(a.is_same(b));
  }
  {
    amp::AutocastGuard guard(kCpuType, std::nullopt, true, /*cache_enabled=*/false);
    EXPECT_FALSE(amp::autocast_lower(w).is_same(amp::autocast_lower(w)));
  }
  {
    amp::AutocastGuard guard(kCpuType);  // a cast made under no_grad did not stay in the cache
    Tensor c = amp::autocast_lower(w);
    EXPECT_TRUE(c.requires_grad());
    EXPECT_TRUE(amp::autocast_lower(w).is_same(c));
  }
}

TEST(AutocastCache, LinearWeightUsedTwiceGetsOneCastAndGradientsFromBothUses) {
  Tensor x = uniform_tensor({2, 3}, -1, 1, kFloat32, 3);
  Tensor w = param_like({3, 3}, 14);
  Tensor loss;
  {
    amp::AutocastGuard guard(kCpuType);
    Tensor h = F::linear(F::linear(x, w), w);
    EXPECT_EQ(h.dtype(), kBFloat16);
    loss = h.sum();
  }
  loss.backward();
  ASSERT_TRUE(w.grad().defined());
  EXPECT_EQ(w.grad().dtype(), kFloat32);
  // d/dw sum(x w^T w^T) = sum over both uses; checked against the same math in float64.
  Tensor w64 = w.detach().to(kFloat64).requires_grad_();
  F::linear(F::linear(x.to(kFloat64), w64), w64).sum().backward();
  EXPECT_LT(rel_error(w.grad(), w64.grad()), 2e-2);
}

// ------------------------------------------------------------------------------ op lists

TEST_P(AutocastDTypes, LowerPrecisionOpsCastFloatInputs) {
  const DType low = GetParam();
  Tensor a = uniform_tensor({4, 5}, -1, 1, kFloat32, 1), b = uniform_tensor({5, 3}, -1, 1, kFloat32, 2);
  Tensor bias = uniform_tensor({3}, -1, 1, kFloat32, 3);
  Tensor a3 = uniform_tensor({2, 4, 5}, -1, 1, kFloat32, 4), b3 = uniform_tensor({2, 5, 3}, -1, 1, kFloat32, 5);
  Tensor img = uniform_tensor({2, 3, 6, 6}, -1, 1, kFloat32, 6), k = uniform_tensor({4, 3, 3, 3}, -1, 1, kFloat32, 7);
  Tensor kt = uniform_tensor({3, 4, 3, 3}, -1, 1, kFloat32, 8), cb = uniform_tensor({4}, -1, 1, kFloat32, 9);
  Tensor q = uniform_tensor({2, 4, 8}, -1, 1, kFloat32, 10);
  auto outputs = [&] {
    return std::vector<Tensor>{matmul(a, b),
                               a.matmul(b),
                               matmul(a3, b),
                               mm(a, b),
                               bmm(a3, b3),
                               addmm(bias, a, b),
                               F::linear(a, b.t(), bias),
                               F::linear(a3, b.t(), bias),
                               conv2d(img, k, cb, 1, 1),
                               conv_transpose2d(img, kt, cb, 2),
                               F::scaled_dot_product_attention(q, q, q)};
  };
  for (const Tensor& y : outputs()) EXPECT_EQ(y.dtype(), kFloat32);  // autocast off: unchanged
  std::vector<Tensor> cast;
  {
    amp::AutocastGuard guard(kCpuType, low);
    cast = outputs();
  }
  for (size_t i = 0; i < cast.size(); ++i) EXPECT_EQ(cast[i].dtype(), low) << "output " << i;
  // The op ran on the cast inputs: the same as casting by hand outside the scope.
  EXPECT_EQ(max_abs_diff(cast[0], matmul(a.to(low), b.to(low))), 0.0);
  EXPECT_EQ(max_abs_diff(cast[8], conv2d(img.to(low), k.to(low), cb.to(low), 1, 1)), 0.0);
  // Mixed f32 / low inputs meet in the low dtype.
  amp::AutocastGuard guard(kCpuType, low);
  EXPECT_EQ(matmul(a.to(low), b).dtype(), low);
  EXPECT_EQ(matmul(a.to(low == kBFloat16 ? kFloat16 : kBFloat16), b).dtype(), low);
}

TEST_P(AutocastDTypes, Fp32OpsCastHalfInputsToFloat32) {
  const DType low = GetParam();
  Tensor x = uniform_tensor({4, 5}, 0.1, 1, kFloat32, 1).to(low);
  Tensor t = uniform_tensor({4, 5}, 0.1, 0.9, kFloat32, 2).to(low);
  Tensor probs = uniform_tensor({4, 5}, 0.1, 1, kFloat32, 3).softmax(1).to(low);
  Tensor cls = tensor<int64_t>({0, 4, 2, 1}, {4});
  Tensor img = uniform_tensor({2, 4, 3, 3}, -1, 1, kFloat32, 4).to(low);
  Tensor rm = zeros({4}), rv = ones({4});
  Tensor gamma = ones({4}).to(low), beta = zeros({4}).to(low);
  auto outputs = [&] {
    return std::vector<Tensor>{softmax(x, 1),
                               log_softmax(x, 1),
                               F::softmax(x, 0),
                               F::log_softmax(x, 0),
                               F::cross_entropy(x, cls),
                               F::cross_entropy(x, probs),
                               F::cross_entropy(x, cls, Tensor(), -100, "mean", 0.1),
                               F::nll_loss(x.log_softmax(1), cls),
                               F::mse_loss(x, t),
                               F::l1_loss(x, t),
                               F::smooth_l1_loss(x, t),
                               F::binary_cross_entropy(t, t),
                               F::binary_cross_entropy_with_logits(x, t),
                               F::kl_div(x, t),
                               F::batch_norm(img, rm.clone(), rv.clone(), gamma, beta, /*training=*/true),
                               F::batch_norm(img, rm, rv, gamma, beta, /*training=*/false),
                               F::layer_norm(x, {5}),
                               F::group_norm(img, 2, gamma, beta),
                               x.sum(),
                               sum(x, {1}),
                               x.mean(),
                               x.prod(),
                               x.cumsum(1),
                               x.logsumexp(1),
                               x.exp(),
                               exp(x),
                               x.log(),
                               log(x),
                               x.pow(2),
                               pow(x, x),
                               pow(2.0, x)};
  };
  for (const Tensor& y : outputs()) EXPECT_EQ(y.dtype(), low);  // autocast off: unchanged
  std::vector<Tensor> cast;
  {
    amp::AutocastGuard guard(kCpuType, low);
    cast = outputs();
  }
  for (size_t i = 0; i < cast.size(); ++i) EXPECT_EQ(cast[i].dtype(), kFloat32) << "output " << i;
  EXPECT_EQ(max_abs_diff(cast[0], softmax(x.to(kFloat32), 1)), 0.0);
  EXPECT_EQ(max_abs_diff(cast[4], F::cross_entropy(x.to(kFloat32), cls)), 0.0);
}

TEST_P(AutocastDTypes, NormModulesGetFloat32InputsForTheirFloat32Parameters) {
  const DType low = GetParam();
  Tensor img = uniform_tensor({2, 4, 3, 3}, -1, 1, kFloat32, 4).to(low);
  nn::BatchNorm2d bn(4);
  nn::GroupNorm gn(2, 4);
  nn::LayerNorm ln(Shape{3});
  amp::AutocastGuard guard(kCpuType, low);
  EXPECT_EQ(bn(img).dtype(), kFloat32);
  EXPECT_EQ(bn.buffer("running_mean").dtype(), kFloat32);
  EXPECT_NE(bn.buffer("running_mean").abs().sum().item<float>(), 0.0f);  // updated in place
  EXPECT_EQ(gn(img).dtype(), kFloat32);
  EXPECT_EQ(ln(img).dtype(), kFloat32);
  bn.eval();
  EXPECT_EQ(bn(img).dtype(), kFloat32);
}

TEST_P(AutocastDTypes, ExplicitDTypeArgumentWins) {
  const DType low = GetParam();
  Tensor x = uniform_tensor({3, 4}, -1, 1, kFloat32, 5).to(low);
  amp::AutocastGuard guard(kCpuType, low);
  EXPECT_EQ(sum(x, {}, false, low).dtype(), low);
  EXPECT_EQ(mean(x, {1}, false, low).dtype(), low);
  EXPECT_EQ(prod(x, 1, false, low).dtype(), low);
  EXPECT_EQ(cumsum(x, 0, low).dtype(), low);
  EXPECT_EQ(softmax(x, 1, low).dtype(), low);
  EXPECT_EQ(log_softmax(x, 1, kFloat64).dtype(), kFloat64);
  EXPECT_EQ(sum(x, {}, false, kFloat64).dtype(), kFloat64);
}

TEST_P(AutocastDTypes, Float64AndIntegerInputsAreNeverCast) {
  const DType low = GetParam();
  Tensor a = uniform_tensor({3, 4}, -1, 1, kFloat64, 1), b = uniform_tensor({4, 2}, -1, 1, kFloat64, 2);
  Tensor ia = arange(12).reshape({3, 4}), ib = arange(8).reshape({4, 2});
  Tensor img = uniform_tensor({1, 2, 4, 4}, -1, 1, kFloat64, 3), k = uniform_tensor({2, 2, 3, 3}, -1, 1, kFloat64, 4);
  amp::AutocastGuard guard(kCpuType, low);
  EXPECT_EQ(matmul(a, b).dtype(), kFloat64);
  EXPECT_EQ(F::linear(a, b.t()).dtype(), kFloat64);
  EXPECT_EQ(conv2d(img, k).dtype(), kFloat64);
  EXPECT_EQ(matmul(ia, ib).dtype(), kInt64);
  EXPECT_EQ(to_vector<int64_t>(mm(ia, ib)), (std::vector<int64_t>{28, 34, 76, 98, 124, 162}));
  EXPECT_EQ(a.softmax(1).dtype(), kFloat64);
  EXPECT_EQ(a.exp().dtype(), kFloat64);
  EXPECT_EQ(ia.sum().dtype(), kInt64);
  EXPECT_EQ(ia.sum().item<int64_t>(), 66);
  EXPECT_EQ(ia.cumsum(1).dtype(), kInt64);
  EXPECT_EQ(F::cross_entropy(a, tensor<int64_t>({0, 3, 1}, {3})).dtype(), kFloat64);
  // Ops outside both lists run in their inputs' dtypes.
  Tensor h = a.to(low);
  EXPECT_EQ(h.relu().dtype(), low);
  EXPECT_EQ((h + h).dtype(), low);
  EXPECT_EQ(h.max().dtype(), low);
}

TEST_P(AutocastDTypes, AttentionProductsInLowPrecisionSoftmaxInFloat32) {
  const DType low = GetParam();
  Tensor q = uniform_tensor({2, 3, 4}, -1, 1, kFloat32, 1), k = uniform_tensor({2, 5, 4}, -1, 1, kFloat32, 2);
  Tensor v = uniform_tensor({2, 5, 6}, -1, 1, kFloat32, 3), mask = uniform_tensor({3, 5}, -1, 0, kFloat32, 4);
  Tensor out;
  {
    amp::AutocastGuard guard(kCpuType, low);
    out = F::scaled_dot_product_attention(q, k, v, mask);
  }
  EXPECT_EQ(out.dtype(), low);
  EXPECT_EQ(out.sizes(), (Shape{2, 3, 6}));
  // By hand outside the scope: products in `low`, softmax in f32, weights cast back for the product.
  Tensor scores = matmul(q.to(low), k.to(low).mT()) * 0.5 + mask.to(low);
  Tensor weights = softmax(scores.to(kFloat32), -1);
  EXPECT_EQ(max_abs_diff(out, matmul(weights.to(low), v.to(low))), 0.0);
  EXPECT_LT(rel_error(out, F::scaled_dot_product_attention(q, k, v, mask)), 2e-2);

  // MultiheadAttention: f32 parameters, low-precision output, f32 attention weights (softmax in f32).
  nn::MultiheadAttention mha(8, 2);
  Tensor x = uniform_tensor({3, 2, 8}, -1, 1, kFloat32, 5);
  Tensor bool_mask = arange(3).unsqueeze(0).gt(arange(3).unsqueeze(1));  // causal, true = masked
  auto [ref, ref_w] = mha.forward(x, x, x, Tensor(), true, bool_mask);
  amp::AutocastGuard guard(kCpuType, low);
  auto [y, w] = mha.forward(x, x, x, Tensor(), true, bool_mask);
  EXPECT_EQ(y.dtype(), low);
  EXPECT_EQ(w.dtype(), kFloat32);
  EXPECT_LT(rel_error(y, ref), 3e-2);
  EXPECT_LT(rel_error(w, ref_w), 2e-2);
}

// ------------------------------------------------------------------------------ reduced-precision GEMM / conv

TEST(AutocastKernels, HalfGemmAndConvAccumulateInFloat32AndRoundOnce) {
  // Positive values, so the sums do not cancel: rounding the f32 result once is within half a
  // bf16 ulp of the exact value, while accumulating in bf16 would be off by many ulps at K = 256.
  for (DType low : {kBFloat16, kFloat16}) {
    const double ulp = low == kBFloat16 ? 1.0 / 128 : 1.0 / 1024;
    Tensor a = uniform_tensor({16, 256}, 0.5, 1.5, kFloat64, 1).to(low);
    Tensor b = uniform_tensor({256, 24}, 0.5, 1.5, kFloat64, 2).to(low);
    Tensor ref = matmul(a.to(kFloat64), b.to(kFloat64));
    Tensor rel = (matmul(a, b).to(kFloat64) - ref).abs() / ref;
    EXPECT_LE(rel.max().item<double>(), ulp / 2) << dtype_name(low);
    // Transposed (column-major) operand.
    Tensor bt = b.t().contiguous().t();
    Tensor rel_t = (matmul(a, bt).to(kFloat64) - ref).abs() / ref;
    EXPECT_LE(rel_t.max().item<double>(), ulp / 2) << dtype_name(low);
    // A batch against one matrix (a stride-0 batch dim after broadcasting) and a batched transpose.
    Tensor a3 = uniform_tensor({3, 16, 256}, 0.5, 1.5, kFloat64, 5).to(low);
    Tensor bb = uniform_tensor({3, 24, 256}, 0.5, 1.5, kFloat64, 6).to(low).mT();
    for (auto [x, y] : {std::pair{a, bb}, std::pair{a3, b}, std::pair{a3, bb}}) {
      Tensor r = matmul(x.to(kFloat64), y.to(kFloat64));
      EXPECT_LE(((matmul(x, y).to(kFloat64) - r).abs() / r).max().item<double>(), ulp / 2) << dtype_name(low);
    }
    // An empty sum gives zeros.
    EXPECT_EQ(matmul(zeros({3, 0}).to(low), zeros({0, 2}).to(low)).abs().sum().item<float>(), 0.0f);

    Tensor img = uniform_tensor({2, 16, 6, 6}, 0.5, 1.5, kFloat64, 3).to(low);
    Tensor k = uniform_tensor({8, 16, 3, 3}, 0.5, 1.5, kFloat64, 4).to(low);
    Tensor cref = conv2d(img.to(kFloat64), k.to(kFloat64));
    Tensor crel = (conv2d(img, k).to(kFloat64) - cref).abs() / cref;
    EXPECT_LE(crel.max().item<double>(), ulp / 2) << dtype_name(low);
  }
}

// ------------------------------------------------------------------------------ backward and whole models

TEST(AutocastBackward, EngineRunsBackwardWithAutocastOff) {
  // An f32 graph whose backward runs inside an autocast scope: the backward matmuls must stay f32.
  Tensor x = uniform_tensor({8, 16}, -1, 1, kFloat32, 1);
  Tensor w = param_like({16, 16}, 2), w2 = param_like({4, 16}, 3);
  Tensor loss = F::mse_loss(F::linear(F::linear(x, w).tanh(), w2), zeros({8, 4}));
  loss.backward(Tensor(), /*retain_graph=*/true);
  Tensor g_out = w.grad().clone(), g2_out = w2.grad().clone();
  w.grad().zero_();
  w2.grad().zero_();
  {
    amp::AutocastGuard guard(kCpuType);
    loss.backward();
    EXPECT_TRUE(amp::is_autocast_enabled(kCpuType));  // restored after backward
  }
  EXPECT_EQ(w.grad().dtype(), kFloat32);
  EXPECT_EQ(max_abs_diff(w.grad(), g_out), 0.0);
  EXPECT_EQ(max_abs_diff(w2.grad(), g2_out), 0.0);
}

TEST(AutocastModels, MlpTrainsInBFloat16WithFloat32Gradients) {
  manual_seed(1);
  auto mlp = std::make_shared<nn::Sequential>(std::initializer_list<nn::ModulePtr>{
      std::make_shared<nn::Linear>(12, 32), std::make_shared<nn::ReLU>(), std::make_shared<nn::Linear>(32, 5)});
  Tensor x = uniform_tensor({16, 12}, -1, 1, kFloat32, 1);
  Tensor y = tensor<int64_t>({0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0}, {16});
  Tensor logits_low;
  auto loss_fn = [&] {
    Tensor logits = (*mlp)(x);
    logits_low = logits;
    return F::cross_entropy(logits, y);
  };
  Tensor loss32, loss_ac, loss_in;
  std::vector<Tensor> ref = grads_of(*mlp, loss_fn, std::nullopt, false, &loss32);
  std::vector<Tensor> got = grads_of(*mlp, loss_fn, kBFloat16, false, &loss_ac);
  EXPECT_EQ(logits_low.dtype(), kBFloat16);
  EXPECT_EQ(loss_ac.dtype(), kFloat32);
  EXPECT_LT(std::abs(loss_ac.item<float>() - loss32.item<float>()), 1e-2 * std::abs(loss32.item<float>()));
  ASSERT_EQ(got.size(), ref.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].dtype(), kFloat32) << "grad " << i;
    EXPECT_LT(rel_error(got[i], ref[i]), 2e-2) << "grad " << i;
  }
  // backward inside the scope gives exactly the same gradients (the engine turns autocast off).
  std::vector<Tensor> inside = grads_of(*mlp, loss_fn, kBFloat16, /*backward_inside=*/true, &loss_in);
  for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(max_abs_diff(inside[i], got[i]), 0.0) << "grad " << i;
}

namespace {
// Conv2d (no bias) -> BatchNorm2d -> ReLU -> AdaptiveAvgPool2d(1) -> Flatten -> Linear.
std::shared_ptr<nn::Sequential> small_convnet() {
  return std::make_shared<nn::Sequential>(std::initializer_list<nn::ModulePtr>{
      std::make_shared<nn::Conv2d>(3, 8, 3, 1, 1, 1, 1, /*bias=*/false), std::make_shared<nn::BatchNorm2d>(8),
      std::make_shared<nn::ReLU>(), std::make_shared<nn::AdaptiveAvgPool2d>(1), std::make_shared<nn::Flatten>(),
      std::make_shared<nn::Linear>(8, 4)});
}
}  // namespace

TEST(AutocastModels, ConvNetMatchesHandCastRunAndFloat32Run) {
  manual_seed(2);
  auto net = small_convnet(), by_hand = small_convnet(), f32 = small_convnet();
  copy_state(*by_hand, *net);  // the same start for each run (batch norm updates its running stats)
  copy_state(*f32, *net);
  Tensor x = uniform_tensor({4, 3, 8, 8}, -1, 1, kFloat32, 1);
  Tensor y = tensor<int64_t>({0, 3, 1, 2}, {4});
  Tensor logits;
  auto module_loss = [&](nn::Sequential& m) {
    return [&] {
      logits = m.forward(x);
      return F::cross_entropy(logits, y);
    };
  };
  // What autocast must do, written out: conv and linear on bf16 casts, batch norm and the loss in f32.
  auto hand_cast_loss = [&] {
    nn::Sequential& m = *by_hand;
    const DType bf = kBFloat16;
    Tensor h = conv2d(x.to(bf), m[0]->param("weight").to(bf), Tensor(), 1, 1);
    h = m[1]->forward(h.to(kFloat32));
    h = m[4]->forward(m[3]->forward(m[2]->forward(h)));
    Tensor out = F::linear(h.to(bf), m[5]->param("weight").to(bf), m[5]->param("bias").to(bf));
    return F::cross_entropy(out.to(kFloat32), y);
  };
  Tensor loss_ac, loss_hand, loss32;
  std::vector<Tensor> got = grads_of(*net, module_loss(*net), kBFloat16, false, &loss_ac);
  EXPECT_EQ(logits.dtype(), kBFloat16);
  EXPECT_EQ(loss_ac.dtype(), kFloat32);
  std::vector<Tensor> hand = grads_of(*by_hand, hand_cast_loss, std::nullopt, false, &loss_hand);
  std::vector<Tensor> ref = grads_of(*f32, module_loss(*f32), std::nullopt, false, &loss32);
  EXPECT_EQ(loss_ac.item<float>(), loss_hand.item<float>());
  EXPECT_LT(std::abs(loss_ac.item<float>() - loss32.item<float>()), 1e-2 * std::abs(loss32.item<float>()));
  ASSERT_EQ(got.size(), 5u);
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].dtype(), kFloat32) << "grad " << i;
    EXPECT_EQ(max_abs_diff(got[i], hand[i]), 0.0) << "grad " << i;
    // Batch norm makes the conv-side gradients small differences of large terms (the gradient of a
    // weight feeding batch norm is orthogonal to it), so bf16 rounding shows more there than in
    // the MLP: up to about 7% of the gradient's norm in this net.
    EXPECT_LT(rel_error(got[i], ref[i]), i < 3 ? 0.15 : 2e-2) << "grad " << i;
  }
  // The running statistics were updated in f32 from the f32 batch-norm input.
  EXPECT_EQ(net->buffers()[0].dtype(), kFloat32);
  EXPECT_EQ(max_abs_diff(net->buffers()[0], by_hand->buffers()[0]), 0.0);
  EXPECT_LT(rel_error(net->buffers()[1], f32->buffers()[1]), 1e-2);
}

TEST(AutocastModels, ResNet20LogitsAreBFloat16AndLossFloat32AsInTorch) {
  manual_seed(3);
  auto net = models::resnet20(10);
  Tensor x = uniform_tensor({2, 3, 8, 8}, -1, 1, kFloat32, 1);
  Tensor y = tensor<int64_t>({7, 2}, {2});
  net->eval();
  Tensor ref = net->forward(x);
  Tensor logits, loss;
  {
    amp::AutocastGuard guard(kCpuType);
    logits = net->forward(x);
    loss = F::cross_entropy(logits, y);
  }
  // As torch.autocast("cpu"): the final Linear's output is bf16, the loss f32.
  EXPECT_EQ(logits.dtype(), kBFloat16);
  EXPECT_EQ(loss.dtype(), kFloat32);
  EXPECT_LT(rel_error(logits, ref), 5e-2);
  loss.backward();
  for (auto& [name, p] : net->named_parameters()) {
    ASSERT_TRUE(p.grad().defined()) << name;
    EXPECT_EQ(p.grad().dtype(), kFloat32) << name;
  }
}

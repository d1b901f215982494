// Gradcheck cases for the unary and ternary families. Inputs stay away from
// kinks and poles: log/sqrt/rsqrt/reciprocal on [0.5, 2], relu/abs/hardswish/
// hardsigmoid/softplus-threshold checked on each side of their kink.
#include "support/gradcheck_registry.h"

using namespace seek;
using V = std::vector<Tensor>;

namespace {
// A fixed condition/mask with both values, for where and masked_fill.
Tensor fixed_mask(const Shape& shape) {
  Tensor m = empty(shape, kBool);
  bool* p = static_cast<bool*>(m.data_ptr());
  for (int64_t i = 0; i < m.numel(); ++i) p[i] = (i * 7 + 3) % 5 < 2;
  return m;
}
}  // namespace

// ---- unary ----
SEEK_GRADCHECK_CASE({"neg", {{2, 3}}, [](const V& x) { return -x[0]; }});
SEEK_GRADCHECK_CASE({"abs_pos", {{2, 3}}, [](const V& x) { return x[0].abs(); }, 0.1, 1.0});
SEEK_GRADCHECK_CASE({"abs_neg", {{2, 3}}, [](const V& x) { return x[0].abs(); }, -1.0, -0.1});
SEEK_GRADCHECK_CASE({"exp", {{2, 3}}, [](const V& x) { return x[0].exp(); }});
SEEK_GRADCHECK_CASE({"log", {{2, 3}}, [](const V& x) { return x[0].log(); }, 0.5, 2.0});
SEEK_GRADCHECK_CASE({"log1p", {{2, 3}}, [](const V& x) { return x[0].log1p(); }, -0.5, 2.0});
SEEK_GRADCHECK_CASE({"sqrt", {{2, 3}}, [](const V& x) { return x[0].sqrt(); }, 0.5, 2.0});
SEEK_GRADCHECK_CASE({"rsqrt", {{2, 3}}, [](const V& x) { return x[0].rsqrt(); }, 0.5, 2.0});
SEEK_GRADCHECK_CASE({"sin", {{2, 3}}, [](const V& x) { return x[0].sin(); }, -3.0, 3.0});
SEEK_GRADCHECK_CASE({"cos", {{2, 3}}, [](const V& x) { return x[0].cos(); }, -3.0, 3.0});
SEEK_GRADCHECK_CASE({"tanh", {{2, 3}}, [](const V& x) { return x[0].tanh(); }, -2.0, 2.0});
SEEK_GRADCHECK_CASE({"sigmoid", {{2, 3}}, [](const V& x) { return x[0].sigmoid(); }, -3.0, 3.0});
SEEK_GRADCHECK_CASE({"relu_pos", {{2, 3}}, [](const V& x) { return x[0].relu(); }, 0.1, 1.0});
SEEK_GRADCHECK_CASE({"relu_neg", {{2, 3}}, [](const V& x) { return x[0].relu(); }, -1.0, -0.1});
SEEK_GRADCHECK_CASE({"gelu", {{2, 3}}, [](const V& x) { return x[0].gelu(); }, -3.0, 3.0});
SEEK_GRADCHECK_CASE({"gelu_tanh", {{2, 3}}, [](const V& x) { return x[0].gelu("tanh"); }, -3.0, 3.0});
SEEK_GRADCHECK_CASE({"silu", {{2, 3}}, [](const V& x) { return x[0].silu(); }, -3.0, 3.0});
SEEK_GRADCHECK_CASE({"hardswish_mid", {{2, 3}}, [](const V& x) { return x[0].hardswish(); }, -2.9, 2.9});
SEEK_GRADCHECK_CASE({"hardswish_high", {{2, 3}}, [](const V& x) { return x[0].hardswish(); }, 3.1, 5.0});
SEEK_GRADCHECK_CASE({"hardswish_low", {{2, 3}}, [](const V& x) { return x[0].hardswish(); }, -5.0, -3.1});
SEEK_GRADCHECK_CASE({"hardsigmoid_mid", {{2, 3}}, [](const V& x) { return x[0].hardsigmoid(); }, -2.9, 2.9});
SEEK_GRADCHECK_CASE({"hardsigmoid_out", {{2, 3}}, [](const V& x) { return x[0].hardsigmoid(); }, 3.1, 5.0});
SEEK_GRADCHECK_CASE({"softplus", {{2, 3}}, [](const V& x) { return x[0].softplus(); }, -3.0, 3.0});
// beta 2, threshold 1: the kink is at x = 0.5.
SEEK_GRADCHECK_CASE(
    {"softplus_below_threshold", {{2, 3}}, [](const V& x) { return softplus(x[0], 2.0, 1.0); }, -1.0, 0.4});
SEEK_GRADCHECK_CASE(
    {"softplus_above_threshold", {{2, 3}}, [](const V& x) { return softplus(x[0], 2.0, 1.0); }, 0.6, 2.0});
SEEK_GRADCHECK_CASE({"erf", {{2, 3}}, [](const V& x) { return x[0].erf(); }, -2.0, 2.0});
SEEK_GRADCHECK_CASE({"sign", {{2, 3}}, [](const V& x) { return x[0].sign(); }});
SEEK_GRADCHECK_CASE({"floor", {{2, 3}}, [](const V& x) { return x[0].floor(); }, -2.0, 2.0});
SEEK_GRADCHECK_CASE({"ceil", {{2, 3}}, [](const V& x) { return x[0].ceil(); }, -2.0, 2.0});
SEEK_GRADCHECK_CASE({"round", {{2, 3}}, [](const V& x) { return x[0].round(); }, -2.0, 2.0});
SEEK_GRADCHECK_CASE({"reciprocal", {{2, 3}}, [](const V& x) { return x[0].reciprocal(); }, 0.5, 2.0});
SEEK_GRADCHECK_CASE({"square", {{2, 3}}, [](const V& x) { return x[0].square(); }});
SEEK_GRADCHECK_CASE({"logit", {{2, 3}}, [](const V& x) { return x[0].logit(); }, 0.1, 0.9});
SEEK_GRADCHECK_CASE({"logit_eps_inside", {{2, 3}}, [](const V& x) { return logit(x[0], 0.05); }, 0.1, 0.9});
SEEK_GRADCHECK_CASE({"logit_eps_clamped", {{2, 3}}, [](const V& x) { return logit(x[0], 0.3); }, 0.05, 0.25});
SEEK_GRADCHECK_CASE({"unary_strided", {{3, 4}}, [](const V& x) { return x[0].t().tanh() * x[0].t().exp(); }});
// In-place forms on a non-leaf (their history moves to the result).
SEEK_GRADCHECK_CASE({"unary_inplace_chain",
                     {{2, 3}},
                     [](const V& x) {
                       Tensor y = x[0] * 1.5;
                       y.exp_().sqrt_().log_().reciprocal_().sigmoid_().tanh_().neg_();
                       return y;
                     },
                     0.5,
                     2.0});
SEEK_GRADCHECK_CASE({"relu_abs_inplace",
                     {{2, 3}},
                     [](const V& x) {
                       Tensor y = x[0] * 1.0;
                       y.abs_().relu_();
                       return y;
                     },
                     0.1,
                     1.0});
SEEK_GRADCHECK_CASE({"floor_ceil_round_inplace",
                     {{2, 3}},
                     [](const V& x) {
                       Tensor y = x[0] * 3.0;
                       Tensor z = y.clone();
                       z.floor_().ceil_().round_();
                       return y + z;
                     },
                     -2.0,
                     2.0});

// ---- ternary ----
SEEK_GRADCHECK_CASE({"where", {{2, 3}, {2, 3}}, [](const V& x) { return where(fixed_mask({2, 3}), x[0], x[1]); }});
SEEK_GRADCHECK_CASE({"where_scalar", {{2, 3}}, [](const V& x) { return where(fixed_mask({2, 3}), x[0], 0.5); }});
SEEK_GRADCHECK_CASE({"where_scalar_first", {{2, 3}}, [](const V& x) { return where(fixed_mask({2, 3}), -1, x[0]); }});
SEEK_GRADCHECK_CASE({"clamp", {{3, 4}}, [](const V& x) { return x[0].clamp(-0.5, 0.5); }});
SEEK_GRADCHECK_CASE({"clamp_min", {{3, 4}}, [](const V& x) { return x[0].clamp_min(0.2); }});
SEEK_GRADCHECK_CASE({"clamp_max", {{3, 4}}, [](const V& x) { return x[0].clamp_max(-0.2); }});
SEEK_GRADCHECK_CASE({"clamp_inplace", {{3, 4}}, [](const V& x) {
                       Tensor y = x[0] * 2.0;
                       y.clamp_(-0.7, 0.9);
                       return y;
                     }});
SEEK_GRADCHECK_CASE({"lerp", {{2, 3}, {2, 3}, {2, 3}}, [](const V& x) { return lerp(x[0], x[1], x[2]); }});
SEEK_GRADCHECK_CASE({"lerp_scalar", {{2, 3}, {2, 3}}, [](const V& x) { return x[0].lerp(x[1], 0.3); }});
SEEK_GRADCHECK_CASE({"lerp_scalar_high", {{2, 3}, {2, 3}}, [](const V& x) { return x[0].lerp(x[1], 0.8); }});
SEEK_GRADCHECK_CASE({"lerp_inplace", {{2, 3}, {2, 3}}, [](const V& x) {
                       Tensor y = x[0] * 1.0;
                       y.lerp_(x[1], 0.6);
                       return y;
                     }});
SEEK_GRADCHECK_CASE({"addcmul", {{2, 3}, {2, 3}, {2, 3}}, [](const V& x) { return addcmul(x[0], x[1], x[2], 0.7); }});
SEEK_GRADCHECK_CASE(
    {"addcdiv", {{2, 3}, {2, 3}, {2, 3}}, [](const V& x) { return addcdiv(x[0], x[1], x[2], -1.5); }, 0.5, 2.0});
SEEK_GRADCHECK_CASE({"addcmul_addcdiv_inplace",
                     {{2, 3}, {2, 3}, {2, 3}},
                     [](const V& x) {
                       Tensor y = x[0] * 1.0;
                       y.addcmul_(x[1], x[2], 0.5).addcdiv_(x[1], x[2], 2);
                       return y;
                     },
                     0.5,
                     2.0});
SEEK_GRADCHECK_CASE({"masked_fill", {{2, 3}}, [](const V& x) { return x[0].masked_fill(fixed_mask({2, 3}), 2.5); }});
SEEK_GRADCHECK_CASE({"masked_fill_inplace", {{2, 3}}, [](const V& x) {
                       Tensor y = x[0] * 1.0;
                       y.masked_fill_(fixed_mask({1, 3}), -1);
                       return y;
                     }});
// Broadcasting cases: their backward reduces with autograd::sum_to (Tensor::sum).
SEEK_GRADCHECK_CASE({"where_broadcast", {{2, 3}, {3}}, [](const V& x) {
                       return where(fixed_mask({2, 3}), x[0], x[1]);
                     }});
SEEK_GRADCHECK_CASE({"lerp_broadcast", {{2, 1, 3}, {4, 1}, {3}}, [](const V& x) { return lerp(x[0], x[1], x[2]); }});
SEEK_GRADCHECK_CASE({"addcmul_broadcast", {{3, 1}, {1, 4}, {4}}, [](const V& x) {
                       return addcmul(x[0], x[1], x[2], 2);
                     }});
SEEK_GRADCHECK_CASE(
    {"addcdiv_broadcast", {{3, 1}, {1, 4}, {3, 4}}, [](const V& x) { return addcdiv(x[0], x[1], x[2]); }, 0.5, 2.0});
SEEK_GRADCHECK_CASE({"masked_fill_broadcast", {{3}}, [](const V& x) {
                       return x[0].masked_fill(fixed_mask({2, 3}), 0);
                     }});

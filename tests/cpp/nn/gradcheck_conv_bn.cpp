// Gradcheck cases (float64, central differences) for the fused conv -> batch norm -> residual -> ReLU
// op (seek/ops/conv_bn.h) in training mode: every input (x, conv weight, conv bias, bn weight, bn bias,
// residual), stride/padding/groups, 1x1 and 3x3, with and without residual and ReLU. Running statistics
// are fresh per evaluation so that every call computes the same function.
#include "seek/nn/fused_conv_bn.h"
#include "support/gradcheck_registry.h"

using namespace seek;
using V = std::vector<Tensor>;
namespace F = seek::nn::functional;

namespace {
Tensor fused(const V& x, ConvBnOptions o, bool conv_bias, bool residual) {
  const int64_t c = x[1].size(0);
  Tensor rm = zeros({c}, kFloat64), rv = ones({c}, kFloat64);
  size_t i = 2;
  Tensor cb = conv_bias ? x[i++] : Tensor();
  Tensor bw = x[i++], bb = x[i++];
  Tensor res = residual ? x[i++] : Tensor();
  return F::conv_bn_relu(x[0], x[1], cb, rm, rv, bw, bb, res, o);
}
ConvBnOptions opts(Int2 stride, Int2 padding, int64_t groups, bool relu) {
  ConvBnOptions o;
  o.stride = stride, o.padding = padding, o.groups = groups, o.relu = relu;
  return o;
}
}  // namespace

SEEK_GRADCHECK_CASE({"nn_conv_bn_relu_3x3", {{2, 3, 5, 4}, {4, 3, 3, 3}, {4}, {4}}, [](const V& x) {
                       return fused(x, opts(1, 1, 1, true), false, false);
                     }});
SEEK_GRADCHECK_CASE({"nn_conv_bn_relu_3x3_stride2_bias_residual",
                     {{2, 3, 5, 5}, {4, 3, 3, 3}, {4}, {4}, {4}, {2, 4, 3, 3}},
                     [](const V& x) { return fused(x, opts(2, 1, 1, true), true, true); }});
SEEK_GRADCHECK_CASE({"nn_conv_bn_1x1_no_relu_residual",
                     {{3, 4, 3, 2}, {5, 4, 1, 1}, {5}, {5}, {3, 5, 3, 2}},
                     [](const V& x) { return fused(x, opts(1, 0, 1, false), false, true); }});
SEEK_GRADCHECK_CASE({"nn_conv_bn_relu_groups_rect_stride", {{2, 4, 5, 6}, {6, 2, 3, 1}, {6}, {6}, {6}}, [](const V& x) {
                       return fused(x, opts({2, 1}, {1, 0}, 2, true), true, false);
                     }});

// The activation rows of the unary table as functions with torch's arguments (their
// backward formulas are unary_grad<...> in src/ops/unary.cpp with the other rows').
#include "seek/ops/activation.h"

#include "ops/op_utils.h"
#include "seek/ops/unary.h"

namespace seek {

Tensor elu(const Tensor& t, double alpha, double scale) { return unary_op(UnaryOp::Elu, t, UnaryParams{alpha, scale}); }
Tensor selu(const Tensor& t) { return elu(t, 1.6732632423543772848170429916717, 1.0507009873554804934193349852946); }
Tensor celu(const Tensor& t, double alpha) {
  SEEK_CHECK_VALUE(alpha != 0.0, "celu: alpha must not be 0 for the CELU function");
  return unary_op(UnaryOp::Celu, t, UnaryParams{alpha, 0.0});
}
Tensor mish(const Tensor& t) { return unary_op(UnaryOp::Mish, t); }
Tensor logsigmoid(const Tensor& t) { return unary_op(UnaryOp::LogSigmoid, t); }
Tensor softsign(const Tensor& t) { return unary_op(UnaryOp::Softsign, t); }
Tensor hardtanh(const Tensor& t, double min_val, double max_val) {
  SEEK_CHECK_VALUE(min_val <= max_val, "hardtanh: min_val (", min_val, ") must not be greater than max_val (", max_val,
                   ")");
  return unary_op(UnaryOp::Hardtanh, t, UnaryParams{min_val, max_val});
}
Tensor threshold(const Tensor& t, double threshold, double value) {
  return unary_op(UnaryOp::Threshold, t, UnaryParams{threshold, value});
}
Tensor softshrink(const Tensor& t, double lambd) {
  SEEK_CHECK_VALUE(lambd >= 0, "softshrink: lambda must be greater or equal to 0, but found to be ", lambd);
  return unary_op(UnaryOp::Softshrink, t, UnaryParams{lambd, 0.0});
}
Tensor hardshrink(const Tensor& t, double lambd) { return unary_op(UnaryOp::Hardshrink, t, UnaryParams{lambd, 0.0}); }
Tensor tanhshrink(const Tensor& t) { return unary_op(UnaryOp::Tanhshrink, t); }

}  // namespace seek

// The fused linear layer: act(x @ W^T + b) in one Backend::gemm_epilogue call (cuBLASLt's
// epilogue on a GPU), with the backward of the unfused ops. The input's leading dims fold into
// the GEMM's rows (a reshape: a view wherever they merge), so a [B, T, in] input is one GEMM.
// The backward needs act'(z): relu's from the output (z > 0 exactly where out > 0), GELU's
// from z itself, which the forward keeps (the epilogue's aux output) only when a gradient
// will be asked for.
#include "ops/op_utils.h"
#include "seek/autograd/function.h"
#include "seek/core/autocast.h"
#include "seek/ops/binary.h"
#include "seek/ops/linalg.h"
#include "seek/ops/reduce.h"

namespace seek {

using namespace ops_detail;
using autograd::SavedTensor;
using autograd::variable_list;

namespace {
const char* epilogue_name(GemmEpilogue ep) {
  return ep == GemmEpilogue::Bias ? "bias" : ep == GemmEpilogue::BiasRelu ? "bias+relu" : "bias+gelu";
}
}  // namespace

Tensor fused_linear(const Tensor& input_arg, const Tensor& weight_arg, const Tensor& bias_arg, GemmEpilogue ep) {
  const Tensor input = amp::autocast_lower(input_arg);  // autocast: lower-precision op
  const Tensor weight = amp::autocast_lower(weight_arg);
  const Tensor bias = amp::autocast_lower(bias_arg);
  check_defined(input, "fused_linear", "input");
  check_defined(weight, "fused_linear", "weight");
  check_defined(bias, "fused_linear", "bias");
  check_same_device("fused_linear", {input, weight, bias});
  SEEK_CHECK_SHAPE(weight.dim() == 2 && bias.dim() == 1 && bias.size(0) == weight.size(0),
                   "fused_linear: expected weight [out, in] and bias [out], got ", shape_str(weight.sizes()), " and ",
                   shape_str(bias.sizes()));
  SEEK_CHECK_SHAPE(input.dim() >= 1 && input.size(-1) == weight.size(1), "fused_linear: input ",
                   shape_str(input.sizes()), " does not match weight ", shape_str(weight.sizes()));
  SEEK_CHECK_DTYPE(is_floating(input.dtype()) && weight.dtype() == input.dtype() && bias.dtype() == input.dtype(),
                   "fused_linear (", epilogue_name(ep), "): expected one floating dtype, got input ", input.dtype(),
                   ", weight ", weight.dtype(), " and bias ", bias.dtype());
  const int64_t in = weight.size(1), out_f = weight.size(0);
  Shape out_shape = input.sizes();
  out_shape.back() = out_f;
  int64_t rows = 1;
  for (int64_t d = 0; d + 1 < input.dim(); ++d) rows *= input.size(d);
  const bool grad = autograd::needs_grad({input, weight, bias});
  Tensor x2, out, aux;
  {
    NoGradGuard no_grad;
    x2 = input.reshape({rows, in});
    out = alloc({rows, out_f}, input.dtype(), input.device());
    if (grad && ep == GemmEpilogue::BiasGelu) aux = alloc({rows, out_f}, input.dtype(), input.device());
    backend(input.device()).gemm_epilogue(ep, x2, weight.t(), bias, out, aux);
  }
  if (grad) {
    SavedTensor sx(weight.requires_grad() ? input : Tensor()), sw(input.requires_grad() ? weight : Tensor());
    SavedTensor sy(ep == GemmEpilogue::BiasRelu ? out : Tensor()), sz(aux);
    const Shape in_shape = input.sizes();
    const char* node = ep == GemmEpilogue::Bias ? "AddmmBackward" : "AddmmActivationBackward";
    autograd::record(node, {input, weight, bias}, {out},
                     [ep, sx, sw, sy, sz, in_shape, rows, in](const variable_list& g, const std::vector<bool>& need) {
                       Tensor gz = g[0];
                       if (ep == GemmEpilogue::BiasRelu) gz = binary_op(BinaryOp::ReluBackward, gz, sy.get());
                       if (ep == GemmEpilogue::BiasGelu) gz = binary_op(BinaryOp::GeluTanhBackward, gz, sz.get());
                       Tensor gx, gw, gb;
                       if (need[0]) gx = mm(gz, sw.get()).reshape(in_shape);
                       if (need[1]) gw = mm(gz.t(), sx.get().reshape({rows, in}));
                       if (need[2]) gb = gz.sum({0});
                       return variable_list{gx, gw, gb};
                     });
  }
  return out.view(out_shape);
}

}  // namespace seek

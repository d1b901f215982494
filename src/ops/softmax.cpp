// Softmax family: softmax and log_softmax along one dim, with backward through
// Backend::softmax_backward (which uses only the saved output).
#include "seek/ops/softmax.h"

#include "ops/op_utils.h"
#include "seek/autograd/function.h"
#include "seek/core/autocast.h"

namespace seek {

using namespace ops_detail;
using autograd::SavedTensor;
using autograd::variable_list;

namespace {

Tensor softmax_impl(const Tensor& t, int64_t dim, std::optional<DType> dtype, bool log) {
  const char* name = log ? "log_softmax" : "softmax";
  check_defined(t, name);
  if (dtype && *dtype != t.dtype()) return softmax_impl(t.to(*dtype), dim, std::nullopt, log);
  SEEK_CHECK_DTYPE(is_floating(t.dtype()), name, ": expected a floating point input, got ", t.dtype(),
                   " (pass dtype or convert with .to(kFloat32) first)");
  const int64_t d = wrap_dim(dim, t.dim(), name);
  Tensor out = alloc(t.sizes(), t.dtype(), t.device());
  {
    NoGradGuard ng;
    backend(t.device()).softmax(t, d, log, out);
  }
  if (autograd::needs_grad({t})) {
    autograd::record(log ? "LogSoftmaxBackward" : "SoftmaxBackward", {t}, {out},
                     [d, log, so = SavedTensor(out)](const variable_list& g, const std::vector<bool>&) {
                       const Tensor& y = so.get();
                       Tensor gi = alloc(y.sizes(), y.dtype(), y.device());
                       backend(y.device()).softmax_backward(g[0], y, d, log, gi);
                       return variable_list{gi};
                     });
  }
  return out;
}

}  // namespace

// Autocast: fp32 ops, unless an explicit dtype is given (then that dtype wins, as in torch).
Tensor softmax(const Tensor& t, int64_t dim, std::optional<DType> dtype) {
  return softmax_impl(dtype ? t : amp::autocast_fp32(t), dim, dtype, false);
}
Tensor log_softmax(const Tensor& t, int64_t dim, std::optional<DType> dtype) {
  return softmax_impl(dtype ? t : amp::autocast_fp32(t), dim, dtype, true);
}

Tensor Tensor::softmax(int64_t dim) const { return seek::softmax(*this, dim); }
Tensor Tensor::log_softmax(int64_t dim) const { return seek::log_softmax(*this, dim); }

}  // namespace seek

// isclose / allclose / equal, written with elementwise ops and reductions.
#include "seek/ops/compare.h"

#include <limits>

#include "ops/op_utils.h"
#include "seek/autograd/grad_mode.h"

namespace seek {

using namespace ops_detail;

Tensor isclose(const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan) {
  check_defined(a, "isclose", "input");
  check_defined(b, "isclose", "other");
  check_same_device("isclose", {a, b});
  SEEK_CHECK_VALUE(rtol >= 0, "isclose: rtol must be greater than or equal to zero, got rtol=", rtol);
  SEEK_CHECK_VALUE(atol >= 0, "isclose: atol must be greater than or equal to zero, got atol=", atol);
  broadcast_shapes(a.sizes(), b.sizes(), "isclose");
  NoGradGuard no_grad;
  DType ct = promote_types(a.dtype(), b.dtype());
  if (!is_floating(ct)) ct = kFloat64;
  Tensor x = a.detach().to(ct), y = b.detach().to(ct);
  Tensor close = x.eq(y);  // exact matches, including equal infinities
  if (equal_nan) close = close.logical_or(x.ne(x).logical_and(y.ne(y)));
  if (rtol == 0 && atol == 0) return close;
  Tensor allowed = y.mul(rtol).abs().add(atol);
  Tensor actual = x.sub(y).abs();
  // A finite error within the tolerance (NaN and inf errors fail lt(inf)).
  Tensor within = actual.lt(std::numeric_limits<double>::infinity()).logical_and(actual.le(allowed));
  return close.logical_or(within);
}

bool allclose(const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan) {
  return isclose(a, b, rtol, atol, equal_nan).all().item<bool>();
}

bool equal(const Tensor& a, const Tensor& b) {
  check_defined(a, "equal", "input");
  check_defined(b, "equal", "other");
  check_same_device("equal", {a, b});
  if (a.sizes() != b.sizes()) return false;
  if (a.numel() == 0) return true;
  NoGradGuard no_grad;
  return a.detach().eq(b.detach()).all().item<bool>();
}

}  // namespace seek

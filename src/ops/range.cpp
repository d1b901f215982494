// Range factories: arange, linspace, eye. arange and linspace follow PyTorch's
// CPU kernels exactly (size formula, accumulation type, linspace's two-sided
// evaluation), so the same arguments give the same elements. Values are
// computed on the host and copied to the target device.
#include <cmath>
#include <limits>

#include "ops/op_utils.h"
#include "seek/autograd/grad_mode.h"
#include "seek/core/convert.h"
#include "seek/ops/creation.h"

namespace seek {

using namespace ops_detail;

namespace {

// Host values, moved to `options`' device; requires_grad applied last.
Tensor finish(Tensor host, const TensorOptions& options) {
  Tensor out = host;
  if (options.device_ != kCPU) {
    NoGradGuard g;
    out = host.to(options.device_);
  }
  if (options.requires_grad_) out.requires_grad_(true);
  return out;
}

// Fills n host elements with f(i) in parallel for large n.
template <typename T, typename F>
void fill_host(T* p, int64_t n, F f) {
#pragma omp parallel for schedule(static) if (n > 65536)
  for (int64_t i = 0; i < n; ++i) p[i] = f(i);
}

}  // namespace

Tensor arange(Scalar end, std::optional<TensorOptions> options) { return arange(0, end, 1, options); }

Tensor arange(Scalar start, Scalar end, Scalar step, std::optional<TensorOptions> options) {
  // PyTorch's inference: int64 when every argument is an integer, else the default float dtype.
  bool all_int = !start.is_floating() && !end.is_floating() && !step.is_floating();
  TensorOptions opts = options ? *options : TensorOptions(all_int ? kInt64 : kFloat32);
  DType dt = opts.dtype_;
  SEEK_CHECK_DTYPE(dt != kBool, "arange: not supported for dtype bool");
  Tensor host;
  SEEK_DISPATCH_NUMERIC(dt, "arange", [&] {
    // Accumulate in int64 for integer dtypes, in double for floating ones (as PyTorch's CPU kernel).
    using A = std::conditional_t<std::is_integral_v<scalar_t>, int64_t, double>;
    A xstart = start.to<A>(), xend = end.to<A>(), xstep = step.to<A>();
    SEEK_CHECK_VALUE(xstep != 0, "arange: step must be nonzero, got step=", step);
    SEEK_CHECK_VALUE(std::isfinite(static_cast<double>(xstart)) && std::isfinite(static_cast<double>(xend)),
                     "arange: unsupported range ", start, " -> ", end, " (the bounds must be finite)");
    SEEK_CHECK_VALUE((xstep > 0 && xend >= xstart) || (xstep < 0 && xend <= xstart), "arange: the range ", start,
                     " -> ", end, " is inconsistent with the sign of step=", step,
                     " (expected end >= start for a positive step, end <= start for a negative one)");
    double size_d;
    if constexpr (std::is_integral_v<scalar_t>) {
      int64_t sgn = (xstep > 0) - (xstep < 0);
      size_d = static_cast<double>((xend - xstart + xstep - sgn) / xstep);
    } else {
      size_d = std::ceil((end.to<double>() - start.to<double>()) / step.to<double>());
    }
    SEEK_CHECK_VALUE(size_d >= 0 && size_d <= static_cast<double>(std::numeric_limits<int64_t>::max()),
                     "arange: invalid size ", size_d, " for the range ", start, " -> ", end, " step ", step);
    int64_t n = static_cast<int64_t>(size_d);
    host = empty({n}, TensorOptions(dt));
    fill_host(static_cast<scalar_t*>(host.data_ptr()), n,
              [=](int64_t i) { return convert<scalar_t>(xstart + static_cast<A>(i) * xstep); });
  });
  return finish(host, opts);
}

Tensor linspace(double start, double end, int64_t steps, TensorOptions options) {
  SEEK_CHECK_VALUE(steps >= 0, "linspace: number of steps must be non-negative, got steps=", steps);
  DType dt = options.dtype_;
  SEEK_CHECK_DTYPE(dt != kBool, "linspace: not supported for dtype bool");
  Tensor host = empty({steps}, TensorOptions(dt));
  SEEK_DISPATCH_NUMERIC(dt, "linspace", [&] {
    scalar_t* p = static_cast<scalar_t*>(host.data_ptr());
    // The step in the element type for floats (f32 for f16/bf16), in double for integers.
    using S = std::conditional_t<std::is_integral_v<scalar_t>, double, acc_t<scalar_t>>;
    using V = std::conditional_t<std::is_integral_v<scalar_t>, scalar_t, acc_t<scalar_t>>;
    const V vs = convert<V>(start), ve = convert<V>(end);
    if (steps == 1) {
      p[0] = convert<scalar_t>(vs);
    } else if (steps > 1) {
      const S step = (static_cast<S>(ve) - static_cast<S>(vs)) / static_cast<S>(steps - 1);
      const int64_t halfway = steps / 2;
      // First half counts up from start, second half down from end: symmetric rounding, exact endpoints.
      fill_host(p, steps, [=](int64_t i) {
        if (i < halfway) return convert<scalar_t>(vs + step * static_cast<S>(i));
        return convert<scalar_t>(ve - step * static_cast<S>(steps - i - 1));
      });
    }
  });
  return finish(host, options);
}

Tensor eye(int64_t n, std::optional<int64_t> m, TensorOptions options) {
  int64_t cols = m.value_or(n);
  SEEK_CHECK_VALUE(n >= 0, "eye: n must be greater or equal to 0, got n=", n);
  SEEK_CHECK_VALUE(cols >= 0, "eye: m must be greater or equal to 0, got m=", cols);
  Tensor out = zeros({n, cols}, TensorOptions(options.dtype_).device(options.device_));
  int64_t k = std::min(n, cols);
  if (k > 0) {
    NoGradGuard g;
    out.as_strided({k}, {cols + 1}, 0).fill_(1);
  }
  if (options.requires_grad_) out.requires_grad_(true);
  return out;
}

}  // namespace seek

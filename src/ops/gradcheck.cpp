// gradcheck: analytical gradients from the engine against central differences of the op.
#include "seek/ops/gradcheck.h"

#include <cmath>
#include <sstream>

#include "seek/autograd/engine.h"
#include "seek/autograd/grad_mode.h"
#include "seek/ops/creation.h"

namespace seek::autograd {

namespace {
// Deterministic weights in [0.5, 1.5) with alternating sign, so that no output
// element is ignored and errors cannot cancel by symmetry.
Tensor projection(const Tensor& out) {
  Tensor v = empty(out.sizes(), TensorOptions(kFloat64));
  double* p = static_cast<double*>(v.data_ptr());
  uint64_t s = 0x9E3779B97F4A7C15ull;
  for (int64_t i = 0; i < v.numel(); ++i) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    double u = static_cast<double>(s >> 11) / 9007199254740992.0;
    p[i] = (i % 2 ? -1.0 : 1.0) * (0.5 + u);
  }
  return v;
}

double project(const Tensor& out, const Tensor& v) {
  Tensor o = out.to(kFloat64).contiguous();
  const double* a = static_cast<const double*>(o.data_ptr());
  const double* b = static_cast<const double*>(v.data_ptr());
  double s = 0;
  for (int64_t i = 0; i < o.numel(); ++i) s += a[i] * b[i];
  return s;
}
}  // namespace

GradcheckResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                          const std::vector<Tensor>& inputs, double eps, double atol, double rtol) {
  GradcheckResult res;
  std::vector<Tensor> diff_inputs;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& t = inputs[i];
    SEEK_CHECK_DTYPE(t.dtype() == kFloat64 && t.is_cpu() && t.is_contiguous(), "gradcheck: input ", i,
                     " must be a contiguous float64 CPU tensor, got ", t.dtype(), " on ", t.device().str());
    if (t.requires_grad()) diff_inputs.push_back(t);
  }
  SEEK_CHECK_VALUE(!diff_inputs.empty(), "gradcheck: no input requires grad");

  Tensor out = fn(inputs);
  SEEK_CHECK_VALUE(out.requires_grad(), "gradcheck: the function's output does not require grad");
  Tensor v = projection(out);
  std::vector<Tensor> analytical = grad({out}, diff_inputs, {v.to(out.dtype())}, false, true);

  NoGradGuard no_grad;
  for (size_t k = 0; k < diff_inputs.size(); ++k) {
    Tensor x = diff_inputs[k];
    double* p = static_cast<double*>(x.data_ptr());
    Tensor a = analytical[k].defined() ? analytical[k].to(kFloat64).contiguous() : zeros(x.sizes(), kFloat64);
    const double* ap = static_cast<const double*>(a.data_ptr());
    for (int64_t i = 0; i < x.numel(); ++i) {
      double orig = p[i];
      p[i] = orig + eps;
      double plus = project(fn(inputs), v);
      p[i] = orig - eps;
      double minus = project(fn(inputs), v);
      p[i] = orig;
      double numerical = (plus - minus) / (2 * eps);
      double err = std::fabs(ap[i] - numerical);
      res.max_abs_error = std::max(res.max_abs_error, err);
      if (!(err <= atol + rtol * std::fabs(numerical))) {
        std::ostringstream os;
        os << "gradcheck: input " << k << " element " << i << ": analytical " << ap[i] << " vs numerical " << numerical
           << " (error " << err << ")";
        res.ok = false;
        res.message = os.str();
        return res;
      }
    }
  }
  return res;
}

}  // namespace seek::autograd

#include "seek/optim/clip_grad.h"

#include <cmath>

#include "seek/autograd/grad_mode.h"
#include "seek/ops/creation.h"
#include "seek/ops/optim.h"

namespace seek::optim {

Tensor clip_grad_norm_(const std::vector<Tensor>& params, double max_norm, double norm_type, bool error_if_nonfinite) {
  const bool inf_norm = std::isinf(norm_type) && norm_type > 0;
  SEEK_CHECK_VALUE(inf_norm || (norm_type > 0 && std::isfinite(norm_type)),
                   "clip_grad_norm_: norm_type must be > 0 or infinity, got ", norm_type);
  SEEK_CHECK_VALUE(max_norm >= 0, "clip_grad_norm_: max_norm must be >= 0, got ", max_norm);
  NoGradGuard guard;
  std::vector<Tensor> grads;
  for (const auto& p : params) {
    Tensor g = p.defined() ? p.grad() : Tensor();
    if (g.defined()) grads.push_back(g);
  }
  if (grads.empty()) return zeros({});
  for (const auto& g : grads)
    SEEK_CHECK_VALUE(g.device() == grads[0].device(), "clip_grad_norm_: gradients on ", grads[0].device().str(),
                     " and ", g.device().str());
  // One pass over all gradients where the device has the fused kernel (accumulated in f64);
  // otherwise the per-tensor norms, accumulated in the first gradient's dtype (as torch).
  Tensor total = fused_total_norm(grads, norm_type);
  const bool fused = total.defined();
  for (const auto& g : fused ? std::vector<Tensor>{} : grads) {
    Tensor n = inf_norm ? (g.numel() ? g.abs().max() : zeros({}, TensorOptions(g.dtype()).device(g.device())))
                        : g.norm(norm_type);
    n = n.to(grads[0].dtype());
    if (!total.defined())
      total = inf_norm ? n : n.pow(norm_type);
    else
      total = inf_norm ? total.maximum(n) : total.add(n.pow(norm_type));
  }
  if (!inf_norm && !fused) total = total.pow(1.0 / norm_type);
  if (error_if_nonfinite) {
    const double t = total.item<double>();
    SEEK_CHECK_VALUE(std::isfinite(t), "clip_grad_norm_: the total norm of order ", norm_type, " of the gradients is ",
                     t, " (non-finite)");
  }
  // coef = min(1, max_norm / (total + 1e-6)), kept on the device (no host sync).
  Tensor coef = (Scalar(max_norm) / total.add(1e-6)).clamp_max(1.0);
  if (!fused_mul_check_finite_(grads, coef, Tensor()))
    for (auto& g : grads) g.mul_(coef.to(g.dtype()));
  return total;
}

void clip_grad_value_(const std::vector<Tensor>& params, double clip_value) {
  SEEK_CHECK_VALUE(clip_value >= 0, "clip_grad_value_: clip_value must be >= 0, got ", clip_value);
  NoGradGuard guard;
  for (const auto& p : params) {
    Tensor g = p.defined() ? p.grad() : Tensor();
    if (g.defined()) g.clamp_(-clip_value, clip_value);
  }
}

}  // namespace seek::optim

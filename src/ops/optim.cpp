// Fused optimizer ops (seek/ops/optim.h): argument checks, the "can the kernel take these lists"
// test that sends the optim layer to its per-op fallback, and version bumps after the kernel.
#include "seek/ops/optim.h"

#include <cmath>

#include "backend/flat_storage.h"
#include "ops/op_utils.h"
#include "seek/autograd/grad_mode.h"
#include "seek/backend/backend.h"
#include "seek/ops/creation.h"

namespace seek {

namespace {

using ops_detail::check_defined;

// Bad input (wrong lengths, shapes, undefined tensors) is an error; the rest is a fallback.
void check_list(const std::vector<Tensor>& list, const std::vector<Tensor>& params, const char* op, const char* what) {
  SEEK_CHECK_VALUE(list.size() == params.size(), op, ": got ", params.size(), " parameters but ", list.size(), " ",
                   what);
  for (size_t i = 0; i < list.size(); ++i) {
    check_defined(list[i], op, what);
    SEEK_CHECK_SHAPE(list[i].sizes() == params[i].sizes(), op, ": ", what, " ", i, " has shape ",
                     shape_str(list[i].sizes()), " but its parameter has shape ", shape_str(params[i].sizes()));
  }
}

void check_no_grad(const std::vector<Tensor>& params, const char* op) {
  if (!GradMode::is_enabled()) return;
  for (const auto& p : params)
    SEEK_CHECK(!p.requires_grad(), op, ": an in-place update of a tensor that requires grad; run it under NoGradGuard");
}

// Whether the kernel can take params (dense in any dim order, e.g. channels_last weights; one dtype: f32
// or f64), grads (same dtype) and states (same dtype, laid out as their parameter), all on params[0]'s
// device. The kernels then treat every tensor as flat storage (backend/flat_storage.h).
bool fusable_step(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                  std::initializer_list<const std::vector<Tensor>*> states) {
  const Device dev = params[0].device();
  const DType dt = params[0].dtype();
  if (dt != kFloat32 && dt != kFloat64) return false;
  for (size_t i = 0; i < params.size(); ++i) {
    if (params[i].device() != dev || params[i].dtype() != dt || !is_flat_storage(params[i])) return false;
    if (grads[i].device() != dev || grads[i].dtype() != dt) return false;
  }
  for (const auto* list : states)
    for (size_t i = 0; i < list->size(); ++i) {
      const Tensor& t = (*list)[i];
      if (t.device() != dev || t.dtype() != dt || !is_flat_storage(t) || !same_flat_layout(t, params[i])) return false;
    }
  return true;
}

// Each grad laid out as its parameter (itself when it already is: a leaf's grad takes its strides).
std::vector<Tensor> grads_like_params(const std::vector<Tensor>& grads, const std::vector<Tensor>& params) {
  std::vector<Tensor> out;
  out.reserve(grads.size());
  for (size_t i = 0; i < grads.size(); ++i) {
    const Tensor& g = grads[i];
    if (is_flat_storage(g) && same_flat_layout(g, params[i])) {
      out.push_back(g);
    } else {
      Tensor d = empty_like(params[i]);
      d.copy_(g);
      out.push_back(d);
    }
  }
  return out;
}

// Each tensor as flat storage (itself when dense in any dim order).
std::vector<Tensor> flat_all(const std::vector<Tensor>& ts) {
  std::vector<Tensor> out;
  out.reserve(ts.size());
  for (const auto& t : ts) out.push_back(is_flat_storage(t) ? t : t.contiguous());
  return out;
}

// Runs the kernel; false (nothing changed) when the device's backend lacks the optim family
// for `dtype`. Errors inside the kernel propagate.
bool run(OptimOp op, const OptimArgs& args, Device device, DType dtype) {
  Backend& b = backend(device);
  if (!b.supports(BackendFamily::Optim, dtype)) return false;
  b.optim(op, args);
  return true;
}

void bump(const std::vector<Tensor>& ts) {
  for (const auto& t : ts) t.bump_version();
}

}  // namespace

bool fused_sgd_(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                const std::vector<Tensor>& momentum_buffers, const std::vector<uint8_t>& fresh,
                const OptimHyper& hyper) {
  constexpr const char* op = "fused_sgd_";
  if (params.empty()) return true;
  for (const auto& p : params) check_defined(p, op, "parameter");
  check_list(grads, params, op, "gradients");
  const bool momentum = hyper.momentum != 0.0;
  if (momentum) {
    check_list(momentum_buffers, params, op, "momentum buffers");
    SEEK_CHECK_VALUE(fresh.size() == params.size(), op, ": got ", params.size(), " parameters but ", fresh.size(),
                     " fresh flags");
  }
  check_no_grad(params, op);
  if (!fusable_step(params, grads, {&momentum_buffers})) return false;
  OptimArgs a;
  a.params = params;
  a.grads = grads_like_params(grads, params);
  if (momentum) {
    a.states = {momentum_buffers};
    a.fresh = fresh;
  }
  a.hyper = hyper;
  if (!run(OptimOp::SGD, a, params[0].device(), params[0].dtype())) return false;
  bump(params);
  if (momentum) bump(momentum_buffers);
  return true;
}

bool fused_adam_(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                 const std::vector<Tensor>& exp_avgs, const std::vector<Tensor>& exp_avg_sqs,
                 const std::vector<Tensor>& max_exp_avg_sqs, const std::vector<int64_t>& steps,
                 const OptimHyper& hyper) {
  constexpr const char* op = "fused_adam_";
  if (params.empty()) return true;
  for (const auto& p : params) check_defined(p, op, "parameter");
  check_list(grads, params, op, "gradients");
  check_list(exp_avgs, params, op, "exp_avgs");
  check_list(exp_avg_sqs, params, op, "exp_avg_sqs");
  if (hyper.amsgrad) check_list(max_exp_avg_sqs, params, op, "max_exp_avg_sqs");
  SEEK_CHECK_VALUE(steps.size() == params.size(), op, ": got ", params.size(), " parameters but ", steps.size(),
                   " step counts");
  for (int64_t s : steps) SEEK_CHECK_VALUE(s >= 1, op, ": step counts must be >= 1, got ", s);
  check_no_grad(params, op);
  const std::vector<Tensor> none;
  if (!fusable_step(params, grads, {&exp_avgs, &exp_avg_sqs, hyper.amsgrad ? &max_exp_avg_sqs : &none})) return false;
  OptimArgs a;
  a.params = params;
  a.grads = grads_like_params(grads, params);
  a.states = {exp_avgs, exp_avg_sqs};
  if (hyper.amsgrad) a.states.push_back(max_exp_avg_sqs);
  a.steps = steps;
  a.hyper = hyper;
  if (!run(OptimOp::Adam, a, params[0].device(), params[0].dtype())) return false;
  bump(params);
  for (const auto& list : a.states) bump(list);
  return true;
}

bool fused_rmsprop_(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                    const std::vector<Tensor>& square_avgs, const std::vector<Tensor>& grad_avgs,
                    const std::vector<Tensor>& momentum_buffers, const OptimHyper& hyper) {
  constexpr const char* op = "fused_rmsprop_";
  if (params.empty()) return true;
  for (const auto& p : params) check_defined(p, op, "parameter");
  check_list(grads, params, op, "gradients");
  check_list(square_avgs, params, op, "square_avgs");
  if (hyper.centered) check_list(grad_avgs, params, op, "grad_avgs");
  if (hyper.momentum > 0.0) check_list(momentum_buffers, params, op, "momentum buffers");
  check_no_grad(params, op);
  const std::vector<Tensor> none;
  if (!fusable_step(
          params, grads,
          {&square_avgs, hyper.centered ? &grad_avgs : &none, hyper.momentum > 0.0 ? &momentum_buffers : &none}))
    return false;
  OptimArgs a;
  a.params = params;
  a.grads = grads_like_params(grads, params);
  // states[k] stays in its slot (square_avg, grad_avg, momentum buffer); unused slots are empty.
  a.states = {square_avgs, hyper.centered ? grad_avgs : none, hyper.momentum > 0.0 ? momentum_buffers : none};
  a.hyper = hyper;
  if (!run(OptimOp::RMSprop, a, params[0].device(), params[0].dtype())) return false;
  bump(params);
  for (const auto& list : a.states) bump(list);
  return true;
}

Tensor fused_total_norm(const std::vector<Tensor>& tensors, double norm_type) {
  constexpr const char* op = "fused_total_norm";
  SEEK_CHECK_VALUE(norm_type > 0 && !std::isnan(norm_type), op, ": norm_type must be > 0 or infinity, got ", norm_type);
  SEEK_CHECK_VALUE(!tensors.empty(), op, ": got an empty list of tensors");
  for (const auto& t : tensors) {
    check_defined(t, op, "tensor");
    ops_detail::check_floating(t, op);
    if (t.device() != tensors[0].device()) return Tensor();
  }
  OptimArgs a;
  a.grads = flat_all(tensors);
  a.norm_type = norm_type;
  a.out = ops_detail::alloc({}, tensors[0].dtype(), tensors[0].device());
  if (!run(OptimOp::GradNorm, a, tensors[0].device(), tensors[0].dtype())) return Tensor();
  return a.out;
}

bool fused_mul_check_finite_(const std::vector<Tensor>& tensors, const Tensor& scale, const Tensor& found_inf) {
  constexpr const char* op = "fused_mul_check_finite_";
  if (tensors.empty()) return true;
  check_defined(scale, op, "scale");
  SEEK_CHECK_VALUE(scale.numel() == 1 && scale.is_floating_point(), op,
                   ": scale must be a floating tensor with one element, got ", dtype_name(scale.dtype()), " of shape ",
                   shape_str(scale.sizes()));
  if (found_inf.defined())
    SEEK_CHECK_VALUE(found_inf.numel() == 1 && found_inf.dtype() == kFloat32, op,
                     ": found_inf must be a float32 tensor with one element, got ", dtype_name(found_inf.dtype()),
                     " of shape ", shape_str(found_inf.sizes()));
  const Device dev = tensors[0].device();
  for (const auto& t : tensors) {
    check_defined(t, op, "tensor");
    ops_detail::check_floating(t, op);
    if (t.device() != dev || !is_flat_storage(t)) return false;
  }
  if (scale.device() != dev || (found_inf.defined() && (found_inf.device() != dev || !found_inf.is_contiguous())))
    return false;
  check_no_grad(tensors, op);
  OptimArgs a;
  a.grads = tensors;
  a.scale = scale;
  a.found_inf = found_inf;
  if (!run(OptimOp::ScaleGrads, a, dev, tensors[0].dtype())) return false;
  bump(tensors);
  if (found_inf.defined()) found_inf.bump_version();
  return true;
}

}  // namespace seek

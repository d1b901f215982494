#include "seek/autograd/function.h"

#include "seek/core/autograd_meta.h"
#include "seek/core/shape_util.h"

namespace seek::autograd {

SavedTensor::SavedTensor(const Tensor& t) {
  if (!t.defined()) return;
  data_ = t.detach();
  version_ = t.version();
}

const Tensor& SavedTensor::get() const {
  if (data_.defined() && data_.version() != version_) {
    throw AutogradError(
        str("one of the variables needed for gradient computation has been modified by an inplace "
            "operation: a tensor of shape ",
            shape_str(data_.sizes()), " saved at version ", version_, " is now at version ", data_.version(),
            "; make a copy (clone()) before modifying it in place"));
  }
  return data_;
}

bool needs_grad(std::initializer_list<Tensor> inputs) {
  if (!GradMode::is_enabled()) return false;
  for (const Tensor& t : inputs)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

bool needs_grad(const std::vector<Tensor>& inputs) {
  if (!GradMode::is_enabled()) return false;
  for (const Tensor& t : inputs)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

void record(const std::string& name, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
            BackwardFn backward) {
  auto node = std::make_shared<LambdaNode>(name, std::move(backward));
  node->next_edges.reserve(inputs.size());
  for (const Tensor& t : inputs) node->next_edges.push_back(gradient_edge(t));
  node->pre_hooks.resize(outputs.size());
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Tensor& out = outputs[i];
    node->outputs.push_back({out.sizes(), out.dtype(), out.device()});
    if (!is_floating(out.dtype())) continue;  // integer outputs (indices) carry no gradient
    AutogradMeta& meta = autograd_meta(out);
    meta.requires_grad = true;
    meta.grad_fn = node;
    meta.output_nr = static_cast<int>(i);
    if (out.is_view()) meta.view_base_grad_fn = Tensor(out.impl()->view_base).grad_fn();
  }
}

bool check_inplace(const Tensor& self, std::initializer_list<Tensor> others, const char* op) {
  if (!GradMode::is_enabled()) return false;
  bool self_req = self.requires_grad();
  if (self_req && self.is_leaf()) {
    throw AutogradError(str(op,
                            ": a leaf tensor that requires grad is being used in an in-place operation; "
                            "wrap the update in NoGradGuard or use the out-of-place op"));
  }
  bool base_req = false;
  if (self.is_view()) {
    Tensor base(self.impl()->view_base);
    base_req = base.requires_grad();
    if (base_req && base.is_leaf()) {
      throw AutogradError(str(op,
                              ": a view of a leaf Variable that requires grad is being used in an in-place "
                              "operation; wrap the update in NoGradGuard or modify a clone()"));
    }
    if (base_req && !self_req) {
      throw AutogradError(str(op,
                              ": a view was created in no_grad mode (or detached from the graph) and is being "
                              "modified in place with grad mode enabled; create the view with grad mode on"));
    }
  }
  bool any = self_req || base_req;
  for (const Tensor& t : others) any = any || (t.defined() && t.requires_grad());
  return any;
}

void commit_inplace(Tensor& self, const Tensor& result) {
  {
    NoGradGuard g;
    Tensor target = self.detach();
    target.copy_(result);  // bumps the shared version counter
  }
  AutogradMeta& meta = autograd_meta(self);
  AutogradMeta& rmeta = autograd_meta(result);
  meta.requires_grad = rmeta.requires_grad;
  meta.grad_fn = rmeta.grad_fn;
  meta.output_nr = rmeta.output_nr;
  rebase_history(self);
}

Tensor sum_to(const Tensor& grad, const Shape& shape) {
  if (grad.sizes() == shape) return grad;
  int64_t lead = grad.dim() - static_cast<int64_t>(shape.size());
  std::vector<int64_t> dims;
  for (int64_t i = 0; i < grad.dim(); ++i) {
    if (i < lead || (shape[i - lead] == 1 && grad.size(i) != 1)) dims.push_back(i);
  }
  Tensor r = dims.empty() ? grad : grad.sum(dims, /*keepdim=*/true);
  return r.reshape(shape);
}

}  // namespace seek::autograd

#include "seek/autograd/node.h"

#include "autograd/view_history.h"

#include "seek/autograd/grad_mode.h"
#include "seek/core/autograd_meta.h"

namespace seek::autograd {

namespace {
std::atomic<uint64_t> next_sequence_nr{0};
}

Tensor run_hook(const Hook& hook, const Tensor& grad, const char* where) {
  Tensor r = hook(grad);
  if (!r.defined()) return grad;
  SEEK_CHECK_T(AutogradError, r.sizes() == grad.sizes(), where, " returned a gradient of shape ", shape_str(r.sizes()),
               " for a gradient of shape ", shape_str(grad.sizes()),
               "; a hook may not change the size of the gradient");
  SEEK_CHECK_T(AutogradError, r.dtype() == grad.dtype(), where, " returned a gradient of dtype ", r.dtype(),
               " for a gradient of dtype ", grad.dtype(), "; a hook may not change the type of the gradient");
  SEEK_CHECK_T(AutogradError, r.device() == grad.device(), where, " returned a gradient on ", r.device().str(),
               " for a gradient on ", grad.device().str(), "; a hook may not change the device of the gradient");
  return r;
}

Node::Node() : sequence_nr(next_sequence_nr.fetch_add(1)) {}

AccumulateGrad::AccumulateGrad(const Tensor& t) : leaf(t.impl_ptr()) {
  outputs.push_back({t.sizes(), t.dtype(), t.device()});
  pre_hooks.resize(1);
}

variable_list AccumulateGrad::apply(variable_list&& grads) {
  std::shared_ptr<TensorImpl> impl = leaf.lock();
  if (!impl) return {};
  Tensor var(impl);
  AutogradMeta& meta = autograd_meta(var);
  Tensor g = std::move(grads[0]);
  for (auto& hook : meta.hooks) g = run_hook(hook, g, "a hook registered on a leaf tensor");
  Tensor current;
  {
    std::lock_guard<std::mutex> lock(meta.grad_mu);
    current = meta.grad;
  }
  if (!current.defined()) {
    // Steal the incoming buffer when nobody else holds it and it has the leaf's layout (its strides when the
    // leaf is dense, as PyTorch's AccumulateGrad: a channels_last weight gets a channels_last grad); copy into
    // that layout otherwise, so that later in-place updates of .grad never write into another tensor.
    bool dense_leaf = is_non_overlapping_and_dense(var.sizes(), var.strides());
    bool same_layout = dense_leaf ? g.strides() == var.strides() : g.is_contiguous();
    if (g.impl_ptr().use_count() == 1 && g.storage().use_count() == 1 && same_layout && !g.is_view() &&
        g.sizes() == var.sizes()) {
      current = g.detach();
    } else {
      NoGradGuard no_grad;
      current = (dense_leaf ? empty_strided(var.sizes(), var.strides(), TensorOptions(g.dtype()).device(g.device()))
                            : empty(g.sizes(), TensorOptions(g.dtype()).device(g.device())));
      current.copy_(g);
    }
    std::unique_lock<std::mutex> lock(meta.grad_mu);
    if (!meta.grad.defined()) {
      meta.grad = current;
      return {};
    }
    Tensor other = meta.grad;  // another thread stored a grad meanwhile: add into it
    lock.unlock();
    other.add_(current);
  } else {
    current.add_(g);
  }
  return {};
}

variable_list LambdaNode::apply(variable_list&& grads) {
  if (!fn_) {
    throw AutogradError(str(name_,
                            ": trying to backward through the graph a second time (or directly access saved "
                            "tensors after they have already been freed). Saved intermediate values of the "
                            "graph are freed when you call backward(); specify retain_graph=true if you need "
                            "to backward through the graph a second time"));
  }
  std::vector<bool> needs(next_edges.size());
  for (size_t i = 0; i < next_edges.size(); ++i) needs[i] = next_edges[i].valid();
  return fn_(grads, needs);
}

Edge gradient_edge(const Tensor& t) {
  if (!t.defined() || !t.impl()->autograd) return {};
  detail::refresh_view_history(t);  // a view whose base was modified in place uses the base's new history
  AutogradMeta& meta = *t.impl()->autograd;
  if (meta.grad_fn) return {meta.grad_fn, meta.output_nr};
  if (!meta.requires_grad) return {};
  std::lock_guard<std::mutex> lock(meta.grad_mu);  // forward passes on several threads share a leaf
  std::shared_ptr<Node> acc = meta.grad_accumulator.lock();
  if (!acc) {
    acc = std::make_shared<AccumulateGrad>(t);
    meta.grad_accumulator = acc;
  }
  return {acc, 0};
}

}  // namespace seek::autograd

#include "seek/autograd/node.h"

#include "seek/autograd/grad_mode.h"
#include "seek/core/autograd_meta.h"

namespace seek::autograd {

namespace {
std::atomic<uint64_t> next_sequence_nr{0};
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
  for (auto& hook : meta.hooks) {
    Tensor r = hook(g);
    if (r.defined()) g = r;
  }
  if (!meta.grad.defined()) {
    // Steal the incoming buffer when nobody else holds it; copy otherwise so that
    // later in-place updates of .grad never write into another tensor.
    meta.grad = (g.impl_ptr().use_count() == 1 && g.is_contiguous() && !g.is_view()) ? g.detach() : g.clone();
  } else {
    meta.grad.add_(g);
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
  AutogradMeta& meta = *t.impl()->autograd;
  if (meta.grad_fn) return {meta.grad_fn, meta.output_nr};
  if (!meta.requires_grad) return {};
  std::shared_ptr<Node> acc = meta.grad_accumulator.lock();
  if (!acc) {
    acc = std::make_shared<AccumulateGrad>(t);
    meta.grad_accumulator = acc;
  }
  return {acc, 0};
}

}  // namespace seek::autograd

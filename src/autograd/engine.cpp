// The backward engine: count how many edges lead into each reachable node,
// then run nodes whose inputs are complete, latest-created first (a valid
// topological order for a define-by-run graph), summing gradients per input.
#include "seek/autograd/engine.h"

#include <queue>
#include <unordered_map>
#include <unordered_set>

#include "seek/autograd/grad_mode.h"
#include "seek/autograd/node.h"
#include "seek/core/autocast.h"
#include "seek/core/autograd_meta.h"
#include "seek/core/shape_util.h"

namespace seek::autograd {

namespace {

struct ByLatest {
  bool operator()(const Node* a, const Node* b) const { return a->sequence_nr < b->sequence_nr; }
};

// The callbacks queued by the backward pass running on this thread (nullptr outside one; a backward
// started inside a hook or callback gets its own list).
thread_local std::vector<std::function<void()>>* current_callbacks = nullptr;

struct CallbackScope {
  std::vector<std::function<void()>> callbacks;
  std::vector<std::function<void()>>* saved;
  CallbackScope() : saved(current_callbacks) { current_callbacks = &callbacks; }
  ~CallbackScope() { current_callbacks = saved; }
  // Runs the queued callbacks in order, those queued by a callback included.
  void run_all() {
    for (size_t i = 0; i < callbacks.size(); ++i) {
      std::function<void()> cb = std::move(callbacks[i]);
      cb();
    }
    callbacks.clear();
  }
};

struct Capture {
  Node* node;
  int input_nr;
};

Tensor make_root_grad(const Tensor& out, const Tensor& given, size_t i) {
  if (given.defined()) {
    SEEK_CHECK_SHAPE(given.sizes() == out.sizes(), "backward: gradient for output ", i, " has shape ",
                     shape_str(given.sizes()), " but the output has shape ", shape_str(out.sizes()));
    return given;
  }
  SEEK_CHECK_T(AutogradError, out.numel() == 1,
               "backward: grad can be implicitly created only for scalar outputs; "
               "output ",
               i, " has shape ", shape_str(out.sizes()), ", pass a gradient of that shape");
  NoGradGuard g;
  Tensor one = empty(out.sizes(), TensorOptions(out.dtype()).device(out.device()));
  one.fill_(1);
  return one;
}

// Runs the graph. With `captures` non-empty (autograd::grad) the gradients
// reaching the captured (node, input) pairs are returned and no leaf .grad is touched.
std::vector<Tensor> run(const std::vector<Tensor>& outputs, const std::vector<Tensor>& grad_outputs, bool retain_graph,
                        const std::vector<Capture>& captures) {
  SEEK_CHECK_VALUE(grad_outputs.empty() || grad_outputs.size() == outputs.size(), "backward: got ", grad_outputs.size(),
                   " gradients for ", outputs.size(), " outputs");
  const bool capture_mode = !captures.empty();
  std::unordered_map<Node*, std::vector<Tensor>> buffers;
  std::vector<std::shared_ptr<Node>> roots;

  auto accumulate = [&](Node* node, int input_nr, Tensor g) {
    auto& buf = buffers[node];
    if (buf.empty()) buf.resize(node->outputs.size());
    Tensor& slot = buf[input_nr];
    if (!slot.defined())
      slot = std::move(g);
    else
      slot = slot + g;
  };

  for (size_t i = 0; i < outputs.size(); ++i) {
    const Tensor& out = outputs[i];
    Edge e = gradient_edge(out);
    SEEK_CHECK_T(AutogradError, e.valid(), "backward: element ", i,
                 " of tensors does not require grad and does not have a grad_fn");
    Tensor g = make_root_grad(out, grad_outputs.empty() ? Tensor() : grad_outputs[i], i);
    accumulate(e.fn.get(), e.input_nr, g);
    roots.push_back(e.fn);
  }

  // Dependency counts over the reachable graph.
  std::unordered_map<Node*, int> deps;
  std::unordered_set<Node*> seen;
  std::vector<Node*> stack;
  for (auto& r : roots)
    if (seen.insert(r.get()).second) stack.push_back(r.get());
  while (!stack.empty()) {
    Node* n = stack.back();
    stack.pop_back();
    for (const Edge& e : n->next_edges) {
      if (!e.valid()) continue;
      deps[e.fn.get()] += 1;
      if (seen.insert(e.fn.get()).second) stack.push_back(e.fn.get());
    }
  }

  std::vector<Tensor> captured(captures.size());
  std::priority_queue<Node*, std::vector<Node*>, ByLatest> ready;
  {
    std::unordered_set<Node*> pushed;
    for (auto& r : roots)
      if (deps[r.get()] == 0 && pushed.insert(r.get()).second) ready.push(r.get());
  }
  std::vector<Node*> executed;
  CallbackScope callback_scope;
  NoGradGuard no_grad;
  // Backward formulas call ops:: functions; they must run in the dtypes the forward recorded,
  // so autocast is off while the graph runs (also when backward() is called inside a scope).
  amp::AutocastGuard no_autocast_cpu(DeviceType::CPU, std::nullopt, /*enabled=*/false);
  amp::AutocastGuard no_autocast_cuda(DeviceType::CUDA, std::nullopt, /*enabled=*/false);
  while (!ready.empty()) {
    Node* node = ready.top();
    ready.pop();
    std::vector<Tensor> grads = std::move(buffers[node]);
    buffers.erase(node);
    grads.resize(node->outputs.size());
    for (size_t i = 0; i < grads.size(); ++i) {
      if (!grads[i].defined()) {
        const OutputInfo& info = node->outputs[i];
        grads[i] = empty(info.shape, TensorOptions(info.dtype).device(info.device));
        grads[i].fill_(0);
      }
      if (i < node->pre_hooks.size()) {
        for (auto& hook : node->pre_hooks[i]) grads[i] = run_hook(hook, grads[i], "a hook registered on a tensor");
      }
    }
    if (capture_mode) {
      for (size_t c = 0; c < captures.size(); ++c)
        if (captures[c].node == node) captured[c] = grads[captures[c].input_nr];
      if (dynamic_cast<AccumulateGrad*>(node)) continue;  // grad() never touches .grad
    }
    std::vector<Tensor> in_grads = node->apply(std::move(grads));
    executed.push_back(node);
    SEEK_CHECK_T(AutogradError, in_grads.empty() || in_grads.size() == node->next_edges.size(), node->name(),
                 " returned ", in_grads.size(), " gradients but has ", node->next_edges.size(), " inputs");
    for (size_t i = 0; i < node->next_edges.size(); ++i) {
      const Edge& e = node->next_edges[i];
      if (!e.valid()) continue;
      Node* next = e.fn.get();
      if (i < in_grads.size() && in_grads[i].defined()) {
        const OutputInfo& info = next->outputs[e.input_nr];
        SEEK_CHECK_T(AutogradError, in_grads[i].sizes() == info.shape, node->name(),
                     " returned an invalid gradient at index ", i, ": got shape ", shape_str(in_grads[i].sizes()),
                     " but expected ", shape_str(info.shape));
        Tensor g = in_grads[i];
        if (g.dtype() != info.dtype) g = g.to(info.dtype);
        accumulate(next, e.input_nr, std::move(g));
      }
      if (--deps[next] == 0) ready.push(next);
    }
  }
  if (!retain_graph)
    for (Node* n : executed) n->release_saved();
  callback_scope.run_all();
  return captured;
}

}  // namespace

void queue_callback(std::function<void()> callback) {
  SEEK_CHECK_T(AutogradError, current_callbacks != nullptr,
               "queue_callback: no backward pass is running on this thread; a callback can only be queued from "
               "a hook (or another callback) while backward() runs");
  SEEK_CHECK_VALUE(static_cast<bool>(callback), "queue_callback: the callback is empty");
  current_callbacks->push_back(std::move(callback));
}

bool in_backward() { return current_callbacks != nullptr; }

void backward(const std::vector<Tensor>& outputs, const std::vector<Tensor>& grad_outputs, bool retain_graph) {
  run(outputs, grad_outputs, retain_graph, {});
}

std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs, bool retain_graph, bool allow_unused) {
  std::vector<Capture> captures;
  std::vector<Edge> edges;  // keep capture nodes alive while running
  for (size_t i = 0; i < inputs.size(); ++i) {
    Edge e = gradient_edge(inputs[i]);
    SEEK_CHECK_T(AutogradError, e.valid(), "grad: input ", i, " does not require grad");
    captures.push_back({e.fn.get(), e.input_nr});
    edges.push_back(e);
  }
  std::vector<Tensor> result = run(outputs, grad_outputs, retain_graph, captures);
  for (size_t i = 0; i < result.size(); ++i) {
    SEEK_CHECK_T(AutogradError, result[i].defined() || allow_unused, "grad: input ", i,
                 " appears not to have been used in the graph; set allow_unused=true if this is desired");
  }
  return result;
}

}  // namespace seek::autograd

#pragma once
// The backward graph: a Node per recorded op, with an Edge to the node of each
// differentiable input. Leaves end in an AccumulateGrad node.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "seek/core/tensor.h"

namespace seek::autograd {

struct Node;
using variable_list = std::vector<Tensor>;
using Hook = std::function<Tensor(const Tensor&)>;

struct Edge {
  std::shared_ptr<Node> fn;
  int input_nr = 0;  // which output of `fn` (= which input slot of fn's backward)
  bool valid() const { return fn != nullptr; }
};

// Shape, dtype and device of one forward output, to check and make gradients.
struct OutputInfo {
  Shape shape;
  DType dtype = kFloat32;
  Device device;
};

struct Node : std::enable_shared_from_this<Node> {
  Node();
  virtual ~Node() = default;
  // grads: one per forward output, each defined (the engine fills zeros).
  // Returns one gradient per next_edge; undefined where no gradient flows.
  virtual variable_list apply(variable_list&& grads) = 0;
  virtual std::string name() const = 0;
  // Frees saved tensors once backward ran without retain_graph.
  virtual void release_saved() {}

  std::vector<Edge> next_edges;
  std::vector<OutputInfo> outputs;
  std::vector<std::vector<Hook>> pre_hooks;  // per output: tensor hooks of non-leaf outputs
  uint64_t sequence_nr;                      // creation order; later nodes run first
};

// Accumulates the incoming gradient into a leaf's .grad (after the leaf's hooks).
struct AccumulateGrad : Node {
  explicit AccumulateGrad(const Tensor& leaf);
  variable_list apply(variable_list&& grads) override;
  std::string name() const override { return "AccumulateGrad"; }
  std::weak_ptr<TensorImpl> leaf;
};

// The backward of a recorded op, as a lambda capturing what it saved.
using BackwardFn = std::function<variable_list(const variable_list& grads, const std::vector<bool>& needs_input_grad)>;
struct LambdaNode : Node {
  LambdaNode(std::string name, BackwardFn fn) : name_(std::move(name)), fn_(std::move(fn)) {}
  variable_list apply(variable_list&& grads) override;
  std::string name() const override { return name_; }
  void release_saved() override { fn_ = nullptr; }

 private:
  std::string name_;
  BackwardFn fn_;
};

// The edge a gradient for `t` should flow along (invalid if t needs no grad).
Edge gradient_edge(const Tensor& t);

// hook(grad), or grad when the hook returns an undefined tensor; throws AutogradError naming `where`
// when the hook changed the gradient's shape, dtype or device.
Tensor run_hook(const Hook& hook, const Tensor& grad, const char* where);

}  // namespace seek::autograd

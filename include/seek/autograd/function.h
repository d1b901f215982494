#pragma once
// Helpers ops use to record their backward. A typical op:
//
//   Tensor out = ...compute...;
//   if (autograd::needs_grad({a, b}))
//     autograd::record("MulBackward", {a, b}, {out},
//         [sa = SavedTensor(a), sb = SavedTensor(b)](const variable_list& g, const std::vector<bool>& need) {
//           return variable_list{need[0] ? g[0] * sb.get() : Tensor(), need[1] ? g[0] * sa.get() : Tensor()};
//         });
//
// Backward lambdas run with grad mode off and are written with ops::, so they
// work on every backend.
#include <initializer_list>
#include <string>
#include <vector>

#include "seek/autograd/grad_mode.h"
#include "seek/autograd/node.h"
#include "seek/core/tensor.h"

namespace seek::autograd {

// A tensor kept for backward. It shares data and the version counter with the
// original, so an in-place write after saving is caught when backward runs.
class SavedTensor {
 public:
  SavedTensor() = default;
  explicit SavedTensor(const Tensor& t);
  const Tensor& get() const;  // throws AutogradError if modified in place since saved
  bool defined() const { return data_.defined(); }

 private:
  Tensor data_;
  uint64_t version_ = 0;
};

// True when grad mode is on and any defined input requires grad.
bool needs_grad(std::initializer_list<Tensor> inputs);
bool needs_grad(const std::vector<Tensor>& inputs);

// Makes a LambdaNode with edges to `inputs` and attaches it as grad_fn of `outputs`.
void record(const std::string& name, const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
            BackwardFn backward);

// In-place ops under autograd. `check_inplace` throws for in-place writes that
// autograd cannot track (a leaf that requires grad, a view of a tensor that
// requires grad) and returns whether history must be recorded.
bool check_inplace(const Tensor& self, std::initializer_list<Tensor> others, const char* op);
// Writes `result` (computed out of place from self.clone()) into self and moves
// self's history to result's node (then rebase_history for a view).
void commit_inplace(Tensor& self, const Tensor& result);
// After an in-place op recorded its node as self's grad_fn: when self is a view, rewrites its base's
// history (PyTorch's CopySlices): the base's new grad_fn passes the gradient of the elements outside
// the view to the base's old history and the view's elements to self's new node; self's grad_fn
// becomes the view of the base's new history. Does nothing for a tensor that is not a view.
void rebase_history(const Tensor& self);

// Reduces a broadcast gradient back to `shape` by summing over expanded dims.
Tensor sum_to(const Tensor& grad, const Shape& shape);

}  // namespace seek::autograd

#pragma once
// The nullable autograd record a TensorImpl carries once autograd has seen it.
#include <functional>
#include <memory>
#include <vector>

#include "seek/core/tensor.h"

namespace seek {

struct AutogradMeta {
  bool requires_grad = false;
  Tensor grad;
  std::shared_ptr<autograd::Node> grad_fn;                  // null for leaves
  std::weak_ptr<autograd::Node> grad_accumulator;           // leaves: their AccumulateGrad node
  int output_nr = 0;                                        // which output of grad_fn this is
  std::vector<std::function<Tensor(const Tensor&)>> hooks;  // leaf hooks, run before accumulation
  bool retains_grad = false;
};

// The record of `t`, created on first use.
AutogradMeta& autograd_meta(const Tensor& t);

}  // namespace seek

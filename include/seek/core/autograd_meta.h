#pragma once
// The nullable autograd record a TensorImpl carries once autograd has seen it.
#include <functional>
#include <memory>
#include <mutex>
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
  // Views: the base's grad_fn when this view's grad_fn was recorded. When the base's history has
  // changed since (an in-place op on the base or on another view of it), gradient_edge() regenerates
  // the view's grad_fn from the base's new history, as PyTorch does.
  std::weak_ptr<autograd::Node> view_base_grad_fn;
  // Guards `grad` itself (the handle, not the values) and `grad_accumulator`: forward and backward
  // passes on several threads may share a leaf while another thread reads, sets or clears its grad
  // (Hogwild training with threads). Accumulation adds in place through a held handle, outside the lock.
  std::mutex grad_mu;
};

// The record of `t`, created on first use.
AutogradMeta& autograd_meta(const Tensor& t);

}  // namespace seek

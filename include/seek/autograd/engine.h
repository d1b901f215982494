#pragma once
#include <functional>
#include <vector>

#include "seek/core/tensor.h"

namespace seek::autograd {

// Runs backward from `outputs`, accumulating into the .grad of reachable leaves.
// `grad_outputs[i]` may be undefined only for a one-element output (implicit 1).
void backward(const std::vector<Tensor>& outputs, const std::vector<Tensor>& grad_outputs = {},
              bool retain_graph = false);

// Returns d(outputs)/d(inputs) without touching any .grad (torch.autograd.grad).
// With allow_unused, an input that the outputs do not depend on gets an undefined tensor.
std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs = {}, bool retain_graph = false,
                         bool allow_unused = false);

// Queues `callback` to run when the backward pass that is running on this thread finishes, after every
// node ran (torch's Variable._execution_engine.queue_callback; DistributedDataParallel waits for its
// gradient all-reduces there). Callbacks run in the order queued, with grad mode off; one may queue more.
// Throws AutogradError outside a backward pass.
void queue_callback(std::function<void()> callback);
// True while a backward pass (backward() or grad()) runs on this thread.
bool in_backward();

}  // namespace seek::autograd

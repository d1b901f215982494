#pragma once
// Finite-difference check of an op's backward, in float64: seek::autograd::gradcheck, as
// torch.autograd.gradcheck. It runs ops (forward, backward, copies), so it lives above them.
#include <functional>
#include <string>
#include <vector>

#include "seek/core/tensor.h"

namespace seek::autograd {

struct GradcheckResult {
  bool ok = true;
  std::string message;  // on failure: which input, which element, analytical vs numerical
  double max_abs_error = 0.0;
};

// For L = sum(fn(inputs) * v) with a fixed pseudo-random v, compares dL/dx from
// backward with central differences (x +- eps) for every element of every
// input that requires grad. Inputs must be contiguous float64 CPU tensors; they
// are perturbed in place and restored. Passes when |a - n| <= atol + rtol * |n|.
GradcheckResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                          const std::vector<Tensor>& inputs, double eps = 1e-6, double atol = 1e-5, double rtol = 1e-3);

}  // namespace seek::autograd

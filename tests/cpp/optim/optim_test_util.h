#pragma once
// Fixture shared by the optimizer tests (header-only): a 4-element float64 parameter and the
// loss sum(coef * (p - target)^2), whose reference grad is 2 * coef * (p - target).
#include <cstdint>
#include <vector>

#include "seek/seek.h"
#include "support/test_util.h"

namespace seek::testing {

inline const std::vector<double> kTarget = {1.0, -2.0, 0.5, 3.0};
inline const std::vector<double> kCoef = {1.0, 0.5, 2.0, 0.25};
inline const std::vector<double> kInit = {0.3, 0.7, -1.2, 2.0};

// A 1-D float64 tensor of v that requires grad.
inline Tensor param(std::vector<double> v) {
  return tensor<double>(v, {static_cast<int64_t>(v.size())}).requires_grad_();
}
// The elements of a contiguous float64 tensor.
inline std::vector<double> values(const Tensor& t) {
  const double* d = t.data_ptr<double>();
  return std::vector<double>(d, d + t.numel());
}
// Clears p's grad, then backpropagates loss = sum(coef * (p - target)^2) into it.
inline void backward(const Tensor& p) {
  p.set_grad(Tensor());
  ((p - tensor<double>(kTarget, {4})).pow(2) * tensor<double>(kCoef, {4})).sum().backward();
}

}  // namespace seek::testing

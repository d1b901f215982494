#pragma once
// Whole-tensor comparisons, like torch.isclose / allclose / equal.
#include "seek/core/tensor.h"

namespace seek {

// Elementwise |a - b| <= atol + rtol * |b| (or a == b, which covers equal
// infinities), as a bool tensor of the broadcast shape. NaNs compare equal only
// with equal_nan. Unlike PyTorch, different dtypes are allowed: both sides are
// compared in their promoted dtype (integers and bool in float64, so the
// difference cannot overflow).
Tensor isclose(const Tensor& a, const Tensor& b, double rtol = 1e-5, double atol = 1e-8, bool equal_nan = false);
// Whether isclose holds for every element (a and b must broadcast).
bool allclose(const Tensor& a, const Tensor& b, double rtol = 1e-5, double atol = 1e-8, bool equal_nan = false);
// Same shape and every element equal after type promotion (NaN != NaN), like torch.equal.
bool equal(const Tensor& a, const Tensor& b);

}  // namespace seek

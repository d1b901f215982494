#pragma once
// Three-operand elementwise ops (where, clamp, lerp, addcmul, addcdiv).
#include "seek/core/macros.h"

namespace seek {

enum class TernaryOp {
  Where,    // out = a ? b : c   (a is bool)
  Clamp,    // out = min(max(a, b), c) with b/c lower/upper bounds
  Lerp,     // out = a + c * (b - a)
  Addcmul,  // out = a + value * b * c
  Addcdiv,  // out = a + value * b / c
};

struct TernaryParams {
  double value = 1.0;
};

const char* ternary_op_name(TernaryOp op);

}  // namespace seek

#pragma once
#include "seek/core/macros.h"

namespace seek {

enum class ReduceOp {
  Sum, Prod, Max, Min, All, Any,
  SumSquares,  // sum of x^2 (norm p=2 before the sqrt)
  SumAbsPow,   // sum of |x|^p, p in ReduceParams
  MaxAbs,      // max |x| (inf-norm)
};

struct ReduceParams {
  double p = 2.0;
};

const char* reduce_op_name(ReduceOp op);

}  // namespace seek

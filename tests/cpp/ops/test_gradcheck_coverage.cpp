#include <gtest/gtest.h>

#include "support/gradcheck_registry.h"

// Every differentiable op of the core must have at least one registered case
// (a case named "<op>" or "<op>_<variant>"). Adding an op means adding it here.
TEST(GradcheckCoverage, EveryDifferentiableOpHasACase) {
  const std::vector<std::string> ops = {
      // binary
      "add", "sub", "mul", "div", "pow", "maximum", "minimum",
      // unary
      "neg", "abs", "exp", "log", "log1p", "sqrt", "rsqrt", "sin", "cos", "tanh", "sigmoid", "relu", "gelu",
      "silu", "hardswish", "hardsigmoid", "softplus", "erf", "reciprocal", "square",
      // ternary
      "where", "clamp", "lerp", "addcmul", "addcdiv", "masked_fill",
      // reductions and softmax
      "sum", "mean", "prod", "max", "min", "amax", "amin", "var", "std", "norm", "logsumexp", "cumsum",
      "softmax", "log_softmax",
      // linear algebra
      "matmul", "mm", "bmm", "addmm", "mv", "dot", "outer",
      // conv and pool
      "conv2d", "conv_transpose2d", "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d",
      // norm
      "batch_norm", "group_norm",
      // joining, padding, sorting
      "cat", "stack", "split", "chunk", "unbind", "pad", "sort", "topk",
      // indexing
      "gather", "scatter", "scatter_add", "index_select", "index_add", "masked_select", "embedding", "index",
      "index_put",
      // views and copies
      "view", "reshape", "permute", "transpose", "slice", "select", "narrow", "expand", "squeeze", "flatten",
      "movedim", "clone", "contiguous", "to", "copy_"};
  std::vector<std::string> missing;
  for (const std::string& op : ops) {
    bool found = false;
    for (const auto& c : seek::testing::gradcheck_cases())
      found = found || c.name == op || c.name.rfind(op + "_", 0) == 0;
    if (!found) missing.push_back(op);
  }
  EXPECT_TRUE(missing.empty()) << "no gradcheck case for: " << ::testing::PrintToString(missing);
}

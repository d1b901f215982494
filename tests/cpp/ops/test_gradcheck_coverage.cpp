#include <gtest/gtest.h>

#include "seek/backend/binary_op.h"
#include "seek/backend/ternary_op.h"
#include "seek/backend/unary_op.h"
#include "support/gradcheck_registry.h"

// Every differentiable op of the core must have at least one registered case
// (a case named "<op>" or "<op>_<variant>"). The unary, binary and ternary ops come
// from their tables (seek/backend/<family>_op.h); the others are listed here.
TEST(GradcheckCoverage, EveryDifferentiableOpHasACase) {
  std::vector<std::string> ops = {"masked_fill",
                                  // reductions and softmax
                                  "sum", "mean", "prod", "max", "min", "amax", "amin", "var", "std", "norm",
                                  "logsumexp", "cumsum", "softmax", "log_softmax",
                                  // linear algebra
                                  "matmul", "mm", "bmm", "addmm", "mv", "dot", "outer",
                                  // conv and pool
                                  "conv2d", "conv_transpose2d", "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d",
                                  // norm
                                  "batch_norm", "group_norm",
                                  // joining, padding, sorting
                                  "cat", "stack", "split", "chunk", "unbind", "pad", "sort", "topk",
                                  // indexing
                                  "gather", "scatter", "scatter_add", "index_select", "index_add", "masked_select",
                                  "embedding", "index", "index_put",
                                  // views and copies
                                  "view", "reshape", "permute", "transpose", "slice", "select", "narrow", "expand",
                                  "squeeze", "flatten", "movedim", "clone", "contiguous", "to", "copy_",
                                  // issue 12: elementwise and reductions
                                  "nan_to_num", "median", "nanmedian", "cumprod", "std_mean", "var_mean", "aminmax",
                                  "clamp_tensor", "masked_fill_tensor",
                                  // issue 12: conv and pool (nn layers)
                                  "conv1d", "conv3d", "max_pool1d", "avg_pool1d", "max_pool3d", "avg_pool3d",
                                  "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_avg_pool1d",
                                  // more shape, linalg and indexing ops (seek/ops/*_extra.h)
                                  "flip", "fliplr", "flipud", "roll", "repeat", "tile", "tril", "triu",
                                  "repeat_interleave", "broadcast_to", "broadcast_tensors", "diagonal", "diag",
                                  "diag_embed", "meshgrid", "unfold", "rot90", "tensor_split", "einsum", "baddbmm",
                                  "addbmm", "tensordot", "kron", "vdot", "scatter_reduce", "take_along_dim",
                                  "index_fill", "masked_scatter", "index_put_accumulate"};
  for (seek::UnaryOp op : seek::kUnaryOps)
    if (seek::unary_op_differentiable(op)) ops.push_back(seek::unary_op_name(op));
  for (seek::BinaryOp op : seek::kBinaryOps)
    if (seek::binary_op_differentiable(op)) ops.push_back(seek::binary_op_name(op));
#define SEEK_TERNARY_NAME(E, name, kind) ops.push_back(#name);
  SEEK_TERNARY_OPS(SEEK_TERNARY_NAME)
#undef SEEK_TERNARY_NAME
  std::vector<std::string> missing;
  for (const std::string& op : ops) {
    bool found = false;
    for (const auto& c : seek::testing::gradcheck_cases())
      found = found || c.name == op || c.name.rfind(op + "_", 0) == 0;
    if (!found) missing.push_back(op);
  }
  EXPECT_TRUE(missing.empty()) << "no gradcheck case for: " << ::testing::PrintToString(missing);
}

#pragma once
// Every op of each enum-driven family, in one place, so that the backend tests run all of
// them. The table families (include/seek/backend/<family>_op.h) list themselves: unary and
// binary export kUnaryOps/kBinaryOps, ternary and reduce are expanded from their tables here.
// RandomOp has no table yet, so its list is written out.
#include <array>

#include "seek/seek.h"

namespace seek::backend_test {

using seek::kBinaryOps;
using seek::kUnaryOps;

inline constexpr TernaryOp kTernaryOps[] = {
#define SEEK_TEST_TERNARY(E, ...) TernaryOp::E,
    SEEK_TERNARY_OPS(SEEK_TEST_TERNARY)
#undef SEEK_TEST_TERNARY
};

inline constexpr ReduceOp kReduceOps[] = {
#define SEEK_TEST_REDUCE(E, ...) ReduceOp::E,
    SEEK_REDUCE_OPS(SEEK_TEST_REDUCE)
#undef SEEK_TEST_REDUCE
};

inline constexpr std::array kRandomOps = {RandomOp::Uniform, RandomOp::Normal, RandomOp::Bernoulli, RandomOp::RandInt};

}  // namespace seek::backend_test

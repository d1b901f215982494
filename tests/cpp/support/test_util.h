#pragma once
// Small helpers shared by the C++ tests (header-only).
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "seek/seek.h"

// Runs stmt and expects an exception of Type whose what() contains `words`.
#define EXPECT_SEEK_ERROR(stmt, Type, words)                                              \
  do {                                                                                    \
    try {                                                                                 \
      stmt;                                                                               \
      ADD_FAILURE() << "expected " #Type " from " #stmt;                                  \
    } catch (const Type& e) {                                                             \
      EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();        \
    }                                                                                     \
  } while (0)

namespace seek::testing {

// Deterministic values in [lo, hi): a 64-bit LCG (Knuth's MMIX constants), the top 53 bits
// of each state scaled to [0, 1). The sequence is fixed; tests depend on it not changing.
inline std::vector<double> uniform_values(size_t n, double lo, double hi, uint64_t seed) {
  std::vector<double> v(n);
  uint64_t s = seed;
  for (auto& x : v) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    x = lo + (hi - lo) * (static_cast<double>(s >> 11) / 9007199254740992.0);
  }
  return v;
}

// uniform_values in row-major order as a tensor of `shape`, made in float64 and converted to dtype.
inline Tensor uniform_tensor(const Shape& shape, double lo, double hi, DType dtype = kFloat64, uint64_t seed = 7) {
  return tensor<double>(uniform_values(static_cast<size_t>(shape_numel(shape)), lo, hi, seed), shape).to(dtype);
}

}  // namespace seek::testing

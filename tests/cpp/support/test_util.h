#pragma once
// Small helpers shared by the C++ tests (header-only).
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <initializer_list>
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

// Runs stmt and expects an exception of Type whose what() contains every one of the words, given
// as a braced list: EXPECT_SEEK_ERROR_ALL(t.sum(2), IndexError, {"sum", "got 2"}). Any other
// std::exception is reported as a failure here rather than escaping the test.
#define EXPECT_SEEK_ERROR_ALL(stmt, Type, ...)                                            \
  do {                                                                                    \
    try {                                                                                 \
      stmt;                                                                               \
      ADD_FAILURE() << "expected " #Type " from " #stmt;                                  \
    } catch (const Type& e) {                                                             \
      const std::string msg_ = e.what();                                                  \
      for (const std::string& w_ : std::initializer_list<std::string> __VA_ARGS__)        \
        EXPECT_NE(msg_.find(w_), std::string::npos) << "'" << w_ << "' not in: " << msg_; \
    } catch (const std::exception& e) {                                                   \
      ADD_FAILURE() << "wrong exception type from " #stmt ": " << e.what();               \
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

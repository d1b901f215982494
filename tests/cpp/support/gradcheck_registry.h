#pragma once
// One gradcheck harness for every differentiable op (like ggml's test-backend-ops):
// each family file registers cases with SEEK_GRADCHECK_CASE, and
// support/gradcheck_runner.cpp runs them all as All/Gradcheck.MatchesFiniteDifferences/<name>.
// `ctest -R Gradcheck` lists which ops are covered.
#include <functional>
#include <string>
#include <vector>

#include "seek/seek.h"

namespace seek::testing {

struct GradcheckCase {
  std::string name;           // op name plus a variant, e.g. "sum_dim1_keepdim"
  std::vector<Shape> shapes;  // one float64 input per shape, each requiring grad
  std::function<Tensor(const std::vector<Tensor>&)> fn;
  double lo = -1.0, hi = 1.0;  // inputs drawn uniformly from [lo, hi)
  double atol = 1e-5, rtol = 1e-3;
};

// gtest prints a parameter with this instead of its bytes.
inline void PrintTo(const GradcheckCase& c, std::ostream* os) { *os << c.name; }

std::vector<GradcheckCase>& gradcheck_cases();
bool register_gradcheck(GradcheckCase c);

// Deterministic uniform float64 input in [lo, hi) that requires grad.
Tensor gradcheck_input(const Shape& shape, double lo, double hi, uint64_t seed);

}  // namespace seek::testing

#define SEEK_GC_CAT2(a, b) a##b
#define SEEK_GC_CAT(a, b) SEEK_GC_CAT2(a, b)
// SEEK_GRADCHECK_CASE({"exp", {{2, 3}}, [](auto& x) { return x[0].exp(); }});
#define SEEK_GRADCHECK_CASE(...) \
  static const bool SEEK_GC_CAT(seek_gc_registered_, __LINE__) = ::seek::testing::register_gradcheck(__VA_ARGS__)

#include "support/gradcheck_registry.h"

#include "support/test_util.h"

namespace seek::testing {

std::vector<GradcheckCase>& gradcheck_cases() {
  static std::vector<GradcheckCase> cases;
  return cases;
}

bool register_gradcheck(GradcheckCase c) {
  gradcheck_cases().push_back(std::move(c));
  return true;
}

Tensor gradcheck_input(const Shape& shape, double lo, double hi, uint64_t seed) {
  Tensor t = uniform_tensor(shape, lo, hi, kFloat64, seed * 0x9E3779B97F4A7C15ull + 1);
  t.requires_grad_(true);
  return t;
}

}  // namespace seek::testing

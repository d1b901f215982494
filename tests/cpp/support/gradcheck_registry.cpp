#include "support/gradcheck_registry.h"

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
  Tensor t = empty(shape, kFloat64);
  double* p = static_cast<double*>(t.data_ptr());
  uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
  for (int64_t i = 0; i < t.numel(); ++i) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    p[i] = lo + (hi - lo) * (static_cast<double>(s >> 11) / 9007199254740992.0);
  }
  t.requires_grad_(true);
  return t;
}

}  // namespace seek::testing

// Runs every gradcheck case registered in the test binary it is linked into
// (see support/gradcheck_registry.h; tests/CMakeLists.txt adds it to test_ops and test_nn).
#include <gtest/gtest.h>

#include "support/gradcheck_registry.h"

using seek::testing::GradcheckCase;

class Gradcheck : public ::testing::TestWithParam<GradcheckCase> {};

TEST_P(Gradcheck, MatchesFiniteDifferences) {
  const GradcheckCase& c = GetParam();
  std::vector<seek::Tensor> inputs;
  for (size_t i = 0; i < c.shapes.size(); ++i)
    inputs.push_back(seek::testing::gradcheck_input(c.shapes[i], c.lo, c.hi, 17 + i));
  auto r = seek::autograd::gradcheck(c.fn, inputs, 1e-6, c.atol, c.rtol);
  EXPECT_TRUE(r.ok) << c.name << ": " << r.message;
}

INSTANTIATE_TEST_SUITE_P(All, Gradcheck, ::testing::ValuesIn(seek::testing::gradcheck_cases()),
                         [](const ::testing::TestParamInfo<GradcheckCase>& info) { return info.param.name; });

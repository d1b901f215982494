#pragma once
// Input/parameter setup and checks shared by the attention and transformer tests
// (test_attention.cpp, test_transformer.cpp, gradcheck_attention.cpp), header-only.
// inp() and fill_params() reproduce gen_attention_ref.py's inputs exactly.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "seek/seek.h"
#include "support/test_util.h"

namespace seek::testing {

// Input tensors as gen_attention_ref.py's inp(shape, seed).
inline Tensor inp(const Shape& shape, uint64_t seed) { return uniform_tensor(shape, -1.0, 1.0, kFloat64, seed); }

// Parameter i in state_dict order gets uniform [-0.5, 0.5) values with seed 100 + i, as
// gen_attention_ref.py's fill_params().
inline void fill_params(nn::Module& m) {
  nn::StateDict values;
  uint64_t seed = 100;
  for (const auto& [name, t] : m.state_dict())
    values.push_back({name, uniform_tensor(t.sizes(), -0.5, 0.5, kFloat64, seed++)});
  m.load_state_dict(values);
}

// A bool mask of `shape` from 0/1 values (true = nonzero).
inline Tensor bool_mask(const std::vector<int64_t>& v, const Shape& shape) { return tensor<int64_t>(v, shape).ne(0); }

// t is defined, has `shape`, and every element is within tol of `want`.
inline void expect_values(const Tensor& t, const Shape& shape, const std::vector<double>& want, double tol = 1e-10) {
  ASSERT_TRUE(t.defined());
  ASSERT_EQ(shape_str(t.sizes()), shape_str(shape));
  std::vector<double> got = to_vector<double>(t);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "element " << i;
}

// The module's state_dict keys in order.
inline std::vector<std::string> keys(const nn::Module& m) {
  std::vector<std::string> k;
  for (const auto& [name, t] : m.state_dict()) k.push_back(name);
  return k;
}

}  // namespace seek::testing

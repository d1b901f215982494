#pragma once
// Helpers shared by the image-transform tests (header-only): the reference image that
// gen_transforms_ref.py generates and an element-wise closeness check.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "seek/seek.h"

namespace seek::testing {

// The generator's test image: value k (row-major) is ((k * 37) % 101) / 100.
inline Tensor ref_image(int64_t c, int64_t h, int64_t w, DType dtype = kFloat64) {
  std::vector<double> v(static_cast<size_t>(c * h * w));
  for (size_t k = 0; k < v.size(); ++k) v[k] = static_cast<double>((k * 37) % 101) / 100.0;
  return tensor(v, {c, h, w}, TensorOptions(kFloat64)).to(dtype);
}

// Every element of `got` (read as float64) within tol of `want`, same element count.
inline void expect_near_all(const Tensor& got, const std::vector<double>& want, double tol) {
  auto v = to_vector<double>(got);
  ASSERT_EQ(v.size(), want.size());
  for (size_t i = 0; i < v.size(); ++i) EXPECT_NEAR(v[i], want[i], tol) << "element " << i;
}

}  // namespace seek::testing

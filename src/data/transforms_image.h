#pragma once
// Private to the CPU image transforms (transforms_geometric.cpp,
// transforms_color.cpp): a [C, H, W] image read into float64 and written back.
#include <vector>

#include "seek/core/error.h"
#include "seek/core/tensor.h"
#include "seek/ops/creation.h"

namespace seek::data::transforms::detail {

// A CPU floating [C, H, W] image copied to float64, row-major.
struct Image {
  int64_t c, h, w;
  std::vector<double> v;
  double at(int64_t ch, int64_t y, int64_t x) const { return v[static_cast<size_t>((ch * h + y) * w + x)]; }
};

// Throws unless x is a floating CPU [C, H, W] tensor (any strides).
inline void check_image(const char* op, const Tensor& x) {
  SEEK_CHECK_SHAPE(x.defined() && x.dim() == 3, op, ": expected an image tensor [C, H, W], got ",
                   x.defined() ? x.dim() : 0, "-D");
  SEEK_CHECK_T(DeviceError, x.is_cpu(), op, ": expected a CPU tensor (a data-pipeline transform), got ", x.device());
  SEEK_CHECK_DTYPE(is_floating(x.dtype()), op, ": expected a floating image, got ", x.dtype());
}

inline Image read_image(const char* op, const Tensor& x) {
  check_image(op, x);
  return {x.size(0), x.size(1), x.size(2), to_vector<double>(x)};
}

inline Tensor write_image(const std::vector<double>& v, int64_t c, int64_t h, int64_t w, DType dtype) {
  return tensor(v, {c, h, w}, TensorOptions(kFloat64)).to(dtype);
}

}  // namespace seek::data::transforms::detail

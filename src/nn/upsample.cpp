// Interpolation as gathers: every output coordinate along a spatial dim maps to
// source indices (computed on the host, like torch's CPU kernels, in float),
// applied with index_select so that backward is index_add through autograd.
#include "seek/nn/upsample.h"

#include <cmath>
#include <type_traits>

#include "seek/core/error.h"
#include "seek/core/shape_util.h"
#include "seek/ops/creation.h"
#include "seek/ops/index.h"
#include "seek/ops/ternary.h"

namespace seek::nn::functional {

namespace {

Tensor index_tensor(const std::vector<int64_t>& idx, Device device) {
  return tensor<int64_t>(idx, {static_cast<int64_t>(idx.size())}).to(device);
}

// Coordinate scale as torch's area_pixel_compute_scale.
float pixel_scale(int64_t in, int64_t out, std::optional<double> sf, bool align_corners) {
  if (align_corners) return out > 1 ? static_cast<float>(in - 1) / static_cast<float>(out - 1) : 0.0f;
  return sf ? static_cast<float>(1.0 / *sf) : static_cast<float>(in) / static_cast<float>(out);
}

Tensor nearest_dim(const Tensor& x, int64_t dim, int64_t out, float scale) {
  const int64_t in = x.size(dim);
  std::vector<int64_t> idx(static_cast<size_t>(out));
  for (int64_t o = 0; o < out; ++o)
    idx[o] = std::min(static_cast<int64_t>(std::floor(static_cast<float>(o) * scale)), in - 1);
  return x.index_select(dim, index_tensor(idx, x.device()));
}

Tensor linear_dim(const Tensor& x, int64_t dim, int64_t out, float scale, bool align_corners) {
  const int64_t in = x.size(dim);
  std::vector<int64_t> i0(static_cast<size_t>(out)), i1(static_cast<size_t>(out));
  std::vector<double> lam(static_cast<size_t>(out));
  for (int64_t o = 0; o < out; ++o) {
    float src = align_corners ? scale * static_cast<float>(o) : scale * (static_cast<float>(o) + 0.5f) - 0.5f;
    if (src < 0) src = 0;
    int64_t lo = std::min(static_cast<int64_t>(src), in - 1);
    i0[o] = lo;
    i1[o] = lo < in - 1 ? lo + 1 : lo;
    lam[o] = static_cast<double>(src - static_cast<float>(lo));
  }
  Shape ls(static_cast<size_t>(x.dim()), 1);
  ls[static_cast<size_t>(dim)] = out;
  Tensor l = tensor<double>(lam, {out}).reshape(ls).to(x.device(), x.dtype());
  Tensor a = x.index_select(dim, index_tensor(i0, x.device()));
  Tensor b = x.index_select(dim, index_tensor(i1, x.device()));
  return addcmul(a, b - a, l);
}

}  // namespace

Tensor interpolate(const Tensor& input, const std::optional<std::vector<int64_t>>& size,
                   const std::optional<std::vector<double>>& scale_factor, const std::string& mode,
                   std::optional<bool> align_corners) {
  SEEK_CHECK_VALUE(input.defined(), "interpolate: input must be defined");
  SEEK_CHECK_VALUE(mode == "nearest" || mode == "bilinear", "interpolate: mode must be 'nearest' or 'bilinear', got '",
                   mode, "'");
  SEEK_CHECK_VALUE(size.has_value() != scale_factor.has_value(),
                   size ? "interpolate: only one of size or scale_factor should be defined"
                        : "interpolate: either size or scale_factor should be defined");
  SEEK_CHECK_VALUE(mode != "nearest" || !align_corners.has_value(),
                   "interpolate: align_corners option can only be set with the interpolating modes: bilinear");
  const int64_t nd = input.dim();
  SEEK_CHECK_SHAPE(nd >= 3 && nd <= 5, "interpolate: expected 3D, 4D or 5D input [N, C, *spatial], got ",
                   shape_str(input.sizes()));
  SEEK_CHECK_SHAPE(mode != "bilinear" || nd == 4, "interpolate: got ", nd, "D input, but bilinear mode needs 4D input");
  SEEK_CHECK_DTYPE(input.is_floating_point(), "interpolate: input must be floating, got ", dtype_name(input.dtype()));
  const size_t spatial = static_cast<size_t>(nd - 2);
  const size_t given = size ? size->size() : scale_factor->size();
  SEEK_CHECK_VALUE(given == 1 || given == spatial, "interpolate: ", size ? "size" : "scale_factor", " must have 1 or ",
                   spatial, " values for input ", shape_str(input.sizes()), ", got ", given);
  Tensor y = input;
  for (size_t i = 0; i < spatial; ++i) {
    const int64_t dim = static_cast<int64_t>(i) + 2, in = input.size(dim);
    const size_t k = given == 1 ? 0 : i;
    std::optional<double> sf;
    int64_t out;
    if (size) {
      out = (*size)[k];
    } else {
      sf = (*scale_factor)[k];
      SEEK_CHECK_VALUE(*sf > 0 && std::isfinite(*sf), "interpolate: scale_factor must be positive, got ", *sf);
      out = static_cast<int64_t>(std::floor(static_cast<double>(in) * *sf));
    }
    SEEK_CHECK_VALUE(out > 0 && in > 0, "interpolate: input ", shape_str(input.sizes()),
                     " and output sizes should be greater than 0, got output size ", out, " for dim ", dim);
    const bool ac = align_corners.value_or(false);
    const float s = pixel_scale(in, out, sf, mode == "bilinear" && ac);
    y = mode == "nearest" ? nearest_dim(y, dim, out, s) : linear_dim(y, dim, out, s, ac);
  }
  return y;
}

}  // namespace seek::nn::functional

namespace seek::nn {

Upsample::Upsample(std::optional<std::vector<int64_t>> size, std::optional<std::vector<double>> scale_factor,
                   std::string mode, std::optional<bool> align_corners)
    : Module("Upsample"),
      size_(std::move(size)),
      scale_(std::move(scale_factor)),
      mode_(std::move(mode)),
      align_corners_(align_corners) {
  SEEK_CHECK_VALUE(mode_ == "nearest" || mode_ == "bilinear", "Upsample: mode must be 'nearest' or 'bilinear', got '",
                   mode_, "'");
  SEEK_CHECK_VALUE(size_.has_value() != scale_.has_value(),
                   "Upsample: exactly one of size or scale_factor should be defined");
}

Tensor Upsample::forward(const Tensor& input) {
  return functional::interpolate(input, size_, scale_, mode_, align_corners_);
}

std::string Upsample::extra_repr() const {
  // Python prints floats with a decimal point: 2.0, not 2.
  auto item = [](auto v) {
    std::string s = str(v);
    if constexpr (std::is_floating_point_v<decltype(v)>)
      if (s.find_first_of(".en") == std::string::npos) s += ".0";
    return s;
  };
  auto list = [&](const auto& v) {
    if (v.size() == 1) return item(v[0]);
    std::string s = "(";
    for (size_t i = 0; i < v.size(); ++i) s += str(i ? ", " : "", item(v[i]));
    return s + ")";
  };
  std::string s = size_ ? str("size=", list(*size_)) : str("scale_factor=", list(*scale_));
  return str(s, ", mode='", mode_, "'");
}

}  // namespace seek::nn

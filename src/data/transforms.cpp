// Normalize, RandomCrop, RandomHorizontalFlip, Compose.
#include "seek/data/transforms.h"

#include <algorithm>

#include "seek/core/error.h"
#include "seek/ops/creation.h"
#include "seek/ops/index.h"
#include "seek/ops/random.h"
#include "seek/ops/shape.h"

namespace seek::data::transforms {
namespace {

void check_chw(const char* op, const Tensor& x) {
  SEEK_CHECK_SHAPE(x.defined() && x.dim() == 3, op, ": expected an image tensor [C, H, W], got ",
                   x.defined() ? x.dim() : 0, "-D");
}

}  // namespace

Normalize::Normalize(std::vector<double> mean, std::vector<double> std) : mean_(std::move(mean)), std_(std::move(std)) {
  SEEK_CHECK_VALUE(!mean_.empty() && mean_.size() == std_.size(), "Normalize: mean has ", mean_.size(),
                   " values and std has ", std_.size(), ", expected the same non-zero number");
  for (size_t c = 0; c < std_.size(); ++c) SEEK_CHECK_VALUE(std_[c] != 0.0, "Normalize: std[", c, "] is 0");
}

Tensor Normalize::operator()(const Tensor& x, Generator*) const {
  check_chw("Normalize", x);
  SEEK_CHECK_DTYPE(is_floating(x.dtype()), "Normalize: expected a floating tensor, got ", x.dtype());
  const int64_t c = x.size(0);
  const auto n = static_cast<int64_t>(mean_.size());
  SEEK_CHECK_SHAPE(n == 1 || n == c, "Normalize: ", n, " mean/std values for an image with ", c, " channels");
  Tensor mean = tensor(mean_, {n, 1, 1}, TensorOptions(kFloat64)).to(x.dtype());
  Tensor std = tensor(std_, {n, 1, 1}, TensorOptions(kFloat64)).to(x.dtype());
  return (x - mean) / std;
}

RandomCrop::RandomCrop(int64_t size, int64_t padding) : RandomCrop(size, size, padding) {}

RandomCrop::RandomCrop(int64_t height, int64_t width, int64_t padding)
    : height_(height), width_(width), padding_(padding) {
  SEEK_CHECK_VALUE(height > 0 && width > 0, "RandomCrop: size must be positive, got ", height, "x", width);
  SEEK_CHECK_VALUE(padding >= 0, "RandomCrop: padding must be >= 0, got ", padding);
}

Tensor RandomCrop::operator()(const Tensor& x, Generator* generator) const {
  check_chw("RandomCrop", x);
  const int64_t h = x.size(1) + 2 * padding_, w = x.size(2) + 2 * padding_;
  SEEK_CHECK_SHAPE(height_ <= h && width_ <= w, "RandomCrop: crop ", height_, "x", width_,
                   " is larger than the padded image ", h, "x", w);
  Tensor padded = padding_ > 0 ? pad(x, {padding_, padding_, padding_, padding_}) : x;
  // One f64 rand draw of two elements: element 0 -> top, element 1 -> left.
  auto u = to_vector<double>(rand({2}, TensorOptions(kFloat64), generator));
  int64_t top = std::min<int64_t>(static_cast<int64_t>(u[0] * static_cast<double>(h - height_ + 1)), h - height_);
  int64_t left = std::min<int64_t>(static_cast<int64_t>(u[1] * static_cast<double>(w - width_ + 1)), w - width_);
  return padded.narrow(1, top, height_).narrow(2, left, width_).contiguous();
}

RandomHorizontalFlip::RandomHorizontalFlip(double p) : p_(p) {
  SEEK_CHECK_VALUE(p >= 0.0 && p <= 1.0, "RandomHorizontalFlip: p must be in [0, 1], got ", p);
}

Tensor RandomHorizontalFlip::operator()(const Tensor& x, Generator* generator) const {
  check_chw("RandomHorizontalFlip", x);
  bool flip = bernoulli({1}, p_, TensorOptions(kFloat64), generator).item<double>() != 0.0;
  return flip ? hflip(x) : x;
}

Tensor hflip(const Tensor& x) {
  SEEK_CHECK_SHAPE(x.defined() && x.dim() >= 1, "hflip: expected a tensor with at least one dimension");
  const int64_t w = x.size(-1);
  if (w <= 1) return x.clone();
  Tensor idx = arange(w - 1, -1, -1, TensorOptions(kInt64));
  return index_select(x, x.dim() - 1, idx);
}

Compose::Compose(std::vector<Transform> transforms) : transforms_(std::move(transforms)) {
  for (size_t i = 0; i < transforms_.size(); ++i)
    SEEK_CHECK_VALUE(static_cast<bool>(transforms_[i]), "Compose: transform ", i, " is empty");
}

Tensor Compose::operator()(const Tensor& x, Generator* generator) const {
  Tensor out = x;
  for (const auto& t : transforms_) out = t(out, generator);
  return out;
}

}  // namespace seek::data::transforms

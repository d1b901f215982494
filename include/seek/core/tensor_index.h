#pragma once
// Python-style indexing from C++: t.index({0, Slice(1, None, 2), None, Ellipsis, mask}).
#include <optional>
#include <type_traits>

#include "seek/core/tensor.h"

namespace seek {

struct NoneIndex {};      // inserts a new dimension of size 1
struct EllipsisIndex {};  // stands for as many full slices as needed
inline constexpr NoneIndex None{};
inline constexpr EllipsisIndex Ellipsis{};

// A slice bound: an integer, or None / std::nullopt for "to the end", so that
// Slice(1, None, 2) reads like Python's 1::2.
struct SliceBound {
  std::optional<int64_t> value;
  SliceBound(std::nullopt_t = std::nullopt) {}
  SliceBound(NoneIndex) {}
  SliceBound(std::optional<int64_t> v) : value(v) {}
  template <typename T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, int> = 0>
  SliceBound(T v) : value(static_cast<int64_t>(v)) {}
};

struct Slice {
  std::optional<int64_t> start, stop;
  int64_t step = 1;
  Slice(SliceBound start_ = {}, SliceBound stop_ = {}, int64_t step_ = 1)
      : start(start_.value), stop(stop_.value), step(step_) {}
};

struct TensorIndex {
  enum class Kind { Integer, Slice, None, Ellipsis, Boolean, Tensor };
  Kind kind;
  int64_t integer = 0;
  seek::Slice slice;
  bool boolean = false;
  seek::Tensor tensor;  // integer index tensor or boolean mask

  TensorIndex(int64_t i) : kind(Kind::Integer), integer(i) {}
  TensorIndex(int i) : kind(Kind::Integer), integer(i) {}
  TensorIndex(bool b) : kind(Kind::Boolean), boolean(b) {}
  TensorIndex(seek::Slice s) : kind(Kind::Slice), slice(s) {}
  TensorIndex(NoneIndex) : kind(Kind::None) {}
  TensorIndex(EllipsisIndex) : kind(Kind::Ellipsis) {}
  TensorIndex(const seek::Tensor& t) : kind(Kind::Tensor), tensor(t) {}
};

}  // namespace seek

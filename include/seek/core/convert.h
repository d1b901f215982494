#pragma once
// Value conversion between any two element types, including the 16-bit floats
// (which convert through float) and bool (non-zero is true).
#include <type_traits>

#include "seek/core/half.h"
#include "seek/core/macros.h"

namespace seek {

template <typename T>
constexpr bool is_reduced_float_v = std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>;

template <typename To, typename From>
SEEK_HOST_DEVICE SEEK_INLINE To convert(From v) {
  if constexpr (std::is_same_v<To, From>) {
    return v;
  } else if constexpr (is_reduced_float_v<From>) {
    return convert<To>(static_cast<float>(v));
  } else if constexpr (std::is_same_v<To, bool>) {
    return v != From(0);
  } else if constexpr (is_reduced_float_v<To>) {
    return To(static_cast<float>(v));
  } else {
    return static_cast<To>(v);
  }
}

}  // namespace seek

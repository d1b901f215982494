#pragma once
#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string>

#include "seek/core/half.h"

namespace seek {

enum class DType : int8_t { Bool, UInt8, Int8, Int16, Int32, Int64, Float16, BFloat16, Float32, Float64 };
constexpr int kNumDTypes = 10;

constexpr DType kBool = DType::Bool;
constexpr DType kUInt8 = DType::UInt8;
constexpr DType kInt8 = DType::Int8;
constexpr DType kInt16 = DType::Int16;
constexpr DType kInt32 = DType::Int32;
constexpr DType kInt64 = DType::Int64;
constexpr DType kFloat16 = DType::Float16;
constexpr DType kBFloat16 = DType::BFloat16;
constexpr DType kFloat32 = DType::Float32;
constexpr DType kFloat64 = DType::Float64;
// Short aliases as in the issue texts.
constexpr DType kF32 = DType::Float32;
constexpr DType kF64 = DType::Float64;
constexpr DType kF16 = DType::Float16;
constexpr DType kBF16 = DType::BFloat16;
constexpr DType kI64 = DType::Int64;
constexpr DType kI32 = DType::Int32;

size_t dtype_size(DType t);
const char* dtype_name(DType t);  // "float32", "int64", ...
bool is_floating(DType t);
bool is_integral(DType t, bool include_bool = false);
// PyTorch's promotion of two tensor dtypes (no scalars involved).
DType promote_types(DType a, DType b);
// The type arithmetic is carried out in: float for f16/bf16, the type itself otherwise.
DType acc_type(DType t);
std::ostream& operator<<(std::ostream& os, DType t);

template <typename T>
struct dtype_of;
// dtype_of<T>::value: the DType that stores T.
#define SEEK_DTYPE_OF(T, dt)           \
  template <>                          \
  struct dtype_of<T> {                 \
    static constexpr DType value = dt; \
  };
SEEK_DTYPE_OF(bool, kBool)
SEEK_DTYPE_OF(uint8_t, kUInt8)
SEEK_DTYPE_OF(int8_t, kInt8)
SEEK_DTYPE_OF(int16_t, kInt16)
SEEK_DTYPE_OF(int32_t, kInt32)
SEEK_DTYPE_OF(int64_t, kInt64)
SEEK_DTYPE_OF(Half, kFloat16)
SEEK_DTYPE_OF(BFloat16, kBFloat16)
SEEK_DTYPE_OF(float, kFloat32)
SEEK_DTYPE_OF(double, kFloat64)
#undef SEEK_DTYPE_OF

// Arithmetic type for a storage type: float for 16-bit floats.
template <typename T>
struct acc_of {
  using type = T;
};
template <>
struct acc_of<Half> {
  using type = float;
};
template <>
struct acc_of<BFloat16> {
  using type = float;
};
template <typename T>
using acc_t = typename acc_of<T>::type;

}  // namespace seek

// SEEK_DISPATCH_ALL(dtype, "opname", [&]<typename scalar_t>() { ... }) style is not
// available in C++17 lambdas everywhere, so dispatch macros bind `scalar_t` instead.
#define SEEK_DTYPE_CASE(enum_v, type, ...) \
  case enum_v: {                           \
    using scalar_t = type;                 \
    __VA_ARGS__();                         \
    break;                                 \
  }

#define SEEK_DISPATCH_FLOATING(DT, NAME, ...)                                                                       \
  do {                                                                                                              \
    switch (DT) {                                                                                                   \
      SEEK_DTYPE_CASE(::seek::DType::Float32, float, __VA_ARGS__)                                                   \
      SEEK_DTYPE_CASE(::seek::DType::Float64, double, __VA_ARGS__)                                                  \
      SEEK_DTYPE_CASE(::seek::DType::Float16, ::seek::Half, __VA_ARGS__)                                            \
      SEEK_DTYPE_CASE(::seek::DType::BFloat16, ::seek::BFloat16, __VA_ARGS__)                                       \
      default:                                                                                                      \
        throw ::seek::DTypeError(std::string(NAME) + ": expected a floating dtype, got " + ::seek::dtype_name(DT)); \
    }                                                                                                               \
  } while (0)

#define SEEK_DISPATCH_ALL(DT, NAME, ...)                                            \
  do {                                                                              \
    switch (DT) {                                                                   \
      SEEK_DTYPE_CASE(::seek::DType::Float32, float, __VA_ARGS__)                   \
      SEEK_DTYPE_CASE(::seek::DType::Float64, double, __VA_ARGS__)                  \
      SEEK_DTYPE_CASE(::seek::DType::Float16, ::seek::Half, __VA_ARGS__)            \
      SEEK_DTYPE_CASE(::seek::DType::BFloat16, ::seek::BFloat16, __VA_ARGS__)       \
      SEEK_DTYPE_CASE(::seek::DType::Int64, int64_t, __VA_ARGS__)                   \
      SEEK_DTYPE_CASE(::seek::DType::Int32, int32_t, __VA_ARGS__)                   \
      SEEK_DTYPE_CASE(::seek::DType::Int16, int16_t, __VA_ARGS__)                   \
      SEEK_DTYPE_CASE(::seek::DType::Int8, int8_t, __VA_ARGS__)                     \
      SEEK_DTYPE_CASE(::seek::DType::UInt8, uint8_t, __VA_ARGS__)                   \
      SEEK_DTYPE_CASE(::seek::DType::Bool, bool, __VA_ARGS__)                       \
      default: throw ::seek::DTypeError(std::string(NAME) + ": unsupported dtype"); \
    }                                                                               \
  } while (0)

// All numeric types but bool.
#define SEEK_DISPATCH_NUMERIC(DT, NAME, ...)                                                                        \
  do {                                                                                                              \
    switch (DT) {                                                                                                   \
      SEEK_DTYPE_CASE(::seek::DType::Float32, float, __VA_ARGS__)                                                   \
      SEEK_DTYPE_CASE(::seek::DType::Float64, double, __VA_ARGS__)                                                  \
      SEEK_DTYPE_CASE(::seek::DType::Float16, ::seek::Half, __VA_ARGS__)                                            \
      SEEK_DTYPE_CASE(::seek::DType::BFloat16, ::seek::BFloat16, __VA_ARGS__)                                       \
      SEEK_DTYPE_CASE(::seek::DType::Int64, int64_t, __VA_ARGS__)                                                   \
      SEEK_DTYPE_CASE(::seek::DType::Int32, int32_t, __VA_ARGS__)                                                   \
      SEEK_DTYPE_CASE(::seek::DType::Int16, int16_t, __VA_ARGS__)                                                   \
      SEEK_DTYPE_CASE(::seek::DType::Int8, int8_t, __VA_ARGS__)                                                     \
      SEEK_DTYPE_CASE(::seek::DType::UInt8, uint8_t, __VA_ARGS__)                                                   \
      default: throw ::seek::DTypeError(std::string(NAME) + ": not supported for dtype " + ::seek::dtype_name(DT)); \
    }                                                                                                               \
  } while (0)

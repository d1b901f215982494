#include "seek/core/dtype.h"

#include "seek/core/error.h"

namespace seek {

size_t dtype_size(DType t) {
  switch (t) {
    case kBool:
    case kUInt8:
    case kInt8: return 1;
    case kInt16:
    case kFloat16:
    case kBFloat16: return 2;
    case kInt32:
    case kFloat32: return 4;
    case kInt64:
    case kFloat64: return 8;
  }
  throw DTypeError("dtype_size: unknown dtype");
}

const char* dtype_name(DType t) {
  switch (t) {
    case kBool: return "bool";
    case kUInt8: return "uint8";
    case kInt8: return "int8";
    case kInt16: return "int16";
    case kInt32: return "int32";
    case kInt64: return "int64";
    case kFloat16: return "float16";
    case kBFloat16: return "bfloat16";
    case kFloat32: return "float32";
    case kFloat64: return "float64";
  }
  return "unknown";
}

bool is_floating(DType t) { return t == kFloat16 || t == kBFloat16 || t == kFloat32 || t == kFloat64; }
bool is_integral(DType t, bool include_bool) {
  return t == kUInt8 || t == kInt8 || t == kInt16 || t == kInt32 || t == kInt64 || (include_bool && t == kBool);
}

DType promote_types(DType a, DType b) {
  if (a == b) return a;
  // PyTorch's table: bool < integers < floats; uint8 with int8 -> int16;
  // f16 with bf16 -> f32.
  if (a == kBool) return b;
  if (b == kBool) return a;
  bool fa = is_floating(a), fb = is_floating(b);
  if (fa && !fb) return a;
  if (fb && !fa) return b;
  if (fa && fb) {
    if ((a == kFloat16 && b == kBFloat16) || (a == kBFloat16 && b == kFloat16)) return kFloat32;
    return dtype_size(a) >= dtype_size(b) ? a : b;
  }
  if ((a == kUInt8 && b == kInt8) || (a == kInt8 && b == kUInt8)) return kInt16;
  return dtype_size(a) >= dtype_size(b) ? a : b;
}

DType acc_type(DType t) { return (t == kFloat16 || t == kBFloat16) ? kFloat32 : t; }

std::ostream& operator<<(std::ostream& os, DType t) { return os << dtype_name(t); }

}  // namespace seek

#include "seek/core/shape_util.h"

#include <algorithm>
#include <limits>
#include <sstream>

#include "seek/core/error.h"

namespace seek {

int64_t checked_mul(int64_t a, int64_t b, const char* op) {
  int64_t r = 0;
  if (__builtin_mul_overflow(a, b, &r)) throw Error(str(op, ": integer multiplication overflow (", a, " * ", b, ")"));
  return r;
}

int64_t checked_add(int64_t a, int64_t b, const char* op) {
  int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) throw Error(str(op, ": integer addition overflow (", a, " + ", b, ")"));
  return r;
}

std::vector<int64_t> contiguous_strides(const Shape& shape) {
  std::vector<int64_t> strides(shape.size());
  int64_t s = 1;
  bool saturated = false;
  for (int64_t i = static_cast<int64_t>(shape.size()) - 1; i >= 0; --i) {
    strides[i] = s;
    if (saturated) continue;
    if (__builtin_mul_overflow(s, std::max<int64_t>(shape[i], 1), &s)) {
      // Only a zero-size tensor may have dims whose product overflows; its strides address nothing.
      SEEK_CHECK(shape_numel(shape) == 0, "contiguous_strides: integer multiplication overflow for sizes ",
                 shape_str(shape));
      s = std::numeric_limits<int64_t>::max();
      saturated = true;
    }
  }
  return strides;
}

int64_t shape_numel(const Shape& shape) {
  for (int64_t s : shape)
    if (s == 0) return 0;
  int64_t n = 1;
  for (int64_t s : shape) {
    if (__builtin_mul_overflow(n, s, &n)) {
      throw Error(str("numel: integer multiplication overflow: the sizes ", shape_str(shape),
                      " have more elements than int64 can count"));
    }
  }
  return n;
}

size_t storage_nbytes(const Shape& shape, size_t element_size, const char* op) {
  int64_t numel = shape_numel(shape);
  int64_t bytes = 0;
  if (__builtin_mul_overflow(numel, static_cast<int64_t>(element_size), &bytes)) {
    throw Error(str(op, ": storage size calculation overflowed with sizes=", shape_str(shape), " (", numel,
                    " elements of ", element_size, " bytes)"));
  }
  return static_cast<size_t>(bytes);
}

std::string shape_str(const Shape& shape) {
  std::ostringstream os;
  os << "[";
  for (size_t i = 0; i < shape.size(); ++i) os << (i ? ", " : "") << shape[i];
  os << "]";
  return os.str();
}

int64_t wrap_dim(int64_t dim, int64_t ndim, const char* op) {
  int64_t n = std::max<int64_t>(ndim, 1);
  SEEK_CHECK_INDEX(dim >= -n && dim < n, op, ": dimension out of range (expected to be in range of [", -n, ", ", n - 1,
                   "], but got ", dim, ")");
  return dim < 0 ? dim + n : dim;
}

std::vector<int64_t> wrap_dims(const std::vector<int64_t>& dims, int64_t ndim, const char* op) {
  std::vector<int64_t> out;
  if (dims.empty()) {
    for (int64_t d = 0; d < ndim; ++d) out.push_back(d);
    return out;
  }
  for (int64_t d : dims) {
    int64_t w = wrap_dim(d, ndim, op);
    SEEK_CHECK_INDEX(std::find(out.begin(), out.end(), w) == out.end(), op, ": dim ", w,
                     " appears multiple times in the list of dims");
    out.push_back(w);
  }
  std::sort(out.begin(), out.end());
  if (ndim == 0) out.clear();  // a scalar has no dims to reduce
  return out;
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (size_t i = 0; i < n; ++i) {
    int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    SEEK_CHECK_SHAPE(da == db || da == 1 || db == 1, op, ": shapes ", shape_str(a), " and ", shape_str(b),
                     " cannot be broadcast together (size ", da, " vs ", db, " at dim ", i, ")");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

}  // namespace seek

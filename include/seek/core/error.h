#pragma once
#include <sstream>
#include <stdexcept>
#include <string>

namespace seek {

// Base of every exception seek throws on bad input or failed resources.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& msg) : std::runtime_error(msg) {}
};
class ShapeError : public Error {
  using Error::Error;
};
class DTypeError : public Error {
  using Error::Error;
};
class IndexError : public Error {
  using Error::Error;
};
class ValueError : public Error {
  using Error::Error;
};
class DeviceError : public Error {
  using Error::Error;
};
class IOError : public Error {
  using Error::Error;
};
class OutOfMemoryError : public Error {
  using Error::Error;
};
class AutogradError : public Error {
  using Error::Error;
};

namespace detail {
inline void str_into(std::ostringstream&) {}
template <typename T, typename... Rest>
void str_into(std::ostringstream& os, const T& v, const Rest&... rest) {
  os << v;
  str_into(os, rest...);
}
}  // namespace detail

// Concatenate anything printable into one string: str("expected ", 3, " dims").
template <typename... Args>
std::string str(const Args&... args) {
  std::ostringstream os;
  detail::str_into(os, args...);
  return os.str();
}

}  // namespace seek

// SEEK_CHECK(cond, "op: message ", value, ...) throws seek::Error.
// SEEK_CHECK_T(ErrType, cond, ...) throws a chosen subclass.
#define SEEK_CHECK_T(ERR, cond, ...)                  \
  do {                                                \
    if (!(cond)) throw ERR(::seek::str(__VA_ARGS__)); \
  } while (0)
#define SEEK_CHECK(cond, ...) SEEK_CHECK_T(::seek::Error, cond, __VA_ARGS__)
#define SEEK_CHECK_SHAPE(cond, ...) SEEK_CHECK_T(::seek::ShapeError, cond, __VA_ARGS__)
#define SEEK_CHECK_DTYPE(cond, ...) SEEK_CHECK_T(::seek::DTypeError, cond, __VA_ARGS__)
#define SEEK_CHECK_INDEX(cond, ...) SEEK_CHECK_T(::seek::IndexError, cond, __VA_ARGS__)
#define SEEK_CHECK_VALUE(cond, ...) SEEK_CHECK_T(::seek::ValueError, cond, __VA_ARGS__)

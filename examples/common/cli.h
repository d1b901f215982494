#pragma once
// Command-line helpers shared by the example programs (header-only): the usage-error type,
// checked number parsing for flag values, and parsing argv with the usage printed on error.
#include <cstdint>
#include <exception>
#include <iostream>
#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string>

namespace seek::examples {

// Bad command-line arguments: the program prints the message and its usage and exits with 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The value of `flag` as an integer >= min; anything else (trailing text included) is a UsageError.
inline int64_t to_int(const std::string& flag, const std::string& v, int64_t min) {
  size_t used = 0;
  int64_t x = 0;
  try {
    x = std::stoll(v, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != v.size() || v.empty()) throw UsageError(flag + " expects an integer, got '" + v + "'");
  if (x < min) throw UsageError(flag + " must be >= " + std::to_string(min) + ", got " + v);
  return x;
}

// The value of `flag` as a number >= min; anything else (trailing text included) is a UsageError.
inline double to_double(const std::string& flag, const std::string& v, double min) {
  size_t used = 0;
  double x = 0;
  try {
    x = std::stod(v, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != v.size() || v.empty()) throw UsageError(flag + " expects a number, got '" + v + "'");
  if (x < min) throw UsageError(flag + " must be >= " + std::to_string(min) + ", got " + v);
  return x;
}

// `v` when it is one of `allowed`; else a UsageError listing them.
inline std::string one_of(const std::string& flag, const std::string& v, std::initializer_list<const char*> allowed) {
  for (const char* a : allowed)
    if (v == a) return v;
  std::string list;
  for (const char* a : allowed) list += std::string(list.empty() ? "" : ", ") + a;
  throw UsageError(flag + " must be one of " + list + ", got '" + v + "'");
}

// parse(argc, argv); on a UsageError prints "<program>: <message>" and usage(std::cerr) to stderr
// and returns nullopt (the caller exits with 2).
template <typename Parse, typename Usage>
auto parse_or_usage(const char* program, int argc, char** argv, Parse parse, Usage usage)
    -> std::optional<decltype(parse(argc, argv))> {
  try {
    return parse(argc, argv);
  } catch (const UsageError& e) {
    std::cerr << program << ": " << e.what() << "\n";
    usage(std::cerr);
    return std::nullopt;
  }
}

}  // namespace seek::examples

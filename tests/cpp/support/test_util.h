#pragma once
// Small helpers shared by the C++ tests (header-only).
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <exception>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

#include <unistd.h>

#include "seek/seek.h"

// Runs stmt and expects an exception of Type whose what() contains `words`.
#define EXPECT_SEEK_ERROR(stmt, Type, words)                                       \
  do {                                                                             \
    try {                                                                          \
      stmt;                                                                        \
      ADD_FAILURE() << "expected " #Type " from " #stmt;                           \
    } catch (const Type& e) {                                                      \
      EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what(); \
    }                                                                              \
  } while (0)

// Runs stmt and expects an exception of Type whose what() contains every one of the words, given
// as a braced list: EXPECT_SEEK_ERROR_ALL(t.sum(2), IndexError, {"sum", "got 2"}). Any other
// std::exception is reported as a failure here rather than escaping the test.
#define EXPECT_SEEK_ERROR_ALL(stmt, Type, ...)                                            \
  do {                                                                                    \
    try {                                                                                 \
      stmt;                                                                               \
      ADD_FAILURE() << "expected " #Type " from " #stmt;                                  \
    } catch (const Type& e) {                                                             \
      const std::string msg_ = e.what();                                                  \
      for (const std::string& w_ : std::initializer_list<std::string> __VA_ARGS__)        \
        EXPECT_NE(msg_.find(w_), std::string::npos) << "'" << w_ << "' not in: " << msg_; \
    } catch (const std::exception& e) {                                                   \
      ADD_FAILURE() << "wrong exception type from " #stmt ": " << e.what();               \
    }                                                                                     \
  } while (0)

namespace seek::testing {

// Deterministic values in [lo, hi): a 64-bit LCG (Knuth's MMIX constants), the top 53 bits
// of each state scaled to [0, 1). The sequence is fixed; tests depend on it not changing.
inline std::vector<double> uniform_values(size_t n, double lo, double hi, uint64_t seed) {
  std::vector<double> v(n);
  uint64_t s = seed;
  for (auto& x : v) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    x = lo + (hi - lo) * (static_cast<double>(s >> 11) / 9007199254740992.0);
  }
  return v;
}

// uniform_values in row-major order as a tensor of `shape`, made in float64 and converted to dtype.
inline Tensor uniform_tensor(const Shape& shape, double lo, double hi, DType dtype = kFloat64, uint64_t seed = 7) {
  return tensor<double>(uniform_values(static_cast<size_t>(shape_numel(shape)), lo, hi, seed), shape).to(dtype);
}

// The whole file as bytes ("" when it cannot be read).
inline std::string read_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Replaces the file's contents with `bytes`.
inline void write_bytes(const std::filesystem::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// The row-major bytes of a tensor (CPU), for bit-exact comparisons.
inline std::string tensor_bytes(const Tensor& t) {
  Tensor c = t.detach().contiguous();
  return std::string(static_cast<const char*>(c.data_ptr()), c.nbytes());
}

// A scratch directory for one test: <system temp>/<prefix><pid>_<current test name>, emptied on
// construction (created unless create is false) and removed with its contents on destruction.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix, bool create = true)
      : path_(std::filesystem::temp_directory_path() /
              (prefix + std::to_string(::getpid()) + "_" +
               ::testing::UnitTest::GetInstance()->current_test_info()->name())) {
    std::filesystem::remove_all(path_);
    if (create) std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;  // never throw from a destructor; a leftover directory is harmless
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

  // File names directly inside the directory, sorted.
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(path_)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

 private:
  std::filesystem::path path_;
};

}  // namespace seek::testing

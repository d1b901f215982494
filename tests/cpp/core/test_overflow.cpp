// Shape arithmetic never overflows silently: element and byte counts that do not fit int64 raise
// seek::Error naming the sizes, zero-size tensors with huge dims stay well defined, and an
// allocation the machine cannot satisfy raises OutOfMemoryError.
#include <gtest/gtest.h>

#include <limits>

#include "seek/seek.h"

using namespace seek;

namespace {
constexpr int64_t k62 = int64_t{1} << 62;

template <typename F>
std::string error_of(F f) {
  try {
    f();
  } catch (const OutOfMemoryError& e) {
    return std::string("OOM: ") + e.what();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}
}  // namespace

TEST(Overflow, ShapeNumelChecksEveryMultiplication) {
  EXPECT_EQ(shape_numel({2, 3, 4}), 24);
  EXPECT_EQ(shape_numel({}), 1);
  EXPECT_EQ(shape_numel({0, k62, k62}), 0);
  EXPECT_EQ(shape_numel({k62, k62, 0}), 0);  // the 0 wins wherever it stands
  std::string msg = error_of([] { shape_numel({int64_t{1} << 31, int64_t{1} << 33}); });
  EXPECT_NE(msg.find("numel: integer multiplication overflow"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[2147483648, 8589934592]"), std::string::npos) << msg;
}

TEST(Overflow, ContiguousStridesSaturateOnlyForZeroSize) {
  EXPECT_EQ(contiguous_strides({2, 3, 4}), (std::vector<int64_t>{12, 4, 1}));
  std::vector<int64_t> s = contiguous_strides({0, k62, k62});
  EXPECT_EQ(s[2], 1);
  EXPECT_EQ(s[1], k62);
  EXPECT_EQ(s[0], std::numeric_limits<int64_t>::max());
  EXPECT_NE(error_of([] { contiguous_strides({4, k62, 2}); }).find("overflow"), std::string::npos);
}

TEST(Overflow, FactoriesRaiseNamingTheSizes) {
  std::string msg = error_of([] { empty({k62}); });  // 2^62 float32 elements: 2^64 bytes
  EXPECT_NE(msg.find("storage size calculation overflowed with sizes=[4611686018427387904]"), std::string::npos) << msg;
  EXPECT_NE(error_of([] { zeros({int64_t{1} << 31, int64_t{1} << 33}); }).find("overflow"), std::string::npos);
  EXPECT_NE(error_of([] { eye(int64_t{1} << 32); }).find("overflow"), std::string::npos);
  EXPECT_NE(error_of([] { empty({std::numeric_limits<int64_t>::max()}, kFloat64); }).find("overflow"),
            std::string::npos);
}

TEST(Overflow, ViewsOfHugeSizesRaise) {
  Tensor one = zeros({1});
  EXPECT_NE(error_of([&] { one.expand({int64_t{1} << 40, int64_t{1} << 40}); }).find("overflow"), std::string::npos);
  Tensor a = zeros({1 << 10, 1 << 10});
  // The expand itself fits (2^50 elements); its contiguous copy cannot be allocated.
  Tensor big = a.expand({int64_t{1} << 30, 1 << 10, 1 << 10});
  EXPECT_NE(error_of([&] { big.contiguous(); }), "no error");
  EXPECT_NE(error_of([&] { a.as_strided({k62, 4}, {k62, k62}, 0); }), "no error");
  EXPECT_NE(error_of([&] {
              cat({zeros({k62, 0}), zeros({k62, 0})}, 0);
            }).find("cat: integer addition overflow"),
            std::string::npos);
}

TEST(Overflow, ZeroSizeTensorsWithHugeDimsAreWellDefined) {
  Tensor e = zeros({0, k62, k62});
  EXPECT_EQ(e.numel(), 0);
  EXPECT_TRUE(e.is_contiguous());
  Tensor r = zeros({0, 3}).reshape({0, k62, k62});
  EXPECT_EQ(r.sizes(), (Shape{0, k62, k62}));
  Tensor f = e.flatten();
  EXPECT_EQ(f.sizes(), (Shape{0}));
  Tensor s = (e + 1).sum();
  EXPECT_EQ(s.item<double>(), 0.0);
  Tensor x = zeros({k62, 0});
  EXPECT_EQ(x.t().contiguous().sizes(), (Shape{0, k62}));
  EXPECT_EQ(x.sum(0).sizes(), (Shape{0}));
}

TEST(Overflow, UnsatisfiableAllocationIsOutOfMemoryError) {
  // 2^45 bytes (32 TiB): more than any test machine has; the allocator fails at once.
  try {
    empty({int64_t{1} << 45}, kUInt8);
    FAIL() << "allocated 32 TiB";
  } catch (const OutOfMemoryError& e) {
    EXPECT_NE(std::string(e.what()).find("35184372088832 bytes"), std::string::npos) << e.what();
  }
}

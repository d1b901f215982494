// Philox4x32-10 known answers and the Generator's state handling.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <thread>
#include <vector>

#include "seek/seek.h"
#include "support/test_util.h"

using namespace seek;

namespace {
void expect_block(const Philox4x32& got, uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
  EXPECT_EQ(got.v[0], a);
  EXPECT_EQ(got.v[1], b);
  EXPECT_EQ(got.v[2], c);
  EXPECT_EQ(got.v[3], d);
}
}  // namespace

// Random123's kat_vectors for philox4x32_10.
TEST(Philox, KnownAnswerVectors) {
  expect_block(philox4x32_10({{0, 0, 0, 0}}, {{0, 0}}), 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8);
  expect_block(philox4x32_10({{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}}, {{0xffffffff, 0xffffffff}}),
               0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd);
  expect_block(philox4x32_10({{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}}, {{0xa4093822, 0x299f31d0}}),
               0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1);
}

TEST(Philox, BlockPacksIndexIntoCounterAndSeedIntoKey) {
  // philox_block(seed, index): counter {lo(index), hi(index), 0, 0}, key {lo(seed), hi(seed)}.
  expect_block(philox_block(0, 0), 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8);
  uint64_t seed = 0x299f31d0a4093822ull, index = 0x85a308d3243f6a88ull;
  Philox4x32 ref = philox4x32_10({{0x243f6a88, 0x85a308d3, 0, 0}}, {{0xa4093822, 0x299f31d0}});
  Philox4x32 got = philox_block(seed, index);
  for (int k = 0; k < 4; ++k) EXPECT_EQ(got.v[k], ref.v[k]);
}

TEST(Philox, Transforms) {
  Philox4x32 b{{0xffffffff, 0xffffffff, 0, 0x80000000}};
  EXPECT_EQ(rng::uniform<float>(b), 1.0f - 0x1p-24f);  // largest value stays below 1
  EXPECT_EQ(rng::uniform<double>(b), 1.0 - 0x1p-53);
  Philox4x32 z{{0, 0, 0, 0}};
  EXPECT_EQ(rng::uniform<float>(z), 0.0f);
  EXPECT_EQ(rng::uniform<double>(z), 0.0);
  // u1 = 0 -> radius sqrt(-2 log 1) = 0.
  EXPECT_EQ(rng::normal<double>(z), 0.0);
  // The f32 uniform is the f64 uniform truncated to 24 bits.
  Philox4x32 m{{0x12345678, 0x9abcdef0, 0, 0}};
  EXPECT_EQ(static_cast<double>(rng::uniform<float>(m)), std::floor(rng::uniform<double>(m) * 0x1p24) * 0x1p-24);
  // Multiply-shift: top word 0x80000000.. -> the middle of the range.
  Philox4x32 half{{0x80000000, 0, 0, 0}};
  EXPECT_EQ(rng::randint(half, 10, 100), 60);
  EXPECT_EQ(rng::randint(z, -5, 3), -5);
  EXPECT_EQ(rng::randint(b, -5, 3), -3);
  EXPECT_TRUE(rng::bernoulli(z, 1e-300));
  EXPECT_FALSE(rng::bernoulli(z, 0.0));
  EXPECT_TRUE(rng::bernoulli(b, 1.0));
}

TEST(Generator, SeedOffsetAndReserve) {
  Generator g(42);
  EXPECT_EQ(g.seed(), 42u);
  EXPECT_EQ(g.offset(), 0u);
  EXPECT_EQ(g.device(), kCPU);
  GeneratorState s = g.reserve(10);
  EXPECT_EQ(s.seed, 42u);
  EXPECT_EQ(s.offset, 0u);
  EXPECT_EQ(g.reserve(5).offset, 10u);
  EXPECT_EQ(g.offset(), 15u);
  g.manual_seed(7);
  EXPECT_EQ(g.seed(), 7u);
  EXPECT_EQ(g.offset(), 0u);
  g.set_offset(123);
  EXPECT_EQ(g.state(), (GeneratorState{7, 123}));
  g.set_state(GeneratorState{1, 2});
  EXPECT_EQ(g.seed(), 1u);
  EXPECT_EQ(g.offset(), 2u);
  EXPECT_EQ(Generator().seed(), Generator::kDefaultSeed);
}

TEST(Generator, StateTensorRoundTrip) {
  Generator g(0xfedcba9876543210ull);  // seeds above 2^63 survive the int64 tensor
  g.set_offset(99);
  Tensor st = g.get_state();
  EXPECT_EQ(st.dtype(), kInt64);
  EXPECT_EQ(st.sizes(), (Shape{2}));
  Generator h;
  h.set_state(st);
  EXPECT_EQ(h.seed(), 0xfedcba9876543210ull);
  EXPECT_EQ(h.offset(), 99u);

  EXPECT_SEEK_ERROR(h.set_state(zeros({3}, kInt64)), ShapeError, "shape [2]");
  EXPECT_SEEK_ERROR(h.set_state(zeros({2})), DTypeError, "int64");
  EXPECT_SEEK_ERROR(h.set_state(Tensor()), Error, "undefined");
}

TEST(Generator, ConcurrentReservationsAreDisjoint) {
  Generator g(3);
  constexpr int kThreads = 8, kPerThread = 2000;
  std::vector<std::vector<uint64_t>> got(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&g, &got, t] {
      for (int i = 0; i < kPerThread; ++i) got[t].push_back(g.reserve(3).offset);
    });
  }
  for (auto& th : threads) th.join();
  std::set<uint64_t> all;
  for (auto& v : got) all.insert(v.begin(), v.end());
  EXPECT_EQ(all.size(), static_cast<size_t>(kThreads * kPerThread));
  EXPECT_EQ(g.offset(), static_cast<uint64_t>(3 * kThreads * kPerThread));
  for (uint64_t o : all) EXPECT_EQ(o % 3, 0u);
}

TEST(Generator, ManualSeedSeedsEveryDevice) {
  Generator& cuda0 = default_generator(kCUDA);  // created before the seed (no GPU needed)
  cuda0.reserve(17);
  default_generator(kCPU).reserve(5);
  manual_seed(1234);
  EXPECT_EQ(default_generator(kCPU).seed(), 1234u);
  EXPECT_EQ(default_generator(kCPU).offset(), 0u);
  EXPECT_EQ(cuda0.seed(), 1234u);
  EXPECT_EQ(cuda0.offset(), 0u);
  // Created after the seed: starts from it too.
  Generator& cuda3 = default_generator(Device(DeviceType::CUDA, 3));
  EXPECT_EQ(cuda3.seed(), 1234u);
  EXPECT_EQ(cuda3.device(), Device(DeviceType::CUDA, 3));
  // One generator per device, the same object on every call.
  EXPECT_EQ(&default_generator(kCPU), &default_generator(Device(DeviceType::CPU, 0)));
  EXPECT_NE(&default_generator(kCPU), &cuda0);
  EXPECT_SEEK_ERROR(default_generator(Device(DeviceType::CUDA, -1)), ValueError, "invalid device index");
}

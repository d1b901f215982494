// The conv algorithm cache of kernels/conv_cudnn.cu (src/backend/cuda/conv_algo_cache.h), on the
// host with fake cuDNN rankings: every field of the key separates entries (hash and equality),
// the flags (deterministic, allow_tf32) enter the key, a choice is made once per (key, pass) and
// reused, benchmark mode re-chooses a heuristic choice once by timing and then keeps it for both
// modes, deterministic mode skips nondeterministic algorithms (and says so when none is left), and
// the workspace limit and failed statuses are honoured.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "backend/cuda/conv_algo_cache.h"
#include "seek/seek.h"

using namespace seek;
using namespace seek::cuda;

namespace {

// Restores the cuDNN flags a test changes.
struct FlagGuard {
  bool benchmark = backends::cudnn::benchmark, deterministic = backends::cudnn::deterministic;
  bool tf32 = backends::cudnn::allow_tf32;
  ~FlagGuard() {
    backends::cudnn::benchmark = benchmark;
    backends::cudnn::deterministic = deterministic;
    backends::cudnn::allow_tf32 = tf32;
  }
};

ConvAlgoKey base_key() {
  const Tensor x = zeros({2, 3, 8, 8}), w = zeros({4, 3, 3, 3}), y = zeros({2, 4, 6, 6});
  return make_conv_algo_key(x, w, y, Conv2dParams{});
}

TEST(ConvAlgoCache, KeyFieldsSeparateEntries) {
  FlagGuard flags;
  backends::cudnn::deterministic = false;
  backends::cudnn::allow_tf32 = true;
  const ConvAlgoKey k = base_key();
  EXPECT_EQ(k.layout, 0);
  EXPECT_EQ(k.x_strides, (std::array<int64_t, 4>{192, 64, 8, 1}));
  EXPECT_TRUE(k.allow_tf32);
  EXPECT_EQ(k, base_key());
  EXPECT_EQ(ConvAlgoKeyHash{}(k), ConvAlgoKeyHash{}(base_key()));
  std::vector<ConvAlgoKey> variants;
  auto vary = [&](auto&& change) {
    ConvAlgoKey v = k;
    change(v);
    variants.push_back(v);
  };
  vary([](ConvAlgoKey& v) { v.device = 1; });
  vary([](ConvAlgoKey& v) { v.dtype = static_cast<int>(kFloat16); });
  vary([](ConvAlgoKey& v) { v.layout = 1; });
  vary([](ConvAlgoKey& v) { v.x_sizes[0] = 3; });
  vary([](ConvAlgoKey& v) { v.x_strides[1] = 1; });
  vary([](ConvAlgoKey& v) { v.w_sizes[2] = 5; });
  vary([](ConvAlgoKey& v) { v.w_strides[0] = 28; });
  vary([](ConvAlgoKey& v) { v.y_sizes[2] = 7; });
  vary([](ConvAlgoKey& v) { v.y_strides[3] = 2; });
  for (size_t i = 0; i < 7; ++i) vary([i](ConvAlgoKey& v) { v.params[i] += 1; });
  vary([](ConvAlgoKey& v) { v.deterministic = true; });
  vary([](ConvAlgoKey& v) { v.allow_tf32 = false; });
  ConvAlgoCache cache;
  cache.store(k, ConvPass::Forward, ConvAlgoChoice{1, 0, 0, false});
  for (size_t i = 0; i < variants.size(); ++i) {
    EXPECT_FALSE(variants[i] == k) << "variant " << i;
    EXPECT_FALSE(cache.find(variants[i], ConvPass::Forward, false)) << "variant " << i;
    cache.store(variants[i], ConvPass::Forward, ConvAlgoChoice{static_cast<int>(i) + 2, 0, 0, false});
  }
  EXPECT_EQ(cache.size(), variants.size() + 1);
  for (size_t i = 0; i < variants.size(); ++i)
    EXPECT_EQ(cache.find(variants[i], ConvPass::Forward, false)->algo, static_cast<int>(i) + 2) << "variant " << i;
  EXPECT_EQ(cache.find(k, ConvPass::Forward, false)->algo, 1);
  EXPECT_FALSE(cache.find(k, ConvPass::BackwardData, false));  // passes are separate
  cache.clear();
  EXPECT_EQ(cache.size(), 0u);
}

TEST(ConvAlgoCache, KeyFollowsFlagsAndLayout) {
  FlagGuard flags;
  backends::cudnn::deterministic = false;
  backends::cudnn::allow_tf32 = true;
  const ConvAlgoKey before = base_key();
  backends::cudnn::deterministic = true;
  const ConvAlgoKey det = base_key();
  EXPECT_TRUE(det.deterministic);
  EXPECT_FALSE(det == before);
  backends::cudnn::allow_tf32 = false;
  const ConvAlgoKey no_tf32 = base_key();
  EXPECT_FALSE(no_tf32.allow_tf32);
  EXPECT_FALSE(no_tf32 == det);
  // A channels_last input: channel stride 1.
  const Tensor x = zeros({2, 8, 8, 3}).permute({0, 3, 1, 2}), w = zeros({4, 3, 3, 3}), y = zeros({2, 4, 6, 6});
  const ConvAlgoKey nhwc = make_conv_algo_key(x, w, y, Conv2dParams{});
  EXPECT_EQ(nhwc.layout, 1);
  EXPECT_FALSE(nhwc == no_tf32);
  EXPECT_THROW(make_conv_algo_key(zeros({2, 3, 8}), w, y, Conv2dParams{}), ShapeError);
}

TEST(ConvAlgoCache, PickHonoursStatusDeterminismAndWorkspace) {
  const std::vector<ConvAlgoPerf> ranked = {
      {5, false, true, 0, 0},    // failed
      {4, true, false, 1, 100},  // fastest that ran, nondeterministic
      {3, true, true, 0, 5000},  // deterministic, large workspace
      {2, true, true, 1, 10},    // deterministic, small workspace
  };
  EXPECT_EQ(pick_conv_algo(ranked, false, SIZE_MAX, false)->algo, 4);
  EXPECT_EQ(pick_conv_algo(ranked, true, SIZE_MAX, false)->algo, 3);
  const auto small = pick_conv_algo(ranked, true, 1000, true);
  ASSERT_TRUE(small);
  EXPECT_EQ(small->algo, 2);
  EXPECT_EQ(small->math_type, 1);
  EXPECT_EQ(small->workspace, 10u);
  EXPECT_TRUE(small->benchmarked);
  EXPECT_FALSE(pick_conv_algo(ranked, true, 5, false));
  EXPECT_FALSE(pick_conv_algo({}, false, SIZE_MAX, false));
}

TEST(ConvAlgoCache, ChoosesOncePerKeyAndRetimesInBenchmarkMode) {
  FlagGuard flags;
  backends::cudnn::benchmark = false;
  backends::cudnn::deterministic = false;
  ConvAlgoCache cache;
  const ConvAlgoKey k = base_key();
  int heuristic_calls = 0, timed_calls = 0;
  auto query = [&](bool benchmark) {
    ++(benchmark ? timed_calls : heuristic_calls);
    // Heuristics rank algorithm 7 first; timing finds 9 fastest.
    return benchmark ? std::vector<ConvAlgoPerf>{{9, true, false, 0, 0}, {7, true, true, 0, 0}}
                     : std::vector<ConvAlgoPerf>{{7, true, true, 0, 0}, {9, true, false, 0, 0}};
  };
  EXPECT_EQ(choose_conv_algo(cache, k, ConvPass::Forward, query).algo, 7);
  EXPECT_EQ(choose_conv_algo(cache, k, ConvPass::Forward, query).algo, 7);
  EXPECT_EQ(heuristic_calls, 1);
  EXPECT_EQ(choose_conv_algo(cache, k, ConvPass::BackwardFilter, query).algo, 7);  // its own pass
  EXPECT_EQ(heuristic_calls, 2);
  backends::cudnn::benchmark = true;  // the heuristic choice is re-made by timing, once
  EXPECT_EQ(choose_conv_algo(cache, k, ConvPass::Forward, query).algo, 9);
  EXPECT_EQ(choose_conv_algo(cache, k, ConvPass::Forward, query).algo, 9);
  EXPECT_EQ(timed_calls, 1);
  backends::cudnn::benchmark = false;  // a timed choice serves heuristic mode too
  EXPECT_EQ(choose_conv_algo(cache, k, ConvPass::Forward, query).algo, 9);
  EXPECT_EQ(heuristic_calls, 2);
  EXPECT_EQ(timed_calls, 1);
}

TEST(ConvAlgoCache, DeterministicModeSkipsOrExplains) {
  FlagGuard flags;
  backends::cudnn::benchmark = false;
  backends::cudnn::deterministic = true;
  ConvAlgoCache cache;
  const ConvAlgoKey k = base_key();
  ASSERT_TRUE(k.deterministic);
  auto mixed = [](bool) { return std::vector<ConvAlgoPerf>{{1, true, false, 0, 0}, {6, true, true, 0, 0}}; };
  EXPECT_EQ(choose_conv_algo(cache, k, ConvPass::BackwardData, mixed).algo, 6);
  auto nondet = [](bool) { return std::vector<ConvAlgoPerf>{{1, true, false, 0, 0}}; };
  try {
    choose_conv_algo(cache, k, ConvPass::BackwardFilter, nondet);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("deterministic"), std::string::npos) << e.what();
  }
  auto none = [](bool) { return std::vector<ConvAlgoPerf>{{1, false, true, 0, 0}}; };
  EXPECT_THROW(choose_conv_algo(cache, k, ConvPass::Forward, none), Error);
  EXPECT_FALSE(cache.find(k, ConvPass::Forward, false));  // nothing stored on failure
}

TEST(BackendFlags, Float32MatmulPrecisionDrivesAllowTf32) {
  const bool saved = backends::cuda::matmul::allow_tf32;
  EXPECT_FALSE(saved);  // torch's default
  set_float32_matmul_precision("high");
  EXPECT_TRUE(backends::cuda::matmul::allow_tf32);
  EXPECT_EQ(get_float32_matmul_precision(), "high");
  set_float32_matmul_precision("medium");
  EXPECT_TRUE(backends::cuda::matmul::allow_tf32);
  EXPECT_EQ(get_float32_matmul_precision(), "medium");
  backends::cuda::matmul::allow_tf32 = false;
  EXPECT_EQ(get_float32_matmul_precision(), "highest");
  set_float32_matmul_precision("highest");
  EXPECT_FALSE(backends::cuda::matmul::allow_tf32);
  EXPECT_THROW(set_float32_matmul_precision("fast"), ValueError);
  EXPECT_TRUE(backends::cudnn::enabled && backends::cudnn::allow_tf32);
  EXPECT_FALSE(backends::cudnn::benchmark || backends::cudnn::deterministic);
  EXPECT_EQ(backends::cudnn::benchmark_limit.load(), 10);
  backends::cuda::matmul::allow_tf32 = saved;
}

}  // namespace

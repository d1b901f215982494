// Op benchmarks: fp32 matmul, a large elementwise add, row softmax and a plain
// copy of the same bytes as the memory-bandwidth baseline. benchmarks/torch_ops.py
// runs the same workloads in PyTorch; benchmarks/run_ops.sh compares them.
//
// Bytes are counted as the minimum traffic an op must move (inputs read once,
// outputs written once): copy 2N, add 3N, softmax 2N elements of 4 bytes.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "seek/seek.h"

namespace {

using seek::Tensor;

// Uniform [-1, 1) values from a fixed LCG, so runs do not depend on the random family.
Tensor filled(const seek::Shape& shape, uint64_t seed) {
  Tensor t = seek::empty(shape, seek::kF32);
  float* p = t.data_ptr<float>();
  uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
  for (int64_t i = 0; i < t.numel(); ++i) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    p[i] = static_cast<float>(static_cast<double>(s >> 11) / 9007199254740992.0 * 2.0 - 1.0);
  }
  return t;
}

void BM_Matmul(benchmark::State& state) {
  const int64_t n = state.range(0);
  Tensor a = filled({n, n}, 1), b = filled({n, n}, 2);
  for (auto _ : state) {
    Tensor c = seek::matmul(a, b);
    benchmark::DoNotOptimize(c.data_ptr());
  }
  const double flops = 2.0 * static_cast<double>(n) * static_cast<double>(n) * static_cast<double>(n);
  state.counters["FLOPS"] = benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate);
  state.SetBytesProcessed(state.iterations() * 3 * n * n * static_cast<int64_t>(sizeof(float)));
}
BENCHMARK(BM_Matmul)->Arg(256)->Arg(1024)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Add(benchmark::State& state) {
  const int64_t n = state.range(0);
  Tensor a = filled({n}, 1), b = filled({n}, 2);
  for (auto _ : state) {
    Tensor c = a + b;
    benchmark::DoNotOptimize(c.data_ptr());
  }
  state.SetBytesProcessed(state.iterations() * 3 * n * static_cast<int64_t>(sizeof(float)));
}
BENCHMARK(BM_Add)->Arg(1 << 24)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Softmax(benchmark::State& state) {
  const int64_t rows = state.range(0), cols = state.range(1);
  Tensor x = filled({rows, cols}, 3);
  try {
    (void)x.softmax(-1);  // the softmax family may not be built yet during development
  } catch (const seek::Error& e) {
    state.SkipWithError(e.what());
    return;
  }
  for (auto _ : state) {
    Tensor y = x.softmax(-1);
    benchmark::DoNotOptimize(y.data_ptr());
  }
  state.SetBytesProcessed(state.iterations() * 2 * rows * cols * static_cast<int64_t>(sizeof(float)));
}
BENCHMARK(BM_Softmax)->Args({4096, 4096})->Unit(benchmark::kMillisecond)->UseRealTime();

// a += b: the same traffic as BM_Add without allocating (and page-faulting) the output.
void BM_AddInplace(benchmark::State& state) {
  const int64_t n = state.range(0);
  Tensor a = filled({n}, 1), b = filled({n}, 2);
  for (auto _ : state) {
    a.add_(b);
    benchmark::DoNotOptimize(a.data_ptr());
  }
  state.SetBytesProcessed(state.iterations() * 3 * n * static_cast<int64_t>(sizeof(float)));
}
BENCHMARK(BM_AddInplace)->Arg(1 << 24)->Unit(benchmark::kMillisecond)->UseRealTime();

// dst.copy_(src) between two preallocated contiguous tensors: the bandwidth baseline.
void BM_Copy(benchmark::State& state) {
  const int64_t n = state.range(0);
  Tensor src = filled({n}, 4), dst = seek::zeros({n});
  for (auto _ : state) {
    dst.copy_(src);
    benchmark::DoNotOptimize(dst.data_ptr());
  }
  state.SetBytesProcessed(state.iterations() * 2 * n * static_cast<int64_t>(sizeof(float)));
}
BENCHMARK(BM_Copy)->Arg(1 << 24)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();

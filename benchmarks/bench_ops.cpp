// Op benchmarks: fp32 matmul, a large elementwise add, row softmax, a plain
// copy of the same bytes as the memory-bandwidth baseline, and the 3x3 convs of
// ResNet-20 (forward, and forward + backward to input and weight); also training-mode
// batch norm at the same shapes (forward, forward + backward), and SiLU / GELU forward +
// backward. benchmarks/torch_ops.py runs the same workloads in PyTorch; benchmarks/run_ops.sh
// compares them.
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

// conv2d f32, batch 128, C in = C out = C, 3x3, padding 1, no bias: the stride-1 layers of
// the three ResNet-20 stages (16 x 28x28, 32 x 14x14, 64 x 7x7 for 28x28 inputs).
// FLOPs: 2 * N * C * C * 9 * H * W per conv; forward + backward counts three convs.
void conv_counters(benchmark::State& state, int64_t c, int64_t hw, double convs) {
  const double flops = convs * 2.0 * 128 * static_cast<double>(c * c * 9 * hw * hw);
  state.counters["FLOPS"] = benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_Conv2d(benchmark::State& state) {
  const int64_t c = state.range(0), hw = state.range(1);
  Tensor x = filled({128, c, hw, hw}, 5), w = filled({c, c, 3, 3}, 6);
  for (auto _ : state) {
    Tensor y = seek::conv2d(x, w, Tensor(), 1, 1);
    benchmark::DoNotOptimize(y.data_ptr());
  }
  conv_counters(state, c, hw, 1);
}
BENCHMARK(BM_Conv2d)->Args({16, 28})->Args({32, 14})->Args({64, 7})->Unit(benchmark::kMillisecond)->UseRealTime();

// Forward, then backward to the input and the weight (grads cleared each iteration).
void BM_Conv2dBackward(benchmark::State& state) {
  const int64_t c = state.range(0), hw = state.range(1);
  Tensor x = filled({128, c, hw, hw}, 5).requires_grad_(), w = filled({c, c, 3, 3}, 6).requires_grad_();
  Tensor g = filled({128, c, hw, hw}, 7);
  for (auto _ : state) {
    x.set_grad(Tensor());
    w.set_grad(Tensor());
    seek::conv2d(x, w, Tensor(), 1, 1).backward(g);
    benchmark::DoNotOptimize(w.grad().data_ptr());
  }
  conv_counters(state, c, hw, 3);
}
BENCHMARK(BM_Conv2dBackward)
    ->Args({16, 28})
    ->Args({32, 14})
    ->Args({64, 7})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// Training-mode batch norm f32 (batch statistics, running stats updated, affine) at the three
// ResNet-20 activation shapes [128, C, HW, HW]. Bytes: the forward reads x twice and writes y
// (3 x 4 bytes per element); forward + backward adds two reads of x and gy and a write of gx.
void bn_bytes(benchmark::State& state, int64_t c, int64_t hw, int64_t passes) {
  state.SetBytesProcessed(state.iterations() * passes * 128 * c * hw * hw * static_cast<int64_t>(sizeof(float)));
}

void BM_BatchNorm(benchmark::State& state) {
  const int64_t c = state.range(0), hw = state.range(1);
  Tensor x = filled({128, c, hw, hw}, 8), w = filled({c}, 9), b = filled({c}, 10);
  Tensor rm = seek::zeros({c}), rv = seek::ones({c});
  for (auto _ : state) {
    Tensor y = seek::nn::functional::batch_norm(x, rm, rv, w, b, /*training=*/true);
    benchmark::DoNotOptimize(y.data_ptr());
  }
  bn_bytes(state, c, hw, 3);
}
BENCHMARK(BM_BatchNorm)->Args({16, 28})->Args({32, 14})->Args({64, 7})->Unit(benchmark::kMillisecond)->UseRealTime();

// Forward, then backward to the input, weight and bias (grads cleared each iteration).
void BM_BatchNormBackward(benchmark::State& state) {
  const int64_t c = state.range(0), hw = state.range(1);
  Tensor x = filled({128, c, hw, hw}, 8).requires_grad_(), g = filled({128, c, hw, hw}, 11);
  Tensor w = filled({c}, 9).requires_grad_(), b = filled({c}, 10).requires_grad_();
  Tensor rm = seek::zeros({c}), rv = seek::ones({c});
  for (auto _ : state) {
    x.set_grad(Tensor());
    w.set_grad(Tensor());
    b.set_grad(Tensor());
    seek::nn::functional::batch_norm(x, rm, rv, w, b, /*training=*/true).backward(g);
    benchmark::DoNotOptimize(x.grad().data_ptr());
  }
  bn_bytes(state, c, hw, 8);
}
BENCHMARK(BM_BatchNormBackward)
    ->Args({16, 28})
    ->Args({32, 14})
    ->Args({64, 7})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

// An activation's forward + backward to the input on n floats (x read twice, g read, y and the gradient written).
template <typename Act>
void activation_forward_backward(benchmark::State& state, Act act) {
  const int64_t n = state.range(0);
  Tensor x = filled({n}, 8).requires_grad_(), g = filled({n}, 9);
  for (auto _ : state) {
    x.set_grad(Tensor());
    act(x).backward(g);
    benchmark::DoNotOptimize(x.grad().data_ptr());
  }
  state.SetBytesProcessed(state.iterations() * 5 * n * static_cast<int64_t>(sizeof(float)));
}

// SiLU on a YOLO-stem-sized activation and GELU (erf form, BERT's): their float32 backwards are vectorised
// (docs/performance.md, "YOLO nano training step").
void BM_SiluBackward(benchmark::State& state) {
  activation_forward_backward(state, [](const Tensor& x) { return x.silu(); });
}
BENCHMARK(BM_SiluBackward)->Arg(1 << 22)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_GeluBackward(benchmark::State& state) {
  activation_forward_backward(state, [](const Tensor& x) { return x.gelu(); });
}
BENCHMARK(BM_GeluBackward)->Arg(1 << 22)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();

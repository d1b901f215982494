// LSTM forward + backward at the word-language-model shape (examples of PyTorch's
// word_language_model: 2 layers, hidden 200, input 200, sequence 35, batch 20), float32.
// Prints the median time per forward and per forward + backward; benchmarks/torch_rnn.py
// times the same workload in PyTorch (run both with the same OMP_NUM_THREADS).
//
//   build/benchmarks/bench_rnn [rounds=7] [iterations per round=10]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <omp.h>
#include <vector>

#include "seek/seek.h"

namespace {

using namespace seek;
using Clock = std::chrono::steady_clock;

double median_ms(const std::function<void()>& fn, int rounds, int iters) {
  fn();  // warm-up
  std::vector<double> v;
  for (int r = 0; r < rounds; ++r) {
    const auto t0 = Clock::now();
    for (int i = 0; i < iters; ++i) fn();
    v.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count() / iters);
  }
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 7;
  const int iters = argc > 2 ? std::atoi(argv[2]) : 10;
  const int64_t seq = 35, batch = 20, hidden = 200, layers = 2;
  manual_seed(0);
  nn::LSTM lstm(hidden, hidden, layers);
  Tensor x = randn({seq, batch, hidden});
  Tensor h0 = zeros({layers, batch, hidden}), c0 = zeros({layers, batch, hidden});
  std::printf("LSTM(%lld, %lld, num_layers=%lld), input [%lld, %lld, %lld], float32, %d threads\n",
              static_cast<long long>(hidden), static_cast<long long>(hidden), static_cast<long long>(layers),
              static_cast<long long>(seq), static_cast<long long>(batch), static_cast<long long>(hidden),
              omp_get_max_threads());
  const double fwd = median_ms(
      [&] {
        NoGradGuard g;
        lstm.forward(x, nn::LSTM::State{h0, c0});
      },
      rounds, iters);
  const double fwd_bwd = median_ms(
      [&] {
        lstm.zero_grad();
        auto [out, hc] = lstm.forward(x, nn::LSTM::State{h0, c0});
        (out.sum() + std::get<0>(hc).sum() + std::get<1>(hc).sum()).backward();
      },
      rounds, iters);
  std::printf("forward (no grad)   %8.3f ms\nforward + backward  %8.3f ms\n", fwd, fwd_bwd);
  return 0;
}

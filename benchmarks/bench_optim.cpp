// Optimizer-step benchmark: one step over ResNet-20's parameter list (272,474 parameters in
// 65 tensors, most of them small BN weights and biases) with the fused optim family
// (seek/ops/optim.h: one kernel call per group) against the per-op step (set_fused(false):
// about six elementwise ops per tensor). Also the total gradient norm (clip_grad_norm_'s
// first half) in one fused pass against the per-tensor norms. Fused and per-op alternate
// for ROUNDS rounds; each figure is the median per-step time over rounds.
//
//   build/benchmarks/bench_optim [rounds=7] [steps per round=50]     (OMP_NUM_THREADS as usual)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <omp.h>
#include <memory>
#include <string>
#include <vector>

#include "seek/seek.h"

namespace {

using namespace seek;
using Clock = std::chrono::steady_clock;

double time_per_call_us(const std::function<void()>& fn, int calls) {
  const auto t0 = Clock::now();
  for (int i = 0; i < calls; ++i) fn();
  return std::chrono::duration<double, std::micro>(Clock::now() - t0).count() / calls;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

struct Row {
  std::string name;
  std::function<std::unique_ptr<optim::Optimizer>(std::vector<Tensor>)> make;
};

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 7;
  const int steps = argc > 2 ? std::atoi(argv[2]) : 50;
  manual_seed(0);
  auto model = models::resnet20();
  std::vector<Tensor> params = model->parameters();
  int64_t numel = 0;
  for (auto& p : params) {
    p.set_grad(randn_like(p).mul(1e-3));
    numel += p.numel();
  }
  std::printf("ResNet-20: %zu tensors, %lld parameters, %d threads, %d rounds x %d steps\n\n", params.size(),
              static_cast<long long>(numel), omp_get_max_threads(), rounds, steps);
  const std::vector<Row> rows = {
      {"SGD momentum 0.9, wd 5e-4, nesterov",
       [](std::vector<Tensor> ps) -> std::unique_ptr<optim::Optimizer> {
         return std::make_unique<optim::SGD>(
             ps, optim::SGDOptions(1e-6).momentum_(0.9).weight_decay_(5e-4).nesterov_(true));
       }},
      {"Adam",
       [](std::vector<Tensor> ps) -> std::unique_ptr<optim::Optimizer> {
         return std::make_unique<optim::Adam>(ps, optim::AdamOptions(1e-6));
       }},
      {"AdamW amsgrad",
       [](std::vector<Tensor> ps) -> std::unique_ptr<optim::Optimizer> {
         return std::make_unique<optim::AdamW>(ps, optim::AdamWOptions(1e-6).amsgrad_(true));
       }},
      {"RMSprop centered, momentum 0.9",
       [](std::vector<Tensor> ps) -> std::unique_ptr<optim::Optimizer> {
         return std::make_unique<optim::RMSprop>(ps, optim::RMSpropOptions(1e-6).centered_(true).momentum_(0.9));
       }},
  };
  std::printf("| step | per-op (us) | fused (us) | speed-up |\n|---|---|---|---|\n");
  for (const auto& row : rows) {
    auto per_op = row.make(params);
    per_op->set_fused(false);
    auto fused = row.make(params);
    per_op->step();  // the state buffers exist before timing
    fused->step();
    std::vector<double> a, b;
    for (int r = 0; r < rounds; ++r) {
      a.push_back(time_per_call_us([&] { per_op->step(); }, steps));
      b.push_back(time_per_call_us([&] { fused->step(); }, steps));
    }
    std::printf("| %s | %.1f | %.1f | %.2fx |\n", row.name.c_str(), median(a), median(b), median(a) / median(b));
  }
  {
    std::vector<Tensor> grads;
    for (auto& p : params) grads.push_back(p.grad());
    NoGradGuard no_grad;
    std::vector<double> a, b;
    for (int r = 0; r < rounds; ++r) {
      a.push_back(time_per_call_us([&] {
        Tensor total;
        for (const auto& g : grads) {
          Tensor n = g.norm(2.0).pow(2.0);
          total = total.defined() ? total.add(n) : n;
        }
        total.pow(0.5).item<float>();
      }, steps));
      b.push_back(time_per_call_us([&] { fused_total_norm(grads, 2.0).item<float>(); }, steps));
    }
    std::printf("| total gradient 2-norm | %.1f | %.1f | %.2fx |\n", median(a), median(b), median(a) / median(b));
  }
  return 0;
}

// LSH attention against full attention: forward + backward time and peak memory per sequence
// length, seek's side of benchmarks/gpu/torch_lsh.py (PyTorch's flash scaled_dot_product_attention
// and naive full attention on the same shapes); benchmarks/gpu/run_lsh.sh runs both and
// compare_lsh.py prints one table. scripts/gpu_check.sh runs it on a GPU.
//
//   bench_lsh [--device cuda|cpu] [--dtype bf16|f32] [--lengths 1024,4096,16384,65536] [--heads 16]
//             [--dim 64] [--buckets 64] [--full-max 4096] [--runs 5] [--json FILE]
//
// Rows: lsh_<L> (seek::lsh_attention: chunk 64, 2 hash rounds, --buckets buckets) and full_<L>
// (seek's scaled_dot_product_attention, which materialises the L x L scores; only up to
// --full-max). A call is forward + backward of [1, heads, L, dim] q, k, v against a fixed
// output gradient. Time: two warm-up calls, then --runs timed calls between device
// synchronisations, the median. Memory: the peak of seek's allocator during one call minus
// what was allocated before it (cuda::max_memory_allocated on the GPU,
// cpu_peak_allocated_bytes on the CPU), so inputs and the output gradient are not counted.
// A fixed bucket count keeps hashing linear in L (its projections are [rows, rounds, L, buckets]);
// L/64 buckets, one chunk per bucket on average, would make them grow as L^2/64.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <sstream>
#include <optional>
#include <string>
#include <vector>

#include "bench_common.h"
#include "seek/cuda.h"
#include "seek/seek.h"

namespace {

using seek::Tensor;
using Clock = std::chrono::steady_clock;

struct Args {
  std::string device = "cuda", dtype = "bf16", json;
  std::vector<int64_t> lengths = {1024, 4096, 16384, 65536};
  int64_t heads = 16, dim = 64, buckets = 64, full_max = 4096;
  int runs = 5;
};

[[noreturn]] void usage(const std::string& why) {
  std::fprintf(stderr,
               "bench_lsh: %s\nusage: bench_lsh [--device cuda|cpu] [--dtype bf16|f32] [--lengths 1024,4096] "
               "[--heads 16] [--dim 64] [--buckets 64] [--full-max 4096] [--runs 5] [--json FILE]\n",
               why.c_str());
  std::exit(1);
}

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    if (i + 1 >= argc) usage("missing value after " + k);
    const std::string v = argv[++i];
    if (k == "--device") {
      a.device = v;
    } else if (k == "--dtype") {
      a.dtype = v;
    } else if (k == "--lengths") {
      a.lengths.clear();
      std::stringstream ss(v);
      for (std::string item; std::getline(ss, item, ',');) a.lengths.push_back(std::atoll(item.c_str()));
    } else if (k == "--heads") {
      a.heads = std::atoll(v.c_str());
    } else if (k == "--dim") {
      a.dim = std::atoll(v.c_str());
    } else if (k == "--buckets") {
      a.buckets = std::atoll(v.c_str());
    } else if (k == "--full-max") {
      a.full_max = std::atoll(v.c_str());
    } else if (k == "--runs") {
      a.runs = std::atoi(v.c_str());
    } else if (k == "--json") {
      a.json = v;
    } else {
      usage("unknown option " + k);
    }
  }
  if (a.device != "cuda" && a.device != "cpu") usage("--device must be cuda or cpu");
  if (a.dtype != "bf16" && a.dtype != "f32") usage("--dtype must be bf16 or f32");
  if (a.runs < 1 || a.heads < 1 || a.dim < 1 || a.lengths.empty()) usage("--runs, --heads, --dim must be positive");
  if (a.buckets < 2 || a.buckets % 2 != 0) usage("--buckets must be an even number >= 2");
  for (int64_t L : a.lengths)
    if (L < 128 || L % 128 != 0) usage("every length must be a positive multiple of 128");
  return a;
}

struct Measure {
  double median_s;
  size_t peak_bytes;
};

Measure measure(const std::function<void()>& call, const Args& a, bool cuda) {
  auto sync = [cuda] {
    if (cuda) seek::cuda::synchronize();
  };
  call(), call();  // warm-up (and the caching allocator's first blocks)
  sync();
  size_t before;
  if (cuda) {
    before = seek::cuda::memory_allocated();
    seek::cuda::reset_peak_memory_stats();
  } else {
    seek::reset_cpu_peak_bytes();
    before = seek::cpu_peak_allocated_bytes();
  }
  call();
  sync();
  const size_t peak = cuda ? seek::cuda::max_memory_allocated() : seek::cpu_peak_allocated_bytes();
  std::vector<double> t;
  for (int r = 0; r < a.runs; ++r) {
    sync();
    const auto t0 = Clock::now();
    call();
    sync();
    t.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
  }
  std::sort(t.begin(), t.end());
  return {t[t.size() / 2], peak - before};
}

}  // namespace

int main(int argc, char** argv) {
  const Args a = parse(argc, argv);
  const bool cuda = a.device == "cuda";
  const std::optional<std::string> selected = seek_bench::select_device("bench_lsh", cuda);
  if (!selected) return 2;
  const std::string device_name = *selected;
  seek::manual_seed(0);
  const seek::Device dev = cuda ? seek::kCUDA : seek::kCPU;
  const seek::DType dt = a.dtype == "bf16" ? seek::kBF16 : seek::kF32;
  std::string json = "{\n  \"_meta\": {\"impl\": \"seek\", \"device\": \"" + device_name + "\", \"dtype\": \"" +
                     a.dtype + "\", \"heads\": " + std::to_string(a.heads) + ", \"dim\": " + std::to_string(a.dim) +
                     ", \"runs\": " + std::to_string(a.runs) + "}";
  for (int64_t L : a.lengths) {
    const seek::Shape shape{1, a.heads, L, a.dim};
    auto input = [&] { return seek::randn(shape).to(dev, dt).requires_grad_(true); };
    Tensor q = input(), k = input(), v = input();
    const Tensor g = seek::randn(shape).to(dev, dt);
    auto backward = [&](const Tensor& out) {
      out.backward(g);
      q.set_grad(Tensor()), k.set_grad(Tensor()), v.set_grad(Tensor());  // no accumulation across calls
    };
    const seek::LSHAttentionOptions opt =
        seek::LSHAttentionOptions().chunk(64).hashes(2).buckets(a.buckets).with_seed(1);
    struct Row {
      std::string name, label;
      std::function<void()> call;
    };
    std::vector<Row> rows = {{"lsh_" + std::to_string(L), "seek lsh_attention (chunk 64, 2 rounds, " + std::to_string(a.buckets) + " buckets)",
                              [&] { backward(seek::nn::functional::lsh_attention(q, k, v, opt)); }}};
    if (L <= a.full_max)
      rows.push_back({"full_" + std::to_string(L), "seek scaled_dot_product_attention (L x L scores)",
                      [&] { backward(seek::nn::functional::scaled_dot_product_attention(q, k, v)); }});
    for (const Row& r : rows) {
      const Measure m = measure(r.call, a, cuda);
      std::fprintf(stderr, "%-12s %12.3f ms  peak %10.1f MiB  (%s)\n", r.name.c_str(), m.median_s * 1e3,
                   double(m.peak_bytes) / (1 << 20), r.label.c_str());
      char line[512];
      std::snprintf(line, sizeof(line),
                    ",\n  \"%s\": {\"label\": \"%s\", \"L\": %lld, \"time_s\": %.9g, \"peak_bytes\": %zu}",
                    r.name.c_str(), r.label.c_str(), static_cast<long long>(L), m.median_s, m.peak_bytes);
      json += line;
    }
  }
  json += "\n}\n";
  return seek_bench::write_json("bench_lsh", json, a.json);
}

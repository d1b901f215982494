// Training throughput of BERT masked-LM (forward, loss, backward, AdamW step) on random token ids;
// benchmarks/torch_bert.py runs the same with transformers' BertForMaskedLM on PyTorch, and
// benchmarks/run_bert.sh alternates the two and prints the comparison.
//
//   bench_bert [--config mini|tiny|small|base] [--batch 16] [--seq 128] [--warmup 2] [--steps 5] [--windows 1]
//              [--attention standard|lsh] [--device cpu|cuda] [--bf16 0|1] [--accumulation 1]
//
// --accumulation N: each optimizer step accumulates the gradients of N micro-batches of --batch sequences
// (tokens/s counts every micro-batch).
// --device cuda runs on the GPU (synchronised around each window); --bf16 1 runs forward and loss under
// autocast to bfloat16 (the GPU workload: --config base --batch 32 --device cuda --bf16 1).
// Each window times --steps steps after the warm-up and prints one JSON line
// {"impl": "seek", "config": ..., "tokens_per_s": ..., "step_ms": ...}. 15% of the positions carry a label
// (the rest -100), as BERT's masking; every position is a real token (no padding).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "seek/seek.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Args {
  std::string config = "mini", attention = "standard", device = "cpu";
  int64_t batch = 16, seq = 128, warmup = 2, steps = 5, windows = 1, bf16 = 0, accumulation = 1;
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--config") a.config = v;
    else if (k == "--attention") a.attention = v;
    else if (k == "--batch") a.batch = std::stoll(v);
    else if (k == "--seq") a.seq = std::stoll(v);
    else if (k == "--warmup") a.warmup = std::stoll(v);
    else if (k == "--steps") a.steps = std::stoll(v);
    else if (k == "--windows") a.windows = std::stoll(v);
    else if (k == "--device") a.device = v;
    else if (k == "--bf16") a.bf16 = std::stoll(v);
    else if (k == "--accumulation") a.accumulation = std::max<int64_t>(1, std::stoll(v));
    else throw std::runtime_error("bench_bert: unknown option " + k);
  }
  return a;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace seek;
  Args a = parse(argc, argv);
  models::BertConfig c = a.config == "tiny"    ? models::BertConfig::bert_tiny()
                         : a.config == "small" ? models::BertConfig::bert_small()
                         : a.config == "base"  ? models::BertConfig::bert_base()
                                               : models::BertConfig::bert_mini();
  c.attention_type = a.attention;
  manual_seed(0);
  models::BertForMaskedLM model(c);
  const Device dev(a.device);
  model.to(dev);
  model.train();
  optim::AdamW opt(model.parameters(), optim::AdamWOptions(1e-4));
  TensorOptions i64(kInt64);
  Tensor ids = randint(1, c.vocab_size, {a.batch, a.seq}, i64);
  Tensor mask = ones({a.batch, a.seq}, i64);
  Tensor chosen = rand({a.batch, a.seq}).lt(0.15);
  Tensor labels = ids.masked_fill(chosen.logical_not(), -100);
  ids = ids.to(dev), mask = mask.to(dev), labels = labels.to(dev);
  auto step = [&] {
    opt.zero_grad();
    for (int64_t micro = 0; micro < a.accumulation; ++micro) {
      Tensor loss;
      {
        amp::AutocastGuard autocast(dev.type, kBFloat16, a.bf16 != 0);
        loss = model.forward(ids, mask, Tensor(), labels).loss;
      }
      (a.accumulation > 1 ? loss / static_cast<double>(a.accumulation) : loss).backward();
    }
    opt.step();
  };
  auto sync = [&] {
    if (dev.type == DeviceType::CUDA) cuda::synchronize();
  };
  for (int64_t i = 0; i < a.warmup; ++i) step();
  sync();
  for (int64_t w = 0; w < a.windows; ++w) {
    auto t0 = Clock::now();
    for (int64_t i = 0; i < a.steps; ++i) step();
    sync();
    double s = std::chrono::duration<double>(Clock::now() - t0).count();
    std::printf("{\"impl\": \"seek\", \"device\": \"%s\", \"bf16\": %d, \"config\": \"%s\", \"batch\": %lld, \"seq\": %lld, \"accumulation\": %lld, \"tokens_per_s\": %.1f, "
                "\"sequences_per_s\": %.2f, \"step_ms\": %.1f}\n",
                a.device.c_str(), static_cast<int>(a.bf16), a.config.c_str(), static_cast<long long>(a.batch), static_cast<long long>(a.seq),
                static_cast<long long>(a.accumulation), static_cast<double>(a.batch * a.seq * a.steps * a.accumulation) / s,
                static_cast<double>(a.batch * a.steps * a.accumulation) / s,
                1e3 * s / static_cast<double>(a.steps));
    std::fflush(stdout);
  }
  return 0;
}

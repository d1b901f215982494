// YOLO model size and training-step throughput (issue 18): parameters, conv GFLOPs per image (2 x the
// multiply-adds of every Conv2d, counted with call hooks, as YOLOv5's thop figure), and forward + backward
// images/s on random images (no loss function: a sum of the outputs stands in for it, so the figure is the
// model's own cost).
//
//   bench_yolo [--config nano|small] [--batch 32] [--size 128] [--warmup 2] [--steps 5]
//              [--fused] [--channels-last] [--fixed] [--flops-size N] [--depth D] [--max-channels M] [--profile]
// --profile: forward milliseconds per layer of the backbone and neck and per head scale (call hooks), train mode.
// (--depth 0.33 --max-channels 1024 with nano is YOLOv5n's graph: depths 1, 2, 3, 1 and widths up to 256)
//
// Prints one JSON line {"config", "params", "gflops", "images_per_s", "step_ms", "images_per_cpu_s", ...}
// (images per second of process CPU time, all threads: the steadier figure on a shared machine).
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "seek/models/yolo/yolo.h"
#include "seek/seek.h"

namespace {

using seek::Tensor;
using Clock = std::chrono::steady_clock;
namespace yolo = seek::models::yolo;

struct Args {
  std::string config = "nano";
  int64_t batch = 32, size = 128, warmup = 2, steps = 5, flops_size = 0;
  bool fused = false, channels_last = false, fixed = false, profile = false;
  double depth = 0;          // > 0: overrides depth_multiple
  int64_t max_channels = 0;  // > 0: overrides max_channels
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    auto is = [&](const char* s) { return std::strcmp(argv[i], s) == 0; };
    auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (is("--config"))
      a.config = next();
    else if (is("--batch"))
      a.batch = std::stoll(next());
    else if (is("--size"))
      a.size = std::stoll(next());
    else if (is("--warmup"))
      a.warmup = std::stoll(next());
    else if (is("--steps"))
      a.steps = std::stoll(next());
    else if (is("--flops-size"))
      a.flops_size = std::stoll(next());
    else if (is("--fused"))
      a.fused = true;
    else if (is("--channels-last"))
      a.channels_last = true;
    else if (is("--depth"))
      a.depth = std::stod(next());
    else if (is("--max-channels"))
      a.max_channels = std::stoll(next());
    else if (is("--profile"))
      a.profile = true;
    else if (is("--fixed"))
      a.fixed = true;
    else {
      std::fprintf(stderr, "bench_yolo: unknown argument %s\n", argv[i]);
      std::exit(2);
    }
  }
  return a;
}

// 2 x multiply-adds of every Conv2d for one image of size x size (eval mode, one forward).
double conv_gflops(yolo::YoloModel& model, int64_t size, int64_t in_channels) {
  double macs = 0;
  std::vector<std::shared_ptr<seek::nn::Module>> hooked;
  for (auto& [name, m] : model.named_modules()) {
    if (dynamic_cast<seek::nn::Conv2d*>(m.get()) == nullptr) continue;
    m->set_call_hook([&macs](seek::nn::Module& mod, const Tensor& x) {
      Tensor y = mod.forward(x);
      const Tensor& w = mod.param("weight");
      macs += static_cast<double>(y.numel()) * static_cast<double>(w.size(1) * w.size(2) * w.size(3));
      return y;
    });
    hooked.push_back(m);
  }
  model.eval();
  {
    seek::NoGradGuard no_grad;
    model.forward(seek::rand({1, in_channels, size, size}));
  }
  for (auto& m : hooked) m->set_call_hook(nullptr);
  model.train();
  return 2.0 * macs / 1e9;
}

// Forward time of each backbone / neck layer and head branch (call hooks), averaged over `steps` forwards.
void profile_forward(yolo::YoloModel& model, const Tensor& x, int64_t steps) {
  std::vector<std::pair<std::string, double>> ms;
  std::vector<std::shared_ptr<seek::nn::Module>> hooked;
  for (const char* part : {"backbone", "neck", "head"}) {
    auto parent = model.child(part);
    std::vector<std::pair<std::string, std::shared_ptr<seek::nn::Module>>> layers;
    if (std::string(part) == "head") {
      for (auto& [name, m] : std::dynamic_pointer_cast<seek::nn::Module>(parent->child("m"))->named_children())
        layers.emplace_back("head.m." + name, m);
    } else {
      for (auto& [name, m] : parent->named_children()) layers.emplace_back(std::string(part) + "." + name, m);
    }
    for (auto& [name, m] : layers) {
      if (name == "neck.attn") continue;  // a ModuleList: no forward of its own
      const size_t slot = ms.size();
      ms.emplace_back(name, 0.0);
      m->set_call_hook([&ms, slot](seek::nn::Module& mod, const Tensor& in) {
        const auto t0 = Clock::now();
        Tensor y = mod.forward(in);
        ms[slot].second += std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
        return y;
      });
      hooked.push_back(m);
    }
  }
  for (int64_t i = 0; i < steps; ++i) model.forward(x);
  for (auto& m : hooked) m->set_call_hook(nullptr);
  for (auto& [name, t] : ms) std::printf("%-14s %8.2f ms\n", name.c_str(), t / static_cast<double>(steps));
}

}  // namespace

int main(int argc, char** argv) {
  const Args a = parse(argc, argv);
  seek::manual_seed(0);
  yolo::YoloConfig config = a.config == "small" ? yolo::YoloConfig::small(10) : yolo::YoloConfig::nano(10);
  config.dynamic_anchors = !a.fixed;
  if (a.depth > 0) config.depth_multiple = a.depth;
  if (a.max_channels > 0) config.max_channels = a.max_channels;
  auto model_ptr = std::make_shared<yolo::YoloModel>(config);  // named_modules() needs a shared_ptr
  yolo::YoloModel& model = *model_ptr;
  const double gflops = conv_gflops(model, a.flops_size > 0 ? a.flops_size : a.size, config.in_channels);
  if (a.fused) model.set_conv_bn_fused(true);
  Tensor x = seek::rand({a.batch, config.in_channels, a.size, a.size});
  if (a.channels_last) {
    model.to(seek::MemoryFormat::ChannelsLast);
    x = x.contiguous(seek::MemoryFormat::ChannelsLast);
  }
  auto step = [&] {
    model.zero_grad();
    yolo::YoloOutput out = model.forward(x);
    Tensor loss = seek::zeros({});
    for (auto& p : out.preds) loss = loss + p.mean();
    for (auto& an : out.anchors) loss = loss + an.mean();
    loss.backward();
  };
  for (int64_t i = 0; i < a.warmup; ++i) step();
  if (a.profile) {
    profile_forward(model, x, a.steps);
    return 0;
  }
  const auto t0 = Clock::now();
  const std::clock_t c0 = std::clock();
  for (int64_t i = 0; i < a.steps; ++i) step();
  const double s = std::chrono::duration<double>(Clock::now() - t0).count();
  // Process CPU seconds (all threads): on a shared machine images per CPU-second is the steadier figure.
  const double cpu = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
  std::printf(
      "{\"config\": \"%s\", \"params\": %lld, \"gflops\": %.3f, \"flops_size\": %lld, \"batch\": %lld, \"size\": %lld, "
      "\"fused\": %s, \"channels_last\": %s, \"dynamic\": %s, \"images_per_s\": %.1f, \"step_ms\": %.1f, "
      "\"images_per_cpu_s\": %.1f}\n",
      a.config.c_str(), static_cast<long long>(model.num_parameters()), gflops,
      static_cast<long long>(a.flops_size > 0 ? a.flops_size : a.size), static_cast<long long>(a.batch),
      static_cast<long long>(a.size), a.fused ? "true" : "false", a.channels_last ? "true" : "false",
      a.fixed ? "false" : "true", static_cast<double>(a.batch * a.steps) / s, 1000.0 * s / static_cast<double>(a.steps),
      cpu > 0 ? static_cast<double>(a.batch * a.steps) / cpu : 0.0);
  return 0;
}

// YOLO model size and training-step throughput (issue 18): parameters, conv GFLOPs per image (2 x the
// multiply-adds of every Conv2d, counted with call hooks, as YOLOv5's thop figure), and forward + backward
// images/s on random images (no loss function: a sum of the outputs stands in for it, so the figure is the
// model's own cost).
//
//   bench_yolo [--config nano|small] [--batch 32] [--size 128] [--warmup 2] [--steps 5]
//              [--fused] [--channels-last] [--fixed] [--flops-size N]
//
// Prints one JSON line {"config", "params", "gflops", "images_per_s", "step_ms", ...}.
#include <chrono>
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
  bool fused = false, channels_last = false, fixed = false;
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

}  // namespace

int main(int argc, char** argv) {
  const Args a = parse(argc, argv);
  seek::manual_seed(0);
  yolo::YoloConfig config = a.config == "small" ? yolo::YoloConfig::small(10) : yolo::YoloConfig::nano(10);
  config.dynamic_anchors = !a.fixed;
  yolo::YoloModel model(config);
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
  const auto t0 = Clock::now();
  for (int64_t i = 0; i < a.steps; ++i) step();
  const double s = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf(
      "{\"config\": \"%s\", \"params\": %lld, \"gflops\": %.3f, \"flops_size\": %lld, \"batch\": %lld, \"size\": %lld, "
      "\"fused\": %s, \"channels_last\": %s, \"dynamic\": %s, \"images_per_s\": %.1f, \"step_ms\": %.1f}\n",
      a.config.c_str(), static_cast<long long>(model.num_parameters()), gflops,
      static_cast<long long>(a.flops_size > 0 ? a.flops_size : a.size), static_cast<long long>(a.batch),
      static_cast<long long>(a.size), a.fused ? "true" : "false", a.channels_last ? "true" : "false",
      a.fixed ? "false" : "true", static_cast<double>(a.batch * a.steps) / s,
      1000.0 * s / static_cast<double>(a.steps));
  return 0;
}

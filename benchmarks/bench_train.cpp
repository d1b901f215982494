// Training-step throughput of three small models on random in-memory data.
// benchmarks/torch_train.py runs the same models and steps in PyTorch;
// benchmarks/run_train.sh alternates the two and prints the ratio table.
//
//   bench_train --model resnet20|mlp|cnn [--batch 128] [--warmup 3] [--steps 10] [--windows 1]
//               [--profile]
//
// A step is zero_grad, forward, loss, backward, optimizer step. After the warm-up
// steps each window times --steps steps and prints one JSON line
// {"model": ..., "images_per_s": ..., "step_ms": ...}. --profile instead prints the
// average time of the forward, loss, backward and optimizer phases, and of the
// ResNet's individual op kinds (conv, batch norm, relu, add, pool, linear) forward and
// backward, each timed alone on the activations of the real model.
#include <omp.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "seek/seek.h"

namespace {

using seek::Tensor;
using Clock = std::chrono::steady_clock;
namespace F = seek::nn::functional;

struct Args {
  std::string model = "resnet20";
  int64_t batch = 128;
  int64_t warmup = 3;
  int64_t steps = 10;
  int64_t windows = 1;
  bool profile = false;
};

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

struct Workload {
  std::shared_ptr<seek::nn::Module> model;
  std::unique_ptr<seek::optim::Optimizer> opt;
  Tensor x, y;
  double label_smoothing = 0.0;
};

Workload make_workload(const Args& a) {
  seek::manual_seed(0);
  Workload w;
  namespace nn = seek::nn;
  if (a.model == "resnet20") {
    // examples/resnet defaults: resnet20(10, 1) on 28x28, SGD lr 0.1 momentum 0.9 nesterov wd 5e-4,
    // cross entropy with label smoothing 0.05.
    w.model = seek::models::resnet20(10, 1);
    w.x = seek::randn({a.batch, 1, 28, 28});
    w.opt = std::make_unique<seek::optim::SGD>(
        w.model->parameters(), seek::optim::SGDOptions(0.1).momentum_(0.9).nesterov_(true).weight_decay_(5e-4));
    w.label_smoothing = 0.05;
  } else if (a.model == "mlp") {
    w.model = std::make_shared<nn::Sequential>(std::initializer_list<nn::ModulePtr>{
        std::make_shared<nn::Flatten>(), std::make_shared<nn::Linear>(784, 512), std::make_shared<nn::ReLU>(),
        std::make_shared<nn::Linear>(512, 512), std::make_shared<nn::ReLU>(), std::make_shared<nn::Linear>(512, 10)});
    w.x = seek::randn({a.batch, 1, 28, 28});
    w.opt = std::make_unique<seek::optim::Adam>(w.model->parameters(), seek::optim::AdamOptions(1e-3));
  } else if (a.model == "cnn") {
    w.model = std::make_shared<nn::Sequential>(std::initializer_list<nn::ModulePtr>{
        std::make_shared<nn::Conv2d>(1, 32, 3, 1, 1), std::make_shared<nn::ReLU>(),
        std::make_shared<nn::MaxPool2d>(2), std::make_shared<nn::Conv2d>(32, 64, 3, 1, 1),
        std::make_shared<nn::ReLU>(), std::make_shared<nn::MaxPool2d>(2), std::make_shared<nn::Flatten>(),
        std::make_shared<nn::Linear>(64 * 7 * 7, 128), std::make_shared<nn::ReLU>(),
        std::make_shared<nn::Linear>(128, 10)});
    w.x = seek::randn({a.batch, 1, 28, 28});
    w.opt = std::make_unique<seek::optim::SGD>(w.model->parameters(), seek::optim::SGDOptions(0.01).momentum_(0.9));
  } else {
    std::fprintf(stderr, "bench_train: unknown --model '%s' (resnet20, mlp or cnn)\n", a.model.c_str());
    std::exit(2);
  }
  w.y = seek::randint(10, {a.batch});
  w.model->train();
  return w;
}

Tensor loss_of(Workload& w, const Tensor& out) {
  return F::cross_entropy(out, w.y, Tensor(), -100, "mean", w.label_smoothing);
}

void step(Workload& w) {
  w.opt->zero_grad();
  Tensor loss = loss_of(w, w.model->forward(w.x));
  loss.backward();
  w.opt->step();
}

// Average time of a callable over `reps` calls, after one untimed call.
double time_it(int reps, const std::function<void()>& fn) {
  fn();
  auto t0 = Clock::now();
  for (int i = 0; i < reps; ++i) fn();
  return seconds_since(t0) / reps;
}

// Forward and backward of one op on a saved input, timed alone.
void time_op(std::map<std::string, std::pair<double, double>>& acc, const std::string& kind, int reps,
             const Tensor& input, const std::function<Tensor(const Tensor&)>& op) {
  Tensor x = input.detach().requires_grad_(true);
  const double fwd = time_it(reps, [&] { (void)op(x); });
  Tensor out = op(x);
  Tensor g = seek::ones_like(out);
  const double total = time_it(reps, [&] {
    Tensor o = op(x);
    o.backward(g);
  });
  acc[kind].first += fwd;
  acc[kind].second += total - fwd;
}

void profile_resnet(Workload& w, int reps) {
  namespace nn = seek::nn;
  std::map<std::string, std::pair<double, double>> ops;
  // Walk the blocks by hand, timing each op on the activation it sees in the model.
  auto& net = dynamic_cast<seek::models::ResNet&>(*w.model);
  auto conv = [](const std::shared_ptr<nn::Module>& m) { return std::dynamic_pointer_cast<nn::Conv2d>(m); };
  auto bn = [](const std::shared_ptr<nn::Module>& m) { return std::dynamic_pointer_cast<nn::BatchNorm2d>(m); };
  auto run_conv = [&](const std::shared_ptr<nn::Conv2d>& c, const Tensor& in) {
    c->zero_grad();
    time_op(ops, "conv2d", reps, in, [&](const Tensor& t) { return c->forward(t); });
    seek::NoGradGuard ng;
    return c->forward(in);
  };
  auto run_bn = [&](const std::shared_ptr<nn::BatchNorm2d>& b, const Tensor& in) {
    time_op(ops, "batch_norm", reps, in, [&](const Tensor& t) { return b->forward(t); });
    seek::NoGradGuard ng;
    return b->forward(in);
  };
  auto run_relu = [&](const Tensor& in) {
    time_op(ops, "relu", reps, in, [](const Tensor& t) { return t.relu(); });
    return in.relu();
  };
  auto mods = net.named_children();
  std::map<std::string, std::shared_ptr<nn::Module>> top(mods.begin(), mods.end());
  Tensor x = run_relu(run_bn(bn(top["bn1"]), run_conv(conv(top["conv1"]), w.x)));
  for (const char* stage : {"layer1", "layer2", "layer3"}) {
    for (auto& [bname, block] : top[stage]->named_children()) {
      std::map<std::string, std::shared_ptr<nn::Module>> b;
      for (auto& [n, m] : block->named_children()) b[n] = m;
      Tensor out = run_relu(run_bn(bn(b["bn1"]), run_conv(conv(b["conv1"]), x)));
      out = run_bn(bn(b["bn2"]), run_conv(conv(b["conv2"]), out));
      Tensor identity = x;
      if (b.count("downsample")) {
        std::map<std::string, std::shared_ptr<nn::Module>> d;
        for (auto& [n, m] : b["downsample"]->named_children()) d[n] = m;
        identity = run_bn(bn(d["1"]), run_conv(conv(d["0"]), x));
      }
      time_op(ops, "add", reps, out, [&](const Tensor& t) { return t + identity; });
      x = run_relu(out + identity);
    }
  }
  time_op(ops, "avgpool+flatten", reps, x, [](const Tensor& t) { return seek::adaptive_avg_pool2d(t, 1).flatten(1); });
  x = seek::adaptive_avg_pool2d(x, 1).flatten(1);
  auto fc = top["fc"];
  time_op(ops, "linear", reps, x, [&](const Tensor& t) { return fc->forward(t); });
  Tensor logits = fc->forward(x);
  time_op(ops, "cross_entropy", reps, logits, [&](const Tensor& t) { return loss_of(w, t); });
  double sum_f = 0, sum_b = 0;
  std::printf("op kind, forward ms, backward ms (per step, summed over the model's layers)\n");
  for (auto& [k, v] : ops) {
    std::printf("  %-16s %8.2f %8.2f\n", k.c_str(), v.first * 1e3, v.second * 1e3);
    sum_f += v.first;
    sum_b += v.second;
  }
  std::printf("  %-16s %8.2f %8.2f\n", "sum", sum_f * 1e3, sum_b * 1e3);
}

void profile(Workload& w, const Args& a) {
  const int reps = static_cast<int>(a.steps);
  double t_zero = 0, t_fwd = 0, t_loss = 0, t_bwd = 0, t_opt = 0;
  for (int i = 0; i < reps; ++i) {
    auto t0 = Clock::now();
    w.opt->zero_grad();
    auto t1 = Clock::now();
    Tensor out = w.model->forward(w.x);
    auto t2 = Clock::now();
    Tensor loss = loss_of(w, out);
    auto t3 = Clock::now();
    loss.backward();
    auto t4 = Clock::now();
    w.opt->step();
    auto t5 = Clock::now();
    auto d = [](auto p, auto q) { return std::chrono::duration<double>(q - p).count(); };
    t_zero += d(t0, t1), t_fwd += d(t1, t2), t_loss += d(t2, t3), t_bwd += d(t3, t4), t_opt += d(t4, t5);
  }
  const double total = t_zero + t_fwd + t_loss + t_bwd + t_opt;
  std::printf("%s phases, ms per step (mean of %d):\n", a.model.c_str(), reps);
  std::printf("  zero_grad %.2f  forward %.2f  loss %.2f  backward %.2f  optimizer %.2f  total %.2f\n",
              t_zero / reps * 1e3, t_fwd / reps * 1e3, t_loss / reps * 1e3, t_bwd / reps * 1e3,
              t_opt / reps * 1e3, total / reps * 1e3);
  if (a.model == "resnet20") profile_resnet(w, reps);
}

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string f = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "bench_train: %s needs a value\n", f.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (f == "--model") a.model = next();
    else if (f == "--batch") a.batch = std::stoll(next());
    else if (f == "--warmup") a.warmup = std::stoll(next());
    else if (f == "--steps") a.steps = std::stoll(next());
    else if (f == "--windows") a.windows = std::stoll(next());
    else if (f == "--profile") a.profile = true;
    else {
      std::fprintf(stderr, "bench_train: unknown flag %s\n", f.c_str());
      std::exit(2);
    }
  }
  return a;
}

}  // namespace

int main(int argc, char** argv) {
  const Args a = parse(argc, argv);
  Workload w = make_workload(a);
  for (int64_t i = 0; i < a.warmup; ++i) step(w);
  if (a.profile) {
    profile(w, a);
    return 0;
  }
  for (int64_t win = 0; win < a.windows; ++win) {
    auto t0 = Clock::now();
    for (int64_t i = 0; i < a.steps; ++i) step(w);
    const double s = seconds_since(t0);
    std::printf("{\"model\": \"%s\", \"threads\": %d, \"images_per_s\": %.3f, \"step_ms\": %.3f}\n", a.model.c_str(),
                omp_get_max_threads(), static_cast<double>(a.batch * a.steps) / s, s / a.steps * 1e3);
    std::fflush(stdout);
  }
  return 0;
}

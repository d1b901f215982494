// Fused conv -> batch norm -> ReLU (issue 15, seek::conv_bn / kernels/conv_bn_fused.cu) against the same
// block as three seek ops (conv2d, batch_norm, relu), forward + backward with batch statistics, per conv
// shape; benchmarks/gpu/torch_conv_bn.py times PyTorch's conv -> BN -> ReLU (cuDNN) on the same shapes and
// run_conv_bn.sh prints one table (compare_conv_bn.py).
//
//   bench_conv_bn [--device cuda|cpu] [--dtype bf16|f16|f32] [--shapes resnet50|resnet20|tiny] [--batch N]
//                 [--runs 10] [--target-ms 20] [--filter SUBSTRING] [--json FILE] [--nchw]
//
// Defaults: cuda, bf16, channels_last (NHWC) activations and weights, the ResNet-50 conv shapes (224x224
// input) at batch 256 (--batch 32 for a quicker pass). One timed call = zero the grads, forward, backward
// with a fixed upstream gradient. Timing as bench_gpu: 3 warm-up calls, the fastest of three single calls
// sizes a batch of k calls of about --target-ms, the median per-call time of --runs batches.
// --device cpu --dtype f32 --shapes resnet20 --batch 128 is the CPU figure of docs/performance.md.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "bench_common.h"
#include "seek/cuda.h"
#include "seek/nn/fused_conv_bn.h"
#include "seek/seek.h"

namespace {

using seek::Tensor;
using Clock = std::chrono::steady_clock;

struct Args {
  std::string device = "cuda", dtype = "bf16", shapes = "resnet50", filter, json;
  int64_t batch = 256;
  int runs = 10;
  double target_ms = 20.0;
  bool nchw = false;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "bench_conv_bn: %s\nusage: bench_conv_bn [--device cuda|cpu] [--dtype bf16|f16|f32] "
               "[--shapes resnet50|resnet20|tiny] [--batch N] [--runs N] [--target-ms MS] [--filter S] [--json FILE] "
               "[--nchw]\n",
               why);
  std::exit(1);
}

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    if (k == "--nchw") {
      a.nchw = true;
      continue;
    }
    if (i + 1 >= argc) usage(("missing value after " + k).c_str());
    const std::string v = argv[++i];
    if (k == "--device") a.device = v;
    else if (k == "--dtype") a.dtype = v;
    else if (k == "--shapes") a.shapes = v;
    else if (k == "--batch") a.batch = std::atoll(v.c_str());
    else if (k == "--runs") a.runs = std::atoi(v.c_str());
    else if (k == "--target-ms") a.target_ms = std::atof(v.c_str());
    else if (k == "--filter") a.filter = v;
    else if (k == "--json") a.json = v;
    else usage(("unknown option " + k).c_str());
  }
  if (a.device != "cuda" && a.device != "cpu") usage("--device must be cuda or cpu");
  if (a.dtype != "bf16" && a.dtype != "f16" && a.dtype != "f32") usage("--dtype must be bf16, f16 or f32");
  if (a.batch < 2 || a.runs < 1 || !(a.target_ms > 0)) usage("--batch > 1, --runs and --target-ms positive");
  return a;
}

struct Shape {
  int64_t cin, cout, k, stride, h;  // input h = w
};

// The distinct conv shapes of torchvision's resnet50 at 224x224 (every conv is followed by a batch norm;
// the 1x1 stride-2 ones are the downsample shortcuts), ResNet-20's 3x3 convs at 32x32, and a tiny set for
// the simulated device.
std::vector<Shape> shapes(const std::string& name) {
  if (name == "resnet20") return {{16, 16, 3, 1, 32}, {16, 32, 3, 2, 32}, {32, 32, 3, 1, 16}, {64, 64, 3, 1, 8}};
  if (name == "tiny") return {{8, 16, 3, 1, 6}, {16, 8, 1, 2, 6}};
  if (name != "resnet50") usage("--shapes must be resnet50, resnet20 or tiny");
  return {{3, 64, 7, 2, 224},     {64, 64, 1, 1, 56},    {64, 64, 3, 1, 56},    {64, 256, 1, 1, 56},
          {256, 64, 1, 1, 56},    {256, 128, 1, 1, 56},  {128, 128, 3, 2, 56},  {128, 512, 1, 1, 28},
          {256, 512, 1, 2, 56},   {512, 128, 1, 1, 28},  {128, 128, 3, 1, 28},  {512, 256, 1, 1, 28},
          {256, 256, 3, 2, 28},   {256, 1024, 1, 1, 14}, {512, 1024, 1, 2, 28}, {1024, 256, 1, 1, 14},
          {256, 256, 3, 1, 14},   {1024, 512, 1, 1, 14}, {512, 512, 3, 2, 14},  {512, 2048, 1, 1, 7},
          {1024, 2048, 1, 2, 14}, {2048, 512, 1, 1, 7},  {512, 512, 3, 1, 7}};
}

std::string row_name(const Shape& s) {
  return "convbn_" + std::to_string(s.cin) + "_" + std::to_string(s.cout) + "_k" + std::to_string(s.k) + "s" +
         std::to_string(s.stride) + "_" + std::to_string(s.h);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

double time_call(const std::function<void()>& call, const Args& a, bool cuda) {
  auto sync = [cuda] {
    if (cuda) seek::cuda::synchronize();
  };
  auto batch = [&](int64_t k) {
    sync();
    const auto t0 = Clock::now();
    for (int64_t i = 0; i < k; ++i) call();
    sync();
    return std::chrono::duration<double>(Clock::now() - t0).count() / double(k);
  };
  for (int i = 0; i < 3; ++i) call();
  const double estimate = std::min({batch(1), batch(1), batch(1)});
  const int64_t k = std::clamp<int64_t>(int64_t(std::ceil(a.target_ms * 1e-3 / std::max(estimate, 1e-9))), 1, 1000);
  std::vector<double> per_call;
  for (int r = 0; r < a.runs; ++r) per_call.push_back(batch(k));
  return median(per_call);
}

}  // namespace

int main(int argc, char** argv) {
  const Args a = parse(argc, argv);
  const bool cuda = a.device == "cuda";
  const std::optional<std::string> selected = seek_bench::select_device("bench_conv_bn", cuda);
  if (!selected) return 2;
  const std::string device_name = *selected;
  seek::manual_seed(0);
  const seek::Device dev = cuda ? seek::kCUDA : seek::kCPU;
  const seek::DType dt = a.dtype == "bf16" ? seek::kBF16 : a.dtype == "f16" ? seek::kF16 : seek::kF32;
  const seek::MemoryFormat fmt = a.nchw ? seek::MemoryFormat::Contiguous : seek::MemoryFormat::ChannelsLast;
  std::string json = "{\n  \"_meta\": {\"impl\": \"seek\", \"device\": \"" + device_name + "\", \"dtype\": \"" +
                     a.dtype + "\", \"batch\": " + std::to_string(a.batch) + ", \"layout\": \"" +
                     (a.nchw ? "nchw" : "nhwc") + "\"}";
  for (const Shape& s : shapes(a.shapes)) {
    const std::string name = row_name(s);
    if (!a.filter.empty() && name.find(a.filter) == std::string::npos) continue;
    const int64_t pad = s.k / 2, oh = (s.h + 2 * pad - s.k) / s.stride + 1;
    auto make = [&](const seek::Shape& shape, bool grad) {
      Tensor t = seek::randn(shape).to(dev, dt);
      if (shape.size() == 4) t = t.contiguous(fmt);
      return t.requires_grad_(grad);
    };
    Tensor x = make({a.batch, s.cin, s.h, s.h}, s.cin != 3);  // the stem's image needs no gradient
    Tensor w = make({s.cout, s.cin, s.k, s.k}, true);
    Tensor gamma = seek::ones({s.cout}, seek::TensorOptions(dt).device(dev)).requires_grad_(true);
    Tensor beta = seek::zeros({s.cout}, seek::TensorOptions(dt).device(dev)).requires_grad_(true);
    Tensor rm = seek::zeros({s.cout}, seek::TensorOptions(dt).device(dev));
    Tensor rv = seek::ones({s.cout}, seek::TensorOptions(dt).device(dev));
    Tensor gy = make({a.batch, s.cout, oh, oh}, false);
    auto zero = [&] {
      for (Tensor* t : {&x, &w, &gamma, &beta}) t->set_grad(Tensor());  // set_to_none, as optimizers do
    };
    seek::ConvBnOptions o;
    o.stride = s.stride, o.padding = pad;
    auto fused = [&] {
      zero();
      seek::nn::functional::conv_bn_relu(x, w, Tensor(), rm, rv, gamma, beta, Tensor(), o).backward(gy);
    };
    auto unfused = [&] {
      zero();
      Tensor y = seek::conv2d(x, w, Tensor(), s.stride, pad);
      y = seek::nn::functional::batch_norm(y, rm, rv, gamma, beta, true);
      seek::nn::functional::relu(y).backward(gy);
    };
    const double tf = time_call(fused, a, cuda), tu = time_call(unfused, a, cuda);
    std::fprintf(stderr, "%-26s fused %9.3f ms  unfused %9.3f ms  unfused/fused %.2fx\n", name.c_str(), tf * 1e3,
                 tu * 1e3, tu / tf);
    char line[512];
    std::snprintf(line, sizeof(line), ",\n  \"%s\": {\"fused_s\": %.9g, \"unfused_s\": %.9g}", name.c_str(), tf, tu);
    json += line;
  }
  json += "\n}\n";
  return seek_bench::write_json("bench_conv_bn", json, a.json);
}

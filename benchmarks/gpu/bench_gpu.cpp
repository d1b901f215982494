// GPU benchmarks of seek's CUDA backend. benchmarks/gpu/torch_gpu.py times the same
// workloads (same names, shapes and bytes) in PyTorch, and benchmarks/gpu/run_gpu.sh
// runs both on the same GPU and prints one table with the ratios.
//
//   bench_gpu [--device cuda|cpu] [--mib 64] [--runs 15] [--target-ms 5] [--filter SUBSTRING] [--json FILE]
//
// Trick: a workload is a name, the bytes it must move and a closure over tensors made
// beforehand; one timing loop serves all (the same method as torch_gpu.py): three warm-up
// calls, the fastest of three timed calls to pick a batch of k calls lasting about --target-ms, then --runs
// batches, each between two device synchronizations; a workload's time is the median
// per-call time over the batches. Adding a row (the op families of issues 14/15) is one
// entry in workloads() here and the same name in torch_gpu.py.
//
// --device cpu runs the device-independent rows on the CPU backend (to try the harness
// without a GPU). With --device cuda and no GPU visible it says so and exits with 2.
//
// GEMM rows (issue 15): bf16 GEMMs at 4096^3 and 8192^3 through seek's matmul (cuBLAS in the
// nvcc build) and through the tensor-core cuda::mp_gemm (kernels/linalg_mp_gemm.cu) in the
// same run, and GEMM + bias + GELU(tanh) fused in mp_gemm's epilogue against matmul followed
// by the separate bias add and gelu; they report TFLOP/s and the ratio to their baseline row.
// The Hopper kernel (kernels/linalg_hopper_gemm.cu, sm_90 GPUs) has the same two rows (`_hopper`),
// and `_lt_epilogue` is cuBLASLt's own fused GELU_BIAS epilogue (seek::fused_linear). The matmul
// rows are pinned to cuBLASLt: the run starts from the all-lt dispatch table.
// On the simulated device they run at 128^3 (the smoke test only checks that they run).
//
//   bench_gpu --write-gemm-table FILE
// times matmul through cuBLASLt, cuda::mp_gemm and cuda::hopper_gemm (where the GPU is sm_90) for
// bf16 and f16 at one shape per class of the GEMM dispatch table (512^3 small, 2048^3 medium,
// 4096^3 large; 64, 128, 256 on the simulated device), writes the fastest path of each entry to
// FILE in the table's format (src/backend/cuda/gemm_dispatch.h; SEEK_CUDA_GEMM_TABLE=FILE loads
// it), prints the times and exits.
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
#include "backend/cuda/cuda_backend.h"
#include "backend/cuda/gemm_dispatch.h"
#include "kernels/linalg_hopper_gemm.cuh"
#include "kernels/linalg_mp_gemm.cuh"
#include "seek/cuda.h"
#include "seek/seek.h"

namespace {

using seek::Tensor;
using Clock = std::chrono::steady_clock;

struct Args {
  std::string device = "cuda";
  int64_t mib = 64;
  int runs = 15;
  double target_ms = 5.0;
  std::string filter;
  std::string json;
  std::string write_table;
};

struct Workload {
  std::string name;   // the key torch_gpu.py uses too
  std::string label;  // what the table shows
  double bytes;       // bytes read + written, for GB/s
  std::function<void()> call;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "bench_gpu: %s\nusage: bench_gpu [--device cuda|cpu] [--mib N] [--runs N] [--target-ms MS] "
               "[--filter SUBSTRING] [--json FILE] [--write-gemm-table FILE]\n",
               why);
  std::exit(1);
}

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    if (i + 1 >= argc) usage(("missing value after " + k).c_str());
    const std::string v = argv[++i];
    if (k == "--device") {
      a.device = v;
    } else if (k == "--mib") {
      a.mib = std::atoll(v.c_str());
    } else if (k == "--runs") {
      a.runs = std::atoi(v.c_str());
    } else if (k == "--target-ms") {
      a.target_ms = std::atof(v.c_str());
    } else if (k == "--filter") {
      a.filter = v;
    } else if (k == "--write-gemm-table") {
      a.write_table = v;
    } else if (k == "--json") {
      a.json = v;
    } else {
      usage(("unknown option " + k).c_str());
    }
  }
  if (a.device != "cuda" && a.device != "cpu") usage("--device must be cuda or cpu");
  if (a.mib < 1 || a.runs < 1 || !(a.target_ms > 0)) usage("--mib, --runs and --target-ms must be positive");
  return a;
}

// A compute-bound row: its FLOPs and the row it is compared with ("" for none).
struct FlopRow {
  std::string name;
  double flops;
  std::string baseline;
};

// bf16 [side, side] @ [side, side] -> bf16 through matmul (cuBLAS in the nvcc build) and through
// cuda::mp_gemm; then with a per-column bias and GELU(tanh): matmul + add + gelu against mp_gemm's
// fused epilogue.
void gemm_rows(std::vector<Workload>& w, std::vector<FlopRow>& flops, const seek::Device& dev, int64_t side);
void layout_rows(std::vector<Workload>& w, const seek::Device& dev);

// Random values on the host (the CUDA backend draws no random numbers yet), then moved.
Tensor random_on(const seek::Device& device, const seek::Shape& shape, seek::DType dtype) {
  return seek::randn(shape).to(device, dtype);
}

std::vector<Workload> workloads(const Args& a, const seek::Device& dev, std::vector<FlopRow>& flops) {
  using seek::kBF16;
  using seek::kF32;
  const int64_t n = a.mib * (int64_t(1) << 20) / 4;                                     // f32 elements in --mib MiB
  const int64_t side = std::max<int64_t>(32, int64_t(std::sqrt(double(n))) / 32 * 32);  // square, same bytes
  const std::string mib = std::to_string(a.mib) + " MiB";
  std::vector<Workload> w;

  // ---- Copy family: copy, cast, fill, host <-> device ----
  {
    Tensor src = random_on(dev, {n}, kF32), dst = seek::empty({n}, seek::TensorOptions(kF32).device(dev));
    w.push_back({"copy_f32", "dst.copy_(src) f32, " + mib, 8.0 * n, [=]() mutable { dst.copy_(src); }});
  }
  {
    Tensor src = random_on(dev, {n}, kF32), dst = seek::empty({n}, seek::TensorOptions(kBF16).device(dev));
    w.push_back({"cast_f32_bf16", "dst.copy_(src) f32 -> bf16, " + mib + " of f32", 6.0 * n,
                 [=]() mutable { dst.copy_(src); }});
  }
  {
    Tensor src = random_on(dev, {n}, kBF16), dst = seek::empty({n}, seek::TensorOptions(kF32).device(dev));
    w.push_back({"cast_bf16_f32", "dst.copy_(src) bf16 -> f32, " + mib + " of f32", 6.0 * n,
                 [=]() mutable { dst.copy_(src); }});
  }
  {
    Tensor src = random_on(dev, {side, side}, kF32);
    Tensor dst = seek::empty({side, side}, seek::TensorOptions(kF32).device(dev));
    w.push_back({"copy_f32_transposed", "dst.copy_(src.t()) f32 " + std::to_string(side) + "x" + std::to_string(side),
                 8.0 * side * side, [=]() mutable { dst.copy_(src.t()); }});
  }
  {
    Tensor t = seek::empty({n}, seek::TensorOptions(kF32).device(dev));
    w.push_back({"fill_f32", "t.fill_(1.5) f32, " + mib, 4.0 * n, [=]() mutable { t.fill_(1.5); }});
  }
  {
    // Launch and dispatch overhead: 4096 elements move in no time on any GPU.
    Tensor src = random_on(dev, {4096}, kF32), dst = seek::empty({4096}, seek::TensorOptions(kF32).device(dev));
    w.push_back(
        {"copy_f32_16KiB", "dst.copy_(src) f32, 16 KiB (overhead)", 8.0 * 4096, [=]() mutable { dst.copy_(src); }});
  }
  if (dev.is_cuda()) {
    // Pageable host memory on both sides, as torch.empty(...) on the CPU gives.
    Tensor host = seek::randn({n}), gpu = seek::empty({n}, seek::TensorOptions(kF32).device(dev));
    w.push_back({"h2d_f32", "gpu.copy_(host) f32, " + mib + ", pageable", 4.0 * n, [=]() mutable { gpu.copy_(host); }});
    Tensor back = seek::empty({n});
    w.push_back({"d2h_f32", "host.copy_(gpu) f32, " + mib + ", pageable", 4.0 * n, [=]() mutable { back.copy_(gpu); }});
  }
  if (dev.is_cuda()) {
    const bool simulated = seek::cuda::build_info().find("simulator") != std::string::npos;
    for (int64_t gemm_side : simulated ? std::vector<int64_t>{128} : std::vector<int64_t>{4096, 8192})
      gemm_rows(w, flops, dev, gemm_side);
  }
  layout_rows(w, dev);
  return w;
}

// channels_last against NCHW (issue 14): a ResNet stage's 3x3 conv, training-mode batch norm and the stem's
// 3x3/2 max pool on [N, 64, 56, 56] f32 (N = 32 on a GPU, 4 on the CPU, [2, 8, 8, 8] on the simulated device),
// each in both layouts; bytes are the input and output once (the conv's weight too).
void layout_rows(std::vector<Workload>& w, const seek::Device& dev) {
  using seek::kF32;
  const bool simulated = dev.is_cuda() && seek::cuda::build_info().find("simulator") != std::string::npos;
  const int64_t N = simulated ? 2 : dev.is_cuda() ? 32 : 4, C = simulated ? 8 : 64, HW = simulated ? 8 : 56;
  const double act = 4.0 * double(N * C * HW * HW), wb = 4.0 * double(C * C * 9);
  const std::string shape = "[" + std::to_string(N) + ", " + std::to_string(C) + ", " + std::to_string(HW) + ", " +
                            std::to_string(HW) + "]";
  for (seek::MemoryFormat fmt : {seek::MemoryFormat::ChannelsLast, seek::MemoryFormat::Contiguous}) {
    const bool cl = fmt == seek::MemoryFormat::ChannelsLast;
    const std::string tag = cl ? "nhwc" : "nchw", what = cl ? " channels_last" : " NCHW";
    Tensor x = random_on(dev, {N, C, HW, HW}, kF32).contiguous(fmt);
    Tensor wt = random_on(dev, {C, C, 3, 3}, kF32).contiguous(fmt);
    Tensor rm = seek::zeros({C}, seek::TensorOptions(kF32).device(dev));
    Tensor rv = seek::ones({C}, seek::TensorOptions(kF32).device(dev));
    Tensor g = seek::ones({C}, seek::TensorOptions(kF32).device(dev)), b = seek::zeros_like(g);
    // Names built first: tests/python/test_gpu_check_scripts.py matches literal names only.
    const std::string conv = "conv3x3_" + tag + "_f32", bn = "batchnorm_train_" + tag + "_f32";
    const std::string pool = "maxpool3x3s2_" + tag + "_f32";
    w.push_back({conv, "conv2d 3x3 pad 1 f32 " + shape + what, 2 * act + wb,
                 [=]() mutable { Tensor y = seek::conv2d(x, wt, Tensor(), 1, 1); }});
    w.push_back({bn, "batch_norm training f32 " + shape + what, 2 * act,
                 [=]() mutable { Tensor y = seek::batch_norm(x, rm, rv, g, b, true); }});
    w.push_back({pool, "max_pool2d 3x3 stride 2 pad 1 f32 " + shape + what, 1.25 * act,
                 [=]() mutable { Tensor y = seek::max_pool2d(x, 3, 2, 1); }});
  }
}

void gemm_rows(std::vector<Workload>& w, std::vector<FlopRow>& flops, const seek::Device& dev, int64_t side) {
  using seek::kBF16;
  const std::string s = std::to_string(side), shape = s + "x" + s + "x" + s;
  const double f = 2.0 * double(side) * double(side) * double(side), bytes = 3.0 * 2.0 * double(side) * double(side);
  Tensor a = random_on(dev, {side, side}, kBF16), b = random_on(dev, {side, side}, kBF16);
  Tensor bias = random_on(dev, {side}, kBF16);
  Tensor out = seek::empty({side, side}, seek::TensorOptions(kBF16).device(dev));
  seek::MpGemmArgs g;
  g.M = g.N = g.K = side;
  g.in_dtype = g.out_dtype = seek::DType::BFloat16;
  g.a = {a.data_ptr(), side, 0, 0, false};
  g.b = {b.data_ptr(), side, 0, 0, false};
  g.out = {out.data_ptr(), side, 0, 0, false};
  const std::string base = "gemm_bf16_" + s, fused = "gemm_bias_gelu_bf16_" + s;
  w.push_back({base + "_matmul", "matmul bf16 " + shape + " (cuBLAS in the nvcc build)", bytes,
               [=]() mutable { out = seek::matmul(a, b); }});
  flops.push_back({base + "_matmul", f, ""});
  w.push_back({base + "_mp", "cuda::mp_gemm bf16 " + shape, bytes,
               [=] { seek::cuda::mp_gemm(g, seek::cuda::current_stream()); }});
  flops.push_back({base + "_mp", f, base + "_matmul"});
  w.push_back({fused + "_matmul", "gelu_tanh(matmul + bias) bf16 " + shape + ", three kernels", bytes,
               [=]() mutable { out = seek::gelu(seek::add(seek::matmul(a, b), bias), "tanh"); }});
  flops.push_back({fused + "_matmul", f, ""});
  seek::MpGemmArgs gf = g;
  gf.bias = bias.data_ptr();
  gf.act = seek::MpActivation::GeluTanh;
  w.push_back({fused + "_mp", "cuda::mp_gemm bf16 " + shape + " + bias + gelu_tanh epilogue", bytes,
               [=] { seek::cuda::mp_gemm(gf, seek::cuda::current_stream()); }});
  flops.push_back({fused + "_mp", f, fused + "_matmul"});
  Tensor weight = random_on(dev, {side, side}, kBF16);  // [N, K]: fused_linear's layout
  w.push_back({fused + "_lt_epilogue", "fused_linear bf16 " + shape + " (cuBLASLt GELU_BIAS epilogue)", bytes,
               [=]() mutable { out = seek::fused_linear(a, weight, bias, seek::GemmEpilogue::BiasGelu); }});
  flops.push_back({fused + "_lt_epilogue", f, fused + "_matmul"});
  if (seek::cuda::hopper_gemm_device_ok()) {
    w.push_back({base + "_hopper", "cuda::hopper_gemm bf16 " + shape, bytes,
                 [=] { seek::cuda::hopper_gemm(g, seek::cuda::current_stream()); }});
    flops.push_back({base + "_hopper", f, base + "_matmul"});
    w.push_back({fused + "_hopper", "cuda::hopper_gemm bf16 " + shape + " + bias + gelu_tanh epilogue", bytes,
                 [=] { seek::cuda::hopper_gemm(gf, seek::cuda::current_stream()); }});
    flops.push_back({fused + "_hopper", f, fused + "_matmul"});
  }
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

struct Result {
  double median_s, min_s, max_s;
  int64_t calls_per_run;
};

Result time_workload(const Workload& w, const Args& a, bool cuda) {
  auto sync = [cuda] {
    if (cuda) seek::cuda::synchronize();
  };
  auto batch = [&](int64_t k) {
    sync();
    const auto t0 = Clock::now();
    for (int64_t i = 0; i < k; ++i) w.call();
    sync();
    return std::chrono::duration<double>(Clock::now() - t0).count() / double(k);
  };
  for (int i = 0; i < 3; ++i) w.call();
  const double estimate = std::min({batch(1), batch(1), batch(1)});
  const int64_t k = std::clamp<int64_t>(int64_t(std::ceil(a.target_ms * 1e-3 / std::max(estimate, 1e-9))), 1, 10000);
  std::vector<double> per_call;
  for (int r = 0; r < a.runs; ++r) per_call.push_back(batch(k));
  return {median(per_call), *std::min_element(per_call.begin(), per_call.end()),
          *std::max_element(per_call.begin(), per_call.end()), k};
}

std::string json_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

// --write-gemm-table: the fastest path per (dtype, class), written in the table's format.
int write_gemm_table(const Args& args, const seek::Device& dev, bool simulated) {
  using seek::cuda::GemmPath;
  Args quick = args;
  quick.runs = 5, quick.target_ms = 2.0;
  seek::cuda::GemmDispatchTable table;
  const int64_t sides[seek::cuda::kGemmShapeClasses] = {simulated ? 64 : 512, simulated ? 128 : 2048,
                                                         simulated ? 256 : 4096};
  for (seek::DType dt : {seek::DType::BFloat16, seek::DType::Float16}) {
    for (int c = 0; c < seek::cuda::kGemmShapeClasses; ++c) {
      const int64_t side = sides[c];
      Tensor a = random_on(dev, {side, side}, dt), b = random_on(dev, {side, side}, dt);
      Tensor out = seek::empty({side, side}, seek::TensorOptions(dt).device(dev));
      seek::MpGemmArgs g;
      g.M = g.N = g.K = side;
      g.in_dtype = g.out_dtype = dt;
      g.a = {a.data_ptr(), side, 0, 0, false};
      g.b = {b.data_ptr(), side, 0, 0, false};
      g.out = {out.data_ptr(), side, 0, 0, false};
      std::vector<std::pair<GemmPath, Workload>> paths;
      if (!simulated)  // the all-lt table is in force: matmul is cuBLASLt
        paths.push_back({GemmPath::Lt, {"lt", "", 0, [=]() mutable { out = seek::matmul(a, b); }}});
      paths.push_back({GemmPath::Mp, {"mp", "", 0, [=] { seek::cuda::mp_gemm(g, seek::cuda::current_stream()); }}});
      if (seek::cuda::hopper_gemm_device_ok())
        paths.push_back(
            {GemmPath::Hopper, {"hopper", "", 0, [=] { seek::cuda::hopper_gemm(g, seek::cuda::current_stream()); }}});
      GemmPath best = GemmPath::Lt;
      double best_s = 0;
      for (const auto& [path, w] : paths) {
        const double t = time_workload(w, quick, true).median_s;
        std::fprintf(stderr, "gemm table: %s %lld^3 %-6s %10.3f us %8.1f TFLOP/s\n", dt == seek::kBF16 ? "bf16" : "f16",
                     static_cast<long long>(side), w.name.c_str(), t * 1e6, 2.0 * side * side * side / t / 1e12);
        if (best_s == 0 || t < best_s) best = path, best_s = t;
      }
      table.set(dt, static_cast<seek::cuda::GemmShapeClass>(c), best);
    }
  }
  FILE* f = std::fopen(args.write_table.c_str(), "w");
  const std::string text = table.str();
  if (!f || std::fputs(text.c_str(), f) < 0 || std::fclose(f) != 0) {
    std::fprintf(stderr, "bench_gpu: cannot write %s\n", args.write_table.c_str());
    return 1;
  }
  std::fputs(text.c_str(), stdout);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Args a = parse(argc, argv);
  const bool cuda = a.device == "cuda";
  const std::optional<std::string> selected = seek_bench::select_device("bench_gpu", cuda);
  if (!selected) return 2;
  const std::string device_name = *selected;
  seek::manual_seed(0);
  const seek::Device dev = cuda ? seek::kCUDA : seek::kCPU;
  // matmul means cuBLASLt here (the simulated device: mp_gemm), whatever SEEK_CUDA_GEMM_TABLE says.
  if (cuda) seek::cuda::set_gemm_dispatch_table(seek::cuda::GemmDispatchTable());
  if (!a.write_table.empty()) {
    if (!cuda) usage("--write-gemm-table needs --device cuda");
    return write_gemm_table(a, dev, seek::cuda::build_info().find("simulator") != std::string::npos);
  }

  std::string json = "{\n  \"_meta\": {\"impl\": \"seek\", \"device\": \"" + json_escape(device_name) +
                     "\", \"mib\": " + std::to_string(a.mib) + ", \"runs\": " + std::to_string(a.runs) + "}";
  std::vector<FlopRow> flops;
  std::vector<std::pair<std::string, double>> times;  // name, median seconds
  for (const Workload& w : workloads(a, dev, flops)) {
    if (!a.filter.empty() && w.name.find(a.filter) == std::string::npos) continue;
    const Result r = time_workload(w, a, cuda);
    times.emplace_back(w.name, r.median_s);
    std::fprintf(stderr, "%-22s %10.3f us  %8.1f GB/s  (%lld calls per run)\n", w.name.c_str(), r.median_s * 1e6,
                 w.bytes / r.median_s / 1e9, static_cast<long long>(r.calls_per_run));
    char line[512];
    std::snprintf(
        line, sizeof(line),
        ",\n  \"%s\": {\"label\": \"%s\", \"bytes\": %.0f, \"time_s\": %.9g, \"min_s\": %.9g, \"max_s\": %.9g, "
        "\"calls_per_run\": %lld}",
        w.name.c_str(), json_escape(w.label).c_str(), w.bytes, r.median_s, r.min_s, r.max_s,
        static_cast<long long>(r.calls_per_run));
    json += line;
  }
  // Compute-bound rows: TFLOP/s and the speed ratio to the baseline row, as "_tflops_<row>" keys
  // (a leading "_": compare_gpu.py lists only timed rows).
  auto time_of = [&](const std::string& name) {
    for (const auto& [n, t] : times)
      if (n == name) return t;
    return 0.0;
  };
  for (const FlopRow& fr : flops) {
    const double t = time_of(fr.name), tb = fr.baseline.empty() ? 0.0 : time_of(fr.baseline);
    if (t <= 0) continue;
    std::fprintf(stderr, "%-32s %8.1f TFLOP/s", fr.name.c_str(), fr.flops / t / 1e12);
    char line[512];
    std::snprintf(line, sizeof(line), ",\n  \"_tflops_%s\": {\"tflops\": %.6g", fr.name.c_str(), fr.flops / t / 1e12);
    json += line;
    if (tb > 0) {
      std::fprintf(stderr, "  %.3fx %s", tb / t, fr.baseline.c_str());
      std::snprintf(line, sizeof(line), ", \"speedup_vs\": \"%s\", \"speedup\": %.6g", fr.baseline.c_str(), tb / t);
      json += line;
    }
    std::fputs("\n", stderr);
    json += "}";
  }
  json += "\n}\n";
  return seek_bench::write_json("bench_gpu", json, a.json);
}

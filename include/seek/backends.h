#pragma once
// seek::backends: the switches of torch.backends that change how the CUDA libraries compute,
// as process-wide atomics that seek's CUDA kernels read at each call (so flipping one takes
// effect on the next op, from any thread). They exist in every build: on the CPU and on the
// simulated device they are read and set like torch's but change nothing (seek's own kernels
// compute f32 in full precision, have no algorithm choice and are deterministic).
//
//   seek::backends::cuda::matmul::allow_tf32 = true;    // torch.backends.cuda.matmul.allow_tf32
//   seek::backends::cudnn::benchmark = true;             // torch.backends.cudnn.benchmark
//   seek::set_float32_matmul_precision("high");          // torch.set_float32_matmul_precision
#include <atomic>
#include <string>

namespace seek {
namespace backends {
namespace cuda::matmul {
// f32 GEMMs (cuBLASLt) may round their inputs to TF32 on tensor cores. Default false, as torch.
extern std::atomic<bool> allow_tf32;
}  // namespace cuda::matmul

namespace cudnn {
// conv2d goes through cuDNN where seek is built with it (false: seek's own conv kernels).
extern std::atomic<bool> enabled;
// Each new conv shape times cuDNN's algorithms (cudnnFind*) once and keeps the fastest; false:
// cuDNN's heuristics pick (cudnnGet*_v7). Default false.
extern std::atomic<bool> benchmark;
// Only algorithms that cuDNN reports deterministic are chosen. Default false.
extern std::atomic<bool> deterministic;
// f32 convolutions may use TF32 tensor cores. Default true, as torch.
extern std::atomic<bool> allow_tf32;
// How many algorithms benchmark mode tries per pass (0: every algorithm). Default 10, as torch.
extern std::atomic<int> benchmark_limit;
}  // namespace cudnn
}  // namespace backends

// torch.set_float32_matmul_precision: "highest" (f32 throughout: allow_tf32 false), "high" or
// "medium" (TF32 allowed: allow_tf32 true). Anything else throws ValueError.
void set_float32_matmul_precision(const std::string& precision);
// "highest" while allow_tf32 is false, else the precision last set ("high" when the flag was set directly).
std::string get_float32_matmul_precision();

}  // namespace seek

#pragma once
// The one way kernels are launched, in both builds of a kernel file:
//   launch(kernel, {grid, block, dynamic_smem, stream}, args...)
// is `kernel<<<grid, block, dynamic_smem, stream>>>(args...)` plus the launch check
// under nvcc, and a run on the SIMT simulator (kernels/sim) under the host
// compiler, so no call site differs between the builds. Errors name the
// launch site (LaunchConfig::where defaults to it).
//
// dynamic_shared_memory<T>() is the block's dynamic shared memory (what
// `extern __shared__ T smem[];` names), in both builds.
#include <cuda_runtime.h>

#include <functional>
#include <memory>
#include <source_location>
#include <tuple>
#include <type_traits>
#include <utility>

#include "backend/cuda/cuda_check.h"
#if defined(SEEK_CUDA_SIM)
#include "kernels/sim/sim.h"
#endif

namespace seek::cuda {

struct LaunchConfig {
  dim3 grid;
  dim3 block;
  size_t dynamic_smem = 0;
  cudaStream_t stream = nullptr;
  std::source_location where = std::source_location::current();
};

#if defined(SEEK_CUDA_SIM)
namespace sim_detail {
// Kernel arguments that are pointers must point into device memory (the simulated
// device's own heap) or be null, as on a GPU; defined by the simulated runtime.
void check_kernel_pointer(const void* p, int index, const std::source_location& where);
// Stream capture (src/backend/cuda/sim_graph.cpp): whether any stream captures now, and
// the launch's entry into a capture: true when `run` was kept for the graph instead of
// run now; throws where CUDA rejects the launch (an invalidated capture, the legacy stream).
bool sim_any_capture();
bool capture_launch(cudaStream_t stream, std::function<void()> run, const std::source_location& where);

template <typename Tuple, size_t... I>
void check_pointers(const Tuple& args, const std::source_location& where, std::index_sequence<I...>) {
  (
      [&] {
        using A = std::tuple_element_t<I, Tuple>;
        if constexpr (std::is_pointer_v<A>) check_kernel_pointer(std::get<I>(args), static_cast<int>(I), where);
      }(),
      ...);
}
}  // namespace sim_detail
#endif

namespace detail {
template <typename...>
inline constexpr bool kNoLaunch = false;  // a static_assert that fires only where launch() is used
}  // namespace detail

template <typename... Params, typename... Args>
void launch(void (*kernel)(Params...), const LaunchConfig& cfg, Args&&... args) {
  static_assert(sizeof...(Params) == sizeof...(Args), "launch: the kernel takes a different number of arguments");
#if defined(SEEK_CUDA_SIM)
  struct Closure {
    void (*kernel)(Params...);
    std::tuple<std::decay_t<Params>...> args;
  };
  const Closure closure{kernel, std::tuple<std::decay_t<Params>...>(std::forward<Args>(args)...)};
  sim_detail::check_pointers(closure.args, cfg.where, std::index_sequence_for<Params...>{});
  // Each CUDA thread gets its own copies of the arguments, as kernel parameters are.
  void (*const body)(const void*) = [](const void* c) {
    const Closure& cl = *static_cast<const Closure*>(c);
    std::apply(cl.kernel, cl.args);
  };
  const sim::LaunchSpec spec{cfg.grid, cfg.block, cfg.dynamic_smem, cfg.where};
  if (sim_detail::sim_any_capture()) {
    // A captured launch keeps a copy of the arguments (as CUDA copies them at capture) for every replay.
    auto held = std::make_shared<const Closure>(closure);
    if (sim_detail::capture_launch(
            cfg.stream, [held, spec, body] { sim::launch(spec, body, held.get()); }, cfg.where))
      return;
  }
  sim::launch(spec, body, &closure);
#elif defined(__CUDACC__)
  // clang-format off
  kernel<<<cfg.grid, cfg.block, cfg.dynamic_smem, cfg.stream>>>(std::forward<Args>(args)...);
  // clang-format on
  detail::check_cuda(cudaGetLastError(), "kernel launch", cfg.where.file_name(), static_cast<int>(cfg.where.line()));
#else
  // Host C++ of the GPU build (a .cpp using common.cuh's layouts) may include this file but
  // cannot launch: only nvcc (a .cu) or the simulator build can.
  static_assert(detail::kNoLaunch<Params...>,
                "launch() is for .cu files (nvcc) or the simulator build (SEEK_CUDA_SIM)");
#endif
}

template <typename T>
__device__ inline T* dynamic_shared_memory() {
#if defined(SEEK_CUDA_SIM)
  return static_cast<T*>(sim::dynamic_shared());
#else
  extern __shared__ __align__(16) unsigned char seek_dynamic_smem[];
  return reinterpret_cast<T*>(seek_dynamic_smem);
#endif
}

}  // namespace seek::cuda

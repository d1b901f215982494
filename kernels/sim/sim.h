#pragma once
// The SIMT simulator's interface: what a kernel compiled by the host compiler
// (through sim_prelude.h) and the launch helper (kernels/launch.cuh) call.
//
// Model: one fiber per CUDA thread (sim_fiber.h); a thread block runs
// on one OS worker thread from its first instruction to its last, so a static
// `__shared__` array (a function-local `static thread_local` here) is the
// block's shared memory. Blocks are spread over a pool of worker threads.
// A thread runs until it reaches a scheduling point (a barrier, a warp
// collective, a cp.async wait or its end); the block's scheduler then resumes
// the next runnable thread in the schedule's order (forward, reverse or
// seeded-random over warps and lanes). Misuse (a barrier some threads never
// reach, a collective naming exited lanes, warp operations that do not match)
// throws seek::Error naming the kernel's launch site, the block and the thread.
#include <cuda_runtime.h>  // dim3, uint3

#include <cstddef>
#include <cstdint>
#include <source_location>
#include <string>

namespace seek::sim {

// ---- schedules ----
enum class Order { Forward, Reverse, Random };
struct Schedule {
  Order order = Order::Forward;
  uint64_t seed = 0;         // for Order::Random
  bool late_copies = false;  // cp.async data lands at the wait (and the target is poisoned until then)
};
// The schedule launches use from now on (all threads of the process).
void set_schedule(const Schedule& s);
Schedule schedule();
// Parses SEEK_SIM_SCHEDULE: "forward", "reverse" or "random[:SEED]", each optionally
// followed by ",late" (late cp.async landing); "random" defaults to late landing.
Schedule parse_schedule(const std::string& text);
std::string schedule_name(const Schedule& s);
// Number of OS threads blocks run on (SEEK_SIM_WORKERS, default: hardware threads, at most 8).
int worker_count();

// ---- launching ----
struct LaunchSpec {
  dim3 grid;
  dim3 block;
  size_t dynamic_smem = 0;
  std::source_location where;  // the launcher's call site, for messages
};
// Runs body(closure) once per thread of the grid, and returns when all are done.
// Throws seek::Error for a bad configuration or any misuse found while running.
void launch(const LaunchSpec& spec, void (*body)(const void*), const void* closure);

// ---- inside a kernel ----
// What the built-in variables read: set by the block's scheduler before it resumes a
// thread (null outside a kernel). Not initial-exec TLS: that would mark libseek.so
// STATIC_TLS, and its whole TLS segment, where every static __shared__ array lives,
// would then have to fit glibc's small static-TLS surplus when Python dlopens it.
struct Builtins {
  const uint3* thread_idx;
  const uint3* block_idx;
  const dim3* block_dim;
  const dim3* grid_dim;
};
extern __thread Builtins tls_builtins;
[[noreturn]] void outside_kernel(const char* what);
inline const uint3& thread_idx() {
  if (!tls_builtins.thread_idx) outside_kernel("threadIdx");
  return *tls_builtins.thread_idx;
}
inline const uint3& block_idx() {
  if (!tls_builtins.block_idx) outside_kernel("blockIdx");
  return *tls_builtins.block_idx;
}
inline const dim3& block_dim() {
  if (!tls_builtins.block_dim) outside_kernel("blockDim");
  return *tls_builtins.block_dim;
}
inline const dim3& grid_dim() {
  if (!tls_builtins.grid_dim) outside_kernel("gridDim");
  return *tls_builtins.grid_dim;
}
int lane_id();
void* dynamic_shared();  // the block's dynamic shared memory (extern __shared__)

// Block barrier (__syncthreads and its _count/_and/_or forms): returns the number of
// threads whose predicate is non-zero.
int barrier(int predicate, const char* what, std::source_location where);

// A warp collective: every lane named in `mask` (the caller included) must make the
// same call (`what` and `mask`); when the last arrives, combine(call) runs once with
// every participant's `in` and `out` pointers (slots of lanes outside the mask are
// null), then all participants continue.
struct WarpCall {
  unsigned mask;
  const void* in[32];
  void* out[32];
  const void* ctx;  // the `ctx` the last arriving lane passed
};
void warp_collective(const char* what, unsigned mask, const void* in, void* out, void (*combine)(const WarpCall&),
                     const void* ctx, std::source_location where);
// __activemask: the lanes of the caller's warp that call it together (once every other lane
// of the warp has exited, waits elsewhere or is in this call too).
unsigned active_mask();

// cp.async: copy `bytes` from global `src` to shared `dst` asynchronously; commit closes the
// calling thread's current group; wait returns once at most `pending` groups are in flight.
void cp_async(void* dst, const void* src, size_t bytes);
void cp_async_commit();
void cp_async_wait(int pending);

// Spin-waits (the mbarrier wait of kernels/hopper_primitives.cuh): the calling thread lets the
// block's other threads run and resumes in the scheduler's next pass. A pass in which every thread
// that ran only yielded again (no barrier, warp collective, exit or progress() in it) is a deadlock:
// nothing can end the spin, and the block fails naming `what` and `where`.
void yield(const char* what, std::source_location where);
// Records that the block made progress a spin-wait may be waiting for (an mbarrier arrival, a
// completed bulk copy); barriers, warp collectives and exits count by themselves.
void progress();

// Fails the calling thread's block with `message`, naming the thread and the launch site, as the
// simulator's own checks do (for wrappers that check their operands, e.g. kernels/tensor_core.cuh).
[[noreturn]] void misuse(const std::string& message);

namespace detail {
// A shuffle lane read a lane outside the collective's mask: fails the block.
[[noreturn]] void shuffle_from_absent_lane(int lane, int src, unsigned mask);
// A shuffle's width is not a power of two from 1 to 32 (undefined in CUDA): fails the block.
[[noreturn]] void bad_shuffle_width(const char* what, int width, std::source_location where);
}  // namespace detail

}  // namespace seek::sim

#pragma once
// Internals of the SIMT simulator (kernels/sim): a thread block being run
// (BlockRun) and its CUDA threads (SimThread). sim.h is the interface.
#include <boost/context/detail/fcontext.hpp>
#include <exception>
#include <string>
#include <vector>

#include "kernels/sim/sim.h"

namespace seek::sim {

enum class ThreadState : unsigned char { Ready, Running, AtBarrier, AtWarp, Exited };

struct PendingCopy {
  void* dst;
  const void* src;
  size_t bytes;
  int group;  // the commit group it belongs to
};

struct SimThread {
  uint3 idx{};
  int linear = 0;  // x + y*bx + z*bx*by; warp = linear / 32, lane = linear % 32
  ThreadState state = ThreadState::Ready;
  boost::context::detail::fcontext_t ctx = nullptr;
  void* stack_top = nullptr;
  // Where it waits (barrier or warp collective).
  const char* what = "";
  std::source_location where;
  int predicate = 0;  // barrier predicate in, count of non-zero predicates out
  int result = 0;
  unsigned mask = 0;  // warp collective
  const void* in = nullptr;
  void* out = nullptr;
  // cp.async: copies in flight and the number of groups committed so far.
  std::vector<PendingCopy> copies;
  int committed_groups = 0;

  // Lands every copy except those of the `keep_groups` most recent committed groups and of
  // the open group; keep_groups < 0 lands all.
  void land_copies(int keep_groups);
};

// Unwinds a thread's fiber after BlockRun::fail (never escapes the fiber).
struct AbortBlock {};

struct BlockRun {
  const LaunchSpec* spec = nullptr;
  void (*body)(const void*) = nullptr;
  const void* closure = nullptr;
  Schedule sched;
  uint3 block_idx{};
  uint64_t block_linear = 0;
  int nthreads = 0;
  std::vector<SimThread> threads;
  std::vector<int> order;
  unsigned char* dyn_smem = nullptr;
  boost::context::detail::fcontext_t sched_ctx = nullptr;
  bool failed = false;
  std::string error;             // misuse found by the simulator
  std::exception_ptr exception;  // anything else a thread threw

  // Runs every thread of the block to its end (or until a failure).
  void run();
  // Returns the stacks of threads left suspended by a failure to the pool.
  void release_stacks();

  // Called from inside a thread's fiber.
  int barrier(SimThread& t, int predicate, const char* what, std::source_location where);
  void warp_collective(SimThread& t, const char* what, unsigned mask, const void* in, void* out,
                       void (*combine)(const WarpCall&), const void* ctx, std::source_location where);
  [[noreturn]] void abort_thread(std::string message);
  void check_exit(const SimThread& t);
  std::string thread_str(const SimThread& t) const;
  void fail(std::string message);

 private:
  void resume(SimThread& t);
  void suspend(SimThread& t);
  void make_order(uint64_t pass);
  void release_barrier(int exited);
  void report_deadlock();
};

// The block and thread the calling OS thread is running (null outside a kernel).
extern thread_local BlockRun* tls_block;
extern thread_local SimThread* tls_thread;

}  // namespace seek::sim

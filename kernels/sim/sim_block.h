#pragma once
// Internals of the SIMT simulator (kernels/sim): a thread block being run
// (BlockRun) and its CUDA threads (SimThread). sim.h is the interface.
// The scheduler keeps counts of threads per state, the barrier being gathered
// and per-warp lane bitmasks, so that no step rescans the block's threads.
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
  void* ctx = nullptr;
  void* stack_top = nullptr;
  void* asan_fake_stack = nullptr;  // AddressSanitizer's bookkeeping while suspended
  // Where it waits (barrier or warp collective).
  const char* what = "";
  std::source_location where;
  int result = 0;  // barrier: the number of threads whose predicate was non-zero
  // Warp collective: the lanes it names; the first lane of its group to arrive (the
  // leader) also keeps the group's arrived lanes.
  unsigned mask = 0;
  unsigned arrived = 0;
  int leader = 0;
  const void* in = nullptr;
  void* out = nullptr;
  // __activemask: waiting for the lanes of its warp to converge, and the answer once known.
  bool in_activemask = false;
  unsigned activemask = 0;
  // cp.async: copies in flight and the number of groups committed so far.
  std::vector<PendingCopy> copies;
  int committed_groups = 0;

  // Lands every copy except those of the `keep_groups` most recent committed groups and of
  // the open group; keep_groups < 0 lands all.
  void land_copies(int keep_groups);
};

// Unwinds a thread's fiber after BlockRun::fail (never escapes the fiber).
struct AbortBlock {};

// Lanes of one warp: those that exited and those waiting in a warp collective.
struct WarpLanes {
  unsigned exited = 0;
  unsigned waiting = 0;
};

struct BlockRun {
  const LaunchSpec* spec = nullptr;
  void (*body)(const void*) = nullptr;
  const void* closure = nullptr;
  Schedule sched;
  uint3 block_idx{};
  uint64_t block_linear = 0;
  int nthreads = 0;
  std::vector<SimThread> threads;
  std::vector<WarpLanes> warps;
  std::vector<int> order;
  // Threads per state (Running is the one thread being run, counted nowhere).
  int n_ready = 0, n_exited = 0, n_at_barrier = 0, n_at_warp = 0;
  // The barrier being gathered: its first arrival and the count of non-zero predicates.
  const SimThread* barrier_first = nullptr;
  int barrier_count = 0;
  unsigned char* dyn_smem = nullptr;
  // Threads switch straight to the next runnable thread of the pass; the scheduler (on the
  // worker's own stack) gets control back only at the end of a pass or on a failure.
  void* sched_ctx = nullptr;
  void* dead_ctx = nullptr;     // where an ended fiber's context goes
  size_t cursor = 0;            // the pass's position in `order`
  void* ended_stack = nullptr;  // the stack of a fiber that just ended, freed by whoever it switched to
  void* sched_asan_fake_stack = nullptr;
  bool entering_from_sched = false;          // the switch under way comes from the scheduler
  const void* sched_stack_bottom = nullptr;  // the worker's own stack, for AddressSanitizer
  size_t sched_stack_size = 0;
  // Spin-waits: progress events (barrier and warp arrivals, exits, sim::progress) and the threads
  // that yielded in the current pass (a pass with yields and no events is a deadlock).
  uint64_t events = 0;
  int yields_in_pass = 0;
  const SimThread* last_yielder = nullptr;
  bool failed = false;
  std::string error;             // misuse found by the simulator
  std::exception_ptr exception;  // anything else a thread threw

  // Sets up the block's threads (all Ready) for a launch of spec's block size.
  void reset_threads();
  // Runs every thread of the block to its end (or until a failure).
  void run();
  // Bookkeeping on arrival in a context (a fiber or the scheduler) after a switch.
  void arrive(void* fake_stack);
  // Returns the stacks of threads left suspended by a failure to the pool.
  void release_stacks();

  // Called from inside a thread's fiber.
  int barrier(SimThread& t, int predicate, const char* what, std::source_location where);
  void warp_collective(SimThread& t, const char* what, unsigned mask, const void* in, void* out,
                       void (*combine)(const WarpCall&), const void* ctx, std::source_location where);
  unsigned active_mask(SimThread& t);
  void yield(SimThread& t, const char* what, std::source_location where);
  [[noreturn]] void abort_thread(std::string message);
  void on_exit(SimThread& t);
  SimThread* finish_thread(SimThread& t);
  std::string thread_str(const SimThread& t) const;
  void fail(std::string message);

 private:
  SimThread* next_ready();
  void enter(SimThread& to, void** from_slot, void** from_fake_stack);
  void suspend(SimThread& t);

  void make_order(uint64_t pass);
  void release_barrier();
  void report_deadlock();
  const SimThread* first_exited() const;
};

// The block and thread the calling OS thread is running (null outside a kernel).
// (Default TLS model, like tls_builtins in sim.h: see there why not initial-exec.)
extern __thread BlockRun* tls_block;
extern __thread SimThread* tls_thread;

}  // namespace seek::sim

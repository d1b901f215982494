// Kernel launches on the SIMT simulator: configuration checks, the schedule,
// blocks handed out to a pool of worker threads, and the functions a kernel
// calls from inside (thread/block indices, barriers, warp collectives, cp.async).
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <random>
#include <thread>

#include "kernels/sim/sim_block.h"
#include "seek/core/error.h"

namespace seek::sim {

namespace {

// ---- the schedule ----
std::mutex sched_mu;
Schedule& current_schedule() {
  static Schedule s = [] {
    const char* env = std::getenv("SEEK_SIM_SCHEDULE");
    return env ? parse_schedule(env) : Schedule{};
  }();
  return s;
}

constexpr unsigned kMaxThreadsPerBlock = 1024;
constexpr size_t kMaxDynamicSmem = 227 * 1024;  // an H100's largest opt-in block

void check_config(const LaunchSpec& s) {
  const auto where = [&] { return str(" in the launch at ", s.where.file_name(), ":", s.where.line()); };
  const uint64_t threads = uint64_t(s.block.x) * s.block.y * s.block.z;
  SEEK_CHECK(s.grid.x > 0 && s.grid.y > 0 && s.grid.z > 0 && threads > 0,
             "CUDA simulator: invalid configuration argument: empty grid (", s.grid.x, ",", s.grid.y, ",", s.grid.z,
             ") or block (", s.block.x, ",", s.block.y, ",", s.block.z, ")", where());
  SEEK_CHECK(threads <= kMaxThreadsPerBlock && s.block.x <= 1024 && s.block.y <= 1024 && s.block.z <= 64,
             "CUDA simulator: invalid configuration argument: block (", s.block.x, ",", s.block.y, ",", s.block.z,
             ") has ", threads, " threads (at most 1024; z at most 64)", where());
  SEEK_CHECK(s.grid.x <= 2147483647u && s.grid.y <= 65535 && s.grid.z <= 65535,
             "CUDA simulator: invalid configuration argument: grid (", s.grid.x, ",", s.grid.y, ",", s.grid.z,
             ") exceeds (2^31-1, 65535, 65535)", where());
  SEEK_CHECK(s.dynamic_smem <= kMaxDynamicSmem, "CUDA simulator: ", s.dynamic_smem,
             " bytes of dynamic shared memory requested, at most ", kMaxDynamicSmem, where());
}

// ---- one launch: blocks handed out in the schedule's order ----
struct Job {
  const LaunchSpec* spec;
  void (*body)(const void*);
  const void* closure;
  Schedule sched;
  std::vector<uint64_t> blocks;  // linear block indices in run order
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex mu;
  std::string error;
  std::exception_ptr exception;
};

// Per OS thread: the block being run (its threads' storage is reused) and dynamic shared memory.
struct WorkerState {
  BlockRun block;
  std::vector<unsigned char> dyn_smem;
};
thread_local WorkerState tls_worker;

void run_blocks(Job& job) {
  WorkerState& w = tls_worker;
  BlockRun& b = w.block;
  const LaunchSpec& s = *job.spec;
  const int nthreads = static_cast<int>(s.block.x * s.block.y * s.block.z);
  w.dyn_smem.resize(std::max<size_t>(s.dynamic_smem, 16) + 128);
  for (;;) {
    const size_t k = job.next.fetch_add(1);
    if (k >= job.blocks.size() || job.failed.load()) return;
    const uint64_t lin = job.blocks[k];
    b.spec = &s;
    b.body = job.body;
    b.closure = job.closure;
    b.sched = job.sched;
    b.block_linear = lin;
    b.block_idx = make_uint3(static_cast<unsigned>(lin % s.grid.x), static_cast<unsigned>(lin / s.grid.x % s.grid.y),
                             static_cast<unsigned>(lin / s.grid.x / s.grid.y));
    b.nthreads = nthreads;
    b.reset_threads();
    // 128-byte aligned, as the GPU's shared memory window is.
    const uintptr_t raw = reinterpret_cast<uintptr_t>(w.dyn_smem.data());
    b.dyn_smem = reinterpret_cast<unsigned char*>((raw + 127) & ~uintptr_t(127));
    b.failed = false;
    b.error.clear();
    b.exception = nullptr;
    b.run();
    if (b.failed) {
      b.release_stacks();
      std::lock_guard<std::mutex> lock(job.mu);
      if (!job.failed.exchange(true)) {
        job.error = b.error;
        job.exception = b.exception;
      }
      return;
    }
  }
}

// Worker threads that wait for launches; the launching thread works too.
class Pool {
 public:
  explicit Pool(int workers) {
    for (int i = 0; i < workers; ++i) threads_.emplace_back([this] { loop(); });
  }
  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (std::thread& t : threads_) t.join();
  }
  void run(Job& job) {
    std::lock_guard<std::mutex> launch_lock(launch_mu_);  // one launch at a time
    {
      std::lock_guard<std::mutex> lock(mu_);
      job_ = &job;
      busy_ = static_cast<int>(threads_.size());
      ++generation_;
    }
    cv_.notify_all();
    run_blocks(job);
    std::unique_lock<std::mutex> lock(mu_);
    done_cv_.wait(lock, [&] { return busy_ == 0; });
    job_ = nullptr;
  }

 private:
  void loop() {
    uint64_t seen = 0;
    for (;;) {
      Job* job;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return stop_ || generation_ != seen; });
        if (stop_) return;
        seen = generation_;
        job = job_;
      }
      run_blocks(*job);
      std::lock_guard<std::mutex> lock(mu_);
      if (--busy_ == 0) done_cv_.notify_all();
    }
  }
  std::vector<std::thread> threads_;
  std::mutex mu_, launch_mu_;
  std::condition_variable cv_, done_cv_;
  Job* job_ = nullptr;
  int busy_ = 0;
  uint64_t generation_ = 0;
  bool stop_ = false;
};

Pool& pool() {
  static Pool* p = new Pool(worker_count() - 1);  // never destroyed: launches may come from static destructors
  return *p;
}

SimThread& self(const char* what) {
  SEEK_CHECK(tls_thread != nullptr && tls_block != nullptr, "CUDA simulator: ", what,
             " called outside a kernel (from host code)");
  return *tls_thread;
}

}  // namespace

// ---- schedules ----

void set_schedule(const Schedule& s) {
  std::lock_guard<std::mutex> lock(sched_mu);
  current_schedule() = s;
}

Schedule schedule() {
  std::lock_guard<std::mutex> lock(sched_mu);
  return current_schedule();
}

Schedule parse_schedule(const std::string& text) {
  Schedule s;
  std::string order = text, extra;
  if (size_t comma = text.find(','); comma != std::string::npos) {
    order = text.substr(0, comma);
    extra = text.substr(comma + 1);
  }
  if (order == "forward") {
    s.order = Order::Forward;
  } else if (order == "reverse") {
    s.order = Order::Reverse;
  } else if (order.rfind("random", 0) == 0) {
    s.order = Order::Random;
    s.late_copies = true;
    s.seed = 1;
    if (order.size() > 6) {
      SEEK_CHECK_VALUE(
          order[6] == ':' && order.size() > 7 && order.find_first_not_of("0123456789", 7) == std::string::npos,
          "SEEK_SIM_SCHEDULE: '", text, "' is not random:SEED with a decimal SEED");
      s.seed = std::stoull(order.substr(7));
    }
  } else {
    SEEK_CHECK_VALUE(false, "SEEK_SIM_SCHEDULE: '", text,
                     "' is not forward, reverse or random[:SEED] (optionally followed by ,late or ,eager)");
  }
  if (extra == "late") {
    s.late_copies = true;
  } else if (extra == "eager") {
    s.late_copies = false;
  } else {
    SEEK_CHECK_VALUE(extra.empty(), "SEEK_SIM_SCHEDULE: '", text, "': after the comma expected late or eager");
  }
  return s;
}

std::string schedule_name(const Schedule& s) {
  const std::string order = s.order == Order::Forward   ? "forward"
                            : s.order == Order::Reverse ? "reverse"
                                                        : str("random:", s.seed);
  return order + (s.late_copies ? ",late" : ",eager");
}

int worker_count() {
  static const int n = [] {
    if (const char* env = std::getenv("SEEK_SIM_WORKERS")) return std::max(1, std::atoi(env));
    return static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1u, 8u));
  }();
  return n;
}

// ---- launching ----

void launch(const LaunchSpec& spec, void (*body)(const void*), const void* closure) {
  SEEK_CHECK(tls_block == nullptr, "CUDA simulator: a kernel launched a kernel (dynamic parallelism is not simulated)");
  check_config(spec);
  Job job;
  job.spec = &spec;
  job.body = body;
  job.closure = closure;
  job.sched = schedule();
  const uint64_t nblocks = uint64_t(spec.grid.x) * spec.grid.y * spec.grid.z;
  job.blocks.resize(nblocks);
  for (uint64_t i = 0; i < nblocks; ++i) job.blocks[i] = i;
  if (job.sched.order == Order::Reverse) {
    std::reverse(job.blocks.begin(), job.blocks.end());
  } else if (job.sched.order == Order::Random) {
    std::mt19937_64 rng(job.sched.seed + nblocks);
    std::shuffle(job.blocks.begin(), job.blocks.end(), rng);
  }
  if (nblocks == 1 || worker_count() == 1) {
    run_blocks(job);
  } else {
    pool().run(job);
  }
  if (job.exception) std::rethrow_exception(job.exception);
  if (job.failed) throw Error(job.error);
}

// ---- inside a kernel ----

__thread Builtins tls_builtins = {nullptr, nullptr, nullptr, nullptr};

void outside_kernel(const char* what) { self(what), throw Error("unreachable"); }

int lane_id() { return self("lane id").linear % 32; }
void* dynamic_shared() { return self("dynamic shared memory"), tls_block->dyn_smem; }

int barrier(int predicate, const char* what, std::source_location where) {
  return tls_block->barrier(self(what), predicate, what, where);
}

void warp_collective(const char* what, unsigned mask, const void* in, void* out, void (*combine)(const WarpCall&),
                     const void* ctx, std::source_location where) {
  tls_block->warp_collective(self(what), what, mask, in, out, combine, ctx, where);
}

void detail::shuffle_from_absent_lane(int lane, int src, unsigned mask) {
  tls_block->abort_thread(str("lane ", lane, " of a warp shuffles from lane ", src, ", which the mask 0x", std::hex,
                              mask, std::dec, " does not name (", tls_block->thread_str(*tls_thread), ")"));
}

void misuse(const std::string& message) {
  SimThread& t = self("a simulator check");
  tls_block->abort_thread(str(message, " (", tls_block->thread_str(t), ")"));
}

void detail::bad_shuffle_width(const char* what, int width, std::source_location where) {
  SimThread& t = self(what);
  tls_block->abort_thread(str(tls_block->thread_str(t), " calls ", what, " at ", where.file_name(), ":", where.line(),
                              " with width ", width, ", which is not a power of two from 1 to 32"));
}

unsigned active_mask() { return tls_block->active_mask(self("__activemask")); }

void yield(const char* what, std::source_location where) { tls_block->yield(self(what), what, where); }
void progress() { self("a progress mark"), ++tls_block->events; }

void cp_async(void* dst, const void* src, size_t bytes) {
  SimThread& t = self("cp.async");
  if (!tls_block->sched.late_copies) {
    std::memcpy(dst, src, bytes);
    return;
  }
  // Lands at the wait; until then the target holds a poison pattern (NaN for floats).
  std::memset(dst, 0xff, bytes);
  t.copies.push_back({dst, src, bytes, t.committed_groups});
}

void cp_async_commit() { ++self("cp.async.commit_group").committed_groups; }

void cp_async_wait(int pending) {
  SEEK_CHECK(pending >= 0, "CUDA simulator: cp.async.wait_group needs a non-negative count, got ", pending);
  self("cp.async.wait_group").land_copies(pending);
}

}  // namespace seek::sim

// One thread block of the SIMT simulator: a fiber per CUDA thread, a scheduler
// that resumes runnable threads pass by pass in the schedule's order, the block
// barrier, warp collectives and cp.async.
//
// Trick: fibers are made lazily and a thread that ends gives its stack back at
// once, so a kernel without barriers runs thread after thread on one hot stack;
// only threads suspended at a scheduling point hold a stack of their own.
// A warp collective needs no copies: each lane leaves pointers to its input and
// output (on its own suspended stack) and the last lane to arrive computes
// every lane's result in place.
#include "kernels/sim/sim_block.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <random>

#include "seek/core/error.h"

namespace seek::sim {

namespace bc = boost::context::detail;

thread_local BlockRun* tls_block = nullptr;
thread_local SimThread* tls_thread = nullptr;

namespace {

// ---- stacks: one pool per OS thread, reused across blocks and launches ----
size_t stack_bytes() {
  static const size_t bytes = [] {
    const char* env = std::getenv("SEEK_SIM_STACK_KB");
    const long kb = env ? std::atol(env) : 256;
    return static_cast<size_t>(std::max(kb, 32L)) * 1024;
  }();
  return bytes;
}

class StackPool {
 public:
  ~StackPool() {
    for (void* base : all_) munmap(base, stack_bytes() + page());
  }
  // The top of a free stack (stacks grow down); a guard page below each catches an overflow.
  void* pop() {
    if (free_.empty()) {
      void* base = mmap(nullptr, stack_bytes() + page(), PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
      if (base == MAP_FAILED) throw OutOfMemoryError("CUDA simulator: cannot map a fiber stack");
      mprotect(base, page(), PROT_NONE);
      all_.push_back(base);
      free_.push_back(static_cast<char*>(base) + page() + stack_bytes());
    }
    void* top = free_.back();
    free_.pop_back();
    return top;
  }
  void push(void* top) { free_.push_back(top); }

 private:
  static size_t page() { return static_cast<size_t>(sysconf(_SC_PAGESIZE)); }
  std::vector<void*> all_, free_;
};

thread_local StackPool tls_stacks;

std::string dim_str(const uint3& v) { return str("(", v.x, ",", v.y, ",", v.z, ")"); }

std::string site_str(const std::source_location& w) { return str(w.file_name(), ":", w.line()); }

bool same_site(const std::source_location& a, const std::source_location& b) {
  return a.line() == b.line() && a.column() == b.column() && std::strcmp(a.file_name(), b.file_name()) == 0;
}

// Where a suspended thread waits, for messages.
std::string waiting_str(const SimThread& t) {
  switch (t.state) {
    case ThreadState::AtBarrier: return str(t.what, " at ", site_str(t.where));
    case ThreadState::AtWarp: return str(t.what, " (mask 0x", std::hex, t.mask, std::dec, ") at ", site_str(t.where));
    case ThreadState::Exited: return "exited";
    default: return "runnable";
  }
}

void fiber_main(bc::transfer_t t) {
  BlockRun* b = tls_block;
  b->sched_ctx = t.fctx;
  SimThread* th = static_cast<SimThread*>(t.data);
  try {
    b->body(b->closure);
  } catch (const AbortBlock&) {  // b->error says why
  } catch (...) {
    if (!b->failed) {
      b->failed = true;
      b->exception = std::current_exception();
    }
  }
  th->land_copies(-1);
  th->state = ThreadState::Exited;
  if (!b->failed) b->check_exit(*th);
  bc::jump_fcontext(b->sched_ctx, th);  // never resumed
}

}  // namespace

// ---- SimThread ----

void SimThread::land_copies(int keep_groups) {
  size_t kept = 0;
  for (PendingCopy& c : copies) {
    if (keep_groups < 0 || c.group < committed_groups - keep_groups) {
      std::memcpy(c.dst, c.src, c.bytes);
    } else {
      copies[kept++] = c;
    }
  }
  copies.resize(kept);
}

// ---- BlockRun ----

std::string BlockRun::thread_str(const SimThread& t) const {
  return str("thread ", dim_str(t.idx), " (warp ", t.linear / 32, " lane ", t.linear % 32, ") of block ",
             dim_str(block_idx));
}

void BlockRun::fail(std::string message) {
  if (failed) return;
  failed = true;
  error = str("CUDA simulator: ", message, ", in the kernel launched at ", site_str(spec->where), " (",
              spec->where.function_name(), ")");
}

void BlockRun::abort_thread(std::string message) {
  fail(std::move(message));
  throw AbortBlock{};
}

void BlockRun::check_exit(const SimThread& t) {
  // A lane that ends while lanes of its warp wait for it in a collective naming it.
  const int warp = t.linear / 32, lane = t.linear % 32;
  for (int i = warp * 32; i < std::min(nthreads, warp * 32 + 32); ++i) {
    const SimThread& o = threads[static_cast<size_t>(i)];
    if (o.state == ThreadState::AtWarp && (o.mask >> lane & 1u))
      return fail(str(thread_str(t), " exited while ", thread_str(o), " waits for it in ", waiting_str(o)));
  }
}

void BlockRun::release_stacks() {
  for (SimThread& t : threads) {
    if (t.stack_top) tls_stacks.push(t.stack_top);
    t.stack_top = nullptr;
    t.ctx = nullptr;
  }
}

void BlockRun::resume(SimThread& t) {
  tls_thread = &t;
  tls_builtins.thread_idx = &t.idx;
  if (!t.ctx) {
    t.stack_top = tls_stacks.pop();
    t.ctx = bc::make_fcontext(t.stack_top, stack_bytes(), fiber_main);
  }
  t.state = ThreadState::Running;
  bc::transfer_t r = bc::jump_fcontext(t.ctx, &t);
  t.ctx = r.fctx;
  if (t.state == ThreadState::Exited) {
    tls_stacks.push(t.stack_top);
    t.stack_top = nullptr;
    t.ctx = nullptr;
  }
  tls_thread = nullptr;
  tls_builtins.thread_idx = nullptr;
}

void BlockRun::suspend(SimThread& t) {
  bc::transfer_t r = bc::jump_fcontext(sched_ctx, &t);
  sched_ctx = r.fctx;
  tls_thread = &t;
  tls_builtins.thread_idx = &t.idx;
  if (failed) throw AbortBlock{};
}

void BlockRun::make_order(uint64_t pass) {
  order.resize(static_cast<size_t>(nthreads));
  for (int i = 0; i < nthreads; ++i) order[static_cast<size_t>(i)] = i;
  if (sched.order == Order::Reverse) {
    std::reverse(order.begin(), order.end());
  } else if (sched.order == Order::Random) {
    // Warps in a random order, lanes in a random order within each warp, new each pass.
    std::mt19937_64 rng(sched.seed * 0x9E3779B97F4A7C15ull ^ (block_linear * 1315423911ull + pass));
    const int nwarps = (nthreads + 31) / 32;
    std::vector<int> warps(static_cast<size_t>(nwarps));
    for (int w = 0; w < nwarps; ++w) warps[static_cast<size_t>(w)] = w;
    std::shuffle(warps.begin(), warps.end(), rng);
    order.clear();
    for (int w : warps) {
      const size_t first = order.size();
      for (int i = w * 32; i < std::min(nthreads, w * 32 + 32); ++i) order.push_back(i);
      std::shuffle(order.begin() + static_cast<std::ptrdiff_t>(first), order.end(), rng);
    }
  }
}

void BlockRun::run() {
  tls_block = this;
  tls_builtins = {nullptr, &block_idx, &spec->block, &spec->grid};
  for (uint64_t pass = 0;; ++pass) {
    if (pass == 0 || sched.order == Order::Random) make_order(pass);
    for (int i : order) {
      SimThread& t = threads[static_cast<size_t>(i)];
      if (t.state == ThreadState::Ready) resume(t);
      if (failed) break;
    }
    if (failed) break;
    int exited = 0, ready = 0, at_barrier = 0, at_warp = 0;
    for (int i = 0; i < nthreads; ++i) {
      switch (threads[static_cast<size_t>(i)].state) {
        case ThreadState::Exited: ++exited; break;
        case ThreadState::Ready: ++ready; break;
        case ThreadState::AtBarrier: ++at_barrier; break;
        case ThreadState::AtWarp: ++at_warp; break;
        case ThreadState::Running: break;
      }
    }
    if (exited == nthreads) break;
    if (ready > 0) continue;
    if (at_warp == 0) {
      release_barrier(exited);
    } else {
      report_deadlock();
    }
    if (failed) break;
  }
  tls_block = nullptr;
  tls_builtins = {nullptr, nullptr, nullptr, nullptr};
}

void BlockRun::release_barrier(int exited) {
  const SimThread* first = nullptr;
  int count = 0;
  for (const SimThread& t : threads) {
    if (t.state != ThreadState::AtBarrier) continue;
    if (!first) {
      first = &t;
    } else if (!same_site(t.where, first->where) || std::strcmp(t.what, first->what) != 0) {
      return fail(str("divergent barrier: ", thread_str(*first), " waits in ", waiting_str(*first), " but ",
                      thread_str(t), " in ", waiting_str(t)));
    }
    count += t.predicate != 0;
  }
  if (exited > 0) {
    for (const SimThread& t : threads)
      if (t.state == ThreadState::Exited)
        return fail(str("barrier never reached: ", thread_str(*first), " waits in ", waiting_str(*first), " but ",
                        thread_str(t), " exited without reaching it (", exited, " of ", nthreads, " threads exited)"));
  }
  for (SimThread& t : threads) {
    t.result = count;
    t.state = ThreadState::Ready;
  }
}

void BlockRun::report_deadlock() {
  // Some lane waits in a warp collective for a lane that waits elsewhere.
  for (const SimThread& t : threads) {
    if (t.state != ThreadState::AtWarp) continue;
    const int warp = t.linear / 32;
    for (int lane = 0; lane < 32; ++lane) {
      if (!(t.mask >> lane & 1u)) continue;
      const SimThread& o = threads[static_cast<size_t>(warp * 32 + lane)];
      if (o.state != ThreadState::AtWarp)
        return fail(str("warp operations do not match: ", thread_str(t), " waits in ", waiting_str(t), " for ",
                        thread_str(o), ", which waits in ", waiting_str(o)));
    }
  }
  fail("deadlock: no thread can make progress");
}

int BlockRun::barrier(SimThread& t, int predicate, const char* what, std::source_location where) {
  t.state = ThreadState::AtBarrier;
  t.what = what;
  t.where = where;
  t.predicate = predicate;
  suspend(t);
  return t.result;
}

void BlockRun::warp_collective(SimThread& t, const char* what, unsigned mask, const void* in, void* out,
                               void (*combine)(const WarpCall&), const void* ctx, std::source_location where) {
  const int warp = t.linear / 32, lane = t.linear % 32;
  const int lanes = std::min(32, nthreads - warp * 32);
  const unsigned existing = lanes == 32 ? 0xffffffffu : ((1u << lanes) - 1u);
  t.what = what;
  t.where = where;
  t.mask = mask;
  if (!(mask >> lane & 1u))
    abort_thread(str(thread_str(t), " calls ", what, " at ", site_str(where), " with mask 0x", std::hex, mask, std::dec,
                     ", which does not name the calling lane"));
  if (mask & ~existing)
    abort_thread(str(thread_str(t), " calls ", what, " at ", site_str(where), " with mask 0x", std::hex, mask,
                     " naming lanes beyond the last lane of its warp (block of ", std::dec, nthreads, " threads)"));
  bool complete = true;
  for (int l = 0; l < lanes; ++l) {
    if (!(mask >> l & 1u) || l == lane) continue;
    const SimThread& o = threads[static_cast<size_t>(warp * 32 + l)];
    if (o.state == ThreadState::Exited)
      abort_thread(str(thread_str(t), " calls ", what, " at ", site_str(where), " with mask 0x", std::hex, mask,
                       std::dec, " but lane ", l, " of its warp has exited"));
    if (o.state == ThreadState::AtWarp) {
      if (o.mask != mask || std::strcmp(o.what, what) != 0)
        abort_thread(str("warp operations do not match: ", thread_str(t), " calls ", what, " (mask 0x", std::hex, mask,
                         std::dec, ") at ", site_str(where), " while ", thread_str(o), " waits in ", waiting_str(o)));
    } else {
      complete = false;
    }
  }
  t.in = in;
  t.out = out;
  if (!complete) {
    t.state = ThreadState::AtWarp;
    suspend(t);
    return;
  }
  WarpCall call{};
  call.mask = mask;
  call.ctx = ctx;
  for (int l = 0; l < lanes; ++l) {
    if (!(mask >> l & 1u)) continue;
    SimThread& o = threads[static_cast<size_t>(warp * 32 + l)];
    call.in[l] = o.in;
    call.out[l] = o.out;
  }
  combine(call);
  for (int l = 0; l < lanes; ++l)
    if ((mask >> l & 1u) && l != lane) threads[static_cast<size_t>(warp * 32 + l)].state = ThreadState::Ready;
}

}  // namespace seek::sim

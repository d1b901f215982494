// One thread block of the SIMT simulator: a fiber per CUDA thread, a scheduler
// that resumes runnable threads pass by pass in the schedule's order, the block
// barrier, warp collectives and cp.async.
//
// Tricks: fibers are made lazily, and a thread that ends hands its fiber to the
// next thread of the pass that has not started, so a kernel without barriers runs
// a block's threads one after another in one fiber on one hot stack; only threads
// suspended at a scheduling point hold a stack of their own.
// A thread that waits or ends switches straight to the next runnable thread of
// the pass (one context switch per thread per barrier, not two), and every check
// is done as threads arrive, against counters and per-warp lane bitmasks, so no
// step rescans the block. A warp collective needs no copies: each lane leaves
// pointers to its input and output (on its own suspended stack) and the last
// lane to arrive computes every lane's result in place.
#include "kernels/sim/sim_block.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cstring>

#include "kernels/sim/sim_fiber.h"
#include "seek/core/error.h"

#if defined(__SANITIZE_ADDRESS__)
#define SEEK_SIM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SEEK_SIM_ASAN 1
#endif
#endif
#if defined(SEEK_SIM_ASAN)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

namespace seek::sim {

__thread BlockRun* tls_block = nullptr;
__thread SimThread* tls_thread = nullptr;

namespace {

// ---- AddressSanitizer: fiber switches must be announced, else ASan sees a stack jump ----
#if defined(SEEK_SIM_ASAN)
void asan_start_switch(void** fake_stack_save, const void* bottom, size_t size) {
  __sanitizer_start_switch_fiber(fake_stack_save, bottom, size);
}
void asan_finish_switch(void* fake_stack_save, const void** bottom_old, size_t* size_old) {
  __sanitizer_finish_switch_fiber(fake_stack_save, bottom_old, size_old);
}
void asan_unpoison(void* p, size_t n) { __asan_unpoison_memory_region(p, n); }
#else
void asan_start_switch(void**, const void*, size_t) {}
void asan_finish_switch(void*, const void**, size_t*) {}
void asan_unpoison(void*, size_t) {}
#endif

// A random bit generator that is cheap to seed (a new order is drawn for every pass of
// every block; seeding a Mersenne twister costs more than the pass).
struct SplitMix64 {
  using result_type = uint64_t;
  uint64_t state;
  static constexpr uint64_t min() { return 0; }
  static constexpr uint64_t max() { return ~uint64_t(0); }
  uint64_t operator()() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
};

// ---- stacks: one pool per OS thread, reused across blocks and launches ----
size_t stack_bytes() {
  static const size_t bytes = [] {
    const char* env = std::getenv("SEEK_SIM_STACK_KB");
    const long kb = env ? std::atol(env) : 256;
    return static_cast<size_t>(std::max(kb, 32L)) * 1024;
  }();
  return bytes;
}

// What a fiber may use below its (staggered) top.
size_t fiber_stack_bytes() { return stack_bytes() - 4096; }

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
      // Tops at the same page offset would put every fiber's hot frames in the same cache
      // sets (a thread switch would then miss in L1 on each frame): stagger them by 64 bytes.
      const size_t color = (all_.size() * 7 % 64) * 64;
      free_.push_back(static_cast<char*>(base) + page() + stack_bytes() - color);
    }
    void* top = free_.back();
    free_.pop_back();
    return top;
  }
  void push(void* top) {
    // A fiber that ended (or was abandoned) leaves its frames' redzones poisoned.
    asan_unpoison(static_cast<char*>(top) - fiber_stack_bytes(), fiber_stack_bytes());
    free_.push_back(top);
  }

 private:
  static size_t page() { return static_cast<size_t>(sysconf(_SC_PAGESIZE)); }
  std::vector<void*> all_, free_;
};

thread_local StackPool tls_stacks;

std::string dim_str(const uint3& v) { return str("(", v.x, ",", v.y, ",", v.z, ")"); }

std::string site_str(const std::source_location& w) { return str(w.file_name(), ":", w.line()); }

// Names of barriers and collectives are string literals: usually the same pointer.
bool same_name(const char* a, const char* b) { return a == b || std::strcmp(a, b) == 0; }

bool same_site(const std::source_location& a, const std::source_location& b) {
  if (a.file_name() == b.file_name()) return a.line() == b.line() && a.column() == b.column();
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

// A CUDA thread's fiber: entered by whoever switches to it first (tls_thread names it).
// When its thread ends and the next runnable thread has not started yet, the fiber runs
// that one too, on the same stack, without a switch (a kernel without barriers runs its
// block's threads one after another in a single fiber).
void fiber_main() {
  BlockRun* b = tls_block;
  b->arrive(nullptr);
  for (SimThread* th = tls_thread; th; th = b->finish_thread(*th)) {
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
    b->on_exit(*th);
  }
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

void BlockRun::on_exit(SimThread& t) {
  t.state = ThreadState::Exited;
  ++n_exited;
  const int warp = t.linear / 32, lane = t.linear % 32;
  WarpLanes& w = warps[static_cast<size_t>(warp)];
  w.exited |= 1u << lane;
  ++events;
  if (failed) return;
  // A lane that ends while lanes of its warp wait for it in a collective naming it.
  for (unsigned waiting = w.waiting; waiting; waiting &= waiting - 1) {
    const SimThread& o = threads[static_cast<size_t>(warp * 32 + std::countr_zero(waiting))];
    if (o.mask >> lane & 1u)
      return fail(str(thread_str(t), " exited while ", thread_str(o), " waits for it in ", waiting_str(o)));
  }
  if (n_at_barrier > 0)
    fail(str("barrier never reached: ", thread_str(*barrier_first), " waits in ", waiting_str(*barrier_first), " but ",
             thread_str(t), " exited without reaching it"));
}

void BlockRun::release_stacks() {
  if (ended_stack) tls_stacks.push(ended_stack);
  ended_stack = nullptr;
  for (SimThread& t : threads) {
    if (t.stack_top) tls_stacks.push(t.stack_top);
    t.stack_top = nullptr;
    t.ctx = nullptr;
  }
}

void BlockRun::arrive(void* fake_stack) {
  const void* old_bottom = nullptr;
  size_t old_size = 0;
  asan_finish_switch(fake_stack, &old_bottom, &old_size);
  if (entering_from_sched) {
    sched_stack_bottom = old_bottom;
    sched_stack_size = old_size;
    entering_from_sched = false;
  }
  if (ended_stack) {  // safe now: we are off that stack
    tls_stacks.push(ended_stack);
    ended_stack = nullptr;
  }
}

SimThread* BlockRun::next_ready() {
  if (n_ready == 0) return nullptr;
  while (cursor < order.size()) {
    SimThread& t = threads[static_cast<size_t>(order[cursor++])];
    if (t.state == ThreadState::Ready) return &t;
  }
  return nullptr;
}

// Switches from the current context (saved into *from_slot on arrival at `to`) to thread `to`,
// made a fiber if it has not run yet; returns when something switches back.
[[gnu::always_inline]] inline void BlockRun::enter(SimThread& to, void** from_slot, void** from_fake_stack) {
  if (!to.ctx) {
    to.stack_top = tls_stacks.pop();
    to.ctx = fiber::make(to.stack_top, fiber_stack_bytes(), fiber_main);
  }
  entering_from_sched = from_slot == &sched_ctx;
  to.state = ThreadState::Running;
  --n_ready;
  tls_thread = &to;
  tls_builtins.thread_idx = &to.idx;
  asan_start_switch(from_fake_stack, static_cast<char*>(to.stack_top) - fiber_stack_bytes(), fiber_stack_bytes());
  fiber::jump(from_slot, to.ctx);
  arrive(*from_fake_stack);
}

// The calling thread waits (its state says where): the next runnable thread of the pass
// runs, or the scheduler ends the pass.
[[gnu::always_inline]] inline void BlockRun::suspend(SimThread& t) {
  if (SimThread* next = next_ready()) {
    enter(*next, &t.ctx, &t.asan_fake_stack);
  } else {
    tls_thread = nullptr;
    tls_builtins.thread_idx = nullptr;
    asan_start_switch(&t.asan_fake_stack, sched_stack_bottom, sched_stack_size);
    fiber::jump(&t.ctx, sched_ctx);
    arrive(t.asan_fake_stack);
  }
  if (failed) throw AbortBlock{};
}

// The end of a thread: the next runnable thread, if it has not started yet, continues on
// this fiber (returned); otherwise the fiber switches away for good and its stack goes back
// to the pool once we are off it.
SimThread* BlockRun::finish_thread(SimThread& t) {
  SimThread* next = failed ? nullptr : next_ready();
  if (next && !next->ctx) {
    next->stack_top = t.stack_top;
    t.stack_top = nullptr;
    t.ctx = nullptr;
    next->state = ThreadState::Running;
    --n_ready;
    tls_thread = next;
    tls_builtins.thread_idx = &next->idx;
    return next;
  }
  ended_stack = t.stack_top;
  t.stack_top = nullptr;
  t.ctx = nullptr;
  void* target = sched_ctx;
  const void* bottom = sched_stack_bottom;
  size_t size = sched_stack_size;
  if (next) {  // a thread suspended at a scheduling point
    next->state = ThreadState::Running;
    --n_ready;
    target = next->ctx;
    bottom = static_cast<char*>(next->stack_top) - fiber_stack_bytes();
    size = fiber_stack_bytes();
  }
  tls_thread = next;
  tls_builtins.thread_idx = next ? &next->idx : nullptr;
  asan_start_switch(nullptr, bottom, size);  // this fiber ends: ASan drops its fake stack
  fiber::jump(&dead_ctx, target);
  __builtin_unreachable();
}

void BlockRun::make_order(uint64_t pass) {
  order.resize(static_cast<size_t>(nthreads));
  for (int i = 0; i < nthreads; ++i) order[static_cast<size_t>(i)] = i;
  if (sched.order == Order::Reverse) {
    std::reverse(order.begin(), order.end());
  } else if (sched.order == Order::Random) {
    // Warps in a random order, lanes in a random order within each warp, new each pass.
    SplitMix64 rng{sched.seed * 0x9E3779B97F4A7C15ull ^ (block_linear * 1315423911ull + pass)};
    const int nwarps = (nthreads + 31) / 32;
    std::vector<int> warp_order(static_cast<size_t>(nwarps));
    for (int w = 0; w < nwarps; ++w) warp_order[static_cast<size_t>(w)] = w;
    std::shuffle(warp_order.begin(), warp_order.end(), rng);
    order.clear();
    for (int w : warp_order) {
      const size_t first = order.size();
      for (int i = w * 32; i < std::min(nthreads, w * 32 + 32); ++i) order.push_back(i);
      std::shuffle(order.begin() + static_cast<std::ptrdiff_t>(first), order.end(), rng);
    }
  }
}

void BlockRun::reset_threads() {
  const dim3& bd = spec->block;
  threads.resize(static_cast<size_t>(nthreads));
  for (int i = 0; i < nthreads; ++i) {
    SimThread& t = threads[static_cast<size_t>(i)];
    t.idx = make_uint3(static_cast<unsigned>(i) % bd.x, static_cast<unsigned>(i) / bd.x % bd.y,
                       static_cast<unsigned>(i) / bd.x / bd.y);
    t.linear = i;
    t.state = ThreadState::Ready;
    t.ctx = nullptr;
    t.stack_top = nullptr;
    t.asan_fake_stack = nullptr;
    t.what = "";
    t.mask = t.arrived = 0;
    t.in_activemask = false;
    t.activemask = 0;
    t.copies.clear();
    t.committed_groups = 0;
  }
  warps.assign(static_cast<size_t>((nthreads + 31) / 32), WarpLanes{});
  n_ready = nthreads;
  n_exited = n_at_barrier = n_at_warp = 0;
  barrier_first = nullptr;
  barrier_count = 0;
  events = 0;
  yields_in_pass = 0;
  last_yielder = nullptr;
}

void BlockRun::run() {
  tls_block = this;
  tls_builtins = {nullptr, &block_idx, &spec->block, &spec->grid};
  for (uint64_t pass = 0;; ++pass) {
    if (pass == 0 || sched.order == Order::Random) make_order(pass);
    // Runnable threads run in order, each switching to the next when it waits or ends;
    // threads made runnable behind the cursor wait for the next pass.
    cursor = 0;
    const uint64_t events_before = events;
    yields_in_pass = 0;
    while (SimThread* t = next_ready()) {
      enter(*t, &sched_ctx, &sched_asan_fake_stack);
      if (failed) break;
    }
    if (failed || n_exited == nthreads) break;
    if (yields_in_pass > 0 && events == events_before) {  // only spins ran: none can end
      fail(str("deadlock: ", thread_str(*last_yielder), " spins in ", last_yielder->what, " at ",
               site_str(last_yielder->where), " and no thread of the block can make progress"));
      break;
    }
    if (n_ready > 0) continue;
    if (n_at_warp == 0) {
      release_barrier();
    } else {
      report_deadlock();
    }
    if (failed) break;
  }
  tls_block = nullptr;
  tls_builtins = {nullptr, nullptr, nullptr, nullptr};
}

// Every thread that has not exited waits at the same barrier (checked as they arrived).
void BlockRun::release_barrier() {
  for (SimThread& t : threads) {
    if (t.state != ThreadState::AtBarrier) continue;
    t.result = barrier_count;
    t.state = ThreadState::Ready;
  }
  n_ready = n_at_barrier;
  n_at_barrier = 0;
  barrier_first = nullptr;
  barrier_count = 0;
}

const SimThread* BlockRun::first_exited() const {
  for (const SimThread& t : threads)
    if (t.state == ThreadState::Exited) return &t;
  return nullptr;
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
  t.what = what;
  t.where = where;
  t.state = ThreadState::AtBarrier;
  if (n_exited > 0) {
    const SimThread& gone = *first_exited();
    abort_thread(str("barrier never reached: ", thread_str(t), " waits in ", waiting_str(t), " but ", thread_str(gone),
                     " exited without reaching it"));
  }
  if (n_at_barrier == 0) {
    barrier_first = &t;
  } else if (!same_site(where, barrier_first->where) || !same_name(what, barrier_first->what)) {
    abort_thread(str("divergent barrier: ", thread_str(*barrier_first), " waits in ", waiting_str(*barrier_first),
                     " but ", thread_str(t), " in ", waiting_str(t)));
  }
  barrier_count += predicate != 0;
  ++n_at_barrier;
  ++events;
  suspend(t);
  return t.result;
}

// __activemask: the lanes of the warp that call it together. The caller yields (to the next
// pass) while another lane of its warp can still run, so lanes that are about to exit or
// to wait elsewhere get there first; then the lanes waiting in __activemask are the answer.
unsigned BlockRun::active_mask(SimThread& t) {
  const int warp = t.linear / 32, lane = t.linear % 32;
  const int lanes = std::min(32, nthreads - warp * 32);
  SimThread* const warp_threads = &threads[static_cast<size_t>(warp * 32)];
  t.in_activemask = true;
  while (!t.activemask) {
    bool others_runnable = false;
    for (int l = 0; l < lanes && !others_runnable; ++l)
      others_runnable = l != lane && warp_threads[l].state == ThreadState::Ready && !warp_threads[l].in_activemask;
    if (!others_runnable) {
      unsigned m = 0;
      for (int l = 0; l < lanes; ++l)
        if (warp_threads[l].in_activemask && !warp_threads[l].activemask) m |= 1u << l;
      for (unsigned b = m; b; b &= b - 1) warp_threads[std::countr_zero(b)].activemask = m;
      break;
    }
    t.state = ThreadState::Ready;  // behind the pass's cursor: runs again in the next pass
    ++n_ready;
    suspend(t);
  }
  const unsigned m = t.activemask;
  t.in_activemask = false;
  t.activemask = 0;
  return m;
}

// A spin-wait's turn: runnable again in the next pass (behind the pass's cursor).
void BlockRun::yield(SimThread& t, const char* what, std::source_location where) {
  t.what = what;
  t.where = where;
  ++yields_in_pass;
  last_yielder = &t;
  t.state = ThreadState::Ready;
  ++n_ready;
  suspend(t);
}

void BlockRun::warp_collective(SimThread& t, const char* what, unsigned mask, const void* in, void* out,
                               void (*combine)(const WarpCall&), const void* ctx, std::source_location where) {
  const int warp = t.linear / 32, lane = t.linear % 32;
  const unsigned self = 1u << lane;
  const int lanes = std::min(32, nthreads - warp * 32);
  const unsigned existing = lanes == 32 ? 0xffffffffu : ((1u << lanes) - 1u);
  WarpLanes& w = warps[static_cast<size_t>(warp)];
  SimThread* const warp_threads = &threads[static_cast<size_t>(warp * 32)];
  ++events;
  t.what = what;
  t.where = where;
  t.mask = mask;
  t.in = in;
  t.out = out;
  if (!(mask & self))
    abort_thread(str(thread_str(t), " calls ", what, " at ", site_str(where), " with mask 0x", std::hex, mask, std::dec,
                     ", which does not name the calling lane"));
  if (mask & ~existing)
    abort_thread(str(thread_str(t), " calls ", what, " at ", site_str(where), " with mask 0x", std::hex, mask,
                     " naming lanes beyond the last lane of its warp (block of ", std::dec, nthreads, " threads)"));
  if (const unsigned gone = mask & w.exited)
    abort_thread(str(thread_str(t), " calls ", what, " at ", site_str(where), " with mask 0x", std::hex, mask, std::dec,
                     " but lane ", std::countr_zero(gone), " of its warp has exited"));
  // The lanes of the mask already waiting must all be one group, waiting in the same call.
  const unsigned waiting = mask & w.waiting;
  SimThread* leader = &t;
  if (waiting) {
    leader = &warp_threads[warp_threads[std::countr_zero(waiting)].leader];
    if (leader->mask != mask || !same_name(leader->what, what) || (waiting & ~leader->arrived)) {
      unsigned odd = waiting;  // name a waiting lane whose call differs
      for (unsigned m = waiting; m; m &= m - 1) {
        const SimThread& o = warp_threads[std::countr_zero(m)];
        if (o.mask != mask || !same_name(o.what, what)) {
          odd = m;
          break;
        }
      }
      const SimThread& o = warp_threads[std::countr_zero(odd)];
      abort_thread(str("warp operations do not match: ", thread_str(t), " calls ", what, " (mask 0x", std::hex, mask,
                       std::dec, ") at ", site_str(where), " while ", thread_str(o), " waits in ", waiting_str(o)));
    }
  }
  if ((leader == &t ? self : leader->arrived | self) != mask) {
    if (leader == &t) t.arrived = self;
    leader->arrived |= self;
    t.leader = static_cast<int>(leader - warp_threads);
    t.state = ThreadState::AtWarp;
    w.waiting |= self;
    ++n_at_warp;
    suspend(t);
    return;
  }
  // The last lane to arrive: every lane's result, then the others may go on.
  WarpCall call{};
  call.mask = mask;
  call.ctx = ctx;
  for (unsigned m = mask; m; m &= m - 1) {
    const SimThread& o = warp_threads[std::countr_zero(m)];
    call.in[std::countr_zero(m)] = o.in;
    call.out[std::countr_zero(m)] = o.out;
  }
  combine(call);
  const unsigned others = mask & ~self;
  for (unsigned m = others; m; m &= m - 1) warp_threads[std::countr_zero(m)].state = ThreadState::Ready;
  w.waiting &= ~others;
  const int woken = std::popcount(others);
  n_at_warp -= woken;
  n_ready += woken;
}

}  // namespace seek::sim

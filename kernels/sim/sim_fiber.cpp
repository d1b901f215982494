// Fiber switches for the SIMT simulator (see sim_fiber.h): a hand-written x86-64
// System V switch that ends in `ret`, or Boost.Context elsewhere.
#include "kernels/sim/sim_fiber.h"

#include <cstdint>

#if defined(__x86_64__) && defined(__ELF__) && !defined(SEEK_SIM_BOOST_FIBERS)

// seek_sim_fiber_switch(save, to): pushes the callee-saved registers and the SSE/x87
// control words, stores the stack pointer in *save, loads `to` and pops the same.
// seek_sim_fiber_start: where a new context's first switch returns to; calls the
// entry function left in r12 (on a 16-byte aligned stack, frame chain ended).
asm(R"(
  .text
  .globl seek_sim_fiber_switch
  .hidden seek_sim_fiber_switch
  .type seek_sim_fiber_switch, @function
  .p2align 4
seek_sim_fiber_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  subq $8, %rsp
  stmxcsr (%rsp)
  fnstcw 4(%rsp)
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  ldmxcsr (%rsp)
  fldcw 4(%rsp)
  addq $8, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size seek_sim_fiber_switch, .-seek_sim_fiber_switch

  .globl seek_sim_fiber_start
  .hidden seek_sim_fiber_start
  .type seek_sim_fiber_start, @function
  .p2align 4
seek_sim_fiber_start:
  .cfi_startproc
  .cfi_undefined rip
  xorl %ebp, %ebp
  callq *%r12
  ud2
  .cfi_endproc
  .size seek_sim_fiber_start, .-seek_sim_fiber_start
)");

extern "C" void seek_sim_fiber_switch(void** save, void* to);
extern "C" void seek_sim_fiber_start();

namespace seek::sim::fiber {

Context make(void* top, size_t, void (*entry)()) {
  // The frame the switch pops: control words, r15, r14, r13, r12 = entry, rbx, rbp, return
  // address. It ends at a 16-byte boundary, so the start's call enters entry aligned.
  const uintptr_t end = reinterpret_cast<uintptr_t>(top) & ~uintptr_t(15);
  auto* f = reinterpret_cast<uint64_t*>(end - 64);
  uint32_t mxcsr = 0;
  uint16_t fpucw = 0;
  asm volatile("stmxcsr %0" : "=m"(mxcsr));
  asm volatile("fnstcw %0" : "=m"(fpucw));
  f[0] = mxcsr | uint64_t(fpucw) << 32;
  f[1] = f[2] = f[3] = 0;
  f[4] = reinterpret_cast<uint64_t>(entry);
  f[5] = f[6] = 0;
  f[7] = reinterpret_cast<uint64_t>(&seek_sim_fiber_start);
  return f;
}

void jump(Context* save, Context to) { seek_sim_fiber_switch(save, to); }

}  // namespace seek::sim::fiber

#else

#include <boost/context/detail/fcontext.hpp>

namespace seek::sim::fiber {

namespace bc = boost::context::detail;

namespace {
thread_local void (*tls_entry)() = nullptr;  // fibers start on the OS thread that made them

// The context we came from goes where the switch said (jump passes its `save`).
void boost_start(bc::transfer_t r) {
  *static_cast<Context*>(r.data) = r.fctx;
  tls_entry();
}
}  // namespace

Context make(void* top, size_t size, void (*entry)()) {
  tls_entry = entry;
  return bc::make_fcontext(top, size, boost_start);
}

void jump(Context* save, Context to) {
  const bc::transfer_t r = bc::jump_fcontext(to, save);
  *static_cast<Context*>(r.data) = r.fctx;
}

}  // namespace seek::sim::fiber

#endif

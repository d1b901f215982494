#pragma once
// Switching between the SIMT simulator's fibers (one per simulated CUDA thread).
//
// On x86-64 (System V, ELF) a hand-written switch that ends in `ret`: the CPU's
// return stack buffer stays balanced, so when a thread switches to another that
// is suspended at the same call site (the usual case: two threads of a block
// waiting at the same barrier) the switch's return and every return after it are
// predicted. Boost.Context's jump_fcontext returns with an indirect jmp, which
// leaves an entry behind and makes each later return of the resumed thread a
// misprediction. Elsewhere (or with SEEK_SIM_BOOST_FIBERS) Boost.Context is used.
#include <cstddef>

namespace seek::sim::fiber {

using Context = void*;

// A context that runs entry() on the stack whose top is `top` (entry never returns).
Context make(void* top, size_t size, void (*entry)());
// Saves the current context into *save and continues `to`; returns when something
// switches back to *save.
void jump(Context* save, Context to);

}  // namespace seek::sim::fiber

#pragma once
// What cpu_reduce.cpp needs of the CPU reduction engine (cpu_reduce_engine.cpp): the
// reduce and arg-reduce entry points, and the loop geometry (dims sorted by stride,
// kept/reduced split, merged) with its odometer, which cumsum's scan uses too.
#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "backend/cpu/cpu_loops.h"
#include "seek/backend/backend.h"

namespace seek::cpu::reduce_engine {

struct Geometry {
  std::vector<int64_t> ksize, kin, kout;  // kept dims, innermost first; strides in elements
  std::vector<int64_t> rsize, rin, rout;  // reduced (or scanned) dims, innermost first
  int64_t M = 1;                          // number of kept positions (outputs)
  int64_t N = 1;                          // elements folded into each output
  bool inner = true;                      // the innermost dim is a reduced one
};

// `out` has the keepdim shape (reduce) or in's shape (scan, where rout is used).
Geometry make_geometry(const Tensor& in, const std::vector<int64_t>& dims, const Tensor& out, bool scan);

// Odometer over a dim list (innermost first, from dim `first` on) tracking an
// input and an output offset; no allocation for up to 16 dims.
struct Odometer {
  const int64_t *size, *sin, *sout;
  size_t first, nd;
  int64_t small[16];
  std::vector<int64_t> big;
  int64_t* idx;
  int64_t in_off = 0, out_off = 0;

  Odometer(const std::vector<int64_t>& s, const std::vector<int64_t>& si, const std::vector<int64_t>& so, size_t f,
           int64_t linear)
      : size(s.data()), sin(si.data()), sout(so.data()), first(f), nd(s.size()) {
    if (nd > 16) big.resize(nd);
    idx = nd > 16 ? big.data() : small;
    for (size_t d = first; d < nd; ++d) {
      idx[d] = linear % size[d];
      linear /= size[d];
      in_off += idx[d] * sin[d];
      out_off += idx[d] * sout[d];
    }
  }
  Odometer(const Odometer&) = delete;
  void next() {
    for (size_t d = first; d < nd; ++d) {
      in_off += sin[d], out_off += sout[d];
      if (++idx[d] < size[d]) return;
      in_off -= size[d] * sin[d], out_off -= size[d] * sout[d];
      idx[d] = 0;
    }
  }
};

// Runs fn(begin, end) over [0, n) split across threads when total work is large.
template <typename F>
void parallel_range(int64_t n, int64_t work, F fn) {
  const int threads = omp_get_max_threads();
  if (n <= 1 || work < kParallelGrain || threads <= 1 || omp_in_parallel()) {
    fn(int64_t(0), n);
    return;
  }
  const int64_t chunks = std::min<int64_t>({int64_t(threads), n, std::max<int64_t>(1, work / kParallelGrain)});
#pragma omp parallel for num_threads(static_cast <int>(chunks)) schedule(static)
  for (int64_t c = 0; c < chunks; ++c) fn(n * c / chunks, n * (c + 1) / chunks);
}

// out (keepdim shape, checked by the caller) = op over `dims` of in; n = elements per output.
void run_reduce(ReduceOp op, const Tensor& in, const std::vector<int64_t>& dims, const Tensor& out,
                const ReduceParams& p, double n);
// values/indices (keepdim shape, equal strides) = max or min of in over `dims` and its index.
void run_arg_reduce(bool is_max, const Tensor& in, const std::vector<int64_t>& dims, const Tensor& values,
                    const Tensor& indices);

}  // namespace seek::cpu::reduce_engine

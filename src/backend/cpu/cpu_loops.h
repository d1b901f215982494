#pragma once
// Elementwise iteration for CPU kernels, in the spirit of PyTorch's TensorIterator:
// N same-shaped strided operands (operand 0 is the output) are reduced to the
// fewest dimensions (backend/dim_collapse.h, shared with the CUDA kernels), then the linear index range is split
// across OpenMP threads and each thread walks innermost runs, calling
//   loop(char* ptrs[N], const int64_t strides[N] /*bytes*/, int64_t n).
// Kernels check the inner strides and take a contiguous fast path the compiler
// vectorises.
#include <omp.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <utility>
#include <vector>

#include "backend/dim_collapse.h"
#include "seek/core/convert.h"
#include "seek/core/tensor.h"

namespace seek::cpu {

constexpr int64_t kParallelGrain = 32768;  // elements below which a loop stays serial

template <int N>
struct StridedLayout {
  int ndim = 0;
  int64_t numel = 1;
  std::vector<int64_t> shape;                   // outermost first
  std::array<std::vector<int64_t>, N> strides;  // bytes
  std::array<char*, N> base{};

  explicit StridedLayout(const std::array<const Tensor*, N>& ops) {
    std::array<int64_t, N> bytes;
    for (int k = 0; k < N; ++k) {
      base[k] = static_cast<char*>(ops[k]->data_ptr());
      bytes[k] = static_cast<int64_t>(ops[k]->element_size());
    }
    backend_detail::CollapsedDims<N> c = backend_detail::collapse_dims<N>(ops, bytes);
    numel = c.numel;
    shape = std::move(c.shape);
    strides = std::move(c.strides);
    ndim = static_cast<int>(shape.size());
  }

  // Walk linear indices [begin, end) in innermost runs.
  template <typename Loop>
  void run_range(int64_t begin, int64_t end, Loop& loop) const {
    if (begin >= end) return;
    if (ndim == 0) {
      std::array<char*, N> p = base;
      int64_t zero[N] = {};
      loop(p.data(), zero, 1);
      return;
    }
    std::vector<int64_t> idx(ndim, 0);
    int64_t rem = begin;
    for (int d = ndim - 1; d >= 0; --d) {
      idx[d] = rem % shape[d];
      rem /= shape[d];
    }
    int64_t inner_stride[N];
    for (int k = 0; k < N; ++k) inner_stride[k] = strides[k][ndim - 1];
    int64_t pos = begin;
    while (pos < end) {
      std::array<char*, N> p;
      for (int k = 0; k < N; ++k) {
        char* ptr = base[k];
        for (int d = 0; d < ndim; ++d) ptr += idx[d] * strides[k][d];
        p[k] = ptr;
      }
      int64_t run = std::min(shape[ndim - 1] - idx[ndim - 1], end - pos);
      loop(p.data(), inner_stride, run);
      pos += run;
      idx[ndim - 1] += run;
      for (int d = ndim - 1; d > 0 && idx[d] == shape[d]; --d) {
        idx[d] = 0;
        ++idx[d - 1];
      }
    }
  }
};

// Runs `loop` over all elements of the operands, in parallel for large tensors.
template <int N, typename Loop>
void for_each(const std::array<const Tensor*, N>& ops, Loop loop, int64_t grain = kParallelGrain) {
  StridedLayout<N> layout(ops);
  int64_t numel = layout.numel;
  if (numel == 0) return;
  int threads = omp_get_max_threads();
  if (numel < grain || threads <= 1 || omp_in_parallel()) {
    layout.run_range(0, numel, loop);
    return;
  }
  int64_t chunks = std::min<int64_t>(threads, (numel + grain - 1) / grain);
#pragma omp parallel for num_threads(static_cast <int>(chunks)) schedule(static)
  for (int64_t c = 0; c < chunks; ++c) {
    int64_t b = numel * c / chunks, e = numel * (c + 1) / chunks;
    Loop local = loop;
    layout.run_range(b, e, local);
  }
}

// out[i] = f(in[i]) with storage types Out/In and f taking/returning acc types.
template <typename Out, typename In, typename F>
void unary_kernel(const Tensor& in, const Tensor& out, F f) {
  for_each<2>({&out, &in}, [f](char** p, const int64_t* s, int64_t n) {
    Out* o = reinterpret_cast<Out*>(p[0]);
    const In* a = reinterpret_cast<const In*>(p[1]);
    if (s[0] == static_cast<int64_t>(sizeof(Out)) && s[1] == static_cast<int64_t>(sizeof(In))) {
      for (int64_t i = 0; i < n; ++i) o[i] = convert<Out>(f(convert<acc_t<In>>(a[i])));
    } else {
      for (int64_t i = 0; i < n; ++i) {
        *reinterpret_cast<Out*>(p[0] + i * s[0]) =
            convert<Out>(f(convert<acc_t<In>>(*reinterpret_cast<const In*>(p[1] + i * s[1]))));
      }
    }
  });
}

// out[i] = f(a[i], b[i]); a/b may be broadcast (stride 0), including a scalar b.
template <typename Out, typename In, typename F>
void binary_kernel(const Tensor& a, const Tensor& b, const Tensor& out, F f) {
  using A = acc_t<In>;
  for_each<3>({&out, &a, &b}, [f](char** p, const int64_t* s, int64_t n) {
    Out* o = reinterpret_cast<Out*>(p[0]);
    const In* x = reinterpret_cast<const In*>(p[1]);
    const In* y = reinterpret_cast<const In*>(p[2]);
    constexpr int64_t so = sizeof(Out), si = sizeof(In);
    if (s[0] == so && s[1] == si && s[2] == si) {
      for (int64_t i = 0; i < n; ++i) o[i] = convert<Out>(f(convert<A>(x[i]), convert<A>(y[i])));
    } else if (s[0] == so && s[1] == si && s[2] == 0) {
      const A yv = convert<A>(*y);
      for (int64_t i = 0; i < n; ++i) o[i] = convert<Out>(f(convert<A>(x[i]), yv));
    } else if (s[0] == so && s[1] == 0 && s[2] == si) {
      const A xv = convert<A>(*x);
      for (int64_t i = 0; i < n; ++i) o[i] = convert<Out>(f(xv, convert<A>(y[i])));
    } else {
      for (int64_t i = 0; i < n; ++i) {
        *reinterpret_cast<Out*>(p[0] + i * s[0]) =
            convert<Out>(f(convert<A>(*reinterpret_cast<const In*>(p[1] + i * s[1])),
                           convert<A>(*reinterpret_cast<const In*>(p[2] + i * s[2]))));
      }
    }
  });
}

}  // namespace seek::cpu

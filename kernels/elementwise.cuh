#pragma once
// The loop body shared by the elementwise kernels (unary.cu, binary.cu, ternary.cu):
//   elementwise_loop(path, layout, f, out, in...)  runs out[i] = f(in[i]...)
// over the path the host chose (elementwise_path.cuh). f takes and returns storage
// types and does the casts itself, so every path of a kernel computes the same thing.
// Trick: the inputs are a parameter pack expanded alongside an index sequence, so one
// body serves one, two or three inputs, and a Vector-path input with stride 0 (a
// broadcast scalar) is loaded once and repeated instead of forcing the Linear path.
#include <utility>

#include "common.cuh"
#include "elementwise_path.cuh"

namespace seek::cuda {

template <typename T, int N>
struct alignas(sizeof(T) * N) Vec {
  T v[N];
};

template <typename... T>
constexpr size_t widest_bytes() {
  size_t w = 1;
  ((w = sizeof(T) > w ? sizeof(T) : w), ...);
  return w;
}

// Vector v of a dense operand, or its one value repeated (stride 0).
template <int N, typename T>
__device__ SEEK_INLINE Vec<T, N> load_vec(const T* p, int64_t stride, int64_t v) {
  if (stride != 0) return reinterpret_cast<const Vec<T, N>*>(p)[v];
  Vec<T, N> r;
  const T x = p[0];
  SEEK_UNROLL
  for (int k = 0; k < N; ++k) r.v[k] = x;
  return r;
}

template <int N, typename Out, typename F, typename... In>
__device__ SEEK_INLINE void apply_vec(Out* out, int64_t v, const F& f, const Vec<In, N>&... x) {
  Vec<Out, N> y;
  SEEK_UNROLL
  for (int k = 0; k < N; ++k) y.v[k] = f(x.v[k]...);
  reinterpret_cast<Vec<Out, N>*>(out)[v] = y;
}

template <typename Out, typename F, typename... In, size_t... I>
__device__ SEEK_INLINE void elementwise_loop_impl(std::index_sequence<I...>, ElementwisePath path,
                                                  const StridedLayout<sizeof...(In) + 1>& L, const F& f, Out* out,
                                                  const In*... in) {
  constexpr int N = vector_width(widest_bytes<Out, In...>());
  if (path == ElementwisePath::Vector) {
    const int64_t nvec = L.numel / N;
    SEEK_GRID_STRIDE_LOOP(v, nvec) { apply_vec<N>(out, v, f, load_vec<N>(in, L.strides[I + 1][0], v)...); }
    // The tail of numel % N elements, one per thread.
    const int64_t i = nvec * N + static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i < L.numel) out[i] = f(in[i * L.strides[I + 1][0]]...);
  } else if (path == ElementwisePath::Linear) {
    SEEK_GRID_STRIDE_LOOP(i, L.numel) { out[i * L.strides[0][0]] = f(in[i * L.strides[I + 1][0]]...); }
  } else {
    SEEK_GRID_STRIDE_LOOP(i, L.numel) {
      const auto off = L.offsets(i);
      out[off[0]] = f(in[off[I + 1]]...);
    }
  }
}

// out[i] = f(in[i]...) for every element of the layout (the output is operand 0).
template <typename Out, typename F, typename... In>
__device__ SEEK_INLINE void elementwise_loop(ElementwisePath path, const StridedLayout<sizeof...(In) + 1>& L,
                                             const F& f, Out* out, const In*... in) {
  elementwise_loop_impl(std::index_sequence_for<In...>{}, path, L, f, out, in...);
}

}  // namespace seek::cuda

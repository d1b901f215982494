// CPU index family: gather, scatter (assign / add / multiply / max / min), index_select, index_add.
//
// Trick (as in PyTorch's TensorIterator index kernels): each op is one strided
// loop over an *index-shaped* iteration space. The indexed operand is
// "restrided" to that shape with stride 0 along `dim`, so its pointer already
// sits on the right slice and the kernel only adds index * stride(dim).
// index_select / index_add are gather / scatter-add with the index broadcast
// (stride 0) over every dim but `dim`; a run with one index value (an
// index_select row, an embedding row) becomes a plain copy.
// Copies move bytes (dispatch on element size, 4 instantiations instead of 9);
// accumulation dispatches on the dtype and adds in acc_t.
//
// Scatter races when two index positions hit the same element. Such positions
// differ only along `dim`, so scatter loops run in parallel over the other dims
// and serially along `dim`; this also makes "last write wins" deterministic
// on the CPU for duplicate indices (the CUDA backend gives no such order).
//
// Index values are validated in a first pass before any element moves
// (no exception may leave an OpenMP region): gather / scatter accept
// [0, size), index_select / index_add also accept [-size, 0) (counted from the end).
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>

#include "backend/family_checks.h"
#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/cpu_loops.h"

namespace seek::cpu {

namespace {

using backend_detail::dispatch_bytes;
using backend_detail::dispatch_index;
using backend_detail::restride;

// Throws IndexError naming the first (row-major) value outside [lo, size).
template <typename I>
void check_range_t(const Tensor& index, int64_t dim, int64_t size, bool wrap) {
  const int64_t lo = wrap ? -size : 0;
  std::atomic<bool> bad{false};
  for_each<1>({&index}, [lo, size, &bad](char** p, const int64_t* s, int64_t n) {
    bool any = false;
    if (s[0] == static_cast<int64_t>(sizeof(I))) {
      const I* v = reinterpret_cast<const I*>(p[0]);
      for (int64_t i = 0; i < n; ++i) any |= (v[i] < lo) | (v[i] >= size);
    } else {
      for (int64_t i = 0; i < n; ++i) {
        const int64_t v = *reinterpret_cast<const I*>(p[0] + i * s[0]);
        any |= (v < lo) | (v >= size);
      }
    }
    if (any) bad.store(true, std::memory_order_relaxed);
  });
  if (!bad.load()) return;
  int64_t first = 0;
  bool found = false;
  auto find = [lo, size, &first, &found](char** p, const int64_t* s, int64_t n) {
    for (int64_t i = 0; i < n && !found; ++i) {
      const int64_t v = *reinterpret_cast<const I*>(p[0] + i * s[0]);
      if (v < lo || v >= size) {
        first = v;
        found = true;
      }
    }
  };
  StridedLayout<1>({&index}).run_range(0, index.numel(), find);
  throw IndexError(str("index ", first, " is out of bounds for dimension ", dim, " with size ", size));
}

void check_range(const Tensor& index, int64_t dim, int64_t size, bool wrap, const char* op) {
  dispatch_index(index.dtype(), op, [&]<typename I>() { check_range_t<I>(index, dim, size, wrap); });
}

// out[i] = src_r[i] at offset index[i] * dim_stride (bytes); all three index-shaped.
template <typename T, typename I, bool Wrap>
void gather_loop(const Tensor& out, const Tensor& src_r, const Tensor& idx_r, int64_t dim_stride, int64_t dim_size) {
  for_each<3>({&out, &src_r, &idx_r}, [dim_stride, dim_size](char** p, const int64_t* s, int64_t n) {
    auto offset = [dim_stride, dim_size](int64_t v) {
      if constexpr (Wrap) v += v < 0 ? dim_size : 0;
      return v * dim_stride;
    };
    constexpr int64_t st = sizeof(T), si = sizeof(I);
    if (s[2] == 0) {  // one index value for the whole run: a row copy
      const char* from = p[1] + offset(*reinterpret_cast<const I*>(p[2]));
      if (s[0] == st && s[1] == st) {
        std::memcpy(p[0], from, static_cast<size_t>(n) * sizeof(T));
      } else {
        for (int64_t i = 0; i < n; ++i)
          *reinterpret_cast<T*>(p[0] + i * s[0]) = *reinterpret_cast<const T*>(from + i * s[1]);
      }
    } else if (s[0] == st && s[1] == 0 && s[2] == si) {  // gather along the contiguous inner dim
      T* o = reinterpret_cast<T*>(p[0]);
      const I* ix = reinterpret_cast<const I*>(p[2]);
      for (int64_t i = 0; i < n; ++i) o[i] = *reinterpret_cast<const T*>(p[1] + offset(ix[i]));
    } else {
      for (int64_t i = 0; i < n; ++i) {
        const int64_t v = *reinterpret_cast<const I*>(p[2] + i * s[2]);
        *reinterpret_cast<T*>(p[0] + i * s[0]) = *reinterpret_cast<const T*>(p[1] + i * s[1] + offset(v));
      }
    }
  });
}

// Geometry of a scatter: the iteration space is the index shape without `dim`
// (out_r / src_r / idx_r restrided to it), and each element walks K steps along dim.
struct ScatterGeom {
  Tensor out_r, src_r, idx_r;
  int64_t K = 0;
  int64_t out_dim_stride = 0, src_dim_stride = 0, idx_dim_stride = 0;  // bytes
  int64_t dim_size = 0;
};

// For each slice, serially along dim: op(out + index * out_dim_stride, src).
template <typename T, typename I, bool Wrap, typename Op>
void scatter_loop(const ScatterGeom& g, Op op) {
  const int64_t K = g.K, os = g.out_dim_stride, ss = g.src_dim_stride, is = g.idx_dim_stride, n_dim = g.dim_size;
  const int64_t grain = std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(K, 1));
  for_each<3>(
      {&g.out_r, &g.src_r, &g.idx_r},
      [=](char** p, const int64_t* s, int64_t n) {
        for (int64_t k = 0; k < K; ++k) {
          const char* src = p[1] + k * ss;
          const char* idx = p[2] + k * is;
          for (int64_t i = 0; i < n; ++i) {
            int64_t v = *reinterpret_cast<const I*>(idx + i * s[2]);
            if constexpr (Wrap) v += v < 0 ? n_dim : 0;
            op(reinterpret_cast<T*>(p[0] + i * s[0] + v * os), *reinterpret_cast<const T*>(src + i * s[1]));
          }
        }
      },
      grain);
}

// iter: the index-shaped iteration space; idx_strides: the index's strides over it.
ScatterGeom scatter_geom(const Tensor& out, int64_t dim, const Shape& iter, const Tensor& index,
                         const std::vector<int64_t>& idx_strides, const Tensor& src) {
  ScatterGeom g;
  Shape slice = iter;
  slice[dim] = 1;
  g.K = iter[dim];
  g.dim_size = out.size(dim);
  g.out_dim_stride = out.stride(dim) * static_cast<int64_t>(out.element_size());
  g.src_dim_stride = src.stride(dim) * static_cast<int64_t>(src.element_size());
  g.idx_dim_stride = idx_strides[dim] * static_cast<int64_t>(index.element_size());
  g.out_r = restride(out, slice, out.strides());
  g.src_r = restride(src, slice, src.strides());
  g.idx_r = restride(index, slice, idx_strides);
  return g;
}

template <bool Wrap>
void scatter_dispatch(ScatterMode mode, const ScatterGeom& g, DType dt, DType index_dt, Scalar alpha, const char* op) {
  dispatch_index(index_dt, op, [&]<typename I>() {
    if (mode == ScatterMode::Assign) {
      dispatch_bytes(dtype_size(dt), [&]<typename T>() { scatter_loop<T, I, Wrap>(g, [](T* dst, T v) { *dst = v; }); });
      return;
    }
    SEEK_DISPATCH_NUMERIC(dt, op, [&] {
      using T = scalar_t;
      using A = acc_t<T>;
      switch (mode) {
        case ScatterMode::Multiply:
          scatter_loop<T, I, Wrap>(g, [](T* dst, T v) { *dst = convert<T>(convert<A>(*dst) * convert<A>(v)); });
          return;
        case ScatterMode::Max:
        case ScatterMode::Min: {
          // NaN wins (x != x), as in torch.maximum / torch.minimum.
          const bool is_max = mode == ScatterMode::Max;
          scatter_loop<T, I, Wrap>(g, [is_max](T* dst, T v) {
            const A d = convert<A>(*dst), x = convert<A>(v);
            if constexpr (std::is_floating_point_v<A>) {
              if (std::isnan(d)) return;
              if (std::isnan(x)) {
                *dst = v;
                return;
              }
            }
            if (is_max ? x > d : x < d) *dst = v;
          });
          return;
        }
        default: {
          const A a = alpha.is_floating() ? static_cast<A>(alpha.to_double()) : static_cast<A>(alpha.to_int());
          scatter_loop<T, I, Wrap>(g, [a](T* dst, T v) { *dst = convert<T>(convert<A>(*dst) + a * convert<A>(v)); });
        }
      }
    });
  });
}

}  // namespace

void CpuBackend::gather(const Tensor& in, int64_t dim, const Tensor& index, const Tensor& out) {
  check_range(index, dim, in.size(dim), false, "gather");
  std::vector<int64_t> st = in.strides();
  st[dim] = 0;
  Tensor src_r = restride(in, index.sizes(), st);
  const int64_t ds = in.stride(dim) * static_cast<int64_t>(in.element_size());
  dispatch_index(index.dtype(), "gather", [&]<typename I>() {
    dispatch_bytes(in.element_size(),
                   [&]<typename T>() { gather_loop<T, I, false>(out, src_r, index, ds, in.size(dim)); });
  });
}

void CpuBackend::index_select(const Tensor& in, int64_t dim, const Tensor& index, const Tensor& out) {
  check_range(index, dim, in.size(dim), true, "index_select");
  const Shape& shape = out.sizes();
  std::vector<int64_t> ist(shape.size(), 0);
  ist[dim] = index.stride(0);
  Tensor idx_r = restride(index, shape, ist);
  std::vector<int64_t> st = in.strides();
  st[dim] = 0;
  Tensor src_r = restride(in, shape, st);
  const int64_t ds = in.stride(dim) * static_cast<int64_t>(in.element_size());
  dispatch_index(index.dtype(), "index_select", [&]<typename I>() {
    dispatch_bytes(in.element_size(),
                   [&]<typename T>() { gather_loop<T, I, true>(out, src_r, idx_r, ds, in.size(dim)); });
  });
}

void CpuBackend::scatter(ScatterMode mode, const Tensor& out, int64_t dim, const Tensor& index, const Tensor& src,
                         Scalar value) {
  check_range(index, dim, out.size(dim), false, "scatter");
  Tensor source = src;
  if (!source.defined()) {  // scatter a value: a one-element source broadcast everywhere
    Tensor one = empty({1}, TensorOptions(out.dtype()));
    fill(one, value);
    source = restride(one, index.sizes(), std::vector<int64_t>(index.dim(), 0));
  }
  ScatterGeom g = scatter_geom(out, dim, index.sizes(), index, index.strides(), source);
  scatter_dispatch<false>(mode, g, out.dtype(), index.dtype(), 1, "scatter");
}

void CpuBackend::index_add(const Tensor& out, int64_t dim, const Tensor& index, const Tensor& source, Scalar alpha) {
  check_range(index, dim, out.size(dim), true, "index_add");
  std::vector<int64_t> ist(source.dim(), 0);
  ist[dim] = index.stride(0);
  ScatterGeom g = scatter_geom(out, dim, source.sizes(), index, ist, source);
  scatter_dispatch<true>(ScatterMode::Add, g, out.dtype(), index.dtype(), alpha, "index_add");
}

}  // namespace seek::cpu

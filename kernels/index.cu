// Index family on the GPU: gather, scatter (assign / add / multiply / max / min, from a
// tensor or a value), index_select and index_add, with the CPU backend's semantics
// (src/backend/cpu/cpu_index.cpp).
//
// Trick (as on the CPU): each op is one strided loop over an index-shaped iteration
// space; the indexed operand is "restrided" to that shape with stride 0 along `dim`, so
// its offset already sits on the right slice and the kernel only adds index * stride(dim).
// index_select / index_add are gather / scatter-add with the index broadcast (stride 0)
// over every dim but `dim`. Gathers run one thread per output element and move bytes
// (4 instantiations by element size, not one per dtype).
//
// Scatters race where index positions collide; such positions differ only along `dim`, so
// one thread owns each slice (the index shape with `dim` set to 1) and walks `dim`
// serially, in the CPU's order: no atomics, and the results (duplicate indices included)
// equal the CPU's bit for bit. Index values are validated first by a kernel that records
// the lowest row-major position of a bad value (atomicMin); the host reads it back (one
// sync) and throws IndexError naming the op and the value, before any element moves.
#include <climits>
#include <cstring>

#include "backend/family_checks.h"
#include "backend/cuda/cuda_backend.h"
#include "common.cuh"
#include "seek/core/convert.h"
#include "seek/core/dtype.h"
#include "seek/core/shape_util.h"

namespace seek::cuda {

namespace {

constexpr unsigned long long kNoBad = ULLONG_MAX;

// ---- kernels ----

// *first = min(*first, i) over the row-major positions i whose value lies outside [lo, size).
template <typename I>
__global__ void check_index_kernel(const I* idx, StridedLayout<1> L, int64_t lo, int64_t size,
                                   unsigned long long* first) {
  SEEK_GRID_STRIDE_LOOP(i, L.numel) {
    const int64_t v = static_cast<int64_t>(idx[L.contiguous ? i : L.offsets(i)[0]]);
    if (v < lo || v >= size) atomicMin(first, static_cast<unsigned long long>(i));
  }
}

// out[i] = src[i + index[i] * dim_stride] over {out, src_r, idx_r} (index-shaped); T moves bytes.
template <typename T, typename I>
__global__ void gather_kernel(T* out, const T* src, const I* idx, StridedLayout<3> L, int64_t dim_stride,
                              int64_t dim_size, bool wrap) {
  SEEK_GRID_STRIDE_LOOP(i, L.numel) {
    const Array<int64_t, 3> off = L.offsets(i);
    int64_t v = static_cast<int64_t>(idx[off[2]]);
    if (wrap && v < 0) v += dim_size;
    out[off[0]] = src[off[1] + v * dim_stride];
  }
}

// A scatter's geometry: {out_r, src_r, idx_r} over the slices, K steps along dim each
// (strides in elements).
struct ScatterGeom {
  StridedLayout<3> L;
  int64_t K, out_stride, src_stride, idx_stride, dim_size;
  bool wrap;
};

// Assign: *dst = v, moving bytes.
template <typename T, typename I>
__global__ void scatter_assign_kernel(T* out, const T* src, const I* idx, ScatterGeom g) {
  SEEK_GRID_STRIDE_LOOP(i, g.L.numel) {
    const Array<int64_t, 3> off = g.L.offsets(i);
    for (int64_t k = 0; k < g.K; ++k) {
      int64_t v = static_cast<int64_t>(idx[off[2] + k * g.idx_stride]);
      if (g.wrap && v < 0) v += g.dim_size;
      out[off[0] + v * g.out_stride] = src[off[1] + k * g.src_stride];
    }
  }
}

enum class Combine { Add, Multiply, Max, Min };

// The combining modes in acc_t<T>, as the CPU loop: NaN wins max/min (as torch.maximum).
template <typename T, typename I>
__global__ void scatter_combine_kernel(T* out, const T* src, const I* idx, ScatterGeom g, Combine mode,
                                       acc_t<T> alpha) {
  using A = acc_t<T>;
  SEEK_GRID_STRIDE_LOOP(i, g.L.numel) {
    const Array<int64_t, 3> off = g.L.offsets(i);
    for (int64_t k = 0; k < g.K; ++k) {
      int64_t v = static_cast<int64_t>(idx[off[2] + k * g.idx_stride]);
      if (g.wrap && v < 0) v += g.dim_size;
      T* dst = out + off[0] + v * g.out_stride;
      const T s = src[off[1] + k * g.src_stride];
      const A d = convert<A>(*dst), x = convert<A>(s);
      switch (mode) {
        case Combine::Add: *dst = convert<T>(d + alpha * x); break;
        case Combine::Multiply: *dst = convert<T>(d * x); break;
        default: {
          if (d != d) break;  // NaN already there stays
          if (x != x || (mode == Combine::Max ? x > d : x < d)) *dst = s;
        }
      }
    }
  }
}

// ---- host side ----

using backend_detail::dispatch_bytes;
using backend_detail::dispatch_index;
using backend_detail::restride;

void check_devices(const char* op, std::initializer_list<const Tensor*> ts) {
  const Device d = (*ts.begin())->device();
  for (const Tensor* t : ts) {
    if (!t->defined()) continue;
    SEEK_CHECK_T(DeviceError, t->is_cuda() && t->device() == d, op, ": expected tensors on one CUDA device, got ",
                 d.str(), " and ", t->device().str());
  }
}

// Throws IndexError naming `op` and the first (row-major) value of index outside
// [lo, size), lo = -size when `wrap` (counted from the end), else 0.
void check_range(const Tensor& index, int64_t dim, int64_t size, bool wrap, const char* op) {
  if (index.numel() == 0) return;
  Tensor first = empty({1}, TensorOptions(DType::Int64).device(index.device()));
  unsigned long long* pf = static_cast<unsigned long long*>(first.data_ptr());
  const unsigned long long none = kNoBad;
  SEEK_CUDA_CHECK(cudaMemcpyAsync(pf, &none, sizeof(none), cudaMemcpyHostToDevice, current_stream()));
  const StridedLayout<1> L = make_layout<1>({&index}, op);
  dispatch_index(index.dtype(), op, [&]<typename I>() {
    launch(check_index_kernel<I>, {grid_size(L.numel), kBlockThreads, 0, current_stream()},
           static_cast<const I*>(index.data_ptr()), L, wrap ? -size : 0, size, pf);
  });
  unsigned long long pos = kNoBad;
  SEEK_CUDA_CHECK(cudaMemcpyAsync(&pos, pf, sizeof(pos), cudaMemcpyDeviceToHost, current_stream()));
  SEEK_CUDA_CHECK(cudaStreamSynchronize(current_stream()));
  if (pos == kNoBad) return;
  // The offending value: the index's row-major element `pos`, read back to the host.
  const Tensor host = index.contiguous().cpu();
  int64_t value = 0;
  dispatch_index(index.dtype(), op,
                 [&]<typename I>() { value = static_cast<int64_t>(static_cast<const I*>(host.data_ptr())[pos]); });
  throw IndexError(str(op, ": index ", value, " is out of bounds for dimension ", dim, " with size ", size));
}

// out[i] = src_r[i] at offset index[i] * stride(dim), over out's (index-shaped) elements.
void launch_gather(const Tensor& out, const Tensor& src_r, const Tensor& idx_r, int64_t dim_stride, int64_t dim_size,
                   bool wrap, const char* op) {
  if (out.numel() == 0) return;
  const StridedLayout<3> L = make_layout<3>({&out, &src_r, &idx_r}, op);
  dispatch_index(idx_r.dtype(), op, [&]<typename I>() {
    dispatch_bytes(out.element_size(), [&]<typename T>() {
      launch(gather_kernel<T, I>, {grid_size(L.numel), kBlockThreads, 0, current_stream()},
             static_cast<T*>(out.data_ptr()), static_cast<const T*>(src_r.data_ptr()),
             static_cast<const I*>(idx_r.data_ptr()), L, dim_stride, dim_size, wrap);
    });
  });
}

// iter: the index-shaped iteration space; idx_strides: the index's strides over it.
void launch_scatter(ScatterMode mode, const Tensor& out, int64_t dim, const Shape& iter, const Tensor& index,
                    const std::vector<int64_t>& idx_strides, const Tensor& src, Scalar alpha, bool wrap,
                    const char* op) {
  if (shape_numel(iter) == 0) return;
  Shape slice = iter;
  slice[dim] = 1;
  const Tensor out_r = restride(out, slice, out.strides());
  const Tensor src_r = restride(src, slice, src.strides());
  const Tensor idx_r = restride(index, slice, idx_strides);
  ScatterGeom g{make_layout<3>({&out_r, &src_r, &idx_r}, op),
                iter[dim],
                out.stride(dim),
                src.stride(dim),
                idx_strides[dim],
                out.size(dim),
                wrap};
  const LaunchConfig cfg{grid_size(g.L.numel), kBlockThreads, 0, current_stream()};
  dispatch_index(index.dtype(), op, [&]<typename I>() {
    const I* pi = static_cast<const I*>(index.data_ptr());
    if (mode == ScatterMode::Assign) {
      dispatch_bytes(out.element_size(), [&]<typename T>() {
        launch(scatter_assign_kernel<T, I>, cfg, static_cast<T*>(out.data_ptr()), static_cast<const T*>(src.data_ptr()),
               pi, g);
      });
      return;
    }
    const Combine c = mode == ScatterMode::Add        ? Combine::Add
                      : mode == ScatterMode::Multiply ? Combine::Multiply
                      : mode == ScatterMode::Max      ? Combine::Max
                                                      : Combine::Min;
    SEEK_DISPATCH_NUMERIC(out.dtype(), op, [&] {
      using T = scalar_t;
      using A = acc_t<T>;
      const A a = alpha.is_floating() ? static_cast<A>(alpha.to_double()) : static_cast<A>(alpha.to_int());
      launch(scatter_combine_kernel<T, I>, cfg, static_cast<T*>(out.data_ptr()), static_cast<const T*>(src.data_ptr()),
             pi, g, c, a);
    });
  });
}

}  // namespace

// ---- CudaBackend index entries ----

const FamilyRegistrar index_family(BackendFamily::Index, [](DType) { return true; });

void CudaBackend::gather(const Tensor& in, int64_t dim, const Tensor& index, const Tensor& out) {
  check_devices("gather", {&out, &in, &index});
  DeviceGuard guard(out.device().index, "gather");
  check_range(index, dim, in.size(dim), false, "gather");
  std::vector<int64_t> st = in.strides();
  st[dim] = 0;
  const Tensor src_r = restride(in, index.sizes(), st);
  launch_gather(out, src_r, index, in.stride(dim), in.size(dim), false, "gather");
}

void CudaBackend::index_select(const Tensor& in, int64_t dim, const Tensor& index, const Tensor& out) {
  check_devices("index_select", {&out, &in, &index});
  DeviceGuard guard(out.device().index, "index_select");
  check_range(index, dim, in.size(dim), true, "index_select");
  const Shape& shape = out.sizes();
  std::vector<int64_t> ist(shape.size(), 0);
  ist[dim] = index.stride(0);
  const Tensor idx_r = restride(index, shape, ist);
  std::vector<int64_t> st = in.strides();
  st[dim] = 0;
  const Tensor src_r = restride(in, shape, st);
  launch_gather(out, src_r, idx_r, in.stride(dim), in.size(dim), true, "index_select");
}

void CudaBackend::scatter(ScatterMode mode, const Tensor& out, int64_t dim, const Tensor& index, const Tensor& src,
                          Scalar value) {
  check_devices("scatter", {&out, &index, &src});
  DeviceGuard guard(out.device().index, "scatter");
  check_range(index, dim, out.size(dim), false, "scatter");
  Tensor source = src;
  if (!source.defined()) {  // scatter a value: a one-element source broadcast everywhere
    Tensor one = empty({1}, TensorOptions(out.dtype()).device(out.device()));
    fill(one, value);
    source = restride(one, index.sizes(), std::vector<int64_t>(index.dim(), 0));
  }
  launch_scatter(mode, out, dim, index.sizes(), index, index.strides(), source, 1, false, "scatter");
}

void CudaBackend::index_add(const Tensor& out, int64_t dim, const Tensor& index, const Tensor& source, Scalar alpha) {
  check_devices("index_add", {&out, &index, &source});
  DeviceGuard guard(out.device().index, "index_add");
  check_range(index, dim, out.size(dim), true, "index_add");
  std::vector<int64_t> ist(source.dim(), 0);
  ist[dim] = index.stride(0);
  launch_scatter(ScatterMode::Add, out, dim, source.sizes(), index, ist, source, alpha, true, "index_add");
}

}  // namespace seek::cuda

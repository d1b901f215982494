// CPU sort family: sort and topk along one dim.
//
// The tensor is seen as rows: the 1-D lines along `dim` through every position
// of the other dims. Each row is copied into a buffer of (value in acc_t,
// index) pairs, ordered with std::sort / std::stable_sort (sort) or
// std::nth_element + std::sort of the first k (topk), and written back; the
// values are re-read from the input through the sorted indices so that they
// are bit-exact (NaN payloads, -0.0). Rows run in parallel with OpenMP, one
// buffer per thread. NaN orders above every number, as in PyTorch.
#include <algorithm>
#include <cmath>
#include <type_traits>
#include <utility>
#include <vector>

#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/cpu_loops.h"

namespace seek::cpu {

namespace {

// a < b with NaN greater than every number (a strict weak order).
template <typename A>
inline bool nan_last_less(A a, A b) {
  if constexpr (std::is_floating_point_v<A>) {
    return a < b || (std::isnan(b) && !std::isnan(a));
  } else {
    return a < b;
  }
}

// Element offsets of row r (the other dims unravelled from r) in `t`.
struct RowWalker {
  std::vector<int64_t> sizes;  // sizes of the dims other than `dim`, outermost first
  std::vector<int64_t> dims;

  RowWalker(const Shape& shape, int64_t dim) {
    for (int64_t d = 0; d < static_cast<int64_t>(shape.size()); ++d) {
      if (d == dim) continue;
      sizes.push_back(shape[d]);
      dims.push_back(d);
    }
  }
  int64_t offset(const Tensor& t, int64_t r) const {
    int64_t off = 0;
    for (int64_t k = static_cast<int64_t>(sizes.size()) - 1; k >= 0; --k) {
      off += (r % sizes[k]) * t.stride(dims[k]);
      r /= sizes[k];
    }
    return off;
  }
};

// Runs body(row, buffer) for every row, in parallel when the tensor is large.
template <typename Pair, typename Body>
void for_each_row(int64_t rows, int64_t row_len, int64_t numel, Body body) {
  const bool parallel = numel >= kParallelGrain && rows > 1 && omp_get_max_threads() > 1 && !omp_in_parallel();
#pragma omp parallel if (parallel)
  {
    std::vector<Pair> buf(static_cast<size_t>(row_len));
#pragma omp for schedule(static)
    for (int64_t r = 0; r < rows; ++r) body(r, buf);
  }
}

template <typename T>
void sort_kernel(const Tensor& in, int64_t dim, bool descending, bool stable, const Tensor& values,
                 const Tensor& indices) {
  using A = acc_t<T>;
  using Pair = std::pair<A, int64_t>;
  const int64_t n = in.size(dim);
  if (in.numel() == 0) return;
  const int64_t rows = in.numel() / n;
  const RowWalker walker(in.sizes(), dim);
  const T* ip = in.data_ptr<T>();
  T* vp = values.data_ptr<T>();
  int64_t* xp = indices.data_ptr<int64_t>();
  const int64_t is = in.stride(dim), vs = values.stride(dim), xs = indices.stride(dim);
  auto asc = [](const Pair& a, const Pair& b) { return nan_last_less(a.first, b.first); };
  auto desc = [](const Pair& a, const Pair& b) { return nan_last_less(b.first, a.first); };
  for_each_row<Pair>(rows, n, in.numel(), [&](int64_t r, std::vector<Pair>& buf) {
    const T* row = ip + walker.offset(in, r);
    for (int64_t j = 0; j < n; ++j) buf[j] = Pair(convert<A>(row[j * is]), j);
    if (stable) {
      if (descending)
        std::stable_sort(buf.begin(), buf.end(), desc);
      else
        std::stable_sort(buf.begin(), buf.end(), asc);
    } else {
      if (descending)
        std::sort(buf.begin(), buf.end(), desc);
      else
        std::sort(buf.begin(), buf.end(), asc);
    }
    T* vrow = vp + walker.offset(values, r);
    int64_t* xrow = xp + walker.offset(indices, r);
    for (int64_t j = 0; j < n; ++j) {
      vrow[j * vs] = row[buf[j].second * is];
      xrow[j * xs] = buf[j].second;
    }
  });
}

template <typename T>
void topk_kernel(const Tensor& in, int64_t k, int64_t dim, bool largest, bool sorted, const Tensor& values,
                 const Tensor& indices) {
  using A = acc_t<T>;
  using Pair = std::pair<A, int64_t>;
  const int64_t n = in.size(dim);
  if (in.numel() == 0 || k == 0) return;
  const int64_t rows = in.numel() / n;
  const RowWalker walker(in.sizes(), dim);
  const T* ip = in.data_ptr<T>();
  T* vp = values.data_ptr<T>();
  int64_t* xp = indices.data_ptr<int64_t>();
  const int64_t is = in.stride(dim), vs = values.stride(dim), xs = indices.stride(dim);
  // Ties go to the lower index, so the selection is deterministic and equals a stable sort's prefix.
  auto better = [largest](const Pair& a, const Pair& b) {
    if (largest ? nan_last_less(b.first, a.first) : nan_last_less(a.first, b.first)) return true;
    if (largest ? nan_last_less(a.first, b.first) : nan_last_less(b.first, a.first)) return false;
    return a.second < b.second;
  };
  for_each_row<Pair>(rows, n, in.numel(), [&](int64_t r, std::vector<Pair>& buf) {
    const T* row = ip + walker.offset(in, r);
    for (int64_t j = 0; j < n; ++j) buf[j] = Pair(convert<A>(row[j * is]), j);
    if (k < n) std::nth_element(buf.begin(), buf.begin() + k, buf.end(), better);
    if (sorted) std::sort(buf.begin(), buf.begin() + k, better);
    T* vrow = vp + walker.offset(values, r);
    int64_t* xrow = xp + walker.offset(indices, r);
    for (int64_t j = 0; j < k; ++j) {
      vrow[j * vs] = row[buf[j].second * is];
      xrow[j * xs] = buf[j].second;
    }
  });
}

void check_sort_args(const char* op, const Tensor& in, int64_t dim, const Tensor& values, const Tensor& indices) {
  SEEK_CHECK(in.is_cpu() && values.is_cpu() && indices.is_cpu(), op, ": the CPU backend needs host tensors");
  SEEK_CHECK_INDEX(dim >= 0 && dim < in.dim(), op, ": dim ", dim, " out of range for a ", in.dim(), "-dim tensor");
  SEEK_CHECK_DTYPE(values.dtype() == in.dtype() && indices.dtype() == kInt64, op,
                   ": values must have the input's dtype and indices int64");
}

}  // namespace

void CpuBackend::sort(const Tensor& in, int64_t dim, bool descending, bool stable, const Tensor& values,
                      const Tensor& indices) {
  check_sort_args("sort", in, dim, values, indices);
  SEEK_CHECK_SHAPE(values.sizes() == in.sizes() && indices.sizes() == in.sizes(),
                   "sort: values and indices must have the input's shape ", shape_str(in.sizes()));
  SEEK_DISPATCH_ALL(in.dtype(), "sort", [&] { sort_kernel<scalar_t>(in, dim, descending, stable, values, indices); });
}

void CpuBackend::topk(const Tensor& in, int64_t k, int64_t dim, bool largest, bool sorted, const Tensor& values,
                      const Tensor& indices) {
  check_sort_args("topk", in, dim, values, indices);
  SEEK_CHECK_INDEX(k >= 0 && k <= in.size(dim), "topk: selected index k out of range (k = ", k, ", size ", in.size(dim),
                   ")");
  Shape expect = in.sizes();
  expect[dim] = k;
  SEEK_CHECK_SHAPE(values.sizes() == expect && indices.sizes() == expect, "topk: values and indices must have shape ",
                   shape_str(expect));
  SEEK_DISPATCH_ALL(in.dtype(), "topk", [&] { topk_kernel<scalar_t>(in, k, dim, largest, sorted, values, indices); });
}

}  // namespace seek::cpu

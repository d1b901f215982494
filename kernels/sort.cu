// Sort family on the GPU (sort, topk along one dim): the kernel, its launcher, then CudaBackend::sort/topk.
// Trick: one block per row sorts (key, index) pairs in shared memory with a
// bitonic network over the row padded to a power of two. The comparison breaks
// ties by index, a total order, so the network's result is the stable sort
// whichever direction (sort's `stable` flag then costs nothing) and topk's
// prefix is the CPU's choice (ties to the lower index). NaN orders above every
// number, as on the CPU; pad slots order after everything. Values are re-read
// from the input through the sorted indices, so they are bit-exact (NaN
// payloads, -0.0). Keys are acc_t (float for f16/bf16). Rows longer than
// kMaxSortRow are merge-sorted in global memory on the device (sort_long_rows);
// topk of such rows still goes through a host copy.
#include <climits>

#include "backend/cuda/cuda_backend.h"
#include "backend/cuda/cuda_check.h"
#include "common.cuh"
#include "seek/core/convert.h"
#include "seek/core/dtype.h"

namespace seek::cuda {

namespace {

constexpr int64_t kMaxSortRow = 4096;  // 4096 * (8-byte key + 4-byte index) = 48 KiB of shared memory
constexpr unsigned kSortThreads = 256;

// a < b with NaN greater than every number (a != a only for NaN).
template <typename A>
SEEK_HOST_DEVICE SEEK_INLINE bool nan_last_less(A a, A b) {
  return a < b || (b != b && a == a);
}

// Whether slot (ka, ia) goes before slot (kb, ib) in the output; indices >= n are pads, last.
template <typename A>
__device__ SEEK_INLINE bool goes_before(A ka, int ia, A kb, int ib, int n, bool descending) {
  const bool pad_a = ia >= n, pad_b = ib >= n;
  if (pad_a != pad_b) return pad_b;
  if (descending ? nan_last_less(kb, ka) : nan_last_less(ka, kb)) return true;
  if (descending ? nan_last_less(ka, kb) : nan_last_less(kb, ka)) return false;
  return ia < ib;
}

// Bytes of the key array, rounded up so that the index array after it is aligned.
SEEK_HOST_DEVICE SEEK_INLINE size_t keys_bytes(int padded, size_t key_size) {
  return (static_cast<size_t>(padded) * key_size + 7) / 8 * 8;
}

// ---- kernel ----

// Block r sorts row r (n elements, padded to `padded`) and writes its first `k` slots.
template <typename T>
__global__ void sort_rows_kernel(const T* in, T* values, int64_t* indices, StridedLayout<3> rows, int64_t in_stride,
                                 int64_t values_stride, int64_t indices_stride, int n, int padded, int k,
                                 bool descending) {
  using A = acc_t<T>;
  unsigned char* smem = dynamic_shared_memory<unsigned char>();
  A* keys = reinterpret_cast<A*>(smem);
  int* idx = reinterpret_cast<int*>(smem + keys_bytes(padded, sizeof(A)));
  const Array<int64_t, 3> base = rows.offsets(blockIdx.x);
  const T* row = in + base[0];
  for (int j = threadIdx.x; j < padded; j += blockDim.x) {
    keys[j] = j < n ? convert<A>(row[j * in_stride]) : A(0);
    idx[j] = j;
  }
  __syncthreads();
  for (int size = 2; size <= padded; size <<= 1) {
    for (int stride = size >> 1; stride > 0; stride >>= 1) {
      for (int i = threadIdx.x; i < padded; i += blockDim.x) {
        const int partner = i ^ stride;
        if (partner > i) {
          const bool up = (i & size) == 0;  // this run ends in output order; the other reversed
          const bool swap = up ? goes_before(keys[partner], idx[partner], keys[i], idx[i], n, descending)
                               : goes_before(keys[i], idx[i], keys[partner], idx[partner], n, descending);
          if (swap) {
            const A tk = keys[i];
            keys[i] = keys[partner];
            keys[partner] = tk;
            const int ti = idx[i];
            idx[i] = idx[partner];
            idx[partner] = ti;
          }
        }
      }
      __syncthreads();
    }
  }
  T* vrow = values + base[1];
  int64_t* xrow = indices + base[2];
  for (int j = threadIdx.x; j < k; j += blockDim.x) {
    vrow[j * values_stride] = row[static_cast<int64_t>(idx[j]) * in_stride];
    xrow[j * indices_stride] = idx[j];
  }
}

// ---- rows longer than kMaxSortRow (sort only): a merge sort in global memory ----
// Runs of width 1, 2, 4, ... are merged pairwise; every element finds its output slot on its
// own: its index in its run plus how many elements of the partner run go before it (a binary
// search in that run, which is sorted). The order is the network's total order (ties by
// index), so the result is the same stable sort, on the device, with no host round trip.

template <typename T, typename A>
__global__ void merge_init_kernel(const T* src, int64_t total, int64_t n, A* keys, int* idx) {
  SEEK_GRID_STRIDE_LOOP(e, total) {
    keys[e] = convert<A>(src[e]);
    idx[e] = static_cast<int>(e % n);
  }
}

template <typename A>
__global__ void merge_pass_kernel(const A* keys, const int* idx, A* keys_out, int* idx_out, int64_t total, int64_t n,
                                  int64_t width, bool descending) {
  SEEK_GRID_STRIDE_LOOP(e, total) {
    const int64_t row = e / n, i = e % n, pair = i / (2 * width) * (2 * width);
    const int64_t mid = pair + width < n ? pair + width : n, end = pair + 2 * width < n ? pair + 2 * width : n;
    const bool in_a = i < mid;
    int64_t lo = in_a ? mid : pair, hi = in_a ? end : mid;  // the partner run
    const int64_t local = i - (in_a ? pair : mid);
    const A* rk = keys + row * n;
    const int* ri = idx + row * n;
    const A k = rk[i];
    const int x = ri[i];
    while (lo < hi) {  // first partner element that does not go before this one
      const int64_t m = (lo + hi) / 2;
      if (goes_before(rk[m], ri[m], k, x, INT_MAX, descending))
        lo = m + 1;
      else
        hi = m;
    }
    const int64_t dest = pair + local + (lo - (in_a ? mid : pair));
    keys_out[row * n + dest] = k;
    idx_out[row * n + dest] = x;
  }
}

template <typename T>
__global__ void merge_finish_kernel(const T* src, const int* idx, int64_t total, int64_t n, T* values,
                                    int64_t* indices) {
  SEEK_GRID_STRIDE_LOOP(e, total) {
    const int64_t row = e / n;
    values[e] = src[row * n + idx[e]];  // re-read: bit-exact values
    indices[e] = idx[e];
  }
}

// ---- launcher: queues the sort on `stream` and returns without waiting ----

// values/indices along `dim` = the first k of in's row along `dim` in output order (k = n for sort).
void sort_rows_forward(const Tensor& in, int64_t dim, int64_t k, bool descending, const Tensor& values,
                       const Tensor& indices, cudaStream_t stream) {
  const int64_t n = in.size(dim);
  int padded = 1;
  while (padded < n) padded <<= 1;
  // The row starts: each operand with `dim` dropped (same shape for all three).
  const Tensor in_rows = in.select(dim, 0), v_rows = values.select(dim, 0), x_rows = indices.select(dim, 0);
  const StridedLayout<3> rows = make_layout<3>({&in_rows, &v_rows, &x_rows}, "sort");
  SEEK_CHECK(rows.numel <= 0x7FFFFFFF, "sort: at most 2^31 - 1 rows on the GPU, got ", rows.numel);
  SEEK_DISPATCH_ALL(in.dtype(), "sort", [&] {
    using A = acc_t<scalar_t>;
    const size_t smem = keys_bytes(padded, sizeof(A)) + static_cast<size_t>(padded) * sizeof(int);
    const unsigned threads = static_cast<unsigned>(std::min<int64_t>(kSortThreads, std::max(32, padded / 2)));
    launch(sort_rows_kernel<scalar_t>, {static_cast<unsigned>(rows.numel), threads, smem, stream},
           static_cast<const scalar_t*>(in.data_ptr()), static_cast<scalar_t*>(values.data_ptr()),
           static_cast<int64_t*>(indices.data_ptr()), rows, in.stride(dim), values.stride(dim), indices.stride(dim),
           static_cast<int>(n), padded, static_cast<int>(k), descending);
  });
}

// Sorts rows longer than kMaxSortRow on the device: `dim` moved last and made contiguous, merge
// passes over ping-pong key/index buffers, then the results copied into values / indices.
void sort_long_rows(const Tensor& in, int64_t dim, bool descending, const Tensor& values, const Tensor& indices,
                    cudaStream_t stream) {
  const Tensor src = in.transpose(dim, -1).contiguous();
  const int64_t n = in.size(dim), total = src.numel();
  SEEK_CHECK(n <= 0x7FFFFFFF, "sort: rows of at most 2^31 - 1 elements on the GPU, got ", n);
  const TensorOptions on = TensorOptions().device(in.device());
  Tensor vals = empty(src.sizes(), on.dtype(in.dtype())), idx64 = empty(src.sizes(), on.dtype(kInt64));
  Tensor idx[2] = {empty({total}, on.dtype(kInt32)), empty({total}, on.dtype(kInt32))};
  const unsigned grid = grid_size(total);
  SEEK_DISPATCH_ALL(in.dtype(), "sort", [&] {
    using A = acc_t<scalar_t>;
    const DType key_dt = sizeof(A) == 8 ? kInt64 : kInt32;  // raw storage for the keys
    Tensor keys[2] = {empty({total}, on.dtype(key_dt)), empty({total}, on.dtype(key_dt))};
    auto kp = [&](int b) { return static_cast<A*>(keys[b].data_ptr()); };
    auto ip = [&](int b) { return idx[b].data_ptr<int>(); };
    const auto* sp = static_cast<const scalar_t*>(src.data_ptr());
    launch(merge_init_kernel<scalar_t, A>, {grid, kBlockThreads, 0, stream}, sp, total, n, kp(0), ip(0));
    int cur = 0;
    for (int64_t width = 1; width < n; width *= 2, cur ^= 1)
      launch(merge_pass_kernel<A>, {grid, kBlockThreads, 0, stream}, kp(cur), ip(cur), kp(cur ^ 1), ip(cur ^ 1), total,
             n, width, descending);
    launch(merge_finish_kernel<scalar_t>, {grid, kBlockThreads, 0, stream}, sp, ip(cur), total, n,
           static_cast<scalar_t*>(vals.data_ptr()), idx64.data_ptr<int64_t>());
  });
  cuda_backend()->copy(vals, values.transpose(dim, -1));
  cuda_backend()->copy(idx64, indices.transpose(dim, -1));
}

// A long row: sort (or topk) on the host and copy the results back.
template <typename HostOp>
void via_host(const Tensor& values, const Tensor& indices, HostOp host_op) {
  Tensor hv = empty(values.sizes(), TensorOptions(values.dtype()));
  Tensor hx = empty(indices.sizes(), TensorOptions(kInt64));
  host_op(hv, hx);
  cuda_backend()->copy(hv, values);
  cuda_backend()->copy(hx, indices);
}

void check_sort_args(const char* op, const Tensor& in, int64_t dim, const Tensor& values, const Tensor& indices) {
  SEEK_CHECK_T(DeviceError, in.is_cuda() && values.device() == in.device() && indices.device() == in.device(), op,
               ": the CUDA backend needs the input, values and indices on one GPU, got ", in.device().str(), ", ",
               values.device().str(), ", ", indices.device().str());
  SEEK_CHECK_INDEX(dim >= 0 && dim < in.dim(), op, ": dim ", dim, " out of range for a ", in.dim(), "-dim tensor");
  SEEK_CHECK_DTYPE(values.dtype() == in.dtype() && indices.dtype() == kInt64, op,
                   ": values must have the input's dtype and indices int64");
}

}  // namespace

// ---- CudaBackend::sort / topk ----

const FamilyRegistrar sort_family(BackendFamily::Sort, [](DType) { return true; });

void CudaBackend::sort(const Tensor& in, int64_t dim, bool descending, bool stable, const Tensor& values,
                       const Tensor& indices) {
  (void)stable;  // the network is always stable
  check_sort_args("sort", in, dim, values, indices);
  SEEK_CHECK_SHAPE(values.sizes() == in.sizes() && indices.sizes() == in.sizes(),
                   "sort: values and indices must have the input's shape ", shape_str(in.sizes()));
  if (in.numel() == 0) return;
  DeviceGuard guard(in.device().index, "sort");
  if (in.size(dim) > kMaxSortRow) return sort_long_rows(in, dim, descending, values, indices, current_stream());
  sort_rows_forward(in, dim, in.size(dim), descending, values, indices, current_stream());
}

void CudaBackend::topk(const Tensor& in, int64_t k, int64_t dim, bool largest, bool sorted, const Tensor& values,
                       const Tensor& indices) {
  (void)sorted;  // always sorted, a valid order for sorted = false too
  check_sort_args("topk", in, dim, values, indices);
  SEEK_CHECK_INDEX(k >= 0 && k <= in.size(dim), "topk: selected index k out of range (k = ", k, ", size ", in.size(dim),
                   ")");
  Shape expect = in.sizes();
  expect[dim] = k;
  SEEK_CHECK_SHAPE(values.sizes() == expect && indices.sizes() == expect, "topk: values and indices must have shape ",
                   shape_str(expect));
  if (in.numel() == 0 || k == 0) return;
  DeviceGuard guard(in.device().index, "topk");
  if (in.size(dim) > kMaxSortRow) {
    const Tensor host_in = in.cpu();
    via_host(values, indices, [&](const Tensor& hv, const Tensor& hx) {
      backend(kCPU).topk(host_in, k, dim, largest, /*sorted=*/true, hv, hx);
    });
    return;
  }
  sort_rows_forward(in, dim, k, largest, values, indices, current_stream());
}

}  // namespace seek::cuda

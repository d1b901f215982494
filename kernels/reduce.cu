// Reduction families on the GPU (reduce for every ReduceOp row, arg_reduce, cumsum): the
// kernels, their launchers, then CudaBackend::reduce / arg_reduce / cumsum. The scalar
// reducers of seek/backend/reduce_op.h do the math, as in the CPU loops.
//
// Trick: one kernel per (reducer, storage type) serves every layout. The host sorts the
// input's dims by stride and merges them (as the CPU engine does) into kept dims (one per
// output) and reduced dims, then picks at run time, uniformly per launch:
//  - inner (the innermost dim is reduced): blockDim.x lanes walk each output's run,
//    adjacent lanes on adjacent elements, combined by warp shuffles (+ shared memory
//    across warps); blockDim.y outputs per block.
//  - outer (the innermost dim is kept): blockDim.x adjacent outputs, so loads coalesce
//    across threads; blockDim.y lanes split the reduced range, combined by a
//    shared-memory tree.
// When there are too few outputs to fill the GPU and the runs are long, gridDim.y blocks
// split each run; each writes its partial state to a scratch buffer and a second kernel
// combines the partials of each output in order. No atomics: for a fixed shape the launch
// configuration and every combine order are fixed, so results are bitwise repeatable.
// Arg-reductions combine ties by the lower index (lanes interleave indices).
// cumsum scans each line with one warp (contiguous lines; few long ones are split into
// chunks scanned by blocks of their own) or one thread (strided lines).
#include <algorithm>
#include <cstdint>
#include <vector>

#include "backend/family_checks.h"
#include "backend/cuda/cuda_backend.h"
#include "block_reduce.cuh"
#include "reduce_plan.cuh"
#include "seek/backend/reduce_op.h"
#include "seek/core/convert.h"
#include "seek/core/dtype.h"

namespace seek::cuda {

namespace {
using backend_detail::check_keepdim_out;

using namespace reducers;

// ---- reducer adapters ----

template <typename R>
constexpr bool indexed_v = requires(const R& r, typename R::acc_t a, typename R::in_t x) {
  r.step(a, x, int64_t{});
};

// r.combine, except that arg-reductions break ties by the lower index: lanes interleave
// indices, so the left operand need not hold the earlier one.
template <typename R>
struct Combine {
  R r;
  using A = typename R::acc_t;
  __device__ SEEK_INLINE A operator()(const A& a, const A& b) const {
    if constexpr (indexed_v<R>) {
      if (b.index < 0) return a;
      if (a.index < 0) return b;
      if (R::better(b.value, a.value)) return b;
      if (R::better(a.value, b.value)) return a;
      return b.index < a.index ? b : a;
    } else {
      return r.combine(a, b);
    }
  }
};

// Writes output `off` (and its index for arg-reductions).
template <typename R, typename O>
__device__ SEEK_INLINE void store_result(const R& r, const typename R::acc_t& a, O* out, int64_t* out_index,
                                         int64_t off) {
  if constexpr (indexed_v<R>) {
    out[off] = convert<O>(a.value);
    out_index[off] = a.index < 0 ? 0 : a.index;
  } else {
    out[off] = convert<O>(r.finalize(a));
  }
}

// ---- kernels ----

// One pass: each block folds `p.outs` outputs (looping over groups), split p.chunk of the
// run (blockIdx.y); with one split it stores results, else partial states [split][M].
template <typename R, typename S, typename O>
__global__ void reduce_kernel(R r, const S* in, O* out, int64_t* out_index, typename R::acc_t* partial,
                              ReduceGeometry g, ReducePlan p) {
  using A = typename R::acc_t;
  using X = typename R::in_t;
  A* smem = dynamic_shared_memory<A>();
  const Combine<R> combine{r};
  const unsigned lane = p.inner ? threadIdx.x : threadIdx.y;
  const unsigned slot = p.inner ? threadIdx.y : threadIdx.x;
  const int64_t split = blockIdx.y;
  const int64_t begin = split * p.chunk;
  const int64_t end = begin + p.chunk < g.N ? begin + p.chunk : g.N;
  for (int64_t grp = blockIdx.x; grp < p.groups; grp += gridDim.x) {  // uniform across the block
    const int64_t m = grp * p.outs + slot;
    A a = r.identity();
    int64_t in_off = 0, out_off = 0;
    if (m < g.M) {
      g.kept_offsets(m, in_off, out_off);
      const S* base = in + in_off;
      for (int64_t i = begin + lane; i < end; i += p.lanes) {
        const X x = convert<X>(base[g.reduced_offset(i)]);
        if constexpr (indexed_v<R>)
          a = r.step(a, x, i);
        else
          a = r.step(a, x);
      }
    }
    a = p.inner ? row_reduce(a, combine, r.identity(), smem, false) : column_reduce(a, combine, smem);
    if (lane == 0 && m < g.M) {
      if (p.splits == 1)
        store_result(r, a, out, out_index, out_off);
      else
        partial[split * g.M + m] = a;
    }
  }
}

// The grid-level second pass: output m combines its splits' partial states in split order.
template <typename R, typename O>
__global__ void combine_partials_kernel(R r, const typename R::acc_t* partial, O* out, int64_t* out_index,
                                        ReduceGeometry g, int64_t splits) {
  using A = typename R::acc_t;
  const Combine<R> combine{r};
  SEEK_GRID_STRIDE_LOOP(m, g.M) {
    A a = partial[m];
    for (int64_t s = 1; s < splits; ++s) a = combine(a, partial[s * g.M + m]);
    int64_t in_off, out_off;
    g.kept_offsets(m, in_off, out_off);
    store_result(r, a, out, out_index, out_off);
  }
}

// Inclusive scan of x over the warp's lanes (every lane calls it).
template <typename A>
__device__ SEEK_INLINE A warp_inclusive_scan(A x, int lane) {
  for (int off = 1; off < kWarpSize; off *= 2) {
    const A y = shuffle<Shuffle::Up>(x, off);
    if (lane >= off) x += y;
  }
  return x;
}

// Inclusive scan of each line (a kept position) along the scanned dim, in the CPU's
// accumulator type A. inner: one warp per line, 32 elements per step (shuffle scan plus
// the running carry); outer: one thread per line, adjacent threads on adjacent lines.
template <typename S, typename O, typename A>
__global__ void cumsum_kernel(const S* in, O* out, ReduceGeometry g, bool inner) {
  const int64_t n = g.N;
  if (!inner) {
    SEEK_GRID_STRIDE_LOOP(m, g.M) {
      int64_t in_off, out_off;
      g.kept_offsets(m, in_off, out_off);
      A a = 0;
      for (int64_t i = 0; i < n; ++i) {
        a += convert<A>(in[in_off + g.reduced_offset(i)]);
        out[out_off + g.reduced_out_offset(i)] = convert<O>(a);
      }
    }
    return;
  }
  const int lane = static_cast<int>(threadIdx.x);
  for (int64_t m = static_cast<int64_t>(blockIdx.x) * blockDim.y + threadIdx.y; m < g.M;
       m += static_cast<int64_t>(gridDim.x) * blockDim.y) {  // uniform across the warp
    int64_t in_off, out_off;
    g.kept_offsets(m, in_off, out_off);
    A carry = 0;
    for (int64_t c = 0; c < n; c += kWarpSize) {
      const int64_t i = c + lane;
      A x = warp_inclusive_scan(i < n ? convert<A>(in[in_off + g.reduced_offset(i)]) : A(0), lane);
      x += carry;
      if (i < n) out[out_off + g.reduced_out_offset(i)] = convert<O>(x);
      carry = shuffle<Shuffle::Index>(x, kWarpSize - 1);
    }
  }
}

// Few long lines (inner layout): blockIdx.y is the line, blockIdx.x a chunk of it. Pass 1
// sums each chunk, pass 2 turns each line's chunk sums into exclusive offsets (in chunk
// order), pass 3 rescans each chunk from its offset. Deterministic: no atomics.
template <typename A>
struct Plus {
  __device__ SEEK_INLINE A operator()(A a, A b) const { return a + b; }
};

template <typename S, typename A>
__global__ void cumsum_chunk_sums_kernel(const S* in, A* sums, ReduceGeometry g, int64_t chunk) {
  A* smem = dynamic_shared_memory<A>();
  int64_t in_off, out_off;
  g.kept_offsets(blockIdx.y, in_off, out_off);
  const int64_t begin = static_cast<int64_t>(blockIdx.x) * chunk;
  const int64_t end = begin + chunk < g.N ? begin + chunk : g.N;
  A a = 0;
  for (int64_t i = begin + threadIdx.x; i < end; i += blockDim.x) a += convert<A>(in[in_off + g.reduced_offset(i)]);
  a = row_reduce(a, Plus<A>{}, A(0), smem, false);
  if (threadIdx.x == 0) sums[static_cast<int64_t>(blockIdx.y) * gridDim.x + blockIdx.x] = a;
}

template <typename A>
__global__ void cumsum_chunk_offsets_kernel(A* sums, int64_t lines, int64_t chunks) {
  SEEK_GRID_STRIDE_LOOP(line, lines) {
    A carry = 0;
    for (int64_t c = 0; c < chunks; ++c) {
      const A s = sums[line * chunks + c];
      sums[line * chunks + c] = carry;
      carry += s;
    }
  }
}

template <typename S, typename O, typename A>
__global__ void cumsum_chunk_scan_kernel(const S* in, O* out, const A* offsets, ReduceGeometry g, int64_t chunk) {
  A* warp_totals = dynamic_shared_memory<A>();  // one per warp
  int64_t in_off, out_off;
  g.kept_offsets(blockIdx.y, in_off, out_off);
  const int64_t begin = static_cast<int64_t>(blockIdx.x) * chunk;
  const int64_t end = begin + chunk < g.N ? begin + chunk : g.N;
  const int tx = static_cast<int>(threadIdx.x), lane = tx % kWarpSize, warp = tx / kWarpSize;
  const int warps = static_cast<int>(blockDim.x) / kWarpSize;
  A carry = offsets[static_cast<int64_t>(blockIdx.y) * gridDim.x + blockIdx.x];
  for (int64_t base = begin; base < end; base += blockDim.x) {  // uniform across the block
    const int64_t i = base + tx;
    A x = warp_inclusive_scan(i < end ? convert<A>(in[in_off + g.reduced_offset(i)]) : A(0), lane);
    if (lane == kWarpSize - 1) warp_totals[warp] = x;
    __syncthreads();
    if (warp == 0) {
      const A t = warp_inclusive_scan(lane < warps ? warp_totals[lane] : A(0), lane);
      if (lane < warps) warp_totals[lane] = t;
    }
    __syncthreads();
    if (warp > 0) x += warp_totals[warp - 1];
    if (i < end) out[out_off + g.reduced_out_offset(i)] = convert<O>(x + carry);
    carry += warp_totals[warps - 1];
    __syncthreads();  // every thread has read the totals before the next piece writes them
  }
}

// ---- launchers: queue work on `stream` and return without waiting ----

// out (keepdim shape) = r over `dims` of in; out_index too for arg-reductions (same strides as out).
template <typename R, typename S, typename O>
void reduce_forward(const R& r, const Tensor& in, const std::vector<int64_t>& dims, const Tensor& out,
                    int64_t* out_index, const char* op, cudaStream_t stream) {
  using A = typename R::acc_t;
  const ReduceGeometry g = make_reduce_geometry(in, dims, out, false, op);
  if (g.M == 0) return;
  const ReducePlan p = plan_reduction(g);
  const dim3 block = p.inner ? dim3(p.lanes, p.outs) : dim3(p.outs, p.lanes);
  const size_t smem = static_cast<size_t>(p.lanes) * p.outs * sizeof(A);
  const S* ip = static_cast<const S*>(in.data_ptr());
  O* op_ptr = static_cast<O*>(out.data_ptr());
  if (p.splits == 1) {
    launch(reduce_kernel<R, S, O>, {dim3(p.grid_x, 1), block, smem, stream}, r, ip, op_ptr, out_index,
           static_cast<A*>(nullptr), g, p);
    return;
  }
  // Scratch for the partial states, from the caching allocator; freed (stream-ordered) on return.
  Tensor scratch = empty({static_cast<int64_t>(p.splits * g.M * sizeof(A))}, TensorOptions(kUInt8).device(in.device()));
  A* partial = static_cast<A*>(scratch.data_ptr());
  launch(reduce_kernel<R, S, O>, {dim3(p.grid_x, static_cast<unsigned>(p.splits)), block, smem, stream}, r, ip, op_ptr,
         out_index, partial, g, p);
  launch(combine_partials_kernel<R, O>, {grid_size(g.M), kBlockThreads, 0, stream}, r, static_cast<const A*>(partial),
         op_ptr, out_index, g, p.splits);
}

// Reducer r over `dims` of in into out (O the output's element type).
template <typename O, typename S, typename R>
void reduce_into(const R& r, const Tensor& in, const std::vector<int64_t>& dims, const Tensor& out, const char* op,
                 cudaStream_t stream) {
  reduce_forward<R, S, O>(r, in, dims, out, nullptr, op, stream);
}

// The reducer of row `op` for storage type S, with the CPU backend's dtype rules: Sum/Prod of
// integers and bool write int64, All/Any bool, the rest in's dtype; Floating rows need floats.
template <ReduceOp op, typename S>
void reduce_row(const Tensor& in, const std::vector<int64_t>& dims, const Tensor& out, const ReduceParams& p, double n,
                cudaStream_t stream) {
  constexpr ReduceKind kind = reduce_op_kind(op);
  const char* name = reduce_op_name(op);
  auto expect = [&](DType want) {
    SEEK_CHECK_DTYPE(out.dtype() == want, name, ": the output must be ", want, " for ", in.dtype(), " input, got ",
                     out.dtype());
  };
  if constexpr (kind == ReduceKind::Sum) {
    using O = std::conditional_t<std::is_integral_v<S>, int64_t, S>;
    expect(std::is_integral_v<S> ? kInt64 : in.dtype());
    if constexpr (op == ReduceOp::Sum)
      reduce_into<O, S>(Sum<S>{}, in, dims, out, name, stream);
    else
      reduce_into<O, S>(Prod<S>{}, in, dims, out, name, stream);
  } else if constexpr (kind == ReduceKind::Compare) {
    expect(in.dtype());
    if constexpr (op == ReduceOp::Max)
      reduce_into<S, S>(Max<S>{}, in, dims, out, name, stream);
    else
      reduce_into<S, S>(Min<S>{}, in, dims, out, name, stream);
  } else if constexpr (kind == ReduceKind::Bool) {
    expect(kBool);
    if constexpr (op == ReduceOp::All)
      reduce_into<bool, S>(All<S>{}, in, dims, out, name, stream);
    else
      reduce_into<bool, S>(Any<S>{}, in, dims, out, name, stream);
  } else if constexpr (std::is_floating_point_v<S> || is_reduced_float_v<S>) {
    expect(in.dtype());
    if constexpr (op == ReduceOp::Mean) {
      reduce_into<S, S>(Mean<S>(1.0 / n), in, dims, out, name, stream);
    } else if constexpr (op == ReduceOp::SumSquares) {
      reduce_into<S, S>(SumSquares<S>(false), in, dims, out, name, stream);
    } else if constexpr (op == ReduceOp::SumAbsPow) {
      reduce_into<S, S>(SumAbsPow<S>(p.p, false), in, dims, out, name, stream);
    } else if constexpr (op == ReduceOp::MaxAbs) {
      reduce_into<S, S>(MaxAbs<S>{}, in, dims, out, name, stream);
    } else if constexpr (op == ReduceOp::Norm) {
      if (std::isinf(p.p))
        reduce_into<S, S>(MaxAbs<S>{}, in, dims, out, name, stream);
      else if (p.p == 1.0)
        reduce_into<S, S>(SumAbs<S>{}, in, dims, out, name, stream);
      else if (p.p == 2.0)
        reduce_into<S, S>(SumSquares<S>(true), in, dims, out, name, stream);
      else
        reduce_into<S, S>(SumAbsPow<S>(p.p, true), in, dims, out, name, stream);
    } else if constexpr (op == ReduceOp::Var || op == ReduceOp::Std) {
      reduce_into<S, S>(Var<S>(p.correction, op == ReduceOp::Std), in, dims, out, name, stream);
    } else {
      static_assert(op == ReduceOp::LogSumExp, "a Floating row of SEEK_REDUCE_OPS without its reducer here");
      reduce_into<S, S>(LogSumExp<S>{}, in, dims, out, name, stream);
    }
  } else {
    throw DTypeError(str(name, ": not supported for dtype ", in.dtype()));
  }
}

// Lines at least kLongScan long, when there are few of them, are split into chunks of
// kScanChunk elements scanned by blocks of their own (the three chunk kernels).
constexpr int64_t kLongScan = 8192;
constexpr int64_t kScanChunk = 2048;

// out = inclusive prefix sums of in along the scanned dim of g.
template <typename S, typename O>
void cumsum_forward(const Tensor& in, int64_t dim, const Tensor& out, cudaStream_t stream) {
  const ReduceGeometry g = make_reduce_geometry(in, {dim}, out, true, "cumsum");
  if (g.M == 0 || g.N == 0) return;
  const S* ip = static_cast<const S*>(in.data_ptr());
  O* op = static_cast<O*>(out.data_ptr());
  using A = sum_acc_t<S>;
  if (g.inner() && g.N >= kLongScan && g.M < kTargetBlocks) {
    const int64_t chunks = (g.N + kScanChunk - 1) / kScanChunk;
    Tensor scratch = empty({static_cast<int64_t>(g.M * chunks * sizeof(A))}, TensorOptions(kUInt8).device(in.device()));
    A* sums = static_cast<A*>(scratch.data_ptr());
    const dim3 grid(static_cast<unsigned>(chunks), static_cast<unsigned>(g.M));
    const size_t smem = kBlockThreads / kWarpSize * sizeof(A);
    launch(cumsum_chunk_sums_kernel<S, A>, {grid, kBlockThreads, smem, stream}, ip, sums, g, kScanChunk);
    launch(cumsum_chunk_offsets_kernel<A>, {grid_size(g.M), kBlockThreads, 0, stream}, sums, g.M, chunks);
    launch(cumsum_chunk_scan_kernel<S, O, A>, {grid, kBlockThreads, smem, stream}, ip, op, static_cast<const A*>(sums),
           g, kScanChunk);
    return;
  }
  if (g.inner()) {
    constexpr unsigned kLinesPerBlock = kBlockThreads / kWarpSize;
    const int64_t blocks = std::min<int64_t>((g.M + kLinesPerBlock - 1) / kLinesPerBlock, kMaxGridX);
    launch(cumsum_kernel<S, O, A>, {static_cast<unsigned>(blocks), dim3(kWarpSize, kLinesPerBlock), 0, stream}, ip, op,
           g, true);
  } else {
    launch(cumsum_kernel<S, O, A>, {grid_size(g.M), kBlockThreads, 0, stream}, ip, op, g, false);
  }
}

// ---- argument checks (as the CPU backend's) ----

void check_cuda_operands(const char* op, std::initializer_list<const Tensor*> ts) {
  const Tensor& first = **ts.begin();
  for (const Tensor* t : ts)
    SEEK_CHECK_T(DeviceError, t->is_cuda() && t->device() == first.device(), op,
                 ": the CUDA backend needs every operand on one GPU, got one on ", t->device().str());
}

}  // namespace

// ---- CudaBackend::reduce / arg_reduce / cumsum ----

const FamilyRegistrar reduce_family(BackendFamily::Reduce, [](DType) { return true; });
const FamilyRegistrar arg_reduce_family(BackendFamily::ArgReduce, [](DType) { return true; });
const FamilyRegistrar cumsum_family(BackendFamily::Cumsum, [](DType) { return true; });

void CudaBackend::reduce(ReduceOp op, const Tensor& in, const std::vector<int64_t>& dims, const Tensor& out,
                         const ReduceParams& p) {
  const char* name = reduce_op_name(op);
  check_cuda_operands(name, {&in, &out});
  check_keepdim_out(name, in, dims, out);
  double n = 1;
  for (int64_t d : dims) n *= static_cast<double>(in.size(d));
  DeviceGuard guard(in.device().index, name);
  auto typed = [&](auto tag_s) {
    using S = typename decltype(tag_s)::type;
    dispatch_reduce(op, [&](auto tag) { reduce_row<decltype(tag)::value, S>(in, dims, out, p, n, current_stream()); });
  };
  if (reduce_op_kind(op) == ReduceKind::Floating) {
    SEEK_DISPATCH_FLOATING(in.dtype(), name, [&] { typed(std::type_identity<scalar_t>{}); });
  } else {
    SEEK_DISPATCH_ALL(in.dtype(), name, [&] { typed(std::type_identity<scalar_t>{}); });
  }
}

void CudaBackend::arg_reduce(bool is_max, const Tensor& in, int64_t dim, const Tensor& values, const Tensor& indices) {
  const char* name = is_max ? "argmax" : "argmin";
  check_cuda_operands(name, {&in, &values, &indices});
  const std::vector<int64_t> dims = backend_detail::check_arg_reduce_operands(name, in, dim, values, indices);
  // Both outputs are written through one offset, so they need equal strides.
  if (values.strides() != indices.strides()) {
    const TensorOptions on_device = TensorOptions(values.dtype()).device(values.device());
    Tensor v = empty(values.sizes(), on_device),
           i = empty(indices.sizes(), TensorOptions(kInt64).device(values.device()));
    arg_reduce(is_max, in, dim, v, i);
    copy(v, values);
    copy(i, indices);
    return;
  }
  DeviceGuard guard(in.device().index, name);
  int64_t* ip = static_cast<int64_t*>(indices.data_ptr());
  SEEK_DISPATCH_ALL(in.dtype(), name, [&] {
    using S = scalar_t;
    if (is_max)
      reduce_forward<ArgReduce<S, true>, S, S>({}, in, dims, values, ip, name, current_stream());
    else
      reduce_forward<ArgReduce<S, false>, S, S>({}, in, dims, values, ip, name, current_stream());
  });
}

void CudaBackend::cumsum(const Tensor& in, int64_t dim, const Tensor& out) {
  check_cuda_operands("cumsum", {&in, &out});
  SEEK_CHECK_SHAPE(in.sizes() == out.sizes(), "cumsum: output shape ", shape_str(out.sizes()),
                   " differs from the input shape ", shape_str(in.sizes()));
  if (in.dim() == 0) {
    copy(in, out);
    return;
  }
  SEEK_CHECK_INDEX(dim >= 0 && dim < in.dim(), "cumsum: dim ", dim, " out of range for a ", in.dim(), "-d input");
  DeviceGuard guard(in.device().index, "cumsum");
  SEEK_DISPATCH_ALL(in.dtype(), "cumsum", [&] {
    using S = scalar_t;
    if constexpr (std::is_integral_v<S>) {
      SEEK_CHECK_DTYPE(out.dtype() == kInt64, "cumsum: the output of an integer cumsum must be int64, got ",
                       out.dtype());
      cumsum_forward<S, int64_t>(in, dim, out, current_stream());
    } else {
      SEEK_CHECK_DTYPE(out.dtype() == in.dtype(), "cumsum: the output must have the input dtype ", in.dtype());
      cumsum_forward<S, S>(in, dim, out, current_stream());
    }
  });
}

}  // namespace seek::cuda

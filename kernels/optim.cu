// Optim family on the GPU (fused SGD / Adam / RMSprop steps, total gradient norm,
// unscale-and-check): the kernels, their launchers, then CudaBackend::optim.
// Trick: multi-tensor launches (multi_tensor_apply.cuh): the host packs up to kMaxTensors
// tensors' pointers and kMaxBlocks chunks into one by-value kernel argument, so a whole
// parameter list costs one launch per batch; block b of a launch owns one 64K-element chunk
// of one tensor. The per-element rules are the SEEK_HOST_DEVICE functors of
// seek/backend/optim_op.h that the CPU loop runs, so both devices do the same arithmetic in the
// parameter's dtype (only multiply-add contraction may differ); a rule's flags are runtime
// fields, uniform across the grid, so each rule is one kernel per dtype. The norm is
// deterministic: each chunk's block writes one double partial (a fixed tree inside the block)
// at its global chunk index, and one block combines all partials in order; no float atomics.
// ScaleGrads reads the scale on the device and sets found_inf there (no host sync).
#include <cmath>

#include <atomic>

#include "backend/cuda/cuda_backend.h"
#include "backend/cuda/cuda_check.h"
#include "block_reduce.cuh"
#include "common.cuh"
#include "backend/flat_storage.h"
#include "backend/optim_steps.h"
#include "multi_tensor_apply.cuh"
#include "seek/backend/optim_op.h"
#include "seek/core/convert.h"
#include "seek/core/dtype.h"
#include "seek/core/shape_util.h"

namespace seek::cuda {

namespace {

std::atomic<int64_t> g_launches{0};

enum class NormKind : int { Two, One, General, Inf };
enum class ScaleType : int { F32, F64, F16, BF16 };

// ---- kernels: block b works on [begin, end) of the tensor in slot block_tensor[b] ----

struct ChunkRange {
  int t;
  int64_t begin, end;
};

__device__ inline ChunkRange chunk_of(const MultiTensorBatch& b) {
  const int t = b.block_tensor[blockIdx.x];
  const int64_t begin = static_cast<int64_t>(b.block_chunk[blockIdx.x]) * kChunkElements;
  const int64_t end = begin + kChunkElements < b.size[t] ? begin + kChunkElements : b.size[t];
  return {t, begin, end};
}

#define SEEK_CHUNK_LOOP(j, r) for (int64_t j = (r).begin + threadIdx.x; j < (r).end; j += blockDim.x)

template <typename T>
__global__ void sgd_kernel(functors::SgdStep<T> f, MultiTensorBatch b) {
  const ChunkRange r = chunk_of(b);
  T* p = static_cast<T*>(b.ptr[0][r.t]);
  const T* g = static_cast<const T*>(b.ptr[1][r.t]);
  T* buf = static_cast<T*>(b.ptr[2][r.t]);
  const bool fresh = b.flag[r.t] != 0;
  SEEK_CHUNK_LOOP(j, r) { f(p[j], g[j], buf[j], fresh); }
}

template <typename T>
__global__ void adam_kernel(functors::AdamStep<T> f, MultiTensorBatch b) {
  const ChunkRange r = chunk_of(b);
  f.bc2_sqrt = static_cast<T>(b.extra[r.t][0]);  // per-tensor bias corrections, rounded as the CPU
  f.neg_step_size = static_cast<T>(b.extra[r.t][1]);
  T* p = static_cast<T*>(b.ptr[0][r.t]);
  const T* g = static_cast<const T*>(b.ptr[1][r.t]);
  T* m = static_cast<T*>(b.ptr[2][r.t]);
  T* v = static_cast<T*>(b.ptr[3][r.t]);
  T* vmax = static_cast<T*>(b.ptr[4][r.t]);
  SEEK_CHUNK_LOOP(j, r) { f(p[j], g[j], m[j], v[j], vmax[j]); }
}

template <typename T>
__global__ void rmsprop_kernel(functors::RmspropStep<T> f, MultiTensorBatch b) {
  const ChunkRange r = chunk_of(b);
  T* p = static_cast<T*>(b.ptr[0][r.t]);
  const T* g = static_cast<const T*>(b.ptr[1][r.t]);
  T* v = static_cast<T*>(b.ptr[2][r.t]);
  T* ga = static_cast<T*>(b.ptr[3][r.t]);
  T* buf = static_cast<T*>(b.ptr[4][r.t]);
  SEEK_CHUNK_LOOP(j, r) { f(p[j], g[j], v[j], ga[j], buf[j]); }
}

// Combines two norm partials: a sum, or the max where NaN wins.
struct NormCombine {
  bool inf;
  __device__ double operator()(double a, double b) const {
    if (!inf) return a + b;
    return (a != a || b > a || b != b) ? (a != a ? a : b) : a;
  }
};

// partials[first_block + blockIdx.x] = this chunk's sum of |x|^p (or max |x|), in double.
template <typename T>
__global__ void norm_partial_kernel(MultiTensorBatch b, double p, NormKind kind, double* partials) {
  __shared__ double smem[kBlockThreads / kWarpSize];
  const NormCombine combine{kind == NormKind::Inf};
  const ChunkRange r = chunk_of(b);
  const T* x = static_cast<const T*>(b.ptr[0][r.t]);
  double acc = 0.0;
  SEEK_CHUNK_LOOP(j, r) {
    const double v = ::fabs(static_cast<double>(convert<acc_t<T>>(x[j])));
    switch (kind) {
      case NormKind::Two: acc += v * v; break;
      case NormKind::One: acc += v; break;
      case NormKind::General: acc += ::pow(v, p); break;
      case NormKind::Inf: acc = combine(acc, v); break;
    }
  }
  acc = row_reduce(acc, combine, 0.0, smem, false);
  if (threadIdx.x == 0) partials[b.first_block + blockIdx.x] = acc;
}

// *out = root of the combined partials (one block, a fixed order).
template <typename Out>
__global__ void norm_finish_kernel(const double* partials, int64_t count, double p, NormKind kind, Out* out) {
  __shared__ double smem[kBlockThreads / kWarpSize];
  const NormCombine combine{kind == NormKind::Inf};
  double acc = 0.0;
  for (int64_t i = threadIdx.x; i < count; i += blockDim.x) acc = combine(acc, partials[i]);
  acc = row_reduce(acc, combine, 0.0, smem, false);
  if (threadIdx.x == 0) {
    if (kind == NormKind::Two)
      acc = ::sqrt(acc);
    else if (kind != NormKind::Inf)
      acc = ::pow(acc, 1.0 / p);  // p = 1 gives the sum itself
    *out = convert<Out>(acc);
  }
}

// The 0-dim scale tensor's value in its acc_t, as a double.
__device__ inline double read_scale(const void* scale, ScaleType st) {
  switch (st) {
    case ScaleType::F32: return static_cast<double>(*static_cast<const float*>(scale));
    case ScaleType::F64: return *static_cast<const double*>(scale);
    case ScaleType::F16: return static_cast<double>(convert<float>(*static_cast<const Half*>(scale)));
    case ScaleType::BF16: return static_cast<double>(convert<float>(*static_cast<const BFloat16*>(scale)));
  }
  return 0.0;
}

// x *= scale in acc_t<T>; found_inf (may be null) = 1 where a scaled value is inf or NaN.
template <typename T>
__global__ void scale_grads_kernel(MultiTensorBatch b, const void* scale, ScaleType st, float* found_inf) {
  using A = acc_t<T>;
  const A s = static_cast<A>(read_scale(scale, st));
  const ChunkRange r = chunk_of(b);
  T* x = static_cast<T*>(b.ptr[0][r.t]);
  bool bad = false;
  SEEK_CHUNK_LOOP(j, r) {
    const A v = convert<A>(x[j]) * s;
    x[j] = convert<T>(v);
    bad = bad || v * A(0) != A(0);  // x * 0 is 0 for finite x, NaN for inf and NaN
  }
  if (bad && found_inf != nullptr) *found_inf = 1.0f;  // every writer stores the same 1: no atomic needed
}

// ---- launchers: queue work on `stream` and return without waiting ----

template <typename T>
T* data_of(const Tensor& t) {
  return static_cast<T*>(t.data_ptr());
}

// The k-th state tensor of tensor i, or `fallback` when the list is unused (the rule then never touches it).
void* state_ptr(const OptimArgs& a, size_t k, size_t i, void* fallback) {
  return k < a.states.size() && !a.states[k].empty() ? a.states[k][i].data_ptr() : fallback;
}

// Runs go(batch, blocks) (one kernel launch) for every batch of `items` (indices into `list`);
// returns the number of chunks. Each launch is counted for optim_kernel_launches().
template <typename Fill, typename Go>
int64_t for_batches(const std::vector<Tensor>& list, const std::vector<size_t>& items, Fill fill, int64_t first_block,
                    Go go) {
  std::vector<int64_t> numel;
  for (size_t i : items) numel.push_back(list[i].numel());
  return multi_tensor_apply(
      items, numel, fill,
      [&](const MultiTensorBatch& b, int blocks) {
        go(b, static_cast<unsigned>(blocks));
        g_launches.fetch_add(1, std::memory_order_relaxed);
      },
      first_block);
}

std::vector<size_t> all_of(size_t n) {
  std::vector<size_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = i;
  return v;
}

// Stores tensor i's param, grad and three state pointers (unused states alias the param).
struct StepFill {
  const OptimArgs& a;
  void operator()(MultiTensorBatch& b, int slot, size_t i) const {
    void* p = a.params[i].data_ptr();
    b.ptr[0][slot] = p;
    b.ptr[1][slot] = a.grads[i].data_ptr();
    for (int k = 0; k < 3; ++k) b.ptr[2 + k][slot] = state_ptr(a, static_cast<size_t>(k), i, p);
    b.flag[slot] = !a.fresh.empty() && a.fresh[i] ? 1 : 0;
  }
};

template <typename T>
void sgd_forward(const OptimArgs& a, cudaStream_t stream) {
  const OptimHyper& h = a.hyper;
  const auto f = backend_detail::sgd_step<T>(h);
  for_batches(a.params, all_of(a.params.size()), StepFill{a}, 0, [&](const MultiTensorBatch& b, unsigned blocks) {
    launch(sgd_kernel<T>, {blocks, kBlockThreads, 0, stream}, f, b);
  });
}

template <typename T>
void adam_forward(const OptimArgs& a, cudaStream_t stream) {
  const OptimHyper& h = a.hyper;
  // bc2_sqrt and neg_step_size are per tensor (the step counts may differ): they travel in the batch.
  const auto f = backend_detail::adam_step<T>(h, 1);  // bias corrections per tensor below
  auto fill = [&](MultiTensorBatch& b, int slot, size_t i) {
    StepFill{a}(b, slot, i);
    b.extra[slot][0] = backend_detail::adam_bias_correction2_sqrt(h, a.steps[i]);
    b.extra[slot][1] = backend_detail::adam_neg_step_size(h, a.steps[i]);
  };
  for_batches(a.params, all_of(a.params.size()), fill, 0, [&](const MultiTensorBatch& b, unsigned blocks) {
    launch(adam_kernel<T>, {blocks, kBlockThreads, 0, stream}, f, b);
  });
}

template <typename T>
void rmsprop_forward(const OptimArgs& a, cudaStream_t stream) {
  const OptimHyper& h = a.hyper;
  const auto f = backend_detail::rmsprop_step<T>(h);
  for_batches(a.params, all_of(a.params.size()), StepFill{a}, 0, [&](const MultiTensorBatch& b, unsigned blocks) {
    launch(rmsprop_kernel<T>, {blocks, kBlockThreads, 0, stream}, f, b);
  });
}

// The tensors of `list` grouped by dtype, each group in list order, groups in order of first appearance.
std::vector<std::pair<DType, std::vector<size_t>>> by_dtype(const std::vector<Tensor>& list) {
  std::vector<std::pair<DType, std::vector<size_t>>> groups;
  for (size_t i = 0; i < list.size(); ++i) {
    auto it = groups.begin();
    while (it != groups.end() && it->first != list[i].dtype()) ++it;
    if (it == groups.end())
      groups.push_back({list[i].dtype(), {i}});
    else
      it->second.push_back(i);
  }
  return groups;
}

struct GradFill {
  const std::vector<Tensor>& list;
  void operator()(MultiTensorBatch& b, int slot, size_t i) const { b.ptr[0][slot] = list[i].data_ptr(); }
};

void grad_norm_forward(const OptimArgs& a, const Device device, cudaStream_t stream) {
  const double p = a.norm_type;
  const NormKind kind = std::isinf(p) ? NormKind::Inf
                        : p == 2.0    ? NormKind::Two
                        : p == 1.0    ? NormKind::One
                                      : NormKind::General;
  int64_t count = 0;
  for (const Tensor& g : a.grads) count += chunk_count(g.numel());
  Tensor partials = empty({std::max<int64_t>(count, 1)}, TensorOptions(kFloat64).device(device));
  double* part = data_of<double>(partials);
  int64_t at = 0;  // partials are indexed by chunk over all launches: a fixed order for a fixed list
  for (const auto& [dt, items] : by_dtype(a.grads)) {
    SEEK_DISPATCH_FLOATING(dt, "grad_norm", [&] {
      at += for_batches(a.grads, items, GradFill{a.grads}, at, [&](const MultiTensorBatch& b, unsigned blocks) {
        launch(norm_partial_kernel<scalar_t>, {blocks, kBlockThreads, 0, stream}, b, p, kind, part);
      });
    });
  }
  SEEK_DISPATCH_FLOATING(a.out.dtype(), "grad_norm", [&] {
    launch(norm_finish_kernel<scalar_t>, {1, kBlockThreads, 0, stream}, static_cast<const double*>(part), count, p,
           kind, data_of<scalar_t>(a.out));
    g_launches.fetch_add(1, std::memory_order_relaxed);
  });
  // `partials` goes back to the caching allocator now; the stream orders its reuse after these kernels.
}

void scale_grads_forward(const OptimArgs& a, cudaStream_t stream) {
  const DType sdt = a.scale.dtype();
  const ScaleType st = sdt == kFloat32   ? ScaleType::F32
                       : sdt == kFloat64 ? ScaleType::F64
                       : sdt == kFloat16 ? ScaleType::F16
                                         : ScaleType::BF16;
  const void* scale = a.scale.data_ptr();
  float* found = a.found_inf.defined() ? data_of<float>(a.found_inf) : nullptr;
  for (const auto& [dt, items] : by_dtype(a.grads)) {
    SEEK_DISPATCH_FLOATING(dt, "scale_grads", [&] {
      for_batches(a.grads, items, GradFill{a.grads}, 0, [&](const MultiTensorBatch& b, unsigned blocks) {
        launch(scale_grads_kernel<scalar_t>, {blocks, kBlockThreads, 0, stream}, b, scale, st, found);
      });
    });
  }
}

// Every tensor of the call is a dense tensor on `device` (any dim order: the kernels see flat storage),
// and a parameter's gradient and states are laid out as the parameter (backend/flat_storage.h).
void check_operands(const OptimArgs& a, Device device, const char* name) {
  auto check = [&](const Tensor& t, const char* role) {
    if (!t.defined()) return;
    SEEK_CHECK_T(DeviceError, t.device() == device, name, ": every tensor must be on ", device.str(), ", the ", role,
                 " is on ", t.device().str());
    SEEK_CHECK(is_flat_storage(t), name, ": the ", role, " must be dense (contiguous in some dim order), got strides ",
               shape_str(t.strides()), " for shape ", shape_str(t.sizes()));
  };
  auto check_like = [&](const Tensor& t, const Tensor& param, const char* role) {
    SEEK_CHECK(!t.defined() || !param.defined() || same_flat_layout(t, param), name, ": the ", role,
               " must be laid out as its parameter: strides ", shape_str(t.strides()), " vs ",
               shape_str(param.strides()), " for shape ", shape_str(param.sizes()));
  };
  for (const Tensor& t : a.params) check(t, "parameter");
  for (const Tensor& t : a.grads) check(t, "gradient");
  for (const auto& list : a.states)
    for (const Tensor& t : list) check(t, "state");
  if (!a.params.empty()) {
    for (size_t i = 0; i < a.grads.size() && i < a.params.size(); ++i) check_like(a.grads[i], a.params[i], "gradient");
    for (const auto& list : a.states)
      for (size_t i = 0; i < list.size() && i < a.params.size(); ++i) check_like(list[i], a.params[i], "state");
  }
  check(a.out, "norm output");
  check(a.scale, "scale");
  check(a.found_inf, "found_inf flag");
}

// Steps take grads and states of the parameters' dtype (the rules run in it).
void check_step_dtypes(const OptimArgs& a, DType dt, const char* name) {
  for (const Tensor& g : a.grads)
    SEEK_CHECK_DTYPE(g.dtype() == dt, name, ": gradients must have the parameters' dtype ", dtype_name(dt), ", got ",
                     dtype_name(g.dtype()));
  for (const auto& list : a.states)
    for (const Tensor& t : list)
      SEEK_CHECK_DTYPE(t.dtype() == dt, name, ": states must have the parameters' dtype ", dtype_name(dt), ", got ",
                       dtype_name(t.dtype()));
}

}  // namespace

int64_t optim_kernel_launches() { return g_launches.load(std::memory_order_relaxed); }

// ---- CudaBackend::optim ----

const FamilyRegistrar optim_family(BackendFamily::Optim, [](DType dt) { return is_floating(dt); });

void CudaBackend::optim(OptimOp op, const OptimArgs& args) {
  const char* name = optim_op_name(op);
  const Tensor& first = !args.params.empty() ? args.params[0] : !args.grads.empty() ? args.grads[0] : args.out;
  if (!first.defined()) return;  // an empty list: nothing to do
  SEEK_CHECK_T(DeviceError, first.is_cuda(), name, ": the CUDA backend updates CUDA tensors, got one on ",
               first.device().str());
  const Device device = first.device();
  check_operands(args, device, name);
  DeviceGuard guard(device.index, name);
  const cudaStream_t stream = current_stream();
  auto floating32_64 = [&](auto body) {
    const DType dt = args.params.empty() ? kFloat32 : args.params[0].dtype();
    SEEK_CHECK_DTYPE(dt == kFloat32 || dt == kFloat64, name,
                     ": the CUDA kernel takes float32 or float64 parameters, got ", dtype_name(dt));
    for (const Tensor& p : args.params)
      SEEK_CHECK_DTYPE(p.dtype() == dt, name, ": parameters of one call share a dtype, got ", dtype_name(dt), " and ",
                       dtype_name(p.dtype()));
    check_step_dtypes(args, dt, name);
    if (dt == kFloat32)
      body(float{});
    else
      body(double{});
  };
  switch (op) {
    case OptimOp::SGD: floating32_64([&](auto t) { sgd_forward<decltype(t)>(args, stream); }); break;
    case OptimOp::Adam: floating32_64([&](auto t) { adam_forward<decltype(t)>(args, stream); }); break;
    case OptimOp::RMSprop: floating32_64([&](auto t) { rmsprop_forward<decltype(t)>(args, stream); }); break;
    case OptimOp::GradNorm: grad_norm_forward(args, device, stream); break;
    case OptimOp::ScaleGrads: scale_grads_forward(args, stream); break;
  }
}

}  // namespace seek::cuda

// Optim family on the GPU (fused SGD / Adam / RMSprop steps, total gradient norm,
// unscale-and-check): the kernels, their launchers, then CudaBackend::optim.
// Trick: the per-element rules are the SEEK_HOST_DEVICE functors of
// seek/backend/optim_op.h that the CPU loop runs, so both devices do the same
// arithmetic in the parameter's dtype (only multiply-add contraction may differ);
// a rule's flags are plain runtime fields, uniform across the grid, so each rule
// is one kernel per dtype. Steps launch one grid-stride kernel per tensor. The norm
// is deterministic: each tensor's capped grid writes one double partial per block
// (a fixed tree inside the block), and one block combines the partials in order.
// The scale of ScaleGrads is read on the device (no host sync), as in GradScaler.
#include <cmath>

#include "backend/cuda/cuda_backend.h"
#include "backend/cuda/cuda_check.h"
#include "block_reduce.cuh"
#include "common.cuh"
#include "seek/backend/optim_op.h"
#include "seek/core/convert.h"
#include "seek/core/dtype.h"

namespace seek::cuda {

namespace {

constexpr unsigned kNormBlocksPerTensor = 64;  // the cap of each tensor's partials

enum class NormKind : int { Two, One, General, Inf };

// ---- kernels ----

template <typename T>
__global__ void sgd_kernel(functors::SgdStep<T> f, T* p, const T* g, T* buf, bool fresh, int64_t n) {
  SEEK_GRID_STRIDE_LOOP(i, n) { f(p[i], g[i], buf[i], fresh); }
}

template <typename T>
__global__ void adam_kernel(functors::AdamStep<T> f, T* p, const T* g, T* m, T* v, T* vmax, int64_t n) {
  SEEK_GRID_STRIDE_LOOP(i, n) { f(p[i], g[i], m[i], v[i], vmax[i]); }
}

template <typename T>
__global__ void rmsprop_kernel(functors::RmspropStep<T> f, T* p, const T* g, T* v, T* ga, T* buf, int64_t n) {
  SEEK_GRID_STRIDE_LOOP(i, n) { f(p[i], g[i], v[i], ga[i], buf[i]); }
}

// Combines two norm partials: a sum, or the max where NaN wins.
struct NormCombine {
  bool inf;
  __device__ double operator()(double a, double b) const {
    if (!inf) return a + b;
    return (a != a || b > a || b != b) ? (a != a ? a : b) : a;
  }
};

// partials[blockIdx.x] = this block's sum of |x|^p (or max |x|), in double.
template <typename T>
__global__ void norm_partial_kernel(const T* x, int64_t n, double p, NormKind kind, double* partials) {
  __shared__ double smem[kBlockThreads / kWarpSize];
  const NormCombine combine{kind == NormKind::Inf};
  double acc = 0.0;
  SEEK_GRID_STRIDE_LOOP(i, n) {
    const double v = ::fabs(static_cast<double>(convert<acc_t<T>>(x[i])));
    switch (kind) {
      case NormKind::Two: acc += v * v; break;
      case NormKind::One: acc += v; break;
      case NormKind::General: acc += ::pow(v, p); break;
      case NormKind::Inf: acc = combine(acc, v); break;
    }
  }
  acc = row_reduce(acc, combine, 0.0, smem, false);
  if (threadIdx.x == 0) partials[blockIdx.x] = acc;
}

// *out = root of the combined partials (one block).
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

// *scale_out = the 0-dim scale tensor's value in its acc_t, as a double.
template <typename S>
__global__ void read_scale_kernel(const S* scale, double* scale_out) {
  *scale_out = static_cast<double>(convert<acc_t<S>>(*scale));
}

// x *= scale in acc_t<T>; found_inf (may be null) = 1 where a scaled value is inf or NaN.
template <typename T>
__global__ void scale_grads_kernel(T* x, int64_t n, const double* scale, float* found_inf) {
  using A = acc_t<T>;
  const A s = static_cast<A>(*scale);
  SEEK_GRID_STRIDE_LOOP(i, n) {
    const A v = convert<A>(x[i]) * s;
    x[i] = convert<T>(v);
    if (found_inf != nullptr && v * A(0) != A(0)) *found_inf = 1.0f;  // every writer stores the same 1
  }
}

// ---- launchers: queue work on `stream` and return without waiting ----

template <typename T>
T* data_of(const Tensor& t) {
  return static_cast<T*>(t.data_ptr());
}

// The k-th state tensor of tensor i, or `fallback` when the list is unused (the rule then never touches it).
template <typename T>
T* state_ptr(const OptimArgs& a, size_t k, size_t i, T* fallback) {
  return k < a.states.size() && !a.states[k].empty() ? data_of<T>(a.states[k][i]) : fallback;
}

template <typename T>
void sgd_forward(const OptimArgs& a, cudaStream_t stream) {
  const OptimHyper& h = a.hyper;
  const functors::SgdStep<T> f{static_cast<T>(h.weight_decay),
                               static_cast<T>(h.momentum),
                               static_cast<T>(1.0 - h.dampening),
                               static_cast<T>(-h.lr),
                               h.weight_decay != 0.0,
                               h.momentum != 0.0,
                               h.nesterov,
                               h.maximize};
  for (size_t i = 0; i < a.params.size(); ++i) {
    const int64_t n = a.params[i].numel();
    if (n == 0) continue;
    T* p = data_of<T>(a.params[i]);
    const bool fresh = !a.fresh.empty() && a.fresh[i];
    launch(sgd_kernel<T>, {grid_size(n), kBlockThreads, 0, stream}, f, p, static_cast<const T*>(data_of<T>(a.grads[i])),
           state_ptr<T>(a, 0, i, p), fresh, n);
  }
}

template <typename T>
void adam_forward(const OptimArgs& a, cudaStream_t stream) {
  const OptimHyper& h = a.hyper;
  for (size_t i = 0; i < a.params.size(); ++i) {
    const int64_t n = a.params[i].numel();
    if (n == 0) continue;
    // Per-tensor bias corrections (the step counts may differ between tensors), as the CPU.
    const double t = static_cast<double>(a.steps[i]);
    const double bc1 = 1.0 - std::pow(h.beta1, t);
    const double bc2_sqrt = std::sqrt(1.0 - std::pow(h.beta2, t));
    const functors::AdamStep<T> f{static_cast<T>(h.weight_decay),
                                  static_cast<T>(1.0 - h.lr * h.weight_decay),
                                  static_cast<T>(h.beta1),
                                  static_cast<T>(1.0 - h.beta1),
                                  static_cast<T>(h.beta2),
                                  static_cast<T>(1.0 - h.beta2),
                                  static_cast<T>(bc2_sqrt),
                                  static_cast<T>(h.eps),
                                  static_cast<T>(-(h.lr / bc1)),
                                  h.weight_decay != 0.0,
                                  h.decoupled,
                                  h.amsgrad,
                                  h.maximize};
    T* p = data_of<T>(a.params[i]);
    launch(adam_kernel<T>, {grid_size(n), kBlockThreads, 0, stream}, f, p,
           static_cast<const T*>(data_of<T>(a.grads[i])), state_ptr<T>(a, 0, i, p), state_ptr<T>(a, 1, i, p),
           state_ptr<T>(a, 2, i, p), n);
  }
}

template <typename T>
void rmsprop_forward(const OptimArgs& a, cudaStream_t stream) {
  const OptimHyper& h = a.hyper;
  const functors::RmspropStep<T> f{static_cast<T>(h.weight_decay),
                                   static_cast<T>(h.alpha),
                                   static_cast<T>(1.0 - h.alpha),
                                   static_cast<T>(h.eps),
                                   static_cast<T>(h.momentum),
                                   static_cast<T>(-h.lr),
                                   h.weight_decay != 0.0,
                                   h.centered,
                                   h.momentum > 0.0,
                                   h.maximize};
  for (size_t i = 0; i < a.params.size(); ++i) {
    const int64_t n = a.params[i].numel();
    if (n == 0) continue;
    T* p = data_of<T>(a.params[i]);
    launch(rmsprop_kernel<T>, {grid_size(n), kBlockThreads, 0, stream}, f, p,
           static_cast<const T*>(data_of<T>(a.grads[i])), state_ptr<T>(a, 0, i, p), state_ptr<T>(a, 1, i, p),
           state_ptr<T>(a, 2, i, p), n);
  }
}

void grad_norm_forward(const OptimArgs& a, const Device device, cudaStream_t stream) {
  const double p = a.norm_type;
  const NormKind kind = std::isinf(p) ? NormKind::Inf
                        : p == 2.0    ? NormKind::Two
                        : p == 1.0    ? NormKind::One
                                      : NormKind::General;
  std::vector<unsigned> blocks(a.grads.size());
  int64_t count = 0;
  for (size_t i = 0; i < a.grads.size(); ++i) {
    const int64_t n = a.grads[i].numel();
    blocks[i] = n == 0 ? 0 : std::min(grid_size(n), kNormBlocksPerTensor);
    count += blocks[i];
  }
  Tensor partials = empty({std::max<int64_t>(count, 1)}, TensorOptions(kFloat64).device(device));
  double* part = data_of<double>(partials);
  int64_t at = 0;
  for (size_t i = 0; i < a.grads.size(); ++i) {
    if (blocks[i] == 0) continue;
    const Tensor& g = a.grads[i];
    SEEK_DISPATCH_FLOATING(g.dtype(), "grad_norm", [&] {
      launch(norm_partial_kernel<scalar_t>, {blocks[i], kBlockThreads, 0, stream},
             static_cast<const scalar_t*>(data_of<scalar_t>(g)), g.numel(), p, kind, part + at);
    });
    at += blocks[i];
  }
  SEEK_DISPATCH_FLOATING(a.out.dtype(), "grad_norm", [&] {
    launch(norm_finish_kernel<scalar_t>, {1, kBlockThreads, 0, stream}, static_cast<const double*>(part), count, p,
           kind, data_of<scalar_t>(a.out));
  });
  // `partials` goes back to the caching allocator now; the stream orders its reuse after these kernels.
}

void scale_grads_forward(const OptimArgs& a, const Device device, cudaStream_t stream) {
  Tensor scale = empty({}, TensorOptions(kFloat64).device(device));
  double* s = data_of<double>(scale);
  SEEK_DISPATCH_FLOATING(a.scale.dtype(), "scale_grads", [&] {
    launch(read_scale_kernel<scalar_t>, {1, 1, 0, stream}, static_cast<const scalar_t*>(data_of<scalar_t>(a.scale)), s);
  });
  float* found = a.found_inf.defined() ? data_of<float>(a.found_inf) : nullptr;
  for (const Tensor& g : a.grads) {
    const int64_t n = g.numel();
    if (n == 0) continue;
    SEEK_DISPATCH_FLOATING(g.dtype(), "scale_grads", [&] {
      launch(scale_grads_kernel<scalar_t>, {grid_size(n), kBlockThreads, 0, stream}, data_of<scalar_t>(g), n,
             static_cast<const double*>(s), found);
    });
  }
}

// Every tensor of the call is a dense tensor on `device`.
void check_operands(const OptimArgs& a, Device device, const char* name) {
  auto check = [&](const Tensor& t, const char* role) {
    if (!t.defined()) return;
    SEEK_CHECK_T(DeviceError, t.device() == device, name, ": every tensor must be on ", device.str(), ", the ", role,
                 " is on ", t.device().str());
    SEEK_CHECK(t.is_contiguous(), name, ": the ", role, " must be contiguous");
  };
  for (const Tensor& t : a.params) check(t, "parameter");
  for (const Tensor& t : a.grads) check(t, "gradient");
  for (const auto& list : a.states)
    for (const Tensor& t : list) check(t, "state");
  check(a.out, "norm output");
  check(a.scale, "scale");
  check(a.found_inf, "found_inf flag");
}

}  // namespace

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
    case OptimOp::ScaleGrads: scale_grads_forward(args, device, stream); break;
  }
}

}  // namespace seek::cuda

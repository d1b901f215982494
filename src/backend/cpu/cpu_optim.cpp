// CPU optim family (see seek/backend/optim_op.h): the tensors of one call are cut into
// fixed-size chunks (a chunk never spans two tensors) and one parallel loop runs over the
// chunks of all tensors, so a list of many small tensors (a ResNet's biases and BN weights)
// costs one parallel region instead of one per tensor and op. The inner loops are plain
// pointer loops over contiguous data, instantiated for each combination of the rule's flags
// (with_flags) so that each is straight-line code the compiler vectorises (omp simd; this file
// is compiled with -fno-math-errno, see CMakeLists.txt, so that sqrt vectorises too: the same
// correctly rounded result, only errno is not set for a negative input). Reductions (GradNorm,
// the inf check) keep one partial per chunk and combine them in chunk order, so results do not
// depend on the thread count.
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/cpu_loops.h"
#include "backend/optim_steps.h"
#include "seek/core/convert.h"

namespace seek::cpu {

namespace {

constexpr int64_t kChunk = 16384;

struct Chunk {
  int32_t tensor;
  int64_t begin, end;
};

std::vector<Chunk> make_chunks(const std::vector<Tensor>& tensors) {
  std::vector<Chunk> chunks;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const int64_t n = tensors[i].numel();
    for (int64_t b = 0; b < n; b += kChunk) chunks.push_back({static_cast<int32_t>(i), b, std::min(n, b + kChunk)});
  }
  return chunks;
}

// Runs body(chunk_index, chunk) over all chunks, in parallel when there is enough work
// (kParallelGrain elements in all, as the elementwise loops).
template <typename Body>
void for_chunks(const std::vector<Chunk>& chunks, Body body) {
  const int64_t n = static_cast<int64_t>(chunks.size());
  int64_t total = 0;
  for (const Chunk& c : chunks) total += c.end - c.begin;
  if (n <= 1 || total < kParallelGrain || omp_get_max_threads() <= 1 || omp_in_parallel()) {
    for (int64_t c = 0; c < n; ++c) body(c, chunks[c]);
    return;
  }
  // Dynamic: the chunks differ in size (a network's last tensors are its largest); each chunk's
  // result is the same whichever thread runs it.
#pragma omp parallel for schedule(dynamic, 1)
  for (int64_t c = 0; c < n; ++c) body(c, chunks[c]);
}

template <typename T>
T* data_of(const Tensor& t) {
  return static_cast<T*>(t.data_ptr());
}

// The k-th state tensor of tensor i, or `fallback` when the list is unused (the rule then never touches it).
template <typename T>
T* state_ptr(const OptimArgs& a, size_t k, size_t i, T* fallback) {
  return k < a.states.size() && !a.states[k].empty() ? data_of<T>(a.states[k][i]) : fallback;
}

// Calls fn(std::integral_constant<bool, b>...) for the runtime bools, so that a rule's flags are
// constants in each instantiation of the loop: every variant is a straight-line loop body.
template <bool... Bs, typename Fn>
void with_flags(Fn&& fn) {
  fn(std::integral_constant<bool, Bs>{}...);
}
template <bool... Bs, typename Fn, typename... Rest>
void with_flags(Fn&& fn, bool b, Rest... rest) {
  if (b)
    with_flags<Bs..., true>(fn, rest...);
  else
    with_flags<Bs..., false>(fn, rest...);
}

template <typename T>
void sgd(const OptimArgs& a) {
  const OptimHyper& h = a.hyper;
  const auto f0 = backend_detail::sgd_step<T>(h);
  for_chunks(make_chunks(a.params), [&](int64_t, const Chunk& c) {
    T* p = data_of<T>(a.params[c.tensor]);
    const T* g = data_of<T>(a.grads[c.tensor]);
    T* buf = state_ptr<T>(a, 0, c.tensor, p);
    const bool fresh = !a.fresh.empty() && a.fresh[c.tensor];
    with_flags(
        [&](auto wd, auto mom, auto nest, auto max, auto fr) {
          functors::SgdStep<T> f = f0;
          f.has_wd = wd;
          f.has_momentum = mom;
          f.nesterov = nest;
          f.maximize = max;
#pragma omp simd
          for (int64_t j = c.begin; j < c.end; ++j) f(p[j], g[j], buf[j], fr);
        },
        f0.has_wd, f0.has_momentum, f0.nesterov, f0.maximize, fresh);
  });
}

template <typename T>
void adam(const OptimArgs& a) {
  const OptimHyper& h = a.hyper;
  // Per-tensor bias corrections (the step counts may differ between tensors).
  std::vector<functors::AdamStep<T>> fs;
  for (size_t i = 0; i < a.params.size(); ++i) fs.push_back(backend_detail::adam_step<T>(h, a.steps[i]));
  for_chunks(make_chunks(a.params), [&](int64_t, const Chunk& c) {
    T* p = data_of<T>(a.params[c.tensor]);
    const T* g = data_of<T>(a.grads[c.tensor]);
    T* m = state_ptr<T>(a, 0, c.tensor, p);
    T* v = state_ptr<T>(a, 1, c.tensor, p);
    T* vmax = state_ptr<T>(a, 2, c.tensor, p);
    with_flags(
        [&](auto wd, auto dec, auto ams, auto max) {
          functors::AdamStep<T> f = fs[c.tensor];
          f.has_wd = wd;
          f.decoupled = dec;
          f.amsgrad = ams;
          f.maximize = max;
#pragma omp simd
          for (int64_t j = c.begin; j < c.end; ++j) f(p[j], g[j], m[j], v[j], vmax[j]);
        },
        h.weight_decay != 0.0, h.decoupled, h.amsgrad, h.maximize);
  });
}

template <typename T>
void rmsprop(const OptimArgs& a) {
  const OptimHyper& h = a.hyper;
  const auto f0 = backend_detail::rmsprop_step<T>(h);
  for_chunks(make_chunks(a.params), [&](int64_t, const Chunk& c) {
    T* p = data_of<T>(a.params[c.tensor]);
    const T* g = data_of<T>(a.grads[c.tensor]);
    T* v = state_ptr<T>(a, 0, c.tensor, p);
    T* ga = state_ptr<T>(a, 1, c.tensor, p);
    T* buf = state_ptr<T>(a, 2, c.tensor, p);
    with_flags(
        [&](auto wd, auto cen, auto mom, auto max) {
          functors::RmspropStep<T> f = f0;
          f.has_wd = wd;
          f.centered = cen;
          f.has_momentum = mom;
          f.maximize = max;
#pragma omp simd
          for (int64_t j = c.begin; j < c.end; ++j) f(p[j], g[j], v[j], ga[j], buf[j]);
        },
        f0.has_wd, f0.centered, f0.has_momentum, f0.maximize);
  });
}

// Partial of one chunk: sum of |x|^p (p = 1, 2 or general) or max |x| (inf, NaN wins), in double.
template <typename T>
double norm_partial(const T* x, int64_t n, double p, bool inf) {
  if (inf) {
    double m = 0.0;
    for (int64_t j = 0; j < n; ++j) {
      const double v = std::abs(static_cast<double>(convert<acc_t<T>>(x[j])));
      m = (v > m || v != v) ? v : m;
      if (m != m) return m;
    }
    return m;
  }
  if (p != 2.0 && p != 1.0) {
    double s = 0.0;
    for (int64_t j = 0; j < n; ++j) s += std::pow(std::abs(static_cast<double>(convert<acc_t<T>>(x[j]))), p);
    return s;
  }
  // Eight interleaved sums (a fixed order, so deterministic) let the compiler vectorise.
  constexpr int kLanes = 8;
  double acc[kLanes] = {};
  const int64_t body = n - n % kLanes;
  for (int64_t j = 0; j < body; j += kLanes) {
    for (int l = 0; l < kLanes; ++l) {
      const double v = static_cast<double>(convert<acc_t<T>>(x[j + l]));
      acc[l] += p == 2.0 ? v * v : std::abs(v);
    }
  }
  for (int64_t j = body; j < n; ++j) {
    const double v = static_cast<double>(convert<acc_t<T>>(x[j]));
    acc[j - body] += p == 2.0 ? v * v : std::abs(v);
  }
  double s = 0.0;
  for (int l = 0; l < kLanes; ++l) s += acc[l];
  return s;
}

void grad_norm(const OptimArgs& a) {
  const bool inf = std::isinf(a.norm_type);
  const std::vector<Chunk> chunks = make_chunks(a.grads);
  std::vector<double> part(chunks.size(), 0.0);
  for_chunks(chunks, [&](int64_t k, const Chunk& c) {
    const Tensor& g = a.grads[c.tensor];
    SEEK_DISPATCH_FLOATING(g.dtype(), "grad_norm", [&] {
      part[k] = norm_partial(data_of<scalar_t>(g) + c.begin, c.end - c.begin, a.norm_type, inf);
    });
  });
  double total = 0.0;
  for (double v : part) {
    if (!inf)
      total += v;
    else if (total == total && (v > total || v != v))
      total = v;  // the max; a NaN stays
  }
  if (!inf) total = a.norm_type == 2.0 ? std::sqrt(total) : std::pow(total, 1.0 / a.norm_type);
  SEEK_DISPATCH_FLOATING(a.out.dtype(), "grad_norm", [&] { *data_of<scalar_t>(a.out) = convert<scalar_t>(total); });
}

void scale_grads(const OptimArgs& a) {
  double scale = 0.0;
  SEEK_DISPATCH_FLOATING(a.scale.dtype(), "scale_grads",
                         [&] { scale = static_cast<double>(convert<acc_t<scalar_t>>(*data_of<scalar_t>(a.scale))); });
  const std::vector<Chunk> chunks = make_chunks(a.grads);
  std::vector<uint8_t> bad(chunks.size(), 0);
  for_chunks(chunks, [&](int64_t k, const Chunk& c) {
    const Tensor& g = a.grads[c.tensor];
    SEEK_DISPATCH_FLOATING(g.dtype(), "scale_grads", [&] {
      using A = acc_t<scalar_t>;
      scalar_t* x = data_of<scalar_t>(g);
      const A s = static_cast<A>(scale);
      // x * 0 is 0 for finite x and NaN for inf and NaN: the same test as the per-op check.
      int flag = 0;
      for (int64_t j = c.begin; j < c.end; ++j) {
        const A v = convert<A>(x[j]) * s;
        x[j] = convert<scalar_t>(v);
        flag |= v * A(0) != A(0);
      }
      bad[k] = flag ? 1 : 0;
    });
  });
  if (a.found_inf.defined() && std::any_of(bad.begin(), bad.end(), [](uint8_t b) { return b != 0; }))
    *data_of<float>(a.found_inf) = 1.0f;
}

}  // namespace

void CpuBackend::optim(OptimOp op, const OptimArgs& args) {
  const char* name = optim_op_name(op);
  auto floating32_64 = [&](auto body) {
    const DType dt = args.params.empty() ? kFloat32 : args.params[0].dtype();
    SEEK_CHECK_DTYPE(dt == kFloat32 || dt == kFloat64, name,
                     ": the CPU kernel takes float32 or float64 parameters, got ", dtype_name(dt));
    if (dt == kFloat32)
      body(float{});
    else
      body(double{});
  };
  switch (op) {
    case OptimOp::SGD: floating32_64([&](auto t) { sgd<decltype(t)>(args); }); break;
    case OptimOp::Adam: floating32_64([&](auto t) { adam<decltype(t)>(args); }); break;
    case OptimOp::RMSprop: floating32_64([&](auto t) { rmsprop<decltype(t)>(args); }); break;
    case OptimOp::GradNorm: grad_norm(args); break;
    case OptimOp::ScaleGrads: scale_grads(args); break;
  }
}

}  // namespace seek::cpu

// CPU norm family: batch norm forward (batch or given statistics) and backward
// over [N, C, *] inputs viewed as contiguous [N, C, L].
//
// Work is split into (channel, batch block) tasks whose number depends only on
// the shape, never on the thread count; each task folds its contiguous spans of
// L values into double lanes and the per-channel totals are combined in block
// order, so results are bit-identical whatever the scheduling. When a channel is
// one task (the usual case: C >= 16) the statistics pass and the elementwise pass
// run back to back in the same task, while the channel's data is still in L2.
//
// Statistics use a shifted one-pass sum in double: with K the channel's first
// value, s1 = sum(x - K), s2 = sum((x - K)^2), mean = K + s1 / n and
// var = s2 / n - (s1 / n)^2. The shift removes the cancellation for inputs far
// from zero (the relative error of var is about eps_f64 * (1 + (mean - K)^2 / var)),
// so float inputs come out more accurate than with a float two-pass and double
// inputs as accurate. f16/bf16 run the f32 loops on f32 copies.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>
#include <vector>

#include "backend/cpu/cpu_backend.h"
#include "seek/core/shape_util.h"

namespace seek::cpu {

namespace {

constexpr int64_t kLanes = 8;                // double accumulators per vector (one AVX-512 / two AVX2 registers)
constexpr int64_t kMinTasks = 16;            // split channels over batch blocks until there are this many tasks
constexpr int64_t kMinTaskElems = 1 << 15;   // ... but never below this many values per task
constexpr int64_t kParallelElems = 1 << 14;  // below this many elements everything runs on one thread

// [N, C, L] view of a batch-norm input and its fixed task split.
struct Geometry {
  int64_t N = 0, C = 0, L = 1, blocks = 1;
  int64_t count() const { return N * L; }  // values per channel
  int64_t tasks() const { return C * blocks; }
  int64_t block_begin(int64_t b) const { return N * b / blocks; }
};

Geometry make_geometry(const Tensor& x, const char* op) {
  SEEK_CHECK_SHAPE(x.dim() >= 2, op, ": expected input of shape [N, C, *], got ", shape_str(x.sizes()));
  Geometry g;
  g.N = x.size(0);
  g.C = x.size(1);
  for (int64_t d = 2; d < x.dim(); ++d) g.L *= x.size(d);
  const int64_t want = g.C >= kMinTasks ? 1 : (kMinTasks + g.C - 1) / g.C;
  g.blocks = std::max<int64_t>(1, std::min({want, g.N, g.count() / kMinTaskElems}));
  return g;
}

// Runs f(task) for every task; parallel (static schedule) when the work is large.
template <typename F>
void for_tasks(int64_t tasks, int64_t total_elems, F f) {
  const bool par = tasks > 1 && total_elems >= kParallelElems && !omp_in_parallel();
#pragma omp parallel for schedule(static) if (par)
  for (int64_t t = 0; t < tasks; ++t) f(t);
}

Tensor contiguous_as(const Tensor& t, DType dt, CpuBackend& be) {
  if (t.is_contiguous() && t.dtype() == dt) return t;
  Tensor d = empty(t.sizes(), TensorOptions(dt));
  be.copy(t, d);
  return d;
}

// A [C] tensor (any floating dtype and strides) read as doubles; `fill` when undefined.
std::vector<double> channel_values(const Tensor& t, int64_t C, double fill, CpuBackend& be) {
  if (!t.defined()) return std::vector<double>(static_cast<size_t>(C), fill);
  SEEK_CHECK_SHAPE(t.numel() == C, "batch_norm: expected a per-channel tensor of ", C, " values, got shape ",
                   shape_str(t.sizes()));
  Tensor d = contiguous_as(t.reshape({C}), kF64, be);
  const double* p = d.data_ptr<double>();
  return std::vector<double>(p, p + C);
}

// Writes doubles into a defined [C] tensor of any floating dtype.
void store_channel_values(const std::vector<double>& v, const Tensor& out, CpuBackend& be) {
  if (!out.defined()) return;
  const int64_t C = static_cast<int64_t>(v.size());
  SEEK_CHECK_SHAPE(out.numel() == C, "batch_norm: expected a per-channel output of ", C, " values, got shape ",
                   shape_str(out.sizes()));
  Tensor d = empty({C}, TensorOptions(kF64));
  std::copy(v.begin(), v.end(), d.data_ptr<double>());
  be.copy(d, out.reshape({C}));
}

// Two per-task sums (which ones depends on the pass).
struct Sums {
  double s1 = 0.0, s2 = 0.0;
};

// Eight double lanes (GCC/Clang vector extension: one AVX-512 or two AVX2 registers),
// so the f32 -> f64 accumulation vectorises without reassociating anything.
using Lanes = double __attribute__((vector_size(kLanes * sizeof(double))));
using FloatLanes = float __attribute__((vector_size(kLanes * sizeof(float))));

template <typename T>
Lanes load_lanes(const T* p) {
  if constexpr (std::is_same_v<T, float>) {
    FloatLanes v;
    std::memcpy(&v, p, sizeof(v));
    return __builtin_convertvector(v, Lanes);
  } else {
    Lanes v;
    std::memcpy(&v, p, sizeof(v));
    return v;
  }
}

// The lanes and tail sums folded in a fixed order.
Sums fold_lanes(const Lanes& a1, const Lanes& a2, double t1, double t2) {
  Sums s;
  for (int64_t j = 0; j < kLanes; ++j) s.s1 += a1[j], s.s2 += a2[j];
  s.s1 += t1, s.s2 += t2;
  return s;
}

// Shifted sums of x over batches [n0, n1) of channel c: sum(x - k), sum((x - k)^2).
template <typename T>
Sums moment_sums(const T* x, const Geometry& g, int64_t c, int64_t n0, int64_t n1, double k) {
  // Two accumulator sets (a, b) so that consecutive vectors do not wait on one add chain.
  Lanes a1 = {}, a2 = {}, b1 = {}, b2 = {};
  double t1 = 0.0, t2 = 0.0;  // the spans' tails
  const Lanes kv = Lanes{} + k;
  for (int64_t n = n0; n < n1; ++n) {
    const T* p = x + (n * g.C + c) * g.L;
    int64_t i = 0;
    for (; i + 2 * kLanes <= g.L; i += 2 * kLanes) {
      const Lanes d = load_lanes(p + i) - kv, e = load_lanes(p + i + kLanes) - kv;
      a1 += d;
      a2 += d * d;
      b1 += e;
      b2 += e * e;
    }
    for (; i + kLanes <= g.L; i += kLanes) {
      const Lanes d = load_lanes(p + i) - kv;
      a1 += d;
      a2 += d * d;
    }
    for (; i < g.L; ++i) {
      const double d = static_cast<double>(p[i]) - k;
      t1 += d;
      t2 += d * d;
    }
  }
  return fold_lanes(a1 + b1, a2 + b2, t1, t2);
}

// sum(gy) and sum(gy * (x - mean)) over batches [n0, n1) of channel c.
template <typename T>
Sums grad_sums(const T* gy, const T* x, const Geometry& g, int64_t c, int64_t n0, int64_t n1, double mean) {
  Lanes a1 = {}, a2 = {}, b1 = {}, b2 = {};
  double t1 = 0.0, t2 = 0.0;
  const Lanes mv = Lanes{} + mean;
  for (int64_t n = n0; n < n1; ++n) {
    const int64_t off = (n * g.C + c) * g.L;
    const T* pg = gy + off;
    const T* px = x + off;
    int64_t i = 0;
    for (; i + 2 * kLanes <= g.L; i += 2 * kLanes) {
      const Lanes gv = load_lanes(pg + i), gw = load_lanes(pg + i + kLanes);
      a1 += gv;
      a2 += gv * (load_lanes(px + i) - mv);
      b1 += gw;
      b2 += gw * (load_lanes(px + i + kLanes) - mv);
    }
    for (; i + kLanes <= g.L; i += kLanes) {
      const Lanes gv = load_lanes(pg + i);
      a1 += gv;
      a2 += gv * (load_lanes(px + i) - mv);
    }
    for (; i < g.L; ++i) {
      const double gv = static_cast<double>(pg[i]);
      t1 += gv;
      t2 += gv * (static_cast<double>(px[i]) - mean);
    }
  }
  return fold_lanes(a1 + b1, a2 + b2, t1, t2);
}

// y = (x - mean) * scale + shift over batches [n0, n1) of channel c, in T (float or double).
template <typename T>
void affine_span(const T* x, T* y, const Geometry& g, int64_t c, int64_t n0, int64_t n1, T mean, T scale, T shift) {
  for (int64_t n = n0; n < n1; ++n) {
    const int64_t off = (n * g.C + c) * g.L;
    const T* px = x + off;
    T* py = y + off;
    for (int64_t i = 0; i < g.L; ++i) py[i] = (px[i] - mean) * scale + shift;
  }
}

// gx = gy * k + (x - mean) * m + d over batches [n0, n1) of channel c.
template <typename T>
void grad_input_span(const T* gy, const T* x, T* gx, const Geometry& g, int64_t c, int64_t n0, int64_t n1, T mean, T k,
                     T m, T d) {
  for (int64_t n = n0; n < n1; ++n) {
    const int64_t off = (n * g.C + c) * g.L;
    const T* pg = gy + off;
    const T* px = x + off;
    T* po = gx + off;
    for (int64_t i = 0; i < g.L; ++i) po[i] = pg[i] * k + (px[i] - mean) * m + d;
  }
}

// The batch statistics of one channel from its per-block sums.
struct ChannelStats {
  double mean, var, invstd;
};

ChannelStats finish_stats(const Sums* block_sums, int64_t blocks, double shift, double count, double eps) {
  double s1 = 0.0, s2 = 0.0;
  for (int64_t b = 0; b < blocks; ++b) s1 += block_sums[b].s1, s2 += block_sums[b].s2;
  const double m = s1 / count;
  double var = s2 / count - m * m;
  if (var < 0.0) var = 0.0;  // rounding; NaN stays NaN
  return {shift + m, var, 1.0 / std::sqrt(var + eps)};
}

// The schedule forward and backward share: per-task sums (sum_fn(c, n0, n1) over images
// [n0, n1) of channel c), the per-channel combine (finish(c), in block order), then the
// elementwise pass (apply(c, n0, n1)). With one block per channel a task does all three
// while its channel is cache-hot.
template <typename SumFn, typename Finish, typename Apply>
void two_pass(const Geometry& g, std::vector<Sums>& sums, SumFn sum_fn, Finish finish, Apply apply) {
  const int64_t total = g.N * g.C * g.L;
  if (g.blocks == 1) {
    for_tasks(g.C, total, [&](int64_t c) {
      sums[c] = sum_fn(c, 0, g.N);
      finish(c);
      apply(c, 0, g.N);
    });
    return;
  }
  auto range = [&](int64_t t, int64_t& c, int64_t& n0, int64_t& n1) {
    c = t / g.blocks;
    n0 = g.block_begin(t % g.blocks), n1 = g.block_begin(t % g.blocks + 1);
  };
  for_tasks(g.tasks(), total, [&](int64_t t) {
    int64_t c, n0, n1;
    range(t, c, n0, n1);
    sums[t] = sum_fn(c, n0, n1);
  });
  for (int64_t c = 0; c < g.C; ++c) finish(c);
  for_tasks(g.tasks(), total, [&](int64_t t) {
    int64_t c, n0, n1;
    range(t, c, n0, n1);
    apply(c, n0, n1);
  });
}

// Forward with batch statistics for T in {float, double} (contiguous x and y).
template <typename T>
void forward_train_typed(const T* x, T* y, const Geometry& g, const std::vector<double>& w,
                         const std::vector<double>& b, double eps, std::vector<double>& mean, std::vector<double>& var,
                         std::vector<double>& invstd) {
  const double count = static_cast<double>(g.count());
  std::vector<Sums> sums(static_cast<size_t>(g.tasks()));
  auto shift_of = [&](int64_t c) { return static_cast<double>(x[c * g.L]); };
  auto finish = [&](int64_t c) {
    const ChannelStats s = finish_stats(&sums[c * g.blocks], g.blocks, shift_of(c), count, eps);
    mean[c] = s.mean, var[c] = s.var, invstd[c] = s.invstd;
  };
  auto apply = [&](int64_t c, int64_t n0, int64_t n1) {
    affine_span<T>(x, y, g, c, n0, n1, static_cast<T>(mean[c]), static_cast<T>(invstd[c] * w[c]), static_cast<T>(b[c]));
  };
  two_pass(
      g, sums, [&](int64_t c, int64_t n0, int64_t n1) { return moment_sums(x, g, c, n0, n1, shift_of(c)); }, finish,
      apply);
}

// Backward for T in {float, double}; gx may be null (only the parameter gradients wanted).
template <typename T>
void backward_typed(const T* gy, const T* x, T* gx, const Geometry& g, const std::vector<double>& w,
                    const std::vector<double>& mean, const std::vector<double>& invstd, std::vector<double>& sum_g,
                    std::vector<double>& sum_gc) {
  const double count = static_cast<double>(g.count());
  std::vector<Sums> sums(static_cast<size_t>(g.tasks()));
  // Saved mean rounded to T, as the forward used it.
  auto mean_t = [&](int64_t c) { return static_cast<double>(static_cast<T>(mean[c])); };
  auto finish = [&](int64_t c) {
    double sg = 0.0, sgc = 0.0;
    for (int64_t b = 0; b < g.blocks; ++b) sg += sums[c * g.blocks + b].s1, sgc += sums[c * g.blocks + b].s2;
    sum_g[c] = sg, sum_gc[c] = sgc;
  };
  auto apply = [&](int64_t c, int64_t n0, int64_t n1) {
    if (!gx) return;
    const double k = w[c] * invstd[c];
    const double m = -k * invstd[c] * invstd[c] * sum_gc[c] / count;
    const double d = -k * sum_g[c] / count;
    grad_input_span<T>(gy, x, gx, g, c, n0, n1, static_cast<T>(mean[c]), static_cast<T>(k), static_cast<T>(m),
                       static_cast<T>(d));
  };
  two_pass(
      g, sums, [&](int64_t c, int64_t n0, int64_t n1) { return grad_sums(gy, x, g, c, n0, n1, mean_t(c)); }, finish,
      apply);
}

// The dtype the loops run in: double for f64, float for everything else.
DType compute_dtype(DType t) { return t == kFloat64 ? kFloat64 : kFloat32; }

void check_floating(const Tensor& t, const char* op) {
  SEEK_CHECK_DTYPE(is_floating(t.dtype()), op, ": expected a floating input, got ", dtype_name(t.dtype()));
}

void check_out(const Tensor& out, const Tensor& input, const char* op) {
  SEEK_CHECK_SHAPE(out.sizes() == input.sizes(), op, ": out must have shape ", shape_str(input.sizes()), ", got shape ",
                   shape_str(out.sizes()));
  SEEK_CHECK_DTYPE(out.dtype() == input.dtype(), op, ": out must have dtype ", dtype_name(input.dtype()), ", got ",
                   dtype_name(out.dtype()));
}

// Runs f(T*) on `out`, through a contiguous f32/f64 buffer when out is f16/bf16 or not contiguous (a
// channels_last out: the loops index [N, C, L]).
template <typename T, typename F>
void write_through(const Tensor& out, CpuBackend& be, F f) {
  if (out.dtype() == dtype_of<T>::value && out.is_contiguous()) {
    f(out.data_ptr<T>());
    return;
  }
  Tensor tmp = empty(out.sizes(), TensorOptions(dtype_of<T>::value));
  f(tmp.data_ptr<T>());
  be.copy(tmp, out);
}

}  // namespace

void CpuBackend::batch_norm_forward_train(const Tensor& input, const Tensor& weight, const Tensor& bias, double eps,
                                          const Tensor& out, const Tensor& save_mean, const Tensor& save_invstd,
                                          const Tensor& save_var) {
  check_floating(input, "batch_norm");
  check_out(out, input, "batch_norm");
  const Geometry g = make_geometry(input, "batch_norm");
  SEEK_CHECK_VALUE(g.count() > 0, "batch_norm: expected at least one value per channel, got input of shape ",
                   shape_str(input.sizes()));
  const std::vector<double> w = channel_values(weight, g.C, 1.0, *this);
  const std::vector<double> b = channel_values(bias, g.C, 0.0, *this);
  std::vector<double> mean(g.C), var(g.C), invstd(g.C);
  const DType cdt = compute_dtype(input.dtype());
  Tensor x = contiguous_as(input, cdt, *this);
  if (cdt == kFloat64) {
    write_through<double>(out, *this, [&](double* y) {
      forward_train_typed<double>(x.data_ptr<double>(), y, g, w, b, eps, mean, var, invstd);
    });
  } else {
    write_through<float>(out, *this, [&](float* y) {
      forward_train_typed<float>(x.data_ptr<float>(), y, g, w, b, eps, mean, var, invstd);
    });
  }
  store_channel_values(mean, save_mean, *this);
  store_channel_values(invstd, save_invstd, *this);
  store_channel_values(var, save_var, *this);
}

void CpuBackend::batch_norm_backward(const Tensor& grad_out, const Tensor& input, const Tensor& weight,
                                     const Tensor& save_mean, const Tensor& save_invstd, const Tensor& grad_input,
                                     const Tensor& grad_weight, const Tensor& grad_bias) {
  check_floating(input, "batch_norm_backward");
  SEEK_CHECK_SHAPE(grad_out.sizes() == input.sizes(), "batch_norm_backward: grad_out has shape ",
                   shape_str(grad_out.sizes()), " but the input has shape ", shape_str(input.sizes()));
  if (grad_input.defined()) check_out(grad_input, input, "batch_norm_backward");
  const Geometry g = make_geometry(input, "batch_norm_backward");
  const std::vector<double> w = channel_values(weight, g.C, 1.0, *this);
  const std::vector<double> mean = channel_values(save_mean, g.C, 0.0, *this);
  const std::vector<double> invstd = channel_values(save_invstd, g.C, 1.0, *this);
  std::vector<double> sum_g(g.C), sum_gc(g.C);
  const DType cdt = compute_dtype(input.dtype());
  Tensor x = contiguous_as(input, cdt, *this), gy = contiguous_as(grad_out, cdt, *this);
  auto run = [&](auto* gx) {
    using T = std::remove_pointer_t<decltype(gx)>;
    backward_typed<T>(gy.data_ptr<T>(), x.data_ptr<T>(), gx, g, w, mean, invstd, sum_g, sum_gc);
  };
  if (grad_input.defined()) {
    if (cdt == kFloat64)
      write_through<double>(grad_input, *this, run);
    else
      write_through<float>(grad_input, *this, run);
  } else {
    if (cdt == kFloat64)
      run(static_cast<double*>(nullptr));
    else
      run(static_cast<float*>(nullptr));
  }
  if (grad_weight.defined()) {
    std::vector<double> gw(g.C);
    for (int64_t c = 0; c < g.C; ++c) gw[c] = sum_gc[c] * invstd[c];
    store_channel_values(gw, grad_weight, *this);
  }
  store_channel_values(sum_g, grad_bias, *this);
}

void CpuBackend::batch_norm_forward_eval(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                                         const Tensor& weight, const Tensor& bias, double eps, const Tensor& out) {
  check_floating(input, "batch_norm");
  check_out(out, input, "batch_norm");
  Geometry g = make_geometry(input, "batch_norm");
  g.blocks = 1;  // no reduction: every (n, c) span is independent
  const std::vector<double> w = channel_values(weight, g.C, 1.0, *this);
  const std::vector<double> b = channel_values(bias, g.C, 0.0, *this);
  const std::vector<double> rm = channel_values(running_mean, g.C, 0.0, *this);
  const std::vector<double> rv = channel_values(running_var, g.C, 1.0, *this);
  const DType cdt = compute_dtype(input.dtype());
  Tensor x = contiguous_as(input, cdt, *this);
  auto run = [&](auto* y) {
    using T = std::remove_pointer_t<decltype(y)>;
    const T* px = x.data_ptr<T>();
    for_tasks(g.N * g.C, g.N * g.C * g.L, [&](int64_t t) {
      const int64_t n = t / g.C, c = t % g.C;
      affine_span<T>(px, y, g, c, n, n + 1, static_cast<T>(rm[c]), static_cast<T>(w[c] / std::sqrt(rv[c] + eps)),
                     static_cast<T>(b[c]));
    });
  };
  if (cdt == kFloat64)
    write_through<double>(out, *this, run);
  else
    write_through<float>(out, *this, run);
}

}  // namespace seek::cpu

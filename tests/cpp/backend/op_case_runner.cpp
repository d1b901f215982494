// Runs the op cases of op_case.h: the recording proxy backend that finds which families a
// case needs, the three runs (CPU reference, CPU float64, device) and their comparison.
// Trick: the proxy replaces the CPU entry of the backend registry only while the
// reference runs, so the ops, autograd and the CPU backend run unchanged beneath it.
#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>
#include <sstream>

#include "backend/op_case.h"
#include "seek/autograd/engine.h"
#include "support/test_util.h"

namespace seek::backend_test {

namespace {

// Forwards every entry to the real CPU backend, noting (family, dtype) on the way.
class RecordingBackend final : public Backend {
 public:
  RecordingBackend(Backend& inner, FamilyUse& used) : inner_(inner), used_(used) {}
  DeviceType type() const override { return inner_.type(); }
  bool supports(BackendFamily f, DType d) const override { return inner_.supports(f, d); }

  void copy(const Tensor& s, const Tensor& d) override { note(BackendFamily::Copy, d), inner_.copy(s, d); }
  void fill(const Tensor& o, Scalar v) override { note(BackendFamily::Copy, o), inner_.fill(o, v); }
  void unary(UnaryOp op, const Tensor& i, const Tensor& o, const UnaryParams& p) override {
    note(BackendFamily::Unary, i), inner_.unary(op, i, o, p);
  }
  void binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& o) override {
    note(BackendFamily::Binary, a), inner_.binary(op, a, b, o);
  }
  void ternary(TernaryOp op, const Tensor& a, const Tensor& b, const Tensor& c, const Tensor& o,
               const TernaryParams& p) override {
    note(BackendFamily::Ternary, b), inner_.ternary(op, a, b, c, o, p);
  }
  void reduce(ReduceOp op, const Tensor& i, const std::vector<int64_t>& dims, const Tensor& o,
              const ReduceParams& p) override {
    note(BackendFamily::Reduce, i), inner_.reduce(op, i, dims, o, p);
  }
  void arg_reduce(bool mx, const Tensor& i, int64_t dim, const Tensor& v, const Tensor& ix) override {
    note(BackendFamily::ArgReduce, i), inner_.arg_reduce(mx, i, dim, v, ix);
  }
  void cumsum(const Tensor& i, int64_t dim, const Tensor& o) override {
    note(BackendFamily::Cumsum, i), inner_.cumsum(i, dim, o);
  }
  void softmax(const Tensor& i, int64_t dim, bool log, const Tensor& o) override {
    note(BackendFamily::Softmax, i), inner_.softmax(i, dim, log, o);
  }
  void softmax_backward(const Tensor& g, const Tensor& o, int64_t dim, bool log, const Tensor& gi) override {
    note(BackendFamily::Softmax, g), inner_.softmax_backward(g, o, dim, log, gi);
  }
  void cross_entropy_forward(const Tensor& x, const Tensor& t, const Tensor& w, int64_t dim,
                             const CrossEntropyParams& p, const Tensor& loss, const Tensor& lse,
                             const Tensor& wt) override {
    note(BackendFamily::Softmax, x), inner_.cross_entropy_forward(x, t, w, dim, p, loss, lse, wt);
  }
  void cross_entropy_backward(const Tensor& g, const Tensor& x, const Tensor& t, const Tensor& w, const Tensor& lse,
                              int64_t dim, const CrossEntropyParams& p, const Tensor& gx) override {
    note(BackendFamily::Softmax, x), inner_.cross_entropy_backward(g, x, t, w, lse, dim, p, gx);
  }
  void gemm(const Tensor& a, const Tensor& b, const Tensor& o, double alpha, double beta) override {
    note(BackendFamily::Gemm, a), inner_.gemm(a, b, o, alpha, beta);
  }
  void conv2d_forward(const Tensor& i, const Tensor& w, const Tensor& b, const Conv2dParams& p,
                      const Tensor& o) override {
    note(BackendFamily::Conv, i), inner_.conv2d_forward(i, w, b, p, o);
  }
  void conv2d_backward(const Tensor& go, const Tensor& i, const Tensor& w, const Conv2dParams& p, const Tensor& gi,
                       const Tensor& gw, const Tensor& gb) override {
    note(BackendFamily::Conv, go), inner_.conv2d_backward(go, i, w, p, gi, gw, gb);
  }
  void max_pool2d_forward(const Tensor& i, const PoolParams& p, const Tensor& o, const Tensor& ix) override {
    note(BackendFamily::Pool, i), inner_.max_pool2d_forward(i, p, o, ix);
  }
  void max_pool2d_backward(const Tensor& go, const Tensor& ix, const Tensor& gi) override {
    note(BackendFamily::Pool, go), inner_.max_pool2d_backward(go, ix, gi);
  }
  void avg_pool2d_forward(const Tensor& i, const PoolParams& p, const Tensor& o) override {
    note(BackendFamily::Pool, i), inner_.avg_pool2d_forward(i, p, o);
  }
  void avg_pool2d_backward(const Tensor& go, const PoolParams& p, const Tensor& gi) override {
    note(BackendFamily::Pool, go), inner_.avg_pool2d_backward(go, p, gi);
  }
  void adaptive_avg_pool2d_forward(const Tensor& i, const Tensor& o) override {
    note(BackendFamily::Pool, i), inner_.adaptive_avg_pool2d_forward(i, o);
  }
  void adaptive_avg_pool2d_backward(const Tensor& go, const Tensor& gi) override {
    note(BackendFamily::Pool, go), inner_.adaptive_avg_pool2d_backward(go, gi);
  }
  void batch_norm_forward_train(const Tensor& i, const Tensor& w, const Tensor& b, double eps, const Tensor& o,
                                const Tensor& sm, const Tensor& si, const Tensor& sv) override {
    note(BackendFamily::Norm, i), inner_.batch_norm_forward_train(i, w, b, eps, o, sm, si, sv);
  }
  void batch_norm_backward(const Tensor& go, const Tensor& i, const Tensor& w, const Tensor& sm, const Tensor& si,
                           const Tensor& gi, const Tensor& gw, const Tensor& gb) override {
    note(BackendFamily::Norm, i), inner_.batch_norm_backward(go, i, w, sm, si, gi, gw, gb);
  }
  void batch_norm_forward_eval(const Tensor& i, const Tensor& rm, const Tensor& rv, const Tensor& w, const Tensor& b,
                               double eps, const Tensor& o) override {
    note(BackendFamily::Norm, i), inner_.batch_norm_forward_eval(i, rm, rv, w, b, eps, o);
  }
  void gather(const Tensor& i, int64_t dim, const Tensor& ix, const Tensor& o) override {
    note(BackendFamily::Index, i), inner_.gather(i, dim, ix, o);
  }
  void scatter(ScatterMode m, const Tensor& o, int64_t dim, const Tensor& ix, const Tensor& s, Scalar v) override {
    note(BackendFamily::Index, o), inner_.scatter(m, o, dim, ix, s, v);
  }
  void index_select(const Tensor& i, int64_t dim, const Tensor& ix, const Tensor& o) override {
    note(BackendFamily::Index, i), inner_.index_select(i, dim, ix, o);
  }
  void index_add(const Tensor& o, int64_t dim, const Tensor& ix, const Tensor& s, Scalar a) override {
    note(BackendFamily::Index, o), inner_.index_add(o, dim, ix, s, a);
  }
  void sort(const Tensor& i, int64_t dim, bool desc, bool stable, const Tensor& v, const Tensor& ix) override {
    note(BackendFamily::Sort, i), inner_.sort(i, dim, desc, stable, v, ix);
  }
  void topk(const Tensor& i, int64_t k, int64_t dim, bool largest, bool sorted, const Tensor& v,
            const Tensor& ix) override {
    note(BackendFamily::Sort, i), inner_.topk(i, k, dim, largest, sorted, v, ix);
  }
  void random(RandomOp op, const Tensor& o, uint64_t seed, uint64_t off, double a, double b) override {
    note(BackendFamily::Random, o), inner_.random(op, o, seed, off, a, b);
  }
  void copy_non_blocking(const Tensor& s, const Tensor& d) override {
    note(BackendFamily::Copy, d), inner_.copy_non_blocking(s, d);
  }
  void gemm_epilogue(GemmEpilogue ep, const Tensor& a, const Tensor& b, const Tensor& bias, const Tensor& o,
                     const Tensor& aux) override {
    note(BackendFamily::Gemm, a), inner_.gemm_epilogue(ep, a, b, bias, o, aux);
  }
  void lsh_attention_forward(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& qo, const Tensor& ko,
                             const Tensor& kp, const LshAttentionParams& p, const Tensor& o,
                             const Tensor& lse) override {
    note(BackendFamily::Attention, q), inner_.lsh_attention_forward(q, k, v, qo, ko, kp, p, o, lse);
  }
  void lsh_attention_backward(const Tensor& g, const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& qo,
                              const Tensor& ko, const Tensor& kp, const Tensor& o, const Tensor& lse,
                              const LshAttentionParams& p, const Tensor& gq, const Tensor& gk,
                              const Tensor& gv) override {
    note(BackendFamily::Attention, q), inner_.lsh_attention_backward(g, q, k, v, qo, ko, kp, o, lse, p, gq, gk, gv);
  }
  void optim(OptimOp op, const OptimArgs& args) override {
    used_.insert({BackendFamily::Optim, args.params.empty() ? kFloat32 : args.params[0].dtype()});
    inner_.optim(op, args);
  }

 private:
  void note(BackendFamily f, const Tensor& t) { used_.insert({f, t.dtype()}); }
  Backend& inner_;
  FamilyUse& used_;
};

// Puts the real CPU backend back even when the recorded code throws.
struct ProxyGuard {
  Backend& cpu;
  ~ProxyGuard() { register_backend(DeviceType::CPU, &cpu); }
};

uint64_t seed_of(const std::string& s) { return std::hash<std::string>{}(s)&0xFFFFFFFFull; }

// A shuffled ramp of distinct multiples of 1/4 (none zero), exact in f16 and bf16 up to 1024 values.
Tensor distinct_f64(const Shape& shape, uint64_t seed) {
  const int64_t n = shape_numel(shape);
  SEEK_CHECK(n <= 1024, "distinct input of ", n, " values: at most 1024 stay exact in bfloat16");
  std::vector<double> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = static_cast<double>(i - n / 2 + (i >= n / 2)) / 4.0;
  const std::vector<double> keys = testing::uniform_values(v.size(), 0.0, 1.0, seed);
  std::vector<size_t> order(v.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return keys[a] < keys[b]; });
  std::vector<double> shuffled(v.size());
  for (size_t i = 0; i < v.size(); ++i) shuffled[i] = v[order[i]];
  return tensor<double>(shuffled, shape);
}

// The input values of a case, as CPU tensors: floats already rounded to `dtype` (so that every
// run sees the same numbers), indices int64, masks bool.
Tensors input_values(const OpCase& c, DType dtype) {
  Tensors values;
  const uint64_t base = seed_of(c.name);
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    const InputSpec& s = c.inputs[i];
    const uint64_t seed = base + 7919 * (i + 1);
    switch (s.kind) {
      case InputKind::Float:
      case InputKind::Constant: values.push_back(random_f64(s.shape, s.lo, s.hi, seed).to(dtype)); break;
      case InputKind::Distinct: values.push_back(distinct_f64(s.shape, seed).to(dtype)); break;
      case InputKind::Index:
        values.push_back(
            random_ints_f64(s.shape, static_cast<int64_t>(s.lo), static_cast<int64_t>(s.hi), seed).to(kInt64));
        break;
      case InputKind::Mask: {
        Tensor m = random_ints_f64(s.shape, 0, 1, seed);
        if (m.numel() >= 2) {  // both values present
          m.view({-1}).narrow(0, 0, 1).fill_(0);
          m.view({-1}).narrow(0, 1, 1).fill_(1);
        }
        values.push_back(m.to(kBool));
        break;
      }
    }
  }
  return values;
}

bool is_grad_input(const InputSpec& s) { return s.kind == InputKind::Float || s.kind == InputKind::Distinct; }

struct RunResult {
  Tensors outputs;
  Tensors grads;  // one per differentiable input (undefined when it got none)
};

// Runs the case on `device` in `dtype` (float inputs cast to it) with contiguous inputs, or
// in each input's layout; then backward with `grad_values` (CPU tensors, one per output that
// requires grad; when empty, random ones are made in the outputs' dtypes and kept there, so
// that the later runs use the same values).
RunResult run_once(const OpCase& c, const Tensors& values, Device device, DType dtype, bool layouts,
                   Tensors& grad_values) {
  Tensors inputs;
  std::vector<size_t> grad_inputs;
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    const InputSpec& s = c.inputs[i];
    const Layout layout = layouts ? s.layout : Layout::Contiguous;
    const bool floating = is_floating(values[i].dtype());
    if (c.backward && is_grad_input(s)) {
      inputs.push_back(leaf(values[i], dtype, device, layout));
      grad_inputs.push_back(i);
    } else {
      inputs.push_back(place(values[i], floating ? dtype : values[i].dtype(), device, layout));
    }
  }
  RunResult r;
  r.outputs = c.fn(inputs);
  if (!c.backward) return r;
  Tensors roots, root_grads;
  const bool make = grad_values.empty();
  size_t k = 0;
  for (size_t o = 0; o < r.outputs.size(); ++o) {
    const Tensor& y = r.outputs[o];
    if (!y.defined() || !y.requires_grad()) continue;
    if (make) grad_values.push_back(random_f64(y.sizes(), -1.0, 1.0, seed_of(c.name) + 31 * (o + 1)).to(y.dtype()));
    SEEK_CHECK(k < grad_values.size(), c.name, ": output ", o, " requires grad in one run only");
    roots.push_back(y);
    root_grads.push_back(place(grad_values[k++], y.dtype(), device));
  }
  SEEK_CHECK(!roots.empty(), c.name, ": no output requires grad (set backward = false)");
  autograd::backward(roots, root_grads);
  for (size_t i : grad_inputs) r.grads.push_back(inputs[i].grad());
  return r;
}

double max_abs(const Tensor& t) {
  double m = 0.0;
  for (double x : to_vector<double>(to_f64(t)))
    if (std::isfinite(x)) m = std::max(m, std::fabs(x));
  return m;
}

Tolerance scaled(Tolerance t, double slack) { return {t.atol * slack, t.rtol * slack}; }

void compare(const Tensor& got, const Tensor& want, Tolerance tol, const OpCase& c, const std::string& what) {
  if (!want.defined()) {
    EXPECT_FALSE(got.defined()) << what << ": defined on the device only";
    return;
  }
  ASSERT_TRUE(got.defined()) << what << ": undefined on the device";
  if (!is_floating(want.dtype())) {
    expect_equal(got, want, what);
    return;
  }
  expect_close(got, want, scaled(tol, c.slack), what, c.rel_floor * max_abs(want));
}

}  // namespace

FamilyUse record_families(const std::function<void()>& fn) {
  FamilyUse used;
  Backend& cpu = backend(kCPU);
  RecordingBackend proxy(cpu, used);
  {
    ProxyGuard guard{cpu};
    register_backend(DeviceType::CPU, &proxy);
    fn();
  }
  return used;
}

std::vector<BackendFamily> missing_families(const FamilyUse& used, const Backend& b) {
  std::vector<BackendFamily> missing;
  for (const auto& [family, dtype] : used)
    if (!b.supports(family, dtype) && std::find(missing.begin(), missing.end(), family) == missing.end())
      missing.push_back(family);
  return missing;
}

CaseReport run_case(const OpCase& c, Device device, DType dtype, const Tamper& tamper) {
  CaseReport report;
  const std::string where = str(c.name, " on ", device_name(device), " in ", dtype_name(dtype));
  const Tensors values = input_values(c, dtype);
  Tensors grad_values;
  RunResult ref, exact, dev;
  report.used = record_families([&] { ref = run_once(c, values, kCPU, dtype, false, grad_values); });
  exact = run_once(c, values, kCPU, kFloat64, false, grad_values);

  // A case runs on the device whenever it can: an op may take another path there (batch norm
  // without the Norm family is composed of other ops). A DeviceError ("no kernel") is a skip
  // only when the device lacks a family the CPU run used; otherwise it is a failure.
  report.missing = missing_families(report.used, backend(device));
  try {
    dev = run_once(c, values, device, dtype, true, grad_values);
  } catch (const DeviceError& e) {
    if (!report.missing.empty()) {
      report.outcome = CaseOutcome::Skipped;
      return report;
    }
    ADD_FAILURE() << where
                  << ": threw on the device although its backend has every family the CPU run used: " << e.what();
    return report;
  } catch (const std::exception& e) {
    ADD_FAILURE() << where << ": threw on the device: " << e.what();
    return report;
  }
  if (tamper) tamper(dev.outputs, dev.grads);

  EXPECT_EQ(dev.outputs.size(), ref.outputs.size()) << where;
  for (size_t o = 0; o < std::min(dev.outputs.size(), ref.outputs.size()); ++o) {
    const Tensor& got = dev.outputs[o];
    if (got.defined() && ref.outputs[o].defined()) {
      EXPECT_EQ(got.dtype(), ref.outputs[o].dtype()) << where << ": output " << o;
      EXPECT_EQ(got.device(), device) << where << ": output " << o;
    }
    compare(got, ref.outputs[o], tolerance(dtype), c, str(where, ": output ", o, " vs the CPU"));
    compare(got, exact.outputs[o], loose_tolerance(dtype), c, str(where, ": output ", o, " vs float64"));
  }
  EXPECT_EQ(dev.grads.size(), ref.grads.size()) << where;
  for (size_t g = 0; g < std::min(dev.grads.size(), ref.grads.size()); ++g) {
    compare(dev.grads[g], ref.grads[g], loose_tolerance(dtype), c,
            str(where, ": gradient of input ", g, " vs the CPU"));
    compare(dev.grads[g], exact.grads[g], loose_tolerance(dtype), c,
            str(where, ": gradient of input ", g, " vs float64"));
  }
  return report;
}

std::map<std::string, Tally>& tallies() {
  static std::map<std::string, Tally> t;
  return t;
}

std::string summary_line(const std::string& key, const Tally& t) {
  std::ostringstream os;
  os << "[ops across devices] " << key << ": " << t.ran << " cases ran, " << t.skipped << " skipped";
  if (!t.missing.empty()) {
    os << " (cases per missing family:";
    for (const auto& [family, n] : t.missing) os << " " << family << " " << n;
    os << ")";
  }
  os << ", " << t.failed << " failed";
  return os.str();
}

}  // namespace seek::backend_test

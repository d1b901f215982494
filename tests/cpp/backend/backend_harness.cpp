// The device-parameterised harness (backend_harness.h): parameters, inputs in
// several layouts, sentinel-guarded outputs and the f64 comparison.
#include "backend/backend_harness.h"

#include <algorithm>
#include <sstream>

#include "support/test_util.h"

namespace seek::backend_test {

std::vector<DeviceDType> device_dtype_params(const std::vector<DType>& dtypes) {
  std::vector<DeviceDType> params;
  for (DeviceType type : registered_backends())
    for (DType dt : dtypes) params.push_back({Device(type, 0), dt});
  return params;
}

std::string device_name(Device d) { return d.is_cpu() ? "cpu" : d.is_cuda() ? "cuda" : "device"; }

void PrintTo(const DeviceDType& p, std::ostream* os) { *os << device_name(p.device) << " " << dtype_name(p.dtype); }

std::string param_name(const ::testing::TestParamInfo<DeviceDType>& info) {
  return device_name(info.param.device) + "_" + dtype_name(info.param.dtype);
}

std::string str_of(const Shape& s) { return shape_str(s); }

Tolerance tolerance(DType dt) {
  switch (dt) {
    case kFloat64: return {1e-12, 1e-12};
    case kFloat32: return {1e-6, 1e-5};
    case kFloat16: return {1e-3, 1e-2};
    case kBFloat16: return {1e-2, 1e-2};
    default: return {0.0, 0.0};
  }
}

Tolerance loose_tolerance(DType dt) {
  switch (dt) {
    case kFloat64: return {1e-10, 1e-10};
    case kFloat32: return {1e-5, 1e-4};
    case kFloat16: return {1e-2, 2e-2};
    case kBFloat16: return {3e-2, 4e-2};
    default: return {0.0, 0.0};
  }
}

namespace {
bool same_value(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }
}  // namespace

void expect_close(const Tensor& got, const Tensor& want, Tolerance tol, const std::string& what, double scale) {
  ASSERT_EQ(got.sizes(), want.sizes()) << what;
  const std::vector<double> g = to_vector<double>(to_f64(got)), w = to_vector<double>(to_f64(want));
  int failures = 0;
  for (size_t i = 0; i < g.size() && failures < 5; ++i) {
    if (same_value(g[i], w[i])) continue;
    const bool ok = std::isfinite(w[i]) && std::isfinite(g[i]) &&
                    std::fabs(g[i] - w[i]) <= tol.atol + tol.rtol * std::max(std::fabs(w[i]), scale);
    if (!ok) {
      ++failures;
      ADD_FAILURE() << what << ": element " << i << " of " << str_of(got.sizes()) << " is " << g[i] << ", want " << w[i]
                    << " (atol " << tol.atol << ", rtol " << tol.rtol << ")";
    }
  }
}

void expect_equal(const Tensor& got, const Tensor& want, const std::string& what) {
  expect_close(got, want, {0.0, 0.0}, what);
}

Tensor random_f64(const Shape& shape, double lo, double hi, uint64_t seed, bool away_from_zero) {
  std::vector<double> v = testing::uniform_values(static_cast<size_t>(shape_numel(shape)), lo, hi, seed);
  if (away_from_zero) {
    const double floor = 0.1 * std::max(std::fabs(lo), std::fabs(hi));
    for (double& x : v)
      if (std::fabs(x) < floor) x = (x < 0 || hi <= floor) ? std::max(lo, -floor) : floor;
  }
  return tensor<double>(v, shape);
}

Tensor random_ints_f64(const Shape& shape, int64_t lo, int64_t hi, uint64_t seed) {
  std::vector<double> v = testing::uniform_values(static_cast<size_t>(shape_numel(shape)), 0.0, 1.0, seed);
  for (double& x : v) x = static_cast<double>(lo + static_cast<int64_t>(x * static_cast<double>(hi - lo + 1)));
  return tensor<double>(v, shape);
}

const char* layout_name(Layout l) {
  switch (l) {
    case Layout::Contiguous: return "contiguous";
    case Layout::Transposed: return "transposed";
    case Layout::Stepped: return "stepped";
  }
  return "?";
}

namespace {
// A value the gaps of a stepped input hold: large, so that reading one shows.
Scalar junk_value(DType dt) {
  if (dt == kBool) return true;
  if (is_floating(dt)) return -1000.0;
  return 99;
}
}  // namespace

Tensor place(const Tensor& values, DType dtype, Device device, Layout layout) {
  const Tensor v = values.detach().to(dtype);
  if (layout == Layout::Transposed && v.dim() < 2) layout = Layout::Stepped;
  if (v.dim() == 0) layout = Layout::Contiguous;
  switch (layout) {
    case Layout::Contiguous: return v.contiguous().to(device);
    case Layout::Transposed: return v.transpose(-1, -2).contiguous().to(device).transpose(-1, -2);
    case Layout::Stepped: {
      Shape wide = v.sizes();
      const int64_t n = wide.back();
      wide.back() = 2 * n + 1;
      Tensor buf = full(wide, junk_value(dtype), TensorOptions(dtype));
      buf.slice(-1, 1, 2 * n + 1, 2).copy_(v);
      return buf.to(device).slice(-1, 1, 2 * n + 1, 2);
    }
  }
  return Tensor();
}

Tensor to_f64(const Tensor& t) { return t.detach().cpu().to(kFloat64).contiguous(); }

Tensor leaf(const Tensor& values, DType dtype, Device device, Layout layout) {
  Tensor t = place(values, dtype, device, layout);
  t.requires_grad_();
  return t;
}

namespace {
constexpr int64_t kPad = 5;

// out's strides inside the buffer: contiguous, or every other element of the last dim.
std::vector<int64_t> guarded_strides(const Shape& shape, bool contiguous, int64_t& span) {
  std::vector<int64_t> strides(shape.size());
  int64_t s = contiguous ? 1 : 2;
  for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
    strides[d] = s;
    s *= std::max<int64_t>(shape[d], 1);
  }
  span = s;
  return strides;
}
}  // namespace

namespace {
GuardedOutput make_guarded(const Shape& shape, const Tensor& init, DType dtype, Device device, bool contiguous) {
  int64_t span = 0;
  const std::vector<int64_t> strides = guarded_strides(shape, contiguous, span);
  const Scalar sentinel = dtype == kBool ? Scalar(true) : Scalar(77);
  Tensor host = full({kPad + span + kPad}, sentinel, TensorOptions(dtype));
  if (init.defined()) host.as_strided(shape, strides, kPad).copy_(init.detach().to(dtype));

  GuardedOutput g;
  g.before = to_vector<double>(host.to(kFloat64));
  g.covered.assign(g.before.size(), false);
  std::vector<int64_t> idx(shape.size(), 0);
  for (int64_t i = 0; i < shape_numel(shape); ++i) {
    int64_t off = kPad;
    for (size_t d = 0; d < shape.size(); ++d) off += idx[d] * strides[d];
    g.covered[static_cast<size_t>(off)] = true;
    for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  g.buffer = host.to(device);
  g.out = g.buffer.as_strided(shape, strides, kPad);
  return g;
}

}  // namespace

GuardedOutput guarded_like(const Tensor& init, DType dtype, Device device, bool contiguous) {
  return make_guarded(init.sizes(), init, dtype, device, contiguous);
}

GuardedOutput guarded_empty(const Shape& shape, DType dtype, Device device, bool contiguous) {
  return make_guarded(shape, Tensor(), dtype, device, contiguous);
}

void expect_sentinels_intact(const GuardedOutput& g, const std::string& what) {
  const std::vector<double> after = to_vector<double>(to_f64(g.buffer));
  int failures = 0;
  for (size_t i = 0; i < after.size() && failures < 3; ++i) {
    if (g.covered[i] || same_value(after[i], g.before[i])) continue;
    ++failures;
    ADD_FAILURE() << what << ": wrote outside its output (buffer element " << i << " is " << after[i]
                  << ", was the sentinel " << g.before[i] << ")";
  }
}

std::vector<Tensor> grads_of(const Tensor& y, const Tensor& grad_out, const std::vector<Tensor>& inputs) {
  y.backward(grad_out);
  std::vector<Tensor> grads;
  for (const Tensor& t : inputs) grads.push_back(t.grad());
  return grads;
}

}  // namespace seek::backend_test

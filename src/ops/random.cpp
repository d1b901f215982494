// Random family: argument checks, generator choice and offset reservation; the
// per-element draw is the backend's random() (see seek/core/generator.h for the
// stream every backend implements).
#include "seek/ops/random.h"

#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include "ops/op_utils.h"
#include "seek/autograd/function.h"
#include "seek/ops/creation.h"

namespace seek {

using namespace ops_detail;
using autograd::variable_list;

namespace {

// randint's bounds reach the backend as doubles, which hold the integers up to 2^53 exactly.
constexpr int64_t kTwo53 = int64_t{1} << 53;

Generator& pick_generator(Generator* gen, Device device, const char* op) {
  if (!gen) return default_generator(device);
  if (gen->device().type != device.type) {
    throw DeviceError(
        str(op, ": expected a generator for device ", device.str(), ", but got one for ", gen->device().str()));
  }
  return *gen;
}

// Fills `out` (any strides) with n fresh elements of the stream.
void draw(RandomOp op, const Tensor& out, double a, double b, Generator* gen, const char* name) {
  Generator& g = pick_generator(gen, out.device(), name);
  Backend& be = backend(out.device());  // before reserving, so a missing backend consumes no blocks
  GeneratorState s = g.reserve(static_cast<uint64_t>(out.numel()));
  be.random(op, out, s.seed, s.offset, a, b);
}

void check_floating_dtype(DType dt, const char* op) {
  SEEK_CHECK_DTYPE(is_floating(dt), op, ": expected a floating dtype (float32, float64, float16, bfloat16), got ", dt);
}

void check_probability(double p, const char* op) {
  SEEK_CHECK_VALUE(p >= 0.0 && p <= 1.0, op, ": expected a probability 0 <= p <= 1, got p=", p);
}

// The integers a dtype holds exactly: [lo, hi].
void exact_int_range(DType dt, int64_t& lo, int64_t& hi) {
  switch (dt) {
    case kBool:
      lo = 0;
      hi = 1;
      return;
    case kUInt8:
      lo = 0;
      hi = 255;
      return;
    case kInt8:
      lo = -128;
      hi = 127;
      return;
    case kInt16:
      lo = std::numeric_limits<int16_t>::min();
      hi = std::numeric_limits<int16_t>::max();
      return;
    case kInt32:
      lo = std::numeric_limits<int32_t>::min();
      hi = std::numeric_limits<int32_t>::max();
      return;
    case kInt64:
      lo = std::numeric_limits<int64_t>::min();
      hi = std::numeric_limits<int64_t>::max();
      return;
    case kFloat16:
      lo = -(int64_t{1} << 11);
      hi = int64_t{1} << 11;
      return;
    case kBFloat16:
      lo = -(int64_t{1} << 8);
      hi = int64_t{1} << 8;
      return;
    case kFloat32:
      lo = -(int64_t{1} << 24);
      hi = int64_t{1} << 24;
      return;
    case kFloat64:
      lo = -(int64_t{1} << 53);
      hi = int64_t{1} << 53;
      return;
  }
}

Tensor finish(Tensor t, const TensorOptions& options) {
  if (options.requires_grad_) t.requires_grad_(true);
  return t;
}

// An in-place fill: the old values do not matter, so under autograd the new
// history is a node whose gradient is zero.
Tensor& fill_inplace(Tensor& self, RandomOp op, double a, double b, Generator* gen, const char* name,
                     const char* node) {
  bool record = autograd::check_inplace(self, {}, name);
  draw(op, self, a, b, gen, name);
  self.bump_version();
  if (record) {
    autograd::record(node, {self}, {self},
                     [](const variable_list& g, const std::vector<bool>&) { return variable_list{zeros_like(g[0])}; });
    autograd::rebase_history(self);
  }
  return self;
}

}  // namespace

// ---- factories ----
Tensor rand(const Shape& shape, TensorOptions options, Generator* generator) {
  check_floating_dtype(options.dtype_, "rand");
  Tensor out = alloc(shape, options.dtype_, options.device_);
  draw(RandomOp::Uniform, out, 0.0, 1.0, generator, "rand");
  return finish(out, options);
}
Tensor rand(const Shape& shape, Generator* generator) { return rand(shape, TensorOptions(), generator); }

Tensor randn(const Shape& shape, TensorOptions options, Generator* generator) {
  check_floating_dtype(options.dtype_, "randn");
  Tensor out = alloc(shape, options.dtype_, options.device_);
  draw(RandomOp::Normal, out, 0.0, 1.0, generator, "randn");
  return finish(out, options);
}
Tensor randn(const Shape& shape, Generator* generator) { return randn(shape, TensorOptions(), generator); }

Tensor normal(double mean, double stddev, const Shape& shape, TensorOptions options, Generator* generator) {
  check_floating_dtype(options.dtype_, "normal");
  SEEK_CHECK_VALUE(stddev >= 0.0 && std::isfinite(stddev) && std::isfinite(mean),
                   "normal: expected a finite mean and std >= 0, got mean=", mean, " std=", stddev);
  Tensor out = alloc(shape, options.dtype_, options.device_);
  draw(RandomOp::Normal, out, mean, stddev, generator, "normal");
  return finish(out, options);
}

Tensor randint(int64_t low, int64_t high, const Shape& shape, TensorOptions options, Generator* generator) {
  SEEK_CHECK_VALUE(low < high, "randint: expected low < high, got low=", low, " high=", high);
  SEEK_CHECK_VALUE(low >= -kTwo53 && high <= kTwo53, "randint: low and high must lie in [-2^53, 2^53], got low=", low,
                   " high=", high);
  int64_t lo = 0, hi = 0;
  exact_int_range(options.dtype_, lo, hi);
  SEEK_CHECK_VALUE(low >= lo && high - 1 <= hi, "randint: the range [", low, ", ", high, ") does not fit dtype ",
                   options.dtype_, " (which holds the integers ", lo, " .. ", hi, ")");
  Tensor out = alloc(shape, options.dtype_, options.device_);
  draw(RandomOp::RandInt, out, static_cast<double>(low), static_cast<double>(high), generator, "randint");
  return finish(out, options);
}
Tensor randint(int64_t high, const Shape& shape, TensorOptions options, Generator* generator) {
  return randint(0, high, shape, options, generator);
}

Tensor bernoulli(const Shape& shape, double p, TensorOptions options, Generator* generator) {
  check_probability(p, "bernoulli");
  Tensor out = alloc(shape, options.dtype_, options.device_);
  draw(RandomOp::Bernoulli, out, p, 0.0, generator, "bernoulli");
  return finish(out, options);
}

Tensor bernoulli(const Tensor& probs, Generator* generator) {
  check_defined(probs, "bernoulli", "probs");
  check_floating(probs, "bernoulli");
  NoGradGuard no_grad;
  // Range check on the host (also catches NaN).
  for (double p : to_vector<double>(probs)) check_probability(p, "bernoulli");
  // u < p with the f64 uniform of each element, as the scalar-p draw does.
  Tensor u = alloc(probs.sizes(), kFloat64, probs.device());
  draw(RandomOp::Uniform, u, 0.0, 1.0, generator, "bernoulli");
  return u.lt(probs).to(probs.dtype());
}

// ---- *_like ----
namespace {
TensorOptions like(const Tensor& t, const char* op) {
  check_defined(t, op);
  return TensorOptions(t.dtype()).device(t.device());
}
}  // namespace

Tensor rand_like(const Tensor& t, Generator* generator) { return rand(t.sizes(), like(t, "rand_like"), generator); }
Tensor rand_like(const Tensor& t, TensorOptions options, Generator* generator) {
  check_defined(t, "rand_like");
  return rand(t.sizes(), options, generator);
}
Tensor randn_like(const Tensor& t, Generator* generator) { return randn(t.sizes(), like(t, "randn_like"), generator); }
Tensor randn_like(const Tensor& t, TensorOptions options, Generator* generator) {
  check_defined(t, "randn_like");
  return randn(t.sizes(), options, generator);
}
Tensor randint_like(const Tensor& t, int64_t high, Generator* generator) {
  return randint(0, high, t.sizes(), like(t, "randint_like"), generator);
}
Tensor randint_like(const Tensor& t, int64_t low, int64_t high, Generator* generator) {
  return randint(low, high, t.sizes(), like(t, "randint_like"), generator);
}

// ---- randperm ----
Tensor randperm(int64_t n, TensorOptions options, Generator* generator) {
  SEEK_CHECK_VALUE(n >= 0, "randperm: expected n >= 0, got n=", n);
  SEEK_CHECK_DTYPE(options.dtype_ != kBool,
                   "randperm: dtype bool cannot hold a permutation; use an integer or floating dtype");
  int64_t lo = 0, hi = 0;
  exact_int_range(options.dtype_, lo, hi);
  SEEK_CHECK_VALUE(n == 0 || n - 1 <= hi, "randperm: n=", n, " is too large for dtype ", options.dtype_,
                   " (which holds the integers up to ", hi, ")");
  Generator& g = pick_generator(generator, options.device_, "randperm");
  GeneratorState s = g.reserve(static_cast<uint64_t>(n));
  std::vector<int64_t> perm(static_cast<size_t>(n));
  std::iota(perm.begin(), perm.end(), int64_t{0});
  for (int64_t k = 0; k + 1 < n; ++k) {
    int64_t i = n - 1 - k;
    int64_t j =
        rng::randint(philox_block(s.seed, s.offset + static_cast<uint64_t>(k)), 0, static_cast<uint64_t>(i + 1));
    std::swap(perm[static_cast<size_t>(i)], perm[static_cast<size_t>(j)]);
  }
  Tensor out = tensor<int64_t>(perm, Shape{n}, TensorOptions(options.dtype_).device(options.device_));
  return finish(out, options);
}

// ---- in place ----
Tensor& uniform_(Tensor& t, double from, double to, Generator* generator) {
  check_defined(t, "uniform_", "self");
  check_floating_dtype(t.dtype(), "uniform_");
  SEEK_CHECK_VALUE(std::isfinite(from) && std::isfinite(to) && from <= to,
                   "uniform_: expected finite from <= to, got from=", from, " to=", to);
  return fill_inplace(t, RandomOp::Uniform, from, to, generator, "uniform_", "UniformBackward");
}

Tensor& normal_(Tensor& t, double mean, double stddev, Generator* generator) {
  check_defined(t, "normal_", "self");
  check_floating_dtype(t.dtype(), "normal_");
  SEEK_CHECK_VALUE(stddev >= 0.0 && std::isfinite(stddev) && std::isfinite(mean),
                   "normal_: expected a finite mean and std >= 0, got mean=", mean, " std=", stddev);
  return fill_inplace(t, RandomOp::Normal, mean, stddev, generator, "normal_", "NormalBackward");
}

Tensor& bernoulli_(Tensor& t, double p, Generator* generator) {
  check_defined(t, "bernoulli_", "self");
  check_probability(p, "bernoulli_");
  return fill_inplace(t, RandomOp::Bernoulli, p, 0.0, generator, "bernoulli_", "BernoulliBackward");
}

Tensor& Tensor::uniform_(double from, double to) { return seek::uniform_(*this, from, to); }
Tensor& Tensor::normal_(double mean, double stddev) { return seek::normal_(*this, mean, stddev); }
Tensor& Tensor::bernoulli_(double p) { return seek::bernoulli_(*this, p); }

}  // namespace seek

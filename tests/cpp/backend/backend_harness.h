#pragma once
// The device-parameterised harness of tests/cpp/backend: every test of a family
// runs once per (registered device, dtype), like candle's test_device! and
// ggml's test-backend-ops. Device results are compared with float64 math on the
// CPU: the inputs the device saw, promoted to f64, run through the CPU backend
// (or plain loops) in f64, at tolerances for the device dtype.
//
//   class UnaryTest : public seek::backend_test::DeviceTest {};
//   SEEK_DEVICE_TEST(UnaryTest, Forward) {
//     SEEK_REQUIRE_FAMILY(BackendFamily::Unary);   // GTEST_SKIP naming device, family, dtype
//     ...
//   }
//   SEEK_INSTANTIATE_ON_DEVICES(UnaryTest, kFloat64, kFloat32, kFloat16, kBFloat16);
//
// Inputs come in several layouts (contiguous, transposed, stepped with an
// offset, broadcast) with random values away from zero; outputs are views into
// the middle of a larger buffer filled with a sentinel, which must survive.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "seek/seek.h"

namespace seek::backend_test {

struct DeviceDType {
  Device device;
  DType dtype;
};

// Every registered device type (device index 0) crossed with `dtypes`.
std::vector<DeviceDType> device_dtype_params(const std::vector<DType>& dtypes);
// "cpu_float32", "cuda_bfloat16": the name of a parameter in test names.
std::string param_name(const ::testing::TestParamInfo<DeviceDType>& info);
std::string device_name(Device d);
// How gtest prints a parameter in failure messages ("cpu float32").
void PrintTo(const DeviceDType& p, std::ostream* os);

class DeviceTest : public ::testing::TestWithParam<DeviceDType> {
 protected:
  Device device() const { return GetParam().device; }
  DType dtype() const { return GetParam().dtype; }
  Backend& dev() const { return backend(device()); }
  bool supported(BackendFamily family) const { return dev().supports(family, dtype()); }
};

#define SEEK_DEVICE_TEST(Suite, Name) TEST_P(Suite, Name)

#define SEEK_INSTANTIATE_ON_DEVICES(Suite, ...)                                                           \
  INSTANTIATE_TEST_SUITE_P(Devices, Suite,                                                                \
                           ::testing::ValuesIn(::seek::backend_test::device_dtype_params({__VA_ARGS__})), \
                           ::seek::backend_test::param_name)

// Skips the test (reported, not failed) when the device lacks the family for the dtype.
#define SEEK_REQUIRE_FAMILY(family)                                                                         \
  do {                                                                                                      \
    if (!supported(family))                                                                                 \
      GTEST_SKIP() << "the " << ::seek::backend_test::device_name(device()) << " backend lacks the "        \
                   << ::seek::backend_family_name(family) << " family for " << ::seek::dtype_name(dtype()); \
  } while (0)

// ---- tolerances: |got - want| <= atol + rtol * max(|want|, scale) ----
struct Tolerance {
  double atol, rtol;
};
Tolerance tolerance(DType dt);
// A looser tolerance for results that pass through several roundings in dt (gradients, norms).
Tolerance loose_tolerance(DType dt);

// got (any device and dtype) against want (f64 on the CPU), elementwise. NaNs must match NaNs,
// infinities must be equal. `scale` raises the relative floor (sums of cancelling terms).
void expect_close(const Tensor& got, const Tensor& want, Tolerance tol, const std::string& what, double scale = 0.0);
// Exact equality after converting both to f64 (indices, bools, comparisons, sorts).
void expect_equal(const Tensor& got, const Tensor& want, const std::string& what);

// ---- inputs ----
// Values uniform in [lo, hi) as f64 on the CPU; with away_from_zero, magnitudes below 10% of
// max(|lo|, |hi|) are pushed out to that bound (a zero hides missing scale factors and kinks).
Tensor random_f64(const Shape& shape, double lo, double hi, uint64_t seed, bool away_from_zero = true);
// Small integers in [lo, hi] as f64 (comparisons and sorts need ties).
Tensor random_ints_f64(const Shape& shape, int64_t lo, int64_t hi, uint64_t seed);

enum class Layout {
  Contiguous,
  Transposed,  // the last two dims swapped in memory (1-D: stepped)
  Stepped,     // every other element of the last dim, from offset 1, garbage in the gaps
};
inline constexpr Layout kLayouts[] = {Layout::Contiguous, Layout::Transposed, Layout::Stepped};
const char* layout_name(Layout l);

// `values` (any dtype, CPU) as a tensor of `dtype` on `device`, stored in `layout`; only whole
// contiguous buffers cross devices, so the copy family's strided paths are not relied on.
Tensor place(const Tensor& values, DType dtype, Device device, Layout layout = Layout::Contiguous);
// What the device holds, as a contiguous f64 CPU tensor (the reference's input).
Tensor to_f64(const Tensor& t);

// ---- outputs guarded by sentinels ----
// `out` is a view of `shape` in the middle of `buffer`; every buffer element outside out's
// footprint holds a sentinel that no kernel may touch.
struct GuardedOutput {
  Tensor buffer;
  Tensor out;
  std::vector<double> before;  // buffer's values when made
  std::vector<bool> covered;   // buffer elements inside out's footprint
};
// contiguous = false gives a stepped view (stride 2 in the last dim) with sentinels in its gaps.
GuardedOutput guarded_empty(const Shape& shape, DType dtype, Device device, bool contiguous = true);
// Same, with out's elements set to `init` (for entries that read their output).
GuardedOutput guarded_like(const Tensor& init, DType dtype, Device device, bool contiguous = true);
void expect_sentinels_intact(const GuardedOutput& g, const std::string& what);

// Gradient of sum(y * grad_out) wrt each of `inputs`, as returned by autograd.
std::vector<Tensor> grads_of(const Tensor& y, const Tensor& grad_out, const std::vector<Tensor>& inputs);

// A fresh leaf holding `t`'s values in `dtype` on `device` (layout kept by `place`).
Tensor leaf(const Tensor& values, DType dtype, Device device, Layout layout = Layout::Contiguous);

std::string str_of(const Shape& s);

}  // namespace seek::backend_test

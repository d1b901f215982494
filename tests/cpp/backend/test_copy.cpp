// The memory family (copy and fill) on every device: casts from the parameter
// dtype to every dtype, between every pairing of input layout and output
// layout, within the device and across host and device, into sentinel-guarded
// outputs, against the CPU's conversion; fill of contiguous and stepped views.
// (Dense casts of many special values: test_cast_dense.cpp.)
#include "backend/backend_harness.h"

namespace seek::backend_test {
namespace {

class CopyTest : public DeviceTest {};

const DType kAllDTypes[] = {kFloat64, kFloat32, kFloat16, kBFloat16, kInt64, kInt32, kInt16, kInt8, kUInt8, kBool};

// Values every dtype holds (non-negative, below 128, a few zeros), with fractions for the floats.
Tensor values_for(DType dt, const Shape& shape, uint64_t seed) {
  if (dt == kBool) return random_ints_f64(shape, 0, 1, seed);
  Tensor v = random_f64(shape, 0.0, 100.0, seed, /*away_from_zero=*/false);
  return is_floating(dt) ? v : floor(v);
}

SEEK_DEVICE_TEST(CopyTest, CastsEveryLayout) {
  SEEK_REQUIRE_FAMILY(BackendFamily::Copy);
  const Shape shape{9, 35};
  uint64_t seed = 211;
  for (DType dst_dt : kAllDTypes) {
    for (Layout layout : kLayouts) {
      for (bool dst_contiguous : {true, false}) {
        const Tensor src = place(values_for(dtype(), shape, ++seed), dtype(), device(), layout);
        // The reference: the same elements converted on the CPU from f64 (exact for every dtype here).
        Tensor want = empty(shape, TensorOptions(dst_dt));
        backend(kCPU).copy(to_f64(src), want);
        std::vector<Device> dst_devices{device()};
        if (!device().is_cpu()) dst_devices.push_back(kCPU);  // device to host
        for (Device dst_device : dst_devices) {
          const std::string what =
              str("copy ", dtype_name(dtype()), " ", layout_name(layout), " -> ", dtype_name(dst_dt),
                  dst_contiguous ? " contiguous" : " stepped", " on ", device_name(dst_device));
          GuardedOutput g = guarded_empty(shape, dst_dt, dst_device, dst_contiguous);
          dev().copy(src, g.out);
          expect_equal(g.out, want, what);
          expect_sentinels_intact(g, what);
        }
        if (device().is_cpu()) continue;
        // Host to device.
        const Tensor host_src = place(to_f64(src), dtype(), kCPU, layout);
        GuardedOutput g = guarded_empty(shape, dst_dt, device(), dst_contiguous);
        dev().copy(host_src, g.out);
        const std::string what =
            str("copy from the host ", dtype_name(dtype()), " ", layout_name(layout), " -> ", dtype_name(dst_dt));
        expect_equal(g.out, want, what);
        expect_sentinels_intact(g, what);
      }
    }
  }
}

SEEK_DEVICE_TEST(CopyTest, Fill) {
  SEEK_REQUIRE_FAMILY(BackendFamily::Copy);
  const Scalar value = dtype() == kBool       ? Scalar(true)
                       : is_floating(dtype()) ? Scalar(-2.5)
                       : dtype() == kUInt8    ? Scalar(3)
                                              : Scalar(-3);
  for (bool contiguous : {true, false}) {
    const std::string what = str("fill ", contiguous ? "contiguous" : "stepped");
    GuardedOutput g = guarded_empty({7, 11}, dtype(), device(), contiguous);
    dev().fill(g.out, value);
    Tensor want = empty({7, 11}, TensorOptions(dtype()));
    backend(kCPU).fill(want, value);
    expect_equal(g.out, want, what);
    expect_sentinels_intact(g, what);
  }
}

SEEK_INSTANTIATE_ON_DEVICES(CopyTest, kFloat64, kFloat32, kFloat16, kBFloat16, kInt64, kInt32, kUInt8, kBool);

}  // namespace
}  // namespace seek::backend_test

// The CUDA backend skeleton on a GPU: device discovery, the caching allocator's
// figures, host<->device round trips for every dtype (dense, strided, with
// casts), fill, and out-of-memory. Every test skips itself when no GPU is
// visible. Reference values come from the CPU backend, which shares
// seek::convert with the kernels, so results must match bit for bit.
#include <gtest/gtest.h>

#include <vector>

#include "seek/cuda.h"
#include "seek/seek.h"

using namespace seek;

namespace {

const std::vector<DType> kAllDTypes = {kF32, kF64, kF16, kBF16, kI64, kI32, DType::Int8, DType::UInt8, kBool};

class Cuda : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!cuda::is_available()) GTEST_SKIP() << "no CUDA GPU visible: " << cuda::build_info();
    cuda::set_device(0);
  }
};

// Values in [0.25, 113.75] with fractions (every 7th one 0, so that bool sees
// false too), inside every dtype's range and distinct along each dim.
Tensor host_values(const Shape& shape, DType dtype) {
  std::vector<double> v(static_cast<size_t>(shape_numel(shape)));
  for (size_t i = 0; i < v.size(); ++i)
    v[i] = i % 7 == 3 ? 0.0 : static_cast<double>((i * 37 + 11) % 113) + (i % 4) * 0.25 + 0.25;
  return tensor<double>(v, shape).to(dtype);
}

// Values of a host tensor as doubles (exact for every dtype but int64 > 2^53).
std::vector<double> values(const Tensor& t) {
  EXPECT_TRUE(t.is_cpu());
  return to_vector<double>(t.to(kF64));
}

}  // namespace

TEST_F(Cuda, DiscoversDevices) {
  ASSERT_GE(cuda::device_count(), 1);
  EXPECT_EQ(cuda::current_device(), 0);
  for (int d = 0; d < cuda::device_count(); ++d) {
    cuda::DeviceProperties p = cuda::get_device_properties(d);
    EXPECT_FALSE(p.name.empty());
    EXPECT_GT(p.total_memory, size_t(1) << 30);
    EXPECT_GE(p.major * 10 + p.minor, 75);  // the oldest architecture CUDA 13 supports
    EXPECT_GT(p.multi_processor_count, 0);
  }
  EXPECT_THROW(cuda::get_device_properties(cuda::device_count()), DeviceError);
  EXPECT_THROW(cuda::set_device(-1), DeviceError);
  try {
    cuda::set_device(cuda::device_count());
    FAIL() << "set_device past the last GPU did not throw";
  } catch (const DeviceError& e) {
    EXPECT_NE(std::string(e.what()).find("is not a visible GPU"), std::string::npos) << e.what();
  }
  EXPECT_EQ(cuda::current_device(), 0);
  EXPECT_NO_THROW(cuda::synchronize());
  EXPECT_TRUE(has_backend(DeviceType::CUDA));
  std::string info = cuda::build_info();
  EXPECT_NE(info.find(std::to_string(cuda::device_count()) + " GPU(s) visible"), std::string::npos) << info;
  EXPECT_EQ(info.find("driver none"), std::string::npos) << info;
}

TEST_F(Cuda, AllocatorCachesAndCountsRoundedBlocks) {
  cuda::empty_cache();
  const size_t base = cuda::memory_allocated();
  EXPECT_EQ(cuda::memory_reserved(), base);  // nothing cached after empty_cache
  cuda::reset_peak_memory_stats();
  EXPECT_EQ(cuda::max_memory_allocated(), base);
  {
    Tensor t = empty({1000}, TensorOptions(kF32).device(kCUDA));  // 4000 B -> 4096 B (512 B rounding)
    EXPECT_TRUE(t.is_cuda());
    EXPECT_EQ(cuda::memory_allocated(), base + 4096);
    EXPECT_EQ(cuda::memory_reserved(), base + 4096);
    Tensor big = empty({3 << 20}, TensorOptions(DType::UInt8).device(kCUDA));  // 3 MiB -> 4 MiB (2 MiB rounding)
    EXPECT_EQ(cuda::memory_allocated(), base + 4096 + (size_t(4) << 20));
  }
  // Freed blocks stay cached: allocated drops, reserved does not, peak remembers.
  EXPECT_EQ(cuda::memory_allocated(), base);
  EXPECT_EQ(cuda::memory_reserved(), base + 4096 + (size_t(4) << 20));
  EXPECT_EQ(cuda::max_memory_allocated(), base + 4096 + (size_t(4) << 20));
  cuda::MemoryStats s = cuda::memory_stats(0);
  EXPECT_EQ(s.allocated, base);
  EXPECT_EQ(s.peak_allocated, base + 4096 + (size_t(4) << 20));
  {
    // Same rounded size: served from the cache, nothing new reserved.
    Tensor t = empty({1024}, TensorOptions(kF32).device(kCUDA));
    EXPECT_EQ(cuda::memory_reserved(), base + 4096 + (size_t(4) << 20));
    EXPECT_EQ(cuda::memory_allocated(), base + 4096);
  }
  cuda::empty_cache();
  EXPECT_EQ(cuda::memory_reserved(), base);
  cuda::reset_peak_memory_stats();
  EXPECT_EQ(cuda::max_memory_allocated(), base);
  EXPECT_THROW(cuda::memory_allocated(cuda::device_count()), DeviceError);
}

TEST_F(Cuda, RoundTripsEveryDtype) {
  for (DType dt : kAllDTypes) {
    SCOPED_TRACE(dtype_name(dt));
    Tensor h = host_values({5, 7}, dt);
    Tensor d = h.to(kCUDA);
    EXPECT_TRUE(d.is_cuda());
    EXPECT_EQ(d.dtype(), dt);
    EXPECT_EQ(d.sizes(), h.sizes());
    Tensor back = d.to(kCPU);
    EXPECT_EQ(back.dtype(), dt);
    EXPECT_EQ(values(back), values(h));
    // Device-to-device clone, then back.
    EXPECT_EQ(values(d.clone().to(kCPU)), values(h));
  }
  // 0-dim and empty tensors.
  Tensor s = scalar_tensor(2.5, kF64);
  EXPECT_EQ(s.to(kCUDA).to(kCPU).item<double>(), 2.5);
  Tensor e = empty({0, 3}, kF32).to(kCUDA);
  EXPECT_EQ(e.sizes(), (Shape{0, 3}));
  EXPECT_EQ(e.to(kCPU).numel(), 0);
}

TEST_F(Cuda, CastCopiesMatchTheCpuForEveryDtypePair) {
  for (DType from : kAllDTypes) {
    Tensor h = host_values({3, 11}, from);
    Tensor d = h.to(kCUDA);
    for (DType to : kAllDTypes) {
      SCOPED_TRACE(std::string(dtype_name(from)) + " -> " + dtype_name(to));
      const std::vector<double> want = values(h.to(to));
      EXPECT_EQ(values(d.to(to).to(kCPU)), want);         // cast on the GPU (kernel)
      EXPECT_EQ(values(h.to(kCUDA, to).to(kCPU)), want);  // host -> device with cast
      EXPECT_EQ(values(d.to(kCPU, to)), want);            // device -> host with cast
      // The backend's own cross-device casts: copy_ between dtypes and devices.
      Tensor dd = empty(h.sizes(), TensorOptions(to).device(kCUDA));
      dd.copy_(h);
      EXPECT_EQ(values(dd.to(kCPU)), want);
      Tensor hh = empty(h.sizes(), to);
      hh.copy_(d);
      EXPECT_EQ(values(hh), want);
    }
  }
}

TEST_F(Cuda, StridedCopiesInEveryDirection) {
  for (DType dt : {kF32, kF16, kI64, kBool}) {
    SCOPED_TRACE(dtype_name(dt));
    Tensor h = host_values({4, 6, 5}, dt);
    Tensor d = h.to(kCUDA);
    // Non-contiguous device source -> dense device copy (kernel).
    Tensor hp = h.permute({2, 0, 1});
    EXPECT_EQ(values(d.permute({2, 0, 1}).contiguous().to(kCPU)), values(hp.contiguous()));
    // Non-contiguous device source -> host, and with a cast.
    EXPECT_EQ(values(d.transpose(0, 2).to(kCPU)), values(h.transpose(0, 2)));
    EXPECT_EQ(values(d.transpose(0, 2).to(kCPU, kF64)), values(h.transpose(0, 2)));
    // Non-contiguous host source -> device.
    EXPECT_EQ(values(hp.to(kCUDA).to(kCPU)), values(hp.contiguous()));
    // Strided device destination: write a transposed host block into a view.
    Tensor dst = zeros({6, 4}, TensorOptions(dt).device(kCUDA));
    Tensor src = host_values({4, 6}, dt);
    dst.t().copy_(src);
    EXPECT_EQ(values(dst.to(kCPU)), values(src.t().contiguous()));
    // Strided host destination from a device source with a cast.
    Tensor hdst = zeros({6, 4}, kF64);
    hdst.t().copy_(src.to(kCUDA));
    EXPECT_EQ(values(hdst), values(src.t().contiguous()));
    // Slices with an offset and a step, and a broadcast (stride 0) source.
    Tensor col = d.select(2, 3).slice(1, 1, 6, 2);
    EXPECT_EQ(values(col.to(kCPU)), values(h.select(2, 3).slice(1, 1, 6, 2).contiguous()));
    Tensor row = host_values({5}, dt).to(kCUDA);
    Tensor bcast = empty({3, 5}, TensorOptions(dt).device(kCUDA));
    bcast.copy_(row);
    EXPECT_EQ(values(bcast.to(kCPU)), values(host_values({5}, dt).expand({3, 5}).contiguous()));
  }
}

TEST_F(Cuda, FillsEveryDtypeAndStridedViews) {
  for (DType dt : kAllDTypes) {
    SCOPED_TRACE(dtype_name(dt));
    TensorOptions o = TensorOptions(dt).device(kCUDA);
    EXPECT_EQ(values(full({2, 3}, 3, o).to(kCPU)), values(full({2, 3}, 3, dt)));
    EXPECT_EQ(values(full({2, 3}, 2.75, o).to(kCPU)), values(full({2, 3}, 2.75, dt)));
    EXPECT_EQ(values(ones({7}, o).to(kCPU)), values(ones({7}, dt)));
    EXPECT_EQ(values(zeros({7}, o).to(kCPU)), values(zeros({7}, dt)));
    // Fill a column of a matrix: only that column changes.
    Tensor m = host_values({4, 5}, dt);
    Tensor dm = m.to(kCUDA);
    dm.select(1, 2).fill_(1);
    m.select(1, 2).fill_(1);
    EXPECT_EQ(values(dm.to(kCPU)), values(m));
  }
  // Rounding and saturation follow seek::convert as on the CPU.
  EXPECT_EQ(full({1}, 1.0009765625, TensorOptions(kF16).device(kCUDA)).to(kCPU).item<double>(),
            full({1}, 1.0009765625, kF16).item<double>());
  EXPECT_EQ(full({1}, 1e6, TensorOptions(kF16).device(kCUDA)).to(kCPU).item<double>(),
            full({1}, 1e6, kF16).item<double>());
}

TEST_F(Cuda, OutOfMemoryIsAnErrorAndAllocationStillWorksAfterIt) {
  Tensor keep = host_values({16}, kF32).to(kCUDA);
  const size_t allocated = cuda::memory_allocated();
  try {
    (void)empty({int64_t(1) << 50}, TensorOptions(DType::UInt8).device(kCUDA));  // 1 PiB
    FAIL() << "a 1 PiB allocation did not throw";
  } catch (const OutOfMemoryError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("CUDA out of memory on cuda:0"), std::string::npos) << msg;
    EXPECT_NE(msg.find("tried to allocate 1.00 PiB"), std::string::npos) << msg;
    EXPECT_NE(msg.find("1125899906842624 bytes"), std::string::npos) << msg;
    EXPECT_NE(msg.find("reserved"), std::string::npos) << msg;
    EXPECT_NE(msg.find("free of"), std::string::npos) << msg;
  }
  EXPECT_EQ(cuda::memory_allocated(), allocated);
  // The failed request left no sticky error: allocation, kernels and copies work.
  Tensor t = full({1000}, 4, TensorOptions(kI32).device(kCUDA));
  EXPECT_EQ(values(t.to(kCPU)), std::vector<double>(1000, 4.0));
  EXPECT_EQ(values(keep.to(kCPU)), values(host_values({16}, kF32)));
  EXPECT_NO_THROW(cuda::synchronize());
}

TEST_F(Cuda, TensorsOnAnInvisibleDeviceThrow) {
  Device missing(DeviceType::CUDA, cuda::device_count());
  try {
    (void)zeros({2}, TensorOptions(missing));
    FAIL() << "zeros on " << missing << " did not throw";
  } catch (const DeviceError& e) {
    EXPECT_NE(std::string(e.what()).find("is not a visible GPU"), std::string::npos) << e.what();
  }
  EXPECT_THROW((void)tensor<float>({1, 2}).to(missing), DeviceError);
}

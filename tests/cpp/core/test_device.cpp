// Device parsing and the CPU-side face of seek::cuda: what a build with or
// without CUDA reports, and the errors for CUDA tensors where no GPU is
// visible. These run on every machine; the GPU tests are in tests/cuda/.
#include <gtest/gtest.h>

#include "seek/cuda.h"
#include "seek/seek.h"

using namespace seek;

namespace {
// Runs f, expects a DeviceError and returns its message.
template <typename F>
std::string device_error(F f) {
  try {
    f();
  } catch (const DeviceError& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected DeviceError, got: " << e.what();
    return "";
  }
  ADD_FAILURE() << "expected DeviceError, nothing was thrown";
  return "";
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }
}  // namespace

TEST(Device, ParsesCpuAndCudaSpecs) {
  EXPECT_EQ(Device("cpu"), kCPU);
  EXPECT_EQ(Device("cuda"), kCUDA);
  Device d("cuda:1");
  EXPECT_TRUE(d.is_cuda());
  EXPECT_EQ(d.index, 1);
  EXPECT_EQ(d.str(), "cuda:1");
  EXPECT_NE(d, kCUDA);
  EXPECT_THROW(Device("cuda:x"), ValueError);
  EXPECT_THROW(Device("tpu"), ValueError);
}

TEST(CudaBuild, BuildInfoNamesTheCudaVersion) {
  const std::string info = cuda::build_info();
#if defined(SEEK_TEST_CUDA_SIM)
  // The simulator build: CUDA's headers, no runtime or driver, simulated devices.
  EXPECT_TRUE(contains(info, std::string("built with CUDA ") + SEEK_TEST_CUDA_VERSION)) << info;
  EXPECT_TRUE(contains(info, "SIMT simulator")) << info;
  EXPECT_TRUE(contains(info, std::to_string(cuda::device_count()) + " GPU(s) visible (simulated)")) << info;
#elif defined(SEEK_WITH_CUDA)
  // SEEK_TEST_CUDA_VERSION is the toolkit version CMake found ("13.0").
  EXPECT_TRUE(contains(info, std::string("built with CUDA ") + SEEK_TEST_CUDA_VERSION)) << info;
  EXPECT_TRUE(contains(info, "runtime ")) << info;
  EXPECT_TRUE(contains(info, "driver ")) << info;
  EXPECT_TRUE(contains(info, "kernels for sm ")) << info;
  EXPECT_TRUE(contains(info, std::to_string(cuda::device_count()) + " GPU(s) visible")) << info;
#else
  EXPECT_EQ(info, "seek built without CUDA");
  EXPECT_FALSE(cuda::is_available());
  EXPECT_EQ(cuda::device_count(), 0);
#endif
}

TEST(CudaBuild, AvailabilityMatchesDeviceCount) {
  EXPECT_EQ(cuda::is_available(), cuda::device_count() > 0);
  EXPECT_EQ(has_backend(DeviceType::CUDA), cuda::is_available());
}

class NoGpu : public ::testing::Test {
 protected:
  void SetUp() override {
    if (cuda::is_available()) GTEST_SKIP() << "a GPU is visible; tests/cuda covers this machine";
  }
};

TEST_F(NoGpu, CreatingACudaTensorThrowsDeviceError) {
  std::string msg = device_error([] { (void)empty({2}, kCUDA); });
  EXPECT_TRUE(contains(msg, "CUDA")) << msg;
#ifdef SEEK_WITH_CUDA
  EXPECT_TRUE(contains(msg, "no CUDA GPU is visible")) << msg;
  EXPECT_TRUE(contains(msg, "cannot allocate 8 bytes")) << msg;
#else
  EXPECT_TRUE(contains(msg, "no CUDA support")) << msg;
#endif
  EXPECT_THROW((void)zeros({3, 4}, TensorOptions(kCUDA)), DeviceError);
  EXPECT_THROW((void)ones({3}, TensorOptions(kF16).device(Device("cuda:1"))), DeviceError);
  // Even an empty tensor: there is no device to put it on.
  EXPECT_THROW((void)empty({0}, kCUDA), DeviceError);
}

TEST_F(NoGpu, MovingATensorToCudaThrowsDeviceError) {
  Tensor t = tensor<float>({1, 2, 3});
  std::string msg = device_error([&] { (void)t.to(kCUDA); });
  EXPECT_TRUE(contains(msg, "CUDA")) << msg;
  EXPECT_THROW((void)t.to(kCUDA, kF64), DeviceError);
  // The host tensor is untouched.
  EXPECT_EQ(to_vector<float>(t), (std::vector<float>{1, 2, 3}));
}

TEST_F(NoGpu, DeviceFunctionsThrowAndStatsAreZero) {
  EXPECT_EQ(cuda::device_count(), 0);
  EXPECT_THROW(cuda::current_device(), DeviceError);
  EXPECT_THROW(cuda::set_device(0), DeviceError);
  EXPECT_THROW(cuda::synchronize(), DeviceError);
  std::string msg = device_error([] { (void)cuda::get_device_properties(0); });
  EXPECT_TRUE(contains(msg, "get_device_properties")) << msg;
#ifdef SEEK_WITH_CUDA
  EXPECT_TRUE(contains(msg, "no CUDA GPU is visible")) << msg;
#else
  EXPECT_TRUE(contains(msg, "built without CUDA")) << msg;
#endif
  EXPECT_EQ(cuda::memory_allocated(), 0u);
  EXPECT_EQ(cuda::memory_reserved(), 0u);
  EXPECT_EQ(cuda::max_memory_allocated(), 0u);
  cuda::MemoryStats s = cuda::memory_stats();
  EXPECT_EQ(s.allocated + s.reserved + s.peak_allocated, 0u);
  EXPECT_NO_THROW(cuda::reset_peak_memory_stats());
  EXPECT_NO_THROW(cuda::empty_cache());
  EXPECT_THROW(cuda::memory_allocated(0), DeviceError);
}

#pragma once
// The fixture of the runtime tests: skips (naming the build) where no GPU, real or simulated, is
// visible, makes device 0 current, and notes whether the device is the simulator.
#include <gtest/gtest.h>

#include "seek/cuda.h"

namespace seek::cuda_test {

class CudaDeviceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!cuda::is_available()) GTEST_SKIP() << "no CUDA GPU visible: " << cuda::build_info();
    cuda::set_device(0);
    simulated_ = cuda::build_config().simulated;
  }
  bool simulated_ = false;
};

}  // namespace seek::cuda_test

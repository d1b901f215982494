// The backend registry (a map from device type, filled by each backend's own
// registration at library load), Backend::supports, and the op lists the
// device tests iterate (every enum value, in order).
#include <algorithm>

#include "backend/backend_harness.h"
#include "backend/op_lists.h"
#include "support/test_util.h"

namespace seek::backend_test {
namespace {

TEST(BackendRegistry, CpuRegistersItselfAtLoad) {
  EXPECT_TRUE(has_backend(DeviceType::CPU));
  EXPECT_EQ(backend(kCPU).type(), DeviceType::CPU);
  const std::vector<DeviceType> types = registered_backends();
  ASSERT_FALSE(types.empty());
  EXPECT_EQ(types.front(), DeviceType::CPU);
  EXPECT_EQ(std::count(types.begin(), types.end(), DeviceType::CUDA), has_backend(DeviceType::CUDA) ? 1 : 0);
}

TEST(BackendRegistry, CpuSupportsWhatItImplements) {
  const Backend& cpu = backend(kCPU);
  for (BackendFamily f : kBackendFamilies)
    for (DType dt : {kFloat32, kFloat64, kFloat16, kBFloat16})
      EXPECT_TRUE(cpu.supports(f, dt)) << backend_family_name(f) << " " << dtype_name(dt);
  EXPECT_TRUE(cpu.supports(BackendFamily::Sort, kInt64));
  EXPECT_TRUE(cpu.supports(BackendFamily::Copy, kBool));
  EXPECT_TRUE(cpu.supports(BackendFamily::Gemm, kInt32));
  EXPECT_FALSE(cpu.supports(BackendFamily::Gemm, kBool));
  EXPECT_FALSE(cpu.supports(BackendFamily::Conv, kInt64));
  EXPECT_FALSE(cpu.supports(BackendFamily::Softmax, kInt32));
}

TEST(BackendRegistry, FamilyNames) {
  EXPECT_STREQ(backend_family_name(BackendFamily::ArgReduce), "arg_reduce");
  EXPECT_STREQ(backend_family_name(BackendFamily::Gemm), "gemm");
  std::vector<std::string> names;
  for (BackendFamily f : kBackendFamilies) names.push_back(backend_family_name(f));
  std::sort(names.begin(), names.end());
  EXPECT_EQ(std::unique(names.begin(), names.end()), names.end()) << "two families share a name";
}

// A backend that implements nothing: the defaults say so, and throw DeviceError naming the family.
class BareBackend final : public Backend {
 public:
  DeviceType type() const override { return DeviceType::CUDA; }
};

TEST(BackendRegistry, AnotherDeviceRegistersTheSameWay) {
  Backend* previous = has_backend(DeviceType::CUDA) ? &backend(kCUDA) : nullptr;
  BareBackend bare;
  register_backend(DeviceType::CUDA, &bare);
  EXPECT_EQ(&backend(kCUDA), &bare);
  const std::vector<DeviceType> types = registered_backends();
  EXPECT_EQ(std::count(types.begin(), types.end(), DeviceType::CUDA), 1);
  for (BackendFamily f : kBackendFamilies) EXPECT_FALSE(bare.supports(f, kFloat32)) << backend_family_name(f);
  const Tensor t = zeros({2});
  EXPECT_SEEK_ERROR_ALL(bare.unary(UnaryOp::Exp, t, t, {}), DeviceError, {"exp", "cuda backend has no kernel"});
  EXPECT_SEEK_ERROR_ALL(bare.gemm(t, t, t, 1, 0), DeviceError, {"gemm", ".cpu()"});

  register_backend(DeviceType::CUDA, nullptr);
  EXPECT_FALSE(has_backend(DeviceType::CUDA));
  EXPECT_SEEK_ERROR(backend(kCUDA), DeviceError, "no backend for device cuda");
  if (previous) register_backend(DeviceType::CUDA, previous);
  EXPECT_EQ(has_backend(DeviceType::CUDA), previous != nullptr);
}

}  // namespace
}  // namespace seek::backend_test

// The CUDA backend's registration and its allocator at library load. The families
// (CudaBackend::<family>) live at the end of their kernel files, kernels/<family>.cu.
#include "backend/cuda/cuda_backend.h"

#include <array>

#include "seek/cuda.h"

namespace seek::cuda {

namespace {
// Family -> the dtypes it supports, filled at library load by the kernel files.
std::array<DTypePredicate, std::size(kBackendFamilies)>& family_table() {
  static std::array<DTypePredicate, std::size(kBackendFamilies)> table{};
  return table;
}
}  // namespace

FamilyRegistrar::FamilyRegistrar(BackendFamily family, DTypePredicate supported) {
  family_table()[static_cast<size_t>(family)] = supported;
}

bool CudaBackend::supports(BackendFamily family, DType dtype) const {
  const DTypePredicate ok = family_table()[static_cast<size_t>(family)];
  return ok != nullptr && ok(dtype);
}

Backend* cuda_backend() {
  static CudaBackend instance;
  return &instance;
}

namespace {
// At library load, as every backend registers: the allocator always (so that a
// CUDA tensor on a machine without a GPU fails with the reason), the backend
// only when a GPU is visible.
[[gnu::init_priority(101)]] const BackendRegistrar registrar([] {
  set_allocator(DeviceType::CUDA, cuda_allocator());
  if (device_count() > 0) register_backend(DeviceType::CUDA, cuda_backend());
});
}  // namespace

}  // namespace seek::cuda

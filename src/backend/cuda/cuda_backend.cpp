// The CUDA backend's registration and its allocator at library load. The families
// (CudaBackend::<family>) live at the end of their kernel files, kernels/<family>.cu.
#include "backend/cuda/cuda_backend.h"

#include "seek/cuda.h"

namespace seek::cuda {

Backend* cuda_backend() {
  static CudaBackend instance;
  return &instance;
}

namespace {
// At library load: the allocator always (so that a CUDA tensor on a machine
// without a GPU fails with the reason), the backend only when a GPU is visible.
const bool registered = [] {
  set_allocator(DeviceType::CUDA, cuda_allocator());
  if (device_count() > 0) register_backend(DeviceType::CUDA, cuda_backend());
  return true;
}();
}  // namespace

}  // namespace seek::cuda

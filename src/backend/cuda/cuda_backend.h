#pragma once
// The CUDA backend: one class, each family (CudaBackend::<family>) implemented at
// the end of its kernel file kernels/<family>.cu, after the kernels and their
// launchers; a family not overridden here throws DeviceError. It is registered at library
// load only when a GPU is visible; the caching allocator is registered in
// every CUDA build, so that creating a CUDA tensor on a machine without a GPU
// fails with a DeviceError that says why.
#include <cuda_runtime_api.h>

#include <string>

#include "seek/backend/backend.h"
#include "seek/core/storage.h"

namespace seek::cuda {

class CudaBackend final : public Backend {
 public:
  DeviceType type() const override { return DeviceType::CUDA; }
  bool supports(BackendFamily family, DType dtype) const override;  // cuda_backend.cpp

  // memory (kernels/copy.cu): src/dst on the host or a GPU, any dtypes and strides
  void copy(const Tensor& src, const Tensor& dst) override;
  void fill(const Tensor& out, Scalar value) override;

  // elementwise (kernels/unary.cu, binary.cu, ternary.cu): every row, the CPU backend's dtypes
  void unary(UnaryOp op, const Tensor& in, const Tensor& out, const UnaryParams& p) override;
  void binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) override;
  void ternary(TernaryOp op, const Tensor& a, const Tensor& b, const Tensor& c, const Tensor& out,
               const TernaryParams& p) override;
};

// Each kernels/<family>.cu registers the family it implements and for which dtypes
// (a namespace-scope FamilyRegistrar), which CudaBackend::supports reports.
using DTypePredicate = bool (*)(DType);
struct FamilyRegistrar {
  FamilyRegistrar(BackendFamily family, DTypePredicate supported);
};

Backend* cuda_backend();
// The caching allocator over cudaMalloc/cudaFree (cuda_allocator.cpp); it
// allocates on the current device.
Allocator* cuda_allocator();

// Why no GPU is visible (the cudaGetDeviceCount error), or "" when one is.
const std::string& no_gpu_reason();

// The stream seek queues device work on: the legacy default stream of the
// current device, which orders all of seek's kernels and copies, so the
// allocator may hand a freed block to the next request at once.
inline cudaStream_t current_stream() { return cudaStreamLegacy; }

// Makes `device` current for its lifetime; throws DeviceError naming `op` for
// an index that is not a visible GPU.
class DeviceGuard {
 public:
  explicit DeviceGuard(int device, const char* op = "DeviceGuard");
  ~DeviceGuard();
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;

 private:
  int prev_ = -1;
  int device_ = -1;
};

}  // namespace seek::cuda

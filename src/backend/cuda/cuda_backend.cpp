// CUDA memory family (copy, fill) and the registration of the backend and its
// allocator at library load.
//
// copy handles every direction (host->device, device->host, device->device on
// one GPU or across two) with any dtypes and strides:
//   same dtype, both dense   one cudaMemcpyAsync (UVA works out the direction)
//   same device              the strided cast-copy kernel (kernels/copy.cu)
//   across devices           make the source dense on its own side (CPU backend
//                            or kernel), move the bytes, then cast/scatter into
//                            the destination on its side (kernel or CPU backend).
// Copies that touch the host wait for the stream, so the host sees the data
// (and may free its buffer) when copy returns.
#include "backend/cuda/cuda_backend.h"

#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_kernels.h"
#include "seek/cuda.h"

namespace seek::cuda {

namespace {
bool dense(const Tensor& t) { return t.is_contiguous(); }

// A dense tensor of t's shape and `dtype` on `device`.
Tensor dense_like(const Tensor& t, DType dtype, Device device) {
  return empty(t.sizes(), TensorOptions(dtype).device(device));
}

// Copy within one device (host or a GPU), with cast and strides.
void local_copy(const Tensor& src, const Tensor& dst) {
  if (dst.is_cpu()) {
    backend(kCPU).copy(src, dst);
    return;
  }
  DeviceGuard guard(dst.device().index, "copy");
  copy_forward(src, dst, current_stream());
}

// Raw bytes between two dense tensors of one dtype on any two devices.
void move_bytes(const Tensor& src, const Tensor& dst) {
  if (src.is_cuda() && dst.is_cuda() && src.device() != dst.device()) {
    // Serialised with all work on both GPUs, so neither side's stream races it.
    DeviceGuard guard(dst.device().index, "copy");
    DeviceGuard check_src(src.device().index, "copy");
    SEEK_CUDA_CHECK(cudaMemcpyPeer(dst.data_ptr(), dst.device().index, src.data_ptr(), src.device().index,
                                   src.nbytes()));
    return;
  }
  DeviceGuard guard(dst.is_cuda() ? dst.device().index : src.device().index, "copy");
  SEEK_CUDA_CHECK(cudaMemcpyAsync(dst.data_ptr(), src.data_ptr(), src.nbytes(), cudaMemcpyDefault, current_stream()));
  if (src.is_cpu() || dst.is_cpu()) SEEK_CUDA_CHECK(cudaStreamSynchronize(current_stream()));
}
}  // namespace

void CudaBackend::copy(const Tensor& src, const Tensor& dst) {
  SEEK_CHECK_SHAPE(src.sizes() == dst.sizes(), "copy: source shape ", shape_str(src.sizes()),
                   " differs from destination shape ", shape_str(dst.sizes()));
  SEEK_CHECK_T(DeviceError, src.is_cuda() || dst.is_cuda(), "copy: the CUDA backend needs a CUDA tensor on one side, got ",
               src.device().str(), " -> ", dst.device().str());
  if (src.numel() == 0) return;
  if (src.dtype() == dst.dtype() && dense(src) && dense(dst)) {
    if (src.data_ptr() != dst.data_ptr() || src.device() != dst.device()) move_bytes(src, dst);
    return;
  }
  if (src.device() == dst.device()) {
    local_copy(src, dst);
    return;
  }
  // Across devices: dense source on its side, bytes across, cast/scatter on the other.
  Tensor packed = dense(src) ? src : dense_like(src, src.dtype(), src.device());
  if (!packed.is_same(src)) local_copy(src, packed);
  if (dst.dtype() == src.dtype() && dense(dst)) {
    move_bytes(packed, dst);
    return;
  }
  Tensor moved = dense_like(src, src.dtype(), dst.device());
  move_bytes(packed, moved);
  local_copy(moved, dst);
}

void CudaBackend::fill(const Tensor& out, Scalar value) {
  SEEK_CHECK_T(DeviceError, out.is_cuda(), "fill: the CUDA backend fills CUDA tensors, got one on ",
               out.device().str());
  DeviceGuard guard(out.device().index, "fill");
  fill_forward(out, value, current_stream());
}

// The families overridden above and in kernels/*.cu, each for every dtype.
bool CudaBackend::supports(BackendFamily family, DType) const { return family == BackendFamily::Copy; }

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

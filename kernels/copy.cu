// Memory family on the GPU (copy, fill): the kernels, their launchers, then CudaBackend::copy/fill.
// Trick: one grid-stride kernel per (Out, In) pair over a host-collapsed
// StridedLayout (common.cuh), with a branch on the layout's `contiguous` flag
// that is uniform across the grid, so dense copies index linearly and only
// genuinely strided ones pay div/mod. Values convert with seek::convert, the
// same function the CPU backend uses, so both give identical bits.
//
// CudaBackend::copy handles every direction (host->device, device->host, device->device
// on one GPU or across two) with any dtypes and strides:
//   same dtype, both dense   one cudaMemcpyAsync (UVA works out the direction)
//   same device              the strided cast-copy kernel
//   across devices           make the source dense on its own side (CPU backend
//                            or kernel), move the bytes, then cast/scatter into
//                            the destination on its side (kernel or CPU backend).
// Copies that touch the host wait for the stream, so the host sees the data
// (and may free its buffer) when copy returns. copy_non_blocking (Tensor::to
// with non_blocking) does not wait for a dense host-to-device copy from pinned
// memory: the pinned block is marked as read by the stream, so the pinned
// allocator keeps it until the copy has completed (as torch does).
#include <atomic>

#include "backend/cuda/cuda_backend.h"
#include "backend/cuda/cuda_check.h"
#include "backend/cuda/layout_copies.h"
#include "common.cuh"
#include "seek/core/convert.h"
#include "seek/core/dtype.h"
#include "seek/cuda/graph.h"

namespace seek::cuda {

namespace {

// ---- kernels ----

template <typename Out, typename In>
__global__ void copy_forward_kernel(Out* out, const In* in, StridedLayout<2> layout) {
  SEEK_GRID_STRIDE_LOOP(i, layout.numel) {
    if (layout.contiguous) {
      out[i] = convert<Out>(in[i]);
    } else {
      const auto off = layout.offsets(i);
      out[off[0]] = convert<Out>(in[off[1]]);
    }
  }
}

template <typename T>
__global__ void fill_forward_kernel(T* out, T value, StridedLayout<1> layout) {
  SEEK_GRID_STRIDE_LOOP(i, layout.numel) { out[layout.contiguous ? i : layout.offsets(i)[0]] = value; }
}

// ---- launchers: queue work on `stream` on the current device and return without waiting ----

// dst[i] = convert<dst dtype>(src[i]); same shape, any dtypes, any strides.
void copy_forward(const Tensor& src, const Tensor& dst, cudaStream_t stream) {
  SEEK_CHECK_SHAPE(src.sizes() == dst.sizes(), "copy: source shape ", shape_str(src.sizes()),
                   " differs from destination shape ", shape_str(dst.sizes()));
  const StridedLayout<2> layout = make_layout<2>({&dst, &src}, "copy");
  if (layout.numel == 0) return;
  const unsigned blocks = grid_size(layout.numel);
  SEEK_DISPATCH_ALL(dst.dtype(), "copy", [&] {
    using Out = scalar_t;
    SEEK_DISPATCH_ALL(src.dtype(), "copy", [&] {
      using In = scalar_t;
      launch(copy_forward_kernel<Out, In>, {blocks, kBlockThreads, 0, stream}, static_cast<Out*>(dst.data_ptr()),
             static_cast<const In*>(src.data_ptr()), layout);
    });
  });
}

// out[i] = value converted to out's dtype; any strides.
void fill_forward(const Tensor& out, Scalar value, cudaStream_t stream) {
  const StridedLayout<1> layout = make_layout<1>({&out}, "fill");
  if (layout.numel == 0) return;
  const unsigned blocks = grid_size(layout.numel);
  SEEK_DISPATCH_ALL(out.dtype(), "fill", [&] {
    // Same conversion as the CPU backend's fill.
    const scalar_t v = value.is_floating() ? convert<scalar_t>(value.to_double()) : convert<scalar_t>(value.to_int());
    launch(fill_forward_kernel<scalar_t>, {blocks, kBlockThreads, 0, stream}, static_cast<scalar_t*>(out.data_ptr()), v,
           layout);
  });
}

// ---- copy helpers: copies across devices and the host ----

bool dense(const Tensor& t) { return t.is_contiguous(); }
// Both dense with the same strides in any dim order (two channels_last tensors): their bytes match one to one.
bool same_dense_layout(const Tensor& a, const Tensor& b) {
  return a.strides() == b.strides() && is_non_overlapping_and_dense(a.sizes(), a.strides());
}

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
    SEEK_CUDA_CHECK(
        cudaMemcpyPeer(dst.data_ptr(), dst.device().index, src.data_ptr(), src.device().index, src.nbytes()));
    return;
  }
  DeviceGuard guard(dst.is_cuda() ? dst.device().index : src.device().index, "copy");
  if (src.is_cpu() || dst.is_cpu()) check_not_capturing("a copy between the host and a CUDA device");
  SEEK_CUDA_CHECK(cudaMemcpyAsync(dst.data_ptr(), src.data_ptr(), src.nbytes(), cudaMemcpyDefault, current_stream()));
  if (src.is_cpu() || dst.is_cpu()) SEEK_CUDA_CHECK(cudaStreamSynchronize(current_stream()));
}

}  // namespace

// ---- CudaBackend::copy / fill ----

namespace {
std::atomic<int64_t> g_layout_copies{0};
}  // namespace

int64_t layout_copy_count() { return g_layout_copies.load(); }

const FamilyRegistrar copy_family(BackendFamily::Copy, [](DType) { return true; });

void CudaBackend::copy(const Tensor& src, const Tensor& dst) {
  SEEK_CHECK_SHAPE(src.sizes() == dst.sizes(), "copy: source shape ", shape_str(src.sizes()),
                   " differs from destination shape ", shape_str(dst.sizes()));
  SEEK_CHECK_T(DeviceError, src.is_cuda() || dst.is_cuda(),
               "copy: the CUDA backend needs a CUDA tensor on one side, got ", src.device().str(), " -> ",
               dst.device().str());
  if (src.numel() == 0) return;
  if (src.is_cuda() && dst.is_cuda() && src.dim() >= 4 && src.strides() != dst.strides()) ++g_layout_copies;
  if (src.dtype() == dst.dtype() && ((dense(src) && dense(dst)) || same_dense_layout(src, dst))) {
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

void CudaBackend::copy_non_blocking(const Tensor& src, const Tensor& dst) {
  const bool async_h2d = src.is_cpu() && dst.is_cuda() && src.dtype() == dst.dtype() && dense(src) && dense(dst) &&
                         src.sizes() == dst.sizes() && src.numel() > 0 && src.storage() &&
                         pinned_owns(src.storage()->data());
  if (!async_h2d) {
    copy(src, dst);  // device-to-device copies never wait anyway
    return;
  }
  DeviceGuard guard(dst.device().index, "copy");
  const Stream stream = current_stream();
  SEEK_CUDA_CHECK(cudaMemcpyAsync(dst.data_ptr(), src.data_ptr(), src.nbytes(), cudaMemcpyHostToDevice, stream));
  pinned_record_stream(src.storage()->data(), stream);
}

void CudaBackend::fill(const Tensor& out, Scalar value) {
  SEEK_CHECK_T(DeviceError, out.is_cuda(), "fill: the CUDA backend fills CUDA tensors, got one on ",
               out.device().str());
  DeviceGuard guard(out.device().index, "fill");
  fill_forward(out, value, current_stream());
}

}  // namespace seek::cuda

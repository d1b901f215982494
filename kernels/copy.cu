// Memory family on the GPU: strided cast-copy between any two dtypes, and fill.
// Trick: one grid-stride kernel per (Out, In) pair over a host-collapsed
// StridedLayout (common.cuh), with a branch on the layout's `contiguous` flag
// that is uniform across the grid, so dense copies index linearly and only
// genuinely strided ones pay div/mod. Values convert with seek::convert, the
// same function the CPU backend uses, so both give identical bits.
#include "backend/cuda/cuda_kernels.h"
#include "common.cuh"
#include "seek/core/convert.h"
#include "seek/core/dtype.h"

namespace seek::cuda {

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
  SEEK_GRID_STRIDE_LOOP(i, layout.numel) {
    out[layout.contiguous ? i : layout.offsets(i)[0]] = value;
  }
}

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
      copy_forward_kernel<Out, In><<<blocks, kBlockThreads, 0, stream>>>(
          static_cast<Out*>(dst.data_ptr()), static_cast<const In*>(src.data_ptr()), layout);
      SEEK_CUDA_KERNEL_CHECK();
    });
  });
}

void fill_forward(const Tensor& out, Scalar value, cudaStream_t stream) {
  const StridedLayout<1> layout = make_layout<1>({&out}, "fill");
  if (layout.numel == 0) return;
  const unsigned blocks = grid_size(layout.numel);
  SEEK_DISPATCH_ALL(out.dtype(), "fill", [&] {
    // Same conversion as the CPU backend's fill.
    const scalar_t v = value.is_floating() ? convert<scalar_t>(value.to_double()) : convert<scalar_t>(value.to_int());
    fill_forward_kernel<scalar_t><<<blocks, kBlockThreads, 0, stream>>>(static_cast<scalar_t*>(out.data_ptr()), v,
                                                                          layout);
    SEEK_CUDA_KERNEL_CHECK();
  });
}

}  // namespace seek::cuda

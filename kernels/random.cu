// Random family on the GPU (uniform, normal, bernoulli, randint): the kernel, its launcher, then CudaBackend::random.
// Trick: Philox is counter-based, so thread i computes row-major element i from
// block (offset + i) alone, with the very draw functors the CPU loop uses
// (seek/backend/random_op.h); no per-thread state, any grid shape, and the
// stream is the CPU's bit for bit. Strided outputs write through a StridedLayout
// (row-major index -> element offset) instead of a temporary and a copy.
#include "backend/cuda/cuda_backend.h"
#include "backend/cuda/cuda_check.h"
#include "common.cuh"
#include "seek/backend/random_op.h"
#include "seek/core/dtype.h"

namespace seek::cuda {

namespace {

// ---- kernel ----

template <typename T, typename Draw>
__global__ void random_forward_kernel(T* out, Draw draw, uint64_t seed, uint64_t offset, StridedLayout<1> layout) {
  SEEK_GRID_STRIDE_LOOP(i, layout.numel) {
    const T v = draw(philox_block(seed, offset + static_cast<uint64_t>(i)));
    out[layout.contiguous ? i : layout.offsets(i)[0]] = v;
  }
}

// ---- launcher: queues the draw on `stream` and returns without waiting ----

template <typename T, typename Draw>
void launch_draw(const Tensor& out, const Draw& draw, uint64_t seed, uint64_t offset, const StridedLayout<1>& layout,
                 cudaStream_t stream) {
  launch(random_forward_kernel<T, Draw>, {grid_size(layout.numel), kBlockThreads, 0, stream},
         static_cast<T*>(out.data_ptr()), draw, seed, offset, layout);
}

// out[row-major i] = draw of Philox block (offset + i) for `seed`; any dtype the CPU accepts, any strides.
void random_forward(RandomOp op, const Tensor& out, uint64_t seed, uint64_t offset, double a, double b,
                    cudaStream_t stream) {
  const StridedLayout<1> layout = make_layout<1>({&out}, "random");
  if (layout.numel == 0) return;
  SEEK_DISPATCH_ALL(out.dtype(), "random", [&] {
    using T = scalar_t;
    switch (op) {
      case RandomOp::Uniform:
      case RandomOp::Normal:
        if constexpr (std::is_floating_point_v<T> || is_reduced_float_v<T>) {
          if (op == RandomOp::Uniform) {
            launch_draw<T>(out, rng::UniformDraw<T>(a, b), seed, offset, layout, stream);
          } else {
            launch_draw<T>(out, rng::NormalDraw<T>(a, b), seed, offset, layout, stream);
          }
        } else {
          throw DTypeError(str(op == RandomOp::Uniform ? "uniform" : "normal", ": expected a floating dtype"));
        }
        break;
      case RandomOp::Bernoulli: launch_draw<T>(out, rng::BernoulliDraw<T>{a}, seed, offset, layout, stream); break;
      case RandomOp::RandInt: launch_draw<T>(out, rng::RandIntDraw<T>(a, b), seed, offset, layout, stream); break;
    }
  });
}

}  // namespace

// ---- CudaBackend::random ----

const FamilyRegistrar random_family(BackendFamily::Random, [](DType) { return true; });

void CudaBackend::random(RandomOp op, const Tensor& out, uint64_t seed, uint64_t offset, double a, double b) {
  SEEK_CHECK_T(DeviceError, out.is_cuda(), "random: the CUDA backend fills CUDA tensors, got one on ",
               out.device().str());
  if (out.numel() == 0) return;
  DeviceGuard guard(out.device().index, "random");
  random_forward(op, out, seed, offset, a, b, current_stream());
}

}  // namespace seek::cuda

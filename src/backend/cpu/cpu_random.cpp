// CPU random family: element i of `out` (row-major) is computed from Philox
// block (offset + i) alone, with the draws of seek/backend/random_op.h (shared
// with kernels/random.cu), so a parallel loop over i gives the same values as
// any other device.
#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/cpu_loops.h"
#include "seek/backend/random_op.h"
#include "seek/core/generator.h"

namespace seek::cpu {

namespace {

// out[i] = f(philox_block(seed, offset + i)) over a contiguous buffer.
template <typename T, typename F>
void fill_blocks(T* out, int64_t n, uint64_t seed, uint64_t offset, F f) {
  if (n < kParallelGrain / 4 || omp_get_max_threads() <= 1 || omp_in_parallel()) {
    for (int64_t i = 0; i < n; ++i) out[i] = f(philox_block(seed, offset + static_cast<uint64_t>(i)));
    return;
  }
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) out[i] = f(philox_block(seed, offset + static_cast<uint64_t>(i)));
}

template <typename T>
void random_contiguous(RandomOp op, T* out, int64_t n, uint64_t seed, uint64_t offset, double a, double b) {
  switch (op) {
    case RandomOp::Uniform:
    case RandomOp::Normal:
      if constexpr (std::is_floating_point_v<T> || is_reduced_float_v<T>) {
        if (op == RandomOp::Uniform) {
          fill_blocks(out, n, seed, offset, rng::UniformDraw<T>(a, b));
        } else {
          fill_blocks(out, n, seed, offset, rng::NormalDraw<T>(a, b));
        }
      } else {
        throw DTypeError(str(op == RandomOp::Uniform ? "uniform" : "normal", ": expected a floating dtype"));
      }
      break;
    case RandomOp::Bernoulli: fill_blocks(out, n, seed, offset, rng::BernoulliDraw<T>{a}); break;
    case RandomOp::RandInt: fill_blocks(out, n, seed, offset, rng::RandIntDraw<T>(a, b)); break;
  }
}

}  // namespace

void CpuBackend::random(RandomOp op, const Tensor& out, uint64_t seed, uint64_t offset, double a, double b) {
  if (out.numel() == 0) return;
  if (!out.is_contiguous()) {
    // Draw in row-major order into a contiguous buffer, then scatter by strides.
    Tensor tmp = empty(out.sizes(), TensorOptions(out.dtype()));
    random(op, tmp, seed, offset, a, b);
    copy(tmp, out);
    return;
  }
  SEEK_DISPATCH_ALL(out.dtype(), "random", [&] {
    random_contiguous<scalar_t>(op, static_cast<scalar_t*>(out.data_ptr()), out.numel(), seed, offset, a, b);
  });
}

}  // namespace seek::cpu

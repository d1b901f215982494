// CPU random family: element i of `out` (row-major) is computed from Philox
// block (offset + i) alone, with the transforms of seek/core/generator.h, so a
// parallel loop over i gives the same values as any other device.
#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/cpu_loops.h"
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
    case RandomOp::Normal: {
      if constexpr (std::is_floating_point_v<T> || is_reduced_float_v<T>) {
        using A = std::conditional_t<std::is_same_v<T, double>, double, float>;
        const A lo = static_cast<A>(a), width = static_cast<A>(b - a), hi = static_cast<A>(b);
        if (op == RandomOp::Uniform) {
          const T tlo = convert<T>(lo), thi = convert<T>(hi);
          fill_blocks(out, n, seed, offset, [=](const Philox4x32& blk) {
            T v = convert<T>(rng::uniform<A>(blk) * width + lo);
            return v == thi ? tlo : v;  // rounding up to `b` maps to `a`: the range stays [a, b)
          });
        } else {
          const A mean = lo, sd = static_cast<A>(b);
          fill_blocks(out, n, seed, offset,
                      [=](const Philox4x32& blk) { return convert<T>(rng::normal<A>(blk) * sd + mean); });
        }
      } else {
        throw DTypeError(str(op == RandomOp::Uniform ? "uniform" : "normal", ": expected a floating dtype"));
      }
      break;
    }
    case RandomOp::Bernoulli:
      fill_blocks(out, n, seed, offset,
                  [=](const Philox4x32& blk) { return convert<T>(static_cast<int>(rng::bernoulli(blk, a))); });
      break;
    case RandomOp::RandInt: {
      const int64_t low = static_cast<int64_t>(a);
      const uint64_t range = static_cast<uint64_t>(static_cast<int64_t>(b) - low);
      fill_blocks(out, n, seed, offset,
                  [=](const Philox4x32& blk) { return convert<T>(rng::randint(blk, low, range)); });
      break;
    }
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

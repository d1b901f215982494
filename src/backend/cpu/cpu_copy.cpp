// CPU memory family: strided copy with dtype conversion, and fill.
#include <algorithm>
#include <cstring>

#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/cpu_loops.h"

namespace seek::cpu {

Backend* cpu_backend() {
  static CpuBackend instance;
  return &instance;
}

namespace {

// A flat conversion loop the compiler vectorises (float -> bf16 / f16 for autocast, ...), in
// fixed chunks over the threads when large.
template <typename In, typename Out>
void convert_dense(const In* s, Out* d, int64_t n) {
  constexpr int64_t kChunk = 16384;
  const bool par = n >= 4 * kChunk && omp_get_max_threads() > 1 && !omp_in_parallel();
#pragma omp parallel for schedule(static) if (par)
  for (int64_t b = 0; b < n; b += kChunk) {
    const int64_t e = std::min(n, b + kChunk);
    for (int64_t i = b; i < e; ++i) d[i] = convert<Out>(s[i]);
  }
}

}  // namespace

void CpuBackend::copy(const Tensor& src, const Tensor& dst) {
  SEEK_CHECK(src.device().is_cpu() && dst.device().is_cpu(), "copy: the CPU backend copies between host tensors only");
  SEEK_CHECK_SHAPE(src.sizes() == dst.sizes(), "copy: shapes differ");
  if (src.dtype() == dst.dtype() && src.is_contiguous() && dst.is_contiguous()) {
    const size_t n = src.nbytes();
    char* d = static_cast<char*>(dst.data_ptr());
    const char* s = static_cast<const char*>(src.data_ptr());
    if (n == 0 || d == s) return;
    const bool overlap = d < s + n && s < d + n;
    const int threads = omp_get_max_threads();
    if (overlap || n < (size_t{1} << 20) || threads <= 1 || omp_in_parallel()) {
      std::memmove(d, s, n);
      return;
    }
    // One memcpy per thread: a single core cannot saturate memory bandwidth.
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int t = 0; t < threads; ++t) {
      size_t b = n * t / threads / 64 * 64, e = t + 1 == threads ? n : n * (t + 1) / threads / 64 * 64;
      std::memcpy(d + b, s + b, e - b);
    }
    return;
  }
  const bool dense = src.is_contiguous() && dst.is_contiguous();
  SEEK_DISPATCH_ALL(dst.dtype(), "copy", [&] {
    using Out = scalar_t;
    SEEK_DISPATCH_ALL(src.dtype(), "copy", [&] {
      using In = scalar_t;
      if (dense) {
        convert_dense(static_cast<const In*>(src.data_ptr()), static_cast<Out*>(dst.data_ptr()), src.numel());
        return;
      }
      for_each<2>({&dst, &src}, [](char** p, const int64_t* s, int64_t n) {
        for (int64_t i = 0; i < n; ++i)
          *reinterpret_cast<Out*>(p[0] + i * s[0]) = convert<Out>(*reinterpret_cast<const In*>(p[1] + i * s[1]));
      });
    });
  });
}

void CpuBackend::fill(const Tensor& out, Scalar value) {
  SEEK_DISPATCH_ALL(out.dtype(), "fill", [&] {
    const scalar_t v = value.is_floating() ? convert<scalar_t>(value.to_double()) : convert<scalar_t>(value.to_int());
    for_each<1>({&out}, [v](char** p, const int64_t* s, int64_t n) {
      if (s[0] == static_cast<int64_t>(sizeof(scalar_t))) {
        scalar_t* o = reinterpret_cast<scalar_t*>(p[0]);
        for (int64_t i = 0; i < n; ++i) o[i] = v;
      } else {
        for (int64_t i = 0; i < n; ++i) *reinterpret_cast<scalar_t*>(p[0] + i * s[0]) = v;
      }
    });
  });
}

}  // namespace seek::cpu

// CPU memory family: strided copy with dtype conversion, and fill.
#include <cstring>

#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/cpu_loops.h"

namespace seek::cpu {

Backend* cpu_backend() {
  static CpuBackend instance;
  return &instance;
}

void CpuBackend::copy(const Tensor& src, const Tensor& dst) {
  SEEK_CHECK(src.device().is_cpu() && dst.device().is_cpu(), "copy: the CPU backend copies between host tensors only");
  SEEK_CHECK_SHAPE(src.sizes() == dst.sizes(), "copy: shapes differ");
  if (src.dtype() == dst.dtype() && src.is_contiguous() && dst.is_contiguous()) {
    if (src.nbytes() > 0 && src.data_ptr() != dst.data_ptr()) std::memmove(dst.data_ptr(), src.data_ptr(), src.nbytes());
    return;
  }
  SEEK_DISPATCH_ALL(dst.dtype(), "copy", [&] {
    using Out = scalar_t;
    SEEK_DISPATCH_ALL(src.dtype(), "copy", [&] {
      using In = scalar_t;
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

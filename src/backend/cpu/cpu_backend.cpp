// What the CPU backend implements, and its registration at library load: the
// same BackendRegistrar a CUDA, simulated or third device uses, so the registry
// (src/backend/backend.cpp) knows no device by name.
#include "backend/cpu/cpu_backend.h"

namespace seek::cpu {

bool CpuBackend::supports(BackendFamily family, DType dtype) const {
  switch (family) {
    // Every dtype (the per-op limits, such as exp of an integer, are the op's).
    case BackendFamily::Copy:
    case BackendFamily::Unary:
    case BackendFamily::Binary:
    case BackendFamily::Ternary:
    case BackendFamily::Reduce:
    case BackendFamily::ArgReduce:
    case BackendFamily::Cumsum:
    case BackendFamily::Index:
    case BackendFamily::Sort:
    case BackendFamily::Random: return true;
    case BackendFamily::Gemm:  // every numeric dtype
      return dtype != DType::Bool;
    case BackendFamily::Softmax:
    case BackendFamily::Conv:
    case BackendFamily::Pool:
    case BackendFamily::Norm:
    case BackendFamily::Optim:  // steps in f32/f64; norms and unscaling of any floating dtype
      return is_floating(dtype);
    case BackendFamily::Attention:  // f16/bf16 through f32 copies
      return is_floating(dtype);
  }
  return false;
}

namespace {
[[gnu::init_priority(101)]] const BackendRegistrar registrar([] { register_backend(DeviceType::CPU, cpu_backend()); });
}  // namespace

}  // namespace seek::cpu

#pragma once
// The CPU backend: one class, its families implemented in one file each
// (cpu_<family>.cpp). A family not overridden here throws DeviceError.
#include "seek/backend/backend.h"

namespace seek::cpu {

class CpuBackend final : public Backend {
 public:
  DeviceType type() const override { return DeviceType::CPU; }

  // memory (cpu_copy.cpp)
  void copy(const Tensor& src, const Tensor& dst) override;
  void fill(const Tensor& out, Scalar value) override;

  // binary (cpu_binary.cpp)
  void binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) override;

  // unary (cpu_unary.cpp)

  // ternary (cpu_ternary.cpp)

  // reductions and softmax (cpu_reduce.cpp, cpu_softmax.cpp)

  // linear algebra (cpu_linalg.cpp)

  // indexing and sorting (cpu_index.cpp, cpu_sort.cpp)

  // random (cpu_random.cpp)
};

Backend* cpu_backend();

}  // namespace seek::cpu

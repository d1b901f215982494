// The per-device table of fused conv + batch norm kernels (conv_bn_fused.h): two slots, filled by
// static registrars in the CPU twin and the CUDA kernel file.
#include "backend/conv_bn_fused.h"

#include <array>
#include <mutex>

namespace seek::backend_detail {

namespace {
struct Registry {
  std::mutex mu;
  std::array<ConvBnKernels, 2> tables{};
  std::array<bool, 2> set{};
};
Registry& registry() {
  static Registry r;
  return r;
}
size_t slot(DeviceType type) { return type == DeviceType::CPU ? 0 : 1; }
}  // namespace

void register_conv_bn_kernels(DeviceType type, ConvBnKernels kernels) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  r.tables[slot(type)] = kernels;
  r.set[slot(type)] = true;
}

const ConvBnKernels* find_conv_bn_kernels(DeviceType type) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  return r.set[slot(type)] ? &r.tables[slot(type)] : nullptr;
}

}  // namespace seek::backend_detail

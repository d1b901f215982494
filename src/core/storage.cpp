#include "seek/core/storage.h"

#include <array>
#include <cstdlib>
#include <new>

#include "seek/core/error.h"

namespace seek {

namespace {
// 64-byte aligned host memory so that vector loads never straddle cache lines.
class CpuAllocator final : public Allocator {
 public:
  void* allocate(size_t nbytes) override {
    if (nbytes == 0) return nullptr;
    size_t rounded = (nbytes + 63) / 64 * 64;
    void* p = std::aligned_alloc(64, rounded);
    if (!p) throw OutOfMemoryError(str("CPU allocator: failed to allocate ", nbytes, " bytes"));
    return p;
  }
  void deallocate(void* ptr) override { std::free(ptr); }
};

std::array<Allocator*, 2>& allocators() {
  static CpuAllocator cpu;
  static std::array<Allocator*, 2> a{&cpu, nullptr};
  return a;
}
}  // namespace

Allocator* get_allocator(Device device) {
  Allocator* a = allocators()[static_cast<int>(device.type)];
  if (!a) throw DeviceError(str("no allocator for device ", device.str(), ": this build of seek has no CUDA support"));
  return a;
}

void set_allocator(DeviceType type, Allocator* allocator) { allocators()[static_cast<int>(type)] = allocator; }

Storage::Storage(size_t nbytes, Device device) : nbytes_(nbytes), device_(device) {
  Allocator* a = get_allocator(device);
  data_ = a->allocate(nbytes);
  deleter_ = [a](void* p) { a->deallocate(p); };
}

Storage::Storage(void* data, size_t nbytes, Device device, std::function<void(void*)> deleter)
    : data_(data), nbytes_(nbytes), device_(device), deleter_(std::move(deleter)) {}

Storage::~Storage() {
  if (deleter_ && data_) deleter_(data_);
}

}  // namespace seek

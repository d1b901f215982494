#pragma once
#include <cstddef>
#include <functional>
#include <memory>

#include "seek/core/device.h"

namespace seek {

// Raw device memory behind one or more tensors (views share one Storage).
class Allocator {
 public:
  virtual ~Allocator() = default;
  // Memory on `device` (the index matters for CUDA: cuda:1 allocates on GPU 1).
  virtual void* allocate(size_t nbytes, Device device) = 0;
  virtual void deallocate(void* ptr) = 0;
};

// The allocator for a device; the CUDA backend registers its own at start-up.
Allocator* get_allocator(Device device);
void set_allocator(DeviceType type, Allocator* allocator);
// The CPU allocator keeps released blocks of 256 KiB and more for reuse (up to
// SEEK_CPU_CACHE_MB, default 1024); this returns them to the system.
void release_cpu_cache();
size_t cpu_cache_bytes();
// Bytes held by live CPU Storages that seek allocated (not wrapped memory, not the
// allocator's cache), and the highest such figure since start or since
// reset_cpu_peak_bytes(): memory tests measure an op's extra memory with these.
size_t cpu_allocated_bytes();
size_t cpu_peak_allocated_bytes();
void reset_cpu_peak_bytes();  // peak = the bytes allocated now

class Storage {
 public:
  // Allocates nbytes on `device` with that device's allocator.
  Storage(size_t nbytes, Device device);
  // Wraps memory owned elsewhere (numpy arrays, from_blob); `deleter` runs on release.
  Storage(void* data, size_t nbytes, Device device, std::function<void(void*)> deleter);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  size_t nbytes() const { return nbytes_; }
  Device device() const { return device_; }

 private:
  void* data_ = nullptr;
  size_t nbytes_ = 0;
  Device device_;
  std::function<void(void*)> deleter_;
};

}  // namespace seek

#pragma once
// The simulated device's memory (SEEK_CUDA_SIM builds only): every cudaMalloc and
// cudaHostAlloc is a mapping of its own, registered with its device and kind, so
// that the runtime can tell device memory from host memory as a GPU would:
// passing a host pointer where device memory is due (or the reverse) is an error.
#include <cstddef>
#include <cstdint>
#include <string>

namespace seek::cuda::sim_memory {

enum class Kind { Device, PinnedHost };

struct Region {
  uintptr_t base = 0;
  size_t size = 0;
  int device = -1;  // Kind::Device
  Kind kind = Kind::Device;
};

// The registered region holding [p, p + bytes) (bytes == 0: holding p or ending at p);
// false when p is not inside one or the range runs past its end.
bool find(const void* p, size_t bytes, Region* out);
// Whether p lies inside a region at all (then `out` is that region).
bool lookup(const void* p, Region* out);

// Maps and registers a region; nullptr when the device's simulated capacity is used up.
void* allocate(size_t bytes, int device, Kind kind);
// Unregisters and unmaps; false for a pointer that is not the base of a live region.
bool release(void* p, Kind kind);

// Simulated capacity of each device in bytes (SEEK_SIM_DEVICE_MEMORY_MB, default 8192) and use.
size_t capacity();
size_t used(int device);

}  // namespace seek::cuda::sim_memory

#pragma once
// seek::cuda: device discovery, memory statistics and build information, like
// torch.cuda. Every function exists in every build: in a build without CUDA
// (or on a machine with no visible GPU) is_available() is false,
// device_count() is 0, the memory figures are 0 and the functions that need a
// device throw DeviceError. No CUDA header is needed to include this file.
#include <cstddef>
#include <string>

namespace seek::cuda {

// True when seek was built with CUDA and at least one GPU is visible.
bool is_available();
// Number of visible GPUs (0 without CUDA, without a driver or without a GPU).
int device_count();
// The device new CUDA tensors are allocated on and kernels run on (this thread).
int current_device();
void set_device(int device);
// Waits for all work queued on the current device.
void synchronize();

struct DeviceProperties {
  std::string name;
  size_t total_memory = 0;  // bytes
  int major = 0;            // compute capability major.minor
  int minor = 0;
  int multi_processor_count = 0;
};
DeviceProperties get_device_properties(int device);

// Caching-allocator figures in bytes, for `device` (-1: the current device;
// 0 when no GPU is visible). allocated: held by live tensors; reserved:
// obtained from cudaMalloc (allocated + cached); peak: the highest `allocated`
// since start or since reset_peak_memory_stats().
struct MemoryStats {
  size_t allocated = 0;
  size_t reserved = 0;
  size_t peak_allocated = 0;
};
MemoryStats memory_stats(int device = -1);
size_t memory_allocated(int device = -1);
size_t memory_reserved(int device = -1);
size_t max_memory_allocated(int device = -1);
void reset_peak_memory_stats(int device = -1);
// Returns every cached, unused block to the driver (cudaFree).
void empty_cache();

// One line: the CUDA version seek was compiled with, the runtime and driver
// versions and the GPU architectures of the kernels, or "built without CUDA".
std::string build_info();

}  // namespace seek::cuda

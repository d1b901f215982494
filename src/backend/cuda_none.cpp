// seek/cuda.h for a build without CUDA (SEEK_CUDA=OFF or no toolkit): nothing
// is available, memory figures are 0, and anything that needs a GPU throws
// DeviceError. With CUDA, src/backend/cuda/ defines these functions instead.
#include "seek/core/error.h"
#include "seek/cuda.h"

namespace seek::cuda {

namespace {
[[noreturn]] void no_cuda(const char* fn) {
  throw DeviceError(str("cuda::", fn, ": seek was built without CUDA (rebuild with -DSEEK_CUDA=ON)"));
}
}  // namespace

bool is_available() { return false; }
int device_count() { return 0; }
int current_device() { no_cuda("current_device"); }
void set_device(int) { no_cuda("set_device"); }
void synchronize() { no_cuda("synchronize"); }
DeviceProperties get_device_properties(int) { no_cuda("get_device_properties"); }

// -1 (the current device) reads as "nothing allocated"; a named device does not exist.
MemoryStats memory_stats(int device) {
  if (device >= 0) no_cuda("memory_stats");
  return {};
}
size_t memory_allocated(int device) { return memory_stats(device).allocated; }
size_t memory_reserved(int device) { return memory_stats(device).reserved; }
size_t max_memory_allocated(int device) { return memory_stats(device).peak_allocated; }
void reset_peak_memory_stats(int device) { memory_stats(device); }
void empty_cache() {}

std::string build_info() { return "seek built without CUDA"; }

}  // namespace seek::cuda

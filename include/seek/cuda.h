#pragma once
// seek::cuda: device discovery, memory statistics and build information, like
// torch.cuda. Every function exists in every build: in a build without CUDA
// (or on a machine with no visible GPU) is_available() is false,
// device_count() is 0, the memory figures are 0 and the functions that need a
// device throw DeviceError. No CUDA header is needed to include this file.
// Streams, events and the current stream: seek/cuda/stream.h (included here).
#include <cstddef>
#include <cstdint>
#include <string>

#include "seek/cuda/stream.h"

namespace seek::cuda {

// True when seek was built with CUDA and at least one GPU is visible.
bool is_available();
// Number of visible GPUs (0 without CUDA, without a driver or without a GPU).
int device_count();
// The device new CUDA tensors are allocated on and kernels run on (this thread).
int current_device();
void set_device(int device);
// Waits for all work queued on the current device (or on `device`), on every stream.
void synchronize();
void synchronize(int device);

struct DeviceProperties {
  std::string name;
  size_t total_memory = 0;  // bytes
  int major = 0;            // compute capability major.minor
  int minor = 0;
  int multi_processor_count = 0;
};
DeviceProperties get_device_properties(int device);

// Caching-allocator figures for `device` (-1: the current device; all zero
// when no GPU is visible), like torch.cuda.memory_stats(). Each Stat has its
// current value, its peak since start or reset_peak_memory_stats(), and the
// cumulative increases (allocated) and decreases (freed); each StatGroup splits
// it by pool: small (blocks of at most 1 MiB) and large.
struct Stat {
  int64_t current = 0;
  int64_t peak = 0;
  int64_t allocated = 0;
  int64_t freed = 0;
};
struct StatGroup {
  Stat all, small_pool, large_pool;
};
struct MemoryStats {
  // Quick figures in bytes. allocated: held by live tensors; reserved: obtained
  // from cudaMalloc (allocated + cached + waiting for other streams); peak: the
  // highest `allocated` since start or since reset_peak_memory_stats().
  size_t allocated = 0;
  size_t reserved = 0;
  size_t peak_allocated = 0;
  size_t peak_reserved = 0;

  StatGroup allocated_bytes;           // bytes in blocks held by tensors (rounded sizes)
  StatGroup reserved_bytes;            // bytes obtained from cudaMalloc
  StatGroup active_bytes;              // allocated + freed blocks still in use by another stream
  StatGroup allocation;                // number of blocks held by tensors (allocated/freed: calls)
  StatGroup segment;                   // number of cudaMalloc'd blocks (allocated/freed: cudaMalloc/cudaFree calls)
  StatGroup active;                    // number of active blocks
  int64_t num_cache_hits = 0;          // requests served from the pool without cudaMalloc
  int64_t num_alloc_retries = 0;       // cudaMalloc failures retried after releasing the pool
  int64_t num_ooms = 0;                // OutOfMemoryErrors thrown
  int64_t num_cross_stream_frees = 0;  // frees that waited for events on other streams
  int64_t num_sync_all_streams = 0;    // times every pending event was waited for (empty_cache, OOM retry)
};
MemoryStats memory_stats(int device = -1);
size_t memory_allocated(int device = -1);
size_t memory_reserved(int device = -1);
size_t max_memory_allocated(int device = -1);
size_t max_memory_reserved(int device = -1);
void reset_peak_memory_stats(int device = -1);
// Zeroes the cumulative counts (allocated/freed, hits, retries, OOMs).
void reset_accumulated_memory_stats(int device = -1);
// A readable table of memory_stats(device), like torch.cuda.memory_summary().
std::string memory_summary(int device = -1);
// Waits for the events of blocks freed while in use on other streams, then
// returns every cached, unused block to the driver (cudaFree).
void empty_cache();

// What seek was built with and what it found, so a user can see why the GPU
// is or is not used. Versions are "major.minor[.patch]" or "none".
struct BuildConfig {
  bool cuda = false;                           // built with the CUDA backend
  bool simulated = false;                      // the backend runs on the simulated device (SEEK_CUDA_SIM), not a GPU
  std::string cuda_version = "none";           // toolkit headers at compile time
  std::string runtime_version = "none";        // cudaRuntimeGetVersion
  std::string driver_version = "none";         // cudaDriverGetVersion (none without a driver)
  std::string cudnn_version = "none";          // cudnn.h at compile time
  std::string cudnn_runtime_version = "none";  // cudnnGetVersion() of the loaded library
  std::string nccl_version = "none";           // nccl.h at compile time (seek links no NCCL today)
  std::string architectures = "none";          // the kernels' sm list, or "simulated"
  int device_count = 0;
};
BuildConfig build_config();
// build_config() on one line, or "seek built without CUDA".
std::string build_info();
// The loaded cuDNN's version as cudnnGetVersion() reports it (e.g. 90100), 0 without cuDNN.
int cudnn_version();

}  // namespace seek::cuda

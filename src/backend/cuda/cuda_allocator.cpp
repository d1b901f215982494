// Caching allocator over cudaMalloc/cudaFree. cudaMalloc and cudaFree are slow
// and cudaFree synchronises the device, so freed blocks are kept in a pool per
// device, keyed by rounded size, and handed to the next request of that size.
// Sizes round up to 512 B below 1 MiB and to 2 MiB above (the driver's own
// granularity for large blocks), so that similar requests share buckets.
// Reuse without events is safe because all of seek's device work is queued on
// one stream per device (current_stream()): a kernel that uses a recycled block
// runs after every kernel that used it before.
// On cudaErrorMemoryAllocation the pool of that device is returned to the
// driver and the request retried once before OutOfMemoryError.
#include <algorithm>
#include <limits>
#include <mutex>
#include <sstream>
#include <unordered_map>
#include <vector>

#include "backend/cuda/cuda_backend.h"
#include "backend/cuda/cuda_check.h"
#include "seek/core/logging.h"
#include "seek/cuda.h"

namespace seek::cuda {

namespace {
constexpr size_t kSmallLimit = size_t(1) << 20;
constexpr size_t kSmallRound = 512;
constexpr size_t kLargeRound = size_t(2) << 20;

std::string bytes_str(size_t n) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1024.0 && u < 6) {
    v /= 1024.0;
    ++u;
  }
  std::ostringstream os;
  os.precision(u == 0 ? 0 : 2);
  os << std::fixed << v << " " << units[u];
  return os.str();
}

struct DevicePool {
  std::unordered_map<size_t, std::vector<void*>> cached;  // rounded size -> unused blocks
  size_t allocated = 0;
  size_t reserved = 0;
  size_t peak = 0;
};

class CachingAllocator final : public Allocator {
 public:
  CachingAllocator() : pools_(static_cast<size_t>(device_count())) {}

  void* allocate(size_t nbytes, Device device) override {
    if (pools_.empty()) throw DeviceError(str("CUDA allocator: cannot allocate ", nbytes, " bytes: ", no_gpu_reason()));
    if (nbytes == 0) return nullptr;
    const int dev = device.index;
    SEEK_CHECK_T(DeviceError, dev >= 0 && static_cast<size_t>(dev) < pools_.size(), "CUDA allocator: ", device.str(),
                 " is not a visible GPU (", pools_.size(), " visible)");
    DeviceGuard guard(dev, "allocate");
    std::lock_guard<std::mutex> lock(mu_);
    DevicePool& pool = pools_.at(static_cast<size_t>(dev));
    if (nbytes > std::numeric_limits<size_t>::max() - kLargeRound) throw oom(dev, nbytes, nbytes);
    const size_t size = nbytes <= kSmallLimit ? (nbytes + kSmallRound - 1) / kSmallRound * kSmallRound
                                              : (nbytes + kLargeRound - 1) / kLargeRound * kLargeRound;
    void* p = nullptr;
    auto it = pool.cached.find(size);
    if (it != pool.cached.end() && !it->second.empty()) {
      p = it->second.back();
      it->second.pop_back();
    } else {
      cudaError_t err = cudaMalloc(&p, size);
      if (err == cudaErrorMemoryAllocation) {
        cudaGetLastError();
        release_cached(dev, pool);
        err = cudaMalloc(&p, size);
      }
      if (err == cudaErrorMemoryAllocation) {
        cudaGetLastError();
        throw oom(dev, nbytes, size);
      }
      SEEK_CUDA_CHECK(err);
      pool.reserved += size;
    }
    pool.allocated += size;
    pool.peak = std::max(pool.peak, pool.allocated);
    live_[p] = Block{dev, size};
    return p;
  }

  void deallocate(void* p) override {
    if (!p) return;
    std::lock_guard<std::mutex> lock(mu_);
    auto it = live_.find(p);
    if (it == live_.end()) {  // runs in destructors: report, never throw
      logging::error(str("CUDA allocator: deallocate of a pointer it did not allocate (", p, ")"));
      return;
    }
    DevicePool& pool = pools_[static_cast<size_t>(it->second.device)];
    pool.allocated -= it->second.size;
    pool.cached[it->second.size].push_back(p);
    live_.erase(it);
  }

  void empty_cache() {
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t d = 0; d < pools_.size(); ++d) release_cached(static_cast<int>(d), pools_[d]);
  }

  MemoryStats stats(int device) {
    std::lock_guard<std::mutex> lock(mu_);
    const DevicePool& p = pools_.at(static_cast<size_t>(device));
    return MemoryStats{p.allocated, p.reserved, p.peak};
  }

  void reset_peak(int device) {
    std::lock_guard<std::mutex> lock(mu_);
    DevicePool& p = pools_.at(static_cast<size_t>(device));
    p.peak = p.allocated;
  }

 private:
  struct Block {
    int device;
    size_t size;
  };

  // cudaFree of every cached block of `dev`; the caller holds mu_.
  void release_cached(int dev, DevicePool& pool) {
    bool any = false;
    for (auto& kv : pool.cached) any = any || !kv.second.empty();
    if (!any) return;
    DeviceGuard guard(dev, "empty_cache");
    for (auto& kv : pool.cached) {
      for (void* p : kv.second) {
        SEEK_CUDA_CHECK(cudaFree(p));
        pool.reserved -= kv.first;
      }
      kv.second.clear();
    }
  }

  OutOfMemoryError oom(int dev, size_t nbytes, size_t rounded) const {
    const DevicePool& pool = pools_[static_cast<size_t>(dev)];
    size_t free_b = 0, total_b = 0;
    std::string device_mem = cudaMemGetInfo(&free_b, &total_b) == cudaSuccess
                                 ? str("; the device has ", bytes_str(free_b), " free of ", bytes_str(total_b))
                                 : std::string();
    cudaGetLastError();
    return OutOfMemoryError(str("CUDA out of memory on cuda:", dev, ": tried to allocate ", bytes_str(nbytes), " (",
                                nbytes, " bytes, ", rounded, " rounded); seek holds ", bytes_str(pool.allocated),
                                " allocated by tensors and ", bytes_str(pool.reserved),
                                " reserved (cached blocks were returned to the driver before the retry)", device_mem));
  }

  std::mutex mu_;
  std::vector<DevicePool> pools_;  // one per visible device
  std::unordered_map<void*, Block> live_;
};

// Never destroyed: tensors held in static objects may be released after main().
CachingAllocator& caching_allocator() {
  static CachingAllocator* a = new CachingAllocator();
  return *a;
}

// -1: the current device (and "nothing allocated" when no GPU is visible).
int stats_device(int device, const char* fn) {
  if (device < 0) return is_available() ? current_device() : -1;
  SEEK_CHECK_T(DeviceError, device < device_count(), "cuda::", fn, ": device ", device, " is not a visible GPU (",
               device_count(), " visible)");
  return device;
}
}  // namespace

Allocator* cuda_allocator() { return &caching_allocator(); }

MemoryStats memory_stats(int device) {
  int d = stats_device(device, "memory_stats");
  return d < 0 ? MemoryStats{} : caching_allocator().stats(d);
}
size_t memory_allocated(int device) { return memory_stats(device).allocated; }
size_t memory_reserved(int device) { return memory_stats(device).reserved; }
size_t max_memory_allocated(int device) { return memory_stats(device).peak_allocated; }

void reset_peak_memory_stats(int device) {
  int d = stats_device(device, "reset_peak_memory_stats");
  if (d >= 0) caching_allocator().reset_peak(d);
}

void empty_cache() {
  if (is_available()) caching_allocator().empty_cache();
}

}  // namespace seek::cuda

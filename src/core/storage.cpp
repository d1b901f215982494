#include "seek/core/storage.h"

#include <array>
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

#include "seek/core/error.h"

namespace seek {

namespace {
std::string out_of_memory_message(size_t requested) {
  return str("CPU out of memory: tried to allocate ", requested, " bytes (", static_cast<double>(requested) / (1 << 30),
             " GiB)");
}

// Host memory, 64-byte aligned so that vector loads never straddle cache lines.
// Large blocks are cached after release and handed out again for the same
// rounded size: a fresh multi-megabyte block comes from mmap and costs a page
// fault per 4 KiB on first touch, which doubles the time of a bandwidth-bound
// op such as a + b. The cache holds at most SEEK_CPU_CACHE_MB (default 1024,
// 0 disables) and release_cpu_cache() returns it to the system.
class CpuAllocator final : public Allocator {
 public:
  static constexpr size_t kCacheMin = size_t{1} << 18;  // cache blocks of 256 KiB and more
  static constexpr size_t kLargeRound = size_t{1} << 16;

  CpuAllocator() {
    const char* env = std::getenv("SEEK_CPU_CACHE_MB");
    if (env && *env) limit_ = static_cast<size_t>(std::strtoull(env, nullptr, 10)) << 20;
  }
  ~CpuAllocator() override { release(); }

  void* allocate(size_t nbytes, Device) override {
    if (nbytes == 0) return nullptr;
    if (nbytes < kCacheMin || limit_ == 0) return raw_alloc((nbytes + 63) / 64 * 64, nbytes);
    size_t rounded = (nbytes + kLargeRound - 1) / kLargeRound * kLargeRound;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = cache_.find(rounded);
      if (it != cache_.end() && !it->second.empty()) {
        void* p = it->second.back();
        it->second.pop_back();
        cached_bytes_ -= rounded;
        live_[p] = rounded;
        return p;
      }
    }
    void* p = raw_alloc(rounded, nbytes);
    std::lock_guard<std::mutex> lock(mu_);
    live_[p] = rounded;
    return p;
  }

  void deallocate(void* ptr) override {
    if (!ptr) return;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = live_.find(ptr);
      if (it != live_.end()) {
        size_t size = it->second;
        live_.erase(it);
        if (cached_bytes_ + size <= limit_) {
          cache_[size].push_back(ptr);
          cached_bytes_ += size;
          return;
        }
      }
    }
    std::free(ptr);
  }

  void release() {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [size, blocks] : cache_)
      for (void* p : blocks) std::free(p);
    cache_.clear();
    cached_bytes_ = 0;
  }

  size_t cached_bytes() {
    std::lock_guard<std::mutex> lock(mu_);
    return cached_bytes_;
  }

 private:
  static void* raw_alloc(size_t rounded, size_t requested) {
    void* p = rounded < requested ? nullptr : std::aligned_alloc(64, rounded);  // rounded < requested: wrapped
    if (!p) throw OutOfMemoryError(out_of_memory_message(requested));
    return p;
  }

  std::mutex mu_;
  size_t limit_ = size_t{1024} << 20;
  size_t cached_bytes_ = 0;
  std::unordered_map<size_t, std::vector<void*>> cache_;  // rounded size -> free blocks
  std::unordered_map<void*, size_t> live_;                // cacheable blocks in use
};

// Live and peak bytes of CPU Storages (counted in Storage, so the allocator's cache does not blur them).
std::atomic<size_t> cpu_live_bytes{0};
std::atomic<size_t> cpu_peak_bytes{0};

void count_cpu_alloc(size_t nbytes) {
  size_t now = cpu_live_bytes.fetch_add(nbytes) + nbytes;
  size_t peak = cpu_peak_bytes.load();
  while (now > peak && !cpu_peak_bytes.compare_exchange_weak(peak, now)) {}
}

CpuAllocator& cpu_allocator() {
  static CpuAllocator cpu;
  return cpu;
}

std::array<Allocator*, 2>& allocators() {
  static std::array<Allocator*, 2> a{&cpu_allocator(), nullptr};
  return a;
}
}  // namespace

Allocator* get_allocator(Device device) {
  Allocator* a = allocators()[static_cast<int>(device.type)];
  if (!a) throw DeviceError(str("no allocator for device ", device.str(), ": this build of seek has no CUDA support"));
  return a;
}

void release_cpu_cache() { cpu_allocator().release(); }
size_t cpu_cache_bytes() { return cpu_allocator().cached_bytes(); }
size_t cpu_allocated_bytes() { return cpu_live_bytes.load(); }
size_t cpu_peak_allocated_bytes() { return cpu_peak_bytes.load(); }
void reset_cpu_peak_bytes() { cpu_peak_bytes.store(cpu_live_bytes.load()); }

void set_allocator(DeviceType type, Allocator* allocator) { allocators()[static_cast<int>(type)] = allocator; }

Storage::Storage(size_t nbytes, Device device) : nbytes_(nbytes), device_(device) {
  Allocator* a = get_allocator(device);
  try {
    data_ = a->allocate(nbytes, device);
  } catch (const std::bad_alloc&) {  // an allocator's bookkeeping ran out of memory
    throw OutOfMemoryError(str(device.str(), " out of memory: tried to allocate ", nbytes, " bytes"));
  }
  if (device.type != DeviceType::CPU || !data_) {
    deleter_ = [a](void* p) { a->deallocate(p); };
    return;
  }
  count_cpu_alloc(nbytes);
  deleter_ = [a, nbytes](void* p) {
    a->deallocate(p);
    cpu_live_bytes.fetch_sub(nbytes);
  };
}

Storage::Storage(void* data, size_t nbytes, Device device, std::function<void(void*)> deleter)
    : data_(data), nbytes_(nbytes), device_(device), deleter_(std::move(deleter)) {}

Storage::~Storage() {
  if (deleter_ && data_) deleter_(data_);
}

}  // namespace seek

// The simulated device's memory registry (sim_memory.h). Regions are separate
// anonymous mappings (never the CPU allocator's heap), looked up by address in
// an ordered map under one mutex.
#include "backend/cuda/sim_memory.h"

#include <sys/mman.h>

#include <cstdlib>
#include <map>
#include <mutex>
#include <vector>

namespace seek::cuda::sim_memory {

namespace {
std::mutex mu;
std::map<uintptr_t, Region>& regions() {
  static auto* r = new std::map<uintptr_t, Region>;  // never destroyed: frees may come from static destructors
  return *r;
}
std::vector<size_t>& device_use() {
  static auto* u = new std::vector<size_t>;
  return *u;
}

bool lookup_locked(uintptr_t a, Region* out) {
  auto& r = regions();
  auto it = r.upper_bound(a);
  if (it == r.begin()) return false;
  --it;
  const Region& g = it->second;
  if (a > g.base + g.size) return false;
  if (a == g.base + g.size && g.size > 0) {
    // One past the end belongs to this region only when no region starts there.
    if (r.count(a)) return false;
  }
  *out = g;
  return true;
}
}  // namespace

size_t capacity() {
  static const size_t bytes = [] {
    const char* env = std::getenv("SEEK_SIM_DEVICE_MEMORY_MB");
    const long long mb = env ? std::atoll(env) : 8192;
    return static_cast<size_t>(mb > 0 ? mb : 8192) << 20;
  }();
  return bytes;
}

size_t used(int device) {
  std::lock_guard<std::mutex> lock(mu);
  auto& u = device_use();
  return device >= 0 && static_cast<size_t>(device) < u.size() ? u[static_cast<size_t>(device)] : 0;
}

bool lookup(const void* p, Region* out) {
  std::lock_guard<std::mutex> lock(mu);
  return lookup_locked(reinterpret_cast<uintptr_t>(p), out);
}

bool find(const void* p, size_t bytes, Region* out) {
  std::lock_guard<std::mutex> lock(mu);
  const uintptr_t a = reinterpret_cast<uintptr_t>(p);
  if (!lookup_locked(a, out)) return false;
  return a + bytes <= out->base + out->size;
}

void* allocate(size_t bytes, int device, Kind kind) {
  const size_t size = bytes == 0 ? 1 : bytes;
  {
    std::lock_guard<std::mutex> lock(mu);
    auto& u = device_use();
    if (kind == Kind::Device) {
      if (u.size() <= static_cast<size_t>(device)) u.resize(static_cast<size_t>(device) + 1, 0);
      if (size > capacity() - u[static_cast<size_t>(device)]) return nullptr;
      u[static_cast<size_t>(device)] += size;
    }
  }
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  std::lock_guard<std::mutex> lock(mu);
  if (p == MAP_FAILED) {
    if (kind == Kind::Device) device_use()[static_cast<size_t>(device)] -= size;
    return nullptr;
  }
  regions()[reinterpret_cast<uintptr_t>(p)] = Region{reinterpret_cast<uintptr_t>(p), size, device, kind};
  return p;
}

bool release(void* p, Kind kind) {
  Region g;
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = regions().find(reinterpret_cast<uintptr_t>(p));
    if (it == regions().end() || it->second.kind != kind) return false;
    g = it->second;
    regions().erase(it);
    if (kind == Kind::Device) device_use()[static_cast<size_t>(g.device)] -= g.size;
  }
  munmap(p, g.size);
  return true;
}

}  // namespace seek::cuda::sim_memory

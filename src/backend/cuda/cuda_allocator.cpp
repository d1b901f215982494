// Stream-ordered caching allocator over cudaMalloc/cudaFree (as torch's
// CUDACachingAllocator, without block splitting). cudaMalloc is slow and
// cudaFree synchronises the device, so freed blocks stay in a pool per device,
// keyed by (stream, rounded size), and serve later requests of that size.
//
// Stream order makes reuse safe: a block belongs to the stream that was current
// when it was allocated, and only requests on that stream get it back, so the
// kernel that reuses it is queued after every kernel that used it before. A
// tensor used on another stream is marked with Tensor::record_stream(s); when
// such a block is freed, an event is recorded on each of those streams and the
// block stays out of the pool until every event has completed (queried on each
// allocation; waited for before cudaFree in empty_cache and the OOM retry).
//
// Sizes round up to 512 B up to 1 MiB (the small pool) and to 2 MiB above (the
// large pool). On cudaErrorMemoryAllocation every cached block of the device is
// returned to the driver and the request retried once before OutOfMemoryError;
// the allocator's state is consistent after the throw, so the next request works.
//
// CUDA graphs (cuda_graph_pool.h): while a stream captures for a CUDAGraph, its
// requests are served from the graph's private pool (Block::pool; key part of
// the free lists), so a replay finds its memory untouched by eager code; the
// pool's cached blocks are kept (not returned by empty_cache) until the last
// graph using it is reset. During a capture no event is queried (that is not
// allowed while capturing): cross-stream frees are deferred until it ends, and
// an out-of-memory retry does not release cached blocks (cudaFree is not allowed).
#include <algorithm>
#include <deque>
#include <limits>
#include <map>
#include <tuple>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "backend/cuda/cuda_backend.h"
#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_graph_pool.h"
#include "seek/core/logging.h"
#include "seek/cuda.h"

namespace seek::cuda {

namespace {
constexpr size_t kSmallLimit = size_t(1) << 20;
constexpr size_t kSmallRound = 512;
constexpr size_t kLargeRound = size_t(2) << 20;

struct Block {
  void* ptr = nullptr;
  size_t size = 0;  // rounded
  int device = 0;
  cudaStream_t stream = nullptr;          // allocated on; only this stream reuses it
  std::vector<cudaStream_t> stream_uses;  // other streams (record_stream)
  int pending_events = 0;                 // events to complete before reuse
  uint64_t pool = 0;                      // 0: the default pool; else a CUDA graph's private pool
  bool small() const { return size <= kSmallLimit; }
};

using PoolKey = std::tuple<uint64_t, uintptr_t, size_t>;  // (pool, stream, size)

struct DeviceState {
  std::map<PoolKey, std::vector<Block*>> free_blocks;
  std::deque<std::pair<cudaEvent_t, Block*>> pending;  // events of cross-stream frees
  std::vector<cudaEvent_t> spare_events;
  MemoryStats stats;
  size_t cached_bytes = 0;   // in free_blocks
  size_t pending_bytes = 0;  // waiting for events
  // CUDA graphs: the captures under way (capture id -> private pool), how many
  // graphs use each pool, and frees that need events, deferred until no capture is under way.
  std::map<unsigned long long, uint64_t> captures;
  std::map<uint64_t, int> pool_users;
  std::vector<Block*> deferred_frees;
};

void apply(Stat& s, int64_t delta) {
  s.current += delta;
  if (delta > 0) {
    s.allocated += delta;
    s.peak = std::max(s.peak, s.current);
  } else {
    s.freed -= delta;
  }
}
void update(StatGroup& g, bool small, int64_t delta) {
  apply(g.all, delta);
  apply(small ? g.small_pool : g.large_pool, delta);
}

class CachingAllocator final : public Allocator {
 public:
  CachingAllocator() : devices_(static_cast<size_t>(device_count())) {}

  void* allocate(size_t nbytes, Device device) override {
    if (devices_.empty())
      throw DeviceError(str("CUDA allocator: cannot allocate ", nbytes, " bytes: ", no_gpu_reason()));
    if (nbytes == 0) return nullptr;
    const int dev = device.index;
    SEEK_CHECK_T(DeviceError, dev >= 0 && static_cast<size_t>(dev) < devices_.size(), "CUDA allocator: ", device.str(),
                 " is not a visible GPU (", devices_.size(), " visible)");
    DeviceGuard guard(dev, "allocate");
    const cudaStream_t stream = current_stream(dev).handle();
    std::lock_guard<std::mutex> lock(mu_);
    DeviceState& st = devices_[static_cast<size_t>(dev)];
    if (nbytes > std::numeric_limits<size_t>::max() - kLargeRound) throw oom(dev, st, nbytes, nbytes);
    const size_t size = nbytes <= kSmallLimit ? (nbytes + kSmallRound - 1) / kSmallRound * kSmallRound
                                              : (nbytes + kLargeRound - 1) / kLargeRound * kLargeRound;
    const uint64_t pool = capture_pool(st, stream);
    if (st.captures.empty()) process_events(st);
    Block* b = nullptr;
    auto it = st.free_blocks.find({pool, reinterpret_cast<uintptr_t>(stream), size});
    if (it != st.free_blocks.end() && !it->second.empty()) {
      b = it->second.back();
      it->second.pop_back();
      st.cached_bytes -= size;
      ++st.stats.num_cache_hits;
    } else {
      b = new_block(dev, st, nbytes, size, stream);
      b->pool = pool;
    }
    const bool small = b->small();
    update(st.stats.allocation, small, 1);
    update(st.stats.allocated_bytes, small, static_cast<int64_t>(size));
    update(st.stats.active, small, 1);
    update(st.stats.active_bytes, small, static_cast<int64_t>(size));
    live_[b->ptr] = b;
    return b->ptr;
  }

  void deallocate(void* p) override {
    if (!p) return;
    std::lock_guard<std::mutex> lock(mu_);
    auto it = live_.find(p);
    if (it == live_.end()) {  // runs in destructors: report, never throw
      logging::error(str("CUDA allocator: deallocate of a pointer it did not allocate (", p, ")"));
      return;
    }
    Block* b = it->second;
    live_.erase(it);
    DeviceState& st = devices_[static_cast<size_t>(b->device)];
    update(st.stats.allocation, b->small(), -1);
    update(st.stats.allocated_bytes, b->small(), -static_cast<int64_t>(b->size));
    if (b->stream_uses.empty()) {
      to_pool(st, b);
      return;
    }
    if (!st.captures.empty()) {  // no events may be recorded or queried now: later
      st.pending_bytes += b->size;
      st.deferred_frees.push_back(b);
      return;
    }
    cross_stream_free(st, b);
  }

  // Records an event on every other stream that used `b`; the block returns to its pool when all have completed.
  void cross_stream_free(DeviceState& st, Block* b) {
    ++st.stats.num_cross_stream_frees;
    st.pending_bytes += b->size;
    try {
      DeviceGuard guard(b->device, "free");
      for (cudaStream_t s : b->stream_uses) {
        cudaEvent_t e = spare_event(st);
        SEEK_CUDA_CHECK(cudaEventRecord(e, s));
        st.pending.emplace_back(e, b);
        ++b->pending_events;
      }
    } catch (const std::exception& e) {
      // Could not queue the events: wait for the device instead (safe, slow).
      logging::error(str("CUDA allocator: recording a free's events failed (", e.what(), "); synchronising"));
      cudaDeviceSynchronize();
      cudaGetLastError();
      if (b->pending_events == 0) {  // else the recorded events (complete now) release it
        st.pending_bytes -= b->size;
        to_pool(st, b);
      }
    }
  }

  // Marks the block at `p` as used on `stream` until it is freed.
  void record_stream(void* p, const Stream& stream) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = live_.find(p);
    SEEK_CHECK_VALUE(it != live_.end(), "record_stream: the tensor's memory (", p,
                     ") was not allocated by seek's CUDA caching allocator");
    Block* b = it->second;
    SEEK_CHECK_T(DeviceError, stream.device() == b->device, "record_stream: the tensor is on cuda:", b->device,
                 " but the stream on cuda:", stream.device());
    if (stream.handle() == b->stream) return;  // its own stream orders it already
    if (std::find(b->stream_uses.begin(), b->stream_uses.end(), stream.handle()) == b->stream_uses.end())
      b->stream_uses.push_back(stream.handle());
  }

  void empty_cache() {
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t d = 0; d < devices_.size(); ++d)
      if (devices_[d].captures.empty()) release_cached(static_cast<int>(d), devices_[d]);  // no cudaFree in a capture
  }

  // ---- CUDA graphs (cuda_graph_pool.h) ----
  void begin_capture(int dev, uint64_t pool, unsigned long long id) {
    std::lock_guard<std::mutex> lock(mu_);
    devices_.at(static_cast<size_t>(dev)).captures[id] = pool;
  }

  void end_capture(int dev, unsigned long long id) {
    std::lock_guard<std::mutex> lock(mu_);
    DeviceState& st = devices_.at(static_cast<size_t>(dev));
    st.captures.erase(id);
    if (!st.captures.empty()) return;
    std::vector<Block*> deferred;
    deferred.swap(st.deferred_frees);
    DeviceGuard guard(dev, "free");
    for (Block* b : deferred) {
      st.pending_bytes -= b->size;
      cross_stream_free(st, b);
    }
  }

  void retain_pool(int dev, uint64_t pool) {
    std::lock_guard<std::mutex> lock(mu_);
    ++devices_.at(static_cast<size_t>(dev)).pool_users[pool];
  }

  void release_pool(int dev, uint64_t pool) {
    std::lock_guard<std::mutex> lock(mu_);
    DeviceState& st = devices_.at(static_cast<size_t>(dev));
    auto it = st.pool_users.find(pool);
    if (it == st.pool_users.end() || --it->second > 0) return;
    st.pool_users.erase(it);
    // Nobody replays into the pool any more: its cached blocks serve eager requests again.
    for (auto f = st.free_blocks.begin(); f != st.free_blocks.end();) {
      if (std::get<0>(f->first) != pool) {
        ++f;
        continue;
      }
      auto& into = st.free_blocks[{0, std::get<1>(f->first), std::get<2>(f->first)}];
      for (Block* b : f->second) {
        b->pool = 0;
        into.push_back(b);
      }
      f = st.free_blocks.erase(f);
    }
  }

  MemoryStats stats(int device) {
    std::lock_guard<std::mutex> lock(mu_);
    DeviceState& st = devices_.at(static_cast<size_t>(device));
    process_events(st);  // blocks whose events completed count as cached
    MemoryStats s = st.stats;
    s.allocated = static_cast<size_t>(s.allocated_bytes.all.current);
    s.peak_allocated = static_cast<size_t>(s.allocated_bytes.all.peak);
    s.reserved = static_cast<size_t>(s.reserved_bytes.all.current);
    s.peak_reserved = static_cast<size_t>(s.reserved_bytes.all.peak);
    return s;
  }

  void reset_peak(int device) {
    std::lock_guard<std::mutex> lock(mu_);
    MemoryStats& s = devices_.at(static_cast<size_t>(device)).stats;
    for (StatGroup* g : groups(s))
      for (Stat* x : {&g->all, &g->small_pool, &g->large_pool}) x->peak = x->current;
  }

  void reset_accumulated(int device) {
    std::lock_guard<std::mutex> lock(mu_);
    MemoryStats& s = devices_.at(static_cast<size_t>(device)).stats;
    for (StatGroup* g : groups(s))
      for (Stat* x : {&g->all, &g->small_pool, &g->large_pool}) x->allocated = x->freed = 0;
    s.num_cache_hits = s.num_alloc_retries = s.num_ooms = s.num_cross_stream_frees = s.num_sync_all_streams = 0;
  }

 private:
  static std::vector<StatGroup*> groups(MemoryStats& s) {
    return {&s.allocated_bytes, &s.reserved_bytes, &s.active_bytes, &s.allocation, &s.segment, &s.active};
  }

  // The private pool a request on `stream` is served from (0: the default pool): the pool of
  // the CUDA graph capture `stream` takes part in, if the allocator was told of it.
  static uint64_t capture_pool(const DeviceState& st, cudaStream_t stream) {
    if (st.captures.empty()) return 0;
    cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
    unsigned long long id = 0;
    if (cudaStreamGetCaptureInfo(stream, &status, &id) != cudaSuccess) {
      cudaGetLastError();
      return 0;
    }
    if (status == cudaStreamCaptureStatusNone) return 0;
    auto it = st.captures.find(id);
    return it == st.captures.end() ? 0 : it->second;
  }

  // cudaMalloc of a new block; on OOM, releases the pool and retries once (not during
  // a capture, where cudaFree is not allowed). The caller holds mu_.
  Block* new_block(int dev, DeviceState& st, size_t nbytes, size_t size, cudaStream_t stream) {
    void* p = nullptr;
    cudaError_t err = cudaMalloc(&p, size);
    if (err == cudaErrorMemoryAllocation && st.captures.empty()) {
      cudaGetLastError();
      ++st.stats.num_alloc_retries;
      release_cached(dev, st);
      err = cudaMalloc(&p, size);
    }
    if (err == cudaErrorMemoryAllocation) {
      cudaGetLastError();
      ++st.stats.num_ooms;
      throw oom(dev, st, nbytes, size);
    }
    SEEK_CUDA_CHECK(err);
    auto* b = new Block;
    b->ptr = p;
    b->size = size;
    b->device = dev;
    b->stream = stream;
    update(st.stats.segment, b->small(), 1);
    update(st.stats.reserved_bytes, b->small(), static_cast<int64_t>(size));
    return b;
  }

  // A block nobody uses any more goes back to its stream's pool.
  void to_pool(DeviceState& st, Block* b) {
    b->stream_uses.clear();
    update(st.stats.active, b->small(), -1);
    update(st.stats.active_bytes, b->small(), -static_cast<int64_t>(b->size));
    if (b->pool != 0 && !st.pool_users.count(b->pool) && !capturing_into(st, b->pool)) b->pool = 0;  // pool released
    st.free_blocks[{b->pool, reinterpret_cast<uintptr_t>(b->stream), b->size}].push_back(b);
    st.cached_bytes += b->size;
  }

  static bool capturing_into(const DeviceState& st, uint64_t pool) {
    for (const auto& kv : st.captures)
      if (kv.second == pool) return true;
    return false;
  }

  cudaEvent_t spare_event(DeviceState& st) {
    if (!st.spare_events.empty()) {
      cudaEvent_t e = st.spare_events.back();
      st.spare_events.pop_back();
      return e;
    }
    cudaEvent_t e = nullptr;
    SEEK_CUDA_CHECK(cudaEventCreateWithFlags(&e, cudaEventDisableTiming));
    return e;
  }

  // Returns the blocks whose events have all completed to the pool; with
  // `wait`, waits for every event first. The caller holds mu_ (and, for events
  // of another device than the current one, nothing else: queries work anywhere).
  void drain_pending(DeviceState& st, bool wait) {
    for (auto it = st.pending.begin(); it != st.pending.end();) {
      cudaError_t err = wait ? cudaEventSynchronize(it->first) : cudaEventQuery(it->first);
      if (err == cudaErrorNotReady) {
        cudaGetLastError();
        ++it;
        continue;
      }
      SEEK_CUDA_CHECK(err);
      st.spare_events.push_back(it->first);
      Block* b = it->second;
      it = st.pending.erase(it);
      if (--b->pending_events == 0) {
        st.pending_bytes -= b->size;
        to_pool(st, b);
      }
    }
  }
  void process_events(DeviceState& st) { drain_pending(st, false); }

  // Waits for pending frees, then cudaFree of every cached block of `dev`; the caller holds mu_.
  void release_cached(int dev, DeviceState& st) {
    if (st.pending.empty() && st.cached_bytes == 0) return;
    DeviceGuard guard(dev, "empty_cache");
    if (!st.pending.empty()) {
      ++st.stats.num_sync_all_streams;
      drain_pending(st, true);
    }
    for (auto& kv : st.free_blocks) {
      if (std::get<0>(kv.first) != 0) continue;  // a graph's private pool: its replays use these blocks
      for (Block* b : kv.second) {
        SEEK_CUDA_CHECK(cudaFree(b->ptr));
        update(st.stats.segment, b->small(), -1);
        update(st.stats.reserved_bytes, b->small(), -static_cast<int64_t>(b->size));
        st.cached_bytes -= b->size;
        delete b;
      }
      kv.second.clear();
    }
    std::erase_if(st.free_blocks, [](const auto& kv) { return kv.second.empty(); });
  }

  OutOfMemoryError oom(int dev, const DeviceState& st, size_t nbytes, size_t rounded) const {
    size_t free_b = 0, total_b = 0;
    std::string device_mem = cudaMemGetInfo(&free_b, &total_b) == cudaSuccess
                                 ? str("; the device has ", format_bytes(free_b), " free of ", format_bytes(total_b))
                                 : std::string();
    cudaGetLastError();
    const auto& s = st.stats;
    return OutOfMemoryError(
        str("CUDA out of memory on cuda:", dev, ": tried to allocate ", format_bytes(nbytes), " (", nbytes, " bytes, ",
            rounded, " rounded); seek holds ", format_bytes(static_cast<size_t>(s.allocated_bytes.all.current)),
            " allocated by tensors and ", format_bytes(static_cast<size_t>(s.reserved_bytes.all.current)),
            " reserved (", format_bytes(st.cached_bytes), " cached, ", format_bytes(st.pending_bytes),
            " waiting for other streams; cached blocks were returned to the driver before the retry)", device_mem,
            ". Free tensors (or call seek::cuda::empty_cache()) and retry"));
  }

  std::mutex mu_;
  std::vector<DeviceState> devices_;  // one per visible device
  std::unordered_map<void*, Block*> live_;
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

void allocator_begin_capture(int device, uint64_t pool, unsigned long long capture_id) {
  caching_allocator().begin_capture(device, pool, capture_id);
}
void allocator_end_capture(int device, unsigned long long capture_id) {
  caching_allocator().end_capture(device, capture_id);
}
void allocator_retain_pool(int device, uint64_t pool) { caching_allocator().retain_pool(device, pool); }
void allocator_release_pool(int device, uint64_t pool) { caching_allocator().release_pool(device, pool); }

void allocator_record_stream(void* ptr, const Stream& stream) { caching_allocator().record_stream(ptr, stream); }

MemoryStats memory_stats(int device) {
  int d = stats_device(device, "memory_stats");
  return d < 0 ? MemoryStats{} : caching_allocator().stats(d);
}
size_t memory_allocated(int device) { return memory_stats(device).allocated; }
size_t memory_reserved(int device) { return memory_stats(device).reserved; }
size_t max_memory_allocated(int device) { return memory_stats(device).peak_allocated; }
size_t max_memory_reserved(int device) { return memory_stats(device).peak_reserved; }

void reset_peak_memory_stats(int device) {
  int d = stats_device(device, "reset_peak_memory_stats");
  if (d >= 0) caching_allocator().reset_peak(d);
}

void reset_accumulated_memory_stats(int device) {
  int d = stats_device(device, "reset_accumulated_memory_stats");
  if (d >= 0) caching_allocator().reset_accumulated(d);
}

void empty_cache() {
  if (!is_available()) return;
  caching_allocator().empty_cache();
  empty_host_cache();  // cached pinned host blocks too
}

}  // namespace seek::cuda

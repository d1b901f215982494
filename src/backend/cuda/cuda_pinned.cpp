// Pinned (page-locked) host memory, as torch's CachingHostAllocator: blocks
// from cudaHostAlloc, rounded up to a power of two (at least 512 B) and cached
// by size, because cudaHostAlloc is far slower than malloc. A pinned buffer may
// still be read by an asynchronous host-to-device copy when its tensor dies, so
// the copy marks it (pinned_record_stream, from CudaBackend::copy_non_blocking)
// and a freed block with such marks gets an event on each stream; it is reused
// or released only once those events have completed.
//
// Also the Tensor members that need the CUDA runtime: pin_memory(),
// is_pinned() and record_stream().
#include <deque>
#include <map>
#include <mutex>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "backend/cuda/cuda_backend.h"
#include "backend/cuda/cuda_check.h"
#include "seek/autograd/function.h"
#include "seek/core/logging.h"
#include "seek/core/tensor.h"
#include "seek/cuda.h"

namespace seek::cuda {

namespace {
struct HostBlock {
  void* ptr = nullptr;
  size_t size = 0;
  bool in_use = false;
  int pending_events = 0;
  std::vector<std::pair<int, cudaStream_t>> uses;  // (device, stream) of async copies reading it
};

class PinnedAllocator {
 public:
  void* allocate(size_t nbytes) {
    size_t size = 512;
    while (size < nbytes) size *= 2;
    std::lock_guard<std::mutex> lock(mu_);
    drain(false);
    auto& cached = free_[size];
    if (!cached.empty()) {
      HostBlock* b = cached.back();
      cached.pop_back();
      b->in_use = true;
      return b->ptr;
    }
    void* p = nullptr;
    cudaError_t err = cudaHostAlloc(&p, size, cudaHostAllocDefault);
    if (err == cudaErrorMemoryAllocation) {
      cudaGetLastError();
      release_cached();
      err = cudaHostAlloc(&p, size, cudaHostAllocDefault);
    }
    if (err != cudaSuccess) {
      cudaGetLastError();
      throw OutOfMemoryError(str("pin_memory: cudaHostAlloc of ", format_bytes(size), " failed (",
                                 cudaGetErrorString(err), "); ", format_bytes(cached_bytes_),
                                 " of pinned memory was cached before the retry"));
    }
    auto* b = new HostBlock{p, size, true, 0, {}};
    blocks_[p] = b;
    return p;
  }

  void free(void* p) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = blocks_.find(p);
    if (it == blocks_.end()) {
      logging::error(str("pinned allocator: free of a pointer it did not allocate (", p, ")"));
      return;
    }
    HostBlock* b = it->second;
    b->in_use = false;
    for (const auto& [device, stream] : b->uses) {
      try {
        DeviceGuard guard(device, "pinned free");
        cudaEvent_t e = spare_event(device);
        SEEK_CUDA_CHECK(cudaEventRecord(e, stream));
        pending_.emplace_back(e, device, b);
        ++b->pending_events;
      } catch (const std::exception& ex) {
        logging::error(str("pinned allocator: recording an event failed (", ex.what(), "); synchronising"));
        cudaDeviceSynchronize();
        cudaGetLastError();
      }
    }
    b->uses.clear();
    if (b->pending_events == 0) to_cache(b);
  }

  bool owns(const void* p) {
    std::lock_guard<std::mutex> lock(mu_);
    return blocks_.count(p) > 0;
  }

  void record_stream(const void* p, const Stream& s) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = blocks_.find(p);
    if (it == blocks_.end() || !it->second->in_use) return;
    auto& uses = it->second->uses;
    const std::pair<int, cudaStream_t> use{s.device(), s.handle()};
    for (const auto& u : uses)
      if (u == use) return;
    uses.push_back(use);
  }

  void empty_cache() {
    std::lock_guard<std::mutex> lock(mu_);
    release_cached();
  }

 private:
  void to_cache(HostBlock* b) {
    free_[b->size].push_back(b);
    cached_bytes_ += b->size;
  }

  cudaEvent_t spare_event(int device) {
    auto& spare = spare_[device];
    if (!spare.empty()) {
      cudaEvent_t e = spare.back();
      spare.pop_back();
      return e;
    }
    cudaEvent_t e = nullptr;
    SEEK_CUDA_CHECK(cudaEventCreateWithFlags(&e, cudaEventDisableTiming));
    return e;
  }

  // Blocks whose copies have completed (with `wait`: after waiting for them) go to the cache.
  void drain(bool wait) {
    for (auto it = pending_.begin(); it != pending_.end();) {
      auto& [e, device, b] = *it;
      const cudaError_t err = wait ? cudaEventSynchronize(e) : cudaEventQuery(e);
      if (err == cudaErrorNotReady) {
        cudaGetLastError();
        ++it;
        continue;
      }
      SEEK_CUDA_CHECK(err);
      spare_[device].push_back(e);
      HostBlock* blk = b;
      it = pending_.erase(it);
      if (--blk->pending_events == 0 && !blk->in_use) to_cache(blk);
    }
  }

  void release_cached() {
    drain(true);
    for (auto& kv : free_) {
      for (HostBlock* b : kv.second) {
        SEEK_CUDA_CHECK(cudaFreeHost(b->ptr));
        blocks_.erase(b->ptr);
        delete b;
      }
      kv.second.clear();
    }
    cached_bytes_ = 0;
  }

  std::mutex mu_;
  std::unordered_map<const void*, HostBlock*> blocks_;  // every block, in use or not
  std::map<size_t, std::vector<HostBlock*>> free_;
  std::deque<std::tuple<cudaEvent_t, int, HostBlock*>> pending_;
  std::map<int, std::vector<cudaEvent_t>> spare_;
  size_t cached_bytes_ = 0;
};

PinnedAllocator& pinned() {
  static auto* a = new PinnedAllocator();  // never destroyed: pinned tensors may die after main()
  return *a;
}
}  // namespace

void* pinned_allocate(size_t nbytes) { return pinned().allocate(nbytes); }
void pinned_free(void* ptr) { pinned().free(ptr); }
bool pinned_owns(const void* base) { return pinned().owns(base); }
void pinned_record_stream(const void* base, const Stream& stream) { pinned().record_stream(base, stream); }
void empty_host_cache() { pinned().empty_cache(); }

}  // namespace seek::cuda

namespace seek {

bool Tensor::is_pinned() const {
  if (!defined() || !is_cpu() || !storage() || !storage()->data()) return false;
  if (cuda::pinned_owns(storage()->data())) return true;
  // Pinned elsewhere (cudaHostRegister, another library): the runtime knows.
  cudaPointerAttributes a{};
  const cudaError_t err = cudaPointerGetAttributes(&a, storage()->data());
  cudaGetLastError();
  return err == cudaSuccess && a.type == cudaMemoryTypeHost;
}

Tensor Tensor::pin_memory() const {
  SEEK_CHECK_VALUE(defined(), "pin_memory: the tensor is undefined");
  SEEK_CHECK_T(DeviceError, is_cpu(), "pin_memory: only CPU tensors can be pinned, this one is on ", device().str());
  if (is_pinned()) return *this;
  if (!cuda::is_available())
    throw DeviceError(str("pin_memory: pinned memory needs a CUDA GPU: ", cuda::no_gpu_reason()));
  const size_t bytes = std::max<size_t>(nbytes(), 1);
  void* p = cuda::pinned_allocate(bytes);
  Tensor out;
  try {
    out = from_blob(
        p, sizes(), {}, dtype(), [](void* q) { cuda::pinned_free(q); }, kCPU);
  } catch (...) {
    cuda::pinned_free(p);
    throw;
  }
  backend(kCPU).copy(*this, out);
  if (autograd::needs_grad({*this}))  // differentiable like torch's pin_memory: the gradient passes through
    autograd::record("PinMemoryBackward", {*this}, {out},
                     [](const autograd::variable_list& g, const std::vector<bool>&) { return g; });
  return out;
}

void Tensor::record_stream(const cuda::Stream& stream) const {
  SEEK_CHECK_VALUE(defined(), "record_stream: the tensor is undefined");
  SEEK_CHECK_T(DeviceError, is_cuda(), "record_stream: expected a CUDA tensor, got one on ", device().str());
  if (!storage() || !storage()->data()) return;  // no memory (0 elements)
  cuda::allocator_record_stream(storage()->data(), stream);
}

}  // namespace seek

// The simulated device (SEEK_CUDA_SIM builds): the CUDA runtime calls seek
// makes, implemented over host memory kept apart from the CPU backend's
// (sim_memory.h), so that the CUDA backend's own code (allocator, copies,
// device guard, launchers) runs unchanged in CI without a GPU.
//
// Devices: SEEK_SIM_DEVICES of them (default 1), filtered by CUDA_VISIBLE_DEVICES
// as the real runtime does ("" hides them all). Everything runs in order on the
// calling thread: a kernel launch or an async copy is complete when it returns.
// Streams and events (sim_streams.cpp) still model asynchronous completion:
// an event on a non-default stream stays "not ready" until the host
// synchronises with it, so code that must wait for other streams is tested.
// Errors follow the runtime: a cudaError_t return, a sticky-until-read last
// error per thread, and cudaGetErrorString naming what the simulator rejected
// ("invalid argument: cudaMemcpy HostToDevice: destination 0x... is not device
// memory").
#include <cuda_runtime_api.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

#include "backend/cuda/sim_memory.h"
#include "backend/cuda/sim_streams.h"
#include "kernels/sim/sim.h"
#include "seek/core/error.h"

namespace seek::cuda::sim_detail {

namespace mem = sim_memory;

namespace {

thread_local cudaError_t last_error = cudaSuccess;
thread_local std::string last_detail;  // what the simulator rejected, for cudaGetErrorString
thread_local int current = 0;

int visible_devices() {
  static const int n = [] {
    const char* env = std::getenv("SEEK_SIM_DEVICES");
    int count = env ? std::atoi(env) : 1;
    if (count < 0) count = 0;
    if (const char* vis = std::getenv("CUDA_VISIBLE_DEVICES")) {
      // Leading comma-separated indices below `count`; the first invalid one ends the list.
      int shown = 0;
      std::string s = vis;
      size_t pos = 0;
      while (pos < s.size()) {
        const size_t comma = s.find(',', pos);
        const std::string item = s.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
        char* end = nullptr;
        const long idx = std::strtol(item.c_str(), &end, 10);
        if (item.empty() || *end != '\0' || idx < 0 || idx >= count) break;
        ++shown;
        if (comma == std::string::npos) break;
        pos = comma + 1;
      }
      count = shown;
    }
    return count;
  }();
  return n;
}

cudaError_t fail(cudaError_t err, std::string detail) {
  last_error = err;
  last_detail = std::move(detail);
  return err;
}

bool valid_stream(cudaStream_t s) { return sim_valid_stream(s); }

cudaError_t ok() { return cudaSuccess; }

std::string ptr_str(const void* p) { return str(p); }

// Checks that [p, p + n) is device memory (on_device: true) or host memory (false).
bool check_side(const char* call, const char* role, const void* p, size_t n, bool on_device, std::string* why) {
  mem::Region g;
  const bool inside = mem::lookup(p, &g);
  const bool is_device = inside && g.kind == mem::Kind::Device;
  if (on_device) {
    if (!is_device) {
      *why = str(call, ": ", role, " ", ptr_str(p), " is not device memory (a host pointer where the GPU's is due)");
      return false;
    }
    if (!mem::find(p, n, &g)) {
      *why = str(call, ": ", role, " range [", ptr_str(p), ", +", n, ") runs past the end of its ", g.size,
                 "-byte device allocation");
      return false;
    }
    return true;
  }
  if (is_device) {
    *why =
        str(call, ": ", role, " ", ptr_str(p), " is device memory (of device ", g.device, ") where host memory is due");
    return false;
  }
  return true;
}

const char* kind_name(cudaMemcpyKind k) {
  switch (k) {
    case cudaMemcpyHostToHost: return "HostToHost";
    case cudaMemcpyHostToDevice: return "HostToDevice";
    case cudaMemcpyDeviceToHost: return "DeviceToHost";
    case cudaMemcpyDeviceToDevice: return "DeviceToDevice";
    default: return "Default";
  }
}

// Checks a copy's arguments, then copies unless `run` is false (a captured copy runs at replay).
cudaError_t memcpy_checked(const char* call, void* dst, const void* src, size_t n, cudaMemcpyKind kind,
                           bool run = true) {
  if (n == 0) return ok();
  if (!dst || !src) return fail(cudaErrorInvalidValue, str(call, ": null pointer"));
  mem::Region g;
  bool dst_dev = mem::lookup(dst, &g) && g.kind == mem::Kind::Device;
  bool src_dev = mem::lookup(src, &g) && g.kind == mem::Kind::Device;
  if (kind == cudaMemcpyDefault) {
    kind = dst_dev ? (src_dev ? cudaMemcpyDeviceToDevice : cudaMemcpyHostToDevice)
                   : (src_dev ? cudaMemcpyDeviceToHost : cudaMemcpyHostToHost);
  } else if (kind != cudaMemcpyHostToHost && kind != cudaMemcpyHostToDevice && kind != cudaMemcpyDeviceToHost &&
             kind != cudaMemcpyDeviceToDevice) {
    return fail(cudaErrorInvalidMemcpyDirection, str(call, ": unknown copy direction ", static_cast<int>(kind)));
  }
  const std::string what = str(call, " ", kind_name(kind));
  const bool want_dst_dev = kind == cudaMemcpyHostToDevice || kind == cudaMemcpyDeviceToDevice;
  const bool want_src_dev = kind == cudaMemcpyDeviceToHost || kind == cudaMemcpyDeviceToDevice;
  std::string why;
  if (!check_side(what.c_str(), "destination", dst, n, want_dst_dev, &why) ||
      !check_side(what.c_str(), "source", src, n, want_src_dev, &why))
    return fail(cudaErrorInvalidValue, why);
  if (run) std::memmove(dst, src, n);
  return ok();
}

}  // namespace

// Launch helper (kernels/launch.cuh): pointer arguments of a kernel must be device memory
// (or pinned host memory, which a GPU maps) or null.
void check_kernel_pointer(const void* p, int index, const std::source_location& where) {
  if (!p) return;
  mem::Region g;
  if (mem::lookup(p, &g)) return;
  throw DeviceError(str("CUDA simulator: argument ", index, " of the kernel launched at ", where.file_name(), ":",
                        where.line(), " (", where.function_name(), ") is ", p,
                        ", which is not device memory (a host pointer passed to a kernel)"));
}

int sim_device_count() { return visible_devices(); }
int sim_current_device() { return current; }
cudaError_t sim_fail(cudaError_t err, std::string detail) { return fail(err, std::move(detail)); }

}  // namespace seek::cuda::sim_detail

using namespace seek::cuda::sim_detail;
namespace mem = seek::cuda::sim_memory;
using seek::str;

// ---- errors ----
cudaError_t cudaGetLastError(void) {
  const cudaError_t e = last_error;
  last_error = cudaSuccess;
  return e;
}
cudaError_t cudaPeekAtLastError(void) { return last_error; }

const char* cudaGetErrorName(cudaError_t error) {
  switch (error) {
    case cudaSuccess: return "cudaSuccess";
    case cudaErrorInvalidValue: return "cudaErrorInvalidValue";
    case cudaErrorMemoryAllocation: return "cudaErrorMemoryAllocation";
    case cudaErrorNoDevice: return "cudaErrorNoDevice";
    case cudaErrorInvalidDevice: return "cudaErrorInvalidDevice";
    case cudaErrorInvalidResourceHandle: return "cudaErrorInvalidResourceHandle";
    case cudaErrorInvalidMemcpyDirection: return "cudaErrorInvalidMemcpyDirection";
    case cudaErrorInvalidDevicePointer: return "cudaErrorInvalidDevicePointer";
    case cudaErrorNotReady: return "cudaErrorNotReady";
    case cudaErrorIllegalState: return "cudaErrorIllegalState";
    case cudaErrorLaunchFailure: return "cudaErrorLaunchFailure";
    case cudaErrorStreamCaptureUnsupported: return "cudaErrorStreamCaptureUnsupported";
    case cudaErrorStreamCaptureInvalidated: return "cudaErrorStreamCaptureInvalidated";
    case cudaErrorStreamCaptureMerge: return "cudaErrorStreamCaptureMerge";
    case cudaErrorStreamCaptureUnmatched: return "cudaErrorStreamCaptureUnmatched";
    case cudaErrorStreamCaptureUnjoined: return "cudaErrorStreamCaptureUnjoined";
    case cudaErrorStreamCaptureIsolation: return "cudaErrorStreamCaptureIsolation";
    case cudaErrorStreamCaptureImplicit: return "cudaErrorStreamCaptureImplicit";
    case cudaErrorCapturedEvent: return "cudaErrorCapturedEvent";
    case cudaErrorStreamCaptureWrongThread: return "cudaErrorStreamCaptureWrongThread";
    default: return "cudaErrorUnknown";
  }
}

const char* cudaGetErrorString(cudaError_t error) {
  static thread_local std::string text;
  const char* base =
      error == cudaSuccess                         ? "no error"
      : error == cudaErrorInvalidValue             ? "invalid argument"
      : error == cudaErrorMemoryAllocation         ? "out of memory"
      : error == cudaErrorNoDevice                 ? "no CUDA-capable device is detected"
      : error == cudaErrorInvalidDevice            ? "invalid device ordinal"
      : error == cudaErrorInvalidResourceHandle    ? "invalid resource handle"
      : error == cudaErrorInvalidMemcpyDirection   ? "invalid copy direction for memcpy"
      : error == cudaErrorInvalidDevicePointer     ? "invalid device pointer"
      : error == cudaErrorIllegalState             ? "the operation cannot be performed in the present state"
      : error == cudaErrorLaunchFailure            ? "unspecified launch failure"
      : error == cudaErrorStreamCaptureUnsupported ? "operation not permitted when stream is capturing"
      : error == cudaErrorStreamCaptureInvalidated ? "operation failed due to a previous error during capture"
      : error == cudaErrorStreamCaptureUnmatched   ? "capture was not initiated in this stream"
      : error == cudaErrorStreamCaptureUnjoined    ? "capturing stream has unjoined work"
      : error == cudaErrorStreamCaptureIsolation   ? "dependency created on uncaptured work in another stream"
      : error == cudaErrorStreamCaptureImplicit
          ? "operation would make the legacy stream depend on a capturing blocking stream"
      : error == cudaErrorCapturedEvent ? "operation not permitted on an event last recorded in a capturing stream"
      : error == cudaErrorStreamCaptureWrongThread
          ? "attempt to terminate a thread-local capture sequence from another thread"
          : "unknown error";
  text = last_detail.empty() || error == cudaSuccess ? std::string(base)
                                                     : str(base, " (simulated device: ", last_detail, ")");
  return text.c_str();
}

// ---- devices ----
cudaError_t cudaGetDeviceCount(int* count) {
  if (!count) return fail(cudaErrorInvalidValue, "cudaGetDeviceCount: null count");
  *count = visible_devices();
  if (*count == 0)
    return fail(cudaErrorNoDevice, "no simulated device is visible (SEEK_SIM_DEVICES / CUDA_VISIBLE_DEVICES)");
  return cudaSuccess;
}

cudaError_t cudaGetDevice(int* device) {
  if (!device) return fail(cudaErrorInvalidValue, "cudaGetDevice: null pointer");
  if (visible_devices() == 0) return fail(cudaErrorNoDevice, "no simulated device is visible");
  *device = current;
  return cudaSuccess;
}

cudaError_t cudaSetDevice(int device) {
  if (device < 0 || device >= visible_devices())
    return fail(cudaErrorInvalidDevice,
                str("cudaSetDevice(", device, "): ", visible_devices(), " simulated device(s)"));
  current = device;
  return cudaSuccess;
}

cudaError_t cudaDeviceSynchronize(void) {
  if (visible_devices() == 0) return fail(cudaErrorNoDevice, "no simulated device is visible");
  if (cudaError_t err = sim_check_sync(nullptr, "cudaDeviceSynchronize", true); err != cudaSuccess) return err;
  sim_complete_device(current);  // every stream's pending events complete (sim_streams.cpp)
  return cudaSuccess;
}
cudaError_t cudaDeviceReset(void) { return cudaSuccess; }

cudaError_t cudaGetDeviceProperties(cudaDeviceProp* prop, int device) {
  if (!prop) return fail(cudaErrorInvalidValue, "cudaGetDeviceProperties: null prop");
  if (device < 0 || device >= visible_devices())
    return fail(cudaErrorInvalidDevice, str("cudaGetDeviceProperties(", device, ")"));
  std::memset(prop, 0, sizeof(*prop));
  std::snprintf(prop->name, sizeof(prop->name), "seek SIMT simulator (%d worker threads)", seek::sim::worker_count());
  prop->totalGlobalMem = mem::capacity();
  prop->major = 9;
  prop->minor = 0;
  prop->multiProcessorCount = seek::sim::worker_count();
  prop->warpSize = 32;
  prop->maxThreadsPerBlock = 1024;
  prop->maxThreadsDim[0] = prop->maxThreadsDim[1] = 1024;
  prop->maxThreadsDim[2] = 64;
  prop->maxGridSize[0] = 2147483647;
  prop->maxGridSize[1] = prop->maxGridSize[2] = 65535;
  prop->sharedMemPerBlock = 48 * 1024;
  prop->sharedMemPerBlockOptin = 227 * 1024;
  prop->regsPerBlock = 65536;
  prop->unifiedAddressing = 1;
  return cudaSuccess;
}

cudaError_t cudaDeviceGetAttribute(int* value, cudaDeviceAttr attr, int device) {
  cudaDeviceProp p;
  if (cudaError_t e = cudaGetDeviceProperties(&p, device); e != cudaSuccess) return e;
  switch (attr) {
    case cudaDevAttrMultiProcessorCount: *value = p.multiProcessorCount; break;
    case cudaDevAttrComputeCapabilityMajor: *value = p.major; break;
    case cudaDevAttrComputeCapabilityMinor: *value = p.minor; break;
    case cudaDevAttrMaxThreadsPerBlock: *value = p.maxThreadsPerBlock; break;
    case cudaDevAttrMaxSharedMemoryPerBlockOptin: *value = static_cast<int>(p.sharedMemPerBlockOptin); break;
    case cudaDevAttrWarpSize: *value = 32; break;
    default: *value = 0;
  }
  return cudaSuccess;
}

cudaError_t cudaDeviceCanAccessPeer(int* can, int device, int peer) {
  if (device < 0 || peer < 0 || device >= visible_devices() || peer >= visible_devices())
    return fail(cudaErrorInvalidDevice, "cudaDeviceCanAccessPeer: bad device");
  *can = device != peer;
  return cudaSuccess;
}
cudaError_t cudaDeviceEnablePeerAccess(int, unsigned int) { return cudaSuccess; }

cudaError_t cudaRuntimeGetVersion(int* v) {
  *v = CUDART_VERSION;
  return cudaSuccess;
}
cudaError_t cudaDriverGetVersion(int* v) {
  *v = 0;  // no driver: the simulated device stands in for one
  return cudaSuccess;
}

// ---- memory ----
cudaError_t cudaMalloc(void** p, size_t size) {
  if (!p) return fail(cudaErrorInvalidValue, "cudaMalloc: null pointer");
  if (visible_devices() == 0) return fail(cudaErrorNoDevice, "no simulated device is visible");
  *p = mem::allocate(size, current, mem::Kind::Device);
  if (!*p)
    return fail(cudaErrorMemoryAllocation,
                str("cudaMalloc(", size, ") on simulated device ", current, ": ", mem::used(current), " of ",
                    mem::capacity(), " bytes in use (SEEK_SIM_DEVICE_MEMORY_MB)"));
  return cudaSuccess;
}

cudaError_t cudaFree(void* p) {
  if (!p) return cudaSuccess;
  if (cudaError_t err = sim_check_unsafe("cudaFree"); err != cudaSuccess) return err;
  if (!mem::release(p, mem::Kind::Device))
    return fail(cudaErrorInvalidValue, str("cudaFree(", p, "): not the start of a live device allocation"));
  return cudaSuccess;
}

cudaError_t cudaHostAlloc(void** p, size_t size, unsigned int) {
  if (!p) return fail(cudaErrorInvalidValue, "cudaHostAlloc: null pointer");
  *p = mem::allocate(size, -1, mem::Kind::PinnedHost);
  return *p ? cudaSuccess : fail(cudaErrorMemoryAllocation, str("cudaHostAlloc(", size, ")"));
}
cudaError_t cudaMallocHost(void** p, size_t size) { return cudaHostAlloc(p, size, 0); }
cudaError_t cudaFreeHost(void* p) {
  if (!p) return cudaSuccess;
  if (cudaError_t err = sim_check_unsafe("cudaFreeHost"); err != cudaSuccess) return err;
  if (!mem::release(p, mem::Kind::PinnedHost))
    return fail(cudaErrorInvalidValue, str("cudaFreeHost(", p, "): not the start of a live pinned allocation"));
  return cudaSuccess;
}

cudaError_t cudaMemGetInfo(size_t* free_bytes, size_t* total) {
  if (visible_devices() == 0) return fail(cudaErrorNoDevice, "no simulated device is visible");
  *total = mem::capacity();
  *free_bytes = mem::capacity() - mem::used(current);
  return cudaSuccess;
}

cudaError_t cudaPointerGetAttributes(cudaPointerAttributes* a, const void* p) {
  std::memset(a, 0, sizeof(*a));
  mem::Region g;
  if (mem::lookup(p, &g)) {
    a->type = g.kind == mem::Kind::Device ? cudaMemoryTypeDevice : cudaMemoryTypeHost;
    a->device = g.device;
    a->devicePointer = const_cast<void*>(p);
    a->hostPointer = g.kind == mem::Kind::PinnedHost ? const_cast<void*>(p) : nullptr;
  } else {
    a->type = cudaMemoryTypeUnregistered;
    a->hostPointer = const_cast<void*>(p);
  }
  return cudaSuccess;
}

// Synchronous calls on the legacy stream: not allowed where a capture prohibits unsafe calls.
static cudaError_t check_sync_call(const char* what) {
  bool captured = false;
  if (cudaError_t err = sim_check_unsafe(what); err != cudaSuccess) return err;
  return sim_enqueue(nullptr, what, nullptr, &captured);
}

cudaError_t cudaMemcpy(void* dst, const void* src, size_t n, cudaMemcpyKind kind) {
  if (cudaError_t err = check_sync_call("cudaMemcpy (synchronous)"); err != cudaSuccess) return err;
  return memcpy_checked("cudaMemcpy", dst, src, n, kind);
}

cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t n, cudaMemcpyKind kind, cudaStream_t stream) {
  if (!valid_stream(stream)) return fail(cudaErrorInvalidResourceHandle, "cudaMemcpyAsync: unknown stream");
  if (cudaError_t err = memcpy_checked("cudaMemcpyAsync", dst, src, n, kind, false); err != cudaSuccess) return err;
  bool captured = false;
  if (cudaError_t err = sim_enqueue(
          stream, "cudaMemcpyAsync",
          [=](cudaStream_t) {
            if (n) std::memmove(dst, src, n);
          },
          &captured);
      err != cudaSuccess)
    return err;
  return captured ? cudaSuccess : memcpy_checked("cudaMemcpyAsync", dst, src, n, kind);
}

cudaError_t cudaMemcpyPeer(void* dst, int dst_device, const void* src, int src_device, size_t n) {
  if (cudaError_t err = check_sync_call("cudaMemcpyPeer (synchronous)"); err != cudaSuccess) return err;
  mem::Region d, s;
  if (n == 0) return cudaSuccess;
  if (!mem::find(dst, n, &d) || d.kind != mem::Kind::Device || d.device != dst_device)
    return fail(cudaErrorInvalidValue, str("cudaMemcpyPeer: destination ", dst, " is not ", n,
                                           " bytes of device memory on device ", dst_device));
  if (!mem::find(src, n, &s) || s.kind != mem::Kind::Device || s.device != src_device)
    return fail(cudaErrorInvalidValue,
                str("cudaMemcpyPeer: source ", src, " is not ", n, " bytes of device memory on device ", src_device));
  std::memmove(dst, src, n);
  return cudaSuccess;
}

cudaError_t cudaMemcpyPeerAsync(void* dst, int dd, const void* src, int sd, size_t n, cudaStream_t) {
  return cudaMemcpyPeer(dst, dd, src, sd, n);
}

cudaError_t cudaMemsetAsync(void* p, int value, size_t n, cudaStream_t stream) {
  if (!valid_stream(stream)) return fail(cudaErrorInvalidResourceHandle, "cudaMemsetAsync: unknown stream");
  mem::Region g;
  if (n == 0) return cudaSuccess;
  if (!mem::find(p, n, &g) || g.kind != mem::Kind::Device)
    return fail(cudaErrorInvalidValue, str("cudaMemset: ", p, " is not ", n, " bytes of device memory"));
  bool captured = false;
  if (cudaError_t err = sim_enqueue(
          stream, "cudaMemsetAsync", [=](cudaStream_t) { std::memset(p, value, n); }, &captured);
      err != cudaSuccess)
    return err;
  if (!captured) std::memset(p, value, n);
  return cudaSuccess;
}
cudaError_t cudaMemset(void* p, int value, size_t n) {
  if (cudaError_t err = check_sync_call("cudaMemset (synchronous)"); err != cudaSuccess) return err;
  return cudaMemsetAsync(p, value, n, nullptr);
}

cudaError_t cudaFuncSetAttribute(const void*, cudaFuncAttribute, int) { return cudaSuccess; }

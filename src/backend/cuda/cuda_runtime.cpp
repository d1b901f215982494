// Device discovery, the current device, synchronisation, device properties and
// build information (seek/cuda.h). The device count is queried once: CUDA
// fixes the set of visible GPUs (CUDA_VISIBLE_DEVICES) when it initialises.
#include <cuda_runtime_api.h>
#if defined(SEEK_HAVE_CUDNN) && !defined(SEEK_CUDA_SIM)
#include <cudnn.h>
#endif
#if defined(SEEK_HAVE_NCCL)
#include <nccl.h>
#endif

#include "backend/cuda/cuda_backend.h"
#include "backend/cuda/cuda_check.h"
#include "seek/cuda.h"

#ifndef SEEK_CUDA_ARCH_LIST
#define SEEK_CUDA_ARCH_LIST "unknown"
#endif

namespace seek::cuda {

namespace {
struct Discovery {
  int count = 0;
  std::string reason;  // why count is 0
};

const Discovery& discovery() {
  static const Discovery d = [] {
    Discovery r;
    cudaError_t err = cudaGetDeviceCount(&r.count);
    if (err != cudaSuccess) {
      cudaGetLastError();
      r.count = 0;
      r.reason = str("no CUDA GPU is visible (cudaGetDeviceCount: ", cudaGetErrorString(err), ")");
    } else if (r.count == 0) {
      r.reason = "no CUDA GPU is visible (cudaGetDeviceCount returned 0)";
    }
    return r;
  }();
  return d;
}

void require_gpu(const char* fn) {
  if (device_count() == 0) throw DeviceError(str("cuda::", fn, ": ", no_gpu_reason()));
}

void check_index(int device, const char* fn) {
  require_gpu(fn);
  SEEK_CHECK_T(DeviceError, device >= 0 && device < device_count(), "cuda::", fn, ": device ", device,
               " is not a visible GPU (", device_count(), " visible, valid indices 0..", device_count() - 1, ")");
}

std::string version_str(int v) { return str(v / 1000, ".", v % 1000 / 10); }
}  // namespace

const std::string& no_gpu_reason() { return discovery().reason; }

bool is_available() { return device_count() > 0; }
int device_count() { return discovery().count; }

int current_device() {
  require_gpu("current_device");
  int d = 0;
  SEEK_CUDA_CHECK(cudaGetDevice(&d));
  return d;
}

void set_device(int device) {
  check_index(device, "set_device");
  SEEK_CUDA_CHECK(cudaSetDevice(device));
}

void synchronize() {
  require_gpu("synchronize");
  SEEK_CUDA_CHECK(cudaDeviceSynchronize());
}

DeviceProperties get_device_properties(int device) {
  check_index(device, "get_device_properties");
  cudaDeviceProp p{};
  SEEK_CUDA_CHECK(cudaGetDeviceProperties(&p, device));
  DeviceProperties out;
  out.name = p.name;
  out.total_memory = p.totalGlobalMem;
  out.major = p.major;
  out.minor = p.minor;
  out.multi_processor_count = p.multiProcessorCount;
  return out;
}

int cudnn_version() {
#if defined(SEEK_HAVE_CUDNN) && !defined(SEEK_CUDA_SIM)
  return static_cast<int>(cudnnGetVersion());
#else
  return 0;  // this build has no cuDNN (the simulated device runs seek's own conv kernels)
#endif
}

BuildConfig build_config() {
  BuildConfig c;
  c.cuda = true;
  c.cuda_version = version_str(CUDART_VERSION);
  int runtime = 0, driver = 0;
  if (cudaRuntimeGetVersion(&runtime) == cudaSuccess) c.runtime_version = version_str(runtime);
  // cudaDriverGetVersion reports 0 when no driver is installed.
  if (cudaDriverGetVersion(&driver) == cudaSuccess && driver > 0) c.driver_version = version_str(driver);
  cudaGetLastError();
#if defined(SEEK_HAVE_CUDNN) && !defined(SEEK_CUDA_SIM)
  c.cudnn_version = str(CUDNN_MAJOR, ".", CUDNN_MINOR, ".", CUDNN_PATCHLEVEL);
  const int v = cudnn_version();  // major*10000 + minor*100 + patch since cuDNN 9, major*1000 + ... before
  c.cudnn_runtime_version =
      v >= 90000 ? str(v / 10000, ".", v / 100 % 100, ".", v % 100) : str(v / 1000, ".", v / 100 % 10, ".", v % 100);
#endif
#if defined(SEEK_HAVE_NCCL)
  c.nccl_version = str(NCCL_MAJOR, ".", NCCL_MINOR, ".", NCCL_PATCH);
#endif
#if defined(SEEK_CUDA_SIM)
  c.simulated = true;
  c.architectures = "simulated";
#else
  c.architectures = SEEK_CUDA_ARCH_LIST;
#endif
  c.device_count = device_count();
  return c;
}

std::string build_info() {
  const BuildConfig c = build_config();
  const std::string libs = str("cuDNN ", c.cudnn_version,
                               c.cudnn_runtime_version != "none" ? str(" (loaded ", c.cudnn_runtime_version, ")") : "",
                               ", NCCL ", c.nccl_version);
  if (c.simulated)
    return str("seek built with CUDA ", c.cuda_version,
               " headers, kernels for the SIMT simulator (no driver or GPU needed); ", libs, "; ", c.device_count,
               " GPU(s) visible (simulated)");
  return str("seek built with CUDA ", c.cuda_version, " (runtime ", c.runtime_version, ", driver ", c.driver_version,
             "), kernels for sm ", c.architectures, "; ", libs, "; ", c.device_count, " GPU(s) visible");
}

DeviceGuard::DeviceGuard(int device, const char* op) : device_(device) {
  check_index(device, op);
  SEEK_CUDA_CHECK(cudaGetDevice(&prev_));
  if (prev_ != device) SEEK_CUDA_CHECK(cudaSetDevice(device));
}

DeviceGuard::~DeviceGuard() {
  if (prev_ >= 0 && prev_ != device_) cudaSetDevice(prev_);  // no throwing from a destructor
}

}  // namespace seek::cuda

#pragma once
// Host-side helpers for the kernel tests (tests/cuda/test_sim_*.cu), valid in both
// builds: device buffers from cudaMalloc (the simulated device in the SEEK_CUDA_SIM
// build, the GPU under nvcc), a fixture that skips without a device, and
// in_every_schedule(), which in the simulator build runs a check in the schedule the
// environment chose and again in forward, reverse and two seeded-random orders (one
// with cp.async data landing late, one eager); on a GPU it runs the check once.
#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "seek/core/error.h"

namespace kernel_test {

inline void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw seek::DeviceError(std::string(what) + ": " + cudaGetErrorString(e));
}

// n elements of device memory, freed at scope exit.
template <typename T>
class DeviceBuffer {
 public:
  explicit DeviceBuffer(size_t n) : n_(n) {
    check(cudaMalloc(reinterpret_cast<void**>(&ptr_), (n ? n : 1) * sizeof(T)), "cudaMalloc");
  }
  explicit DeviceBuffer(const std::vector<T>& host) : DeviceBuffer(host.size()) { upload(host); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  ~DeviceBuffer() { cudaFree(ptr_); }

  T* get() const { return ptr_; }
  size_t size() const { return n_; }
  void upload(const std::vector<T>& host) {
    check(cudaMemcpy(ptr_, host.data(), host.size() * sizeof(T), cudaMemcpyHostToDevice), "cudaMemcpy H2D");
  }
  void fill_bytes(int byte) { check(cudaMemset(ptr_, byte, n_ * sizeof(T)), "cudaMemset"); }
  std::vector<T> download() const {
    std::vector<T> host(n_);
    check(cudaDeviceSynchronize(), "kernel");
    check(cudaMemcpy(host.data(), ptr_, n_ * sizeof(T), cudaMemcpyDeviceToHost), "cudaMemcpy D2H");
    return host;
  }

 private:
  T* ptr_ = nullptr;
  size_t n_;
};

class KernelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess || n == 0) GTEST_SKIP() << "no CUDA device visible";
    check(cudaSetDevice(0), "cudaSetDevice");
  }
};

#if defined(SEEK_CUDA_SIM)
// Restores the simulator's schedule when a check ends (or fails).
class ScheduleGuard {
 public:
  ScheduleGuard() : saved_(seek::sim::schedule()) {}
  ~ScheduleGuard() { seek::sim::set_schedule(saved_); }

 private:
  seek::sim::Schedule saved_;
};

inline std::vector<std::string> schedule_names() {
  return {seek::sim::schedule_name(seek::sim::schedule()), "forward", "reverse", "random:1", "random:7,eager"};
}
#endif

template <typename F>
void in_every_schedule(F f) {
#if defined(SEEK_CUDA_SIM)
  ScheduleGuard guard;
  for (const std::string& name : schedule_names()) {
    SCOPED_TRACE("schedule " + name);
    seek::sim::set_schedule(seek::sim::parse_schedule(name));
    f();
  }
#else
  f();
#endif
}

}  // namespace kernel_test

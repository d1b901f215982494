#pragma once
// Shared between the simulated runtime's files (SEEK_CUDA_SIM builds only).
#include <cuda_runtime_api.h>

#include <string>

namespace seek::cuda::sim_detail {

// sim_runtime.cpp: the per-thread error state and the current device.
cudaError_t sim_fail(cudaError_t err, std::string detail);
int sim_current_device();
int sim_device_count();

// sim_streams.cpp: whether `s` is a live stream (or a default one), and
// cudaDeviceSynchronize's effect on the event model.
bool sim_valid_stream(cudaStream_t s);
void sim_complete_device(int device);

}  // namespace seek::cuda::sim_detail

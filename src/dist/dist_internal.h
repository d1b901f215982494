// What the process-group front end (process_group.cpp) needs from the engines, and helpers they share.
#pragma once

#include <memory>
#include <string>

#include "seek/dist/process_group.h"

namespace seek::dist::detail {

// Rank and world size as the launcher set them, and which variables said so.
struct LaunchEnv {
  int rank = 0;
  int world_size = 1;
  std::string source = "none (a process started alone)";  // "OMPI_COMM_WORLD_RANK/SIZE", ...
  bool torch_vars = false;  // from RANK/WORLD_SIZE (torchrun or one shell per rank): no MPI launcher
};
LaunchEnv read_launch_env();

// "a float32 tensor of sizes [4, 3] on cpu": what error messages say about a tensor.
std::string describe(const Tensor& t);

// Engines. make_mpi_group exists where seek was built with MPI (SEEK_DIST), make_nccl_group where it was built
// with real CUDA and NCCL; the others throw a seek::Error naming what is missing.
bool mpi_available();
bool nccl_available();  // built with NCCL and a real GPU is visible
std::unique_ptr<ProcessGroup> make_mpi_group(const InitOptions& options, const LaunchEnv& env);
std::unique_ptr<ProcessGroup> make_nccl_group(const InitOptions& options, const LaunchEnv& env);

}  // namespace seek::dist::detail

#pragma once
// Force-included (-include) into every kernels/*.cu and tests/cuda/*.cu that the
// host compiler builds for the SIMT simulator (SEEK_CUDA_SIM): CUDA's keywords
// as host C++, then the toolkit headers (types, dim3, __half/__nv_bfloat16 and
// their operators compile in host code), then what the toolkit leaves
// undeclared for the host: the built-in variables, barriers, warp collectives,
// atomics and device intrinsics (sim_builtins.h, sim_intrinsics.h).
//
// `__shared__` becomes a function-local `static thread_local`: a block runs on one
// worker thread at a time, so that storage is the block's shared memory.
// `extern __shared__` cannot be spelled that way: kernels call
// seek::cuda::dynamic_shared_memory<T>() (kernels/launch.cuh) instead.
#ifndef SEEK_CUDA_SIM
#define SEEK_CUDA_SIM 1
#endif

#define __global__
#define __device__
#define __host__
#define __shared__ static thread_local
#define __constant__
#define __managed__
#define __grid_constant__
#define __launch_bounds__(...)

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>

#include "kernels/sim/sim_builtins.h"
#include "kernels/sim/sim_intrinsics.h"

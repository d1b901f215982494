#pragma once
// Portability macros shared by host C++ and CUDA device code.
#if defined(__CUDACC__)
#define SEEK_HOST_DEVICE __host__ __device__
#define SEEK_INLINE __forceinline__
#else
#define SEEK_HOST_DEVICE
#define SEEK_INLINE inline
#endif

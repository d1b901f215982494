// Warp collectives against the results CUDA documents, computed on the host:
// every __shfl*_sync mode at every width with sources inside and outside the
// width-segment, shuffles of int/float/double, shuffles under a partial mask,
// __ballot/__any/__all/__activemask and the __reduce_*_sync family (signed and
// unsigned) in full and partial warps. Valid for nvcc too; in the simulator build
// every check runs in every schedule.
#include <algorithm>
#include <vector>

#include "kernel_test_support.cuh"
#include "kernels/launch.cuh"

using kernel_test::DeviceBuffer;
using kernel_test::in_every_schedule;
using seek::cuda::launch;

namespace {

enum Mode { kIdx, kUp, kDown, kXor };

// The source lane of `lane` as the CUDA programming guide defines each shuffle (width a
// power of two, arguments below 32): idx reads srcLane modulo width within the lane's
// segment; up/down read lane -/+ delta unless that leaves the segment (then the lane's
// own value); xor reads lane ^ laneMask unless that lies in a later segment.
int host_source(Mode mode, int lane, int arg, int width) {
  const int base = lane / width * width;
  switch (mode) {
    case kIdx: return base + ((arg % width) + width) % width;
    case kUp: return lane - arg >= base ? lane - arg : lane;
    case kDown: return lane + arg < base + width ? lane + arg : lane;
    case kXor: return (lane ^ arg) < base + width ? lane ^ arg : lane;
  }
  return -1;
}

template <typename T>
__device__ T shuffle(Mode mode, unsigned mask, T v, int arg, int width) {
  switch (mode) {
    case kIdx: return __shfl_sync(mask, v, arg, width);
    case kUp: return __shfl_up_sync(mask, v, unsigned(arg), width);
    case kDown: return __shfl_down_sync(mask, v, unsigned(arg), width);
    default: return __shfl_xor_sync(mask, v, arg, width);
  }
}

// out[t] = shuffle of (t * 10 + 7) (as T) over the full warp.
template <typename T>
__global__ void shuffle_kernel(Mode mode, int arg, int width, T* out) {
  const int t = threadIdx.x;
  out[t] = shuffle<T>(mode, 0xffffffffu, T(t * 10 + 7), arg, width);
}

// Lanes 0-15 shuffle among themselves (mask 0xffff) by xor and down; lanes 16-31 do nothing.
__global__ void half_warp_shuffle(int* out) {
  const int lane = threadIdx.x % 32;
  out[threadIdx.x] = -1;
  if (lane < 16) {
    const int a = __shfl_xor_sync(0xffffu, lane * 3, 5);
    const int b = __shfl_down_sync(0xffffu, lane * 3, 4, 16);
    out[threadIdx.x] = a * 1000 + b;
  }
}

// Per thread: ballot, any, all of (value != 0) and every __reduce_*_sync of value over
// the full warp (or the existing lanes of a partial last warp).
__global__ void votes(const int* values, int* out) {
  const int t = threadIdx.x, warp = t / 32;
  const int lanes = min(32, int(blockDim.x) - warp * 32);
  const unsigned mask = lanes == 32 ? 0xffffffffu : (1u << lanes) - 1u;
  const int v = values[t];
  int* o = out + t * 12;
  o[0] = int(__ballot_sync(mask, v != 0));
  o[1] = __any_sync(mask, v != 0);
  o[2] = __all_sync(mask, v != 0);
  o[3] = int(__reduce_add_sync(mask, unsigned(v)));
  o[4] = int(__reduce_min_sync(mask, unsigned(v)));
  o[5] = int(__reduce_max_sync(mask, unsigned(v)));
  o[6] = __reduce_add_sync(mask, v);
  o[7] = __reduce_min_sync(mask, v);
  o[8] = __reduce_max_sync(mask, v);
  o[9] = int(__reduce_and_sync(mask, unsigned(v)));
  o[10] = int(__reduce_or_sync(mask, unsigned(v)));
  o[11] = int(__reduce_xor_sync(mask, unsigned(v)));
}

// Lanes at or past `keep` leave; the rest read __activemask and ballot with it.
__global__ void active_after_exit(int keep, unsigned* out) {
  const int lane = threadIdx.x % 32;
  if (lane >= keep) return;
  const unsigned active = __activemask();
  out[threadIdx.x * 2] = active;
  out[threadIdx.x * 2 + 1] = __ballot_sync(active, lane % 2 == 0);
}

template <typename T>
void check_shuffles(Mode mode, const std::vector<int>& args) {
  DeviceBuffer<T> out(64);
  for (int width : {1, 2, 4, 8, 16, 32}) {
    for (int arg : args) {
      launch(shuffle_kernel<T>, {dim3(1), dim3(64)}, mode, arg, width, out.get());
      const std::vector<T> got = out.download();
      for (int t = 0; t < 64; ++t) {
        const int src = t / 32 * 32 + host_source(mode, t % 32, arg, width);
        ASSERT_EQ(got[t], T(src * 10 + 7))
            << "mode " << mode << " width " << width << " arg " << arg << " thread " << t;
      }
    }
  }
}

}  // namespace

using SimWarp = kernel_test::KernelTest;

TEST_F(SimWarp, ShuffleIdxAtEveryWidthWithOutOfRangeSources) {
  in_every_schedule([&] { check_shuffles<int>(kIdx, {0, 1, 3, 5, 7, 15, 31, 33, 40, -1, -6}); });
}

TEST_F(SimWarp, ShuffleUpAndDownKeepTheirValueAtSegmentEdges) {
  in_every_schedule([&] {
    check_shuffles<int>(kUp, {0, 1, 2, 3, 7, 8, 15, 16, 31});
    check_shuffles<int>(kDown, {0, 1, 2, 3, 7, 8, 15, 16, 31});
  });
}

TEST_F(SimWarp, ShuffleXorReadsEarlierSegmentsButNotLaterOnes) {
  in_every_schedule([&] { check_shuffles<int>(kXor, {0, 1, 2, 5, 8, 16, 17, 31}); });
}

TEST_F(SimWarp, ShufflesMoveFloatsAndDoubles) {
  in_every_schedule([&] {
    check_shuffles<float>(kXor, {1, 6, 16});
    check_shuffles<double>(kIdx, {3, -1});
    check_shuffles<double>(kDown, {1, 9});
  });
}

TEST_F(SimWarp, ShuffleUnderAPartialMask) {
  DeviceBuffer<int> out(64);
  in_every_schedule([&] {
    launch(half_warp_shuffle, {dim3(1), dim3(64)}, out.get());
    const std::vector<int> got = out.download();
    for (int t = 0; t < 64; ++t) {
      const int lane = t % 32;
      const int want = lane < 16 ? host_source(kXor, lane, 5, 32) * 3 * 1000 + host_source(kDown, lane, 4, 16) * 3 : -1;
      ASSERT_EQ(got[t], want) << "thread " << t;
    }
  });
}

TEST_F(SimWarp, VotesAndReductionsInFullAndPartialWarps) {
  for (int threads : {64, 45}) {  // 45: a last warp of 13 lanes
    for (int pattern = 0; pattern < 4; ++pattern) {
      std::vector<int> values(threads);
      for (int t = 0; t < threads; ++t) {
        switch (pattern) {
          case 0: values[t] = (t * 37) % 101 - 50; break;  // signed, some zero
          case 1: values[t] = t + 1; break;                // all non-zero
          case 2: values[t] = 0; break;                    // all zero
          default: values[t] = t % 3 == 0 ? -t * 1000 : t; break;
        }
      }
      DeviceBuffer<int> in(values), out(size_t(threads) * 12);
      in_every_schedule([&] {
        launch(votes, {dim3(1), dim3(threads)}, in.get(), out.get());
        const std::vector<int> got = out.download();
        for (int warp = 0; warp * 32 < threads; ++warp) {
          const int first = warp * 32, lanes = std::min(32, threads - first);
          unsigned ballot = 0, uadd = 0, umin = ~0u, umax = 0, uand = ~0u, uor = 0, uxor = 0;
          int iadd = 0, imin = values[first], imax = values[first];
          for (int l = 0; l < lanes; ++l) {
            const int v = values[first + l];
            const unsigned u = unsigned(v);
            ballot |= unsigned(v != 0) << l;
            uadd += u, umin = std::min(umin, u), umax = std::max(umax, u);
            uand &= u, uor |= u, uxor ^= u;
            iadd += v, imin = std::min(imin, v), imax = std::max(imax, v);
          }
          const unsigned full = lanes == 32 ? 0xffffffffu : (1u << lanes) - 1u;
          const int want[12] = {int(ballot), ballot != 0, ballot == full, int(uadd), int(umin), int(umax),
                                iadd,        imin,        imax,           int(uand), int(uor),  int(uxor)};
          for (int l = 0; l < lanes; ++l)
            for (int k = 0; k < 12; ++k)
              ASSERT_EQ(got[size_t(first + l) * 12 + k], want[k])
                  << "threads " << threads << " pattern " << pattern << " lane " << first + l << " k " << k;
        }
      });
    }
  }
}

TEST_F(SimWarp, ActivemaskAfterLanesExit) {
  DeviceBuffer<unsigned> out(128);
  in_every_schedule([&] {
    for (int keep : {32, 20, 1}) {
      out.fill_bytes(0);
      launch(active_after_exit, {dim3(1), dim3(64)}, keep, out.get());
      const std::vector<unsigned> got = out.download();
      const unsigned active = keep == 32 ? 0xffffffffu : (1u << keep) - 1u;
      for (int t = 0; t < 64; ++t) {
        if (t % 32 >= keep) continue;
        EXPECT_EQ(got[t * 2], active) << "keep " << keep << " thread " << t;
        EXPECT_EQ(got[t * 2 + 1], active & 0x55555555u) << "keep " << keep << " thread " << t;
      }
    }
  });
}

// Negative tests of the SIMT simulator (simulator build only): the bugs it must
// expose and the misuse it must report as a clear seek::Error naming the block,
// the thread and the line, never a hang. Racy kernels (a missing __syncthreads,
// __syncwarp or cp.async wait) must give a wrong result in some schedule while
// their fixed forms are right in all; each launch passes a fresh `gen` that
// tags the values written, so stale shared memory left by an earlier block can
// never pass for a right result. After every failed launch the next launch works.
#if defined(SEEK_CUDA_SIM)

#include <stdexcept>
#include <string>
#include <vector>

#include "kernel_test_support.cuh"
#include "kernels/launch.cuh"

using kernel_test::DeviceBuffer;
using kernel_test::in_every_schedule;
using seek::cuda::launch;

namespace {

int next_gen() {
  static int gen = 0;
  return ++gen * 1000;
}

// ---- racy kernels and their fixed forms ----
// out[t] = the value thread t+1 wrote to shared memory.
__global__ void neighbour(int gen, bool sync, int* out) {
  __shared__ int s[64];
  const int t = threadIdx.x;
  s[t] = gen + t;
  if (sync) __syncthreads();
  out[t] = s[(t + 1) % 64];
}

// Each warp sums 32 values in shared memory, warp-synchronously; `sync` adds the
// __syncwarp calls that order the steps.
__global__ void warp_sum(int gen, bool sync, int* out) {
  __shared__ int s[32];
  const int lane = threadIdx.x;
  s[lane] = gen + lane;
  if (sync) __syncwarp();
  for (int off = 16; off > 0; off /= 2) {
    const int v = lane < off ? s[lane + off] : 0;
    if (sync) __syncwarp();
    if (lane < off) s[lane] += v;
    if (sync) __syncwarp();
  }
  if (lane == 0) out[0] = s[0];
}

// cp.async of the block's slice into shared memory, then a barrier and a neighbour's
// read; `wait` adds the cp.async.wait_group that must come before the barrier.
__global__ void async_neighbour(const int* in, bool wait, int* out) {
  __shared__ int s[64];
  const int t = threadIdx.x;
  seek::sim::cp_async(&s[t], &in[t], sizeof(int));
  seek::sim::cp_async_commit();
  if (wait) seek::sim::cp_async_wait(0);
  __syncthreads();
  out[t] = s[(t + 1) % 64];
}

// Two commit groups; wait_group(1) lands only the first.
__global__ void async_two_groups(const int* in, int* out) {
  __shared__ int a[32], b[32];
  const int t = threadIdx.x;
  seek::sim::cp_async(&a[t], &in[t], sizeof(int));
  seek::sim::cp_async_commit();
  seek::sim::cp_async(&b[t], &in[32 + t], sizeof(int));
  seek::sim::cp_async_commit();
  seek::sim::cp_async_wait(1);
  out[t] = a[t];
  out[32 + t] = b[t];  // may still be in flight: poisoned with late landing
  seek::sim::cp_async_wait(0);
  out[64 + t] = b[t];
}

// ---- misuse ----
constexpr int kDivergentLine = __LINE__ + 5;  // the line of the second __syncthreads below
__global__ void divergent_barrier(int* out) {
  if (threadIdx.x % 2 == 0) {
    __syncthreads();
  } else {
    __syncthreads();
  }
  out[threadIdx.x] = 1;
}

__global__ void barrier_after_exit(int* out) {
  if (threadIdx.x >= 40) return;
  __syncthreads();
  out[threadIdx.x] = 1;
}

constexpr int kShuffleLine = __LINE__ + 4;
__global__ void shuffle_after_exit(int* out) {
  const int lane = threadIdx.x % 32;
  if (lane >= 16) return;
  out[threadIdx.x] = __shfl_sync(0xffffffffu, lane, 0);
}

__global__ void mismatched_collectives(int* out) {
  const int lane = threadIdx.x % 32;
  out[threadIdx.x] = lane % 2 == 0 ? __shfl_sync(0xffffffffu, lane, 0) : int(__ballot_sync(0xffffffffu, 1));
}

__global__ void mismatched_masks(int* out) {
  const int lane = threadIdx.x % 32;
  out[threadIdx.x] = int(__ballot_sync(lane == 5 ? 0x7fffffffu : 0xffffffffu, 1));
}

__global__ void barrier_against_collective(int* out) {
  if (threadIdx.x == 3) {
    __syncthreads();
  } else {
    __syncwarp();
  }
  out[threadIdx.x] = 1;
}

__global__ void shuffle_outside_mask(int* out) {
  const int lane = threadIdx.x % 32;
  if (lane < 16) out[threadIdx.x] = __shfl_sync(0xffffu, lane, 20);
}

__global__ void mask_beyond_partial_warp(int* out) {
  __syncwarp(0xffffffffu);
  out[threadIdx.x] = 1;
}

__global__ void mask_without_caller(int* out) {
  if (threadIdx.x == 0) out[0] = int(__ballot_sync(0x2u, 1));
}

__global__ void bad_width(int* out) { out[threadIdx.x] = __shfl_xor_sync(0xffffffffu, 1, 1, 12); }

__global__ void throws_in_kernel(int* out) {
  if (threadIdx.x == 5 && blockIdx.x == 1) throw std::runtime_error("thrown by thread 5 of block 1");
  __syncthreads();
  out[threadIdx.x] = 1;
}

__global__ void last_thread_leaves(int* out) {
  if (threadIdx.x == blockDim.x - 1) return;
  __syncthreads();
  out[threadIdx.x] = 1;
}

__global__ void fill(int* out, int v) { out[blockIdx.x * blockDim.x + threadIdx.x] = v; }

// The simulator stays usable after a failed launch: the next launch works.
void expect_usable() {
  DeviceBuffer<int> out(3 * 100);
  const int v = next_gen();
  launch(fill, {dim3(3), dim3(100)}, out.get(), v);
  for (int x : out.download()) ASSERT_EQ(x, v);
}

// Runs `f` in every schedule; each run must throw E with every `needles` in its message.
template <typename E = seek::Error, typename F>
void expect_error(F f, const std::vector<std::string>& needles) {
  in_every_schedule([&] {
    try {
      f();
      ADD_FAILURE() << "no error";
    } catch (const E& e) {
      const std::string msg = e.what();
      for (const std::string& n : needles) EXPECT_NE(msg.find(n), std::string::npos) << "'" << n << "' not in: " << msg;
    }
    expect_usable();
  });
}

std::string line_of(int line) { return "test_sim_misuse.cu:" + std::to_string(line); }

}  // namespace

using SimMisuse = kernel_test::KernelTest;

TEST_F(SimMisuse, MissingSyncthreadsGivesAWrongResultInSomeSchedule) {
  DeviceBuffer<int> out(64);
  int wrong = 0;
  for (const char* order : {"forward", "reverse"}) {
    kernel_test::ScheduleGuard guard;
    seek::sim::set_schedule(seek::sim::parse_schedule(order));
    const int gen = next_gen();
    launch(neighbour, {dim3(1), dim3(64)}, gen, false, out.get());
    const std::vector<int> got = out.download();
    for (int t = 0; t < 64; ++t) wrong += got[t] != gen + (t + 1) % 64;
  }
  EXPECT_GT(wrong, 0);
  in_every_schedule([&] {
    const int gen = next_gen();
    launch(neighbour, {dim3(1), dim3(64)}, gen, true, out.get());
    const std::vector<int> got = out.download();
    for (int t = 0; t < 64; ++t) ASSERT_EQ(got[t], gen + (t + 1) % 64);
  });
}

TEST_F(SimMisuse, WarpSynchronousCodeWithoutSyncwarpGivesAWrongResultInSomeSchedule) {
  DeviceBuffer<int> out(1);
  int wrong = 0;
  for (const char* order : {"forward", "reverse"}) {
    kernel_test::ScheduleGuard guard;
    seek::sim::set_schedule(seek::sim::parse_schedule(order));
    const int gen = next_gen();
    launch(warp_sum, {dim3(1), dim3(32)}, gen, false, out.get());
    wrong += out.download()[0] != 32 * gen + 31 * 32 / 2;
  }
  EXPECT_GT(wrong, 0);
  in_every_schedule([&] {
    const int gen = next_gen();
    launch(warp_sum, {dim3(1), dim3(32)}, gen, true, out.get());
    EXPECT_EQ(out.download()[0], 32 * gen + 31 * 32 / 2);
  });
}

TEST_F(SimMisuse, MissingCpAsyncWaitShowsPoisonWithLateLanding) {
  std::vector<int> host(64);
  for (int i = 0; i < 64; ++i) host[i] = i * 5 + 1;
  DeviceBuffer<int> in(host), out(96);
  kernel_test::ScheduleGuard guard;
  for (const char* sched : {"forward,late", "reverse,late", "random:3"}) {
    SCOPED_TRACE(sched);
    seek::sim::set_schedule(seek::sim::parse_schedule(sched));
    launch(async_neighbour, {dim3(1), dim3(64)}, in.get(), false, out.get());
    const std::vector<int> got = out.download();
    int poisoned = 0;
    for (int t = 0; t < 64; ++t) poisoned += got[t] == -1;  // 0xffffffff
    EXPECT_GT(poisoned, 0);
    launch(async_two_groups, {dim3(1), dim3(32)}, in.get(), out.get());
    const std::vector<int> two = out.download();
    for (int t = 0; t < 32; ++t) {
      EXPECT_EQ(two[t], host[t]);
      EXPECT_EQ(two[32 + t], -1) << "the second group landed before its wait";
      EXPECT_EQ(two[64 + t], host[32 + t]);
    }
  }
  in_every_schedule([&] {
    launch(async_neighbour, {dim3(1), dim3(64)}, in.get(), true, out.get());
    const std::vector<int> got = out.download();
    for (int t = 0; t < 64; ++t) ASSERT_EQ(got[t], host[(t + 1) % 64]);
  });
}

TEST_F(SimMisuse, DivergentBarrierNamesBlockThreadAndLine) {
  DeviceBuffer<int> out(64 * 3);
  expect_error(
      [&] {
        launch(divergent_barrier, {dim3(3), dim3(64)}, out.get());
      },
      {"divergent barrier", "thread (", "of block (", line_of(kDivergentLine), line_of(kDivergentLine - 2),
       "__syncthreads"});
  expect_error(
      [&] {
        launch(barrier_after_exit, {dim3(2), dim3(64)}, out.get());
      },
      {"barrier never reached", "exited without reaching it", "of block ("});
}

TEST_F(SimMisuse, FullMaskShuffleAfterLanesExitedIsAnError) {
  DeviceBuffer<int> out(64);
  expect_error(
      [&] {
        launch(shuffle_after_exit, {dim3(1), dim3(64)}, out.get());
      },
      {"__shfl_sync", "exited", "thread (", "of block (", line_of(kShuffleLine)});
}

TEST_F(SimMisuse, WarpOperationsThatDoNotMatch) {
  DeviceBuffer<int> out(64);
  expect_error(
      [&] {
        launch(mismatched_collectives, {dim3(1), dim3(64)}, out.get());
      },
      {"warp operations do not match", "__shfl_sync", "__ballot_sync", "thread ("});
  expect_error(
      [&] {
        launch(mismatched_masks, {dim3(1), dim3(64)}, out.get());
      },
      {"warp operations do not match", "0x7fffffff", "0xffffffff"});
  expect_error(
      [&] {
        launch(barrier_against_collective, {dim3(1), dim3(32)}, out.get());
      },
      {"warp operations do not match", "__syncwarp", "__syncthreads"});
}

TEST_F(SimMisuse, BadMasksAndWidths) {
  DeviceBuffer<int> out(64);
  expect_error(
      [&] {
        launch(shuffle_outside_mask, {dim3(1), dim3(32)}, out.get());
      },
      {"shuffles from lane 20", "0xffff", "does not name"});
  expect_error(
      [&] {
        launch(mask_beyond_partial_warp, {dim3(1), dim3(40)}, out.get());
      },
      {"__syncwarp", "beyond the last lane of its warp", "40 threads", "warp 1"});
  expect_error(
      [&] {
        launch(mask_without_caller, {dim3(1), dim3(32)}, out.get());
      },
      {"__ballot_sync", "does not name the calling lane"});
  expect_error(
      [&] {
        launch(bad_width, {dim3(1), dim3(32)}, out.get());
      },
      {"__shfl_xor_sync", "width 12", "power of two"});
}

TEST_F(SimMisuse, BadLaunchConfigurations) {
  DeviceBuffer<int> out(64);
  expect_error(
      [&] {
        launch(fill, {dim3(0), dim3(32)}, out.get(), 1);
      },
      {"invalid configuration", "empty grid (0,1,1)", "test_sim_misuse.cu:"});
  expect_error([&] { launch(fill, {dim3(1), dim3(1025)}, out.get(), 1); }, {"1025 threads", "at most 1024"});
  expect_error([&] { launch(fill, {dim3(1), dim3(1, 1, 65)}, out.get(), 1); }, {"z at most 64"});
  expect_error(
      [&] {
        launch(fill, {dim3(1), dim3(32), 300 * 1024}, out.get(), 1);
      },
      {"307200 bytes of dynamic shared memory"});
}

TEST_F(SimMisuse, HostPointerPassedToAKernel) {
  std::vector<int> host(64);
  expect_error<seek::DeviceError>(
      [&] {
        launch(fill, {dim3(1), dim3(64)}, host.data(), 1);
      },
      {"argument 0", "not device memory", "test_sim_misuse.cu:"});
}

TEST_F(SimMisuse, ExceptionInAKernelPropagates) {
  DeviceBuffer<int> out(4 * 64);
  expect_error<std::runtime_error>(
      [&] {
        launch(throws_in_kernel, {dim3(4), dim3(64)}, out.get());
      },
      {"thrown by thread 5 of block 1"});
}

TEST_F(SimMisuse, ManyFailedLaunchesInARowLeaveTheSimulatorUsable) {
  // In forward order each failure abandons 1023 suspended fibers; their stacks go back to the pool.
  DeviceBuffer<int> out(1024 * 4);
  kernel_test::ScheduleGuard guard;
  seek::sim::set_schedule(seek::sim::parse_schedule("forward"));
  for (int i = 0; i < 50; ++i) {
    EXPECT_THROW(launch(last_thread_leaves, {dim3(4), dim3(1024)}, out.get()), seek::Error);
    EXPECT_THROW(launch(divergent_barrier, {dim3(4), dim3(1024)}, out.get()), seek::Error);
  }
  expect_usable();
}

#endif  // SEEK_CUDA_SIM

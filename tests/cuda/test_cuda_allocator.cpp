// The stream-ordered caching allocator: same-stream reuse, per-stream pools,
// cross-stream frees held back by events (Tensor::record_stream), statistics,
// memory_summary, empty_cache, and out-of-memory followed by working
// allocations and a training step. Pending-event checks need the simulated
// device (on a GPU the other stream may already be done).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "seek/cuda.h"
#include "seek/nn.h"
#include "seek/optim/sgd.h"
#include "seek/seek.h"

using namespace seek;

namespace {

class CudaAllocator : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!cuda::is_available()) GTEST_SKIP() << "no CUDA GPU visible: " << cuda::build_info();
    cuda::set_device(0);
    cuda::synchronize();
    cuda::empty_cache();
    simulated_ = cuda::build_config().simulated;
  }
  bool simulated_ = false;
};

// A CUDA tensor of `bytes` bytes on the current stream.
Tensor block(int64_t bytes) { return empty({bytes}, TensorOptions(DType::UInt8).device(kCUDA)); }

}  // namespace

TEST_F(CudaAllocator, SameStreamReuseIsImmediateAndCounted) {
  cuda::Stream s(0);
  cuda::StreamGuard g(s);
  const cuda::MemoryStats before = cuda::memory_stats();
  void* first = nullptr;
  {
    Tensor t = block(5000);  // -> 5120 B, small pool
    first = t.data_ptr();
  }
  Tensor again = block(4700);  // same rounded size, same stream
  EXPECT_EQ(again.data_ptr(), first);
  const cuda::MemoryStats after = cuda::memory_stats();
  EXPECT_EQ(after.num_cache_hits - before.num_cache_hits, 1);
  EXPECT_EQ(after.segment.all.allocated - before.segment.all.allocated, 1);  // one cudaMalloc
  EXPECT_EQ(after.allocation.all.allocated - before.allocation.all.allocated, 2);
  EXPECT_EQ(after.allocation.all.freed - before.allocation.all.freed, 1);
  EXPECT_EQ(after.allocation.small_pool.current - before.allocation.small_pool.current, 1);
  EXPECT_EQ(after.allocated_bytes.small_pool.current - before.allocated_bytes.small_pool.current, 5120);
  EXPECT_EQ(after.allocated_bytes.large_pool.current, before.allocated_bytes.large_pool.current);
  EXPECT_EQ(after.reserved_bytes.all.current - before.reserved_bytes.all.current, 5120);
}

TEST_F(CudaAllocator, PoolsAreKeptPerStream) {
  cuda::Stream s1(0), s2(0);
  void* p1 = nullptr;
  {
    cuda::StreamGuard g(s1);
    p1 = block(3 << 20).data_ptr();  // large pool: 4 MiB, freed at once into s1's pool
  }
  const cuda::MemoryStats mid = cuda::memory_stats();
  EXPECT_EQ(mid.reserved_bytes.large_pool.current, 4 << 20);
  EXPECT_EQ(mid.allocated_bytes.large_pool.current, 0);
  {
    cuda::StreamGuard g(s2);
    Tensor t = block(3 << 20);
    EXPECT_NE(t.data_ptr(), p1);  // s1's free block is not handed to s2
    EXPECT_EQ(cuda::memory_stats().reserved_bytes.large_pool.current, 8 << 20);
  }
  cuda::StreamGuard g(s1);
  EXPECT_EQ(block(3 << 20).data_ptr(), p1);
}

TEST_F(CudaAllocator, CrossStreamFreeWaitsForTheOtherStreamsEvent) {
  cuda::Stream s1(0), s2(0);
  cuda::StreamGuard g(s1);
  const cuda::MemoryStats before = cuda::memory_stats();
  Tensor x = block(70000);  // 70000 -> 70144 B
  void* px = x.data_ptr();
  x.record_stream(s2);
  x.record_stream(s1);  // its own stream: nothing to wait for
  {
    cuda::StreamGuard on_s2(s2);
    x.fill_(3);  // work on s2 that reads/writes x
  }
  x = Tensor();  // freed while s2 may still use it: an event is recorded on s2
  cuda::MemoryStats mid = cuda::memory_stats();
  EXPECT_EQ(mid.num_cross_stream_frees - before.num_cross_stream_frees, 1);
  EXPECT_EQ(mid.allocated_bytes.all.current, before.allocated_bytes.all.current);
  if (simulated_) {
    EXPECT_EQ(mid.active_bytes.all.current - before.active_bytes.all.current, 70144);  // held back
    Tensor y = block(70000);  // same stream and size, but the block is pending
    EXPECT_NE(y.data_ptr(), px);
    y = Tensor();
    s2.synchronize();
  } else {
    cuda::synchronize();
  }
  Tensor z = block(70000);
  Tensor w = block(70000);
  EXPECT_TRUE(z.data_ptr() == px || w.data_ptr() == px);  // released to s1's pool after s2's event
  z = Tensor();
  w = Tensor();
  const cuda::MemoryStats after = cuda::memory_stats();
  EXPECT_EQ(after.active_bytes.all.current, before.active_bytes.all.current);
  EXPECT_EQ(after.allocation.all.current, before.allocation.all.current);
}

TEST_F(CudaAllocator, EmptyCacheWaitsForPendingFreesAndReleasesEverything) {
  cuda::Stream s1(0), s2(0);
  {
    cuda::StreamGuard g(s1);
    Tensor x = block(1 << 20);
    x.record_stream(s2);
    Tensor y = block(5 << 20);
  }
  cuda::MemoryStats s = cuda::memory_stats();
  EXPECT_GT(s.reserved, s.allocated);
  const int64_t syncs = s.num_sync_all_streams;
  cuda::empty_cache();
  s = cuda::memory_stats();
  EXPECT_EQ(s.reserved, s.allocated);
  EXPECT_EQ(s.active_bytes.all.current, s.allocated_bytes.all.current);
  if (simulated_) EXPECT_EQ(s.num_sync_all_streams, syncs + 1);
  EXPECT_GE(s.segment.all.freed, 2);
  EXPECT_EQ(s.peak_reserved, static_cast<size_t>(s.reserved_bytes.all.peak));
  cuda::reset_peak_memory_stats();
  EXPECT_EQ(cuda::max_memory_reserved(), cuda::memory_reserved());
  cuda::reset_accumulated_memory_stats();
  s = cuda::memory_stats();
  EXPECT_EQ(s.num_cache_hits, 0);
  EXPECT_EQ(s.allocation.all.allocated, 0);
  EXPECT_EQ(s.segment.all.freed, 0);
}

TEST_F(CudaAllocator, MemorySummaryShowsTheFigures) {
  Tensor t = block(3 << 20);
  const std::string text = cuda::memory_summary();
  EXPECT_NE(text.find("Allocated memory"), std::string::npos) << text;
  EXPECT_NE(text.find("Reserved memory"), std::string::npos) << text;
  EXPECT_NE(text.find("large pool"), std::string::npos) << text;
  EXPECT_NE(text.find("4.00 MiB"), std::string::npos) << text;
  EXPECT_NE(text.find("OOMs:"), std::string::npos) << text;
}

TEST_F(CudaAllocator, OutOfMemoryThenFreeThenAllocateAndTrain) {
  const size_t total = cuda::get_device_properties(0).total_memory;
  const int64_t chunk = static_cast<int64_t>(std::max<size_t>(total / 16, size_t(2) << 20));
  const cuda::MemoryStats before = cuda::memory_stats();
  std::vector<Tensor> hold;
  std::string message;
  for (size_t i = 0; i < 64 && message.empty(); ++i) {
    try {
      hold.push_back(block(chunk));
    } catch (const OutOfMemoryError& e) {
      message = e.what();
    }
  }
  ASSERT_FALSE(message.empty()) << "filling " << total << " bytes in chunks of " << chunk << " never ran out";
  EXPECT_NE(message.find("CUDA out of memory on cuda:0: tried to allocate"), std::string::npos) << message;
  EXPECT_NE(message.find(std::to_string(chunk) + " bytes"), std::string::npos) << message;
  EXPECT_NE(message.find("allocated by tensors"), std::string::npos) << message;
  EXPECT_NE(message.find("reserved"), std::string::npos) << message;
  const cuda::MemoryStats at_oom = cuda::memory_stats();
  EXPECT_EQ(at_oom.num_ooms - before.num_ooms, 1);
  EXPECT_EQ(at_oom.num_alloc_retries - before.num_alloc_retries, 1);
  hold.clear();  // cached now, not returned: the next large request needs the retry path
  Tensor big = block(chunk * 3);
  EXPECT_TRUE(big.defined());
  if (simulated_) EXPECT_EQ(cuda::memory_stats().num_alloc_retries - at_oom.num_alloc_retries, 1);
  big = Tensor();

  // A training step after the OOM works.
  auto lin = std::make_shared<nn::Linear>(4, 2);
  lin->to(kCUDA);
  optim::SGD opt(lin->parameters(), optim::SGDOptions(0.1));
  Tensor x = tensor<float>({1, 2, 3, 4, 0.5f, -1, 2, 0}, {2, 4}).to(kCUDA);
  const std::vector<float> w0 = to_vector<float>(lin->parameters()[0].to(kCPU));
  Tensor loss = (lin->forward(x) * lin->forward(x)).mean();
  opt.zero_grad();
  loss.backward();
  opt.step();
  const std::vector<float> w1 = to_vector<float>(lin->parameters()[0].to(kCPU));
  EXPECT_NE(w0, w1);
  EXPECT_TRUE(std::isfinite(loss.item<float>()));
}

// Stream capture and graphs at the runtime API (the simulated device implements them in
// src/backend/cuda/sim_graph.cpp, a GPU in the driver): captured work does not run until
// the graph is launched and then runs once per launch; what CUDA forbids during a capture
// fails with CUDA's error and invalidates it; streams fork from and join back into a capture
// through events, and unjoined work fails cudaStreamEndCapture.
#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <cstring>
#include <thread>
#include <vector>

#include "cuda_device_test.h"

namespace {

using seek::cuda_test::CudaDeviceTest;

class CudaCapture : public CudaDeviceTest {
 protected:
  void SetUp() override {
    CudaDeviceTest::SetUp();
    if (IsSkipped()) return;
    ASSERT_EQ(cudaStreamCreateWithFlags(&s1_, cudaStreamNonBlocking), cudaSuccess);
    ASSERT_EQ(cudaStreamCreateWithFlags(&s2_, cudaStreamNonBlocking), cudaSuccess);
    ASSERT_EQ(cudaMalloc(&buf_, 64), cudaSuccess);
    ASSERT_EQ(cudaMemset(buf_, 0, 64), cudaSuccess);
  }
  void TearDown() override {
    if (buf_) cudaFree(buf_);
    if (s1_) cudaStreamDestroy(s1_);
    if (s2_) cudaStreamDestroy(s2_);
    cudaGetLastError();
  }
  std::vector<unsigned char> read() {
    std::vector<unsigned char> h(64);
    EXPECT_EQ(cudaMemcpy(h.data(), buf_, 64, cudaMemcpyDeviceToHost), cudaSuccess);
    return h;
  }
  cudaStream_t s1_ = nullptr, s2_ = nullptr;
  void* buf_ = nullptr;
};

TEST_F(CudaCapture, CapturedWorkRunsOnlyAtEachLaunch) {
  ASSERT_EQ(cudaStreamBeginCapture(s1_, cudaStreamCaptureModeGlobal), cudaSuccess);
  cudaStreamCaptureStatus st = cudaStreamCaptureStatusNone;
  unsigned long long id = 0;
  ASSERT_EQ(cudaStreamGetCaptureInfo(s1_, &st, &id), cudaSuccess);
  EXPECT_EQ(st, cudaStreamCaptureStatusActive);
  EXPECT_NE(id, 0u);
  ASSERT_EQ(cudaMemsetAsync(buf_, 7, 32, s1_), cudaSuccess);
  ASSERT_EQ(cudaMemcpyAsync(static_cast<char*>(buf_) + 32, buf_, 16, cudaMemcpyDeviceToDevice, s1_), cudaSuccess);
  cudaGraph_t g = nullptr;
  ASSERT_EQ(cudaStreamEndCapture(s1_, &g), cudaSuccess);
  ASSERT_NE(g, nullptr);
  ASSERT_EQ(cudaStreamIsCapturing(s1_, &st), cudaSuccess);
  EXPECT_EQ(st, cudaStreamCaptureStatusNone);
  EXPECT_EQ(read(), std::vector<unsigned char>(64, 0));  // nothing ran at capture
  cudaGraphExec_t x = nullptr;
  ASSERT_EQ(cudaGraphInstantiate(&x, g, 0), cudaSuccess);
  ASSERT_EQ(cudaGraphLaunch(x, s2_), cudaSuccess);
  ASSERT_EQ(cudaStreamSynchronize(s2_), cudaSuccess);
  std::vector<unsigned char> want(64, 0);
  std::memset(want.data(), 7, 48);
  EXPECT_EQ(read(), want);
  ASSERT_EQ(cudaMemset(buf_, 0, 64), cudaSuccess);
  ASSERT_EQ(cudaGraphLaunch(x, s1_), cudaSuccess);  // a second replay does it again
  ASSERT_EQ(cudaStreamSynchronize(s1_), cudaSuccess);
  EXPECT_EQ(read(), want);
  EXPECT_EQ(cudaGraphExecDestroy(x), cudaSuccess);
  EXPECT_EQ(cudaGraphDestroy(g), cudaSuccess);
}

TEST_F(CudaCapture, DefaultStreamCannotCapture) {
  EXPECT_EQ(cudaStreamBeginCapture(cudaStreamLegacy, cudaStreamCaptureModeGlobal), cudaErrorStreamCaptureUnsupported);
  cudaGetLastError();
}

TEST_F(CudaCapture, SynchronizingACapturingStreamInvalidatesTheCapture) {
  ASSERT_EQ(cudaStreamBeginCapture(s1_, cudaStreamCaptureModeGlobal), cudaSuccess);
  ASSERT_EQ(cudaMemsetAsync(buf_, 1, 8, s1_), cudaSuccess);
  EXPECT_EQ(cudaStreamSynchronize(s1_), cudaErrorStreamCaptureUnsupported);
  cudaStreamCaptureStatus st = cudaStreamCaptureStatusNone;
  ASSERT_EQ(cudaStreamIsCapturing(s1_, &st), cudaSuccess);
  EXPECT_EQ(st, cudaStreamCaptureStatusInvalidated);
  EXPECT_EQ(cudaMemsetAsync(buf_, 1, 8, s1_), cudaErrorStreamCaptureInvalidated);
  cudaGraph_t g = reinterpret_cast<cudaGraph_t>(1);
  EXPECT_EQ(cudaStreamEndCapture(s1_, &g), cudaErrorStreamCaptureInvalidated);
  EXPECT_EQ(g, nullptr);
  cudaGetLastError();
  EXPECT_EQ(read(), std::vector<unsigned char>(64, 0));
}

TEST_F(CudaCapture, DeviceSynchronizeDuringCaptureFails) {
  ASSERT_EQ(cudaStreamBeginCapture(s1_, cudaStreamCaptureModeRelaxed), cudaSuccess);
  EXPECT_EQ(cudaDeviceSynchronize(), cudaErrorStreamCaptureUnsupported);
  cudaGraph_t g = nullptr;
  EXPECT_EQ(cudaStreamEndCapture(s1_, &g), cudaErrorStreamCaptureInvalidated);
  cudaGetLastError();
}

TEST_F(CudaCapture, SynchronousCopyIsUnsafeInGlobalModeButNotRelaxed) {
  std::vector<unsigned char> h(8, 3);
  ASSERT_EQ(cudaStreamBeginCapture(s1_, cudaStreamCaptureModeGlobal), cudaSuccess);
  EXPECT_NE(cudaMemcpy(buf_, h.data(), 8, cudaMemcpyHostToDevice), cudaSuccess);
  cudaGraph_t g = nullptr;
  EXPECT_EQ(cudaStreamEndCapture(s1_, &g), cudaErrorStreamCaptureInvalidated);
  cudaGetLastError();

  ASSERT_EQ(cudaStreamBeginCapture(s1_, cudaStreamCaptureModeRelaxed), cudaSuccess);
  EXPECT_EQ(cudaMemcpy(buf_, h.data(), 8, cudaMemcpyHostToDevice), cudaSuccess);  // runs now, not captured
  ASSERT_EQ(cudaStreamEndCapture(s1_, &g), cudaSuccess);
  EXPECT_EQ(cudaGraphDestroy(g), cudaSuccess);
  EXPECT_EQ(read()[7], 3);
}

TEST_F(CudaCapture, EventsOfACaptureCannotBeQueried) {
  cudaEvent_t e = nullptr;
  ASSERT_EQ(cudaEventCreateWithFlags(&e, cudaEventDisableTiming), cudaSuccess);
  ASSERT_EQ(cudaStreamBeginCapture(s1_, cudaStreamCaptureModeRelaxed), cudaSuccess);
  ASSERT_EQ(cudaEventRecord(e, s1_), cudaSuccess);
  EXPECT_EQ(cudaEventQuery(e), cudaErrorCapturedEvent);
  EXPECT_EQ(cudaEventSynchronize(e), cudaErrorCapturedEvent);
  cudaGetLastError();
  cudaGraph_t g = nullptr;
  ASSERT_EQ(cudaStreamEndCapture(s1_, &g), cudaSuccess);
  EXPECT_EQ(cudaGraphDestroy(g), cudaSuccess);
  EXPECT_EQ(cudaEventDestroy(e), cudaSuccess);
}

TEST_F(CudaCapture, ForkedStreamsJoinBackThroughEvents) {
  cudaEvent_t fork = nullptr, join = nullptr;
  ASSERT_EQ(cudaEventCreateWithFlags(&fork, cudaEventDisableTiming), cudaSuccess);
  ASSERT_EQ(cudaEventCreateWithFlags(&join, cudaEventDisableTiming), cudaSuccess);
  ASSERT_EQ(cudaStreamBeginCapture(s1_, cudaStreamCaptureModeGlobal), cudaSuccess);
  ASSERT_EQ(cudaMemsetAsync(buf_, 1, 16, s1_), cudaSuccess);
  ASSERT_EQ(cudaEventRecord(fork, s1_), cudaSuccess);
  ASSERT_EQ(cudaStreamWaitEvent(s2_, fork, 0), cudaSuccess);  // s2 joins the capture
  cudaStreamCaptureStatus st = cudaStreamCaptureStatusNone;
  ASSERT_EQ(cudaStreamIsCapturing(s2_, &st), cudaSuccess);
  EXPECT_EQ(st, cudaStreamCaptureStatusActive);
  ASSERT_EQ(cudaMemsetAsync(static_cast<char*>(buf_) + 16, 2, 16, s2_), cudaSuccess);
  ASSERT_EQ(cudaEventRecord(join, s2_), cudaSuccess);
  ASSERT_EQ(cudaStreamWaitEvent(s1_, join, 0), cudaSuccess);
  cudaGraph_t g = nullptr;
  ASSERT_EQ(cudaStreamEndCapture(s1_, &g), cudaSuccess);
  ASSERT_EQ(cudaStreamIsCapturing(s2_, &st), cudaSuccess);
  EXPECT_EQ(st, cudaStreamCaptureStatusNone);
  cudaGraphExec_t x = nullptr;
  ASSERT_EQ(cudaGraphInstantiate(&x, g, 0), cudaSuccess);
  ASSERT_EQ(cudaGraphLaunch(x, s1_), cudaSuccess);
  ASSERT_EQ(cudaStreamSynchronize(s1_), cudaSuccess);
  const auto h = read();
  EXPECT_EQ(h[0], 1);
  EXPECT_EQ(h[20], 2);
  EXPECT_EQ(h[40], 0);
  cudaGraphExecDestroy(x);
  cudaGraphDestroy(g);

  // Forked work never joined back: cudaStreamEndCapture refuses the graph.
  ASSERT_EQ(cudaStreamBeginCapture(s1_, cudaStreamCaptureModeGlobal), cudaSuccess);
  ASSERT_EQ(cudaEventRecord(fork, s1_), cudaSuccess);
  ASSERT_EQ(cudaStreamWaitEvent(s2_, fork, 0), cudaSuccess);
  ASSERT_EQ(cudaMemsetAsync(buf_, 5, 16, s2_), cudaSuccess);
  EXPECT_EQ(cudaStreamEndCapture(s1_, &g), cudaErrorStreamCaptureUnjoined);
  EXPECT_EQ(g, nullptr);
  cudaGetLastError();
  ASSERT_EQ(cudaStreamIsCapturing(s2_, &st), cudaSuccess);
  EXPECT_EQ(st, cudaStreamCaptureStatusNone);
  cudaEventDestroy(fork);
  cudaEventDestroy(join);
}

TEST_F(CudaCapture, WaitingForAnEventFromOutsideTheCaptureIsIsolationError) {
  cudaEvent_t e = nullptr;
  ASSERT_EQ(cudaEventCreateWithFlags(&e, cudaEventDisableTiming), cudaSuccess);
  ASSERT_EQ(cudaEventRecord(e, s2_), cudaSuccess);
  ASSERT_EQ(cudaStreamBeginCapture(s1_, cudaStreamCaptureModeGlobal), cudaSuccess);
  EXPECT_EQ(cudaStreamWaitEvent(s1_, e, 0), cudaErrorStreamCaptureIsolation);
  cudaGraph_t g = nullptr;
  EXPECT_EQ(cudaStreamEndCapture(s1_, &g), cudaErrorStreamCaptureInvalidated);
  cudaGetLastError();
  cudaEventDestroy(e);
}

TEST_F(CudaCapture, CaptureModesDecideWhichThreadsAreProhibited) {
  std::vector<unsigned char> h(8, 9);
  auto other_thread_copy = [&](bool relaxed) {
    cudaError_t err = cudaSuccess;
    std::thread t([&] {
      cudaSetDevice(0);
      cudaStreamCaptureMode mode = cudaStreamCaptureModeRelaxed;
      if (relaxed) cudaThreadExchangeStreamCaptureMode(&mode);
      err = cudaMemcpy(buf_, h.data(), 8, cudaMemcpyHostToDevice);
      if (relaxed) cudaThreadExchangeStreamCaptureMode(&mode);  // restore
      cudaGetLastError();
    });
    t.join();
    return err;
  };
  cudaGraph_t g = nullptr;
  // Global: another thread's unsafe call fails and invalidates the capture...
  ASSERT_EQ(cudaStreamBeginCapture(s1_, cudaStreamCaptureModeGlobal), cudaSuccess);
  EXPECT_NE(other_thread_copy(false), cudaSuccess);
  EXPECT_EQ(cudaStreamEndCapture(s1_, &g), cudaErrorStreamCaptureInvalidated);
  cudaGetLastError();
  // ...unless that thread made itself relaxed.
  ASSERT_EQ(cudaStreamBeginCapture(s1_, cudaStreamCaptureModeGlobal), cudaSuccess);
  EXPECT_EQ(other_thread_copy(true), cudaSuccess);
  ASSERT_EQ(cudaStreamEndCapture(s1_, &g), cudaSuccess);
  cudaGraphDestroy(g);
  // Thread-local: other threads are not concerned.
  ASSERT_EQ(cudaStreamBeginCapture(s1_, cudaStreamCaptureModeThreadLocal), cudaSuccess);
  EXPECT_EQ(other_thread_copy(false), cudaSuccess);
  ASSERT_EQ(cudaStreamEndCapture(s1_, &g), cudaSuccess);
  cudaGraphDestroy(g);
  EXPECT_EQ(read()[0], 9);
}

}  // namespace

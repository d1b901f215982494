// Streams, events, the current stream per device per thread, StreamGuard and
// synchronize(). Checks of "not yet complete" states run on the simulated
// device only: its event model keeps an event on a non-default stream pending
// until the host synchronises with it, where a GPU may have finished already.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "cuda_device_test.h"
#include "seek/cuda.h"
#include "seek/seek.h"

using namespace seek;

namespace {

class CudaStreams : public cuda_test::CudaDeviceTest {};

std::vector<float> host(const Tensor& t) { return to_vector<float>(t.to(kCPU)); }

}  // namespace

TEST_F(CudaStreams, DefaultAndPoolStreams) {
  const cuda::Stream def = cuda::current_stream();
  EXPECT_TRUE(def.is_default());
  EXPECT_EQ(def, cuda::default_stream(0));
  EXPECT_EQ(def.device(), 0);
  EXPECT_EQ(def.priority(), 0);
  cuda::Stream s(0);
  EXPECT_FALSE(s.is_default());
  EXPECT_NE(s, def);
  EXPECT_EQ(s.device(), 0);
  EXPECT_EQ(s.priority(), 0);
  cuda::Stream t;  // the current device, the next pool stream
  EXPECT_NE(s, t);
  cuda::Stream high(0, -1);
  EXPECT_LT(high.priority(), 0);
  EXPECT_TRUE(s.query());  // nothing queued yet
  EXPECT_THROW(cuda::Stream(cuda::device_count()), DeviceError);
  EXPECT_THROW(cuda::current_stream(cuda::device_count()), DeviceError);
}

TEST_F(CudaStreams, GuardAndSetStreamChangeTheCurrentStreamOfThisThreadOnly) {
  cuda::Stream s(0), s2(0);
  {
    cuda::StreamGuard g(s);
    EXPECT_EQ(cuda::current_stream(), s);
    EXPECT_EQ(cuda::current_stream(0), s);
    {
      cuda::StreamGuard inner(s2);
      EXPECT_EQ(cuda::current_stream(), s2);
    }
    EXPECT_EQ(cuda::current_stream(), s);
    cuda::Stream seen_by_other = s;
    std::thread([&] { seen_by_other = cuda::current_stream(0); }).join();
    EXPECT_TRUE(seen_by_other.is_default());  // per thread
  }
  EXPECT_TRUE(cuda::current_stream().is_default());
  cuda::set_stream(s2);
  EXPECT_EQ(cuda::current_stream(), s2);
  cuda::set_stream(cuda::default_stream());
  EXPECT_TRUE(cuda::current_stream().is_default());
}

TEST_F(CudaStreams, KernelsAndCopiesRunOnTheCurrentStream) {
  cuda::Stream s(0);
  Tensor x = tensor<float>({1, 2, 3, 4, 5}).to(kCUDA);
  Tensor y;
  {
    cuda::StreamGuard g(s);
    x.record_stream(s);
    y = (x * 2 + 1).sum(0);  // elementwise and a reduction on s
  }
  EXPECT_EQ(host(y), std::vector<float>({35}));  // the copy to the host waits for the work
  if (simulated_) {
    // Everything queued on s is reported complete once the host synchronised with it.
    cuda::Event e;
    e.record(s);
    EXPECT_FALSE(e.query());
    EXPECT_FALSE(s.query());
    s.synchronize();
    EXPECT_TRUE(e.query());
    EXPECT_TRUE(s.query());
  }
}

TEST_F(CudaStreams, EventsRecordQuerySynchronizeAndTime) {
  cuda::Stream s(0);
  cuda::Event never;
  EXPECT_TRUE(never.query());  // not recorded: nothing to wait for
  EXPECT_NO_THROW(never.synchronize());
  cuda::Event start(true), end(true);
  start.record(s);
  (void)(ones({64}, TensorOptions(kF32).device(kCUDA)) * 3);
  end.record(s);
  EXPECT_TRUE(start.is_recorded());
  if (simulated_) {
    EXPECT_FALSE(start.query());
    EXPECT_FALSE(end.query());
    end.synchronize();  // completes everything before it on s
    EXPECT_TRUE(start.query());
  }
  EXPECT_GE(start.elapsed_time(end), 0.0f);
  EXPECT_TRUE(end.query());
  cuda::Event untimed;
  untimed.record(s);
  EXPECT_THROW(untimed.elapsed_time(end), ValueError);
  EXPECT_THROW(start.elapsed_time(never), ValueError);
  // Events on the default stream complete at once here (it is synchronous on the simulator).
  cuda::Event on_default;
  on_default.record();
  on_default.synchronize();
  EXPECT_TRUE(on_default.query());
  cuda::Event via_stream = s.record_event();
  EXPECT_TRUE(via_stream.is_recorded());
  cuda::synchronize();  // the whole device
  EXPECT_TRUE(via_stream.query());
  EXPECT_TRUE(s.query());
}

TEST_F(CudaStreams, WaitEventAndWaitStreamOrderStreams) {
  cuda::Stream producer(0), consumer(0);
  Tensor a = zeros({256}, TensorOptions(kF32).device(kCUDA));
  {
    cuda::StreamGuard g(producer);
    a.fill_(7);
  }
  cuda::Event done = producer.record_event();
  consumer.wait_event(done);
  Tensor b;
  {
    cuda::StreamGuard g(consumer);
    a.record_stream(consumer);
    b = a + 1;
  }
  if (simulated_) {
    EXPECT_FALSE(consumer.query());  // waits for a pending event of producer
    consumer.synchronize();          // ... which therefore completed too
    EXPECT_TRUE(done.query());
  }
  EXPECT_EQ(host(b), std::vector<float>(256, 8.0f));
  cuda::Stream third(0);
  cuda::Event mark = producer.record_event();
  third.wait_stream(producer);
  if (simulated_) {
    EXPECT_FALSE(mark.query());
    third.synchronize();
    EXPECT_TRUE(mark.query());
  }
  EXPECT_NO_THROW(cuda::synchronize(0));
  EXPECT_THROW(cuda::synchronize(cuda::device_count()), DeviceError);
}

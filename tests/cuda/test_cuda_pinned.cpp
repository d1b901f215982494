// Pinned host memory (Tensor::pin_memory / is_pinned), non-blocking
// host-to-device copies, the pinned allocator keeping a buffer out of reuse
// until the async copy that reads it has completed, the DataLoader's
// pin_memory option, and build_config().
#include <gtest/gtest.h>

#include <vector>

#include "cuda_device_test.h"
#include "seek/cuda.h"
#include "seek/data.h"
#include "seek/seek.h"

using namespace seek;

namespace {

class CudaPinned : public cuda_test::CudaDeviceTest {};

Tensor ramp(int64_t n, DType dt = kF32) { return arange(0, n, 1, TensorOptions(kF64)).mul(0.5).to(dt); }
std::vector<double> values(const Tensor& t) { return to_vector<double>(t.to(kCPU).to(kF64)); }

}  // namespace

TEST_F(CudaPinned, PinMemoryCopiesIntoPinnedHostMemory) {
  Tensor h = ramp(1000).view({10, 100}).t();  // non-contiguous source
  EXPECT_FALSE(h.is_pinned());
  Tensor p = h.pin_memory();
  EXPECT_TRUE(p.is_pinned());
  EXPECT_TRUE(p.is_cpu());
  EXPECT_TRUE(p.is_contiguous());
  EXPECT_EQ(p.sizes(), h.sizes());
  EXPECT_EQ(values(p), values(h));
  EXPECT_TRUE(p.pin_memory().is_same(p));       // already pinned
  EXPECT_TRUE(p.slice(0, 10, 20).is_pinned());  // views share the pinned storage
  EXPECT_FALSE(p.clone().is_pinned());
  EXPECT_THROW(p.to(kCUDA).pin_memory(), DeviceError);
  EXPECT_FALSE(p.to(kCUDA).is_pinned());
  EXPECT_THROW(h.record_stream(cuda::current_stream()), DeviceError);  // CPU tensor
  Tensor g = ramp(4).requires_grad_();
  Tensor gp = g.pin_memory();
  gp.sum().backward();
  EXPECT_EQ(values(g.grad()), std::vector<double>(4, 1.0));
}

TEST_F(CudaPinned, NonBlockingRoundTripsForEveryDtype) {
  for (DType dt : {kF32, kF64, kF16, kBF16, kI64, kI32, DType::UInt8, kBool}) {
    Tensor h = ramp(777, dt);
    Tensor p = h.pin_memory();
    cuda::Stream s(0);
    Tensor d;
    {
      cuda::StreamGuard g(s);
      d = p.to(kCUDA, false, true);                       // queued on s, not waited for
      EXPECT_EQ(values(d), values(h)) << dtype_name(dt);  // reading it back waits for s
    }
    EXPECT_EQ(values(p.cuda(true)), values(h)) << dtype_name(dt);                    // the default stream
    EXPECT_EQ(values(h.to(kCUDA, false, true)), values(h)) << dtype_name(dt);        // pageable: a blocking copy
    EXPECT_EQ(values(p.to(kCUDA, kF64, false, true)), values(h)) << dtype_name(dt);  // with a cast
  }
}

TEST_F(CudaPinned, PinnedSourceIsNotReusedBeforeItsAsyncCopyCompletes) {
  cuda::Stream s(0);
  cuda::StreamGuard g(s);
  const int64_t n = 3001;  // its own size class (16 KiB)
  Tensor p = ramp(n).pin_memory();
  void* pp = p.storage()->data();
  Tensor d = p.to(kCUDA, false, true);
  p = Tensor();  // dies while the copy may still be reading it
  if (simulated_) {
    Tensor q = ramp(n).pin_memory();
    EXPECT_NE(q.storage()->data(), pp);  // the pending block was not handed out
  }
  s.synchronize();
  Tensor a = ramp(n).pin_memory(), b = ramp(n).pin_memory();
  EXPECT_TRUE(a.storage()->data() == pp || b.storage()->data() == pp);  // released after the copy
  EXPECT_EQ(values(d), values(ramp(n)));
}

TEST_F(CudaPinned, DataLoaderPinsBatches) {
  auto ds = std::make_shared<data::TensorDataset>(ramp(40).view({10, 4}), arange(0, 10, 1, TensorOptions(kI64)));
  for (size_t workers : {size_t(0), size_t(2)}) {
    data::DataLoaderOptions o;
    o.batch_size = 4;
    o.num_workers = workers;
    data::DataLoader plain(ds, o);
    o.pin_memory = true;
    data::DataLoader pinned(ds, o);
    std::vector<std::vector<double>> a, b;
    for (const auto& batch : plain) {
      EXPECT_FALSE(batch.data.is_pinned());
      a.push_back(values(batch.data));
      a.push_back(values(batch.target));
    }
    for (const auto& batch : pinned) {
      EXPECT_TRUE(batch.data.is_pinned());
      EXPECT_TRUE(batch.target.is_pinned());
      b.push_back(values(batch.data.to(kCUDA, false, true)));
      b.push_back(values(batch.target.to(kCUDA, false, true)));
    }
    EXPECT_EQ(a, b) << workers << " workers";
  }
}

TEST_F(CudaPinned, BuildConfigSaysWhatTheBuildHas) {
  const cuda::BuildConfig c = cuda::build_config();
  EXPECT_TRUE(c.cuda);
  EXPECT_EQ(c.device_count, cuda::device_count());
  EXPECT_NE(c.cuda_version, "none");
  const std::string info = cuda::build_info();
  EXPECT_NE(info.find("cuDNN " + c.cudnn_version), std::string::npos) << info;
  EXPECT_NE(info.find("NCCL " + c.nccl_version), std::string::npos) << info;
  if (c.simulated) {
    EXPECT_EQ(c.architectures, "simulated");
    EXPECT_EQ(c.cudnn_version, "none");  // the simulated device runs seek's own conv kernels
    EXPECT_EQ(cuda::cudnn_version(), 0);
    EXPECT_NE(info.find("simulated"), std::string::npos) << info;
  } else {
    EXPECT_NE(c.architectures, "none");
    EXPECT_EQ(c.cudnn_runtime_version == "none", cuda::cudnn_version() == 0);
  }
}

// kernels/random.cu against the CPU backend, bit for bit: every RandomOp and
// dtype, sizes spanning several blocks, strided outputs, offsets that carry into
// the counter's high word and seeds with both key words set. Uniform, bernoulli
// and randint must match the CPU's bytes exactly on any device; normal too on the
// simulated device (same libm), and to the last-bit rounding of log/cos on a GPU.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "seek/backend/backend.h"
#include "seek/cuda.h"
#include "seek/seek.h"

using namespace seek;

namespace {

class CudaRandom : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!cuda::is_available()) GTEST_SKIP() << "no CUDA GPU visible: " << cuda::build_info();
    cuda::set_device(0);
  }
  static Device gpu() { return Device(DeviceType::CUDA, 0); }
};

struct Draw {
  RandomOp op;
  double a, b;
  const char* name;
};
const Draw kDraws[] = {{RandomOp::Uniform, -2.0, 3.0, "uniform"},
                       {RandomOp::Normal, 1.0, 2.0, "normal"},
                       {RandomOp::Bernoulli, 0.3, 0.0, "bernoulli"},
                       {RandomOp::RandInt, -4.0, 7.0, "randint"}};

bool floating_draw(RandomOp op) { return op == RandomOp::Uniform || op == RandomOp::Normal; }

// The GPU draw of `shape` (a transposed view when !contiguous) and the CPU draw, both as dense CPU tensors.
std::pair<Tensor, Tensor> draw_both(const Draw& d, DType dt, const Shape& shape, bool contiguous, uint64_t seed,
                                    uint64_t offset, Device gpu) {
  Tensor dev_out;
  if (contiguous) {
    dev_out = empty(shape, TensorOptions(dt).device(gpu));
  } else {
    dev_out = empty({shape[1], shape[0]}, TensorOptions(dt).device(gpu)).transpose(0, 1);
  }
  backend(gpu).random(d.op, dev_out, seed, offset, d.a, d.b);
  Tensor cpu_out = empty(shape, TensorOptions(dt));
  backend(kCPU).random(d.op, cpu_out, seed, offset, d.a, d.b);
  return {dev_out.to(kCPU).contiguous(), cpu_out};
}

TEST_F(CudaRandom, SameBitsAsTheCpu) {
  const Shape shapes[] = {{1, 1}, {3, 5}, {17, 61}};  // 17 * 61 = 1037 elements: five blocks of 256
  const uint64_t seeds[] = {0, 1234, 0xDEADBEEF12345678ull};
  const uint64_t offsets[] = {0, 56, 0xFFFFFFFFull - 100};  // the last one carries into the counter's high word
  for (const Draw& d : kDraws) {
    for (DType dt : {kFloat64, kFloat32, kFloat16, kBFloat16, kInt64, kInt32, kUInt8}) {
      if (floating_draw(d.op) && !is_floating(dt)) continue;
      for (const Shape& shape : shapes) {
        for (bool contiguous : {true, false}) {
          for (uint64_t seed : seeds) {
            for (uint64_t offset : offsets) {
              const auto [got, want] = draw_both(d, dt, shape, contiguous, seed, offset, gpu());
              const std::string what = str(d.name, " ", dtype_name(dt), " ", shape_str(shape),
                                           contiguous ? " dense" : " transposed", " seed ", seed, " offset ", offset);
              bool exact = true;
#if !defined(SEEK_CUDA_SIM)
              exact = d.op != RandomOp::Normal;  // a GPU's logf/cosf may round differently
#endif
              if (exact) {
                EXPECT_EQ(std::memcmp(got.data_ptr(), want.data_ptr(), want.nbytes()), 0) << what;
              } else {
                const std::vector<double> g = to_vector<double>(got.to(kFloat64));
                const std::vector<double> w = to_vector<double>(want.to(kFloat64));
                const double rel = dt == kFloat64 ? 1e-13 : dt == kFloat32 ? 1e-5 : 1e-2;
                for (size_t i = 0; i < w.size(); ++i) EXPECT_NEAR(g[i], w[i], rel * (1 + std::fabs(w[i]))) << what;
              }
            }
          }
        }
      }
    }
  }
}

TEST_F(CudaRandom, FloatingDrawsRejectIntegerOutputs) {
  Tensor out = empty({4}, TensorOptions(kInt64).device(gpu()));
  EXPECT_THROW(backend(gpu()).random(RandomOp::Uniform, out, 1, 0, 0.0, 1.0), DTypeError);
  EXPECT_THROW(backend(gpu()).random(RandomOp::Normal, out, 1, 0, 0.0, 1.0), DTypeError);
}

TEST_F(CudaRandom, EmptyOutputIsANoOp) {
  Tensor out = empty({0, 3}, TensorOptions(kFloat32).device(gpu()));
  EXPECT_NO_THROW(backend(gpu()).random(RandomOp::Uniform, out, 1, 0, 0.0, 1.0));
}

TEST_F(CudaRandom, HostOutputIsRejected) {
  Tensor out = empty({4}, TensorOptions(kFloat32));
  EXPECT_THROW(backend(gpu()).random(RandomOp::Uniform, out, 1, 0, 0.0, 1.0), DeviceError);
}

}  // namespace

// The GPU-specific paths of kernels/sort.cu that the cross-backend harness
// (tests/cpp/backend/test_sort.cpp: rows of 5 to 300) does not reach: row lengths
// around the bitonic network's powers of two (1, 2, 3, 255, 256, 257, 4096) and
// the host path beyond 4096, NaN / inf / -0.0 ordering with ties, integer and bool
// dtypes, and topk with k = n. Every result must equal the CPU's stable sort bit
// for bit (values and indices).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "seek/backend/backend.h"
#include "seek/cuda.h"
#include "seek/seek.h"

using namespace seek;

namespace {

class CudaSort : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!cuda::is_available()) GTEST_SKIP() << "no CUDA GPU visible: " << cuda::build_info();
    cuda::set_device(0);
  }
  static Device gpu() { return Device(DeviceType::CUDA, 0); }
};

// Values in a small range (many ties) with NaN, +-inf and -0.0 sprinkled in.
Tensor awkward_values(int64_t rows, int64_t n, uint64_t seed, bool non_finite) {
  const double kInf = std::numeric_limits<double>::infinity(), kNaN = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> v(static_cast<size_t>(rows * n));
  uint64_t s = seed * 0x9E3779B97F4A7C15ull + 7;
  for (double& x : v) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    const int r = static_cast<int>((s >> 33) % 23);
    x = r - 11.0;
    if (non_finite && r == 0) x = kNaN;
    if (non_finite && r == 1) x = kInf;
    if (non_finite && r == 2) x = -kInf;
    if (r == 3) x = -0.0;
  }
  return tensor<double>(v, {rows, n});
}

bool same_bytes(const Tensor& a, const Tensor& b) {
  const Tensor x = a.to(kCPU).contiguous(), y = b.to(kCPU).contiguous();
  return x.sizes() == y.sizes() && std::memcmp(x.data_ptr(), y.data_ptr(), x.nbytes()) == 0;
}

void expect_sort_matches_cpu(const Tensor& host_in, bool descending, Device gpu, const std::string& what) {
  const Tensor in = host_in.to(gpu);
  Tensor v = empty(in.sizes(), TensorOptions(in.dtype()).device(gpu));
  Tensor i = empty(in.sizes(), TensorOptions(kInt64).device(gpu));
  backend(gpu).sort(in, 1, descending, /*stable=*/false, v, i);
  Tensor wv = empty(in.sizes(), TensorOptions(in.dtype())), wi = empty(in.sizes(), TensorOptions(kInt64));
  backend(kCPU).sort(host_in, 1, descending, /*stable=*/true, wv, wi);
  EXPECT_TRUE(same_bytes(v, wv)) << what << " values";
  EXPECT_TRUE(same_bytes(i, wi)) << what << " indices";
}

TEST_F(CudaSort, RowLengthsAroundPowersOfTwoAndTheHostPath) {
  for (int64_t n : {1, 2, 3, 255, 256, 257, 4096, 4097}) {
    const int64_t rows = n > 300 ? 2 : 3;
    for (bool descending : {false, true}) {
      expect_sort_matches_cpu(awkward_values(rows, n, n, true).to(kFloat32), descending, gpu(),
                              str("n=", n, descending ? " descending" : ""));
    }
  }
}

TEST_F(CudaSort, NonFiniteValuesAndEveryDtypeOrderAsOnTheCpu) {
  for (DType dt : {kFloat64, kFloat32, kFloat16, kBFloat16, kInt64, kInt32, kInt16, kUInt8, kBool}) {
    const bool floating = is_floating(dt);
    Tensor host = awkward_values(4, 77, 9, floating);
    if (dt == kUInt8) host = host.abs();
    for (bool descending : {false, true})
      expect_sort_matches_cpu(host.to(dt), descending, gpu(), str(dtype_name(dt), descending ? " descending" : ""));
  }
}

TEST_F(CudaSort, TopkOfWholeRowsAndTiesTakesTheLowerIndex) {
  const Tensor host = awkward_values(3, 50, 4, true).to(kFloat32);
  for (int64_t k : {1, 7, 50}) {
    for (bool largest : {true, false}) {
      Tensor v = empty({3, k}, TensorOptions(kFloat32).device(gpu()));
      Tensor i = empty({3, k}, TensorOptions(kInt64).device(gpu()));
      backend(gpu()).topk(host.to(gpu()), k, 1, largest, true, v, i);
      Tensor wv = empty({3, k}, TensorOptions(kFloat32)), wi = empty({3, k}, TensorOptions(kInt64));
      backend(kCPU).topk(host, k, 1, largest, true, wv, wi);
      EXPECT_TRUE(same_bytes(v, wv)) << "k=" << k << " largest " << largest;
      EXPECT_TRUE(same_bytes(i, wi)) << "k=" << k << " largest " << largest;
    }
  }
}

TEST_F(CudaSort, BadArgumentsAreRejected) {
  const Tensor in = zeros({2, 5}, TensorOptions(kFloat32).device(gpu()));
  Tensor v = empty({2, 5}, TensorOptions(kFloat32).device(gpu())),
         i = empty({2, 5}, TensorOptions(kInt64).device(gpu()));
  EXPECT_THROW(backend(gpu()).sort(in, 2, false, true, v, i), IndexError);
  EXPECT_THROW(backend(gpu()).sort(in, 1, false, true, v, empty({2, 5}, TensorOptions(kInt32).device(gpu()))),
               DTypeError);
  EXPECT_THROW(backend(gpu()).sort(in, 1, false, true, v, empty({2, 5}, TensorOptions(kInt64))), DeviceError);
  EXPECT_THROW(backend(gpu()).topk(in, 6, 1, true, true, v, i), IndexError);
}

}  // namespace

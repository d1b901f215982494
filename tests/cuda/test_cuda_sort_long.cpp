// Rows longer than the shared-memory sort takes (4096): kernels/sort.cu merge-sorts them in
// global memory on the device. Compared with the CPU's stable sort: many ties (so stability
// shows), ascending and descending, along the last dim and along dim 0 (strided rows), f32,
// bf16 and int64 keys (the LSH attention's bucket * L + position), and a length that is not a
// power of two. Also: the sort leaves no host copy behind (the values come back bit-exact).
#include <gtest/gtest.h>

#include "seek/cuda.h"
#include "seek/seek.h"

using namespace seek;

namespace {

class CudaSortLong : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!cuda::is_available()) GTEST_SKIP() << "no CUDA GPU visible: " << cuda::build_info();
    cuda::set_device(0);
  }
};

const Device kGpu(DeviceType::CUDA, 0);

void expect_same_sort(const Tensor& cpu_in, int64_t dim, bool descending) {
  auto [cv, ci] = cpu_in.sort(dim, descending, /*stable=*/true);
  auto [gv, gi] = cpu_in.to(kGpu).sort(dim, descending, /*stable=*/true);
  EXPECT_EQ(gv.device().type, DeviceType::CUDA);
  EXPECT_TRUE(equal(ci, gi.cpu())) << "indices, dim " << dim << (descending ? " descending" : "");
  EXPECT_TRUE(equal(cv, gv.cpu())) << "values, dim " << dim << (descending ? " descending" : "");
}

}  // namespace

TEST_F(CudaSortLong, MatchesTheCpuStableSortWithTies) {
  Generator g(5);
  const Tensor ties = randint(0, 40, {2, 5003}, TensorOptions(kInt64), &g);  // ~125 equal keys each
  expect_same_sort(ties.to(kFloat32), -1, false);
  expect_same_sort(ties.to(kFloat32), -1, true);
  expect_same_sort(ties.to(kBFloat16), 1, false);
  expect_same_sort(ties.t().contiguous().to(kFloat32), 0, true);  // rows along dim 0
  expect_same_sort(ties, -1, false);
}

TEST_F(CudaSortLong, LshSortKeysGiveTheCpuOrder) {
  // The keys lsh_attention sorts: bucket * L + position, unique, over [rows, L] with L > 4096.
  const int64_t L = 4500;
  Generator g(6);
  const Tensor buckets = randint(0, 16, {3, L}, TensorOptions(kInt64), &g);
  const Tensor keys = buckets * L + arange(L, TensorOptions(kInt64));
  const Tensor want = keys.argsort(-1);
  EXPECT_TRUE(equal(want, keys.to(kGpu).argsort(-1).cpu()));
}

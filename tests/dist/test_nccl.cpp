// The NCCL process group on a real GPU: run by `SEEK_TEST_DIST_BACKEND=nccl test_dist --gtest_filter=DistNccl.*`
// (alone: world size 1, or under mpirun with one GPU per rank). Skipped in the mpi runs.
#include <gtest/gtest.h>

#include <cmath>

#include "seek/cuda.h"
#include "seek/dist/process_group.h"
#include "seek/ops/creation.h"

using namespace seek;
namespace dist = seek::dist;

namespace {

bool nccl_group() { return dist::is_initialized() && dist::default_group().backend_name() == "nccl"; }

std::vector<double> host(const Tensor& t) { return to_vector<double>(t.cpu().contiguous()); }

// Rank r's tensor: (i % 5) + r + 1.
Tensor make(DType dt, int r, int64_t n) {
  return (arange(n, TensorOptions(kInt64)).remainder(5).add(r + 1)).to(dt).cuda();
}

double sum_over_ranks(int64_t i) {
  double s = 0;
  for (int r = 0; r < dist::get_world_size(); ++r) s += static_cast<double>(i % 5 + r + 1);
  return s;
}

}  // namespace

TEST(DistNccl, AllReduceDTypesAndOps) {
  if (!nccl_group()) GTEST_SKIP() << "not an NCCL group (SEEK_TEST_DIST_BACKEND=nccl on a GPU)";
  const int W = dist::get_world_size();
  for (DType dt : {kFloat32, kFloat64, kFloat16, kBFloat16, kInt64, kInt32, kInt16, kInt8, kUInt8}) {
    Tensor t = make(dt, dist::get_rank(), 37);
    dist::all_reduce(t);
    const auto got = host(t);
    for (int64_t i = 0; i < 37; ++i) ASSERT_EQ(got[i], sum_over_ranks(i)) << dtype_name(dt) << " " << i;
    Tensor a = make(dt, dist::get_rank(), 37);
    dist::all_reduce(a, dist::ReduceOp::Avg);
    const auto avg = host(a);
    for (int64_t i = 0; i < 37; ++i) {
      const double want = is_floating(dt) ? sum_over_ranks(i) / W : std::trunc(sum_over_ranks(i) / W);
      ASSERT_NEAR(avg[i], want, 1e-2 * want) << dtype_name(dt) << " avg " << i;
    }
  }
  Tensor m = make(kFloat32, dist::get_rank(), 10);
  dist::all_reduce(m, dist::ReduceOp::Max);
  EXPECT_EQ(host(m)[0], 1.0 + dist::get_world_size());
}

TEST(DistNccl, BroadcastGatherScatterAsyncAndNonContiguous) {
  if (!nccl_group()) GTEST_SKIP() << "not an NCCL group";
  const int W = dist::get_world_size(), r = dist::get_rank();
  Tensor b = make(kFloat32, r, 12).view({3, 4}).t();  // non-contiguous
  dist::broadcast(b, W - 1);
  EXPECT_EQ(host(b), host(make(kFloat32, W - 1, 12).view({3, 4}).t()));
  Tensor out = zeros({4 * W}, TensorOptions(kFloat32).device(kCUDA));
  dist::all_gather_into_tensor(out, make(kFloat32, r, 4));
  for (int k = 0; k < W; ++k) EXPECT_EQ(host(out.narrow(0, 4 * k, 4)), host(make(kFloat32, k, 4)));
  std::vector<Tensor> list;
  for (int k = 0; k < W; ++k) list.push_back(zeros({4}, TensorOptions(kFloat32).device(kCUDA)));
  dist::all_gather(list, make(kFloat32, r, 4));
  for (int k = 0; k < W; ++k) EXPECT_EQ(host(list[k]), host(make(kFloat32, k, 4)));
  Tensor rs = zeros({3}, TensorOptions(kFloat32).device(kCUDA));
  dist::reduce_scatter_tensor(rs, make(kFloat32, r, 3 * W));
  for (int64_t j = 0; j < 3; ++j) EXPECT_EQ(host(rs)[j], sum_over_ranks(3 * r + j));
  Tensor a = make(kFloat32, r, 1 << 20);
  auto work = dist::all_reduce(a, dist::ReduceOp::Sum, /*async_op=*/true);
  work->wait();
  EXPECT_TRUE(work->is_completed());
  EXPECT_EQ(host(a)[7], sum_over_ranks(7));
  dist::barrier();
  EXPECT_EQ(dist::all_gather_bytes("x").size(), static_cast<size_t>(W));
  EXPECT_THROW(
      {
        Tensor cpu = zeros({2});
        dist::all_reduce(cpu);
      },
      Error);
}

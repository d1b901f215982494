// Every collective of the default process group against values each rank can compute on its own: rank r
// contributes value(r, i), so the expected sum/avg/max/min/gather is known everywhere. Runs under mpirun -np 2
// and as a single process (world size 1), over every dtype, several sizes (0-size included), contiguous and
// non-contiguous tensors, async handles, and CUDA tensors (the simulated device) staged through the host.
#include <gtest/gtest.h>

#include <cmath>

#include "seek/cuda.h"
#include "seek/dist/process_group.h"
#include "seek/ops/creation.h"

using namespace seek;
namespace dist = seek::dist;

namespace {

const DType kAllDTypes[] = {kFloat32, kFloat64, kFloat16, kBFloat16, kInt64, kInt32, kInt16, kInt8, kUInt8, kBool};
const dist::ReduceOp kOps[] = {dist::ReduceOp::Sum, dist::ReduceOp::Avg, dist::ReduceOp::Max, dist::ReduceOp::Min};

int rank() { return dist::get_rank(); }
int world() { return dist::get_world_size(); }

// Small integers (exact in every dtype, f16/bf16 included); bool: a pattern that differs between ranks.
double value(DType dt, int r, int64_t i) {
  if (dt == kBool) return (i + r) % 3 == 0 ? 1 : 0;
  return static_cast<double>((i * 7 + r * 3) % 11 + 1);
}

Tensor make(DType dt, int r, const Shape& shape) {
  int64_t n = 1;
  for (auto s : shape) n *= s;
  std::vector<double> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = value(dt, r, i);
  return tensor(v, shape, TensorOptions(kF64)).to(dt);
}

double reduce_expected(DType dt, dist::ReduceOp op, int64_t i) {
  double acc = value(dt, 0, i);
  for (int r = 1; r < world(); ++r) {
    const double x = value(dt, r, i);
    if (dt == kBool) {
      acc = op == dist::ReduceOp::Min ? (acc != 0 && x != 0) : (acc != 0 || x != 0);
    } else if (op == dist::ReduceOp::Max) {
      acc = std::max(acc, x);
    } else if (op == dist::ReduceOp::Min) {
      acc = std::min(acc, x);
    } else {
      acc += x;
    }
  }
  if (op == dist::ReduceOp::Avg) {
    acc /= world();
    if (!is_floating(dt)) acc = std::trunc(acc);
  }
  return acc;
}

std::vector<double> values_of(const Tensor& t) { return to_vector<double>(t.cpu().contiguous()); }

const char* op_str(dist::ReduceOp op) {
  return op == dist::ReduceOp::Sum   ? "sum"
         : op == dist::ReduceOp::Avg ? "avg"
         : op == dist::ReduceOp::Max ? "max"
                                     : "min";
}

void expect_reduced(const Tensor& t, DType dt, dist::ReduceOp op, const std::string& ctx) {
  const auto got = values_of(t);
  for (size_t i = 0; i < got.size(); ++i) {
    const double want =
        Tensor(tensor(std::vector<double>{reduce_expected(dt, op, static_cast<int64_t>(i))}, {1}, TensorOptions(kF64))
                   .to(dt))
            .to(kF64)
            .item<double>();
    ASSERT_EQ(got[i], want) << ctx << " element " << i;
  }
}

}  // namespace

TEST(DistCollectives, WorldMatchesLauncher) {
  EXPECT_TRUE(dist::is_initialized());
  EXPECT_EQ(dist::default_group().backend_name(), "mpi");
  EXPECT_GE(world(), 1);
  EXPECT_LT(rank(), world());
  // Every rank has a distinct rank number: gather them.
  Tensor mine = tensor(std::vector<int64_t>{rank()}, {1}, TensorOptions(kInt64));
  Tensor all = zeros({world()}, TensorOptions(kInt64));
  dist::all_gather_into_tensor(all, mine);
  const auto got = to_vector<int64_t>(all);
  for (int r = 0; r < world(); ++r) EXPECT_EQ(got[r], r);
}

TEST(DistCollectives, AllReduceEveryDTypeOpAndSize) {
  for (DType dt : kAllDTypes) {
    for (auto op : kOps) {
      if (dt == kBool && op == dist::ReduceOp::Avg) continue;
      for (int64_t n : {0, 1, 7, 1000}) {
        Tensor t = make(dt, rank(), {n});
        dist::all_reduce(t, op);
        EXPECT_EQ(t.dtype(), dt);
        expect_reduced(t, dt, op, str(dtype_name(dt), " ", op_str(op), " n=", n));
      }
    }
  }
}

TEST(DistCollectives, AllReduceNonContiguousWritesThroughTheView) {
  for (DType dt : {kFloat32, kFloat16, kInt64}) {
    // The transpose of a [3, 5] tensor: values in logical (row-major of the view) order.
    Tensor base = make(dt, rank(), {5, 3}).t().contiguous().t();  // [5, 3], strides (1, 5)
    ASSERT_FALSE(base.is_contiguous());
    dist::all_reduce(base, dist::ReduceOp::Sum);
    expect_reduced(base, dt, dist::ReduceOp::Sum, str("transposed ", dtype_name(dt)));
    // Every other element of a row: the elements in between stay untouched.
    Tensor row = full({10}, -1.0, TensorOptions(dt));
    Tensor strided = row.narrow(0, 0, 10).view({5, 2}).select(1, 0);
    strided.copy_(make(dt, rank(), {5}));
    dist::all_reduce(strided, dist::ReduceOp::Max);
    expect_reduced(strided, dt, dist::ReduceOp::Max, "strided");
    const auto all = values_of(row);
    for (int i = 1; i < 10; i += 2) EXPECT_EQ(all[i], -1.0);
  }
}

TEST(DistCollectives, AllReduceBumpsVersionAndIgnoresRequiresGrad) {
  Tensor t = make(kFloat32, rank(), {4}).requires_grad_();
  const uint64_t v0 = t.version();
  dist::all_reduce(t);
  EXPECT_GT(t.version(), v0);
  expect_reduced(t.detach(), kFloat32, dist::ReduceOp::Sum, "requires_grad leaf");
}

TEST(DistCollectives, BroadcastEveryDTypeFromEachRoot) {
  for (int src = 0; src < world(); ++src) {
    for (DType dt : kAllDTypes) {
      for (int64_t n : {0, 3, 257}) {
        Tensor t = make(dt, rank(), {n});
        dist::broadcast(t, src);
        EXPECT_EQ(values_of(t), values_of(make(dt, src, {n}))) << dtype_name(dt) << " from " << src << " n=" << n;
      }
    }
    Tensor nc = make(kFloat64, rank(), {4, 6}).t();
    dist::broadcast(nc, src);
    EXPECT_EQ(values_of(nc), values_of(make(kFloat64, src, {4, 6}).t()));
  }
}

TEST(DistCollectives, AllGatherIntoList) {
  for (DType dt : {kFloat32, kBFloat16, kInt32, kBool}) {
    Tensor in = make(dt, rank(), {2, 3});
    std::vector<Tensor> out;
    for (int r = 0; r < world(); ++r) out.push_back(full({3, 2}, 0.0, TensorOptions(dt)).t());  // non-contiguous
    dist::all_gather(out, in);
    for (int r = 0; r < world(); ++r) EXPECT_EQ(values_of(out[r]), values_of(make(dt, r, {2, 3}))) << r;
  }
  std::vector<Tensor> empty_out(world(), zeros({0}));
  dist::all_gather(empty_out, zeros({0}));
  EXPECT_EQ(empty_out[0].numel(), 0);
}

TEST(DistCollectives, AllGatherIntoTensorConcatStackedAndInPlace) {
  Tensor in = make(kFloat32, rank(), {2, 3});
  Tensor concat = zeros({2 * world(), 3});
  dist::all_gather_into_tensor(concat, in);
  Tensor stacked = zeros({world(), 2, 3});
  dist::all_gather_into_tensor(stacked, in);
  for (int r = 0; r < world(); ++r) {
    EXPECT_EQ(values_of(concat.narrow(0, 2 * r, 2)), values_of(make(kFloat32, r, {2, 3})));
    EXPECT_EQ(values_of(stacked.select(0, r)), values_of(make(kFloat32, r, {2, 3})));
  }
  // ZeRO's pattern: the input is this rank's slot of the output.
  Tensor flat = zeros({4 * world()}, TensorOptions(kFloat64));
  flat.narrow(0, 4 * rank(), 4).copy_(make(kFloat64, rank(), {4}));
  Tensor slot = flat.narrow(0, 4 * rank(), 4);
  dist::all_gather_into_tensor(flat, slot);
  for (int r = 0; r < world(); ++r) EXPECT_EQ(values_of(flat.narrow(0, 4 * r, 4)), values_of(make(kFloat64, r, {4})));
  // A 0-dim input gathers into [world].
  Tensor scalar = make(kInt64, rank(), {1}).reshape({});
  Tensor gathered = zeros({world()}, TensorOptions(kInt64));
  dist::all_gather_into_tensor(gathered, scalar);
  for (int r = 0; r < world(); ++r) EXPECT_EQ(values_of(gathered)[r], value(kInt64, r, 0));
}

TEST(DistCollectives, ReduceScatterTensor) {
  for (DType dt : {kFloat32, kFloat16, kInt64}) {
    for (auto op : kOps) {
      // Row block b of the input holds value(rank, b * 3 + j): rank r gets block r reduced over ranks.
      Tensor in = make(dt, rank(), {3 * world()});
      Tensor out = zeros({3}, TensorOptions(dt));
      dist::reduce_scatter_tensor(out, in, op);
      const auto got = values_of(out);
      for (int j = 0; j < 3; ++j) {
        const double want = reduce_expected(dt, op, 3 * rank() + j);
        EXPECT_EQ(got[j], want) << dtype_name(dt) << " " << op_str(op) << " " << j;
      }
    }
  }
  Tensor stacked_in = make(kFloat64, rank(), {world(), 2, 2});
  Tensor out = zeros({2, 2}, TensorOptions(kFloat64)).t();  // non-contiguous output
  dist::reduce_scatter_tensor(out, stacked_in);
  const auto got = values_of(out);  // in the logical order of the non-contiguous view
  for (int j = 0; j < 4; ++j) EXPECT_EQ(got[j], reduce_expected(kFloat64, dist::ReduceOp::Sum, 4 * rank() + j));
}

TEST(DistCollectives, AsyncHandlesCompleteOutOfOrderWaits) {
  std::vector<Tensor> ts;
  std::vector<dist::WorkPtr> works;
  for (int k = 0; k < 4; ++k) {
    ts.push_back(make(kFloat32, rank(), {100 + k}));
    works.push_back(dist::all_reduce(ts.back(), dist::ReduceOp::Sum, /*async_op=*/true));
    ASSERT_NE(works.back(), nullptr);
  }
  for (int k = 3; k >= 0; --k) {
    works[k]->wait();
    EXPECT_TRUE(works[k]->is_completed());
    works[k]->wait();  // a second wait returns at once
    expect_reduced(ts[k], kFloat32, dist::ReduceOp::Sum, str("async ", k));
  }
  Tensor b = make(kInt32, rank(), {5});
  auto w = dist::broadcast(b, 0, true);
  w->wait();
  EXPECT_EQ(values_of(b), values_of(make(kInt32, 0, {5})));
  auto sync = dist::all_reduce(b);  // a synchronous call has completed already
  EXPECT_TRUE(sync->is_completed());
}

TEST(DistCollectives, BytesCollectives) {
  const std::string mine = rank() == 0 ? std::string() : std::string(static_cast<size_t>(rank() * 1000), 'a' + rank());
  const auto all = dist::default_group().all_gather_bytes(mine);
  ASSERT_EQ(static_cast<int>(all.size()), world());
  for (int r = 0; r < world(); ++r)
    EXPECT_EQ(all[r], r == 0 ? std::string() : std::string(static_cast<size_t>(r * 1000), 'a' + r));
  const std::string root = world() - 1 == rank() ? std::string("from the last rank\0 with a zero", 31) : "x";
  EXPECT_EQ(dist::default_group().broadcast_bytes(root, world() - 1),
            std::string("from the last rank\0 with a zero", 31));
  dist::barrier();
}

TEST(DistCollectives, CudaTensorsStagedThroughTheHost) {
  if (!cuda::is_available()) GTEST_SKIP() << "no CUDA device (real or simulated)";
  for (DType dt : {kFloat32, kFloat16, kInt64}) {
    Tensor t = make(dt, rank(), {33}).cuda();
    dist::all_reduce(t, dist::ReduceOp::Avg);
    EXPECT_TRUE(t.is_cuda());
    expect_reduced(t, dt, dist::ReduceOp::Avg, str("cuda ", dtype_name(dt)));
  }
  Tensor b = make(kFloat32, rank(), {4, 4}).cuda().t();
  dist::broadcast(b, 0);
  EXPECT_EQ(values_of(b), values_of(make(kFloat32, 0, {4, 4}).t()));
  Tensor in = make(kFloat32, rank(), {3}).cuda();
  Tensor out = zeros({3 * world()}, TensorOptions(kFloat32).device(kCUDA));
  auto w = dist::all_gather_into_tensor(out, in, /*async_op=*/true);
  w->wait();
  for (int r = 0; r < world(); ++r) EXPECT_EQ(values_of(out.narrow(0, 3 * r, 3)), values_of(make(kFloat32, r, {3})));
  Tensor rs = zeros({3}, TensorOptions(kFloat32).device(kCUDA));
  dist::reduce_scatter_tensor(rs, make(kFloat32, rank(), {3 * world()}).cuda());
  for (int j = 0; j < 3; ++j)
    EXPECT_EQ(values_of(rs)[j], reduce_expected(kFloat32, dist::ReduceOp::Sum, 3 * rank() + j));
}

TEST(DistCollectives, PlainValueHelpers) {
  EXPECT_EQ(dist::all_reduce_value(rank() + 0.5), world() * (world() - 1) / 2.0 + 0.5 * world());
  const auto v = dist::all_reduce_values({1.0, static_cast<double>(rank())}, dist::ReduceOp::Max);
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0], 1.0);
  EXPECT_EQ(v[1], world() - 1.0);
  EXPECT_EQ(dist::all_reduce_values({}, dist::ReduceOp::Sum).size(), 0u);
  const auto all = dist::all_gather_bytes(std::to_string(rank()));
  for (int r = 0; r < world(); ++r) EXPECT_EQ(all[r], std::to_string(r));
  EXPECT_EQ(dist::broadcast_bytes(rank() == 0 ? "zero" : "other", 0), "zero");
}

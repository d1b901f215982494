// The GPU-specific paths of kernels/reduce.cu (reduce, arg_reduce, cumsum) that the
// cross-backend harness (tests/cpp/backend/test_reduce.cpp, small float shapes) does not
// reach: runs long enough that several blocks split them and a second kernel combines the
// partials (the plan is checked to split, then the results against the CPU backend),
// bitwise repeatability (twice, and under every simulator schedule), sizes around the
// warp and block widths, integer and bool dtypes, empty reductions and bad arguments.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "kernels/reduce_plan.cuh"
#include "seek/cuda.h"
#include "seek/seek.h"
#if defined(SEEK_CUDA_SIM)
#include "kernels/sim/sim.h"
#endif

using namespace seek;

namespace {

class CudaReduce : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!cuda::is_available()) GTEST_SKIP() << "no CUDA GPU visible: " << cuda::build_info();
    cuda::set_device(0);
  }
};

// Deterministic values in [lo, hi) as f64 on the CPU (an LCG: no dependence on seek's RNG).
Tensor uniform(const Shape& shape, double lo, double hi, uint64_t seed) {
  std::vector<double> v(static_cast<size_t>(shape_numel(shape)));
  uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
  for (double& x : v) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    x = lo + (hi - lo) * static_cast<double>(s >> 11) / 9007199254740992.0;
  }
  return tensor<double>(v, shape);
}
// Small integers in [lo, hi] (ties for arg-reductions, exact sums).
Tensor small_ints(const Shape& shape, int64_t lo, int64_t hi, uint64_t seed) {
  Tensor u = uniform(shape, 0, 1, seed);
  std::vector<double> v = to_vector<double>(u);
  for (double& x : v) x = static_cast<double>(lo + static_cast<int64_t>(x * static_cast<double>(hi - lo + 1)));
  return tensor<double>(v, shape);
}

std::vector<double> host_values(const Tensor& t) { return to_vector<double>(t.to(kCPU).to(kF64).contiguous()); }

Shape keepdim(Shape s, const std::vector<int64_t>& dims) {
  for (int64_t d : dims) s[d] = 1;
  return s;
}

// got against want elementwise: NaN where want is NaN, equal infinities, else within atol + rtol * |want|.
void expect_close(const std::vector<double>& got, const std::vector<double>& want, double rtol, double atol,
                  const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(want[i])) {
      ASSERT_TRUE(std::isnan(got[i])) << what << " element " << i << ": got " << got[i] << ", want NaN";
    } else if (std::isinf(want[i])) {
      ASSERT_EQ(got[i], want[i]) << what << " element " << i;
    } else {
      ASSERT_NEAR(got[i], want[i], atol + rtol * std::abs(want[i])) << what << " element " << i;
    }
  }
}

// op over dims of `in` (any dtype and layout, on the GPU) against the CPU backend on in's values in f64.
void check_reduce(ReduceOp op, const Tensor& in, const std::vector<int64_t>& dims, double rtol, const std::string& what,
                  ReduceParams p = {}) {
  const DType out_dt = reduce_op_kind(op) == ReduceKind::Bool ? kBool : in.dtype();
  Tensor out = empty(keepdim(in.sizes(), dims), TensorOptions(out_dt).device(kCUDA));
  backend(kCUDA).reduce(op, in, dims, out, p);
  const Tensor in64 = in.to(kCPU).to(kF64);
  Tensor want = empty(out.sizes(), TensorOptions(out_dt == kBool ? kBool : kF64));
  backend(kCPU).reduce(op, in64, dims, want, p);
  const double n = static_cast<double>(in.numel() / std::max<int64_t>(out.numel(), 1));
  // Sums of terms of both signs: relative to the size of the terms, not of the result.
  const double atol = (op == ReduceOp::Sum    ? 3.0 * std::sqrt(n)
                       : op == ReduceOp::Mean ? 3.0 / std::sqrt(n)
                                              : 0.0) *
                      rtol;
  expect_close(host_values(out), host_values(want), rtol, atol, what);
}

// Whether the reduction of `in` over dims splits each run across several blocks.
int64_t splits_of(const Tensor& in, const std::vector<int64_t>& dims) {
  Tensor out = empty(keepdim(in.sizes(), dims), TensorOptions(in.dtype()).device(in.device()));
  return cuda::plan_reduction(cuda::make_reduce_geometry(in, dims, out, false, "test")).splits;
}

Tensor bytes_of(const Tensor& t) { return t.to(kCPU).contiguous(); }
bool same_bits(const Tensor& a, const Tensor& b) {
  const Tensor x = bytes_of(a), y = bytes_of(b);
  return x.nbytes() == y.nbytes() && std::memcmp(x.data_ptr(), y.data_ptr(), x.nbytes()) == 0;
}

}  // namespace

TEST(ReducePlan, LongRunsAreSplitAcrossBlocksAndShortOnesAreNot) {
  // Contiguous runs (inner layout, 512 lanes each).
  const Tensor rows = empty({2, 70000}, kF32);
  const cuda::ReducePlan inner =
      cuda::plan_reduction(cuda::make_reduce_geometry(rows, {1}, empty({2, 1}, kF32), false, "test"));
  EXPECT_TRUE(inner.inner);
  EXPECT_EQ(inner.lanes, 512u);
  EXPECT_GT(inner.splits, 1);
  EXPECT_GE(inner.splits * inner.chunk, 70000);
  EXPECT_LT((inner.splits - 1) * inner.chunk, 70000);  // no empty split
  // Strided runs (outer layout: adjacent outputs on adjacent threads).
  const cuda::ReducePlan outer =
      cuda::plan_reduction(cuda::make_reduce_geometry(empty({5000, 3}, kF32), {0}, empty({1, 3}, kF32), false, "t"));
  EXPECT_FALSE(outer.inner);
  EXPECT_EQ(outer.outs, 4u);
  EXPECT_GT(outer.splits, 1);
  // Short strided runs: more adjacent outputs per block instead of idle lanes.
  const cuda::ReducePlan wide =
      cuda::plan_reduction(cuda::make_reduce_geometry(empty({2, 9000}, kF32), {0}, empty({1, 9000}, kF32), false, "t"));
  EXPECT_FALSE(wide.inner);
  EXPECT_EQ(wide.lanes, 2u);
  EXPECT_EQ(wide.outs, 128u);
  EXPECT_EQ(wide.splits, 1);
  // Many short runs fill the GPU without splitting.
  const cuda::ReducePlan many = cuda::plan_reduction(
      cuda::make_reduce_geometry(empty({3000, 33}, kF32), {1}, empty({3000, 1}, kF32), false, "t"));
  EXPECT_EQ(many.splits, 1);
  EXPECT_EQ(many.lanes, 64u);
  EXPECT_EQ(many.outs, 4u);
}

TEST(ReducePlan, GeometryMergesDimsAndFindsTheInnermost) {
  // [4, 5, 6] over {1, 2}: one merged reduced run of 30, 4 outputs.
  const Tensor t = empty({4, 5, 6}, kF32);
  cuda::ReduceGeometry g = cuda::make_reduce_geometry(t, {1, 2}, empty({4, 1, 1}, kF32), false, "t");
  EXPECT_EQ(g.rd, 1);
  EXPECT_EQ(g.rsize[0], 30);
  EXPECT_EQ(g.M, 4);
  EXPECT_TRUE(g.inner());
  // A transposed view reduced over its last dim reads strided: the kept dim is innermost.
  const Tensor tt = empty({6, 5}, kF32).transpose(0, 1);  // [5, 6], strides (1, 5)
  g = cuda::make_reduce_geometry(tt, {1}, empty({5, 1}, kF32), false, "t");
  EXPECT_FALSE(g.inner());
  EXPECT_EQ(g.rin[0], 5);
  for (int64_t m = 0; m < 5; ++m) {
    int64_t in_off, out_off;
    g.kept_offsets(m, in_off, out_off);
    EXPECT_EQ(in_off, m);
    EXPECT_EQ(out_off, m);
  }
}

TEST_F(CudaReduce, SplitRunsMatchTheCpu) {
  struct Case {
    Shape shape;
    std::vector<int64_t> dims;
  };
  const Case cases[] = {{{2, 70001}, {1}}, {{5001, 3}, {0}}, {{100003}, {0}}, {{3, 40000}, {0, 1}}};
  uint64_t seed = 1;
  for (const Case& c : cases) {
    const Tensor v = uniform(c.shape, -3, 3, ++seed).to(kCUDA);
    ASSERT_GT(splits_of(v.to(kF32), c.dims), 1) << shape_str(c.shape);
    const std::string where = str(" over ", c.dims.size(), " dims of ", shape_str(c.shape));
    for (ReduceOp op : {ReduceOp::Sum, ReduceOp::Mean, ReduceOp::Var, ReduceOp::Std, ReduceOp::Max, ReduceOp::Min,
                        ReduceOp::MaxAbs, ReduceOp::LogSumExp, ReduceOp::Norm, ReduceOp::SumSquares}) {
      check_reduce(op, v.to(kF32), c.dims, 1e-5, str(reduce_op_name(op), " f32", where));
      check_reduce(op, v, c.dims, 1e-12, str(reduce_op_name(op), " f64", where));
    }
    check_reduce(ReduceOp::Sum, v.to(kBF16), c.dims, 1e-2, "sum bf16" + where);
    check_reduce(ReduceOp::Norm, v.to(kF16), c.dims, 1e-3, "norm p=3 f16" + where, {3.0, 1.0});
    check_reduce(ReduceOp::Prod, (uniform(c.shape, 0.9999, 1.0001, ++seed)).to(kCUDA), c.dims, 1e-12, "prod" + where);
    // Ties everywhere: the first index must win across lanes and splits.
    const Tensor ties = small_ints(c.shape, -3, 3, ++seed).to(kCUDA, kI32);
    for (bool is_max : {true, false}) {
      const int64_t dim = c.dims[0];
      if (c.dims.size() > 1) continue;
      Tensor values = empty(keepdim(c.shape, {dim}), TensorOptions(kI32).device(kCUDA));
      Tensor idx = empty(values.sizes(), TensorOptions(kI64).device(kCUDA));
      backend(kCUDA).arg_reduce(is_max, ties, dim, values, idx);
      Tensor want_v = empty(values.sizes(), TensorOptions(kI32)), want_i = empty(values.sizes(), TensorOptions(kI64));
      backend(kCPU).arg_reduce(is_max, ties.to(kCPU), dim, want_v, want_i);
      EXPECT_EQ(host_values(values), host_values(want_v)) << "arg values" << where;
      EXPECT_EQ(host_values(idx), host_values(want_i)) << (is_max ? "argmax" : "argmin") << where;
    }
  }
}

TEST_F(CudaReduce, ResultsAreBitwiseRepeatable) {
  const Tensor rows = uniform({3, 70001}, -3, 3, 11).to(kCUDA, kF32);
  const Tensor cols = uniform({7001, 5}, -3, 3, 12).to(kCUDA, kF32);
  ASSERT_GT(splits_of(rows, {1}), 1);
  ASSERT_GT(splits_of(cols, {0}), 1);
  auto run = [&](ReduceOp op, const Tensor& in, int64_t dim) {
    Tensor out = empty(keepdim(in.sizes(), {dim}), TensorOptions(kF32).device(kCUDA));
    backend(kCUDA).reduce(op, in, {dim}, out, {});
    return out;
  };
  for (ReduceOp op : {ReduceOp::Sum, ReduceOp::Var, ReduceOp::LogSumExp}) {
    for (const auto& [in, dim] : {std::pair{rows, int64_t(1)}, std::pair{cols, int64_t(0)}}) {
      const Tensor first = run(op, in, dim);
      EXPECT_TRUE(same_bits(first, run(op, in, dim))) << reduce_op_name(op) << " twice";
#if defined(SEEK_CUDA_SIM)
      // Nor may the order in which the simulator runs threads change a bit.
      const sim::Schedule saved = sim::schedule();
      for (const char* s : {"reverse", "random:5", "random:6"}) {
        sim::set_schedule(sim::parse_schedule(s));
        EXPECT_TRUE(same_bits(first, run(op, in, dim))) << reduce_op_name(op) << " under schedule " << s;
      }
      sim::set_schedule(saved);
#endif
    }
  }
}

TEST_F(CudaReduce, SizesAroundWarpAndBlockWidths) {
  uint64_t seed = 100;
  for (int64_t n : {1, 2, 31, 33, 63, 257, 511, 513, 1025, 2049}) {
    for (bool strided : {false, true}) {
      // strided: the run is dim 0 of a [n, 3] tensor (outer layout), else dim 1 of [3, n].
      const Shape shape = strided ? Shape{n, 3} : Shape{3, n};
      const std::vector<int64_t> dims{strided ? 0 : 1};
      const Tensor v = uniform(shape, -3, 3, ++seed).to(kCUDA);
      const std::string what = str(" n=", n, strided ? " strided" : " contiguous");
      check_reduce(ReduceOp::Sum, v, dims, 1e-12, "sum f64" + what);
      check_reduce(ReduceOp::Var, v.to(kF32), dims, 1e-5, "var f32" + what);
      check_reduce(ReduceOp::Max, v.to(kF16), dims, 0, "max f16" + what);
      // n outputs of short strided runs (2 or 3 long), many outputs per block.
      check_reduce(ReduceOp::Mean, v, {strided ? 1 : 0}, 1e-12, "mean of short runs" + what);
      // The same values stored transposed take the other layout.
      const Tensor t = v.to(kF32).transpose(0, 1).contiguous().transpose(0, 1);
      check_reduce(ReduceOp::LogSumExp, t, dims, 1e-5, "logsumexp transposed" + what);
    }
  }
}

TEST_F(CudaReduce, IntegerAndBoolDtypesFollowTheCpu) {
  const Shape shape{7, 45};
  uint64_t seed = 200;
  for (int64_t dim : {0, 1}) {
    for (DType dt : {kI32, kI64, DType::Int16, DType::Int8, DType::UInt8, kBool}) {
      const Tensor cpu_in = small_ints(shape, dt == kBool ? 0 : (dt == DType::UInt8 ? 0 : -2), 2, ++seed).to(dt);
      const Tensor in = cpu_in.to(kCUDA);
      for (ReduceOp op : {ReduceOp::Sum, ReduceOp::Prod, ReduceOp::Max, ReduceOp::Min, ReduceOp::All, ReduceOp::Any}) {
        const ReduceKind kind = reduce_op_kind(op);
        const DType out_dt = kind == ReduceKind::Bool ? kBool : kind == ReduceKind::Sum ? kI64 : dt;
        Tensor out = empty(keepdim(shape, {dim}), TensorOptions(out_dt).device(kCUDA));
        Tensor want = empty(out.sizes(), TensorOptions(out_dt));
        backend(kCUDA).reduce(op, in, {dim}, out, {});
        backend(kCPU).reduce(op, cpu_in, {dim}, want, {});
        EXPECT_EQ(host_values(out), host_values(want)) << reduce_op_name(op) << " " << dtype_name(dt) << " dim " << dim;
      }
      Tensor v = empty(keepdim(shape, {dim}), TensorOptions(dt).device(kCUDA));
      Tensor i = empty(v.sizes(), TensorOptions(kI64).device(kCUDA));
      Tensor wv = empty(v.sizes(), TensorOptions(dt)), wi = empty(v.sizes(), TensorOptions(kI64));
      backend(kCUDA).arg_reduce(true, in, dim, v, i);
      backend(kCPU).arg_reduce(true, cpu_in, dim, wv, wi);
      EXPECT_EQ(host_values(i), host_values(wi)) << "argmax " << dtype_name(dt) << " dim " << dim;
      Tensor cs = empty(shape, TensorOptions(kI64).device(kCUDA)), wcs = empty(shape, TensorOptions(kI64));
      backend(kCUDA).cumsum(in, dim, cs);
      backend(kCPU).cumsum(cpu_in, dim, wcs);
      EXPECT_EQ(host_values(cs), host_values(wcs)) << "cumsum " << dtype_name(dt) << " dim " << dim;
    }
  }
  // The floating-only rows reject integers; outputs of the wrong dtype are rejected.
  const Tensor ints = small_ints({4, 5}, 0, 3, 1).to(kCUDA, kI32);
  Tensor f = empty({4, 1}, TensorOptions(kF32).device(kCUDA));
  EXPECT_THROW(backend(kCUDA).reduce(ReduceOp::Var, ints, {1}, f, {}), DTypeError);
  EXPECT_THROW(backend(kCUDA).reduce(ReduceOp::Sum, ints, {1}, f, {}), DTypeError);
  EXPECT_THROW(backend(kCUDA).reduce(ReduceOp::Sum, ints, {1}, empty({4, 5}, TensorOptions(kI64).device(kCUDA)), {}),
               ShapeError);
  EXPECT_THROW(backend(kCUDA).reduce(ReduceOp::Sum, ints, {1}, empty({4, 1}, TensorOptions(kI64)), {}), DeviceError);
}

TEST_F(CudaReduce, EmptyRunsAndScalars) {
  const Tensor e = empty({3, 0, 2}, TensorOptions(kF32).device(kCUDA));
  auto reduce1 = [&](ReduceOp op, DType out_dt) {
    Tensor out = empty({3, 1, 2}, TensorOptions(out_dt).device(kCUDA));
    backend(kCUDA).reduce(op, e, {1}, out, {});
    return host_values(out);
  };
  EXPECT_EQ(reduce1(ReduceOp::Sum, kF32), std::vector<double>(6, 0.0));
  EXPECT_EQ(reduce1(ReduceOp::Prod, kF32), std::vector<double>(6, 1.0));
  EXPECT_EQ(reduce1(ReduceOp::All, kBool), std::vector<double>(6, 1.0));
  EXPECT_EQ(reduce1(ReduceOp::Max, kF32), std::vector<double>(6, -INFINITY));
  for (double x : reduce1(ReduceOp::Mean, kF32)) EXPECT_TRUE(std::isnan(x));
  Tensor v = empty({3, 1, 2}, TensorOptions(kF32).device(kCUDA)),
         i = empty({3, 1, 2}, TensorOptions(kI64).device(kCUDA));
  EXPECT_THROW(backend(kCUDA).arg_reduce(true, e, 1, v, i), ValueError);
  // A 0-d tensor reduces over no dims; its cumsum is itself.
  const Tensor s = scalar_tensor(2.5, TensorOptions(kF32)).to(kCUDA);
  Tensor out = empty({}, TensorOptions(kF32).device(kCUDA));
  backend(kCUDA).reduce(ReduceOp::Sum, s, {}, out, {});
  EXPECT_EQ(host_values(out), std::vector<double>{2.5});
  backend(kCUDA).cumsum(s, 0, out);
  EXPECT_EQ(host_values(out), std::vector<double>{2.5});
  // Every dim reduced into a single value; the public API on CUDA tensors too.
  const Tensor x = uniform({4, 9, 5}, -1, 1, 7);
  EXPECT_NEAR(sum(x.to(kCUDA)).to(kCPU).item<double>(), sum(x).item<double>(), 1e-12);
  EXPECT_EQ(host_values(argmax(x.to(kCUDA), 1)), host_values(argmax(x, 1)));
}

TEST_F(CudaReduce, CumsumLongAndStridedLines) {
  uint64_t seed = 300;
  // {2, 20001} along 1: lines long enough to be split into chunks scanned by blocks of their own.
  for (const Shape& shape : {Shape{3, 1000}, Shape{1000, 3}, Shape{2, 33}, Shape{33, 1}, Shape{2, 20001}}) {
    for (int64_t dim : {0, 1}) {
      const Tensor v = uniform(shape, -1, 1, ++seed);
      for (bool transposed : {false, true}) {
        // transposed: the same values through a transposed view of a [s1, s0] buffer.
        const Tensor in = transposed ? v.transpose(0, 1).contiguous().to(kCUDA).transpose(0, 1) : v.to(kCUDA);
        for (DType dt : {kF64, kF32}) {
          const Tensor x = dt == kF64 ? in : in.to(kF32);
          Tensor out = empty(shape, TensorOptions(dt).device(kCUDA));
          backend(kCUDA).cumsum(x, dim, out);
          Tensor want = empty(shape, TensorOptions(kF64));
          backend(kCPU).cumsum(x.to(kCPU).to(kF64), dim, want);
          const double tol = dt == kF64 ? 1e-12 : 1e-5 * std::sqrt(static_cast<double>(shape[dim]));
          expect_close(host_values(out), host_values(want), tol, tol,
                       str("cumsum ", dtype_name(dt), " along ", dim, " of ", shape_str(shape),
                           transposed ? " transposed" : ""));
        }
      }
    }
  }
}

TEST_F(CudaReduce, CumsumOfLongLinesInChunks) {
  // Integers: exact, whatever the chunking. A stepped 1-D view and a contiguous [2, n].
  const Tensor ints = small_ints({2, 30001}, -5, 5, 400);
  Tensor out = empty({2, 30001}, TensorOptions(kI64).device(kCUDA)), want = empty({2, 30001}, TensorOptions(kI64));
  backend(kCUDA).cumsum(ints.to(kCUDA, kI32), 1, out);
  backend(kCPU).cumsum(ints.to(kI32), 1, want);
  EXPECT_EQ(host_values(out), host_values(want));
  const Tensor stepped = small_ints({40000}, -5, 5, 401).to(kCUDA, kI64).slice(0, 1, 40000, 2);  // 20000 elements
  Tensor out1 = empty({20000}, TensorOptions(kI64).device(kCUDA)), want1 = empty({20000}, TensorOptions(kI64));
  backend(kCUDA).cumsum(stepped, 0, out1);
  backend(kCPU).cumsum(stepped.to(kCPU), 0, want1);
  EXPECT_EQ(host_values(out1), host_values(want1));
  // Floats: the same bits on every run.
  const Tensor f = uniform({1, 50000}, -1, 1, 402).to(kCUDA, kF32);
  Tensor a = empty({1, 50000}, TensorOptions(kF32).device(kCUDA)),
         b = empty({1, 50000}, TensorOptions(kF32).device(kCUDA));
  backend(kCUDA).cumsum(f, 1, a);
  backend(kCUDA).cumsum(f, 1, b);
  EXPECT_TRUE(same_bits(a, b));
}

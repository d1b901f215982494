// The index math the CUDA kernels use (kernels/common.cuh), checked on the
// host: StridedLayout is SEEK_HOST_DEVICE and make_layout runs on the host, so
// these tests need no GPU. For every element, the offsets a kernel would
// compute must equal the ones the tensors' own sizes and strides give.
#include <gtest/gtest.h>

#include "kernels/common.cuh"
#include "seek/seek.h"

using namespace seek;
using cuda::StridedLayout;

namespace {
// Element offset (in elements, from data_ptr) of row-major index i of t.
int64_t offset_of(const Tensor& t, int64_t i) {
  int64_t off = 0;
  for (int64_t d = t.dim() - 1; d >= 0; --d) {
    off += (i % t.size(d)) * t.stride(d);
    i /= t.size(d);
  }
  return off;
}

void expect_offsets(const Tensor& out, const Tensor& in) {
  StridedLayout<2> l = cuda::make_layout<2>({&out, &in}, "test");
  ASSERT_EQ(l.numel, out.numel());
  for (int64_t i = 0; i < l.numel; ++i) {
    auto off = l.offsets(i);
    ASSERT_EQ(off[0], offset_of(out, i)) << "out, element " << i;
    ASSERT_EQ(off[1], offset_of(in, i)) << "in, element " << i;
    if (l.contiguous) ASSERT_EQ(off[0], i);
  }
}
}  // namespace

TEST(CudaLayout, DenseOperandsCollapseToOneLinearDim) {
  Tensor a = empty({4, 5, 6}, kF32), b = empty({4, 5, 6}, kF16);
  StridedLayout<2> l = cuda::make_layout<2>({&a, &b}, "test");
  EXPECT_EQ(l.ndim, 1);
  EXPECT_TRUE(l.contiguous);
  EXPECT_EQ(l.numel, 120);
  expect_offsets(a, b);
}

TEST(CudaLayout, ScalarsAndSizeOneDims) {
  Tensor s = empty({}, kF64), t = empty({}, kI32);
  StridedLayout<2> l = cuda::make_layout<2>({&s, &t}, "test");
  EXPECT_EQ(l.ndim, 0);
  EXPECT_EQ(l.numel, 1);
  EXPECT_TRUE(l.contiguous);
  EXPECT_EQ(l.offsets(0)[0], 0);
  Tensor a = empty({1, 7, 1}, kF32), b = empty({7, 1, 1}, kF32).permute({1, 0, 2});
  l = cuda::make_layout<2>({&a, &b}, "test");
  EXPECT_EQ(l.ndim, 1);
  expect_offsets(a, b);
}

TEST(CudaLayout, TransposesPermutesSlicesAndBroadcasts) {
  Tensor base = empty({4, 6, 5}, kF32);
  Tensor dense = empty({5, 4, 6}, kF32);
  expect_offsets(dense, base.permute({2, 0, 1}));
  expect_offsets(empty({5, 6, 4}, kF32), base.transpose(0, 2));
  Tensor sl = base.select(2, 3).slice(1, 1, 6, 2);  // offset and step
  expect_offsets(empty(sl.sizes(), kF32), sl);
  expect_offsets(sl, empty(sl.sizes(), kF32));  // strided destination
  Tensor row = empty({5}, kF32);
  Tensor bc = row.expand({3, 4, 5});  // stride 0
  StridedLayout<2> l = cuda::make_layout<2>({&dense, &bc}, "test");
  EXPECT_FALSE(l.contiguous);
  expect_offsets(empty({3, 4, 5}, kF32), bc);
  // Both operands strided the same way merge as far as they can.
  Tensor t1 = base.transpose(0, 1), t2 = empty({4, 6, 5}, kF64).transpose(0, 1);
  l = cuda::make_layout<2>({&t1, &t2}, "test");
  EXPECT_EQ(l.ndim, 3);
  expect_offsets(t1, t2);
}

TEST(CudaLayout, OneOperandLayoutForFill) {
  Tensor col = empty({4, 5}, kI64).select(1, 2);
  StridedLayout<1> l = cuda::make_layout<1>({&col}, "fill");
  EXPECT_EQ(l.ndim, 1);
  EXPECT_FALSE(l.contiguous);
  for (int64_t i = 0; i < 4; ++i) EXPECT_EQ(l.offsets(i)[0], i * 5);
}

TEST(CudaLayout, TooManyUnmergeableDimsIsAShapeError) {
  Shape shape(cuda::kMaxDims + 1, 2);
  std::vector<int64_t> reversed;
  for (int64_t d = cuda::kMaxDims; d >= 0; --d) reversed.push_back(d);
  Tensor src = empty(shape, DType::UInt8).permute(reversed);
  Tensor dst = empty(src.sizes(), DType::UInt8);
  try {
    (void)cuda::make_layout<2>({&dst, &src}, "copy");
    FAIL() << "17 unmergeable dims did not throw";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("copy: CUDA kernels index at most 16 dims"), std::string::npos) << e.what();
  }
  // 17 dims that merge are fine.
  Tensor d2 = empty(shape, DType::UInt8);
  EXPECT_EQ(cuda::make_layout<2>({&dst, &d2}, "copy").ndim, 1);
}

TEST(CudaLayout, GridSizeCoversSmallAndCapsLarge) {
  EXPECT_EQ(cuda::grid_size(1), 1u);
  EXPECT_EQ(cuda::grid_size(0), 1u);
  EXPECT_EQ(cuda::grid_size(257), 2u);
  EXPECT_EQ(cuda::grid_size(int64_t(1) << 40), 65536u);
}

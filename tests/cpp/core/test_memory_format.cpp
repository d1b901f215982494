// Memory formats: the stride arithmetic and the Tensor methods (to / contiguous / clone / *_like with a
// memory_format), against strides that PyTorch 1.13 gives for the same calls (noted beside each expectation;
// tests/python/ref/gen_memory_format.py checks many more against torch itself).
#include <gtest/gtest.h>

#include "seek/seek.h"

using namespace seek;
using Strides = std::vector<int64_t>;

namespace {
Tensor iota(const Shape& shape) { return arange(shape_numel(shape), kFloat32).reshape(shape); }
}  // namespace

TEST(MemoryFormat, StridesOfEachFormat) {
  EXPECT_EQ(memory_format_strides({2, 3, 4, 5}, MemoryFormat::ChannelsLast, "t"), (Strides{60, 1, 15, 3}));
  EXPECT_EQ(memory_format_strides({2, 3, 4, 5, 6}, MemoryFormat::ChannelsLast3d, "t"), (Strides{360, 1, 90, 18, 3}));
  EXPECT_EQ(memory_format_strides({2, 3, 4, 5}, MemoryFormat::Contiguous, "t"), (Strides{60, 20, 5, 1}));
  EXPECT_THROW(memory_format_strides({2, 3, 4}, MemoryFormat::ChannelsLast, "t"), Error);
  EXPECT_THROW(memory_format_strides({2, 3, 4, 5}, MemoryFormat::ChannelsLast3d, "t"), Error);
}

TEST(MemoryFormat, IsContiguousIgnoresSizeOneDims) {
  Tensor cl = empty({2, 3, 4, 5}, kFloat32, MemoryFormat::ChannelsLast);
  EXPECT_TRUE(cl.is_contiguous(MemoryFormat::ChannelsLast));
  EXPECT_FALSE(cl.is_contiguous());
  EXPECT_FALSE(iota({2, 3, 4, 5}).is_contiguous(MemoryFormat::ChannelsLast));
  // torch: a [2, 1, 4, 5] channels_last tensor has strides (20, 1, 5, 1) and is both
  Tensor c1 = empty({2, 1, 4, 5}, kFloat32, MemoryFormat::ChannelsLast);
  EXPECT_EQ(c1.strides(), (Strides{20, 1, 5, 1}));
  EXPECT_TRUE(c1.is_contiguous() && c1.is_contiguous(MemoryFormat::ChannelsLast));
  // torch: [2, 3, 1, 1] -> (3, 1, 3, 3), also both
  Tensor hw1 = empty({2, 3, 1, 1}, kFloat32, MemoryFormat::ChannelsLast);
  EXPECT_EQ(hw1.strides(), (Strides{3, 1, 3, 3}));
  EXPECT_TRUE(hw1.is_contiguous() && hw1.is_contiguous(MemoryFormat::ChannelsLast));
  EXPECT_FALSE(iota({2, 3, 4}).is_contiguous(MemoryFormat::ChannelsLast));  // wrong rank: false, no error
  EXPECT_THROW(cl.is_contiguous(MemoryFormat::Preserve), Error);
}

TEST(MemoryFormat, SuggestFollowsStridesWithTorchsTieBreaks) {
  Tensor x = iota({2, 3, 4, 5});
  EXPECT_EQ(x.suggest_memory_format(), MemoryFormat::Contiguous);
  EXPECT_EQ(x.contiguous(MemoryFormat::ChannelsLast).suggest_memory_format(), MemoryFormat::ChannelsLast);
  // a channels_last tensor sliced along H is still channels_last-like; along W it is not (torch's conv2d
  // gives (20, 1, 10, 2) and (24, 12, 3, 1) for them)
  EXPECT_EQ(x.contiguous(MemoryFormat::ChannelsLast).slice(2, 0, 4, 2).suggest_memory_format(),
            MemoryFormat::ChannelsLast);
  EXPECT_EQ(x.contiguous(MemoryFormat::ChannelsLast).slice(3, 0, 5, 2).suggest_memory_format(),
            MemoryFormat::Contiguous);
  // N111 tensors count as NCHW
  EXPECT_EQ(iota({4, 1, 1, 1}).suggest_memory_format(), MemoryFormat::Contiguous);
  EXPECT_EQ(empty({2, 3, 4, 5, 6}, kFloat32, MemoryFormat::ChannelsLast3d).suggest_memory_format(),
            MemoryFormat::ChannelsLast3d);
  EXPECT_EQ(iota({2, 3, 4}).suggest_memory_format(), MemoryFormat::Contiguous);
}

TEST(MemoryFormat, ToAndContiguousKeepValuesAndReturnSelfWhenDone) {
  Tensor x = iota({2, 3, 4, 5});
  Tensor cl = x.to(MemoryFormat::ChannelsLast);
  EXPECT_EQ(cl.strides(), (Strides{60, 1, 15, 3}));
  EXPECT_TRUE(equal(cl, x));
  EXPECT_TRUE(cl.to(MemoryFormat::ChannelsLast).is_same(cl));
  EXPECT_TRUE(cl.contiguous(MemoryFormat::ChannelsLast).is_same(cl));
  EXPECT_FALSE(cl.to(MemoryFormat::ChannelsLast, /*copy=*/true).is_same(cl));
  EXPECT_EQ(cl.contiguous().strides(), (Strides{60, 20, 5, 1}));
  // to(dtype) preserves the layout (torch: cl.double().stride() == (60, 1, 15, 3))
  EXPECT_EQ(cl.to(kFloat64).strides(), (Strides{60, 1, 15, 3}));
  EXPECT_EQ(x.to(kFloat64, false, MemoryFormat::ChannelsLast).strides(), (Strides{60, 1, 15, 3}));
  // NHWC data permuted to NCHW sizes is channels_last without a copy
  Tensor nhwc = iota({2, 4, 5, 3}).permute({0, 3, 1, 2});
  EXPECT_TRUE(nhwc.contiguous(MemoryFormat::ChannelsLast).is_same(nhwc));
  EXPECT_THROW(iota({2, 3, 4}).to(MemoryFormat::ChannelsLast), Error);
  EXPECT_THROW(x.contiguous(MemoryFormat::Preserve), Error);
  EXPECT_TRUE(equal(iota({2, 3, 4, 5, 6}).to(MemoryFormat::ChannelsLast3d), iota({2, 3, 4, 5, 6})));
}

TEST(MemoryFormat, PreserveKeepsDenseStridesAndElseTheDimOrder) {
  Tensor x = iota({2, 3, 4, 6});
  Tensor t = x.transpose(0, 1);  // dense, not contiguous: torch's clone keeps (24, 72, 6, 1)
  EXPECT_EQ(t.strides(), (Strides{24, 72, 6, 1}));
  EXPECT_EQ(t.clone().strides(), t.strides());
  EXPECT_EQ(empty_like(t).strides(), t.strides());
  EXPECT_TRUE(equal(t.clone(), t));
  EXPECT_EQ(t.clone(MemoryFormat::Contiguous).strides(), (Strides{48, 24, 6, 1}));
  // not dense: torch infers strides with the same dim order
  Tensor s = x.transpose(2, 3).slice(2, 0, 6, 2);  // torch: (36, 12, 1, 3)
  EXPECT_EQ(s.clone().strides(), (Strides{36, 12, 1, 3}));
  EXPECT_TRUE(equal(s.clone(), s));
  Tensor cl = x.contiguous(MemoryFormat::ChannelsLast);
  EXPECT_EQ(cl.slice(2, 0, 4, 2).clone().strides(), (Strides{36, 1, 18, 3}));
  EXPECT_EQ(zeros_like(cl).strides(), cl.strides());
  EXPECT_EQ(ones_like(cl, MemoryFormat::Contiguous).strides(), (Strides{72, 24, 6, 1}));
  EXPECT_EQ(full_like(cl, 2.5, TensorOptions(kFloat64)).strides(), cl.strides());
  EXPECT_EQ(to_vector<double>(full_like(cl, 2.5)), std::vector<double>(cl.numel(), 2.5));
  EXPECT_EQ(empty_like(x, MemoryFormat::ChannelsLast).strides(), cl.strides());
}

TEST(MemoryFormat, EmptyStridedChecksDenseness) {
  EXPECT_EQ(empty_strided({2, 3}, {1, 2}).strides(), (Strides{1, 2}));
  EXPECT_THROW(empty_strided({2, 3}, {1, 1}), Error);
  EXPECT_THROW(empty_strided({2, 3}, {1}), ShapeError);
  EXPECT_THROW(empty({2, 3, 4}, kFloat32, MemoryFormat::ChannelsLast), Error);
}

TEST(MemoryFormat, LeafGradientsTakeTheLeafsLayout) {
  Tensor w = iota({4, 3, 2, 2}).contiguous(MemoryFormat::ChannelsLast).requires_grad_(true);
  (w * 2).sum().backward();
  EXPECT_TRUE(w.grad().is_contiguous(MemoryFormat::ChannelsLast));
  Tensor v = iota({4, 3, 2, 2}).requires_grad_(true);
  v.contiguous(MemoryFormat::ChannelsLast).mul(3).sum().backward();  // the incoming grad is channels_last
  EXPECT_TRUE(v.grad().is_contiguous());
  EXPECT_TRUE(equal(v.grad(), full({4, 3, 2, 2}, 3.0)));
}

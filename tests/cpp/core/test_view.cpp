#include <gtest/gtest.h>

#include "seek/seek.h"

using namespace seek;

namespace {
Tensor iota(const Shape& shape) {
  std::vector<float> v(shape_numel(shape));
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i);
  return tensor<float>(v, shape);
}
}  // namespace

TEST(View, ViewsShareStorageAndVersion) {
  Tensor a = iota({2, 3});
  Tensor v = a.view({3, 2});
  EXPECT_EQ(v.storage().get(), a.storage().get());
  EXPECT_TRUE(v.is_view());
  v.fill_(7);
  EXPECT_EQ(to_vector<float>(a), (std::vector<float>(6, 7.0f)));
  EXPECT_EQ(a.version(), v.version());
  EXPECT_GT(a.version(), 0u);
}

TEST(View, TransposePermuteAndContiguous) {
  Tensor a = iota({2, 3});
  Tensor t = a.t();
  EXPECT_EQ(t.sizes(), (Shape{3, 2}));
  EXPECT_EQ(t.strides(), (std::vector<int64_t>{1, 3}));
  EXPECT_FALSE(t.is_contiguous());
  EXPECT_EQ(to_vector<float>(t), (std::vector<float>{0, 3, 1, 4, 2, 5}));
  Tensor c = t.contiguous();
  EXPECT_TRUE(c.is_contiguous());
  EXPECT_NE(c.storage().get(), a.storage().get());
  Tensor p = iota({2, 3, 4}).permute({2, 0, 1});
  EXPECT_EQ(p.sizes(), (Shape{4, 2, 3}));
  EXPECT_EQ(p[1][1][2].item<float>(), 1 * 12 + 2 * 4 + 1);
}

TEST(View, ViewOfNonContiguousNeedsReshape) {
  Tensor t = iota({2, 3}).t();
  try {
    t.view({6});
    FAIL();
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("reshape"), std::string::npos);
  }
  Tensor r = t.reshape({6});
  EXPECT_EQ(to_vector<float>(r), (std::vector<float>{0, 3, 1, 4, 2, 5}));
  // Merging dims that stay contiguous is still a view.
  Tensor u = iota({4, 2, 3}).permute({1, 0, 2});  // [2, 4, 3], last dim contiguous
  EXPECT_EQ(u.view({2, 4, 3}).sizes(), (Shape{2, 4, 3}));
  EXPECT_EQ(iota({4, 6}).slice(1, 0, 3).view({4, 3, 1}).sizes(), (Shape{4, 3, 1}));
}

TEST(View, InferredDimAndErrors) {
  Tensor a = iota({2, 3, 4});
  EXPECT_EQ(a.view({-1, 4}).sizes(), (Shape{6, 4}));
  EXPECT_THROW(a.view({-1, -1}), ShapeError);
  try {
    a.view({5, 5});
    FAIL();
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("invalid for input of size 24"), std::string::npos);
  }
}

TEST(View, SliceSelectNarrow) {
  Tensor a = iota({4, 5});
  Tensor s = a.slice(1, 1, std::nullopt, 2);  // columns 1, 3
  EXPECT_EQ(s.sizes(), (Shape{4, 2}));
  EXPECT_EQ(to_vector<float>(s[2]), (std::vector<float>{11, 13}));
  EXPECT_EQ(a.slice(0, -2).sizes(), (Shape{2, 5}));
  EXPECT_EQ(a.slice(0, 10, 20).sizes(), (Shape{0, 5}));  // clamped like Python
  EXPECT_EQ(a.select(1, -1).sizes(), (Shape{4}));
  EXPECT_EQ(to_vector<float>(a.select(1, -1)), (std::vector<float>{4, 9, 14, 19}));
  EXPECT_EQ(to_vector<float>(a.narrow(0, 1, 2).select(1, 0)), (std::vector<float>{5, 10}));
  try {
    a.select(0, 4);
    FAIL();
  } catch (const IndexError& e) {
    EXPECT_NE(std::string(e.what()).find("index 4 is out of bounds for dimension 0 with size 4"), std::string::npos);
  }
  EXPECT_THROW(a.narrow(1, 3, 3), IndexError);
  EXPECT_THROW(a.slice(0, 0, 2, 0), ValueError);
  EXPECT_THROW(a.transpose(0, 2), IndexError);
}

TEST(View, ExpandSqueezeUnsqueezeFlatten) {
  Tensor a = iota({3, 1});
  Tensor e = a.expand({2, 3, 4});
  EXPECT_EQ(e.sizes(), (Shape{2, 3, 4}));
  EXPECT_EQ(e.strides(), (std::vector<int64_t>{0, 1, 0}));
  EXPECT_EQ(e[1][2][3].item<float>(), 2.0f);
  EXPECT_EQ(a.expand({-1, 5}).sizes(), (Shape{3, 5}));
  try {
    a.expand({4, 2});
    FAIL();
  } catch (const ShapeError& e2) {
    EXPECT_NE(std::string(e2.what()).find("must match the existing size (3)"), std::string::npos);
  }
  EXPECT_EQ(iota({1, 3, 1}).squeeze().sizes(), (Shape{3}));
  EXPECT_EQ(iota({1, 3, 1}).squeeze(-1).sizes(), (Shape{1, 3}));
  EXPECT_EQ(iota({3}).unsqueeze(0).sizes(), (Shape{1, 3}));
  EXPECT_EQ(iota({3}).unsqueeze(-1).sizes(), (Shape{3, 1}));
  EXPECT_EQ(iota({2, 3, 4}).flatten(1).sizes(), (Shape{2, 12}));
  EXPECT_EQ(iota({2, 12}).unflatten(1, {3, -1}).sizes(), (Shape{2, 3, 4}));
  EXPECT_EQ(iota({2, 3, 4}).movedim(2, 0).sizes(), (Shape{4, 2, 3}));
  EXPECT_EQ(iota({2, 3}).flatten().sizes(), (Shape{6}));
}

TEST(Copy, CopyBroadcastsAndCasts) {
  Tensor dst = zeros({2, 3}, kFloat64);
  dst.copy_(tensor<int32_t>({1, 2, 3}));
  EXPECT_EQ(to_vector<double>(dst), (std::vector<double>{1, 2, 3, 1, 2, 3}));
  EXPECT_THROW(dst.copy_(zeros({4})), ShapeError);
  Tensor nc = iota({3, 2}).t();
  Tensor cl = nc.clone();  // preserve_format, as PyTorch: a dense tensor's clone keeps its strides
  EXPECT_EQ(to_vector<float>(cl), to_vector<float>(nc));
  EXPECT_EQ(cl.strides(), nc.strides());
  EXPECT_FALSE(cl.storage() == nc.storage());
  Tensor c = nc.clone(MemoryFormat::Contiguous);
  EXPECT_EQ(to_vector<float>(c), to_vector<float>(nc));
  EXPECT_TRUE(c.is_contiguous());
}

TEST(Copy, FromBlobWrapsExternalMemoryWithoutCopy) {
  std::vector<float> buf{1, 2, 3, 4};
  bool released = false;
  {
    Tensor t = from_blob(buf.data(), {2, 2}, {}, kFloat32, [&](void*) { released = true; });
    t.mul_(10.0);
    EXPECT_EQ(buf[3], 40.0f);
  }
  EXPECT_TRUE(released);
}

TEST(Device, ParsesNamesAndRejectsBadOnes) {
  EXPECT_EQ(Device("cpu"), kCPU);
  EXPECT_EQ(Device("cuda:1").index, 1);
  EXPECT_TRUE(Device("cuda").is_cuda());
  EXPECT_THROW(Device("tpu"), ValueError);
  EXPECT_THROW(Device("cuda:x"), ValueError);
}

TEST(Logging, LevelFromNameAndErrorForUnknown) {
  std::string before = logging::level();
  logging::set_level("warn");
  EXPECT_EQ(logging::level(), "warning");
  EXPECT_THROW(logging::set_level("loud"), ValueError);
  logging::set_level(before == "warning" ? "warn" : before);
}

TEST(Storage, CpuAllocatorReusesLargeBlocks) {
  void* first;
  {
    Tensor a = empty({1 << 20});  // 4 MiB: cached when released
    first = a.data_ptr();
  }
  EXPECT_GE(cpu_cache_bytes(), size_t{4} << 20);
  Tensor b = empty({1 << 20});
  EXPECT_EQ(b.data_ptr(), first);
  b = Tensor();
  release_cpu_cache();
  EXPECT_EQ(cpu_cache_bytes(), 0u);
}

TEST(Overloads, EmptyBraceDimListMeansAllDims) {
  Tensor a = ones({2, 3});
  EXPECT_EQ(a.sum({}, true).sizes(), (Shape{1, 1}));
  EXPECT_EQ(a.sum(1).sizes(), (Shape{2}));
  EXPECT_EQ(a.mean({0, 1}).dim(), 0);
  EXPECT_EQ(log(ones({2})).sizes(), (Shape{2}));  // seek::log is the op, not a namespace
}

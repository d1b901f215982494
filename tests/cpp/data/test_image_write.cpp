// write_image: round trips through read_image (PNG exact, JPEG close), the float -> byte
// rounding and clamping, the interleaved-bytes overload and the errors.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "seek/data/image_write.h"
#include "seek/seek.h"
#include "support/test_util.h"

using namespace seek;
using namespace seek::data;

namespace {

// uint8 [c, h, w] with sample (k, y, x) = (13 + 37 y + 11 x + 80 k) % 256.
Tensor pattern_u8(int64_t c, int64_t h, int64_t w) {
  std::vector<uint8_t> v;
  for (int64_t k = 0; k < c; ++k)
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x) v.push_back(static_cast<uint8_t>((13 + 37 * y + 11 * x + 80 * k) % 256));
  return tensor<uint8_t>(v, {c, h, w});
}

class ImageWriteTest : public ::testing::Test {
 protected:
  std::string path(const std::string& name) const { return (tmp_.path() / name).string(); }
  seek::testing::TempDir tmp_{"seek_image_write_"};
};

}  // namespace

TEST_F(ImageWriteTest, PngRoundTripIsExactForBytes) {
  for (int64_t c : {1, 3, 4}) {
    const Tensor img = pattern_u8(c, 5, 7);
    const std::string p = path("img" + std::to_string(c) + ".png");
    write_image(p, img);
    const Tensor back = read_image(p, 0);
    ASSERT_EQ(back.sizes(), (Shape{c, 5, 7})) << c;
    EXPECT_EQ(to_vector<float>(back), to_vector<float>(img.to(kFloat32).div(255.0))) << c;
  }
}

TEST_F(ImageWriteTest, FloatSamplesRoundToNearestByteAndClamp) {
  // 0.5 -> 128 (127.5 + 0.5), 0.2 -> 51, -0.3 -> 0, 1.7 -> 255, 3/255 -> 3.
  const Tensor img = tensor<float>({0.5f, 0.2f, -0.3f, 1.7f, 3.f / 255.f, 1.f}, {1, 2, 3});
  write_image(path("f.png"), img);
  const auto back = to_vector<float>(read_image(path("f.png"), 1).mul(255.0));
  const std::vector<float> want{128, 51, 0, 255, 3, 255};
  ASSERT_EQ(back.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_FLOAT_EQ(back[i], want[i]) << i;
}

TEST_F(ImageWriteTest, FloatImageOfByteMultiplesRoundTripsExactly) {
  const Tensor img = pattern_u8(3, 9, 4).to(kFloat64).div(255.0);  // float64 is accepted too
  write_image(path("d.png"), img);
  EXPECT_EQ(to_vector<float>(read_image(path("d.png"))), to_vector<float>(img.to(kFloat32)));
}

TEST_F(ImageWriteTest, NonContiguousInputIsWrittenInLogicalOrder) {
  const Tensor img = pattern_u8(3, 6, 8);
  const Tensor flipped = img.transpose(1, 2);  // [3, 8, 6], strided
  write_image(path("t.png"), flipped);
  EXPECT_EQ(to_vector<float>(read_image(path("t.png"))),
            to_vector<float>(flipped.contiguous().to(kFloat32).div(255.0)));
}

TEST_F(ImageWriteTest, JpegAndBmpByExtension) {
  // A smooth image survives JPEG (quality 95) within a few levels; BMP is lossless.
  std::vector<float> v;
  for (int k = 0; k < 3; ++k)
    for (int y = 0; y < 16; ++y)
      for (int x = 0; x < 16; ++x) v.push_back(static_cast<float>(40 + 4 * x + 3 * y + 20 * k) / 255.f);
  const Tensor img = tensor<float>(v, {3, 16, 16});
  write_image(path("a.JPG"), img);
  const auto jpg = to_vector<float>(read_image(path("a.JPG")));
  ASSERT_EQ(jpg.size(), v.size());
  for (size_t i = 0; i < v.size(); ++i) EXPECT_NEAR(jpg[i], v[i], 6.0 / 255.0) << i;
  write_image(path("a.bmp"), img);
  EXPECT_EQ(to_vector<float>(read_image(path("a.bmp"))), v);
}

TEST_F(ImageWriteTest, InterleavedBytesOverload) {
  const std::vector<uint8_t> hwc{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};  // [2, 2, 3]
  write_image(path("b.png"), hwc.data(), 2, 2, 3);
  const auto back = to_vector<float>(read_image(path("b.png")).mul(255.0));
  // [C, H, W]: channel 0 is 1, 4, 7, 10.
  const std::vector<float> want{1, 4, 7, 10, 2, 5, 8, 11, 3, 6, 9, 12};
  EXPECT_EQ(back, want);
}

TEST_F(ImageWriteTest, EveryPngLevelIsLossless) {
  const Tensor img = pattern_u8(3, 11, 13);
  const auto hwc = to_vector<uint8_t>(img.permute({1, 2, 0}).contiguous());
  for (int level : {0, 1, 6, 9}) {
    const std::string p = path("l" + std::to_string(level) + ".png");
    write_image(p, hwc.data(), 11, 13, 3, level);
    EXPECT_EQ(to_vector<float>(read_image(p)), to_vector<float>(img.to(kFloat32).div(255.0))) << level;
  }
  EXPECT_THROW(write_image(path("l.png"), hwc.data(), 11, 13, 3, 10), ValueError);
}

TEST_F(ImageWriteTest, Errors) {
  const Tensor img = pattern_u8(3, 4, 4);
  EXPECT_THROW(write_image(path("x.gif"), img), ValueError);
  EXPECT_THROW(write_image(path("noext"), img), ValueError);
  EXPECT_THROW(write_image(path("x.png"), pattern_u8(2, 4, 4)), ValueError);
  EXPECT_THROW(write_image(path("x.png"), zeros({4, 4})), ValueError);
  EXPECT_THROW(write_image(path("x.png"), zeros({3, 4, 4}, TensorOptions(kInt64))), ValueError);
  EXPECT_THROW(write_image(path("x.png"), full({1, 2, 2}, std::numeric_limits<double>::quiet_NaN())), ValueError);
  try {
    write_image(path("missing/x.png"), img);
    FAIL() << "expected IOError";
  } catch (const IOError& e) {
    EXPECT_NE(std::string(e.what()).find("missing/x.png"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("folder does not exist"), std::string::npos) << e.what();
  }
}

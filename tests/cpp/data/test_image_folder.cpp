// read_image and ImageFolder on PNG / JPEG / BMP files written here with stb_image_write.
#include <gtest/gtest.h>
#include <stb_image_write.h>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "seek/seek.h"
#include "support/test_util.h"

namespace fs = std::filesystem;
using namespace seek;
using namespace seek::data;

namespace {

// Interleaved [H, W, C] bytes: pixel (y, x) channel c = (seed + 37 y + 11 x + 80 c) % 256.
std::vector<uint8_t> pattern(int h, int w, int c, int seed) {
  std::vector<uint8_t> px;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int k = 0; k < c; ++k) px.push_back(static_cast<uint8_t>((seed + 37 * y + 11 * x + 80 * k) % 256));
  return px;
}

void write_png(const fs::path& p, int h, int w, int c, const std::vector<uint8_t>& px) {
  fs::create_directories(p.parent_path());
  ASSERT_NE(stbi_write_png(p.string().c_str(), w, h, c, px.data(), w * c), 0) << p;
}

void write_png(const fs::path& p, int h, int w, int c, int seed) { write_png(p, h, w, c, pattern(h, w, c, seed)); }

// The [C, H, W] float tensor an [H, W, C] byte buffer should decode to.
Tensor expected_chw(const std::vector<uint8_t>& px, int h, int w, int c) {
  std::vector<float> v(px.size());
  for (int k = 0; k < c; ++k)
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) v[(k * h + y) * w + x] = static_cast<float>(px[(y * w + x) * c + k]) / 255.0f;
  return tensor<float>(v, {c, h, w});
}

void expect_equal(const Tensor& a, const Tensor& b) {
  ASSERT_EQ(a.sizes(), b.sizes());
  EXPECT_EQ(to_vector<float>(a), to_vector<float>(b));
}

class ImageTest : public ::testing::Test {
 protected:
  std::string path(const std::string& rel) const { return (dir_ / rel).string(); }

  seek::testing::TempDir tmp_{"seek_images_"};
  const fs::path dir_ = tmp_.path();
};

}  // namespace

TEST_F(ImageTest, ReadImagePngIsExact) {
  const auto rgb = pattern(5, 7, 3, 3);
  write_png(dir_ / "rgb.png", 5, 7, 3, rgb);
  Tensor img = read_image(path("rgb.png"));
  EXPECT_EQ(img.dtype(), kFloat32);
  expect_equal(img, expected_chw(rgb, 5, 7, 3));
  expect_equal(read_image(path("rgb.png"), 0), expected_chw(rgb, 5, 7, 3));

  const auto rgba = pattern(4, 3, 4, 9);
  write_png(dir_ / "rgba.png", 4, 3, 4, rgba);
  expect_equal(read_image(path("rgba.png"), 0), expected_chw(rgba, 4, 3, 4));
  // Alpha is dropped for 3 channels.
  std::vector<uint8_t> rgb_of_rgba;
  for (size_t i = 0; i < rgba.size(); ++i)
    if (i % 4 != 3) rgb_of_rgba.push_back(rgba[i]);
  expect_equal(read_image(path("rgba.png"), 3), expected_chw(rgb_of_rgba, 4, 3, 3));
}

TEST_F(ImageTest, ReadImageConvertsChannels) {
  const auto grey = pattern(3, 4, 1, 50);
  write_png(dir_ / "grey.png", 3, 4, 1, grey);
  expect_equal(read_image(path("grey.png"), 1), expected_chw(grey, 3, 4, 1));
  // Grey to RGB replicates the plane.
  Tensor rgb = read_image(path("grey.png"), 3);
  ASSERT_EQ(rgb.sizes(), (Shape{3, 3, 4}));
  for (int c = 0; c < 3; ++c) expect_equal(rgb.select(0, c).unsqueeze(0), expected_chw(grey, 3, 4, 1));

  // RGB to grey uses stb_image's luma (77 R + 150 G + 29 B) >> 8.
  const auto col = pattern(2, 3, 3, 200);
  write_png(dir_ / "col.png", 2, 3, 3, col);
  std::vector<uint8_t> luma;
  for (size_t i = 0; i < col.size(); i += 3)
    luma.push_back(static_cast<uint8_t>((77 * col[i] + 150 * col[i + 1] + 29 * col[i + 2]) >> 8));
  expect_equal(read_image(path("col.png"), 1), expected_chw(luma, 2, 3, 1));
}

TEST_F(ImageTest, ReadImageJpegIsClose) {
  // A smooth colour gradient survives JPEG (quality 95) within a few levels.
  const int h = 16, w = 24;
  std::vector<uint8_t> px;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      px.push_back(static_cast<uint8_t>(40 + 6 * x));
      px.push_back(static_cast<uint8_t>(30 + 8 * y));
      px.push_back(static_cast<uint8_t>(128));
    }
  ASSERT_NE(stbi_write_jpg(path("g.jpg").c_str(), w, h, 3, px.data(), 95), 0);
  Tensor img = read_image(path("g.jpg"));
  ASSERT_EQ(img.sizes(), (Shape{3, h, w}));
  Tensor diff = img.sub(expected_chw(px, h, w, 3)).abs();
  EXPECT_LT(diff.max().item<double>(), 12.0 / 255.0);
  EXPECT_LT(diff.mean().item<double>(), 3.0 / 255.0);
}

TEST_F(ImageTest, ReadImageErrors) {
  EXPECT_SEEK_ERROR_ALL(read_image(path("missing.png")), IOError, {"read_image", "missing.png", "cannot open"});
  std::ofstream(dir_ / "junk.png") << "this is not an image at all";
  EXPECT_SEEK_ERROR_ALL(read_image(path("junk.png")), IOError,
                        {"read_image", "junk.png", "cannot decode", "unknown image type"});
  // A PNG cut short after its header.
  write_png(dir_ / "full.png", 8, 8, 3, 1);
  std::ifstream in(dir_ / "full.png", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::ofstream(dir_ / "cut.png", std::ios::binary) << bytes.substr(0, 40);
  EXPECT_SEEK_ERROR_ALL(read_image(path("cut.png")), IOError, {"cut.png", "cannot decode"});
  EXPECT_SEEK_ERROR_ALL(read_image(path("full.png"), 2), ValueError, {"read_image", "channels", "got 2"});
}

TEST_F(ImageTest, FolderClassesAndSampleOrder) {
  const fs::path root = dir_ / "root";
  write_png(root / "dog" / "b.png", 2, 2, 3, 1);
  write_png(root / "dog" / "a.PNG", 2, 2, 3, 2);
  write_png(root / "dog" / "sub" / "c.png", 2, 2, 3, 3);
  const auto bmp = pattern(2, 2, 3, 4);
  ASSERT_NE(stbi_write_bmp((root / "dog" / "d.Bmp").string().c_str(), 2, 2, 3, bmp.data()), 0);
  write_png(root / "ant" / "z.png", 2, 2, 3, 5);
  const auto jpg = pattern(2, 2, 3, 6);
  ASSERT_NE(stbi_write_jpg((root / "ant" / "y.jpeg").string().c_str(), 2, 2, 3, jpg.data(), 90), 0);
  ASSERT_NE(stbi_write_jpg((root / "ant" / "x.JPG").string().c_str(), 2, 2, 3, jpg.data(), 90), 0);
  write_png(root / "cat" / "m.png", 2, 2, 3, 7);
  // Not images: other extensions, and files directly under root.
  std::ofstream(root / "cat" / "notes.txt") << "x";
  std::ofstream(root / "cat" / "m.png.bak") << "x";
  write_png(root / "loose.png", 2, 2, 3, 8);

  ImageFolder ds(root.string());
  EXPECT_EQ(ds.classes(), (std::vector<std::string>{"ant", "cat", "dog"}));
  EXPECT_EQ(ds.class_to_idx().at("cat"), 1);
  EXPECT_EQ(ds.class_to_idx().at("dog"), 2);
  ASSERT_EQ(ds.size(), 8u);
  std::vector<std::string> rel;
  for (const auto& [p, t] : ds.samples()) rel.push_back(fs::relative(p, root).string());
  EXPECT_EQ(rel, (std::vector<std::string>{"ant/x.JPG", "ant/y.jpeg", "ant/z.png", "cat/m.png", "dog/a.PNG",
                                           "dog/b.png", "dog/d.Bmp", "dog/sub/c.png"}));
  EXPECT_EQ(ds.targets(), (std::vector<int64_t>{0, 0, 0, 1, 2, 2, 2, 2}));
  Example e = ds.get(5);
  EXPECT_EQ(e.target.dtype(), kInt64);
  EXPECT_EQ(e.target.dim(), 0);
  EXPECT_EQ(e.target.item<int64_t>(), 2);
  expect_equal(e.data, expected_chw(pattern(2, 2, 3, 1), 2, 2, 3));
  expect_equal(ds.get(6).data, expected_chw(bmp, 2, 2, 3));  // BMP is lossless too
  EXPECT_SEEK_ERROR_ALL(ds.get(8), IndexError, {"ImageFolder", "8", "size 8"});
}

TEST_F(ImageTest, FolderGreyAndResize) {
  const fs::path root = dir_ / "root";
  write_png(root / "a" / "big.png", 6, 9, 3, 10);
  write_png(root / "b" / "small.png", 2, 3, 1, 20);
  std::vector<uint8_t> flat(4 * 5 * 3, 90);
  write_png(root / "b" / "flat.png", 4, 5, 3, flat);

  ImageFolder grey(root.string(), ImageFolderOptions().set_channels(1));
  EXPECT_EQ(grey.get(0).data.sizes(), (Shape{1, 6, 9}));
  expect_equal(grey.get(2).data, expected_chw(pattern(2, 3, 1, 20), 2, 3, 1));

  ImageFolder resized(root.string(), ImageFolderOptions().set_size(4, 6));
  for (size_t i = 0; i < resized.size(); ++i) EXPECT_EQ(resized.get(i).data.sizes(), (Shape{3, 4, 6})) << i;
  // Bilinear resizing of the decoded image (as interpolate does), and a flat image stays flat.
  Tensor big = read_image((root / "a" / "big.png").string());
  Tensor want =
      nn::functional::interpolate(big.unsqueeze(0), std::vector<int64_t>{4, 6}, std::nullopt, "bilinear", false);
  expect_equal(resized.get(0).data, want.squeeze(0));
  EXPECT_NEAR(resized.get(1).data.sub(90.0f / 255.0f).abs().max().item<double>(), 0.0, 1e-6);
  // The examples stack into one batch.
  EXPECT_EQ(stack({resized.get(0).data, resized.get(1).data, resized.get(2).data}).sizes(), (Shape{3, 3, 4, 6}));
  // An image already of the target size is unchanged.
  ImageFolder same(root.string(), ImageFolderOptions().set_size(6, 9));
  expect_equal(same.get(0).data, big);
}

TEST_F(ImageTest, FolderEmptyClass) {
  const fs::path root = dir_ / "root";
  write_png(root / "a" / "1.png", 2, 2, 3, 1);
  fs::create_directories(root / "b");
  std::ofstream(root / "b" / "readme.txt") << "no images here";
  write_png(root / "c" / "1.png", 2, 2, 3, 2);
  EXPECT_SEEK_ERROR_ALL(ImageFolder(root.string()), IOError, {"ImageFolder", "no image file", "'b'", "allow_empty"});
  ImageFolder ds(root.string(), ImageFolderOptions().set_allow_empty(true));
  EXPECT_EQ(ds.classes(), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(ds.targets(), (std::vector<int64_t>{0, 2}));
}

TEST_F(ImageTest, FolderErrors) {
  EXPECT_SEEK_ERROR_ALL(ImageFolder(path("nope")), IOError, {"ImageFolder", "nope", "is not a folder"});
  write_png(dir_ / "flat" / "only.png", 2, 2, 3, 1);
  EXPECT_SEEK_ERROR_ALL(ImageFolder(path("flat")), IOError, {"ImageFolder", "no class folder", "flat"});
  write_png(dir_ / "root" / "a" / "ok.png", 2, 2, 3, 1);
  std::ofstream(dir_ / "root" / "a" / "bad.png") << "garbage";
  ImageFolder ds(path("root"));
  ASSERT_EQ(ds.size(), 2u);
  EXPECT_SEEK_ERROR_ALL(ds.get(0), IOError, {"bad.png", "cannot decode", "unknown image type"});
  EXPECT_EQ(ds.get(1).data.sizes(), (Shape{3, 2, 2}));
  EXPECT_SEEK_ERROR_ALL(ImageFolder(path("root"), ImageFolderOptions().set_channels(4)), ValueError,
                        {"ImageFolder", "channels must be 1 or 3", "got 4"});
  EXPECT_SEEK_ERROR_ALL(ImageFolder(path("root"), ImageFolderOptions().set_size(0, 3)), ValueError,
                        {"ImageFolder", "size must be positive"});
}

// IDX reader (raw and gzip) on files written here, MNIST dataset, and the real
// Fashion-MNIST files when installed.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdio>
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

std::vector<uint8_t> be32(uint32_t v) { return {uint8_t(v >> 24), uint8_t(v >> 16), uint8_t(v >> 8), uint8_t(v)}; }

std::vector<uint8_t> idx_file(uint32_t magic, const std::vector<uint32_t>& dims, const std::vector<uint8_t>& data) {
  std::vector<uint8_t> out = be32(magic);
  for (uint32_t d : dims) {
    auto b = be32(d);
    out.insert(out.end(), b.begin(), b.end());
  }
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

void write_raw(const fs::path& p, const std::vector<uint8_t>& bytes) {
  std::ofstream f(p, std::ios::binary);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

void write_gz(const fs::path& p, const std::vector<uint8_t>& bytes) {
  gzFile f = gzopen(p.string().c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
  gzclose(f);
}

class IdxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < 2 * 3 * 4; ++i) pixels_.push_back(static_cast<uint8_t>(i * 10));
  }

  template <typename Fn>
  std::string io_error(Fn fn) {
    try {
      fn();
    } catch (const IOError& e) {
      return e.what();
    }
    ADD_FAILURE() << "expected IOError";
    return "";
  }

  seek::testing::TempDir tmp_{"seek_idx_"};
  const fs::path dir_ = tmp_.path();
  std::vector<uint8_t> pixels_;
};

}  // namespace

TEST_F(IdxTest, ReadsRawImagesAndLabels) {
  write_raw(dir_ / "img", idx_file(0x803, {2, 3, 4}, pixels_));
  write_raw(dir_ / "lbl", idx_file(0x801, {2}, {7, 255}));
  Tensor img = read_idx_images((dir_ / "img").string());
  EXPECT_EQ(img.dtype(), kUInt8);
  EXPECT_EQ(img.sizes(), (Shape{2, 3, 4}));
  EXPECT_EQ(to_vector<uint8_t>(img), pixels_);
  Tensor lbl = read_idx_labels((dir_ / "lbl").string());
  EXPECT_EQ(lbl.dtype(), kInt64);
  EXPECT_EQ(to_vector<int64_t>(lbl), (std::vector<int64_t>{7, 255}));
}

TEST_F(IdxTest, ReadsGzipFiles) {
  write_gz(dir_ / "img.gz", idx_file(0x803, {2, 3, 4}, pixels_));
  write_gz(dir_ / "lbl.gz", idx_file(0x801, {2}, {1, 2}));
  EXPECT_EQ(to_vector<uint8_t>(read_idx_images((dir_ / "img.gz").string())), pixels_);
  EXPECT_EQ(to_vector<int64_t>(read_idx_labels((dir_ / "lbl.gz").string())), (std::vector<int64_t>{1, 2}));
}

TEST_F(IdxTest, MissingFileIsIOError) {
  auto msg = io_error([&] { read_idx_images((dir_ / "nope").string()); });
  EXPECT_NE(msg.find("nope"), std::string::npos) << msg;
}

TEST_F(IdxTest, BadMagicIsIOError) {
  write_raw(dir_ / "img", idx_file(0x801, {2}, {1, 2}));
  auto msg = io_error([&] { read_idx_images((dir_ / "img").string()); });
  EXPECT_NE(msg.find("bad magic"), std::string::npos) << msg;
  EXPECT_NE(msg.find("0x801"), std::string::npos) << msg;
  EXPECT_NE(msg.find("0x803"), std::string::npos) << msg;
  EXPECT_NE(msg.find((dir_ / "img").string()), std::string::npos) << msg;
  write_gz(dir_ / "lbl.gz", idx_file(0x803, {1, 1, 1}, {0}));
  msg = io_error([&] { read_idx_labels((dir_ / "lbl.gz").string()); });
  EXPECT_NE(msg.find("bad magic"), std::string::npos) << msg;
}

TEST_F(IdxTest, TruncatedDataIsIOError) {
  auto bytes = idx_file(0x803, {2, 3, 4}, pixels_);
  bytes.resize(bytes.size() - 5);
  write_raw(dir_ / "img", bytes);
  auto msg = io_error([&] { read_idx_images((dir_ / "img").string()); });
  EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;
  EXPECT_NE(msg.find("expected 24 bytes of image data, found 19"), std::string::npos) << msg;
  write_gz(dir_ / "img.gz", bytes);
  msg = io_error([&] { read_idx_images((dir_ / "img.gz").string()); });
  EXPECT_NE(msg.find("found 19"), std::string::npos) << msg;
  // Truncated inside the header.
  write_raw(dir_ / "lbl", {0, 0, 8, 1, 0, 0});
  msg = io_error([&] { read_idx_labels((dir_ / "lbl").string()); });
  EXPECT_NE(msg.find("dimension sizes"), std::string::npos) << msg;
  write_raw(dir_ / "empty", {});
  msg = io_error([&] { read_idx_labels((dir_ / "empty").string()); });
  EXPECT_NE(msg.find("magic number"), std::string::npos) << msg;
}

TEST_F(IdxTest, TrailingDataIsIOError) {
  auto bytes = idx_file(0x801, {2}, {1, 2, 3});
  write_raw(dir_ / "lbl", bytes);
  auto msg = io_error([&] { read_idx_labels((dir_ / "lbl").string()); });
  EXPECT_NE(msg.find("trailing data"), std::string::npos) << msg;
}

TEST_F(IdxTest, MNISTDatasetFromGzAndRaw) {
  write_gz(dir_ / "train-images-idx3-ubyte.gz", idx_file(0x803, {2, 3, 4}, pixels_));
  write_gz(dir_ / "train-labels-idx1-ubyte.gz", idx_file(0x801, {2}, {3, 9}));
  write_raw(dir_ / "t10k-images-idx3-ubyte", idx_file(0x803, {1, 3, 4}, std::vector<uint8_t>(12, 255)));
  write_raw(dir_ / "t10k-labels-idx1-ubyte", idx_file(0x801, {1}, {4}));
  MNIST train(dir_.string(), true);
  ASSERT_EQ(train.size(), 2u);
  Example e = train.get(1);
  EXPECT_EQ(e.data.dtype(), kFloat32);
  EXPECT_EQ(e.data.sizes(), (Shape{1, 3, 4}));
  auto v = to_vector<float>(e.data);
  for (int i = 0; i < 12; ++i) EXPECT_FLOAT_EQ(v[i], static_cast<float>(pixels_[12 + i]) / 255.0f);
  EXPECT_EQ(e.target.dtype(), kInt64);
  EXPECT_EQ(e.target.item<int64_t>(), 9);
  EXPECT_THROW(train.get(2), IndexError);
  MNIST test(dir_.string(), false);
  ASSERT_EQ(test.size(), 1u);
  for (float x : to_vector<float>(test.get(0).data)) EXPECT_FLOAT_EQ(x, 1.0f);
  EXPECT_EQ(test.get(0).target.item<int64_t>(), 4);
}

TEST_F(IdxTest, MNISTCountMismatchIsIOError) {
  write_raw(dir_ / "train-images-idx3-ubyte", idx_file(0x803, {2, 3, 4}, pixels_));
  write_raw(dir_ / "train-labels-idx1-ubyte", idx_file(0x801, {3}, {1, 2, 3}));
  auto msg = io_error([&] { MNIST m(dir_.string()); });
  EXPECT_NE(msg.find("count mismatch"), std::string::npos) << msg;
  EXPECT_NE(msg.find("2 images"), std::string::npos) << msg;
  EXPECT_NE(msg.find("3 labels"), std::string::npos) << msg;
}

TEST_F(IdxTest, MNISTMissingFilesIsIOError) {
  auto msg = io_error([&] { MNIST m(dir_.string(), false); });
  EXPECT_NE(msg.find("t10k-images-idx3-ubyte"), std::string::npos) << msg;
}

TEST(FashionMNIST, RealFilesIfInstalled) {
  const std::string root = "/usr/share/datasets/fashion-mnist";
  if (!fs::exists(root + "/train-labels-idx1-ubyte.gz") && !fs::exists(root + "/train-labels-idx1-ubyte"))
    GTEST_SKIP() << "Fashion-MNIST not installed at " << root;
  MNIST train(root, true), test(root, false);
  EXPECT_EQ(train.size(), 60000u);
  EXPECT_EQ(test.size(), 10000u);
  EXPECT_EQ(train.images().sizes(), (Shape{60000, 28, 28}));
  EXPECT_EQ(test.images().sizes(), (Shape{10000, 28, 28}));
  for (const auto* ds : {&train, &test}) {
    auto labels = to_vector<int64_t>(ds->labels());
    EXPECT_EQ(*std::min_element(labels.begin(), labels.end()), 0);
    EXPECT_EQ(*std::max_element(labels.begin(), labels.end()), 9);
  }
  // The first training example of Fashion-MNIST is an ankle boot (class 9);
  // the first test example is also an ankle boot.
  EXPECT_EQ(train.get(0).target.item<int64_t>(), 9);
  EXPECT_EQ(test.get(0).target.item<int64_t>(), 9);
  Tensor img = train.get(0).data;
  EXPECT_EQ(img.sizes(), (Shape{1, 28, 28}));
  EXPECT_LE(img.max().item<float>(), 1.0f);
  EXPECT_GE(img.min().item<float>(), 0.0f);
  EXPECT_GT(img.max().item<float>(), 0.5f);
}

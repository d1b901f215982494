// CIFAR-10 binary batches: synthetic batch files written here, read back.
#include <gtest/gtest.h>
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

// One record: the label byte, then pixel p of the 3072 bytes is (seed + p) % 256.
std::vector<uint8_t> record(uint8_t label, int seed) {
  std::vector<uint8_t> r{label};
  for (int p = 0; p < 3072; ++p) r.push_back(static_cast<uint8_t>((seed + p) % 256));
  return r;
}

void write_file(const fs::path& p, const std::vector<uint8_t>& bytes) {
  std::ofstream f(p, std::ios::binary);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

// A batch of records with the given labels; record j of batch b uses seed 100 * b + j.
std::vector<uint8_t> batch(const std::vector<uint8_t>& labels, int b) {
  std::vector<uint8_t> out;
  for (size_t j = 0; j < labels.size(); ++j) {
    auto r = record(labels[j], 100 * b + static_cast<int>(j));
    out.insert(out.end(), r.begin(), r.end());
  }
  return out;
}

class CifarTest : public ::testing::Test {
 protected:
  // Training batches 1..5 with labels {b, 9 - b} and a test batch with label {7}.
  void write_all(const fs::path& folder) {
    fs::create_directories(folder);
    for (int b = 1; b <= 5; ++b)
      write_file(folder / ("data_batch_" + std::to_string(b) + ".bin"),
                 batch({static_cast<uint8_t>(b), static_cast<uint8_t>(9 - b)}, b));
    write_file(folder / "test_batch.bin", batch({7}, 0));
  }

  seek::testing::TempDir tmp_{"seek_cifar_"};
  const fs::path dir_ = tmp_.path();
};

}  // namespace

TEST_F(CifarTest, ReadsBatchLayout) {
  write_file(dir_ / "b.bin", batch({3, 0, 9}, 2));
  auto [images, labels] = read_cifar10_batch((dir_ / "b.bin").string());
  EXPECT_EQ(images.dtype(), kUInt8);
  EXPECT_EQ(images.sizes(), (Shape{3, 3, 32, 32}));
  EXPECT_EQ(to_vector<int64_t>(labels), (std::vector<int64_t>{3, 0, 9}));
  // Image 1 (seed 201): channel c, row y, column x is byte 1024 c + 32 y + x of the record.
  Tensor img = images.select(0, 1);
  for (int c : {0, 1, 2})
    for (int y : {0, 5, 31})
      for (int x : {0, 17, 31})
        EXPECT_EQ(img.index({c, y, x}).item<int64_t>(), (201 + 1024 * c + 32 * y + x) % 256) << c << y << x;
}

TEST_F(CifarTest, TrainAndTestSplits) {
  write_all(dir_);
  CIFAR10 train(dir_.string(), true);
  ASSERT_EQ(train.size(), 10u);
  EXPECT_EQ(to_vector<int64_t>(train.labels()), (std::vector<int64_t>{1, 8, 2, 7, 3, 6, 4, 5, 5, 4}));
  Example e = train.get(3);  // batch 2, record 1: seed 201
  EXPECT_EQ(e.data.dtype(), kFloat32);
  EXPECT_EQ(e.data.sizes(), (Shape{3, 32, 32}));
  EXPECT_EQ(e.target.dtype(), kInt64);
  EXPECT_EQ(e.target.dim(), 0);
  EXPECT_EQ(e.target.item<int64_t>(), 7);
  auto v = to_vector<float>(e.data);
  for (int p : {0, 1, 1023, 1024, 2047, 3071}) EXPECT_FLOAT_EQ(v[p], static_cast<float>((201 + p) % 256) / 255.0f);
  EXPECT_SEEK_ERROR_ALL(train.get(10), IndexError, {"CIFAR10", "10", "size 10"});

  CIFAR10 test(dir_.string(), false);
  ASSERT_EQ(test.size(), 1u);
  EXPECT_EQ(test.get(0).target.item<int64_t>(), 7);
  EXPECT_FLOAT_EQ(test.get(0).data.index({0, 0, 5}).item<float>(), 5.0f / 255.0f);
}

TEST_F(CifarTest, AcceptsBatchesBinSubfolder) {
  write_all(dir_ / "cifar-10-batches-bin");
  CIFAR10 train(dir_.string());
  EXPECT_EQ(train.size(), 10u);
  EXPECT_EQ(fs::path(train.folder()), dir_ / "cifar-10-batches-bin");
}

TEST_F(CifarTest, ClassNamesFromMetaOrStandard) {
  write_all(dir_);
  CIFAR10 standard(dir_.string(), false);
  ASSERT_EQ(standard.classes().size(), 10u);
  EXPECT_EQ(standard.classes()[0], "airplane");
  EXPECT_EQ(standard.classes()[9], "truck");
  std::ofstream(dir_ / "batches.meta.txt") << "c0\nc1\nc2\nc3\nc4\nc5\nc6\nc7\nc8\nc9 \n\n";
  CIFAR10 named(dir_.string(), false);
  EXPECT_EQ(named.classes()[0], "c0");
  EXPECT_EQ(named.classes()[9], "c9");
  std::ofstream(dir_ / "batches.meta.txt") << "a\nb\n";
  EXPECT_SEEK_ERROR_ALL(CIFAR10(dir_.string(), false), IOError, {"batches.meta.txt", "lists 2 class names"});
}

TEST_F(CifarTest, MissingFilesAreIOErrors) {
  EXPECT_SEEK_ERROR_ALL(CIFAR10(dir_.string(), true), IOError, {"data_batch_1.bin", "cifar-10-batches-bin"});
  EXPECT_SEEK_ERROR_ALL(CIFAR10(dir_.string(), false), IOError, {"test_batch.bin"});
  write_all(dir_);
  fs::remove(dir_ / "data_batch_4.bin");
  EXPECT_SEEK_ERROR_ALL(CIFAR10(dir_.string(), true), IOError, {"data_batch_4.bin", "does not exist"});
  EXPECT_SEEK_ERROR_ALL(read_cifar10_batch((dir_ / "nope.bin").string()), IOError, {"nope.bin", "cannot open"});
}

TEST_F(CifarTest, BadSizeIsIOError) {
  auto bytes = batch({1, 2}, 0);
  bytes.pop_back();
  write_file(dir_ / "test_batch.bin", bytes);
  EXPECT_SEEK_ERROR_ALL(CIFAR10(dir_.string(), false), IOError,
                        {"test_batch.bin", "6145 bytes", "not a multiple of the 3073-byte record"});
}

TEST_F(CifarTest, LabelAboveNineIsIOError) {
  write_file(dir_ / "test_batch.bin", batch({1, 10}, 0));
  EXPECT_SEEK_ERROR_ALL(CIFAR10(dir_.string(), false), IOError,
                        {"test_batch.bin", "record 1", "label 10", "expected 0..9"});
}

TEST_F(CifarTest, EmptyBatchGivesEmptyDataset) {
  write_file(dir_ / "test_batch.bin", {});
  CIFAR10 test(dir_.string(), false);
  EXPECT_EQ(test.size(), 0u);
  EXPECT_EQ(test.images().sizes(), (Shape{0, 3, 32, 32}));
}

// AtomicFileWriter, write_file_atomic, read_file and crc32.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "seek/io/atomic_file.h"
#include "support/test_util.h"

namespace seek::io {
namespace {
namespace fs = std::filesystem;

class AtomicFile : public ::testing::Test {
 protected:
  std::vector<std::string> entries() const { return tmp_.entries(); }
  seek::testing::TempDir tmp_{"seek_atomic_file_"};
  const fs::path dir_ = tmp_.path();
};

TEST_F(AtomicFile, Crc32MatchesTheStandardCheckValue) {
  EXPECT_EQ(crc32("123456789"), 0xCBF43926u);  // the CRC-32 (ISO-HDLC) check value
  EXPECT_EQ(crc32(""), 0u);
  EXPECT_EQ(crc32("56789", crc32("1234")), 0xCBF43926u);  // continues a running CRC
}

TEST_F(AtomicFile, CommitReplacesTheFileOnlyThen) {
  const fs::path p = dir_ / "f.bin";
  write_file_atomic(p, "old", "test");
  {
    AtomicFileWriter w(p, "test");
    w.write("new ");
    w.write(std::string("bytes\0!", 7));
    EXPECT_EQ(w.bytes_written(), 11u);
    EXPECT_EQ(w.crc32(), crc32(std::string("new bytes\0!", 11)));
    EXPECT_EQ(read_file(p, "test"), "old");  // not visible before commit
    EXPECT_EQ(entries().size(), 2u);         // f.bin and the hidden temp file
    w.commit();
    EXPECT_SEEK_ERROR(w.write("more"), IOError, "already committed");
    EXPECT_SEEK_ERROR(w.commit(), IOError, "already committed");
  }
  EXPECT_EQ(read_file(p, "test"), std::string("new bytes\0!", 11));
  EXPECT_EQ(entries(), std::vector<std::string>{"f.bin"});
}

TEST_F(AtomicFile, AbandonedWriterRemovesItsTempFile) {
  const fs::path p = dir_ / "f.bin";
  write_file_atomic(p, "kept", "test");
  try {
    AtomicFileWriter w(p, "test");
    w.write("partial");
    throw ValueError("interrupted");
  } catch (const ValueError&) {}
  EXPECT_EQ(entries(), std::vector<std::string>{"f.bin"});
  EXPECT_EQ(read_file(p, "test"), "kept");
}

TEST_F(AtomicFile, ErrorsNameTheCallerAndThePath) {
  const fs::path missing_dir = dir_ / "no" / "f.bin";
  EXPECT_SEEK_ERROR_ALL(write_file_atomic(missing_dir, "x", "my_saver"), IOError,
                        {"my_saver", missing_dir.string(), "No such file or directory"});
  EXPECT_SEEK_ERROR_ALL(AtomicFileWriter(dir_ / "", "my_saver"), IOError, {"does not name a file"});
  EXPECT_SEEK_ERROR_ALL(read_file(dir_ / "absent", "my_loader"), IOError,
                        {"my_loader", (dir_ / "absent").string(), "does not exist"});
  EXPECT_SEEK_ERROR_ALL(read_file(dir_, "my_loader"), IOError, {"not a regular file"});
  write_file_atomic(dir_ / "empty", "", "x");
  EXPECT_EQ(read_file(dir_ / "empty", "x"), "");
}

}  // namespace
}  // namespace seek::io

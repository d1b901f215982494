#pragma once
// Crash-safe file writing and whole-file reading, for checkpoints and safetensors.
//
// AtomicFileWriter writes into a hidden temp file in the destination's folder
// (".<name>.tmp-<pid>-<n>"); commit() fsyncs it, renames it over the destination and
// fsyncs the folder, so readers see either the old file or the complete new one. A
// writer destroyed without commit() (an exception, a failed write) removes its temp file;
// a process killed mid-write cannot, so each new writer first removes the temp files of
// its destination that processes no longer running left behind.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace seek::io {

class AtomicFileWriter {
 public:
  // `who` prefixes error messages ("save_safetensors"). Throws IOError when the temp
  // file cannot be created (missing folder, no permission).
  AtomicFileWriter(std::filesystem::path path, std::string who);
  ~AtomicFileWriter();
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

  void write(const void* data, size_t n);
  void write(std::string_view s) { write(s.data(), s.size()); }
  uint64_t bytes_written() const { return written_; }
  uint32_t crc32() const { return crc_; }  // CRC-32 (zlib's) of everything written
  void commit();

 private:
  void fail(const std::string& what, int err);
  std::filesystem::path path_, temp_;
  std::string who_;
  int fd_ = -1;
  uint64_t written_ = 0;
  uint32_t crc_ = 0;
  bool committed_ = false;
};

// Removes the temp files ".<name>.tmp-<pid>-<n>" of `path` whose process <pid> no longer
// runs (a crash or kill -9 mid-save); those of running processes, this one included, stay.
// Returns how many were removed. Best effort: errors are ignored.
size_t remove_stale_temp_files(const std::filesystem::path& path);

// Writes `data` to `path` through an AtomicFileWriter.
void write_file_atomic(const std::filesystem::path& path, std::string_view data, const std::string& who);

// fsyncs a folder, which makes renames and new entries in it durable (best effort:
// file systems that cannot open folders are skipped).
void sync_directory(const std::filesystem::path& dir);

// The whole file; IOError naming `who`, the path and the reason when it cannot be read.
std::string read_file(const std::filesystem::path& path, const std::string& who);

// CRC-32 as zlib's crc32() computes it (the checksum of gzip and PNG), continuing from `crc`.
uint32_t crc32(std::string_view data, uint32_t crc = 0);

}  // namespace seek::io

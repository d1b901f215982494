#pragma once
// A minimal, defensive reader of zip archives held in memory, for PyTorch's .pt/.pth files
// (a zip of data.pkl and one entry per storage). Stored and deflated (zlib) entries, zip64
// sizes and offsets; every offset and size is checked against the archive before use and
// every entry's CRC-32 is verified. Malformed archives throw IOError naming `source`.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace seek::io {

class ZipReader {
 public:
  struct Entry {
    std::string name;
    uint16_t method = 0;  // 0 stored, 8 deflated
    uint64_t compressed_size = 0, size = 0, local_header_offset = 0;
    uint32_t crc32 = 0;
  };

  // Reads the central directory of `bytes` (which must outlive the reader).
  ZipReader(std::string_view bytes, std::string source);

  const std::vector<Entry>& entries() const { return entries_; }
  // The entry named `name`, or nullptr.
  const Entry* find(std::string_view name) const;
  // The uncompressed bytes of an entry, checked against its size and CRC-32.
  std::string read(const Entry& e) const;

 private:
  [[noreturn]] void fail(const std::string& problem) const;
  std::string_view bytes_;
  std::string source_;
  std::vector<Entry> entries_;
};

// Whether `bytes` start like a zip archive (a local file header).
bool looks_like_zip(std::string_view bytes);

}  // namespace seek::io

// Zip archive reading (seek/io/zip_reader.h): the end-of-central-directory record (and its
// zip64 form), the central directory, local headers, and stored / deflated data.
#include "seek/io/zip_reader.h"

#include <zlib.h>

#include <algorithm>
#include <unordered_map>

#include "seek/core/error.h"
#include "seek/io/atomic_file.h"

namespace seek::io {
namespace {

constexpr uint32_t kLocalHeader = 0x04034b50, kCentralHeader = 0x02014b50, kEndRecord = 0x06054b50,
                   kZip64EndRecord = 0x06064b50, kZip64Locator = 0x07064b50;

uint64_t le(std::string_view b, size_t at, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(b[at + static_cast<size_t>(i)]);
  return v;
}

}  // namespace

bool looks_like_zip(std::string_view bytes) { return bytes.size() >= 4 && le(bytes, 0, 4) == kLocalHeader; }

void ZipReader::fail(const std::string& problem) const {
  throw IOError(str("load: '", source_, "': not a valid zip archive: ", problem));
}

ZipReader::ZipReader(std::string_view bytes, std::string source) : bytes_(bytes), source_(std::move(source)) {
  const size_t n = bytes_.size();
  // 1. The end record: 22 bytes plus a comment of up to 65535 bytes, at the end of the file.
  if (n < 22) fail(str("the file has ", n, " bytes, fewer than a zip end record"));
  size_t end = std::string_view::npos;
  const size_t lowest = n >= 22 + 65535 ? n - 22 - 65535 : 0;
  for (size_t p = n - 22 + 1; p-- > lowest;) {
    if (le(bytes_, p, 4) == kEndRecord && p + 22 + le(bytes_, p + 20, 2) == n) {
      end = p;
      break;
    }
  }
  if (end == std::string_view::npos) fail("no end-of-central-directory record");
  uint64_t count = le(bytes_, end + 10, 2);
  uint64_t cd_size = le(bytes_, end + 12, 4);
  uint64_t cd_offset = le(bytes_, end + 16, 4);
  if (count == 0xFFFF || cd_size == 0xFFFFFFFF || cd_offset == 0xFFFFFFFF) {
    // zip64: a locator just before the end record points at the zip64 end record.
    if (end < 20 || le(bytes_, end - 20, 4) != kZip64Locator) fail("zip64 sizes without a zip64 locator");
    const uint64_t rec = le(bytes_, end - 20 + 8, 8);
    if (rec > n || n - rec < 56 || le(bytes_, static_cast<size_t>(rec), 4) != kZip64EndRecord)
      fail("the zip64 end record is out of range or malformed");
    count = le(bytes_, static_cast<size_t>(rec) + 32, 8);
    cd_size = le(bytes_, static_cast<size_t>(rec) + 40, 8);
    cd_offset = le(bytes_, static_cast<size_t>(rec) + 48, 8);
  }
  if (cd_offset > n || cd_size > n - cd_offset) fail("the central directory lies outside the file");
  // Each central entry takes at least 46 bytes: a count larger than that allows is a lie.
  if (count > cd_size / 46) fail(str(count, " entries cannot fit in a central directory of ", cd_size, " bytes"));
  entries_.reserve(static_cast<size_t>(count));
  std::unordered_map<std::string, size_t> seen;
  size_t p = static_cast<size_t>(cd_offset);
  const size_t cd_end = static_cast<size_t>(cd_offset + cd_size);
  for (uint64_t i = 0; i < count; ++i) {
    if (cd_end - p < 46 || le(bytes_, p, 4) != kCentralHeader)
      fail(str("central directory entry ", i, " is malformed"));
    Entry e;
    const uint16_t flags = static_cast<uint16_t>(le(bytes_, p + 8, 2));
    e.method = static_cast<uint16_t>(le(bytes_, p + 10, 2));
    e.crc32 = static_cast<uint32_t>(le(bytes_, p + 16, 4));
    e.compressed_size = le(bytes_, p + 20, 4);
    e.size = le(bytes_, p + 24, 4);
    const size_t name_len = le(bytes_, p + 28, 2), extra_len = le(bytes_, p + 30, 2),
                 comment_len = le(bytes_, p + 32, 2);
    e.local_header_offset = le(bytes_, p + 42, 4);
    if (cd_end - p - 46 < name_len + extra_len + comment_len) fail(str("central directory entry ", i, " is truncated"));
    e.name = std::string(bytes_.substr(p + 46, name_len));
    if (flags & 1) fail(str("entry '", e.name, "' is encrypted"));
    // zip64 extra field (id 1): the 64-bit values of the fields that hold 0xFFFFFFFF, in order.
    std::string_view extra = bytes_.substr(p + 46 + name_len, extra_len);
    while (extra.size() >= 4) {
      const uint64_t id = le(extra, 0, 2), len = le(extra, 2, 2);
      if (len > extra.size() - 4) fail(str("entry '", e.name, "' has a truncated extra field"));
      if (id == 1) {
        std::string_view z = extra.substr(4, len);
        size_t at = 0;
        for (uint64_t* field : {&e.size, &e.compressed_size, &e.local_header_offset}) {
          if (*field != 0xFFFFFFFF) continue;
          if (z.size() - at < 8) fail(str("entry '", e.name, "' has a truncated zip64 field"));
          *field = le(z, at, 8);
          at += 8;
        }
      }
      extra.remove_prefix(static_cast<size_t>(4 + len));
    }
    if (e.method != 0 && e.method != 8)
      fail(str("entry '", e.name, "' uses compression method ", e.method, " (seek reads stored and deflated entries)"));
    if (e.method == 0 && e.compressed_size != e.size)
      fail(str("stored entry '", e.name, "' has sizes ", e.compressed_size, " and ", e.size));
    if (e.local_header_offset > n || n - e.local_header_offset < 30)
      fail(str("entry '", e.name, "' has its local header outside the file"));
    if (!seen.emplace(e.name, entries_.size()).second) fail(str("entry '", e.name, "' appears twice"));
    entries_.push_back(std::move(e));
    p += 46 + name_len + extra_len + comment_len;
  }
}

const ZipReader::Entry* ZipReader::find(std::string_view name) const {
  for (const Entry& e : entries_)
    if (e.name == name) return &e;
  return nullptr;
}

std::string ZipReader::read(const Entry& e) const {
  const size_t h = static_cast<size_t>(e.local_header_offset);
  if (le(bytes_, h, 4) != kLocalHeader) fail(str("entry '", e.name, "' has no local header at byte ", h));
  const uint64_t start = h + 30 + le(bytes_, h + 26, 2) + le(bytes_, h + 28, 2);
  if (start > bytes_.size() || e.compressed_size > bytes_.size() - start)
    fail(str("the data of entry '", e.name, "' (", e.compressed_size, " bytes at ", start, ") lies outside the file"));
  const std::string_view data = bytes_.substr(static_cast<size_t>(start), static_cast<size_t>(e.compressed_size));
  std::string out;
  if (e.method == 0) {
    out.assign(data);
  } else {
    // Deflate can expand by at most ~1032x; a larger claimed size is a lie (no huge allocation).
    if (e.size / 1032 > e.compressed_size + 1)
      fail(str("entry '", e.name, "' claims ", e.size, " bytes from ", e.compressed_size, " compressed ones"));
    out.resize(static_cast<size_t>(e.size));
    z_stream zs{};
    if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) fail("zlib cannot start inflating");
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    zs.avail_in = 0;
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    size_t in_left = data.size(), out_left = out.size();
    int rc = Z_OK;
    while (rc == Z_OK) {
      if (zs.avail_in == 0) {
        zs.avail_in = static_cast<uInt>(std::min<size_t>(in_left, 1u << 30));
        in_left -= zs.avail_in;
      }
      if (zs.avail_out == 0) {
        zs.avail_out = static_cast<uInt>(std::min<size_t>(out_left, 1u << 30));
        out_left -= zs.avail_out;
      }
      rc = inflate(&zs, Z_NO_FLUSH);
      if (rc == Z_BUF_ERROR && zs.avail_in == 0 && in_left == 0) break;    // input ended early
      if (rc == Z_BUF_ERROR && zs.avail_out == 0 && out_left == 0) break;  // more output than claimed
      if (rc == Z_BUF_ERROR) rc = Z_OK;
    }
    const uint64_t produced = zs.total_out;
    inflateEnd(&zs);
    if (rc != Z_STREAM_END || produced != e.size)
      fail(
          str("the deflated data of entry '", e.name, "' is corrupt or does not hold the recorded ", e.size, " bytes"));
  }
  if (io::crc32(out) != e.crc32) fail(str("entry '", e.name, "' fails its CRC-32 check"));
  return out;
}

}  // namespace seek::io

// libFuzzer target: seek::io::pth::parse_pth (zip archive + restricted unpickler) on arbitrary
// bytes. Each input either loads or throws seek::IOError. Inputs that do not start like a zip
// are also tried as the data.pkl of a one-entry archive, so the unpickler is reached directly.
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "seek/core/error.h"
#include "seek/io/pth_reader.h"

namespace {
void le(std::string& out, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) out += static_cast<char>(v >> (8 * i));
}
// A stored zip with the single entry "a/data.pkl".
std::string zip_with_pickle(std::string_view pkl) {
  const std::string name = "a/data.pkl";
  const auto crc = static_cast<uint32_t>(::crc32(0, reinterpret_cast<const Bytef*>(pkl.data()),
                                                 static_cast<uInt>(pkl.size())));
  std::string out;
  le(out, 0x04034b50, 4), le(out, 20, 2), le(out, 0, 2), le(out, 0, 2), le(out, 0, 4), le(out, crc, 4);
  le(out, pkl.size(), 4), le(out, pkl.size(), 4), le(out, name.size(), 2), le(out, 0, 2);
  out += name;
  out += pkl;
  const size_t cd = out.size();
  le(out, 0x02014b50, 4), le(out, 20, 2), le(out, 20, 2), le(out, 0, 2), le(out, 0, 2), le(out, 0, 4);
  le(out, crc, 4), le(out, pkl.size(), 4), le(out, pkl.size(), 4), le(out, name.size(), 2), le(out, 0, 2);
  le(out, 0, 2), le(out, 0, 2), le(out, 0, 2), le(out, 0, 4), le(out, 0, 4);
  out += name;
  const size_t cd_size = out.size() - cd;
  le(out, 0x06054b50, 4), le(out, 0, 4), le(out, 1, 2), le(out, 1, 2), le(out, cd_size, 4), le(out, cd, 4);
  le(out, 0, 2);
  return out;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    (void)seek::io::pth::parse_pth(bytes, "fuzz");
  } catch (const seek::IOError&) {
  }
  if (size < 4 || data[0] != 'P') {
    try {
      (void)seek::io::pth::parse_pth(zip_with_pickle(bytes), "fuzz");
    } catch (const seek::IOError&) {
    }
  }
  return 0;
}

// libFuzzer target: a checkpoint's trainer.json (seek::train::load_checkpoint) with arbitrary
// contents, valid checksum or not: each input is either loaded or rejected with seek::IOError.
// The input's first byte chooses whether its checksum is fixed up first, so that the fuzzer
// also reaches the field checks behind the CRC.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "seek/core/error.h"
#include "seek/io/atomic_file.h"
#include "seek/io/json.h"
#include "seek/train/checkpoint.h"

namespace {
const std::filesystem::path& dir() {
  static const std::filesystem::path d = [] {
    auto p = std::filesystem::temp_directory_path() / ("seek_fuzz_manifest_" + std::to_string(::getpid()));
    std::filesystem::create_directories(p);
    return p;
  }();
  return d;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 1) {
    // Recompute "crc32" as the writer does, when the text is a JSON object.
    try {
      seek::io::json::Value doc = seek::io::json::parse(text);
      if (doc.is_object()) {
        seek::io::json::Value rest = seek::io::json::Value::object();
        for (const auto& [k, v] : doc.as_object())
          if (k != "crc32") rest.as_object().emplace_back(k, v);
        rest.as_object().emplace_back("crc32", static_cast<uint64_t>(seek::io::crc32(seek::io::json::dump(rest))));
        text = seek::io::json::dump(rest);
      }
    } catch (const seek::ValueError&) {
    }
  }
  { std::ofstream(dir() / "trainer.json", std::ios::binary | std::ios::trunc) << text; }
  try {
    (void)seek::train::load_checkpoint(dir(), seek::train::CheckpointParts{.generators = false});
  } catch (const seek::IOError&) {
  }
  return 0;
}

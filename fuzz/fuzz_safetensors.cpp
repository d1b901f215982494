// libFuzzer target: seek::io::parse_safetensors on arbitrary bytes. Every input must either
// load or throw seek::IOError; anything else (a crash, a sanitizer report, another
// exception) is a bug.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "seek/core/error.h"
#include "seek/io/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    (void)seek::io::parse_safetensors(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz");
  } catch (const seek::IOError&) {
  }
  return 0;
}

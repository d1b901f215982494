// libFuzzer target: seek::io::json::parse and dump on arbitrary text. Parsing either succeeds
// or throws seek::ValueError; a parsed document dumps and parses back to itself.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "seek/core/error.h"
#include "seek/io/json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace seek::io::json;
  Value v;
  try {
    v = parse(std::string_view(reinterpret_cast<const char*>(data), size));
  } catch (const seek::ValueError&) {
    return 0;
  }
  if (!(parse(dump(v)) == v) || !(parse(dump(v, 2)) == v)) std::abort();  // round trip
  return 0;
}

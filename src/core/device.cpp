#include "seek/core/device.h"

#include "seek/core/error.h"

namespace seek {

Device::Device(const std::string& spec) {
  if (spec == "cpu") {
    type = DeviceType::CPU;
    index = 0;
    return;
  }
  if (spec.rfind("cuda", 0) == 0) {
    type = DeviceType::CUDA;
    index = 0;
    if (spec.size() > 4) {
      SEEK_CHECK_VALUE(spec[4] == ':' && spec.size() > 5, "Device: expected 'cpu', 'cuda' or 'cuda:N', got '", spec,
                       "'");
      try {
        index = std::stoi(spec.substr(5));
      } catch (const std::exception&) {
        throw ValueError(::seek::str("Device: expected 'cpu', 'cuda' or 'cuda:N', got '", spec, "'"));
      }
    }
    return;
  }
  throw ValueError(::seek::str("Device: expected 'cpu', 'cuda' or 'cuda:N', got '", spec, "'"));
}

std::string Device::str() const { return is_cpu() ? "cpu" : "cuda:" + std::to_string(index); }

std::ostream& operator<<(std::ostream& os, const Device& d) { return os << d.str(); }

}  // namespace seek

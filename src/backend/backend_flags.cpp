// The switches of seek/backends.h: plain atomics, defined once for every build.
#include "seek/backends.h"

#include "seek/core/error.h"

namespace seek {
namespace backends {
namespace cuda::matmul {
std::atomic<bool> allow_tf32{false};
}  // namespace cuda::matmul
namespace cudnn {
std::atomic<bool> enabled{true};
std::atomic<bool> benchmark{false};
std::atomic<bool> deterministic{false};
std::atomic<bool> allow_tf32{true};
std::atomic<int> benchmark_limit{10};
}  // namespace cudnn
}  // namespace backends

namespace {
std::atomic<bool> g_medium{false};  // the last precision set was "medium" (not "high")
}  // namespace

void set_float32_matmul_precision(const std::string& precision) {
  SEEK_CHECK_VALUE(precision == "highest" || precision == "high" || precision == "medium",
                   "set_float32_matmul_precision: expected 'highest', 'high' or 'medium', got '", precision, "'");
  g_medium = precision == "medium";
  backends::cuda::matmul::allow_tf32 = precision != "highest";
}

std::string get_float32_matmul_precision() {
  if (!backends::cuda::matmul::allow_tf32) return "highest";
  return g_medium ? "medium" : "high";
}

}  // namespace seek

#include "seek/core/logging.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>

#include "seek/core/error.h"

namespace seek::logging {

namespace {
spdlog::level::level_enum parse(const std::string& name) {
  auto lvl = spdlog::level::from_str(name);
  if (lvl == spdlog::level::off && name != "off") {
    throw ValueError(
        str("log level: unknown level '", name, "', expected trace, debug, info, warn, error, critical or off"));
  }
  return lvl;
}

spdlog::logger& logger() {
  static std::shared_ptr<spdlog::logger> l = [] {
    auto lg = spdlog::stderr_color_mt("seek");
    const char* env = std::getenv("SEEK_LOG_LEVEL");
    spdlog::level::level_enum lvl = spdlog::level::info;
    if (env && *env) {
      try {
        lvl = parse(env);
      } catch (const ValueError&) {
        lg->warn("SEEK_LOG_LEVEL='{}' is not a level; using info", env);
      }
    }
    lg->set_level(lvl);
    return lg;
  }();
  return *l;
}
}  // namespace

void trace(const std::string& msg) { logger().trace(msg); }
void debug(const std::string& msg) { logger().debug(msg); }
void info(const std::string& msg) { logger().info(msg); }
void warn(const std::string& msg) { logger().warn(msg); }
void error(const std::string& msg) { logger().error(msg); }
void set_level(const std::string& level) { logger().set_level(parse(level)); }
std::string level() {
  auto sv = spdlog::level::to_string_view(logger().level());
  return std::string(sv.data(), sv.size());
}

}  // namespace seek::logging

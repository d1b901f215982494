#pragma once
// Logging goes through spdlog; the level comes from SEEK_LOG_LEVEL
// (trace, debug, info, warn, error, critical, off; default info).
#include <string>

namespace seek::logging {

void trace(const std::string& msg);
void debug(const std::string& msg);
void info(const std::string& msg);
void warn(const std::string& msg);
void error(const std::string& msg);
// Overrides SEEK_LOG_LEVEL at run time; throws ValueError for an unknown name.
void set_level(const std::string& level);
std::string level();

}  // namespace seek::logging

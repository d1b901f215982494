#include "seek/train/metrics_log.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <system_error>
#include <utility>

#include "seek/core/error.h"

namespace seek::train {
namespace {

std::string number_str(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.12g", v);
  return buf;
}

std::string header_line(const std::vector<std::string>& columns) {
  std::string line;
  for (size_t i = 0; i < columns.size(); ++i) line += (i ? "," : "") + columns[i];
  return line;
}

void append_line(const std::filesystem::path& path, const std::string& line) {
  std::ofstream f(path, std::ios::app);
  SEEK_CHECK_T(IOError, f.good(), "MetricsLog: cannot open ", path.string(), " for appending");
  f << line << '\n';
  f.flush();
  SEEK_CHECK_T(IOError, f.good(), "MetricsLog: writing ", path.string(), " failed");
}

}  // namespace

MetricsLog::MetricsLog(std::filesystem::path dir, std::vector<std::string> columns, MetricsLogOptions options)
    : dir_(std::move(dir)), columns_(std::move(columns)), options_(options) {
  SEEK_CHECK_VALUE(!columns_.empty(), "MetricsLog: needs at least one column");
  std::set<std::string> seen;
  for (const auto& c : columns_) {
    SEEK_CHECK_VALUE(!c.empty() && c.find_first_of(",\"\n") == std::string::npos, "MetricsLog: bad column name '", c,
                     "' (empty, or holds a comma, quote or newline)");
    SEEK_CHECK_VALUE(seen.insert(c).second, "MetricsLog: column '", c, "' appears twice");
  }
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  SEEK_CHECK_T(IOError, !ec && std::filesystem::is_directory(dir_), "MetricsLog: cannot create directory ",
               dir_.string(), ec ? ": " + ec.message() : std::string());
  if (!options_.csv) return;
  const std::string header = header_line(columns_);
  std::string existing;
  if (std::ifstream f(csv_path()); f.good()) std::getline(f, existing);
  if (existing.empty()) {
    // New file, or an empty one: start it with the header.
    std::ofstream f(csv_path(), std::ios::trunc);
    SEEK_CHECK_T(IOError, f.good(), "MetricsLog: cannot create ", csv_path().string());
    f << header << '\n';
    SEEK_CHECK_T(IOError, f.good(), "MetricsLog: writing ", csv_path().string(), " failed");
  } else {
    SEEK_CHECK_T(IOError, existing == header, "MetricsLog: ", csv_path().string(), " has the header '", existing,
                 "' but this run logs '", header, "'; use another output directory");
  }
}

void MetricsLog::append(const std::map<std::string, double>& row) {
  for (const auto& [key, value] : row) {
    SEEK_CHECK_VALUE(std::find(columns_.begin(), columns_.end(), key) != columns_.end(), "MetricsLog: '", key,
                     "' is not a column (columns: ", header_line(columns_), ")");
  }
  if (options_.csv) {
    std::string line;
    for (size_t i = 0; i < columns_.size(); ++i) {
      if (i) line += ',';
      auto it = row.find(columns_[i]);
      if (it != row.end() && !std::isnan(it->second)) line += number_str(it->second);
    }
    append_line(csv_path(), line);
  }
  if (options_.jsonl) {
    std::ostringstream os;
    os << '{';
    bool first = true;
    for (const auto& c : columns_) {  // column order, like the CSV
      auto it = row.find(c);
      if (it == row.end()) continue;
      os << (first ? "" : ", ") << '"' << c << "\": " << (std::isfinite(it->second) ? number_str(it->second) : "null");
      first = false;
    }
    os << '}';
    append_line(jsonl_path(), os.str());
  }
}

}  // namespace seek::train

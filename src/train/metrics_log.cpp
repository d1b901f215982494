#include "seek/train/metrics_log.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <system_error>
#include <utility>
#include <vector>

#include "seek/core/error.h"
#include "seek/io/atomic_file.h"
#include "seek/io/json.h"

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

namespace {

// The file's lines (without their '\n'); a last line without '\n' (a write cut short) is dropped.
std::vector<std::string> complete_lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1)
    lines.push_back(text.substr(start, nl - start));
  return lines;
}

bool step_after(const std::string& cell, int64_t step) {
  char* end = nullptr;
  const double v = std::strtod(cell.c_str(), &end);
  return end != cell.c_str() && *end == '\0' && v > static_cast<double>(step);
}

void rewrite_if_changed(const std::filesystem::path& path, const std::vector<std::string>& kept, size_t total,
                        bool had_partial_line) {
  if (kept.size() == total && !had_partial_line) return;
  std::string out;
  for (const auto& l : kept) out += l + '\n';
  io::write_file_atomic(path, out, "MetricsLog");
}

}  // namespace

void rollback_metrics(const std::filesystem::path& dir, int64_t step) {
  std::error_code ec;
  const std::filesystem::path csv = dir / "metrics.csv", jsonl = dir / "metrics.jsonl";
  if (std::filesystem::is_regular_file(csv, ec)) {
    const std::string text = io::read_file(csv, "MetricsLog");
    const std::vector<std::string> lines = complete_lines(text);
    std::vector<std::string> kept;
    if (!lines.empty()) {
      kept.push_back(lines[0]);  // the header
      std::vector<std::string> header;
      std::stringstream hs(lines[0]);
      for (std::string c; std::getline(hs, c, ',');) header.push_back(c);
      const auto col = std::find(header.begin(), header.end(), "step");
      for (size_t i = 1; i < lines.size(); ++i) {
        if (col != header.end()) {
          std::vector<std::string> cells;
          std::stringstream ls(lines[i]);
          for (std::string c; std::getline(ls, c, ',');) cells.push_back(c);
          const size_t k = static_cast<size_t>(col - header.begin());
          if (k < cells.size() && step_after(cells[k], step)) continue;
        }
        kept.push_back(lines[i]);
      }
    }
    rewrite_if_changed(csv, kept, lines.size(), !text.empty() && text.back() != '\n');
  }
  if (std::filesystem::is_regular_file(jsonl, ec)) {
    const std::string text = io::read_file(jsonl, "MetricsLog");
    const std::vector<std::string> lines = complete_lines(text);
    std::vector<std::string> kept;
    for (const auto& line : lines) {
      try {
        const io::json::Value row = io::json::parse(line);
        const io::json::Value* s = row.is_object() ? row.find("step") : nullptr;
        if (s && s->is_number() && s->as_double() > static_cast<double>(step)) continue;
      } catch (const ValueError&) {
        // Not a row this class wrote: keep it as it is.
      }
      kept.push_back(line);
    }
    rewrite_if_changed(jsonl, kept, lines.size(), !text.empty() && text.back() != '\n');
  }
}

}  // namespace seek::train

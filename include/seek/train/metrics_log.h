#pragma once
// Appends one row of metrics per evaluation / epoch to <dir>/metrics.csv and/or
// <dir>/metrics.jsonl.
//
// CSV: the header (the column names, in the order given) is written once, when the file
// is new or empty; a resumed run appends below it, and throws IOError when the existing
// header differs from the columns (the rows would not line up). A value a row lacks is an
// empty cell. JSONL: one object per line with the values the row has (nan/inf as null).
// Numbers are written with 12 significant digits (integers as integers).
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace seek::train {

struct MetricsLogOptions {
  bool csv = true;
  bool jsonl = true;
};

class MetricsLog {
 public:
  // Creates `dir` when missing. Throws ValueError for no columns or a repeated column,
  // IOError when a file cannot be written or its header differs.
  MetricsLog(std::filesystem::path dir, std::vector<std::string> columns, MetricsLogOptions options = {});

  // Appends a row; a key that is not a column throws ValueError (naming it).
  void append(const std::map<std::string, double>& row);

  std::filesystem::path csv_path() const { return dir_ / "metrics.csv"; }
  std::filesystem::path jsonl_path() const { return dir_ / "metrics.jsonl"; }
  const std::vector<std::string>& columns() const { return columns_; }

 private:
  std::filesystem::path dir_;
  std::vector<std::string> columns_;
  MetricsLogOptions options_;
};

// Drops the rows of <dir>/metrics.csv and <dir>/metrics.jsonl whose "step" is greater than
// `step`: the rows of a run that a resume from a checkpoint at `step` will log again (without
// this, the re-run epochs would appear twice). Rows without a step and the CSV header stay;
// each file is rewritten atomically, and only when a row goes. Missing files are fine; a file
// that cannot be read or written throws IOError.
void rollback_metrics(const std::filesystem::path& dir, int64_t step);

}  // namespace seek::train

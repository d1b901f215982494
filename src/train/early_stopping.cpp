#include "seek/train/early_stopping.h"

#include <cmath>
#include <utility>

#include "seek/core/error.h"

namespace seek::train {

EarlyStopping::EarlyStopping(std::string mode, int64_t patience, double min_delta)
    : mode_(std::move(mode)), patience_(patience), min_delta_(min_delta) {
  SEEK_CHECK_VALUE(mode_ == "min" || mode_ == "max", "EarlyStopping: mode must be \"min\" or \"max\", got \"", mode_,
                   "\"");
  SEEK_CHECK_VALUE(patience_ >= 1, "EarlyStopping: patience must be >= 1, got ", patience_);
  SEEK_CHECK_VALUE(min_delta_ >= 0 && std::isfinite(min_delta_), "EarlyStopping: min_delta must be >= 0, got ",
                   min_delta_);
}

bool EarlyStopping::is_improvement(double value) const {
  if (!has_best_) return true;
  return mode_ == "min" ? value < best_ - min_delta_ : value > best_ + min_delta_;
}

bool EarlyStopping::step(double value) {
  SEEK_CHECK_VALUE(!std::isnan(value), "EarlyStopping: the monitored value is nan");
  if (is_improvement(value)) {
    best_ = value;
    has_best_ = true;
    bad_count_ = 0;
  } else {
    ++bad_count_;
  }
  return bad_count_ >= patience_;
}

void EarlyStopping::restore(bool has_best, double best, int64_t bad_count) {
  SEEK_CHECK_VALUE(bad_count >= 0, "EarlyStopping: restore() needs bad_count >= 0, got ", bad_count);
  has_best_ = has_best;
  best_ = best;
  bad_count_ = bad_count;
}

}  // namespace seek::train

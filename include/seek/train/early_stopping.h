#pragma once
// Early stopping on a monitored value (Keras / Lightning EarlyStopping semantics):
// a value improves when it beats the best by more than min_delta (mode "min": value <
// best - min_delta; "max": value > best + min_delta). After `patience` values in a row
// without improvement, step() returns true (stop). The first value always improves.
#include <cstdint>
#include <string>

namespace seek::train {

class EarlyStopping {
 public:
  // Throws ValueError for a mode other than "min"/"max", patience < 1 or min_delta < 0.
  EarlyStopping(std::string mode = "min", int64_t patience = 3, double min_delta = 0.0);

  // Records one value; returns whether training should stop. Throws ValueError for nan.
  bool step(double value);
  // Whether `value` would count as an improvement now.
  bool is_improvement(double value) const;

  bool has_best() const { return has_best_; }
  double best() const { return best_; }
  int64_t bad_count() const { return bad_count_; }
  int64_t patience() const { return patience_; }
  const std::string& mode() const { return mode_; }
  // Restores the state saved from best()/bad_count() (checkpoints).
  void restore(bool has_best, double best, int64_t bad_count);

 private:
  std::string mode_;
  int64_t patience_;
  double min_delta_;
  bool has_best_ = false;
  double best_ = 0.0;
  int64_t bad_count_ = 0;
};

}  // namespace seek::train

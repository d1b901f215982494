#pragma once
// A text progress bar for training loops:
//
//   epoch 2/10 [#######.............]  35/100 steps  12.3 img/s  ETA 00:05  loss 0.4123
//
// On a terminal (tty) it redraws one line with '\r'; otherwise (a file, a pipe, a test's
// stringstream) it prints a plain line every `print_every` steps and at the last one.
#include <chrono>
#include <cmath>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

namespace seek::train {

struct ProgressOptions {
  std::ostream* out = nullptr;  // nullptr: std::cerr
  // Whether `out` is a terminal; unset: true only for std::cerr on a terminal (isatty(2)).
  std::optional<bool> tty;
  int64_t print_every = 50;  // non-tty: a line every this many steps (>= 1)
  std::string unit = "it";   // rate unit: "it" (steps) or e.g. "img" (items given to update)
  int64_t bar_width = 20;
};

class ProgressBar {
 public:
  // total: the number of steps (>= 1); throws ValueError for bad options.
  explicit ProgressBar(int64_t total, ProgressOptions options = {});

  // Starts the clock; `prefix` begins every line (e.g. "epoch 2/10").
  void start(const std::string& prefix = "");
  // Reports `step` steps done (start() counts from there), `items` items processed since the
  // last update (used with a unit other than "it") and the running loss.
  void update(int64_t step, double loss, int64_t items = 0);
  // The same without a new loss: the line shows the last loss given (training loops read the
  // loss back from the device only at the steps where prints_at() is true).
  void advance(int64_t step, int64_t items = 0);
  // Whether update() / advance() at `step` prints a line off a terminal: every print_every
  // steps and at the last one (on a terminal it redraws at every step).
  bool prints_at(int64_t step) const { return step % options_.print_every == 0 || step == total_; }
  // Ends the line on a terminal.
  void finish();
  bool is_tty() const { return tty_; }

  // One line of the bar (no '\r' or '\n'); public for tests.
  std::string format(int64_t step, double loss, double rate, double eta_seconds) const;

 private:
  int64_t total_;
  ProgressOptions options_;
  bool tty_;
  std::string prefix_;
  std::chrono::steady_clock::time_point start_time_;
  int64_t start_step_ = 0, items_ = 0;
  bool drawn_ = false;
  double loss_ = NAN;  // the last loss given to update()
};

}  // namespace seek::train

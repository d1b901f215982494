#include "seek/train/progress.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <utility>

#include "seek/core/error.h"

namespace seek::train {
namespace {

std::string clock_str(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "--:--";
  auto s = static_cast<int64_t>(std::llround(seconds));
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", static_cast<long long>(s / 3600),
                  static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60));
  else
    std::snprintf(buf, sizeof buf, "%02lld:%02lld", static_cast<long long>(s / 60), static_cast<long long>(s % 60));
  return buf;
}

}  // namespace

ProgressBar::ProgressBar(int64_t total, ProgressOptions options) : total_(total), options_(std::move(options)) {
  SEEK_CHECK_VALUE(total_ >= 1, "ProgressBar: total must be >= 1, got ", total_);
  SEEK_CHECK_VALUE(options_.print_every >= 1, "ProgressBar: print_every must be >= 1, got ", options_.print_every);
  SEEK_CHECK_VALUE(options_.bar_width >= 0, "ProgressBar: bar_width must be >= 0, got ", options_.bar_width);
  SEEK_CHECK_VALUE(!options_.unit.empty(), "ProgressBar: unit must not be empty");
  if (!options_.out) options_.out = &std::cerr;
  tty_ = options_.tty.has_value() ? *options_.tty : (options_.out == &std::cerr && isatty(STDERR_FILENO) != 0);
}

void ProgressBar::start(const std::string& prefix) {
  prefix_ = prefix;
  start_time_ = std::chrono::steady_clock::now();
  start_step_ = -1;
  items_ = 0;
  drawn_ = false;
  loss_ = NAN;
}

std::string ProgressBar::format(int64_t step, double loss, double rate, double eta_seconds) const {
  std::ostringstream os;
  if (!prefix_.empty()) os << prefix_ << ' ';
  if (options_.bar_width > 0) {
    const int64_t filled = std::min(options_.bar_width, step * options_.bar_width / total_);
    os << '[' << std::string(static_cast<size_t>(filled), '#')
       << std::string(static_cast<size_t>(options_.bar_width - filled), '.') << "] ";
  }
  os << step << '/' << total_ << " steps";
  char buf[64];
  std::snprintf(buf, sizeof buf, "  %.1f %s/s", std::isfinite(rate) ? rate : 0.0, options_.unit.c_str());
  os << buf << "  ETA " << clock_str(eta_seconds);
  if (std::isfinite(loss)) {
    std::snprintf(buf, sizeof buf, "  loss %.4f", loss);
    os << buf;
  }
  return os.str();
}

void ProgressBar::update(int64_t step, double loss, int64_t items) {
  loss_ = loss;
  advance(step, items);
}

void ProgressBar::advance(int64_t step, int64_t items) {
  const double loss = loss_;
  // The first update after start() fixes the step the clock started at (a resumed run
  // starts past 0), so that the rate and ETA count only this session's steps.
  if (start_step_ < 0) start_step_ = step > 0 ? step - 1 : 0;
  items_ += items;
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_time_).count();
  const int64_t done = step - start_step_;
  const double steps_per_s = elapsed > 0 ? static_cast<double>(done) / elapsed : 0.0;
  const double rate = options_.unit == "it" ? steps_per_s : (elapsed > 0 ? static_cast<double>(items_) / elapsed : 0.0);
  const double eta = steps_per_s > 0 ? static_cast<double>(total_ - step) / steps_per_s : NAN;
  std::ostream& out = *options_.out;
  if (tty_) {
    out << '\r' << format(step, loss, rate, eta) << "\x1b[K" << std::flush;
    drawn_ = true;
  } else if (prints_at(step)) {
    out << format(step, loss, rate, eta) << '\n' << std::flush;
  }
}

void ProgressBar::finish() {
  if (tty_ && drawn_) *options_.out << '\n' << std::flush;
  drawn_ = false;
}

}  // namespace seek::train

#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

#include "seek/train/progress.h"
#include "support/test_util.h"
#include "train/train_test_util.h"

namespace seek::train {
namespace {

TEST(TrainProgress, PlainLinesEveryNStepsWhenNotATerminal) {
  std::ostringstream out;
  ProgressBar bar(7, {.out = &out, .tty = false, .print_every = 3});
  EXPECT_FALSE(bar.is_tty());
  bar.start("epoch 1/2");
  for (int64_t s = 1; s <= 7; ++s) bar.update(s, 0.5 / static_cast<double>(s));
  bar.finish();
  const auto lines = testing::split_lines(out.str());
  ASSERT_EQ(lines.size(), 3u);  // steps 3, 6 and the last one, 7
  EXPECT_EQ(out.str().find('\r'), std::string::npos);
  EXPECT_EQ(lines[0].rfind("epoch 1/2 [", 0), 0u) << lines[0];
  EXPECT_NE(lines[0].find("3/7 steps"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("it/s"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("ETA "), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("loss 0.1667"), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find("6/7 steps"), std::string::npos) << lines[1];
  EXPECT_NE(lines[2].find("7/7 steps"), std::string::npos) << lines[2];
  EXPECT_NE(lines[2].find("loss 0.0714"), std::string::npos) << lines[2];
}

TEST(TrainProgress, TerminalRedrawsOneLine) {
  std::ostringstream out;
  ProgressBar bar(3, {.out = &out, .tty = true, .unit = "img"});
  bar.start();
  for (int64_t s = 1; s <= 3; ++s) bar.update(s, 1.0, 32);
  bar.finish();
  const std::string text = out.str();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\r'), 3);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1);  // from finish()
  EXPECT_NE(text.find("img/s"), std::string::npos);
  EXPECT_NE(text.find("3/3 steps"), std::string::npos);
}

TEST(TrainProgress, FormatShowsBarCountsEtaAndLoss) {
  ProgressBar bar(10, {.out = nullptr, .tty = false, .bar_width = 10});
  bar.start("e");
  EXPECT_EQ(bar.format(4, 0.25, 2.0, 3.0), "e [####......] 4/10 steps  2.0 it/s  ETA 00:03  loss 0.2500");
  EXPECT_EQ(bar.format(10, 0.25, 2.0, 3725.0), "e [##########] 10/10 steps  2.0 it/s  ETA 1:02:05  loss 0.2500");
  // Unknown rate, ETA and loss.
  EXPECT_EQ(bar.format(0, NAN, NAN, NAN), "e [..........] 0/10 steps  0.0 it/s  ETA --:--");
}

TEST(TrainProgress, BadOptions) {
  EXPECT_SEEK_ERROR_ALL(ProgressBar(0), ValueError, {"ProgressBar", "total must be >= 1", "0"});
  EXPECT_SEEK_ERROR(ProgressBar(5, {.print_every = 0}), ValueError, "print_every must be >= 1");
  EXPECT_SEEK_ERROR(ProgressBar(5, {.unit = ""}), ValueError, "unit must not be empty");
}

}  // namespace
}  // namespace seek::train

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "seek/train/metrics_log.h"
#include "support/test_util.h"
#include "train/train_test_util.h"

namespace seek::train {
namespace {

TEST(TrainMetricsLog, WritesCsvAndJsonlRows) {
  const auto dir = testing::fresh_dir("metrics_log_rows") / "run";  // created by the log
  MetricsLog log(dir, {"epoch", "step", "train_loss", "val_loss"});
  log.append({{"epoch", 1}, {"step", 30}, {"train_loss", 0.5}, {"val_loss", 0.625}});
  log.append({{"epoch", 2}, {"step", 60}, {"train_loss", 0.25}});  // no val_loss
  log.append({{"step", 61}, {"val_loss", NAN}});
  EXPECT_EQ(testing::read_text(log.csv_path()),
            "epoch,step,train_loss,val_loss\n"
            "1,30,0.5,0.625\n"
            "2,60,0.25,\n"
            ",61,,\n");
  EXPECT_EQ(testing::read_text(log.jsonl_path()),
            "{\"epoch\": 1, \"step\": 30, \"train_loss\": 0.5, \"val_loss\": 0.625}\n"
            "{\"epoch\": 2, \"step\": 60, \"train_loss\": 0.25}\n"
            "{\"step\": 61, \"val_loss\": null}\n");
}

TEST(TrainMetricsLog, ResumedRunAppendsBelowTheHeader) {
  const auto dir = testing::fresh_dir("metrics_log_resume");
  {
    MetricsLog log(dir, {"epoch", "loss"});
    log.append({{"epoch", 1}, {"loss", 0.123456789012345}});
  }
  {
    MetricsLog log(dir, {"epoch", "loss"});
    log.append({{"epoch", 2}, {"loss", 2e-7}});
  }
  EXPECT_EQ(testing::read_text(dir / "metrics.csv"), "epoch,loss\n1,0.123456789012\n2,2e-07\n");
  EXPECT_EQ(testing::split_lines(testing::read_text(dir / "metrics.jsonl")).size(), 2u);
  // Other columns would not line up with the existing header.
  EXPECT_SEEK_ERROR_ALL(MetricsLog(dir, {"epoch", "accuracy"}), IOError,
                        {"metrics.csv", "'epoch,loss'", "'epoch,accuracy'"});
}

TEST(TrainMetricsLog, OnlyTheChosenFormats) {
  const auto dir = testing::fresh_dir("metrics_log_formats");
  MetricsLog log(dir, {"a"}, {.csv = false, .jsonl = true});
  log.append({{"a", 1}});
  EXPECT_FALSE(std::filesystem::exists(dir / "metrics.csv"));
  EXPECT_EQ(testing::read_text(dir / "metrics.jsonl"), "{\"a\": 1}\n");
}

TEST(TrainMetricsLog, BadInput) {
  const auto dir = testing::fresh_dir("metrics_log_bad");
  EXPECT_SEEK_ERROR(MetricsLog(dir, {}), ValueError, "at least one column");
  EXPECT_SEEK_ERROR(MetricsLog(dir, {"a", "a"}), ValueError, "column 'a' appears twice");
  EXPECT_SEEK_ERROR(MetricsLog(dir, {"a,b"}), ValueError, "bad column name 'a,b'");
  MetricsLog log(dir, {"a"});
  EXPECT_SEEK_ERROR_ALL(log.append({{"b", 1}}), ValueError, {"'b' is not a column", "columns: a"});
  std::ofstream(dir / "file") << "x";
  EXPECT_SEEK_ERROR(MetricsLog(dir / "file" / "sub", {"a"}), IOError, "cannot create directory");
}

TEST(TrainMetricsLog, RollbackDropsRowsPastAStep) {
  const auto dir = testing::fresh_dir("metrics_rollback");
  {
    MetricsLog log(dir, {"epoch", "step", "loss"});
    for (int s = 1; s <= 5; ++s) log.append({{"epoch", s}, {"step", s * 10}, {"loss", 1.0 / s}});
    log.append({{"epoch", 6}, {"loss", 0.1}});  // no step: stays
  }
  // A row cut short by a crash (no newline) goes too.
  { std::ofstream(dir / "metrics.jsonl", std::ios::app) << "{\"epoch\": 7, \"st"; }
  rollback_metrics(dir, 30);
  EXPECT_EQ(testing::read_text(dir / "metrics.csv"),
            "epoch,step,loss\n1,10,1\n2,20,0.5\n3,30,0.333333333333\n6,,0.1\n");
  EXPECT_EQ(testing::read_text(dir / "metrics.jsonl"),
            "{\"epoch\": 1, \"step\": 10, \"loss\": 1}\n{\"epoch\": 2, \"step\": 20, \"loss\": 0.5}\n"
            "{\"epoch\": 3, \"step\": 30, \"loss\": 0.333333333333}\n{\"epoch\": 6, \"loss\": 0.1}\n");
  rollback_metrics(dir, 0);
  EXPECT_EQ(testing::read_text(dir / "metrics.csv"), "epoch,step,loss\n6,,0.1\n");
  // Missing files are fine.
  EXPECT_NO_THROW(rollback_metrics(testing::fresh_dir("metrics_rollback_none"), 3));
}

}  // namespace
}  // namespace seek::train

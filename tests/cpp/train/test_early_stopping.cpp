#include <gtest/gtest.h>

#include <cmath>

#include "seek/train/early_stopping.h"
#include "support/test_util.h"

namespace seek::train {
namespace {

TEST(TrainEarlyStopping, StopsAfterPatienceValuesWithoutImprovement) {
  EarlyStopping es("min", 2);
  EXPECT_FALSE(es.step(1.0));  // first value: best
  EXPECT_FALSE(es.step(0.8));  // improves
  EXPECT_FALSE(es.step(0.9));  // 1 bad
  EXPECT_EQ(es.bad_count(), 1);
  EXPECT_FALSE(es.step(0.7));  // improves: counter back to 0
  EXPECT_EQ(es.bad_count(), 0);
  EXPECT_FALSE(es.step(0.7));  // equal is not better: 1 bad
  EXPECT_TRUE(es.step(0.75));  // 2 bad: stop
  EXPECT_DOUBLE_EQ(es.best(), 0.7);
}

TEST(TrainEarlyStopping, MinDeltaAndMaxMode) {
  EarlyStopping es("max", 1, 0.1);
  EXPECT_FALSE(es.step(0.5));
  EXPECT_TRUE(es.is_improvement(0.61));
  EXPECT_FALSE(es.is_improvement(0.6));  // needs more than best + min_delta
  EXPECT_FALSE(es.step(0.65));           // improves by 0.15
  EXPECT_TRUE(es.step(0.7));             // +0.05 is not enough: patience 1 reached
  EXPECT_DOUBLE_EQ(es.best(), 0.65);
}

TEST(TrainEarlyStopping, RestoreContinuesTheCount) {
  EarlyStopping es("min", 3);
  es.restore(true, 0.5, 2);
  EXPECT_TRUE(es.step(0.6));
  EarlyStopping fresh("min", 3);
  fresh.restore(false, 0.0, 0);
  EXPECT_FALSE(fresh.step(100.0));  // no best yet: any value improves
  EXPECT_DOUBLE_EQ(fresh.best(), 100.0);
}

TEST(TrainEarlyStopping, BadOptions) {
  EXPECT_SEEK_ERROR_ALL(EarlyStopping("lowest", 2), ValueError, {"EarlyStopping", "\"lowest\""});
  EXPECT_SEEK_ERROR_ALL(EarlyStopping("min", 0), ValueError, {"patience must be >= 1", "0"});
  EXPECT_SEEK_ERROR(EarlyStopping("min", 1, -0.5), ValueError, "min_delta must be >= 0");
  EarlyStopping es;
  EXPECT_SEEK_ERROR(es.step(std::nan("")), ValueError, "nan");
}

}  // namespace
}  // namespace seek::train
